//! The answer engine: the ask-mode and auto-mode decisions on top of the matcher and triage.
//! Pure and synchronous; the CLI and the Discord adapter both call [`Engine::respond`].
//!
//! Confidence is the matcher's score for the best entry, reduced when the message names none of
//! our topics, names a subject we don't cover, or (ask mode) doesn't read as a question. Then:
//!
//! - **ask** (a member asked the bot): answer at `ask_answer` or above; offer up to
//!   `max_suggestions` "did you mean" entries at `ask_suggest` or above; otherwise decline and
//!   say what the bot can answer. A message with warning signs on one of our topics is always
//!   answered, leading with the physio recommendation.
//! - **auto** (the bot reads a channel): speak only when the message is a question, names one of
//!   our topics and nothing out of scope, and the best entry reaches `auto_answer` and beats the
//!   runner-up by `auto_margin`. Warning-sign questions on our topics get the physio reply.
//!   Everything else is silence, with the reason recorded (for `/autoreply test`).

use crate::config::{MatcherConfig, ReplyConfig};
use crate::knowledge::{Entry, KnowledgeBase};
use crate::matcher::{Analysis, Intent, MatchWeights, Matcher};
use crate::reply;
use crate::triage::{self, Sign};

/// Who the message was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A member asked the bot directly (`/ask`, the context menu, the CLI).
    Ask,
    /// The bot is reading a channel and decides on its own whether to speak.
    Auto,
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
            } => {
                write!(
                    f,
                    "confidence {confidence:.2} is below the threshold {threshold:.2}"
                )
            }
            Silence::Ambiguous { margin, needed } => {
                write!(
                    f,
                    "two entries fit almost equally (margin {margin:.2}, needs {needed:.2})"
                )
            }
        }
    }
}

/// What the bot decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Answer with this entry (index into the knowledge's entries).
    Answer { entry: usize },
    /// Offer these entries ("did you mean"), best first.
    Suggest { entries: Vec<usize> },
    /// Say no politely (ask mode) or stay silent (auto mode), for this reason.
    Decline { reason: Silence },
}

/// The engine's full response to one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub mode: Mode,
    pub outcome: Outcome,
    /// Calibrated confidence of the best entry, in `[0, 1]`.
    pub confidence: f32,
    /// The best entry, answered or not (for logs and `/autoreply test`).
    pub best: Option<usize>,
    /// How much the message reads as a question, and whether it names our topics.
    pub intent: Intent,
    pub on_topic: bool,
    /// Warning signs found; non-empty means the reply leads with the physio recommendation.
    pub signs: Vec<Sign>,
    /// The text a member would see; empty when auto mode stays silent.
    pub text: String,
}

impl Response {
    /// Whether the bot gave an answer (ask mode) or would post (auto mode).
    pub fn answered(&self) -> bool {
        matches!(self.outcome, Outcome::Answer { .. })
    }

    /// Whether the reply leads with a physio recommendation.
    pub fn escalated(&self) -> bool {
        !self.signs.is_empty() && !self.text.is_empty()
    }
}

/// One loaded knowledge base with its index. Immutable: a reload builds a new one and swaps it
/// in whole.
#[derive(Debug)]
pub struct Engine {
    kb: KnowledgeBase,
    matcher: Matcher,
    config: MatcherConfig,
    reply: ReplyConfig,
    fallback: usize,
}

/// The engine could not be built from this knowledge and configuration.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("reply.fallback_entry: no knowledge entry has the id `{0}`")]
    UnknownFallback(String),
}

impl Engine {
    pub fn new(
        kb: KnowledgeBase,
        config: MatcherConfig,
        reply: ReplyConfig,
    ) -> Result<Self, EngineError> {
        let fallback = kb
            .entries
            .iter()
            .position(|e| e.id == reply.fallback_entry)
            .ok_or_else(|| EngineError::UnknownFallback(reply.fallback_entry.clone()))?;
        let weights = MatchWeights {
            phrasing: config.phrasing_weight,
            unknown_word: config.unknown_word_weight,
        };
        let matcher = Matcher::new(&kb, weights);
        Ok(Engine {
            kb,
            matcher,
            config,
            reply,
            fallback,
        })
    }

    pub fn knowledge(&self) -> &KnowledgeBase {
        &self.kb
    }

    pub fn matcher(&self) -> &Matcher {
        &self.matcher
    }

    pub fn entry(&self, index: usize) -> &Entry {
        &self.kb.entries[index]
    }

    /// An entry rendered as an answer, by id (for `/topic` and "did you mean" buttons).
    pub fn render_entry(&self, id: &str) -> Option<String> {
        self.kb
            .entry(id)
            .map(|e| reply::finish(&reply::answer(e), self.reply.max_chars))
    }

    /// Entries whose title or id best fit what is typed, for autocomplete (at most `limit`).
    pub fn search_titles(&self, typed: &str, limit: usize) -> Vec<&Entry> {
        let typed = crate::text::fold(typed.trim());
        if typed.is_empty() {
            return self.kb.entries.iter().take(limit).collect();
        }
        let analysis = self.matcher.analyse(&typed);
        let mut scored: Vec<(f32, usize)> = self
            .kb
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let title = crate::text::fold(&e.title);
                let prefix = if title.contains(&typed) || e.id.contains(&typed) {
                    1.0
                } else {
                    0.0
                };
                let fuzzy = strsim::jaro_winkler(&typed, &title) as f32 * 0.5;
                let semantic = analysis
                    .candidates
                    .iter()
                    .find(|c| c.entry == i)
                    .map_or(0.0, |c| c.score);
                (prefix + fuzzy + semantic, i)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored
            .into_iter()
            .take(limit)
            .map(|(_, i)| &self.kb.entries[i])
            .collect()
    }

