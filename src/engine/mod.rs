//! The answer engine: one prepared message in, one [`Response`] out. Pure and synchronous; the
//! CLI, `eval` and the Discord adapter all call [`Engine::prepare`] then [`Engine::respond`], so
//! what is measured is what members get.
//!
//! - [`fusion`]: the trained head and the lexical matcher blended into one ranking; the triage
//!   rules and the learnt detector combined into one tier.
//! - [`policy`]: ask and auto mode's decisions on the ranking, the confidence and the tier.
//! - [`render`]: the reply a member sees for the decision.

mod fusion;
mod policy;
mod render;

use std::sync::Arc;

use crate::classifier::TrainError;
use crate::config::{EngineConfig, ReplyConfig};
use crate::embed::{Embedder, ModelError};
use crate::knowledge::{Entry, EntryId, KnowledgeBase};
use crate::matcher::{Intent, MatchWeights, Matcher};
use crate::prepared::Prepared;
use crate::reply;
use crate::semantic::{self, Trained, Vectors};
use crate::triage::{self, Sign, Tier};

pub use fusion::Scored;
pub use policy::{AutoPolicy, Mode, Outcome, Silence, Target};

/// The engine's full response to one message.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub mode: Mode,
    pub outcome: Outcome,
    /// Calibrated confidence of the best entry, in `[0, 1]`: its fused score, reduced when the
    /// message names none of our topics, a subject we don't cover, or (ask mode) asks nothing.
    pub confidence: f32,
    /// The best entry, answered or not (for logs and `/autoreply test`).
    pub best: Option<EntryId>,
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

    /// What the reply is about, when the bot replies.
    pub fn target(&self) -> Option<Target> {
        self.outcome.target()
    }
}

/// One loaded knowledge base with its index and trained classifiers. Immutable: a reload
/// builds a new one and swaps it in whole.
#[derive(Debug)]
pub struct Engine {
    kb: KnowledgeBase,
    matcher: Matcher,
    embedder: Arc<Embedder>,
    trained: Trained,
    config: EngineConfig,
    reply: ReplyConfig,
    fallback: EntryId,
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
    /// Builds the engine: prepares every example of the knowledge as a member's message would
    /// be, embeds them (reusing the caches), trains the head and the warning-sign
    /// detector, and indexes the entries.
    pub fn new(
        kb: KnowledgeBase,
        config: EngineConfig,
        reply: ReplyConfig,
        embedder: Arc<Embedder>,
        caches: &crate::semantic::Caches,
    ) -> Result<Self, EngineError> {
        let matcher = matcher(&kb, &config, &embedder);
        let texts = model_texts(&kb, &matcher);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let started = std::time::Instant::now();
        let (vectors, stats) = Vectors::compute(&embedder, &refs, caches)?;
        tracing::info!(
            examples = texts.len(),
            cached = stats.reused,
            computed = stats.computed,
            ms = started.elapsed().as_millis() as u64,
            "example embeddings ready"
        );
        Self::build(kb, matcher, config, reply, embedder, &vectors)
    }

    /// Builds the engine from example embeddings already computed, by model text (see
    /// [`Engine::example_model_texts`]); any example missing from them is embedded here.
    /// Cross-validation trains many engines on subsets of one set of embeddings.
    pub fn with_vectors(
        kb: KnowledgeBase,
        config: EngineConfig,
        reply: ReplyConfig,
        embedder: Arc<Embedder>,
        vectors: &Vectors,
    ) -> Result<Self, EngineError> {
        let matcher = matcher(&kb, &config, &embedder);
        Self::build(kb, matcher, config, reply, embedder, vectors)
    }

    /// What the model embeds for each example of `kb`, each once: the examples prepared exactly
    /// as a member's message is, so that the head learns from what it will be shown.
    pub fn example_model_texts(
        kb: &KnowledgeBase,
        config: &EngineConfig,
        embedder: &Embedder,
    ) -> Vec<String> {
        model_texts(kb, &matcher(kb, config, embedder))
    }

