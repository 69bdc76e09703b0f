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

use std::path::Path;
use std::sync::Arc;

use crate::classifier::TrainError;
use crate::config::{MatcherConfig, ReplyConfig};
use crate::embed::{Embedder, ModelError};
use crate::knowledge::{Entry, KnowledgeBase};
use crate::matcher::{Analysis, Intent, MatchWeights, Matcher};
use crate::reply;
use crate::semantic::{self, Trained, Vectors};
use crate::triage::{self, Sign, Tier};

/// What the decisions look at, beyond the configuration.
struct Context<'a> {
    analysis: &'a Analysis,
    /// Every entry, best fused score first.
    candidates: &'a [Scored],
    none_probability: f32,
    confidence: f32,
    /// The head and the lexical matcher both rank the best entry first.
    agree: bool,
}

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
    /// A possible emergency or urgent injury: the advice to get help now, and nothing else
    /// (no entry, no training advice).
    Safety { tier: Tier },
}

/// One entry's standing for a message: the fused score and the two scores it blends.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scored {
    pub entry: usize,
    /// `head_weight * head + (1 - head_weight) * lexical`.
    pub score: f32,
    /// The trained head's probability for the entry.
    pub head: f32,
    /// The lexical matcher's score for the entry.
    pub lexical: f32,
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
    /// The best few entries with their scores, best first.
    pub candidates: Vec<Scored>,
    /// The trained head's probability that no entry answers the message.
    pub none_probability: f32,
    /// The warning-sign detector's probability that the message describes a warning sign.
    pub warning_probability: f32,
    /// How much the message reads as a question, and whether it names our topics.
    pub intent: Intent,
    pub on_topic: bool,
    /// Warning signs the explicit rules found (named in the reply).
    pub signs: Vec<Sign>,
    /// How urgently the member should get help, from the rules and the detector; `Some`
    /// means the reply leads with that advice.
    pub tier: Option<Tier>,
    /// The text a member would see; empty when auto mode stays silent.
    pub text: String,
}

impl Response {
    /// Whether the bot gave an answer (ask mode) or would post (auto mode).
    pub fn answered(&self) -> bool {
        matches!(
            self.outcome,
            Outcome::Answer { .. } | Outcome::Safety { .. }
        )
    }

    /// Whether the reply leads with advice to get help (physio, urgent care or emergency).
    pub fn escalated(&self) -> bool {
        self.tier.is_some() && !self.text.is_empty()
    }
}

/// What the model makes of one message: the head's probabilities (entries, then none) and the
/// warning-sign detector's (none, physio, urgent, emergency).
#[derive(Debug, Clone)]
struct Semantic {
    head: Vec<f32>,
    signs: Vec<f32>,
}

/// One loaded knowledge base with its index and trained classifiers. Immutable: a reload
/// builds a new one and swaps it in whole.
#[derive(Debug)]
pub struct Engine {
    kb: KnowledgeBase,
    matcher: Matcher,
    embedder: Arc<Embedder>,
    trained: Trained,
    config: MatcherConfig,
    reply: ReplyConfig,
    fallback: usize,
}

/// The engine could not be built from this knowledge and configuration.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("reply.fallback_entry: no knowledge entry has the id `{0}`")]
    UnknownFallback(String),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error(transparent)]
    Train(#[from] TrainError),
}

impl Engine {
    /// Builds the engine: embeds the knowledge's examples (reusing the cache in `cache_dir`),
    /// trains the head and the warning-sign detector, and indexes the entries.
    pub fn new(
        kb: KnowledgeBase,
        config: MatcherConfig,
        reply: ReplyConfig,
        embedder: Arc<Embedder>,
        cache_dir: Option<&Path>,
    ) -> Result<Self, EngineError> {
        let texts = semantic::example_texts(&kb);
        let started = std::time::Instant::now();
        let (vectors, stats) = Vectors::compute(&embedder, &texts, cache_dir)?;
        tracing::info!(
            examples = texts.len(),
            cached = stats.reused,
            computed = stats.computed,
            ms = started.elapsed().as_millis() as u64,
            "example embeddings ready"
        );
        Self::with_vectors(kb, config, reply, embedder, &vectors)
    }

