//! Warning signs, by explicit rule, in three tiers: emergency (call emergency services now),
//! urgent (get seen now: urgent care or A&E) and physio. Pure.
//!
//! The bot never diagnoses. [`urgent_tier`] finds descriptions of possible emergencies and
//! urgent injuries; [`assess`] finds the physio signs: pain that has lasted a week or more, is
//! getting worse, comes at night or at rest, keeps coming back, or comes with swelling,
//! numbness, limping, trouble bearing weight or a sharp pain that stops a run. The learnt
//! detector in the engine adds descriptions no rule lists. Every rule reads the folded words of
//! a [`Prepared`](crate::prepared::Prepared) message; a sign that is negated ("no swelling") or
//! hypothetical ("if it gets worse") does not count.

use std::fmt;

use crate::text::{has_phrase, phrase_starts};

/// How soon a member should get help, least urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// Get it assessed by a physio before training through it.
    Physio,
    /// Get seen now, within hours: urgent care or A&E.
    Urgent,
    /// Call emergency services now.
    Emergency,
}

impl Tier {
    pub const ALL: [Tier; 3] = [Tier::Physio, Tier::Urgent, Tier::Emergency];

    /// The tier's name in knowledge files, logs and `ask --json`.
    pub fn key(self) -> &'static str {
        match self {
            Tier::Physio => "physio",
            Tier::Urgent => "urgent",
            Tier::Emergency => "emergency",
        }
    }
}

/// A warning sign, named so that the reply can say what it noticed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sign {
    /// Pain for a week or more, or since a date.
    Persistent,
    Worsening,
    NightOrRest,
    Swelling,
    Numbness,
    Limping,
    WeightBearing,
    SharpOrSudden,
    Recurring,
}

impl Sign {
    pub const ALL: [Sign; 9] = [
        Sign::Persistent,
        Sign::Worsening,
        Sign::NightOrRest,
        Sign::Swelling,
        Sign::Numbness,
        Sign::Limping,
        Sign::WeightBearing,
        Sign::SharpOrSudden,
        Sign::Recurring,
    ];

    /// The sign's name in knowledge files.
    pub fn key(self) -> &'static str {
        match self {
            Sign::Persistent => "persistent",
            Sign::Worsening => "worsening",
            Sign::NightOrRest => "night_or_rest",
            Sign::Swelling => "swelling",
            Sign::Numbness => "numbness",
            Sign::Limping => "limping",
            Sign::WeightBearing => "weight_bearing",
            Sign::SharpOrSudden => "sharp_or_sudden",
            Sign::Recurring => "recurring",
        }
    }

    pub fn from_key(key: &str) -> Option<Sign> {
        Sign::ALL.into_iter().find(|s| s.key() == key)
    }

    /// How the reply names the sign, in plain words.
    pub fn describe(self) -> &'static str {
        match self {
            Sign::Persistent => "lasting a week or more",
            Sign::Worsening => "getting worse",
            Sign::NightOrRest => "pain at night or at rest",
            Sign::Swelling => "swelling, heat or bruising",
            Sign::Numbness => "numbness or pins and needles",
            Sign::Limping => "limping, or a change in how you walk or run",
            Sign::WeightBearing => "pain when you put weight on it",
            Sign::SharpOrSudden => "a sharp pain or a pop that stopped you",
            Sign::Recurring => "keeps coming back",
        }
    }
}

impl fmt::Display for Sign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.describe())
    }
}

/// Words that make a sign within three words after them not count: "no swelling", "not numb".
const NEGATIONS: &[&str] = &[
    "no", "not", "without", "never", "isnt", "wasnt", "arent", "dont", "doesnt", "zero",
];

/// Words that make a sign within two words after them hypothetical: "if it gets worse". Kept
/// to a short window so that "if I still can't walk" still counts. "In case" is matched as a
/// pair: "in" alone would cancel "pain in my chest".
const HYPOTHETICALS: &[&str] = &["if", "unless", "whether", "until"];

#[rustfmt::skip]
const NUMBER_WORDS: &[(&str, u32)] = &[
    ("a", 1), ("an", 1), ("one", 1), ("two", 2), ("three", 3), ("four", 4), ("five", 5), ("six", 6),
    ("seven", 7), ("eight", 8), ("nine", 9), ("ten", 10), ("eleven", 11), ("twelve", 12),
    ("fourteen", 14), ("couple", 2), ("few", 3), ("several", 4), ("many", 5),
];

#[rustfmt::skip]
const MONTHS: &[&str] = &[
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sept",
    "oct", "nov", "dec", "christmas", "xmas", "easter", "new",
];

/// The physio-tier signs' phrases, from the knowledge's `physio_signs`
/// (`knowledge/physio-signs.json`), validated there: every phrase is folded words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhysioSigns {
    /// Body parts: with `pain_words`, the context most signs need ("knot in my bag strap
    /// snapped" is not an injury).
    pub body_words: Vec<String>,
    /// Words that show the message is about pain or an injury (a duration alone is not a
    /// sign: "two weeks until the race").
    pub pain_words: Vec<String>,
    pub phrases: Vec<SignPhrase>,
}

