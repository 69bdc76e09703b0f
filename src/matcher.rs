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
//! topic of ours at all, whether it reads as a question, and which out-of-scope subjects it names.

use std::collections::{HashMap, HashSet};

use crate::knowledge::KnowledgeBase;
use crate::text::{Normalised, Normaliser};

/// One ranked candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Index into [`KnowledgeBase::entries`].
    pub entry: usize,
    /// Blended similarity in `[0, 1]`.
    pub score: f32,
}

/// What the matcher makes of a message.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub normalised: Normalised,
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

/// Whether a message asks something. Chat that merely uses our words ("just foam rolled,
/// feeling great") is `None`; the auto-reply decision requires at least `Likely`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Intent {
    /// Chat: news, plans, how someone's legs feel today.
    None,
    /// A general claim about the topic ("rollers are a scam", "rolling breaks up knots"): worth
    /// answering when asked directly, not worth interrupting a channel for.
    Claim,
    /// A question without the usual markers ("... or nah", "... isnt it").
    Likely,
    /// A question mark or an interrogative opening.
    Clear,
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
        let lex = &kb.lexicon;
        let spec = kb.lexicon_spec();
        let normaliser = Normaliser::new(&spec);

        let mut indexed = Vec::with_capacity(kb.entries.len());
        for e in &kb.entries {
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
            indexed.push(IndexedEntry {
                questions,
                question_norms: Vec::new(),
                vocab,
                answer_vocab,
            });
        }

        // Document frequency over entries: a term every entry uses tells us nothing.
        let n = indexed.len() as f32;
        let mut df: HashMap<&str, usize> = HashMap::new();
        for e in &indexed {
            for t in &e.vocab {
                *df.entry(t.as_str()).or_default() += 1;
            }
        }
        let idf: HashMap<String, f32> = df
            .into_iter()
            .map(|(t, d)| (t.to_string(), ((n + 1.0) / (d as f32 + 0.5)).ln()))
            .collect();
        let idf_max = ((n + 1.0) / 1.5).ln();
        // Words only answers use get the rarest weight rather than the unknown one.
        let mut idf = idf;
        for e in &indexed {
            for t in &e.answer_vocab {
                idf.entry(t.clone()).or_insert(idf_max);
            }
        }
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

    /// Analyses a message: ranking, topic, intent.
    pub fn analyse(&self, text: &str) -> Analysis {
        let normalised = self.normaliser.normalise(text);
        let terms = unique(normalised.terms.clone());
        let on_topic = self
            .topic_terms
            .iter()
            .any(|topic| topic.iter().all(|t| terms.contains(t)));
        let intent = intent(text, &normalised.words);
        let candidates = self.rank(&terms);
        Analysis {
            normalised,
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

/// Opening words that make a message a question even without a question mark.
const QUESTION_OPENERS: &[&str] = &[
    "what", "whats", "how", "hows", "why", "when", "where", "which", "who", "is", "are", "am",
    "does", "do", "did", "can", "could", "should", "shall", "would", "will", "wont", "isnt",
    "arent", "doesnt", "dont", "any", "anyone", "anybody", "best", "better", "worth", "ok", "okay",
    "explain", "help", "advice", "tips", "name", "tell", "give", "list",
    // How questions get typed in a hurry.
    "dose", "shud", "shuld", "shld", "wat", "wot", "wats", "wots", "cud", "wud", "iz", "hw",
];

/// Openers that make a clause after a comma or full stop a question ("worth" or "best" there is
/// too often a remark: "worth it though").
const CLAUSE_OPENERS: &[&str] = &[
    "what", "whats", "how", "hows", "why", "when", "where", "which", "is", "are", "does", "do",
    "can", "could", "should", "would", "will", "isnt", "arent", "doesnt", "dont", "dose", "shud",
    "wat",
];

const WH_WORDS: &[&str] = &["what", "how", "why", "when", "where", "which"];

const AUXILIARIES: &[&str] = &[
    "do", "does", "did", "is", "are", "was", "can", "could", "should", "would", "will", "long",
    "much", "many", "often", "soon", "hard",
];

/// Phrases anywhere in a message that put a question or a claim to the reader.
#[rustfmt::skip]
const QUESTION_PHRASES: &[&[&str]] = &[
    &["should", "i"], &["can", "i"], &["do", "i"], &["could", "i"], &["would", "it"],
    &["will", "it"], &["will", "rolling"], &["is", "it"], &["is", "that"], &["is", "this"],
    &["isnt", "it"], &["or", "nah"], &["true", "or"], &["change", "my", "mind"], &["myth"],
    &["tips"], &["any", "advice"], &["anyone", "know"], &["any", "point"], &["vs"], &["versus"],
    &["which", "wins"], &["which", "one"], &["does", "it"], &["do", "they"], &["is", "there"],
    &["how", "do"], &["how", "long"], &["how", "many"], &["how", "much"], &["what", "about"],
    &["good", "idea"], &["bad", "idea"], &["good", "shout"], &["bad", "shout"],
    &["does", "that", "mean"], &["does", "it", "mean"], &["ok", "to"], &["okay", "to"],
    &["safe", "to"], &["normal"], &["legit"], &["thoughts"], &["bro", "science"],
    &["whole", "point"], &["am", "i"],
];

/// Questions put to other members rather than to the knowledge: "who's bringing...",
/// "has anyone tried...", "how were the legs after...". They read as questions but are chat.
#[rustfmt::skip]
const SOCIAL_PHRASES: &[&[&str]] = &[
    &["who"], &["whos"], &["whose"], &["has", "anyone"], &["has", "anybody"], &["have", "you"],
    &["did", "you"], &["did", "anyone"], &["are", "you"], &["is", "anyone"], &["anyone", "got"],
    &["anyone", "want"], &["anyone", "fancy"], &["anyone", "else"], &["anyone", "doing"],
    &["who", "else"], &["anyone", "coming"], &["can", "someone"], &["could", "someone"],
    &["can", "somebody"], &["where", "did", "you"], &["how", "were"], &["how", "was"],
    &["what", "time"], &["whats", "everyone"], &["what", "is", "everyone"], &["everyone", "doing"],
    &["where", "is"], &["wheres"], &["you", "guys"], &["your", "foam"], &["your", "roller"],
    &["my", "place"], &["lift", "share"],
];

/// Days and times that make a question about arrangements ("warm up at 6:15 tomorrow?").
#[rustfmt::skip]
const WHEN_WORDS: &[&str] = &[
    "tomorrow", "tonight", "today", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "weekend",
];

fn has_phrase(words: &[String], phrase: &[&str]) -> bool {
    words
        .windows(phrase.len())
        .any(|w| w.iter().zip(phrase).all(|(a, b)| a == b))
}

/// Whether the message asks other members something (plans, kit, how it went) rather than
/// something the knowledge answers. A second clause that is a question of its own still
/// counts: "anyone else get DOMS after marathons? does rolling help?".
fn social(raw: &str, words: &[String]) -> bool {
    if !SOCIAL_PHRASES.iter().any(|p| has_phrase(words, p)) {
        return arrangement(raw, words);
    }
    let own_question = clauses(raw).any(|c| {
        let w = crate::text::fold_words(c);
        w.len() >= 3
            && CLAUSE_OPENERS.contains(&w[0].as_str())
            && !SOCIAL_PHRASES.iter().any(|p| has_phrase(&w, p))
    });
    !own_question
}

fn clauses(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([
        ',', ';', ':', '.', '!', '?', '-', '\u{2013}', '\u{2014}', '(',
    ])
}

/// A clock time with a day: "warm up at 6:15 tomorrow?", "7am on sunday".
fn arrangement(raw: &str, words: &[String]) -> bool {
    let clock = raw.split_whitespace().any(|t| {
        let t = t
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        let digits = t.trim_end_matches("am").trim_end_matches("pm");
        let hour_suffix = t.len() > digits.len()
            && !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit());
        let hh_mm = digits.split_once([':', '.']).is_some_and(|(h, m)| {
            !h.is_empty()
                && h.len() <= 2
                && m.len() == 2
                && h.chars().chain(m.chars()).all(|c| c.is_ascii_digit())
        });
        hour_suffix || hh_mm
    });
    clock && words.iter().any(|w| WHEN_WORDS.contains(&w.as_str()))
}

/// Classifies a message as a question, a likely question, a claim, or chat.
pub fn intent(raw: &str, words: &[String]) -> Intent {
    if social(raw, words) {
        return Intent::None;
    }
    if raw.contains('?') {
        return Intent::Clear;
    }
    if words
        .first()
        .is_some_and(|w| QUESTION_OPENERS.contains(&w.as_str()))
    {
        return Intent::Clear;
    }
    // A question after a clause break: "legs are wrecked, will rolling help".
    for clause in clauses(raw) {
        let w = crate::text::fold_words(clause);
        if w.first()
            .is_some_and(|w| CLAUSE_OPENERS.contains(&w.as_str()))
            && w.len() >= 3
        {
            return Intent::Clear;
        }
    }
    // A question word followed by a verb anywhere: "... why do my legs feel looser".
    if words
        .windows(2)
        .any(|p| WH_WORDS.contains(&p[0].as_str()) && AUXILIARIES.contains(&p[1].as_str()))
    {
        return Intent::Clear;
    }
    // A tag at the end: "rolling gets the knots out right", "... innit".
    if words
        .last()
        .is_some_and(|w| matches!(w.as_str(), "right" | "innit" | "surely" | "yeah"))
    {
        return Intent::Likely;
    }
    for phrase in QUESTION_PHRASES {
        if words
            .windows(phrase.len())
            .any(|win| win.iter().zip(phrase.iter()).all(|(a, b)| a == b))
        {
            return Intent::Likely;
        }
    }
    if words.iter().any(|w| CLAIM_WORDS.contains(&w.as_str())) || raw.contains('=') {
        return Intent::Claim;
    }
    if general_statement(words) {
        return Intent::Claim;
    }
    Intent::None
}

/// A general statement, not news: "the IT band is a muscle you can stretch", "you need to roll
/// for half an hour", "static stretching is the best warm up". Either a rule ("need to",
/// "always", "the best") or "is/are" with a factual predicate (muscle, tendon, stretch...); in
/// no one's first person, about no particular day, and without the laughter of banter. "DOMS
/// are the worst" and "leg swings are so awkward" stay chat.
fn general_statement(words: &[String]) -> bool {
    const RULES: &[&str] = &["need", "needs", "must", "always", "best", "only"];
    const COPULAS: &[&str] = &["is", "are", "isnt", "arent"];
    const FACTS: &[&str] = &[
        "muscle",
        "muscles",
        "tendon",
        "ligament",
        "fascia",
        "stretch",
        "stretched",
        "release",
        "released",
        "lengthen",
        "longer",
        "tight",
        "fix",
        "cure",
        "treatment",
        "evidence",
        "research",
        "proven",
        "nerve",
        "nerves",
        "brain",
        "deeper",
        "deep",
    ];
    const PERSONAL: &[&str] = &[
        "i",
        "im",
        "ive",
        "id",
        "my",
        "me",
        "we",
        "were",
        "our",
        "us",
        "lol",
        "haha",
        "lmao",
        "yesterday",
        "week",
    ];
    let has = |list: &[&str]| words.iter().any(|w| list.contains(&w.as_str()));
    (has(RULES) || (has(COPULAS) && has(FACTS))) && !has(PERSONAL) && !has(WHEN_WORDS)
}

/// Words of judgement that make a statement a claim put to the reader ("rollers are a scam").
#[rustfmt::skip]
const CLAIM_WORDS: &[&str] = &[
    "myth", "myths", "scam", "con", "placebo", "pointless", "useless", "waste", "overrated",
    "nonsense", "rubbish", "bs", "bollocks", "rubbish", "works", "breaks", "fixes", "cures",
    "releases", "lengthens", "stretches", "reaches", "proven", "science", "true", "false",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        crate::text::fold_words(s)
    }

    #[test]
    fn intent_table() {
        let cases = [
            ("does rolling help?", Intent::Clear),
            ("how long should I roll before a run", Intent::Clear),
            (
                "legs wrecked after 20 miles, will rolling tonight help",
                Intent::Clear,
            ),
            ("rollers are a con, change my mind", Intent::Likely),
            ("just did some foam rolling, feeling great", Intent::None),
            ("doms today haha", Intent::None),
        ];
        for (text, want) in cases {
            assert_eq!(intent(text, &words(text)), want, "{text}");
        }
    }
}
