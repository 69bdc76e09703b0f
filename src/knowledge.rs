//! The knowledge files (`knowledge/*.json`): serde types at the edge, a validated
//! [`KnowledgeBase`] inside.
//!
//! Every file is a JSON object with an optional `entries` array and an optional `lexicon`
//! object; the files of a directory are merged. Loading reports *every* problem it can find,
//! each with file, line and column (of the JSON error, or of the entry or field at fault) and the
//! entry id, so that a moderator fixing a file fixes it in one pass. A knowledge base that has any
//! problem is never returned: callers keep what they had (see `reload` in the Discord adapter).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use chrono::{Datelike, NaiveDate};

use crate::triage::{PhysioSigns, Sign, SignPhrase, Tier, TierRule};

/// Longest answer accepted: with title, sources and the physio prompt a reply must stay well
/// under Discord's 2000-character limit.
pub const MAX_ANSWER_CHARS: usize = 1200;
/// Titles become button labels and autocomplete choices, which Discord caps at 80 and 100.
pub const MAX_TITLE_CHARS: usize = 80;
/// Longest example message: real posts run to several sentences of backstory before the
/// question, and examples must look like them (the model reads far more than this).
pub const MAX_QUESTION_CHARS: usize = 1000;
/// Ids travel in button custom ids (`rcb:vote:<id>:y`) and autocomplete values, which Discord
/// caps at 100 characters.
pub const MAX_ID_CHARS: usize = 60;
/// Fewest example questions per entry: the trained matcher learns an entry from its examples,
/// and its accuracy on unseen messages was still climbing at 12 per entry.
pub const MIN_QUESTIONS: usize = 20;
/// Fewest examples of messages the bot must not answer (the matcher's "none" class).
pub const MIN_NONE: usize = 20;
/// Fewest examples of each warning-sign tier.
pub const MIN_SIGNS_PER_TIER: usize = 5;

/// One problem found in the knowledge files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub entry: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if let Some(id) = &self.entry {
            write!(f, "entry `{id}`: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Why a knowledge directory could not be loaded: the full list of problems.
#[derive(Debug, thiserror::Error)]
#[error("{} problem(s) in the knowledge files:\n{}", .problems.len(), render(.problems))]
pub struct LoadError {
    pub problems: Vec<Problem>,
}

fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// How strong a source is, in the dossier's labels; a member reads it in plain words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// A Cochrane review or a large meta-analysis with consistent results.
    High,
    /// A meta-analysis of small trials, or a single reasonable trial.
    Moderate,
    /// A small trial, a case series, a narrative review, a lab or model study.
    Low,
    /// Health-service guidance: for routing and plain facts, not proof that a treatment works.
    Official,
}

impl Evidence {
    pub fn describe(self) -> &'static str {
        match self {
            Evidence::High => "strong evidence (a large review)",
            Evidence::Moderate => "moderate evidence (small trials)",
            Evidence::Low => "limited evidence (a small study or expert review)",
            Evidence::Official => "health-service guidance",
        }
    }
}

/// A source id as the knowledge cites it (`D3`, `S4a`), unique in its knowledge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(std::sync::Arc<str>);

impl SourceId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A study, review or guideline an answer rests on, from the knowledge's `sources` list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Source {
    pub id: SourceId,
    /// How a person cites it in a reply's source line: "Cochrane review, Herbert 2011".
    pub cite: String,
    pub authors: Option<String>,
    pub year: Option<u16>,
    pub title: String,
    /// The journal or the publisher.
    pub published_in: Option<String>,
    pub doi: Option<String>,
    pub pmid: Option<String>,
    pub url: Option<String>,
    pub evidence: Evidence,
}

impl Source {
    /// Where a member can read it: the DOI's resolver, else PubMed, else the page itself.
    pub fn link(&self) -> Option<String> {
        if let Some(doi) = &self.doi {
            return Some(format!("https://doi.org/{doi}"));
        }
        if let Some(pmid) = &self.pmid {
            return Some(format!("https://pubmed.ncbi.nlm.nih.gov/{pmid}/"));
        }
        self.url.clone()
    }

    /// The full citation, one line: authors (year). Title. Journal. DOI / PMID. Link.
    pub fn full_citation(&self) -> String {
        let mut out = String::new();
        if let Some(a) = &self.authors {
            out.push_str(a.trim_end_matches('.'));
            out.push(' ');
        }
        if let Some(y) = self.year {
            out.push_str(&format!("({y}). "));
        } else if !out.is_empty() {
            out.push_str("(n.d.). ");
        }
        out.push_str(self.title.trim_end_matches('.'));
        out.push('.');
        if let Some(j) = &self.published_in {
            out.push_str(&format!(" *{}*.", j.trim_end_matches('.')));
        }
        if let Some(doi) = &self.doi {
            out.push_str(&format!(" doi:{doi}."));
        }
        if let Some(pmid) = &self.pmid {
            out.push_str(&format!(" PMID {pmid}."));
        }
        if let Some(link) = self.link() {
            // Angle brackets stop Discord from unfurling a preview of every link.
            out.push_str(&format!(" <{link}>"));
        }
        out
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cite)
    }
}

/// An entry's id: lower-case letters, digits and dashes, unique in its knowledge. Only knowledge
/// validation makes one, so an `EntryId` always named an entry of some validated knowledge; it
/// is what leaves the engine (never an index, which means nothing in another snapshot).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId(std::sync::Arc<str>);

