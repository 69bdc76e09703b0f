//! Text normalisation shared by the matcher, the triage and the knowledge checks; the one phrase
//! scanner ([`phrase_starts`]) every word list is read with.
//!
//! Members write short, long, slangy and all-caps; they misspell ("fome roler", "iliotibal") and
//! bury the question in chat. Everything the matcher compares goes through one pipeline, applied
//! the same way to the knowledge's example questions and to a member's message, so the two meet
//! on equal terms:
//!
//! 1. fold: Unicode NFKC, lower case, accents stripped, curly quotes made straight;
//! 2. words: punctuation and emoji dropped, possessive `'s` removed (so "Dom's" is `dom`, never
//!    `doms`), `%` kept as the word `percent`;
//! 3. spelling: British spellings mapped to one form (data, from the lexicon);
//! 4. false friends removed ("rolling hills", "IT guy"), so they cannot anchor a match;
//! 5. typo tolerance: an unknown word (in no example of the knowledge and not a real word the
//!    model knows) is corrected to the nearest topic word when it is one or two edits away;
//! 6. synonyms: phrases ("foam roller", "iliotibial band") become one concept term;
//! 7. stop words dropped and the remaining words stemmed ("rolling" and "rolled" meet).

use std::collections::{HashMap, HashSet};

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds case, compatibility forms, accents and quote styles.
pub fn fold(text: &str) -> String {
    let nfkc: String = text.nfkc().collect();
    let mut out = String::with_capacity(nfkc.len());
    for c in nfkc.to_lowercase().nfd() {
        if is_combining_mark(c) {
            continue;
        }
        out.push(match c {
            '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}' | '\u{2032}' | '`' | '\u{b4}' => '\'',
            _ => c,
        });
    }
    out
}

/// Splits folded text into words: letters and digits only, with `'s` possessives removed and
/// other apostrophes dropped ("can't" is `cant`).
pub fn words(folded: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(folded.len());
    for c in folded.chars() {
        if c.is_alphanumeric() || c == '\'' {
            spaced.push(c);
        } else if c == '%' {
            spaced.push_str(" percent ");
        } else {
            spaced.push(' ');
        }
    }
    spaced
        .split_whitespace()
        .filter_map(|raw| {
            let trimmed = raw.trim_matches('\'');
            let base = trimmed.strip_suffix("'s").unwrap_or(trimmed);
            let word: String = base.chars().filter(|&c| c != '\'').collect();
            (!word.is_empty()).then_some(word)
        })
        .collect()
}

/// Fold and split in one step.
pub fn fold_words(text: &str) -> Vec<String> {
    words(&fold(text))
}

/// Where `phrase` (folded words separated by single spaces: "cant catch my breath") starts in
/// `words`. The one phrase scanner: the intent rules, the triage rules and their exclusions all
/// read phrases this way.
pub fn phrase_starts<'a>(words: &'a [String], phrase: &'a str) -> impl Iterator<Item = usize> + 'a {
    let len = phrase.split(' ').count();
    (0..(words.len() + 1).saturating_sub(len)).filter(move |&i| {
        phrase
            .split(' ')
            .zip(&words[i..i + len])
            .all(|(p, w)| p == w)
    })
}

/// Whether `phrase` (see [`phrase_starts`]) occurs in `words`.
pub fn has_phrase(words: &[String], phrase: &str) -> bool {
    phrase_starts(words, phrase).next().is_some()
}

/// Words that carry no topic on their own. Kept in code because they are English, not
/// knowledge; words that matter to our answers ("before", "after", "long", "when", "why",
/// "not") are deliberately absent.
#[rustfmt::skip]
const STOP_WORDS: &[&str] = &[
    "a", "about", "actually", "again", "all", "also", "am", "an", "and", "any", "anyone",
    "anything", "are", "as", "at", "be", "been", "being", "bit", "bro", "but", "by", "can", "cant",
    "could", "couldnt", "did", "didnt", "do", "does", "doesnt", "doing", "dont", "each", "either",
    "else", "even", "ever", "every", "for", "from", "genuine", "genuinely", "get", "gets",
    "getting", "go", "going", "gonna", "got", "guys", "had", "has", "have", "having", "he", "her",
    "here", "hey", "hi", "him", "his", "how", "i", "id", "if", "im", "in", "into", "is", "isnt",
    "it", "its", "ive", "just", "know", "like", "lol", "lmao", "haha", "mate", "me", "might", "my",
    "myself", "of", "off", "ok", "okay", "on", "one", "or", "our", "out", "over", "people",
    "please", "pls", "q", "question", "quick", "really", "reckon", "reckons", "right", "said",
    "say", "says", "she", "should", "so", "some", "someone", "something", "still", "such", "sure",
    "tbh", "than", "that", "thats", "the", "their", "them", "then", "there", "these", "they",
    "thing", "things", "think", "this", "those", "to", "too", "u", "up", "us", "very", "want",
    "was", "wasnt", "way", "we", "were", "what", "whats", "which", "who", "whole", "will", "with",
    "wont", "would", "wouldnt", "wtf", "ya", "yeah", "yes", "you", "your", "youre", "yours",
    "anybody", "everyone", "folks", "hmm", "um", "uh", "pretty", "much", "lot", "lots", "way",
    "totally", "literally", "basically", "kind", "sort", "kinda", "sorta", "nah", "not", "no", "s",
    "t", "d", "ll", "re", "ve", "m", "af", "omg", "ffs", "tho", "though", "supposed", "supposedly",
    "apparently", "heard", "hear", "told", "tell", "asking", "ask", "wondering",
];

