//! Question in, ranked candidates out. Pure: no I/O, no Discord.
//!
//! Each entry is indexed by the terms of its example questions, keywords and title (after the
//! shared [`Normaliser`](crate::text::Normaliser)). A message is scored against every entry by
//! two IDF-weighted measures, so that rare, telling words ("cadaver", "textured") count for more
//! than words every entry shares ("roll"):
//!
//! - the cosine similarity with the entry's closest example question (phrasing), and
//! - the share of the message's weight that the entry's vocabulary explains (coverage), which
//!   falls when a message is about something else ("massage gun", "gels").
//!
//! The score is a weighted blend of the two, in `[0, 1]`. The [`Analysis`] also carries what the
//! decisions in [`engine`](crate::engine) need beyond the ranking: whether the message names a
//! topic of ours at all, and whether it reads as a question ([`intent`], the English word lists).
//! It reads a [`Prepared`] message; the out-of-scope subjects are the preparation's.

use std::collections::{HashMap, HashSet};

mod intent;

pub use intent::Intent;

use crate::knowledge::{Entry, KnowledgeBase};
use crate::prepared::Prepared;
use crate::text::Normaliser;

/// One ranked candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Index into [`KnowledgeBase::entries`] of the knowledge this matcher was built on (the
    /// engine turns it into an [`EntryId`](crate::knowledge::EntryId) before it leaves).
    pub entry: usize,
    /// Blended similarity in `[0, 1]`.
    pub score: f32,
}

/// What the matcher makes of a message.
#[derive(Debug, Clone)]
pub struct Analysis {
    /// Best first; every entry with a non-zero score.
    pub candidates: Vec<Candidate>,
    /// The message names one of our topics (foam rolling, IT band, DOMS, warm-ups, ...).
    pub on_topic: bool,
    /// How much the message reads as a question or a claim put to the bot.
    pub intent: Intent,
}

impl Analysis {
    pub fn top(&self) -> Option<&Candidate> {
        self.candidates.first()
    }

    /// Top score minus the best score of another entry.
    pub fn margin(&self) -> f32 {
        match (self.candidates.first(), self.candidates.get(1)) {
            (Some(a), Some(b)) => a.score - b.score,
            (Some(a), None) => a.score,
            _ => 0.0,
        }
    }
}

#[derive(Debug)]
struct IndexedEntry {
    /// Unique terms of each example question.
    questions: Vec<Vec<String>>,
    /// Squared norm of each question's IDF vector.
    question_norms: Vec<f32>,
    /// Every term the entry uses in questions, keywords and title.
    vocab: HashSet<String>,
    /// Terms only its answer uses: they count towards coverage at half weight.
    answer_vocab: HashSet<String>,
}

impl IndexedEntry {
    /// One entry's terms, normalised as messages are. The question norms need the IDF of the
    /// whole knowledge, so they are left for the caller to fill in.
    fn build(normaliser: &Normaliser, e: &Entry) -> IndexedEntry {
        let questions: Vec<Vec<String>> = e
            .questions
            .iter()
            .map(|q| unique(normaliser.normalise_reference(q).terms))
            .collect();
        let mut vocab: HashSet<String> = questions.iter().flatten().cloned().collect();
        vocab.extend(normaliser.normalise_reference(&e.title).terms);
        for k in &e.keywords {
            vocab.extend(normaliser.normalise_reference(k).terms);
        }
        // Members often restate the facts of the answer in their question ("if fascia is
        // under skin, fat and muscle..."), so the answer's words count too, for less: an
        // answer mentions neighbouring topics in passing.
        let answer_vocab = normaliser
            .normalise_reference(&e.answer)
            .terms
            .into_iter()
            .filter(|t| !vocab.contains(t))
            .collect();
        IndexedEntry {
            questions,
            question_norms: Vec::new(),
            vocab,
            answer_vocab,
        }
    }
}

/// The IDF of every term the entries use, and the highest IDF possible (a term of one entry).
/// Document frequency is over entries: a term every entry uses tells us nothing.
fn idf_weights(indexed: &[IndexedEntry]) -> (HashMap<String, f32>, f32) {
    let n = indexed.len() as f32;
    let mut df: HashMap<&str, usize> = HashMap::new();
    for e in indexed {
        for t in &e.vocab {
            *df.entry(t.as_str()).or_default() += 1;
        }
    }
    let mut idf: HashMap<String, f32> = df
        .into_iter()
        .map(|(t, d)| (t.to_string(), ((n + 1.0) / (d as f32 + 0.5)).ln()))
        .collect();
    let idf_max = ((n + 1.0) / 1.5).ln();
    // Words only answers use get the rarest weight rather than the unknown one.
    for e in indexed {
        for t in &e.answer_vocab {
            idf.entry(t.clone()).or_insert(idf_max);
        }
    }
    (idf, idf_max)
}