impl EntryId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for EntryId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for EntryId {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for EntryId {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

/// Unit tests of modules that only carry ids (stats, cooldowns) make them from text.
#[cfg(test)]
impl From<&str> for EntryId {
    fn from(id: &str) -> EntryId {
        EntryId(id.into())
    }
}

impl serde::Serialize for EntryId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// A validated knowledge entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: EntryId,
    pub title: String,
    pub topic: Option<String>,
    pub questions: Vec<String>,
    pub keywords: Vec<String>,
    pub answer: String,
    /// The sources the answer rests on, resolved from the ids the entry cites.
    pub sources: Vec<std::sync::Arc<Source>>,
    pub related: Vec<String>,
    /// When the answer was last checked against the evidence.
    pub reviewed: NaiveDate,
    /// The answer may be shown as background under a recommendation to see a physio: it
    /// suggests no self-treatment (no rolling, stretching or loading) that the recommendation
    /// would contradict.
    pub physio_background: bool,
}

/// A synonym group: every variant means `term`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Synonym {
    pub term: String,
    pub variants: Vec<String>,
}

/// A subject members ask about that the knowledge deliberately does not cover.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutOfScope {
    pub subject: String,
    pub variants: Vec<String>,
    /// Who to ask instead, said in the decline ("ask your midwife or GP").
    #[serde(default)]
    pub advice: Option<String>,
}

/// Words and phrases the matcher needs, kept in data so that a moderator can extend them.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lexicon {
    #[serde(default)]
    pub synonyms: Vec<Synonym>,
    #[serde(default)]
    pub spellings: BTreeMap<String, String>,
    #[serde(default)]
    pub false_friends: Vec<String>,
    #[serde(default)]
    pub fillers: Vec<String>,
    #[serde(default)]
    pub topic_terms: Vec<String>,
    #[serde(default)]
    pub out_of_scope: Vec<OutOfScope>,
}

/// An example of a warning-sign message, or of one that looks like it but isn't (`tier` none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignExample {
    pub text: String,
    pub tier: Option<Tier>,
}

/// The validated knowledge: entries in file order, the merged lexicon, and the examples the
/// trained parts of the matcher learn from besides the entries' own questions.
#[derive(Debug, Clone, PartialEq)]
pub struct KnowledgeBase {
    pub entries: Vec<Entry>,
    pub lexicon: Lexicon,
    /// Messages the bot must not answer: chatter that uses our words, questions we don't cover.
    pub none: Vec<String>,
    /// Warning-sign messages by tier, and look-alikes that are not.
    pub warning_signs: Vec<SignExample>,
    /// The explicit rules for the emergency and urgent tiers (`triage_rules`).
    pub triage_rules: Vec<TierRule>,
    /// The phrases of the physio tier's signs (`physio_signs`).
    pub physio_signs: PhysioSigns,
    /// Every source of the knowledge's `sources` lists, in file order.
    pub sources: Vec<std::sync::Arc<Source>>,
    pub files: usize,
}

impl KnowledgeBase {
    pub fn entry(&self, id: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.id == id)
    }

    /// The lexicon as the normaliser takes it, with the words the knowledge uses (typos are
    /// corrected towards them) and the terms worth correcting to: converted here, at the
    /// knowledge boundary, so the matcher never reads the file's shapes.
    pub fn lexicon_spec(&self) -> crate::text::LexiconSpec {
        let lex = &self.lexicon;
        let mut known_words: Vec<String> = Vec::new();
        let mut typo_targets: Vec<String> = Vec::new();
        for e in &self.entries {
            known_words.extend(e.questions.iter().cloned());
            known_words.push(e.answer.clone());
            known_words.push(e.title.clone());
            typo_targets.extend(e.keywords.iter().cloned());
        }
        // The other examples are members' words too: "knee locked" and "not settling" are
        // what they wrote, not typos of "looked" and "selling".
        known_words.extend(self.none.iter().cloned());
        known_words.extend(self.warning_signs.iter().map(|s| s.text.clone()));
        for s in &lex.synonyms {
            typo_targets.extend(s.variants.iter().cloned());
        }
        crate::text::LexiconSpec {
            synonyms: lex
                .synonyms
                .iter()
                .map(|s| (s.term.clone(), s.variants.clone()))
                .collect(),
            spellings: lex
                .spellings
                .iter()
                .map(|(a, b)| (a.clone(), b.clone()))
                .collect(),
            false_friends: lex.false_friends.clone(),
            fillers: lex.fillers.clone(),
            out_of_scope: lex
                .out_of_scope
                .iter()
                .map(|o| (o.subject.clone(), o.variants.clone()))
                .collect(),
            known_words,
            typo_targets,
        }
    }

    pub fn question_count(&self) -> usize {
        self.entries.iter().map(|e| e.questions.len()).sum()
    }

    pub fn source_count(&self) -> usize {
        self.sources.len()
    }

    pub fn source(&self, id: &str) -> Option<&std::sync::Arc<Source>> {
        self.sources.iter().find(|s| s.id.as_str() == id)
    }

    /// Loads and validates every `*.json` file in `dir` (sorted by name).
    pub fn load_dir(dir: &Path) -> Result<Self, LoadError> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
                .collect(),
            Err(e) => {
                return Err(LoadError {
                    problems: vec![Problem {
                        file: dir.to_path_buf(),
                        line: 0,
                        column: 0,
                        entry: None,
                        message: format!("cannot read the knowledge directory: {e}"),
                    }],
                })
            }
        };
        files.sort();
        let mut sources = Vec::with_capacity(files.len());
        let mut problems = Vec::new();
        for path in files {
            match std::fs::read_to_string(&path) {
                Ok(text) => sources.push((path, text)),
                Err(e) => problems.push(Problem {
                    file: path,
                    line: 0,
                    column: 0,
                    entry: None,
                    message: format!("cannot read file: {e}"),
                }),
            }
        }
        let refs: Vec<(&Path, &str)> = sources
            .iter()
            .map(|(p, t)| (p.as_path(), t.as_str()))
            .collect();
        match Self::from_sources(&refs) {
            Ok(kb) if problems.is_empty() => Ok(kb),
            Ok(_) => Err(LoadError { problems }),
            Err(mut e) => {
                problems.append(&mut e.problems);
                Err(LoadError { problems })
            }
        }
    }

    /// Parses and validates in-memory files (name, text): the core of [`load_dir`], and what
    /// the tests call.
    pub fn from_sources(files: &[(&Path, &str)]) -> Result<Self, LoadError> {
        let mut problems = Vec::new();
        let mut merged = merge_files(files, &mut problems);
        check_ids_and_references(&merged.entries, &mut problems);
        let sources = resolve_sources(&mut merged, &mut problems);
        check_examples(&merged.entries, &merged.none, &merged.signs, &mut problems);
        check_whole(files, &merged, &mut problems);
        if problems.is_empty() {
            Ok(KnowledgeBase {
                entries: merged.entries.into_iter().map(|(e, _)| e).collect(),
                lexicon: merged.lexicon.unwrap_or_default(),
                none: merged.none.into_iter().map(|(t, _)| t).collect(),
                warning_signs: merged.signs.into_iter().map(|(s, _)| s).collect(),
                triage_rules: merged.rules,
                physio_signs: merged.physio.unwrap_or_default(),
                sources,
                files: files.len(),
            })
        } else {
            Err(LoadError { problems })
        }
    }
}