/// Whether `word` (folded) is one of the stop words.
fn is_stop_word(word: &str) -> bool {
    stop_words().contains(word)
}

fn stop_words() -> &'static HashSet<&'static str> {
    static SET: std::sync::OnceLock<HashSet<&'static str>> = std::sync::OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

/// The lexicon as the normaliser needs it: every phrase already folded into words.
#[derive(Debug, Clone, Default)]
pub struct LexiconSpec {
    /// (canonical term, variant phrases)
    pub synonyms: Vec<(String, Vec<String>)>,
    pub spellings: Vec<(String, String)>,
    pub false_friends: Vec<String>,
    /// Chat phrases that say nothing about the topic ("change my mind", "asking for a friend").
    pub fillers: Vec<String>,
    /// (subject shown to members, variant phrases)
    pub out_of_scope: Vec<(String, Vec<String>)>,
    /// Words the knowledge uses anywhere: never "corrected" as typos.
    pub known_words: Vec<String>,
    /// Words worth correcting a typo towards (topic words and keywords).
    pub typo_targets: Vec<String>,
}

/// A message after normalisation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Normalised {
    /// Folded words, before any other step: what the triage and intent rules read.
    pub words: Vec<String>,
    /// Terms the matcher compares: concept terms and stemmed content words.
    pub terms: Vec<String>,
    /// False-friend phrases that were found and neutralised.
    pub false_friends: Vec<String>,
    /// Out-of-scope subjects the message names.
    pub out_of_scope: Vec<String>,
    /// Spelling and typo corrections made, as (written, understood).
    pub corrections: Vec<(String, String)>,
}

/// Phrase table keyed by first word, longest phrase first.
#[derive(Debug, Default)]
struct Phrases<T> {
    by_first: HashMap<String, Vec<(Vec<String>, T)>>,
}

impl<T: Clone> Phrases<T> {
    fn insert(&mut self, phrase: Vec<String>, value: T) {
        if phrase.is_empty() {
            return;
        }
        let list = self.by_first.entry(phrase[0].clone()).or_default();
        if list.iter().any(|(p, _)| *p == phrase) {
            return;
        }
        list.push((phrase, value));
        list.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    }

    /// The longest phrase starting at `words[i]`, with its length.
    fn longest_at(&self, words: &[String], i: usize) -> Option<(usize, &T)> {
        self.by_first.get(&words[i]).and_then(|list| {
            list.iter().find_map(|(phrase, value)| {
                let end = i + phrase.len();
                (end <= words.len() && words[i..end] == phrase[..]).then_some((phrase.len(), value))
            })
        })
    }
}

/// The normalisation pipeline, built once from the lexicon (at start-up and on reload).
pub struct Normaliser {
    spellings: HashMap<String, String>,
    false_friends: Phrases<String>,
    out_of_scope: Phrases<String>,
    synonyms: Phrases<Vec<String>>,
    known: HashSet<String>,
    typo_targets: Vec<String>,
    stemmer: Stemmer,
}

impl std::fmt::Debug for Normaliser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Normaliser")
            .field("synonyms", &self.synonyms.by_first.len())
            .field("known_words", &self.known.len())
            .finish_non_exhaustive()
    }
}

impl Normaliser {
    pub fn new(spec: &LexiconSpec) -> Self {
        let spellings: HashMap<String, String> = spec
            .spellings
            .iter()
            .map(|(from, to)| (fold(from), fold(to)))
            .collect();
        let spell = |w: String| spellings.get(&w).cloned().unwrap_or(w);
        let phrase =
            |text: &str| -> Vec<String> { fold_words(text).into_iter().map(spell).collect() };

        let mut false_friends = Phrases::default();
        for p in &spec.false_friends {
            false_friends.insert(phrase(p), p.clone());
        }
        for p in &spec.fillers {
            // Fillers are dropped like false friends, but not reported as such.
            false_friends.insert(phrase(p), String::new());
        }
        let mut out_of_scope = Phrases::default();
        for (subject, variants) in &spec.out_of_scope {
            for v in variants {
                out_of_scope.insert(phrase(v), subject.clone());
            }
        }
        let mut synonyms = Phrases::default();
        for (term, variants) in &spec.synonyms {
            let canonical: Vec<String> = fold_words(term);
            for v in variants {
                synonyms.insert(phrase(v), canonical.clone());
            }
            // The canonical term itself is also a way of writing the concept.
            synonyms.insert(phrase(term), canonical.clone());
        }
        let mut known: HashSet<String> = spec
            .known_words
            .iter()
            .flat_map(|w| fold_words(w))
            .collect();
        known.extend(STOP_WORDS.iter().map(|s| s.to_string()));
        for list in synonyms.by_first.values() {
            for (p, _) in list {
                known.extend(p.iter().cloned());
            }
        }
        let mut typo_targets: Vec<String> = spec
            .typo_targets
            .iter()
            .flat_map(|w| fold_words(w))
            .filter(|w| w.chars().count() >= 4 && !w.chars().any(|c| c.is_ascii_digit()))
            .collect();
        typo_targets.sort();
        typo_targets.dedup();
        Normaliser {
            spellings,
            false_friends,
            out_of_scope,
            synonyms,
            known,
            typo_targets,
            stemmer: Stemmer::create(Algorithm::English),
        }
    }