    fn build(
        kb: KnowledgeBase,
        matcher: Matcher,
        config: EngineConfig,
        reply: ReplyConfig,
        embedder: Arc<Embedder>,
        vectors: &Vectors,
    ) -> Result<Self, EngineError> {
        let fallback = kb
            .entry(&reply.fallback_entry)
            .map(|e| e.id.clone())
            .ok_or_else(|| EngineError::UnknownFallback(reply.fallback_entry.clone()))?;
        // Every example as the model sees it: prepared exactly as a member's message is, and
        // whether the physio signs' phrases find a warning sign in it.
        let mut with_signs = std::collections::HashSet::new();
        let model_text: std::collections::HashMap<&str, String> = semantic::example_texts(&kb)
            .into_iter()
            .map(|t| {
                let prepared = matcher.prepare(t);
                if !triage::assess(prepared.words(), &kb.physio_signs).is_empty() {
                    with_signs.insert(t);
                }
                (t, prepared.model_text().to_string())
            })
            .collect();
        let missing: Vec<&str> = model_text
            .values()
            .map(String::as_str)
            .filter(|t| vectors.get(t).is_none())
            .collect();
        let extra = if missing.is_empty() {
            Vectors::default()
        } else {
            Vectors::compute(&embedder, &missing, &crate::semantic::Caches::none())?.0
        };
        let vector_of = |example: &str| {
            let t = model_text.get(example)?;
            vectors.get(t).or_else(|| extra.get(t))
        };
        let trained = semantic::train(
            &kb,
            &vector_of,
            &|example| with_signs.contains(example),
            &config.training.with_balance(config.head.balance),
            &config.training.with_balance(config.detector.balance),
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

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub fn embedder(&self) -> &Arc<Embedder> {
        &self.embedder
    }

    /// Auto mode with the configuration's own policy (a server's settings may choose another).
    pub fn auto(&self) -> Mode {
        Mode::Auto(AutoPolicy::from_config(&self.config))
    }

    /// An entry rendered as an answer, by id (for `/topic` and "did you mean" buttons).
    pub fn render_entry(&self, id: &str) -> Option<String> {
        self.kb
            .entry(id)
            .map(|e| reply::finish(&reply::answer(e), self.reply.max_chars))
    }

    /// The short safety reply for a second member in a channel that just got the full one.
    pub fn safety_repeat_text(&self, tier: Tier) -> String {
        let text = reply::safety_repeat(tier, &self.reply.emergency_number);
        reply::finish_with_footer(&text, reply::DISCLAIMER, self.reply.max_chars)
    }

    /// Entries whose title or id best fit what is typed, for autocomplete (at most `limit`).
    /// Lexical only: autocomplete runs on every keystroke.
    pub fn search_titles(&self, typed: &str, limit: usize) -> Vec<&Entry> {
        let typed = crate::text::fold(typed.trim());
        if typed.is_empty() {
            return self.kb.entries.iter().take(limit).collect();
        }
        let analysis = self.matcher.analyse(&self.matcher.prepare(&typed));
        let mut scored: Vec<(f32, usize)> = self
            .kb
            .entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let title = crate::text::fold(&e.title);
                let prefix = if title.contains(&typed) || e.id.contains(typed.as_str()) {
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

    /// Prepares a message once for everything the decision reads (see [`Prepared`]).
    pub fn prepare(&self, text: &str) -> Prepared {
        self.matcher.prepare(text)
    }

    /// Decides what to do with a prepared message and renders the reply.
    pub fn respond(&self, message: &Prepared, mode: Mode) -> Response {
        let embedding = message.embedding(|text| match self.embedder.embed(text) {
            Ok(v) => Some(v),
            Err(e) => {
                // Never seen in practice (the model ran at load); if it happens the lexical
                // matcher still answers, and the head is taken to know nothing.
                tracing::error!(error = %e, "embedding failed; answering from the lexical matcher");
                None
            }
        });
        let semantic = embedding.map(|v| fusion::Semantic {
            head: self.trained.head.probabilities(v),
            signs: self.trained.signs.probabilities(v),
        });
        let analysis = self.matcher.analyse(message);
        let (mut candidates, agree) = fusion::rank(
            &self.kb,
            &analysis,
            semantic.as_ref(),
            self.config.head.weight,
        );
        let n = self.kb.entries.len();
        let none_probability = semantic.as_ref().map_or(0.0, |s| s.head[n]);
        let warning_probability = semantic.as_ref().map_or(0.0, |s| 1.0 - s.signs[0]);
        let signs = triage::assess(message.words(), &self.kb.physio_signs);
        let tier = fusion::tier(
            &self.kb.triage_rules,
            message,
            &signs,
            semantic.as_ref(),
            &self.config,
            mode,
        );
        let out_of_scope = message.out_of_scope();
        let confidence =
            policy::confidence(&candidates, &analysis, out_of_scope, mode, &self.config);
        let context = policy::Context {
            analysis: &analysis,
            out_of_scope,
            candidates: &candidates,
            none_probability,
            confidence,
            agree,
            tier,
            fallback: &self.fallback,
            fits_background: &|id| self.kb.entry(id).is_some_and(|e| e.physio_background),
        };
        let outcome = policy::decide(&context, mode, &self.config);
        let text = render::render(
            &self.kb,
            &self.reply,
            &outcome,
            out_of_scope,
            &signs,
            tier,
            mode,
        );
        candidates.truncate(3);
        Response {
            mode,
            outcome,
            confidence,
            best: candidates.first().map(|c| c.entry.clone()),
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
}

/// The lexical matcher for `kb`, whose typo corrector knows the model's vocabulary as real
/// words.
fn matcher(kb: &KnowledgeBase, config: &EngineConfig, embedder: &Embedder) -> Matcher {
    let weights = MatchWeights {
        phrasing: config.matcher.phrasing_weight,
        unknown_word: config.matcher.unknown_word_weight,
    };
    Matcher::with_dictionary(kb, weights, embedder.words())
}

/// Each example's model text, each once.
fn model_texts(kb: &KnowledgeBase, matcher: &Matcher) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    semantic::example_texts(kb)
        .into_iter()
        .map(|t| matcher.prepare(t).model_text().to_string())
        .filter(|t| seen.insert(t.clone()))
        .collect()
}