impl Lexicon {
    /// Adds another file's lexicon to this one: a knowledge directory may split its lexicon
    /// across files.
    fn extend(&mut self, other: Lexicon) {
        self.synonyms.extend(other.synonyms);
        self.spellings.extend(other.spellings);
        self.false_friends.extend(other.false_friends);
        self.fillers.extend(other.fillers);
        self.topic_terms.extend(other.topic_terms);
        self.out_of_scope.extend(other.out_of_scope);
    }
}

/// Parses every file and merges what they hold, in file order. The merged lexicon is `None`
/// when no file has one, which [`check_whole`] reports.
fn merge_files(files: &[(&Path, &str)], problems: &mut Vec<Problem>) -> ParsedFile {
    let mut merged = ParsedFile::default();
    for (path, text) in files {
        let parsed = parse_file(path, text, problems);
        merged.entries.extend(parsed.entries);
        merged.cites.extend(parsed.cites);
        merged.sources.extend(parsed.sources);
        merged.none.extend(parsed.none);
        merged.signs.extend(parsed.signs);
        merged.rules.extend(parsed.rules);
        if let Some(p) = parsed.physio {
            let all = merged.physio.get_or_insert_with(PhysioSigns::default);
            all.body_words.extend(p.body_words);
            all.pain_words.extend(p.pain_words);
            all.phrases.extend(p.phrases);
        }
        if let Some(lex) = parsed.lexicon {
            merged
                .lexicon
                .get_or_insert_with(Lexicon::default)
                .extend(lex);
        }
    }
    merged
}

/// Checks across entries: ids are unique (a later copy is reported, naming where the first
/// is), and every cross-reference names another entry that exists.
fn check_ids_and_references(entries: &[(Entry, Position)], problems: &mut Vec<Problem>) {
    let mut first_seen: HashMap<&str, &Position> = HashMap::new();
    for (entry, pos) in entries {
        if let Some(prev) = first_seen.get(entry.id.as_str()) {
            problems.push(pos.problem(
                Some(&entry.id),
                format!(
                    "duplicate id (first defined at {}:{}:{})",
                    prev.file.display(),
                    prev.line,
                    prev.column
                ),
            ));
        } else {
            first_seen.insert(&entry.id, pos);
        }
    }
    for (entry, pos) in entries {
        for r in &entry.related {
            if entry.id == r.as_str() {
                problems.push(pos.field("related", Some(&entry.id), "refers to itself".into()));
            } else if !first_seen.contains_key(r.as_str()) {
                problems.push(pos.field(
                    "related",
                    Some(&entry.id),
                    format!("unknown cross-reference `{r}`"),
                ));
            }
        }
    }
}

/// Checks of the knowledge as a whole: it has entries, enough examples of what not to answer
/// and of each warning-sign tier, and a lexicon. These are reported against the first file,
/// since no one place is at fault; the counts are only worth reporting once there are entries.
fn check_whole(files: &[(&Path, &str)], merged: &ParsedFile, problems: &mut Vec<Problem>) {
    let whole = |message: &str| Problem {
        file: files
            .first()
            .map(|(p, _)| p.to_path_buf())
            .unwrap_or_default(),
        line: 0,
        column: 0,
        entry: None,
        message: message.to_string(),
    };
    let (entries, none, signs) = (&merged.entries, &merged.none, &merged.signs);
    if entries.is_empty() && problems.is_empty() {
        problems.push(whole("no entries: the knowledge needs at least one"));
    }
    if !entries.is_empty() && none.len() < MIN_NONE {
        problems.push(whole(&format!(
            "{} `none` example(s): the matcher needs at least {MIN_NONE} messages it must not \
             answer (chatter using our words, questions we don't cover)",
            none.len()
        )));
    }
    for tier in [Tier::Physio, Tier::Urgent, Tier::Emergency] {
        let n = signs.iter().filter(|(s, _)| s.tier == Some(tier)).count();
        if !entries.is_empty() && n < MIN_SIGNS_PER_TIER {
            problems.push(whole(&format!(
                "{n} `warning_signs.{}` example(s): at least {MIN_SIGNS_PER_TIER} needed",
                tier.key()
            )));
        }
    }
    let defined: HashSet<&str> = merged.sources.iter().map(|(s, _)| s.id.as_str()).collect();
    let cited = crate::reply::EMERGENCY_SOURCES
        .iter()
        .chain(crate::reply::URGENT_SOURCES);
    for id in cited {
        if !entries.is_empty() && !defined.contains(id) {
            problems.push(whole(&format!(
                "source `{id}` is not defined: the safety replies cite it"
            )));
        }
    }
    if merged.physio.is_none() && !entries.is_empty() {
        problems.push(whole(
            "no `physio_signs` in any file: the physio tier's phrases are required",
        ));
    }
    if merged.lexicon.is_none() && !entries.is_empty() {
        problems.push(whole(
            "no `lexicon` in any file: synonyms and topic terms are required",
        ));
    }
}