    /// Normalises a member's message: typos are corrected.
    pub fn normalise(&self, text: &str) -> Normalised {
        self.run(text, true)
    }

    /// Normalises knowledge text (example questions, keywords): no typo correction, because the
    /// knowledge is the reference the corrections aim at.
    pub fn normalise_reference(&self, text: &str) -> Normalised {
        self.run(text, false)
    }

    /// The terms of a phrase that is already a term list in the knowledge (topic terms).
    pub fn terms_of(&self, text: &str) -> Vec<String> {
        self.run(text, false).terms
    }

    fn run(&self, text: &str, correct_typos: bool) -> Normalised {
        let folded = fold_words(text);
        let mut corrections = Vec::new();
        let spelled: Vec<String> = folded
            .iter()
            .map(|w| match self.spellings.get(w) {
                Some(s) => {
                    corrections.push((w.clone(), s.clone()));
                    s.clone()
                }
                None => w.clone(),
            })
            .collect();

        // False friends first: their words must not take part in anything after this.
        let mut kept = Vec::with_capacity(spelled.len());
        let mut false_friends = Vec::new();
        let mut i = 0;
        while i < spelled.len() {
            if let Some((len, name)) = self.false_friends.longest_at(&spelled, i) {
                if !name.is_empty() {
                    false_friends.push(name.clone());
                }
                i += len;
            } else {
                kept.push(spelled[i].clone());
                i += 1;
            }
        }

        let mut out_of_scope = Vec::new();
        let mut i = 0;
        while i < kept.len() {
            if let Some((len, subject)) = self.out_of_scope.longest_at(&kept, i) {
                if !out_of_scope.contains(subject) {
                    out_of_scope.push(subject.clone());
                }
                i += len;
            } else {
                i += 1;
            }
        }

        if correct_typos {
            for w in kept.iter_mut() {
                if let Some(fix) = self.correct(w) {
                    corrections.push((w.clone(), fix.clone()));
                    *w = fix;
                }
            }
        }

        let mut terms = Vec::new();
        let mut i = 0;
        while i < kept.len() {
            if let Some((len, canonical)) = self.synonyms.longest_at(&kept, i) {
                terms.extend(canonical.iter().cloned());
                i += len;
                continue;
            }
            let w = &kept[i];
            i += 1;
            if is_stop_word(w) {
                continue;
            }
            terms.push(self.stemmer.stem(w).into_owned());
        }

        Normalised {
            words: folded,
            terms,
            false_friends,
            out_of_scope,
            corrections,
        }
    }

    /// The topic word an unknown word is most likely a typo of, if any. Words of five letters
    /// or more may be one edit away (two from eight letters), with the first letter kept (typos
    /// rarely hit it); four-letter words only by two swapped letters ("bnad"), because short
    /// words have too many neighbours for anything looser.
    fn correct(&self, word: &str) -> Option<String> {
        let len = word.chars().count();
        if len < 4 || self.known.contains(word) || word.chars().any(|c| c.is_ascii_digit()) {
            return None;
        }
        if len == 4 {
            return self
                .typo_targets
                .iter()
                .find(|t| t.chars().count() == 4 && is_adjacent_swap(word, t))
                .cloned();
        }
        let max = if len >= 8 { 2 } else { 1 };
        let first = word.chars().next()?;
        let mut best: Option<(usize, &String)> = None;
        for target in &self.typo_targets {
            if !target.starts_with(first) || target.chars().count().abs_diff(len) > max {
                continue;
            }
            let d = strsim::osa_distance(word, target);
            if d <= max && best.is_none_or(|(bd, _)| d < bd) {
                best = Some((d, target));
            }
        }
        best.map(|(_, t)| t.clone())
    }
}

/// Whether `a` becomes `b` by swapping two neighbouring letters.
fn is_adjacent_swap(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len() != b.len() {
        return false;
    }
    let diff: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    matches!(diff.as_slice(), [i, j] if *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_drop_possessives_and_punctuation() {
        assert_eq!(fold_words("Dom's birthday!!"), vec!["dom", "birthday"]);
        assert_eq!(
            fold_words("DOMs are killing me 😩"),
            vec!["doms", "are", "killing", "me"]
        );
        assert_eq!(
            fold_words("can’t roll—really?"),
            vec!["cant", "roll", "really"]
        );
        assert_eq!(fold_words("1% stretch"), vec!["1", "percent", "stretch"]);
        assert_eq!(fold_words("Ｆｏａｍ ROLLÉR"), vec!["foam", "roller"]);
    }
}