/// One phrase that marks a sign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignPhrase {
    pub sign: Sign,
    pub phrase: String,
    /// Whether the message must also be about a body or pain; swelling, numbness and limping
    /// are bodily on their own.
    pub needs_context: bool,
}

/// The warning signs a message describes, each once, in a stable order.
pub fn assess(words: &[String], physio: &PhysioSigns) -> Vec<Sign> {
    let is_pain = |w: &String| physio.pain_words.contains(w);
    let context = words
        .iter()
        .any(|w| is_pain(w) || physio.body_words.contains(w));
    let mut signs = Vec::new();
    for p in &physio.phrases {
        if (context || !p.needs_context) && has(words, &p.phrase) {
            signs.push(p.sign);
        }
    }
    // "getting gradually worse", "has got a lot worse": a change verb shortly before "worse".
    let worsening = words.iter().enumerate().any(|(i, w)| {
        w == "worse"
            && words[i.saturating_sub(4)..i].iter().any(|v| {
                matches!(
                    v.as_str(),
                    "getting" | "got" | "gets" | "gone" | "becoming" | "grown" | "growing"
                )
            })
            && !cancelled(words, i)
    });
    if context && worsening {
        signs.push(Sign::Worsening);
    }
    if context && lasts_a_week_or_more(words) && words.iter().any(is_pain) {
        signs.push(Sign::Persistent);
    }
    signs.sort();
    signs.dedup();
    signs
}

/// One explicit rule for the urgent tiers, from the knowledge's `triage_rules`
/// (`knowledge/triage-rules.json`): it fires when every group has a word or phrase in the
/// message (not negated), and no word of `unless` is there. Groups are alternatives; a phrase is
/// folded words separated by spaces, matched as consecutive words. Rules are for the
/// near-certain; the learnt detector reads everything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierRule {
    pub tier: Tier,
    /// What the rule catches, for the people who review it.
    pub why: String,
    pub all: Vec<Vec<String>>,
    pub unless: Vec<String>,
}

/// Phrases that say a scare came to nothing: the learnt detector does not speak about these
/// (the explicit rules still do). Not "lol" or "haha": frightened people type them too.
const REASSURED: &[&str] = &[
    "recovered fine",
    "recovered quickly",
    "ran it off",
    "walked it off",
    "shook it off",
    "no swelling",
    "no pain",
    "all good",
    "all fine",
    "fine now",
    "fine after",
    "ok now",
    "okay now",
    "back to normal",
    "nothing serious",
    "not serious",
    "sorted me",
    "sorted it",
    "no issues since",
    "pints",
    "hungover",
    "hangover",
];

/// Whether the message says the scare came to nothing.
pub fn reassured(words: &[String]) -> bool {
    REASSURED.iter().any(|p| has_phrase(words, p))
}

/// Whether `phrase` (words separated by spaces) occurs in `words`, not negated.
fn has(words: &[String], phrase: &str) -> bool {
    phrase_starts(words, phrase).any(|i| !cancelled(words, i))
}

/// The most urgent tier an explicit rule finds: emergency, urgent, or none. The physio tier is
/// [`assess`]'s signs; the learnt detector adds descriptions no rule lists.
pub fn urgent_tier(words: &[String], rules: &[TierRule]) -> Option<Tier> {
    rules
        .iter()
        .filter(|r| {
            r.all
                .iter()
                .all(|group| group.iter().any(|p| has(words, p)))
                && !r.unless.iter().any(|u| words.contains(u))
        })
        .map(|r| r.tier)
        .max()
}

/// Whether a negation or a hypothetical stands just before position `i`.
fn cancelled(words: &[String], i: usize) -> bool {
    let near = |n: usize, list: &[&str]| {
        words[i.saturating_sub(n)..i]
            .iter()
            .any(|w| list.contains(&w.as_str()))
    };
    let pair_before = |n: usize, first: &str, second: &str| {
        words[i.saturating_sub(n)..i]
            .windows(2)
            .any(|p| p[0] == first && p[1] == second)
    };
    // "what if ... gets worse" is hypothetical however far apart the words are in the clause.
    near(3, NEGATIONS)
        || near(2, HYPOTHETICALS)
        || pair_before(3, "in", "case")
        || pair_before(6, "what", "if")
}

fn number(word: &str) -> Option<u32> {
    word.parse::<u32>().ok().or_else(|| {
        NUMBER_WORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, n)| *n)
    })
}