/// Where something starts in a file: a slice of the file's text, so that fields inside it can
/// be located too.
struct Position {
    file: PathBuf,
    line: usize,
    column: usize,
    /// Byte offset of the slice in the file, and the slice itself.
    offset: usize,
    raw: String,
    text: std::sync::Arc<str>,
}

impl Position {
    fn problem(&self, entry: Option<&str>, message: String) -> Problem {
        Problem {
            file: self.file.clone(),
            line: self.line,
            column: self.column,
            entry: entry.map(str::to_owned),
            message,
        }
    }

    /// A problem pointed at byte `at` of this slice, or at the slice itself when `None`.
    fn problem_at(&self, at: Option<usize>, entry: Option<&str>, message: String) -> Problem {
        match at {
            Some(at) => {
                let (line, column) = line_col(&self.text, self.offset + at);
                Problem {
                    file: self.file.clone(),
                    line,
                    column,
                    entry: entry.map(str::to_owned),
                    message,
                }
            }
            None => self.problem(entry, message),
        }
    }

    /// A problem pointed at `"field"` inside this slice (or at the slice when it is absent).
    fn field(&self, field: &str, entry: Option<&str>, message: String) -> Problem {
        let at = self.raw.find(&format!("\"{field}\""));
        self.problem_at(at, entry, format!("`{field}` {message}"))
    }

    /// A problem pointed at the string `item` inside this slice (its last occurrence as JSON:
    /// for a duplicate, the copy to remove), or at the slice when it can't be found.
    fn item(&self, item: &str, entry: Option<&str>, message: String) -> Problem {
        let json = serde_json::to_string(item).unwrap_or_default();
        self.problem_at(self.raw.rfind(&json), entry, message)
    }

    /// The same slice narrowed to one example, searched from byte `from` of the slice (so
    /// that two identical examples get their own positions), and where the search may go on.
    fn narrowed(&self, item: &str, from: usize) -> (Position, usize) {
        let json = serde_json::to_string(item).unwrap_or_default();
        let at = self
            .raw
            .get(from..)
            .and_then(|rest| rest.find(&json))
            .map_or(from.min(self.raw.len()), |i| from + i);
        let (line, column) = line_col(&self.text, self.offset + at);
        let next = at + json.len();
        let pos = Position {
            file: self.file.clone(),
            line,
            column,
            offset: self.offset + at,
            raw: json,
            text: self.text.clone(),
        };
        (pos, next)
    }
}

/// Examples are compared as members' words: case, accents, punctuation and spacing aside.
fn example_key(text: &str) -> String {
    crate::text::fold_words(text).join(" ")
}

/// Duplicate examples, and examples that teach two different answers: an example under two
/// entries, or under an entry and under `none`, pulls the trained matcher both ways.
fn check_examples(
    entries: &[(Entry, Position)],
    none: &[(String, Position)],
    signs: &[(SignExample, Position)],
    problems: &mut Vec<Problem>,
) {
    let mut owner: HashMap<String, (String, &Position)> = HashMap::new();
    let labelled = entries
        .iter()
        .flat_map(|(e, pos)| e.questions.iter().map(move |q| (q, e.id.to_string(), pos)))
        .chain(none.iter().map(|(t, pos)| (t, "none".to_string(), pos)));
    for (text, label, pos) in labelled {
        let key = example_key(text);
        if key.is_empty() {
            continue;
        }
        let entry = (label != "none").then_some(label.as_str());
        match owner.get(&key) {
            Some((first, _)) if *first == label => {
                problems.push(pos.item(text, entry, format!("duplicate example {text:?}")))
            }
            Some((first, first_pos)) => problems.push(pos.item(
                text,
                entry,
                format!(
                    "example {text:?} is also under `{first}` ({}:{}): one message, one answer",
                    first_pos.file.display(),
                    first_pos.line
                ),
            )),
            None => {
                owner.insert(key, (label, pos));
            }
        }
    }
    let mut seen: HashMap<String, Option<Tier>> = HashMap::new();
    for (s, pos) in signs {
        let key = example_key(&s.text);
        if let Some(first) = seen.insert(key, s.tier) {
            let message = if first == s.tier {
                format!("duplicate warning-sign example {:?}", s.text)
            } else {
                format!("warning-sign example {:?} is in two tiers", s.text)
            };
            problems.push(pos.item(&s.text, None, message));
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[derive(Deserialize)]
struct RawFile<'a> {
    #[serde(borrow, default)]
    entries: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    lexicon: Option<&'a RawValue>,
    #[serde(borrow, default)]
    none: Option<&'a RawValue>,
    #[serde(borrow, default)]
    warning_signs: Option<&'a RawValue>,
    #[serde(borrow, default)]
    triage_rules: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    sources: Option<Vec<&'a RawValue>>,
    #[serde(borrow, default)]
    physio_signs: Option<&'a RawValue>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

/// `physio_signs` as written: context words, and the phrases of each sign.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhysioSigns {
    body_words: Vec<String>,
    pain_words: Vec<String>,
    signs: Vec<RawSignPhrases>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignPhrases {
    sign: String,
    /// What the phrases catch, for the people who review them.
    why: String,
    #[serde(default = "yes")]
    needs_context: bool,
    phrases: Vec<String>,
}

fn yes() -> bool {
    true
}

/// One rule of `triage_rules` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    tier: String,
    why: String,
    all: Vec<Vec<String>>,
    #[serde(default)]
    unless: Vec<String>,
}

/// `warning_signs`: example messages by tier, and look-alikes (`not_warning`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigns {
    #[serde(default)]
    emergency: Vec<String>,
    #[serde(default)]
    urgent: Vec<String>,
    #[serde(default)]
    physio: Vec<String>,
    #[serde(default)]
    not_warning: Vec<String>,
}

/// An entry as written: every field optional so that all missing ones can be reported at once.
#[derive(Deserialize)]
struct RawEntry {
    id: Option<String>,
    title: Option<String>,
    topic: Option<String>,
    questions: Option<Vec<String>>,
    keywords: Option<Vec<String>>,
    answer: Option<String>,
    sources: Option<Vec<String>>,
    related: Option<Vec<String>>,
    reviewed: Option<String>,
    physio_background: Option<bool>,
    #[serde(flatten)]
    extra: BTreeMap<String, Value>,
}

/// What one file holds (or, merged, what all of them hold), each item with its position so that
/// the checks across files can point at it.
#[derive(Default)]
struct ParsedFile {
    entries: Vec<(Entry, Position)>,
    /// The source ids each entry cites, beside `entries` (one list per entry, in step): they
    /// are resolved once every file's `sources` are known.
    cites: Vec<Vec<String>>,
    sources: Vec<(Source, Position)>,
    physio: Option<PhysioSigns>,
    lexicon: Option<Lexicon>,
    none: Vec<(String, Position)>,
    signs: Vec<(SignExample, Position)>,
    rules: Vec<TierRule>,
}

fn json_problem(path: &Path, text: &str, base: usize, e: &serde_json::Error) -> Problem {
    // serde_json's line/column are relative to the slice it parsed; shift them to the file.
    let (base_line, base_col) = line_col(text, base);
    let line = base_line + e.line().saturating_sub(1);
    let column = if e.line() <= 1 {
        base_col + e.column().saturating_sub(1)
    } else {
        e.column()
    };
    let msg = e.to_string();
    // Drop serde_json's own " at line X column Y": we print a better position in front.
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m)
        .to_string();
    Problem {
        file: path.to_path_buf(),
        line,
        column,
        entry: None,
        message: msg,
    }
}

