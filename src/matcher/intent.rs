//! Whether a message asks something: a question, a claim put to the reader, or chat. English
//! word lists, kept apart from the ranking in [`super`]; they read the [`Prepared`] message.

use crate::prepared::Prepared;
use crate::text::has_phrase;

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
const QUESTION_PHRASES: &[&str] = &[
    "should i", "can i", "do i", "could i", "would it",
    "will it", "will rolling", "is it", "is that", "is this",
    "isnt it", "or nah", "true or", "change my mind", "myth",
    "tips", "any advice", "anyone know", "any point", "vs", "versus",
    "which wins", "which one", "does it", "do they", "is there",
    "how do", "how long", "how many", "how much", "what about",
    "good idea", "bad idea", "good shout", "bad shout",
    "does that mean", "does it mean", "ok to", "okay to",
    "safe to", "normal", "legit", "thoughts", "bro science",
    "whole point", "am i",
];

/// Questions put to other members rather than to the knowledge: "who's bringing...",
/// "has anyone tried...", "how were the legs after...". They read as questions but are chat.
#[rustfmt::skip]
const SOCIAL_PHRASES: &[&str] = &[
    "who", "whos", "whose", "has anyone", "has anybody", "have you",
    "did you", "did anyone", "are you", "is anyone", "anyone got",
    "anyone want", "anyone fancy", "anyone else", "anyone doing",
    "who else", "anyone coming", "can someone", "could someone",
    "can somebody", "where did you", "how were", "how was",
    "what time", "whats everyone", "what is everyone", "everyone doing",
    "where is", "wheres", "you guys", "your foam", "your roller",
    "my place", "lift share",
];

/// Days and times that make a question about arrangements ("warm up at 6:15 tomorrow?").
#[rustfmt::skip]
const WHEN_WORDS: &[&str] = &[
    "tomorrow", "tonight", "today", "monday", "tuesday", "wednesday", "thursday", "friday",
    "saturday", "sunday", "weekend",
];

/// Whether the message asks other members something (plans, kit, how it went) rather than
/// something the knowledge answers. A second clause that is a question of its own still
/// counts: "anyone else get DOMS after marathons? does rolling help?".
fn social(p: &Prepared) -> bool {
    if !SOCIAL_PHRASES.iter().any(|s| has_phrase(p.words(), s)) {
        return arrangement(p.raw(), p.words());
    }
    let own_question = p.clauses().iter().any(|w| {
        w.len() >= 3
            && CLAUSE_OPENERS.contains(&w[0].as_str())
            && !SOCIAL_PHRASES.iter().any(|s| has_phrase(w, s))
    });
    !own_question
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
pub fn intent(p: &Prepared) -> Intent {
    let (raw, words) = (p.raw(), p.words());
    if social(p) {
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
    let clause_question = p
        .clauses()
        .iter()
        .any(|w| w.len() >= 3 && CLAUSE_OPENERS.contains(&w[0].as_str()));
    if clause_question {
        return Intent::Clear;
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
    if QUESTION_PHRASES.iter().any(|q| has_phrase(words, q)) {
        return Intent::Likely;
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
    use crate::text::{LexiconSpec, Normaliser};

    #[test]
    fn intent_table() {
        let normaliser = Normaliser::new(&LexiconSpec::default());
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
            (
                "anyone else get DOMS after marathons? does rolling help?",
                Intent::Clear,
            ),
            ("who's bringing the foam roller tomorrow?", Intent::None),
        ];
        for (text, want) in cases {
            assert_eq!(intent(&Prepared::new(text, &normaliser)), want, "{text}");
        }
    }
}