    /// Decides what to do with one message and renders the reply.
    pub fn respond(&self, text: &str, mode: Mode) -> Response {
        self.respond_with_threshold(text, mode, self.config.auto_answer)
    }

    /// As [`respond`](Self::respond), with the auto-mode threshold given (a server's
    /// sensitivity setting).
    pub fn respond_with_threshold(&self, text: &str, mode: Mode, auto_answer: f32) -> Response {
        let analysis = self.matcher.analyse(text);
        let signs = triage::assess(text);
        let confidence = self.confidence(&analysis, mode);
        let best = analysis.top().map(|c| c.entry);
        let outcome = match mode {
            Mode::Ask => self.decide_ask(&analysis, &signs, confidence),
            Mode::Auto => self.decide_auto(&analysis, &signs, confidence, auto_answer),
        };
        let text = self.render(&outcome, &analysis, &signs, mode);
        Response {
            mode,
            outcome,
            confidence,
            best,
            intent: analysis.intent,
            on_topic: analysis.on_topic,
            signs,
            text,
        }
    }

    fn confidence(&self, a: &Analysis, mode: Mode) -> f32 {
        let Some(top) = a.top() else { return 0.0 };
        let mut c = top.score;
        if !a.on_topic {
            c *= self.config.off_topic_factor;
        }
        if !a.normalised.out_of_scope.is_empty() {
            c *= self.config.out_of_scope_factor;
        }
        if mode == Mode::Ask && a.intent == Intent::None {
            c *= self.config.not_a_question_factor;
        }
        c.clamp(0.0, 1.0)
    }

    /// The entry to answer a warning-sign message with: the best match when it is at least
    /// "did you mean" good, else the general when-to-see-a-physio entry.
    fn escalation_entry(&self, a: &Analysis, confidence: f32) -> usize {
        match a.top() {
            Some(top) if confidence >= self.config.ask_suggest => top.entry,
            _ => self.fallback,
        }
    }

    fn decide_ask(&self, a: &Analysis, signs: &[Sign], confidence: f32) -> Outcome {
        let out_of_scope = &a.normalised.out_of_scope;
        if !signs.is_empty()
            && a.on_topic
            && (out_of_scope.is_empty() || confidence >= self.config.ask_suggest)
        {
            return Outcome::Answer {
                entry: self.escalation_entry(a, confidence),
            };
        }
        let Some(top) = a.top() else {
            return Outcome::Decline {
                reason: Silence::NoMatch,
            };
        };
        // Chat that isn't a question or a claim ("doms today haha") gets at most a "did you
        // mean": answering it outright would read as the bot butting in.
        if confidence >= self.config.ask_answer && a.intent != Intent::None {
            return Outcome::Answer { entry: top.entry };
        }
        if confidence >= self.config.ask_suggest && out_of_scope.is_empty() && a.on_topic {
            // Offer the entries close to the best one, not everything above the floor.
            let floor = top.score * 0.6;
            let entries = a
                .candidates
                .iter()
                .take(self.config.max_suggestions)
                .filter(|c| c.score >= floor)
                .map(|c| c.entry)
                .collect();
            return Outcome::Suggest { entries };
        }
        let reason = if !out_of_scope.is_empty() {
            Silence::OutOfScope(out_of_scope.clone())
        } else if !a.on_topic {
            Silence::NotOurTopic
        } else {
            Silence::LowConfidence {
                confidence,
                threshold: self.config.ask_suggest,
            }
        };
        Outcome::Decline { reason }
    }

    fn decide_auto(
        &self,
        a: &Analysis,
        signs: &[Sign],
        confidence: f32,
        threshold: f32,
    ) -> Outcome {
        let decline = |reason| Outcome::Decline { reason };
        if !a.normalised.out_of_scope.is_empty() {
            return decline(Silence::OutOfScope(a.normalised.out_of_scope.clone()));
        }
        if !a.on_topic {
            return decline(Silence::NotOurTopic);
        }
        if a.intent == Intent::None {
            return decline(Silence::NotAQuestion);
        }
        if !signs.is_empty() {
            return Outcome::Answer {
                entry: self.escalation_entry(a, confidence),
            };
        }
        let Some(top) = a.top() else {
            return decline(Silence::NoMatch);
        };
        if confidence < threshold {
            return decline(Silence::LowConfidence {
                confidence,
                threshold,
            });
        }
        let margin = a.margin();
        if margin < self.config.auto_margin {
            return decline(Silence::Ambiguous {
                margin,
                needed: self.config.auto_margin,
            });
        }
        Outcome::Answer { entry: top.entry }
    }

    fn render(&self, outcome: &Outcome, a: &Analysis, signs: &[Sign], mode: Mode) -> String {
        let text = match outcome {
            Outcome::Answer { entry } if !signs.is_empty() => {
                reply::escalated_answer(signs, &self.kb.entries[*entry])
            }
            Outcome::Answer { entry } => reply::answer(&self.kb.entries[*entry]),
            Outcome::Suggest { entries } => {
                let list: Vec<&Entry> = entries.iter().map(|&i| &self.kb.entries[i]).collect();
                reply::suggestions(&list)
            }
            Outcome::Decline { .. } if mode == Mode::Auto => return String::new(),
            Outcome::Decline { .. } => reply::decline(&a.normalised.out_of_scope, signs),
        };
        reply::finish(&text, self.reply.max_chars)
    }
}