fn parse_file(path: &Path, text: &str, problems: &mut Vec<Problem>) -> ParsedFile {
    let mut out = ParsedFile::default();
    let shared: std::sync::Arc<str> = std::sync::Arc::from(text);
    let file: RawFile = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            problems.push(json_problem(path, text, 0, &e));
            return out;
        }
    };
    let offset_of = |raw: &RawValue| raw.get().as_ptr() as usize - text.as_ptr() as usize;
    let whole = Position {
        file: path.to_path_buf(),
        line: 1,
        column: 1,
        offset: 0,
        raw: text.to_string(),
        text: shared.clone(),
    };
    check_top_level(&file, &whole, problems);
    let section = |raw: &RawValue| {
        let offset = offset_of(raw);
        let (line, column) = line_col(text, offset);
        Position {
            file: path.to_path_buf(),
            line,
            column,
            offset,
            raw: raw.get().to_string(),
            text: shared.clone(),
        }
    };
    if let Some(raw) = file.none {
        let pos = section(raw);
        if let Some(groups) = parse_section(&pos, problems) {
            out.none = none_examples(groups, &pos, problems);
        }
    }
    if let Some(raw) = file.warning_signs {
        let pos = section(raw);
        if let Some(signs) = parse_section(&pos, problems) {
            out.signs = sign_examples(signs, &pos, problems);
        }
    }
    if let Some(raw) = file.lexicon {
        let pos = section(raw);
        if let Some(lex) = parse_section::<Lexicon>(&pos, problems) {
            validate_lexicon(&lex, &pos, problems);
            out.lexicon = Some(lex);
        }
    }
    if let Some(raw) = file.physio_signs {
        let pos = section(raw);
        if let Some(signs) = parse_section::<RawPhysioSigns>(&pos, problems) {
            out.physio = Some(validate_physio_signs(signs, &pos, problems));
        }
    }
    for raw in file.sources.unwrap_or_default() {
        let pos = section(raw);
        if let Some(source) = parse_section::<RawSource>(&pos, problems) {
            out.sources
                .extend(validate_source(source, &pos, problems).map(|s| (s, pos)));
        }
    }
    for raw in file.triage_rules.unwrap_or_default() {
        let pos = section(raw);
        if let Some(rule) = parse_section::<RawRule>(&pos, problems) {
            out.rules.extend(validate_rule(rule, &pos, problems));
        }
    }
    for raw in file.entries.unwrap_or_default() {
        let pos = section(raw);
        if let Some(entry) = parse_section::<RawEntry>(&pos, problems) {
            if let Some((e, cites)) = validate_entry(entry, &pos, problems) {
                out.entries.push((e, pos));
                out.cites.push(cites);
            }
        }
    }
    out
}

/// Fields the file's top level does not know, and a file with none that it does: both are
/// reported against the file itself.
fn check_top_level(file: &RawFile, whole: &Position, problems: &mut Vec<Problem>) {
    for key in file.extra.keys() {
        problems.push(
            whole.field(
                key,
                None,
                "is not a known top-level field (expected `entries`, `sources`, `lexicon`, \
             `none`, `warning_signs`, `triage_rules` or `physio_signs`)"
                    .into(),
            ),
        );
    }
    if file.entries.is_none()
        && file.sources.is_none()
        && file.lexicon.is_none()
        && file.none.is_none()
        && file.warning_signs.is_none()
        && file.triage_rules.is_none()
        && file.physio_signs.is_none()
    {
        problems.push(
            whole.problem(
                None,
                "file has none of `entries`, `sources`, `lexicon`, `none`, `warning_signs`, \
             `triage_rules`, `physio_signs`"
                    .into(),
            ),
        );
    }
}

