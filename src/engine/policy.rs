//! Policy: what the bot does with a message, given the fused ranking and the tier. Pure: no
//! model, no text, only scores, flags and the configuration's thresholds.
//!
//! - **ask** (a member asked the bot): answer at `ask.answer` or above; offer up to
//!   `ask.max_suggestions` "did you mean" entries at `ask.suggest` or above; otherwise decline and
//!   say what the bot can answer. A possible emergency or urgent injury gets the safety advice
//!   and nothing else; a message with physio signs on one of our topics is answered, leading
//!   with the physio recommendation.
//! - **auto** (the bot reads a channel): speak only when the message is a question, names one of
//!   our topics and nothing out of scope, the head's "none" probability is under `auto.none_max`,
//!   and the best entry reaches the policy's threshold and beats the runner-up by `auto_margin`
//!   (below `auto_agreement_below`, the head and the lexical matcher must also agree). A
//!   possible emergency or urgent injury gets the safety reply when the policy allows it.
//!   Everything else is silence, with the reason recorded (for `/autoreply test`).

use crate::config::EngineConfig;
use crate::knowledge::EntryId;
use crate::matcher::{Analysis, Intent};
use crate::triage::Tier;

use super::fusion::Scored;

/// Who the message was for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// A member asked the bot directly (`/ask`, the context menu, the CLI).
    Ask,
    /// The bot is reading a channel and decides on its own whether to speak.
    Auto(AutoPolicy),
}

impl Mode {
    pub fn is_auto(self) -> bool {
        matches!(self, Mode::Auto(_))
    }
}

/// How auto mode decides in one server: its threshold (from the server's sensitivity) and
/// whether it posts safety replies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AutoPolicy {
    /// The confidence the best entry must reach.
    pub answer: f32,
    /// Whether a possible emergency or urgent injury gets the safety reply, whatever its topic.
    pub safety: bool,
}

impl AutoPolicy {
    /// The configuration's own policy: `auto.answer` and `auto.safety`.
    pub fn from_config(config: &EngineConfig) -> AutoPolicy {
        AutoPolicy {
            answer: config.auto.answer,
            safety: config.auto.safety,
        }
    }
}

/// What a reply is about: an entry of the knowledge, or the advice to get help of one tier.
/// Cooldowns, stats, buttons and the shadow log key on this, never on a string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Entry(EntryId),
    Safety(Tier),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Entry(id) => write!(f, "{id}"),
            Target::Safety(tier) => write!(f, "{} advice", tier.key()),
        }
    }
}

/// Why the bot did not answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Silence {
    /// Nothing in the message touches the knowledge.
    NoMatch,
    /// The message names subjects the knowledge doesn't cover.
    OutOfScope(Vec<String>),
    /// The message names none of our topics.
    NotOurTopic,
    /// Chat, not a question (auto mode).
    NotAQuestion,
    /// The best match is below the threshold.
    LowConfidence { confidence: f32, threshold: f32 },
    /// Two entries fit about equally well (auto mode).
    Ambiguous { margin: f32, needed: f32 },
    /// A possible emergency or urgent injury, in a server that turned safety replies off.
    SafetyOff,
}

impl std::fmt::Display for Silence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Silence::NoMatch => f.write_str("nothing in the message matches the knowledge"),
            Silence::OutOfScope(s) => write!(
                f,
                "it is about {}, which the knowledge doesn't cover",
                s.join(", ")
            ),
            Silence::NotOurTopic => f.write_str("it names none of the bot's topics"),
            Silence::NotAQuestion => f.write_str("it doesn't read as a question"),
            Silence::LowConfidence {
                confidence,
                threshold,
            } => write!(
                f,
                "confidence {confidence:.2} is below the threshold {threshold:.2}"
            ),
            Silence::Ambiguous { margin, needed } => write!(
                f,
                "two entries fit almost equally (margin {margin:.2}, needs {needed:.2})"
            ),
            Silence::SafetyOff => f.write_str(
                "it may describe an emergency or urgent injury, and safety replies are off here",
            ),
        }
    }
}

/// What the bot decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Answer with this entry.
    Answer { entry: EntryId },
    /// Offer these entries ("did you mean"), best first.
    Suggest { entries: Vec<EntryId> },
    /// Say no politely (ask mode) or stay silent (auto mode), for this reason.
    Decline { reason: Silence },
    /// A possible emergency or urgent injury: the advice to get help now, and nothing else
    /// (no entry, no training advice).
    Safety { tier: Tier },
}

impl Outcome {
    /// What a reply with this outcome is about; `None` for a suggestion or a decline.
    pub fn target(&self) -> Option<Target> {
        match self {
            Outcome::Answer { entry } => Some(Target::Entry(entry.clone())),
            Outcome::Safety { tier } => Some(Target::Safety(*tier)),
            Outcome::Suggest { .. } | Outcome::Decline { .. } => None,
        }
    }
}

/// What the decisions look at, beyond the configuration.
pub(super) struct Context<'a> {
    pub analysis: &'a Analysis,
    /// Out-of-scope subjects the message names.
    pub out_of_scope: &'a [String],
    /// Every entry, best fused score first.
    pub candidates: &'a [Scored],
    pub none_probability: f32,
    pub confidence: f32,
    /// The head and the lexical matcher both rank the best entry first.
    pub agree: bool,
    pub tier: Option<Tier>,
    /// The entry that answers a warning-sign message when nothing more specific matches.
    pub fallback: &'a EntryId,
    /// Whether an entry may be shown under a physio recommendation (`physio_background`).
    pub fits_background: &'a dyn Fn(&EntryId) -> bool,
}