    /// Builds the engine from example embeddings already computed (cross-validation trains
    /// many engines on subsets of one set of embeddings).
    pub fn with_vectors(
        kb: KnowledgeBase,
        config: MatcherConfig,
        reply: ReplyConfig,
        embedder: Arc<Embedder>,
        vectors: &Vectors,
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
        let trained = semantic::train(
            &kb,
            vectors,
            &config.training(config.head_balance),
            &config.training(config.sign_balance),
        )?;
        Ok(Engine {
            kb,
            matcher,
            embedder,
            trained,
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

    pub fn config(&self) -> &MatcherConfig {
        &self.config
    }

    pub fn embedder(&self) -> &Arc<Embedder> {
        &self.embedder
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
    /// Lexical only: autocomplete runs on every keystroke.
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
        self.respond_in_server(text, mode, auto_answer, true)
    }

    /// As [`respond_with_threshold`](Self::respond_with_threshold), for a server that may have
    /// turned auto-mode safety replies off (`safety`; the configuration can too).
    pub fn respond_in_server(
        &self,
        text: &str,
        mode: Mode,
        auto_answer: f32,
        safety: bool,
    ) -> Response {
        let safety = safety && self.config.auto_safety;
        match self.embedder.embed(&self.corrected(text)) {
            Ok(v) => self.respond_with_safety(text, &v, mode, auto_answer, safety),
            Err(e) => {
                // Never seen in practice (the model ran at load); if it happens the lexical
                // matcher still answers, and the head is taken to know nothing.
                tracing::error!(error = %e, "embedding failed; answering from the lexical matcher");
                self.decide(text, None, mode, auto_answer, safety)
            }
        }
    }

    /// The message with the lexical matcher's typo corrections applied, for the model: its
    /// vocabulary splits an unknown misspelling into pieces that mean little ("streach",
    /// "bnad"), while the matcher knows which word of the knowledge was meant.
    pub fn corrected(&self, text: &str) -> String {
        let fixes = self.matcher.normaliser().normalise(text).corrections;
        if fixes.is_empty() {
            return text.to_string();
        }
        text.split_whitespace()
            .map(|token| {
                let core = token.trim_matches(|c: char| !c.is_alphanumeric());
                let folded = crate::text::fold(core);
                match fixes.iter().find(|(written, _)| *written == folded) {
                    Some((_, fix)) if !core.is_empty() => token.replacen(core, fix, 1),
                    _ => token.to_string(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// As [`respond_with_threshold`](Self::respond_with_threshold), for a message whose
    /// embedding is already known.
    pub fn respond_embedded(
        &self,
        text: &str,
        embedding: &[f32],
        mode: Mode,
        auto_answer: f32,
    ) -> Response {
        self.respond_with_safety(text, embedding, mode, auto_answer, self.config.auto_safety)
    }

    fn respond_with_safety(
        &self,
        text: &str,
        embedding: &[f32],
        mode: Mode,
        auto_answer: f32,
        safety: bool,
    ) -> Response {
        let semantic = Semantic {
            head: self.trained.head.probabilities(embedding),
            signs: self.trained.signs.probabilities(embedding),
        };
        self.decide(text, Some(&semantic), mode, auto_answer, safety)
    }

    fn decide(
        &self,
        text: &str,
        semantic: Option<&Semantic>,
        mode: Mode,
        auto_answer: f32,
        safety: bool,
    ) -> Response {
        let analysis = self.matcher.analyse(text);
        let n = self.kb.entries.len();
        let mut lexical = vec![0.0f32; n];
        for c in &analysis.candidates {
            lexical[c.entry] = c.score;
        }
        let alpha = if semantic.is_some() {
            self.config.head_weight
        } else {
            0.0
        };
        let mut candidates: Vec<Scored> = (0..n)
            .map(|i| {
                let head = semantic.map_or(0.0, |s| s.head[i]);
                Scored {
                    entry: i,
                    score: alpha * head + (1.0 - alpha) * lexical[i],
                    head,
                    lexical: lexical[i],
                }
            })
            .collect();
        candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        let none_probability = semantic.map_or(0.0, |s| s.head[n]);
        let warning_probability = semantic.map_or(0.0, |s| 1.0 - s.signs[0]);

        let signs = triage::assess(text);
        // The detector only speaks about messages that mention a body or a symptom, and not
        // about ones that say it came to nothing ("recovered fine", "ran it off"): it learnt
        // that injury words mean an injury, and club chat is full of them in jest. The rules
        // below still speak, with their own exclusions.
        let detected = semantic
            .filter(|_| triage::bodily(text) && !triage::reassured(text))
            .and_then(|s| self.detected_tier(&s.signs));
        // The explicit rules: emergency and urgent descriptions, and the signs that call for a
        // physio (those need a body or pain word, so "my bag strap snapped" doesn't escalate).
        let ruled = triage::urgent_tier(text).or((!signs.is_empty()).then_some(Tier::Physio));
        let tier = detected.max(ruled);

        let mut context = Context {
            analysis: &analysis,
            candidates: &candidates,
            none_probability,
            confidence: 0.0,
            agree: true,
        };
        context.confidence = self.confidence(&context, mode);
        context.agree = match (semantic, candidates.first()) {
            (Some(s), Some(top)) => {
                let head_best = (0..n).max_by(|&a, &b| s.head[a].total_cmp(&s.head[b]));
                let lexical_best = analysis.top().map(|c| c.entry);
                head_best == Some(top.entry) && lexical_best == Some(top.entry)
            }
            _ => true,
        };
        let outcome = match mode {
            Mode::Ask => self.decide_ask(&context, tier),
            Mode::Auto => self.decide_auto(&context, tier, auto_answer, safety),
        };
        let text = self.render(&outcome, &analysis, &signs, tier, mode);
        let confidence = context.confidence;
        candidates.truncate(3);
        Response {
            mode,
            outcome,
            confidence,
            best: candidates.first().map(|c| c.entry),
            candidates,
            none_probability,
            warning_probability,
            intent: analysis.intent,
            on_topic: analysis.on_topic,
            signs,
            tier,
            text,
        }
    }

    /// The tier the warning-sign detector sees, from its probabilities (none, physio, urgent,
    /// emergency). Emergency and urgent have their own, lower threshold: missing one costs far
    /// more than a needless "get this seen now".
    fn detected_tier(&self, p: &[f32]) -> Option<Tier> {
        let urgent = p[2] + p[3];
        if urgent >= self.config.urgent_threshold {
            return Some(if p[3] >= p[2] {
                Tier::Emergency
            } else {
                Tier::Urgent
            });
        }
        // A warning sign, but urgent and emergency together short of their threshold: the
        // physio tier, whichever of the three scored highest.
        if 1.0 - p[0] >= self.config.sign_threshold {
            return Some(Tier::Physio);
        }
        None
    }

    fn confidence(&self, c: &Context, mode: Mode) -> f32 {
        let Some(top) = c.candidates.first() else {
            return 0.0;
        };
        let a = c.analysis;
        let mut conf = top.score;
        if !a.on_topic {
            conf *= self.config.off_topic_factor;
        }
        if !a.normalised.out_of_scope.is_empty() {
            conf *= self.config.out_of_scope_factor;
        }
        if mode == Mode::Ask && a.intent == Intent::None {
            conf *= self.config.not_a_question_factor;
        }
        conf.clamp(0.0, 1.0)
    }

    /// The entry to answer a warning-sign message with: the best match when it is at least
    /// "did you mean" good, else the general when-to-see-a-physio entry.
    fn escalation_entry(&self, c: &Context) -> usize {
        match c.candidates.first() {
            Some(top) if c.confidence >= self.config.ask_suggest => top.entry,
            _ => self.fallback,
        }
    }

    fn decide_ask(&self, c: &Context, tier: Option<Tier>) -> Outcome {
        let a = c.analysis;
        let out_of_scope = &a.normalised.out_of_scope;
        if let Some(tier) = tier {
            if tier >= Tier::Urgent {
                return Outcome::Safety { tier };
            }
            // The physio advice always comes (see `render`); the background of an entry only
            // when the message is about something the knowledge covers.
            if a.on_topic || c.confidence >= self.config.ask_suggest {
                return Outcome::Answer {
                    entry: self.escalation_entry(c),
                };
            }
        }
        let Some(top) = c.candidates.first().filter(|t| t.score > 0.0) else {
            return Outcome::Decline {
                reason: Silence::NoMatch,
            };
        };
        // Chat that isn't a question or a claim ("doms today haha") gets at most a "did you
        // mean": answering it outright would read as the bot butting in.
        if c.confidence >= self.config.ask_answer
            && a.intent != Intent::None
            && c.none_probability < self.config.ask_none_max
        {
            return Outcome::Answer { entry: top.entry };
        }
        // A message that names one of our topics gets a "did you mean" even when the head
        // doesn't recognise it ("doms?"): offering is cheap, and the member chooses.
        if c.confidence >= self.config.ask_suggest
            && out_of_scope.is_empty()
            && (c.none_probability < self.config.ask_none_max || a.on_topic)
        {
            // Offer the entries close to the best one, not everything above the floor.
            let floor = top.score * 0.6;
            let entries = c
                .candidates
                .iter()
                .take(self.config.max_suggestions)
                .filter(|s| s.score >= floor)
                .map(|s| s.entry)
                .collect();
            return Outcome::Suggest { entries };
        }
        let reason = if !out_of_scope.is_empty() {
            Silence::OutOfScope(out_of_scope.clone())
        } else if c.none_probability >= self.config.ask_none_max {
            Silence::NotOurTopic
        } else {
            Silence::LowConfidence {
                confidence: c.confidence,
                threshold: self.config.ask_suggest,
            }
        };
        Outcome::Decline { reason }
    }

    fn decide_auto(
        &self,
        c: &Context,
        tier: Option<Tier>,
        threshold: f32,
        safety: bool,
    ) -> Outcome {
        let a = c.analysis;
        let decline = |reason| Outcome::Decline { reason };
        // Urgent and emergency advice goes out whatever the topic (unless the server turned
        // safety replies off); a physio recommendation only to a question about something the
        // knowledge covers.
        let escalate = match tier {
            Some(t) if t >= Tier::Urgent => {
                if safety {
                    return Outcome::Safety { tier: t };
                }
                false
            }
            Some(_) => {
                a.intent != Intent::None
                    && a.normalised.out_of_scope.is_empty()
                    && (a.on_topic || c.confidence >= self.config.ask_suggest)
            }
            None => false,
        };
        if escalate {
            return Outcome::Answer {
                entry: self.escalation_entry(c),
            };
        }
        if !a.normalised.out_of_scope.is_empty() {
            return decline(Silence::OutOfScope(a.normalised.out_of_scope.clone()));
        }
        if self.config.auto_requires_topic && !a.on_topic {
            return decline(Silence::NotOurTopic);
        }
        if a.intent < Intent::Likely {
            return decline(Silence::NotAQuestion);
        }
        if c.none_probability >= self.config.auto_none_max {
            return decline(Silence::NotOurTopic);
        }
        let Some(top) = c.candidates.first() else {
            return decline(Silence::NoMatch);
        };
        if c.confidence < threshold {
            return decline(Silence::LowConfidence {
                confidence: c.confidence,
                threshold,
            });
        }
        let margin = c
            .candidates
            .get(1)
            .map_or(top.score, |s| top.score - s.score);
        let disagree = !c.agree && c.confidence < self.config.auto_agreement_below;
        if disagree || margin < self.config.auto_margin {
            return decline(Silence::Ambiguous {
                margin,
                needed: self.config.auto_margin,
            });
        }
        Outcome::Answer { entry: top.entry }
    }

    fn render(
        &self,
        outcome: &Outcome,
        a: &Analysis,
        signs: &[Sign],
        tier: Option<Tier>,
        mode: Mode,
    ) -> String {
        // Each reply is a body and the line that must survive any shortening.
        let (body, footer) = match outcome {
            Outcome::Answer { entry } if tier.is_some() => (
                reply::escalated_answer(signs, &self.kb.entries[*entry]),
                reply::DISCLAIMER,
            ),
            Outcome::Answer { entry } => (
                reply::answer_body(&self.kb.entries[*entry]),
                reply::PHYSIO_PROMPT,
            ),
            Outcome::Suggest { entries } => {
                let list: Vec<&Entry> = entries.iter().map(|&i| &self.kb.entries[i]).collect();
                return reply::finish(&reply::suggestions(&list), self.reply.max_chars);
            }
            Outcome::Safety { tier } => (
                reply::safety(*tier, &self.reply.emergency_number),
                reply::DISCLAIMER,
            ),
            Outcome::Decline { .. } if mode == Mode::Auto => return String::new(),
            Outcome::Decline { .. } => {
                let advice: Vec<&str> = self
                    .kb
                    .lexicon
                    .out_of_scope
                    .iter()
                    .filter(|o| a.normalised.out_of_scope.contains(&o.subject))
                    .filter_map(|o| o.advice.as_deref())
                    .collect();
                let text =
                    reply::decline(&a.normalised.out_of_scope, &advice, signs, tier.is_some());
                return reply::finish(&text, self.reply.max_chars);
            }
        };
        reply::finish_with_footer(&body, footer, self.reply.max_chars)
    }
}