/// Turns a written rule into a [`TierRule`]: its tier is `emergency` or `urgent` (the physio
/// signs have their own rules), it says why it exists, and every word and phrase is written as
/// the rules read messages (folded words), or it could never match.
fn validate_rule(raw: RawRule, pos: &Position, problems: &mut Vec<Problem>) -> Option<TierRule> {
    let before = problems.len();
    let tier = match raw.tier.as_str() {
        "emergency" => Some(Tier::Emergency),
        "urgent" => Some(Tier::Urgent),
        _ => {
            problems.push(pos.field(
                "tier",
                None,
                format!("must be `emergency` or `urgent` (got `{}`)", raw.tier),
            ));
            None
        }
    };
    if raw.why.trim().is_empty() {
        problems.push(pos.field("why", None, "must say what the rule catches".into()));
    }
    if raw.all.is_empty() || raw.all.iter().any(Vec::is_empty) {
        problems.push(pos.field("all", None, "needs at least one non-empty group".into()));
    }
    for phrase in raw.all.iter().flatten() {
        let folded = crate::text::fold_words(phrase).join(" ");
        if folded != *phrase {
            problems.push(pos.item(
                phrase,
                None,
                format!("phrase `{phrase}` never matches: write it as the rules read messages, `{folded}`"),
            ));
        }
    }
    for word in &raw.unless {
        let folded = crate::text::fold_words(word);
        if folded.len() != 1 || folded[0] != *word {
            problems.push(pos.item(
                word,
                None,
                format!("`unless` takes single folded words (got `{word}`)"),
            ));
        }
    }
    let tier = tier.filter(|_| problems.len() == before)?;
    Some(TierRule {
        tier,
        why: raw.why,
        all: raw.all,
        unless: raw.unless,
    })
}

/// The physio signs' phrases and context words, each written as the rules read messages
/// (folded words) or it could never match; a sign the bot does not know is named.
fn validate_physio_signs(
    raw: RawPhysioSigns,
    pos: &Position,
    problems: &mut Vec<Problem>,
) -> PhysioSigns {
    for word in raw.body_words.iter().chain(&raw.pain_words) {
        let folded = crate::text::fold_words(word);
        if folded.len() != 1 || folded[0] != *word {
            problems.push(pos.item(
                word,
                None,
                format!("context words are single folded words (got `{word}`)"),
            ));
        }
    }
    let mut phrases = Vec::new();
    for group in raw.signs {
        let Some(sign) = Sign::from_key(&group.sign) else {
            let known: Vec<&str> = Sign::ALL.iter().map(|s| s.key()).collect();
            problems.push(pos.item(
                &group.sign,
                None,
                format!(
                    "unknown sign `{}` (known: {})",
                    group.sign,
                    known.join(", ")
                ),
            ));
            continue;
        };
        if group.why.trim().is_empty() {
            problems.push(pos.item(
                &group.sign,
                None,
                "`why` must say what the phrases catch".into(),
            ));
        }
        if group.phrases.is_empty() {
            problems.push(pos.item(
                &group.sign,
                None,
                format!("sign `{}` has no phrases", group.sign),
            ));
        }
        for phrase in group.phrases {
            let folded = crate::text::fold_words(&phrase).join(" ");
            if folded != phrase {
                problems.push(pos.item(
                    &phrase,
                    None,
                    format!("phrase `{phrase}` never matches: write it as the rules read messages, `{folded}`"),
                ));
            }
            phrases.push(SignPhrase {
                sign,
                phrase,
                needs_context: group.needs_context,
            });
        }
    }
    PhysioSigns {
        body_words: raw.body_words,
        pain_words: raw.pain_words,
        phrases,
    }
}

/// Reads one section of a file (the slice `pos` covers) as `T`; a JSON error becomes a problem
/// at its place in the file, and the section is left out.
fn parse_section<T: serde::de::DeserializeOwned>(
    pos: &Position,
    problems: &mut Vec<Problem>,
) -> Option<T> {
    match serde_json::from_str::<T>(&pos.raw) {
        Ok(value) => Some(value),
        Err(e) => {
            problems.push(json_problem(&pos.file, &pos.text, pos.offset, &e));
            None
        }
    }
}

/// The `none` examples of every group. Groups are for the people editing the file
/// ("chatter", "out_of_scope"); the matcher treats them all as one "none of our answers" class.
fn none_examples(
    groups: BTreeMap<String, Vec<String>>,
    pos: &Position,
    problems: &mut Vec<Problem>,
) -> Vec<(String, Position)> {
    let mut kept = Vec::new();
    for (group, items) in groups {
        let field = format!("none.{group}");
        kept.extend(examples(pos, &field, items, problems));
    }
    kept
}

/// The warning-sign examples with their tiers, most serious first; `not_warning` look-alikes
/// have no tier.
fn sign_examples(
    s: RawSigns,
    pos: &Position,
    problems: &mut Vec<Problem>,
) -> Vec<(SignExample, Position)> {
    let tiers = [
        (Some(Tier::Emergency), "emergency", s.emergency),
        (Some(Tier::Urgent), "urgent", s.urgent),
        (Some(Tier::Physio), "physio", s.physio),
        (None, "not_warning", s.not_warning),
    ];
    let mut kept = Vec::new();
    for (tier, name, items) in tiers {
        let field = format!("warning_signs.{name}");
        for (text, at) in examples(pos, &field, items, problems) {
            kept.push((SignExample { text, tier }, at));
        }
    }
    kept
}

/// The non-empty examples of a list, each with its own position; a problem for each bad one.
fn examples(
    pos: &Position,
    field: &str,
    items: Vec<String>,
    problems: &mut Vec<Problem>,
) -> Vec<(String, Position)> {
    let mut kept = Vec::new();
    let mut cursor = 0;
    for (i, t) in items.into_iter().enumerate() {
        if t.trim().is_empty() {
            problems.push(pos.problem(None, format!("`{field}` item {} is empty", i + 1)));
        } else if t.chars().count() > MAX_QUESTION_CHARS {
            problems.push(pos.item(
                &t,
                None,
                format!("`{field}` example is longer than {MAX_QUESTION_CHARS} characters"),
            ));
        } else {
            let (at, next) = pos.narrowed(&t, cursor);
            cursor = next;
            kept.push((t.trim().to_string(), at));
        }
    }
    kept
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// A `YYYY-MM-DD` date, parsed once at the knowledge boundary.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    // The format must be exactly YYYY-MM-DD (chrono also takes "2026-1-5").
    (s.len() == 10 && (1900..=2200).contains(&date.year())).then_some(date)
}