/// The index over one knowledge base. Built once per (re)load; cheap to query.
#[derive(Debug)]
pub struct Matcher {
    normaliser: Normaliser,
    entries: Vec<IndexedEntry>,
    idf: HashMap<String, f32>,
    idf_unknown: f32,
    /// Each topic as its terms: a message is on topic when it has all the terms of one
    /// ("static stretch" needs both words; "stretch" alone is not our topic).
    topic_terms: Vec<Vec<String>>,
    weights: MatchWeights,
}

/// How the two similarity measures are blended, and how much unknown words weigh.
#[derive(Debug, Clone, Copy)]
pub struct MatchWeights {
    /// Weight of the closest-question cosine; coverage gets the rest.
    pub phrasing: f32,
    /// Weight of a word the knowledge never uses, relative to the rarest known word.
    pub unknown_word: f32,
}

impl Default for MatchWeights {
    fn default() -> Self {
        MatchWeights {
            phrasing: 0.6,
            unknown_word: 0.6,
        }
    }
}

impl Matcher {
    pub fn new(kb: &KnowledgeBase, weights: MatchWeights) -> Self {
        Self::with_dictionary(kb, weights, Vec::new())
    }

    /// As [`new`](Self::new), with a dictionary of real words (the model's vocabulary) that the
    /// typo corrector leaves alone besides the knowledge's own words.
    pub fn with_dictionary(kb: &KnowledgeBase, weights: MatchWeights, words: Vec<String>) -> Self {
        let lex = &kb.lexicon;
        let mut spec = kb.lexicon_spec();
        spec.known_words.extend(words);
        let normaliser = Normaliser::new(&spec);

        let mut indexed: Vec<IndexedEntry> = kb
            .entries
            .iter()
            .map(|e| IndexedEntry::build(&normaliser, e))
            .collect();
        let (idf, idf_max) = idf_weights(&indexed);
        let idf_unknown = idf_max * weights.unknown_word;
        for e in &mut indexed {
            e.question_norms = e
                .questions
                .iter()
                .map(|q| {
                    q.iter()
                        .map(|t| sq(idf.get(t).copied().unwrap_or(idf_unknown)))
                        .sum()
                })
                .collect();
        }
        let topic_terms = lex
            .topic_terms
            .iter()
            .map(|t| normaliser.terms_of(t))
            .filter(|t| !t.is_empty())
            .collect();
        Matcher {
            normaliser,
            entries: indexed,
            idf,
            idf_unknown,
            topic_terms,
            weights,
        }
    }

    pub fn normaliser(&self) -> &Normaliser {
        &self.normaliser
    }

    fn weight(&self, term: &str) -> f32 {
        self.idf.get(term).copied().unwrap_or(self.idf_unknown)
    }

    /// Prepares a message for every reader of it (this matcher, intent, triage, the model),
    /// with this knowledge's lexicon.
    pub fn prepare(&self, text: &str) -> Prepared {
        Prepared::new(text, &self.normaliser)
    }

    /// Analyses a prepared message: ranking, topic, intent.
    pub fn analyse(&self, message: &Prepared) -> Analysis {
        let terms = unique(message.normalised().terms.clone());
        let on_topic = self
            .topic_terms
            .iter()
            .any(|topic| topic.iter().all(|t| terms.contains(t)));
        let intent = intent::intent(message);
        let candidates = self.rank(&terms);
        Analysis {
            candidates,
            on_topic,
            intent,
        }
    }

    fn rank(&self, terms: &[String]) -> Vec<Candidate> {
        let total: f32 = terms.iter().map(|t| sq(self.weight(t))).sum();
        if total <= 0.0 {
            return Vec::new();
        }
        let mut out: Vec<Candidate> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, e)| {
                let covered: f32 = terms
                    .iter()
                    .map(|t| {
                        if e.vocab.contains(t) {
                            sq(self.weight(t))
                        } else if e.answer_vocab.contains(t) {
                            ANSWER_WORD_SHARE * sq(self.weight(t))
                        } else {
                            0.0
                        }
                    })
                    .sum();
                let coverage = covered / total;
                let phrasing = e
                    .questions
                    .iter()
                    .zip(&e.question_norms)
                    .map(|(q, norm)| {
                        let shared: f32 = terms
                            .iter()
                            .filter(|t| q.contains(*t))
                            .map(|t| sq(self.weight(t)))
                            .sum();
                        if *norm > 0.0 {
                            shared / (total.sqrt() * norm.sqrt())
                        } else {
                            0.0
                        }
                    })
                    .fold(0.0f32, f32::max);
                let w = self.weights.phrasing;
                let score = (w * phrasing + (1.0 - w) * coverage).clamp(0.0, 1.0);
                (score > 0.0).then_some(Candidate { entry: i, score })
            })
            .collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.entry.cmp(&b.entry)));
        out
    }
}

/// How much a word found only in an entry's answer counts towards coverage.
const ANSWER_WORD_SHARE: f32 = 0.5;

fn sq(x: f32) -> f32 {
    x * x
}

fn unique(mut terms: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    terms.retain(|t| seen.insert(t.clone()));
    terms
}
