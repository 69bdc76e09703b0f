//! One message, prepared once for everything that reads it: the matcher, the intent rules, the
//! triage rules and the model. Before this existed the engine, the matcher and triage each
//! folded the text again (six times a message), and the model embedded a corrected text while
//! the examples it was trained on were embedded raw; now both go through [`Prepared::new`].

use std::sync::OnceLock;

use crate::text::{fold_words, Normalised, Normaliser};

/// A message as every part of the decision reads it. Made by
/// [`Engine::prepare`](crate::engine::Engine::prepare), with that engine's lexicon: use it with
/// the engine that made it.
#[derive(Debug)]
pub struct Prepared {
    raw: String,
    /// The text the model embeds: the message with the lexicon's spelling and typo corrections
    /// applied, so "streach ur IT bnad" reaches the model as "stretch ur IT band" (its
    /// vocabulary splits an unknown misspelling into pieces that mean little).
    model_text: String,
    normalised: Normalised,
    /// Each clause (split at punctuation) as folded words, for the intent rules.
    clauses: Vec<Vec<String>>,
    /// The model's embedding of `model_text`, computed on first use and shared by every
    /// decision on this message (ask and auto mode, in `eval`). `None`: the model failed.
    embedding: OnceLock<Option<Vec<f32>>>,
}

/// Where a message is split into clauses ("legs are wrecked, will rolling help").
const CLAUSE_BREAKS: [char; 10] = [
    ',', ';', ':', '.', '!', '?', '-', '\u{2013}', '\u{2014}', '(',
];

impl Prepared {
    /// Prepares a member's message: folded, normalised with typo correction, corrected for the
    /// model.
    pub fn new(text: &str, normaliser: &Normaliser) -> Prepared {
        let normalised = normaliser.normalise(text);
        let model_text = apply_corrections(text, &normalised.corrections);
        let clauses = text
            .split(CLAUSE_BREAKS)
            .map(fold_words)
            .filter(|w| !w.is_empty())
            .collect();
        Prepared {
            raw: text.to_string(),
            model_text,
            normalised,
            clauses,
            embedding: OnceLock::new(),
        }
    }

    /// The message as written.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// What the model embeds (see the field).
    pub fn model_text(&self) -> &str {
        &self.model_text
    }

    /// Folded words, before any other step: what the triage and intent rules read.
    pub fn words(&self) -> &[String] {
        &self.normalised.words
    }

    pub fn normalised(&self) -> &Normalised {
        &self.normalised
    }

    /// Out-of-scope subjects the message names.
    pub fn out_of_scope(&self) -> &[String] {
        &self.normalised.out_of_scope
    }

    pub fn clauses(&self) -> &[Vec<String>] {
        &self.clauses
    }

    /// Supplies the embedding of [`model_text`](Self::model_text) computed elsewhere (a batch
    /// in `eval`); ignored if it is already known.
    pub fn set_embedding(&self, embedding: Vec<f32>) {
        let _ = self.embedding.set(Some(embedding));
    }

    /// The embedding, computed by `embed` the first time it is asked for.
    pub fn embedding(&self, embed: impl FnOnce(&str) -> Option<Vec<f32>>) -> Option<&[f32]> {
        self.embedding
            .get_or_init(|| embed(&self.model_text))
            .as_deref()
    }
}

/// `text` with each corrected word replaced, keeping the rest (case, punctuation) as written.
fn apply_corrections(text: &str, fixes: &[(String, String)]) -> String {
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