/// Turns a raw entry into a domain entry, pushing a problem for everything wrong with it.
/// Returns `None` when the entry is unusable (no valid id), so later checks don't cascade.
fn validate_entry(
    raw: RawEntry,
    pos: &Position,
    problems: &mut Vec<Problem>,
) -> Option<(Entry, Vec<String>)> {
    let before = problems.len();
    let id = raw.id.clone().unwrap_or_default();
    let label = (!id.is_empty()).then_some(id.as_str());
    check_id(raw.id.as_deref(), label, pos, problems);
    for key in raw.extra.keys() {
        problems.push(pos.field(key, label, "is not a known field (typo?)".into()));
    }
    let title = required_text("title", &raw.title, MAX_TITLE_CHARS, label, pos, problems);
    let answer = required_text(
        "answer",
        &raw.answer,
        MAX_ANSWER_CHARS,
        label,
        pos,
        problems,
    );
    let reviewed_text = required_text("reviewed", &raw.reviewed, 10, label, pos, problems);
    let reviewed = parse_date(&reviewed_text);
    if !reviewed_text.is_empty() && reviewed.is_none() {
        problems.push(pos.field(
            "reviewed",
            label,
            format!("`{reviewed_text}` is not a date like 2026-01-31"),
        ));
    }
    let questions = validate_questions(raw.questions, label, pos, problems);
    let cites = validate_cites(raw.sources, label, pos, problems);
    if problems.len() > before && label.is_none() {
        return None;
    }
    let entry = Entry {
        id: EntryId(id.into()),
        title,
        topic: raw.topic,
        questions,
        keywords: raw.keywords.unwrap_or_default(),
        answer,
        // Resolved from `cites` once every file's sources are known (`resolve_sources`).
        sources: Vec::new(),
        related: raw.related.unwrap_or_default(),
        reviewed: reviewed.unwrap_or_default(),
        physio_background: raw.physio_background.unwrap_or(false),
    };
    Some((entry, cites))
}

/// An entry's id: present, in the shape ids must have, and short enough for a button's
/// custom id. `label` is the id to name the entry by in the problem, if it has one at all.
fn check_id(id: Option<&str>, label: Option<&str>, pos: &Position, problems: &mut Vec<Problem>) {
    match id {
        None => problems.push(pos.problem(None, "missing field `id`".into())),
        Some(i) if !is_valid_id(i) => problems.push(pos.field(
            "id",
            label,
            "must be lower-case letters, digits and dashes (like `itb-not-a-muscle`)".into(),
        )),
        Some(i) if i.len() > MAX_ID_CHARS => problems.push(pos.field(
            "id",
            label,
            format!(
                "is too long: {} characters, at most {MAX_ID_CHARS}",
                i.len()
            ),
        )),
        _ => {}
    }
}

/// A text field every entry needs, trimmed: a problem when it is missing, empty or longer than
/// `max` characters. A missing or empty one comes back empty; an overlong one is kept, trimmed,
/// so that a check after it (the review date's) still sees it.
fn required_text(
    name: &str,
    value: &Option<String>,
    max: usize,
    label: Option<&str>,
    pos: &Position,
    problems: &mut Vec<Problem>,
) -> String {
    match value {
        None => {
            problems.push(pos.problem(label, format!("missing field `{name}`")));
            String::new()
        }
        Some(v) if v.trim().is_empty() => {
            problems.push(pos.field(name, label, "is empty".into()));
            String::new()
        }
        Some(v) if v.chars().count() > max => {
            problems.push(pos.field(
                name,
                label,
                format!(
                    "is too long: {} characters, at most {max}",
                    v.chars().count()
                ),
            ));
            v.trim().to_string()
        }
        Some(v) => v.trim().to_string(),
    }
}

/// An entry's example questions, trimmed: enough of them for the trained matcher to learn the
/// entry from, none empty and none longer than [`MAX_QUESTION_CHARS`].
fn validate_questions(
    questions: Option<Vec<String>>,
    label: Option<&str>,
    pos: &Position,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let Some(qs) = questions else {
        problems.push(pos.problem(label, "missing field `questions`".into()));
        return Vec::new();
    };
    if qs.len() < MIN_QUESTIONS {
        problems.push(pos.field(
            "questions",
            label,
            format!(
                "has {} example(s); give at least {MIN_QUESTIONS} natural phrasings",
                qs.len()
            ),
        ));
    }
    for (i, q) in qs.iter().enumerate() {
        if q.trim().is_empty() {
            problems.push(pos.field("questions", label, format!("item {} is empty", i + 1)));
        } else if q.chars().count() > MAX_QUESTION_CHARS {
            problems.push(pos.field(
                "questions",
                label,
                format!(
                    "item {} is longer than {MAX_QUESTION_CHARS} characters",
                    i + 1
                ),
            ));
        }
    }
    qs.into_iter().map(|q| q.trim().to_string()).collect()
}

/// The source ids an entry cites: every answer needs at least one, each named once.
fn validate_cites(
    cites: Option<Vec<String>>,
    label: Option<&str>,
    pos: &Position,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let Some(cites) = cites else {
        problems.push(pos.problem(
            label,
            "missing field `sources`: every answer needs a source".into(),
        ));
        return Vec::new();
    };
    if cites.is_empty() {
        problems.push(pos.field(
            "sources",
            label,
            "is empty: every answer needs a source".into(),
        ));
    }
    let mut seen = HashSet::new();
    for id in &cites {
        if !seen.insert(id.as_str()) {
            problems.push(pos.item(id, label, format!("cites source `{id}` twice")));
        }
    }
    cites
}

