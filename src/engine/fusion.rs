//! Fusion: the trained head's probabilities and the lexical matcher's scores blended into one
//! ranking, and the explicit triage rules and the learnt detector combined into one tier.

use crate::config::EngineConfig;
use crate::knowledge::{EntryId, KnowledgeBase};
use crate::matcher::Analysis;
use crate::prepared::Prepared;
use crate::triage::{self, Tier};

/// One entry's standing for a message: the fused score and the two scores it blends.
#[derive(Debug, Clone, PartialEq)]
pub struct Scored {
    pub entry: EntryId,
    /// `head_weight * head + (1 - head_weight) * lexical`.
    pub score: f32,
    /// The trained head's probability for the entry.
    pub head: f32,
    /// The lexical matcher's score for the entry.
    pub lexical: f32,
}

/// What the model makes of one message: the head's probabilities (entries, then none) and the
/// warning-sign detector's (none, physio, urgent, emergency).
#[derive(Debug, Clone)]
pub(super) struct Semantic {
    pub head: Vec<f32>,
    pub signs: Vec<f32>,
}

/// Every entry with its fused score, best first, and whether the head and the lexical matcher
/// both put the best one first. Without the model (it failed) the lexical score stands alone.
pub(super) fn rank(
    kb: &KnowledgeBase,
    analysis: &Analysis,
    semantic: Option<&Semantic>,
    head_weight: f32,
) -> (Vec<Scored>, bool) {
    let n = kb.entries.len();
    let mut lexical = vec![0.0f32; n];
    for c in &analysis.candidates {
        lexical[c.entry] = c.score;
    }
    let alpha = if semantic.is_some() { head_weight } else { 0.0 };
    let mut ranked: Vec<(usize, f32, f32)> = (0..n)
        .map(|i| {
            let head = semantic.map_or(0.0, |s| s.head[i]);
            (i, alpha * head + (1.0 - alpha) * lexical[i], head)
        })
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let agree = match (semantic, ranked.first()) {
        (Some(s), Some(&(top, ..))) => {
            let head_best = (0..n).max_by(|&a, &b| s.head[a].total_cmp(&s.head[b]));
            head_best == Some(top) && analysis.top().map(|c| c.entry) == Some(top)
        }
        _ => true,
    };
    let scored = ranked
        .into_iter()
        .map(|(i, score, head)| Scored {
            entry: kb.entries[i].id.clone(),
            score,
            head,
            lexical: lexical[i],
        })
        .collect();
    (scored, agree)
}

/// How urgently the member should get help: the most urgent of what the explicit rules and
/// the learnt detector find.
pub(super) fn tier(
    message: &Prepared,
    signs: &[triage::Sign],
    semantic: Option<&Semantic>,
    config: &EngineConfig,
) -> Option<Tier> {
    let words = message.words();
    // The detector only speaks about messages that mention a body or a symptom, and not about
    // ones that say it came to nothing ("recovered fine", "ran it off"): it learnt that injury
    // words mean an injury, and club chat is full of them in jest. The rules below still speak,
    // with their own exclusions.
    let detected = semantic
        .filter(|_| triage::bodily(words) && !triage::reassured(words))
        .and_then(|s| detected_tier(&s.signs, config));
    // The explicit rules: emergency and urgent descriptions, and the signs that call for a
    // physio (those need a body or pain word, so "my bag strap snapped" doesn't escalate).
    let ruled = triage::urgent_tier(words).or((!signs.is_empty()).then_some(Tier::Physio));
    detected.max(ruled)
}

/// The tier the warning-sign detector sees, from its probabilities (none, physio, urgent,
/// emergency). Emergency and urgent have their own, lower threshold: missing one costs far
/// more than a needless "get this seen now".
fn detected_tier(p: &[f32], config: &EngineConfig) -> Option<Tier> {
    let urgent = p[2] + p[3];
    if urgent >= config.detector.urgent_threshold {
        return Some(if p[3] >= p[2] {
            Tier::Emergency
        } else {
            Tier::Urgent
        });
    }
    // A warning sign, but urgent and emergency together short of their threshold: the physio
    // tier, whichever of the three scored highest.
    if 1.0 - p[0] >= config.detector.sign_threshold {
        return Some(Tier::Physio);
    }
    None
}