/// The calibrated confidence of the best entry: its fused score, reduced when the message names
/// none of our topics, names a subject we don't cover, or (ask mode) doesn't read as a question.
pub(super) fn confidence(
    candidates: &[Scored],
    analysis: &Analysis,
    out_of_scope: &[String],
    mode: Mode,
    config: &EngineConfig,
) -> f32 {
    let Some(top) = candidates.first() else {
        return 0.0;
    };
    let mut conf = top.score;
    if !analysis.on_topic {
        conf *= config.matcher.off_topic_factor;
    }
    if !out_of_scope.is_empty() {
        conf *= config.matcher.out_of_scope_factor;
    }
    if mode == Mode::Ask && analysis.intent == Intent::None {
        conf *= config.ask.not_a_question_factor;
    }
    conf.clamp(0.0, 1.0)
}

pub(super) fn decide(c: &Context, mode: Mode, config: &EngineConfig) -> Outcome {
    match mode {
        Mode::Ask => decide_ask(c, config),
        Mode::Auto(policy) => decide_auto(c, policy, config),
    }
}

/// The entry shown as background under a physio recommendation: the best match when it is at
/// least "did you mean" good and says nothing the recommendation would contradict (no "a gentle
/// roll is reasonable" under a swelling knee), else the general when-to-see-a-physio entry.
fn escalation_entry(c: &Context, config: &EngineConfig) -> EntryId {
    match c.candidates.first() {
        Some(top) if c.confidence >= config.ask.suggest && (c.fits_background)(&top.entry) => {
            top.entry.clone()
        }
        _ => c.fallback.clone(),
    }
}

fn decide_ask(c: &Context, config: &EngineConfig) -> Outcome {
    let a = c.analysis;
    if let Some(tier) = c.tier {
        if tier >= Tier::Urgent {
            return Outcome::Safety { tier };
        }
        // The physio advice always comes (see `render`); the background of an entry only when
        // the message is about something the knowledge covers.
        if a.on_topic || c.confidence >= config.ask.suggest {
            return Outcome::Answer {
                entry: escalation_entry(c, config),
            };
        }
    }
    let Some(top) = c.candidates.first().filter(|t| t.score > 0.0) else {
        return Outcome::Decline {
            reason: Silence::NoMatch,
        };
    };
    // Chat that isn't a question or a claim ("doms today haha") gets at most a "did you mean":
    // answering it outright would read as the bot butting in.
    if c.confidence >= config.ask.answer
        && a.intent != Intent::None
        && c.none_probability < config.ask.none_max
    {
        return Outcome::Answer {
            entry: top.entry.clone(),
        };
    }
    // A message that names one of our topics gets a "did you mean" even when the head doesn't
    // recognise it ("doms?"): offering is cheap, and the member chooses.
    if c.confidence >= config.ask.suggest
        && c.out_of_scope.is_empty()
        && (c.none_probability < config.ask.none_max || a.on_topic)
    {
        // Offer the entries close to the best one, not everything above the floor.
        let floor = top.score * 0.6;
        let entries = c
            .candidates
            .iter()
            .take(config.ask.max_suggestions)
            .filter(|s| s.score >= floor)
            .map(|s| s.entry.clone())
            .collect();
        return Outcome::Suggest { entries };
    }
    let reason = if !c.out_of_scope.is_empty() {
        Silence::OutOfScope(c.out_of_scope.to_vec())
    } else if c.none_probability >= config.ask.none_max {
        Silence::NotOurTopic
    } else {
        Silence::LowConfidence {
            confidence: c.confidence,
            threshold: config.ask.suggest,
        }
    };
    Outcome::Decline { reason }
}

fn decide_auto(c: &Context, policy: AutoPolicy, config: &EngineConfig) -> Outcome {
    let a = c.analysis;
    let decline = |reason| Outcome::Decline { reason };
    // Urgent and emergency advice goes out whatever the topic (unless the server turned safety
    // replies off, when the bot says nothing at all: no training advice to a possible
    // emergency); a physio recommendation only to a question about something we cover.
    match c.tier {
        Some(tier) if tier >= Tier::Urgent => {
            return if policy.safety {
                Outcome::Safety { tier }
            } else {
                decline(Silence::SafetyOff)
            };
        }
        Some(_)
            if a.intent != Intent::None
                && c.out_of_scope.is_empty()
                && (a.on_topic || c.confidence >= config.ask.suggest) =>
        {
            return Outcome::Answer {
                entry: escalation_entry(c, config),
            };
        }
        _ => {}
    }
    if !c.out_of_scope.is_empty() {
        return decline(Silence::OutOfScope(c.out_of_scope.to_vec()));
    }
    if config.auto.requires_topic && !a.on_topic {
        return decline(Silence::NotOurTopic);
    }
    if a.intent < Intent::Likely {
        return decline(Silence::NotAQuestion);
    }
    if c.none_probability >= config.auto.none_max {
        return decline(Silence::NotOurTopic);
    }
    let Some(top) = c.candidates.first() else {
        return decline(Silence::NoMatch);
    };
    if c.confidence < policy.answer {
        return decline(Silence::LowConfidence {
            confidence: c.confidence,
            threshold: policy.answer,
        });
    }
    let margin = c
        .candidates
        .get(1)
        .map_or(top.score, |s| top.score - s.score);
    let disagree = !c.agree && c.confidence < config.auto.agreement_below;
    if disagree || margin < config.auto.margin {
        return decline(Silence::Ambiguous {
            margin,
            needed: config.auto.margin,
        });
    }
    Outcome::Answer {
        entry: top.entry.clone(),
    }
}