/// A source as written in a `sources` list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: String,
    cite: String,
    #[serde(default)]
    authors: Option<String>,
    #[serde(default)]
    year: Option<u16>,
    title: String,
    #[serde(default)]
    published_in: Option<String>,
    #[serde(default)]
    doi: Option<String>,
    #[serde(default)]
    pmid: Option<String>,
    #[serde(default)]
    url: Option<String>,
    evidence: Evidence,
}

/// A source must be one a member can look up: a citation to show, a title, a plausible year,
/// and a DOI, a PubMed id or a web link, each in its own shape.
fn validate_source(raw: RawSource, pos: &Position, problems: &mut Vec<Problem>) -> Option<Source> {
    let before = problems.len();
    let id_ok = !raw.id.is_empty()
        && raw.id.len() <= 20
        && raw
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !id_ok {
        problems.push(pos.field(
            "id",
            None,
            format!(
                "`{}` must be letters, digits and dashes, at most 20 (like `D3`)",
                raw.id
            ),
        ));
    }
    // Problems name the source in their message: `entry` is for entries.
    let of = format!("of source `{}`", raw.id);
    for (field, value) in [("cite", &raw.cite), ("title", &raw.title)] {
        if value.trim().is_empty() {
            problems.push(pos.field(field, None, format!("{of} is empty")));
        }
    }
    if let Some(y) = raw.year {
        if !(1900..=2100).contains(&y) {
            problems.push(pos.field("year", None, format!("{of} is unlikely: {y}")));
        }
    }
    let blank = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let (doi, pmid, url) = (blank(&raw.doi), blank(&raw.pmid), blank(&raw.url));
    if doi.is_none() && pmid.is_none() && url.is_none() {
        problems.push(pos.problem(
            None,
            format!(
                "source `{}` has no `doi`, `pmid` or `url`: a member must be able to look it up",
                raw.id
            ),
        ));
    }
    if let Some(d) = &doi {
        if !d.starts_with("10.") || d.contains(char::is_whitespace) {
            problems.push(pos.field(
                "doi",
                None,
                format!("{of} is not a DOI like 10.1002/…: `{d}`"),
            ));
        }
    }
    if let Some(p) = &pmid {
        if !p.chars().all(|c| c.is_ascii_digit()) {
            problems.push(pos.field(
                "pmid",
                None,
                format!("{of} is not a PubMed id (digits): `{p}`"),
            ));
        }
    }
    if let Some(u) = &url {
        if !(u.starts_with("https://") || u.starts_with("http://"))
            || u.contains(char::is_whitespace)
        {
            problems.push(pos.field("url", None, format!("{of} is not a web link: `{u}`")));
        }
    }
    (problems.len() == before).then(|| Source {
        id: SourceId(raw.id.into()),
        cite: raw.cite.trim().to_string(),
        authors: blank(&raw.authors),
        year: raw.year,
        title: raw.title.trim().to_string(),
        published_in: blank(&raw.published_in),
        doi,
        pmid,
        url,
        evidence: raw.evidence,
    })
}

/// Gives each entry the sources it cites: a source id defined twice, or an entry citing an id
/// no file defines, is a problem at its place.
fn resolve_sources(
    merged: &mut ParsedFile,
    problems: &mut Vec<Problem>,
) -> Vec<std::sync::Arc<Source>> {
    let mut by_id: HashMap<String, (std::sync::Arc<Source>, &Position)> = HashMap::new();
    let mut all = Vec::new();
    for (source, pos) in &merged.sources {
        let id = source.id.to_string();
        if let Some((_, first)) = by_id.get(&id) {
            problems.push(pos.problem(
                None,
                format!(
                    "duplicate source id `{id}` (first defined at {}:{}:{})",
                    first.file.display(),
                    first.line,
                    first.column
                ),
            ));
            continue;
        }
        let shared = std::sync::Arc::new(source.clone());
        all.push(shared.clone());
        by_id.insert(id, (shared, pos));
    }
    for ((entry, pos), cites) in merged.entries.iter_mut().zip(&merged.cites) {
        for id in cites {
            match by_id.get(id) {
                Some((source, _)) => entry.sources.push(source.clone()),
                None => problems.push(pos.item(
                    id,
                    Some(&entry.id),
                    format!("cites unknown source `{id}` (no `sources` list defines it)"),
                )),
            }
        }
    }
    all
}

fn validate_lexicon(lex: &Lexicon, pos: &Position, problems: &mut Vec<Problem>) {
    let mut owner: HashMap<Vec<String>, &str> = HashMap::new();
    for s in &lex.synonyms {
        if s.term.trim().is_empty() {
            problems.push(pos.field("synonyms", None, "has a group with an empty `term`".into()));
        }
        if s.variants.is_empty() {
            problems.push(pos.field(
                "synonyms",
                None,
                format!("group `{}` has no variants", s.term),
            ));
        }
        for v in &s.variants {
            let key = crate::text::fold_words(v);
            if key.is_empty() {
                problems.push(pos.field(
                    "synonyms",
                    None,
                    format!("group `{}` has an empty variant", s.term),
                ));
                continue;
            }
            if let Some(other) = owner.insert(key, &s.term) {
                if other != s.term {
                    problems.push(pos.field(
                        "synonyms",
                        None,
                        format!("variant `{v}` belongs to both `{other}` and `{}`", s.term),
                    ));
                }
            }
        }
    }
    for o in &lex.out_of_scope {
        if o.subject.trim().is_empty() || o.variants.is_empty() {
            problems.push(pos.field(
                "out_of_scope",
                None,
                "needs a `subject` and at least one variant".into(),
            ));
        }
    }
    for t in &lex.topic_terms {
        if t.trim().is_empty() {
            problems.push(pos.field("topic_terms", None, "has an empty term".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters() {
        let t = "ab\ncdé f";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 3), (2, 1));
        assert_eq!(line_col(t, t.find('f').unwrap()), (2, 5));
    }

    #[test]
    fn dates() {
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2023-13-01").is_none());
        assert!(parse_date("23-01-01").is_none());
        assert!(parse_date("2026-1-05").is_none());
    }
}
