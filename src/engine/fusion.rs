//! Fusion: the trained head's probabilities and the lexical matcher's scores blended into one
//! ranking, and the explicit triage rules and the learnt detector combined into one tier.

use crate::config::EngineConfig;
use crate::knowledge::{EntryId, KnowledgeBase};
use crate::matcher::Analysis;
use crate::prepared::Prepared;
use crate::triage::{self, Tier};

use super::policy::Mode;

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
    rules: &[triage::TierRule],
    message: &Prepared,
    signs: &[triage::Sign],
    semantic: Option<&Semantic>,
    config: &EngineConfig,
    mode: Mode,
) -> Option<Tier> {
    let words = message.words();
    // The detector does not speak about messages that say it came to nothing ("recovered
    // fine", "ran it off"), a near-certain phrase list. It reads everything else: on the
    // fine-tuned encoder, gating it on a list of body words only cost emergencies told without
    // one ("shaking all over and foaming at the mouth"), with no false alarm saved (a fold the
    // encoder never saw: urgent injuries 34 to 36 of 36, look-alike alarms 9 of 84 either way).
    let detected = semantic
        .filter(|_| !triage::reassured(words))
        .and_then(|s| detected_tier(&s.signs, config, mode));
    // The explicit rules: emergency and urgent descriptions, and the signs that call for a
    // physio (those need a body or pain word, so "my bag strap snapped" doesn't escalate). The
    // learnt model is the primary decision: a rule is overruled when the detector is
    // near-certain the message describes nothing at all ("the gazebo collapsed", "collapsed at
    // the finish last year, fine now"), which words alone can't tell.
    // The physio signs keep one veto in both modes: in a channel they only put the physio
    // advice in front of an answer, never a "call 999" of their own.
    let (veto, sign_veto) = match mode {
        Mode::Ask => (config.detector.rule_veto, config.detector.sign_veto),
        Mode::Auto(_) => (config.auto.rule_veto, config.detector.sign_veto),
    };
    let nothing = semantic.map_or(0.0, |s| s.signs[0]);
    let urgent_rule = triage::urgent_tier(words, rules).filter(|_| nothing <= veto);
    let physio_rule = (!signs.is_empty() && nothing <= sign_veto).then_some(Tier::Physio);
    let ruled = urgent_rule.or(physio_rule);
    detected.max(ruled)
}

/// The tier the warning-sign detector sees, from its probabilities (none, physio, urgent,
/// emergency). Emergency and urgent have their own threshold: in ask mode lower than the
/// physio one (missing one costs far more than a needless "get this seen now"), in auto mode
/// higher (a safety reply posted unasked must be near-certain).
fn detected_tier(p: &[f32], config: &EngineConfig, mode: Mode) -> Option<Tier> {
    let urgent = p[2] + p[3];
    let threshold = match mode {
        Mode::Ask => config.detector.urgent_threshold,
        Mode::Auto(_) => config.auto.safety_threshold,
    };
    if urgent >= threshold {
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