/// "for 10 days", "5 weeks", "a month", "since march", "since last tuesday", "for ages".
fn lasts_a_week_or_more(words: &[String]) -> bool {
    for (i, w) in words.iter().enumerate() {
        let prev = i.checked_sub(1).map(|j| words[j].as_str());
        let prev2 = i.checked_sub(2).map(|j| words[j].as_str());
        let count = prev.and_then(number).or_else(|| {
            // "a couple of weeks", "a few days"
            (prev == Some("of"))
                .then(|| prev2.and_then(number))
                .flatten()
        });
        match w.as_str() {
            "week" | "weeks" | "wk" | "wks" | "fortnight" | "month" | "months" | "year"
            | "years" => {
                // Dates and plans are not durations: "next week", "last week's race", "every
                // month", "race in 3 weeks", "once a week".
                let dated = count.is_none()
                    && matches!(prev, Some("next" | "this" | "last" | "per" | "every"));
                let future = prev == Some("in") || prev2 == Some("in");
                let frequency = matches!(prev2, Some("once" | "twice" | "times"));
                if !dated && !future && !frequency {
                    return true;
                }
            }
            "days" if count.is_some_and(|n| n >= 7) && prev2 != Some("in") => return true,
            "since" => {
                let next = words.get(i + 1).map(String::as_str);
                let next2 = words.get(i + 2).map(String::as_str);
                let month_soon = words[i + 1..(i + 5).min(words.len())]
                    .iter()
                    .any(|w| MONTHS.contains(&w.as_str()));
                if month_soon || (next == Some("last") && next2.is_some()) {
                    return true;
                }
            }
            "ages" if prev == Some("for") => return true,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled rules.
    fn rules() -> Vec<TierRule> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
        crate::knowledge::KnowledgeBase::load_dir(&dir)
            .expect("bundled knowledge loads")
            .triage_rules
    }

    #[test]
    fn urgent_tiers_and_look_alikes() {
        let cases = [
            (
                "tight heavy chest on the climbs and it hasn't eased",
                Some(Tier::Emergency),
            ),
            (
                "my clubmate collapsed at the finish and isn't responding",
                Some(Tier::Emergency),
            ),
            (
                "felt a pop at the back of my heel and now I can't push off",
                Some(Tier::Urgent),
            ),
            (
                "twisted my ankle on the trail and can't put weight on it",
                Some(Tier::Urgent),
            ),
            ("chest hurts from laughing at the fancy dress", None),
            ("collapsed on the sofa after the long run", None),
            ("legs felt like they'd collapse on the last hill", None),
            ("no chest pain, just tired legs", None),
            ("roll on spring, sick of head torches", None),
            (
                "banged my head on the trail and threw up twice",
                Some(Tier::Emergency),
            ),
            ("does rolling help DOMS?", None),
            // "in" is not hypothetical: only "in case" is.
            (
                "crushing tightness in my chest and it's going down my left arm",
                Some(Tier::Emergency),
            ),
            ("bring a spare top in case your chest gets cold", None),
            (
                "his face is drooping on one side and his words are slurred",
                Some(Tier::Emergency),
            ),
            ("slurring my words after three pints at the club do", None),
            (
                "fell on the descent and my wrist is bent at a funny angle",
                Some(Tier::Urgent),
            ),
            ("the route takes a funny angle at the canal bridge", None),
            (
                "got stung by a wasp on the trail and my lips and throat are swelling up",
                Some(Tier::Emergency),
            ),
            ("stung by a nettle on the trail, bit itchy", None),
            (
                "pee is dark brown after yesterday's ultra and my thighs are rock hard",
                Some(Tier::Urgent),
            ),
            (
                "pee was a bit dark this morning, think I didn't drink enough",
                None,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(
                urgent_tier(&crate::text::fold_words(text), &rules()),
                want,
                "{text}"
            );
        }
    }

    #[test]
    fn reassurance_is_read_as_phrases() {
        for yes in [
            "twisted my ankle a bit but ran it off, no swelling",
            "could barely breathe on the last rep but recovered fine",
            "head is pounding after the post-race pints",
        ] {
            assert!(reassured(&crate::text::fold_words(yes)), "{yes}");
        }
        for no in [
            "my mate collapsed at the finish and isn't responding",
            "chest pain lol should I be worried",
            "no, it isn't fine, the swelling is getting worse",
        ] {
            assert!(!reassured(&crate::text::fold_words(no)), "{no}");
        }
    }

    #[test]
    fn durations() {
        let yes = [
            "sore for 10 days now",
            "it has hurt for two weeks",
            "a couple of weeks of knee pain",
            "achy since march",
            "sore since last tuesday",
            "month long ache",
        ];
        for t in yes {
            assert!(lasts_a_week_or_more(&crate::text::fold_words(t)), "{t}");
        }
        let no = [
            "sore 2 days after my race",
            "race is next week",
            "roll twice per week",
            "see you this week",
        ];
        for t in no {
            assert!(!lasts_a_week_or_more(&crate::text::fold_words(t)), "{t}");
        }
    }
}
