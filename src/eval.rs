//! How well the engine generalises, measured without any unseen set: k-fold cross-validation
//! over the knowledge's own examples (train on k-1 folds, score the held-out fold), and the
//! public evaluation set alongside as a sanity check.
//!
//! Folds are stratified and deterministic: the j-th example of each entry, of `none` and of each
//! warning-sign tier goes to fold `j % k`. Each fold gets its own engine, built from the
//! training folds only: the lexical index, the head and the warning-sign detector.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::path::Path;
use std::sync::Arc;

use unicode_normalization::UnicodeNormalization;

use crate::config::{EngineConfig, ReplyConfig};
use crate::embed::Embedder;
use crate::engine::{Engine, EngineError, Mode, Outcome, Response};
use crate::knowledge::{KnowledgeBase, SignExample};
use crate::prepared::Prepared;
use crate::semantic::Vectors;
use crate::triage::Tier;

/// Counts over held-out examples. Shares are computed when printing.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Tally {
    /// Entry examples: answered with their entry / another entry / not answered (ask mode).
    pub on_topic: usize,
    pub ask_right: usize,
    pub ask_wrong: usize,
    /// Entry examples escalated although they describe no warning sign.
    pub on_topic_false_alarms: usize,
    /// `none` examples, and how many ask mode declined.
    pub none: usize,
    pub none_declined: usize,
    /// Warning-sign examples per tier, and how many were escalated at all / to their tier in
    /// ask mode, and how many auto mode escalated to their tier or a more urgent one.
    pub signs: BTreeMap<Tier, (usize, usize, usize, usize)>,
    /// `not_warning` look-alikes, and how many were escalated.
    pub look_alikes: usize,
    pub look_alike_alarms: usize,
    /// Auto mode: correct replies (an entry example with its entry, a warning sign escalated),
    /// all replies, replies to `none` examples.
    pub auto_correct: usize,
    pub auto_replies: usize,
    pub auto_none_replies: usize,
    /// (expected entry, answered entry) for wrong ask-mode answers.
    pub confusion: BTreeMap<(String, String), usize>,
    /// Held-out examples the engine got wrong, with what it did (for `eval --failures`).
    pub failures: Vec<String>,
}

fn pct(n: usize, d: usize) -> String {
    if d == 0 {
        "-".into()
    } else {
        format!("{:.1}%", 100.0 * n as f64 / d as f64)
    }
}

impl fmt::Display for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self;
        writeln!(
            f,
            "  ask: answered right {} ({}/{}), wrong {}, not answered {}",
            pct(t.ask_right, t.on_topic),
            t.ask_right,
            t.on_topic,
            pct(t.ask_wrong, t.on_topic),
            pct(t.on_topic - t.ask_right - t.ask_wrong, t.on_topic)
        )?;
        writeln!(
            f,
            "  ask: none declined {} ({}/{})",
            pct(t.none_declined, t.none),
            t.none_declined,
            t.none
        )?;
        let (mut n, mut caught) = (0, 0);
        let mut tiers = String::new();
        for (tier, (count, any, exact, auto)) in &t.signs {
            n += count;
            caught += any;
            let _ = write!(
                tiers,
                " {} {any}/{count} (tier right {exact}, auto {auto}),",
                tier.key()
            );
        }
        writeln!(
            f,
            "  warning signs escalated {} ({caught}/{n}):{}",
            pct(caught, n),
            tiers.trim_end_matches(',')
        )?;
        writeln!(
            f,
            "  false alarms: ordinary questions {} ({}/{}), look-alikes {} ({}/{})",
            pct(t.on_topic_false_alarms, t.on_topic),
            t.on_topic_false_alarms,
            t.on_topic,
            pct(t.look_alike_alarms, t.look_alikes),
            t.look_alike_alarms,
            t.look_alikes
        )?;
        writeln!(
            f,
            "  auto: precision {} ({}/{}), recall {}, none false positives {} ({}/{})",
            pct(t.auto_correct, t.auto_replies),
            t.auto_correct,
            t.auto_replies,
            pct(t.auto_correct, t.on_topic + n),
            pct(t.auto_none_replies, t.none),
            t.auto_none_replies,
            t.none
        )
    }
}

impl Tally {
    /// The most frequent wrong answers, as lines "expected -> answered: count".
    pub fn top_confusions(&self, limit: usize) -> Vec<String> {
        let mut pairs: Vec<_> = self.confusion.iter().collect();
        pairs.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        pairs
            .into_iter()
            .take(limit)
            .map(|((want, got), n)| format!("{want} -> {got}: {n}"))
            .collect()
    }

    fn fail(&mut self, what: &str, text: &str, r: &Response) {
        let why = match &r.outcome {
            Outcome::Decline { reason } => reason.to_string(),
            Outcome::Suggest { .. } => "suggested".into(),
            Outcome::Answer { .. } => "answered".into(),
            Outcome::Safety { tier } => format!("{} advice", tier.key()),
        };
        self.failures.push(format!(
            "{what}: {text:?} ({why}; confidence {:.2}, none {:.2}, warning {:.2})",
            r.confidence, r.none_probability, r.warning_probability
        ));
    }

    fn record_entry(&mut self, id: &str, text: &str, ask: &Response, auto: &Response) {
        self.on_topic += 1;
        let expected = Expected::Entry(id.to_string());
        match judge(&expected, ask) {
            Verdict::Right => self.ask_right += 1,
            Verdict::Wrong(got) => {
                self.ask_wrong += 1;
                *self
                    .confusion
                    .entry((id.to_string(), got.clone()))
                    .or_default() += 1;
                self.fail(&format!("ask wrong {id} -> {got}"), text, ask);
            }
            Verdict::FalseAlarm(_) => {
                self.on_topic_false_alarms += 1;
                self.fail(&format!("ask escalated {id}"), text, ask);
            }
            _ => self.fail(&format!("ask unanswered {id}"), text, ask),
        }
        self.record_auto(&expected, text, auto);
    }

    fn record_none(&mut self, text: &str, ask: &Response, auto: &Response) {
        self.none += 1;
        if judge(&Expected::Decline, ask) == Verdict::Right {
            self.none_declined += 1;
        } else {
            self.fail("ask answered none", text, ask);
        }
        if auto.answered() {
            self.auto_none_replies += 1;
        }
        self.record_auto(&Expected::Decline, text, auto);
    }

    fn record_sign(&mut self, want: Option<Tier>, text: &str, ask: &Response, auto: &Response) {
        let expected = want.map_or(Expected::Ordinary, Expected::Escalate);
        let verdict = judge(&expected, ask);
        match (&verdict, want) {
            (Verdict::Right, _) => {}
            (Verdict::Unanswered, _) => self.fail("warning sign missed", text, ask),
            (Verdict::OtherTier(got), Some(want)) => {
                self.fail(&format!("tier {} for {}", got.key(), want.key()), text, ask)
            }
            _ => self.fail("look-alike escalated", text, ask),
        }
        match want {
            Some(tier) => {
                let slot = self.signs.entry(tier).or_default();
                slot.0 += 1;
                if ask.escalated() {
                    slot.1 += 1;
                }
                if verdict == Verdict::Right {
                    slot.2 += 1;
                }
                if auto.tier.filter(|_| auto.escalated()) >= Some(tier) {
                    slot.3 += 1;
                }
                // Auto mode catches a warning sign when it leads with any advice to get help.
                if auto.answered() {
                    self.auto_replies += 1;
                    self.auto_correct += usize::from(auto.escalated());
                }
            }
            None => {
                self.look_alikes += 1;
                if verdict != Verdict::Right {
                    self.look_alike_alarms += 1;
                }
                self.record_auto(&expected, text, auto);
            }
        }
    }

    /// Auto mode: every post counts towards precision, a right one towards recall.
    fn record_auto(&mut self, expected: &Expected, text: &str, auto: &Response) {
        if !auto.answered() {
            return;
        }
        self.auto_replies += 1;
        if judge(expected, auto) == Verdict::Right {
            self.auto_correct += usize::from(matches!(expected, Expected::Entry(_)));
        } else {
            self.fail("auto reply wrong", text, auto);
        }
    }
}

/// What a message should get. One scorer for cross-validation, the labelled files and the
/// tests, so that "answered right" means the same everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// This entry's answer, with no advice to get help in front of it.
    Entry(String),
    /// No answer: chatter, or a question the knowledge doesn't cover.
    Decline,
    /// Advice to get help first, of this tier.
    Escalate(Tier),
    /// A look-alike: ordinary however alarming it sounds, so no advice to get help.
    Ordinary,
}

/// How one reply fared against what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// What was expected: the entry, the silence or decline, or the escalation to its tier.
    Right,
    /// Answered with another entry.
    Wrong(String),
    /// Escalated, to another tier than expected.
    OtherTier(Tier),
    /// Advice to get help where none was needed.
    FalseAlarm(Tier),
    /// An answer where none was wanted.
    Answered,
    /// No answer (or no escalation) where one was expected.
    Unanswered,
}

/// Judges one reply, in either mode (auto mode's silence is a decline).
pub fn judge(expected: &Expected, r: &Response) -> Verdict {
    let alarm = r.tier.filter(|_| r.escalated());
    match expected {
        Expected::Entry(id) => match (&r.outcome, alarm) {
            (_, Some(tier)) => Verdict::FalseAlarm(tier),
            // `a|b`: either entry answers it (a question two entries cover).
            (Outcome::Answer { entry }, None) if id.split('|').any(|i| entry == i) => {
                Verdict::Right
            }
            (Outcome::Answer { entry }, None) => Verdict::Wrong(entry.to_string()),
            _ => Verdict::Unanswered,
        },
        Expected::Decline if r.answered() => match alarm {
            Some(tier) => Verdict::FalseAlarm(tier),
            None => Verdict::Answered,
        },
        Expected::Decline => Verdict::Right,
        Expected::Escalate(want) => match alarm {
            Some(tier) if tier == *want => Verdict::Right,
            Some(tier) => Verdict::OtherTier(tier),
            None => Verdict::Unanswered,
        },
        Expected::Ordinary => match alarm {
            Some(tier) => Verdict::FalseAlarm(tier),
            None => Verdict::Right,
        },
    }
}

/// The knowledge with only the examples `keep(kind, index)` selects, where `kind` names the
/// list (an entry id, `none`, or a tier) and `index` is the example's place in it.
fn subset(kb: &KnowledgeBase, keep: impl Fn(&str, usize) -> bool) -> KnowledgeBase {
    let mut out = kb.clone();
    for e in &mut out.entries {
        let id = e.id.clone();
        let mut j = 0;
        e.questions.retain(|_| {
            j += 1;
            keep(&id, j - 1)
        });
    }
    let mut j = 0;
    out.none.retain(|_| {
        j += 1;
        keep("none", j - 1)
    });
    let mut counters: BTreeMap<&'static str, usize> = BTreeMap::new();
    out.warning_signs.retain(|s| {
        let kind = sign_kind(s);
        let c = counters.entry(kind).or_default();
        *c += 1;
        keep(kind, *c - 1)
    });
    out
}

fn sign_kind(s: &SignExample) -> &'static str {
    s.tier.map_or("not_warning", Tier::key)
}

/// k-fold cross-validation of the engine over the knowledge's own examples; with `only`, just
/// that fold (scored on an encoder fine-tuned without it, the figure is not flattered by the
/// encoder having seen its examples).
pub fn cross_validate(
    kb: &KnowledgeBase,
    matcher: &EngineConfig,
    reply: &ReplyConfig,
    embedder: &Arc<Embedder>,
    vectors: &Vectors,
    folds: usize,
    only: Option<usize>,
) -> Result<Tally, EngineError> {
    let k = folds.max(2);
    let mut tally = Tally::default();
    for fold in (0..k).filter(|f| only.is_none_or(|o| o == *f)) {
        let train = subset(kb, |_, j| j % k != fold);
        let test = subset(kb, |_, j| j % k == fold);
        let engine = Engine::with_vectors(
            train,
            matcher.clone(),
            reply.clone(),
            embedder.clone(),
            vectors,
        )?;
        // Exactly what a member's message goes through: prepared by this fold's engine, then
        // `respond` in each mode. The embedding comes from the batch when the fold prepared the
        // example to the same text as the full knowledge did (nearly always).
        let run = |text: &str| {
            let message = engine.prepare(text);
            if let Some(v) = vectors.get(message.model_text()) {
                message.set_embedding(v.to_vec());
            }
            (
                engine.respond(&message, Mode::Ask),
                engine.respond(&message, engine.auto()),
            )
        };
        for e in &test.entries {
            for q in &e.questions {
                let (ask, auto) = run(q);
                tally.record_entry(&e.id, q, &ask, &auto);
            }
        }
        for t in &test.none {
            let (ask, auto) = run(t);
            tally.record_none(t, &ask, &auto);
        }
        for s in &test.warning_signs {
            let (ask, auto) = run(&s.text);
            tally.record_sign(s.tier, &s.text, &ask, &auto);
        }
    }
    Ok(tally)
}

/// Figures on a labelled message file in the public evaluation set's format (one JSON object a
/// line with `kind`, `text` and `must`), scored as its scorer does.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct PublicFigures {
    pub on_topic: usize,
    pub ask_right: usize,
    pub ask_wrong: usize,
    pub declinable: usize,
    pub declined: usize,
    pub red_flags: usize,
    pub escalated: usize,
    pub false_alarms: usize,
    pub auto_correct: usize,
    pub auto_replies: usize,
    pub chatter: usize,
    pub chatter_replies: usize,
}

impl fmt::Display for PublicFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self;
        writeln!(
            f,
            "  ask: answered right {} ({}/{}), wrong {}, chatter and out of scope declined {} ({}/{})",
            pct(p.ask_right, p.on_topic),
            p.ask_right,
            p.on_topic,
            pct(p.ask_wrong, p.on_topic),
            pct(p.declined, p.declinable),
            p.declined,
            p.declinable
        )?;
        writeln!(
            f,
            "  warning signs escalated {} ({}/{}), false alarms on on-topic {}",
            pct(p.escalated, p.red_flags),
            p.escalated,
            p.red_flags,
            pct(p.false_alarms, p.on_topic)
        )?;
        writeln!(
            f,
            "  auto: precision {} ({}/{}), recall {}, chatter false positives {} ({}/{})",
            pct(p.auto_correct, p.auto_replies),
            p.auto_correct,
            p.auto_replies,
            pct(p.auto_correct, p.on_topic + p.red_flags),
            pct(p.chatter_replies, p.chatter),
            p.chatter_replies,
            p.chatter
        )
    }
}

/// The scorer's normalisation: NFKC, lower case, dashes to spaces, straight quotes, collapsed
/// whitespace.
fn score_norm(s: &str) -> String {
    let s: String = s
        .nfkc()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' => ' ',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201c}' | '\u{201d}' => '"',
            c => c,
        })
        .collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Scores the engine on a labelled message file.
pub fn public_set(engine: &Engine, path: &Path) -> anyhow::Result<PublicFigures> {
    let items = read_items(path)?;
    let messages = prepare_all(engine, &items)?;
    let mut p = PublicFigures::default();
    for (item, message) in items.iter().zip(&messages) {
        let ask = engine.respond(message, Mode::Ask);
        let auto = engine.respond(message, engine.auto());
        p.count(item, &ask, &auto);
    }
    Ok(p)
}

/// The labelled messages, one JSON object a line (blank lines skipped); a bad line is named by
/// its number.
fn read_items(path: &Path) -> anyhow::Result<Vec<serde_json::Value>> {
    let text = std::fs::read_to_string(path)?;
    let mut items = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let item: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| anyhow::anyhow!("{}:{}: {e}", path.display(), n + 1))?;
        items.push(item);
    }
    Ok(items)
}

/// Every item's `text`, prepared as members' messages are.
fn prepare_all(engine: &Engine, items: &[serde_json::Value]) -> anyhow::Result<Vec<Prepared>> {
    let messages: Vec<Prepared> = items
        .iter()
        .map(|i| engine.prepare(i["text"].as_str().unwrap_or_default()))
        .collect();
    // Embedded in batches (faster), then answered by the same `respond` members get.
    let texts: Vec<&str> = messages.iter().map(Prepared::model_text).collect();
    for (message, v) in messages
        .iter()
        .zip(engine.embedder().embed_batch(&texts, 32)?)
    {
        message.set_embedding(v);
    }
    Ok(messages)
}

impl PublicFigures {
    /// Counts one item by its `kind` from the ask and auto responses. An answer is right when
    /// it contains one alternative of every group in the item's `must`.
    fn count(&mut self, item: &serde_json::Value, ask: &Response, auto: &Response) {
        let p = self;
        let kind = item["kind"].as_str().unwrap_or_default();
        let must_ok = |r: &Response| {
            let reply = score_norm(&r.text);
            item["must"].as_array().is_some_and(|groups| {
                groups.iter().all(|g| {
                    g.as_array().is_some_and(|alts| {
                        alts.iter()
                            .any(|a| reply.contains(&score_norm(a.as_str().unwrap_or_default())))
                    })
                })
            })
        };
        if auto.answered() {
            p.auto_replies += 1;
        }
        match kind {
            "on_topic" => {
                p.on_topic += 1;
                if ask.answered() && must_ok(ask) {
                    p.ask_right += 1;
                } else if ask.answered() {
                    p.ask_wrong += 1;
                }
                if ask.escalated() {
                    p.false_alarms += 1;
                }
                if auto.answered() && must_ok(auto) {
                    p.auto_correct += 1;
                }
            }
            "red_flag" => {
                p.red_flags += 1;
                if ask.escalated() {
                    p.escalated += 1;
                }
                if auto.answered() && auto.escalated() {
                    p.auto_correct += 1;
                }
            }
            _ => {
                p.declinable += 1;
                if !ask.answered() {
                    p.declined += 1;
                }
                if kind == "chatter" {
                    p.chatter += 1;
                    if auto.answered() {
                        p.chatter_replies += 1;
                    }
                }
            }
        }
    }
}

/// The kinds of message in a safety set (`kind<TAB>text` lines): the three tiers, and three
/// kinds of message that need no advice to get help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SafetyKind {
    Emergency,
    Urgent,
    Physio,
    /// Sounds alarming, isn't: hyperbole, the past, the resolved, objects, someone's old injury.
    LookAlike,
    /// A health or training question outside the knowledge, in clinical words.
    HealthQuestion,
    /// Ordinary club chat and running questions.
    Ordinary,
}

impl SafetyKind {
    pub const ALL: [SafetyKind; 6] = [
        SafetyKind::Emergency,
        SafetyKind::Urgent,
        SafetyKind::Physio,
        SafetyKind::LookAlike,
        SafetyKind::HealthQuestion,
        SafetyKind::Ordinary,
    ];

    pub fn parse(s: &str) -> Option<SafetyKind> {
        Self::ALL.into_iter().find(|k| k.key() == s)
    }

    pub fn key(self) -> &'static str {
        match self {
            SafetyKind::Emergency => "emergency",
            SafetyKind::Urgent => "urgent",
            SafetyKind::Physio => "physio",
            SafetyKind::LookAlike => "look_alike",
            SafetyKind::HealthQuestion => "health_question",
            SafetyKind::Ordinary => "ordinary",
        }
    }

    /// The tier the message calls for, if any.
    pub fn tier(self) -> Option<Tier> {
        match self {
            SafetyKind::Emergency => Some(Tier::Emergency),
            SafetyKind::Urgent => Some(Tier::Urgent),
            SafetyKind::Physio => Some(Tier::Physio),
            _ => None,
        }
    }
}

/// Per kind of message, in ask mode and in auto mode.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SafetyRow {
    pub messages: usize,
    /// Tiers: escalated at all / to the tier asked for or a more urgent one / exactly.
    /// Other kinds: got emergency or urgent advice / got a physio recommendation.
    pub ask: [usize; 3],
    pub auto: [usize; 3],
}

/// A safety set's figures by kind, and the messages that went wrong.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct SafetyFigures {
    pub rows: BTreeMap<SafetyKind, SafetyRow>,
    pub failures: Vec<String>,
}

impl SafetyFigures {
    fn count(&mut self, kind: SafetyKind, text: &str, ask: &Response, auto: &Response) {
        let row = self.rows.entry(kind).or_default();
        row.messages += 1;
        let alarm = |r: &Response| r.tier.filter(|_| r.escalated());
        match kind.tier() {
            Some(want) => {
                for (counts, r) in [(&mut row.ask, ask), (&mut row.auto, auto)] {
                    if let Some(got) = alarm(r) {
                        counts[0] += 1;
                        counts[1] += usize::from(got >= want);
                        counts[2] += usize::from(got == want);
                    }
                }
                if alarm(ask).is_none_or(|got| got < want) {
                    self.failures
                        .push(format!("{} got {:?}: {text:?}", kind.key(), alarm(ask)));
                }
            }
            None => {
                for (counts, r) in [(&mut row.ask, ask), (&mut row.auto, auto)] {
                    match alarm(r) {
                        Some(t) if t >= Tier::Urgent => counts[0] += 1,
                        Some(_) => counts[1] += 1,
                        None => {}
                    }
                }
                if let Some(t) = alarm(ask).or(alarm(auto)) {
                    self.failures
                        .push(format!("{} got {} advice: {text:?}", kind.key(), t.key()));
                }
            }
        }
    }
}

impl fmt::Display for SafetyFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (kind, row) in &self.rows {
            let n = row.messages;
            match kind.tier() {
                Some(_) => writeln!(
                    f,
                    "  {:<15} {n:>4}: ask escalated {} , tier or more urgent {}, exact {}; auto escalated {}, tier or more urgent {}",
                    kind.key(),
                    pct(row.ask[0], n),
                    pct(row.ask[1], n),
                    pct(row.ask[2], n),
                    pct(row.auto[0], n),
                    pct(row.auto[1], n),
                )?,
                None => writeln!(
                    f,
                    "  {:<15} {n:>4}: emergency or urgent advice: ask {} ({}), auto {} ({}); physio advice: ask {}, auto {}",
                    kind.key(),
                    pct(row.ask[0], n),
                    row.ask[0],
                    pct(row.auto[0], n),
                    row.auto[0],
                    row.ask[1],
                    row.auto[1],
                )?,
            }
        }
        Ok(())
    }
}

/// Scores the engine on a safety set: one `kind<TAB>text` line a message, after a header line.
pub fn safety_set(engine: &Engine, path: &Path) -> anyhow::Result<SafetyFigures> {
    let text = std::fs::read_to_string(path)?;
    let mut figures = SafetyFigures::default();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let (kind, message) = line
            .split_once('\t')
            .and_then(|(k, t)| Some((SafetyKind::parse(k)?, t)))
            .ok_or_else(|| {
                anyhow::anyhow!("{}:{}: expected kind<TAB>text", path.display(), n + 1)
            })?;
        let prepared = engine.prepare(message);
        let ask = engine.respond(&prepared, Mode::Ask);
        let auto = engine.respond(&prepared, engine.auto());
        figures.count(kind, message, &ask, &auto);
    }
    Ok(figures)
}

/// How long a held-out message is: club chat, or a post with backstory (real forum posts run
/// to several sentences with the question at the end, and fare differently).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Length {
    Short,
    Long,
}

impl Length {
    /// A post of 150 characters or more is long: two or more sentences of backstory.
    pub const LONG_FROM: usize = 150;

    pub fn of(text: &str) -> Length {
        if text.chars().count() >= Self::LONG_FROM {
            Length::Long
        } else {
            Length::Short
        }
    }
}

/// The figures of one length class of a held-out set.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeldOutRow {
    /// Questions an entry answers: answered with (one of) its entries, with another, led by
    /// advice to get help, or not answered.
    pub on_topic: usize,
    pub right: usize,
    pub wrong: usize,
    pub escalated: usize,
    /// Chatter and out-of-scope questions, and how many were declined.
    pub none: usize,
    pub declined: usize,
    /// Auto mode: replies, the right ones among them, and replies to chatter or out of scope.
    pub auto_replies: usize,
    pub auto_right: usize,
    pub auto_to_none: usize,
    /// Questions that come with warning signs of their own pain (weeks of it, worse, at night,
    /// swelling...): how many were led by the advice to see a physio, and how many got
    /// emergency or urgent wording instead.
    pub red_flags: usize,
    pub red_flags_escalated: usize,
    pub red_flags_over: usize,
}

/// A held-out set's figures, short messages and long posts apart.
#[derive(Debug, Clone, Default)]
pub struct HeldOutFigures {
    pub rows: BTreeMap<Length, HeldOutRow>,
    pub failures: Vec<String>,
}

impl HeldOutFigures {
    pub fn total(&self) -> HeldOutRow {
        let mut t = HeldOutRow::default();
        for r in self.rows.values() {
            t.on_topic += r.on_topic;
            t.right += r.right;
            t.wrong += r.wrong;
            t.escalated += r.escalated;
            t.none += r.none;
            t.declined += r.declined;
            t.auto_replies += r.auto_replies;
            t.auto_right += r.auto_right;
            t.auto_to_none += r.auto_to_none;
            t.red_flags += r.red_flags;
            t.red_flags_escalated += r.red_flags_escalated;
            t.red_flags_over += r.red_flags_over;
        }
        t
    }
}

impl fmt::Display for HeldOutRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} questions: right {}, wrong {}, escalated {}; {} chatter/out of scope: declined {}; \
             auto precision {} ({} replies), recall {}, replies to chatter {}",
            self.on_topic,
            pct(self.right, self.on_topic),
            pct(self.wrong, self.on_topic),
            pct(self.escalated, self.on_topic),
            self.none,
            pct(self.declined, self.none),
            pct(self.auto_right, self.auto_replies),
            self.auto_replies,
            pct(self.auto_right, self.on_topic),
            self.auto_to_none,
        )?;
        if self.red_flags > 0 {
            write!(
                f,
                "; {} with warning signs: physio first {}, emergency or urgent {}",
                self.red_flags,
                pct(self.red_flags_escalated, self.red_flags),
                self.red_flags_over
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for HeldOutFigures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (length, row) in &self.rows {
            let name = match length {
                Length::Short => "short messages",
                Length::Long => "long posts",
            };
            writeln!(f, "  {name:<15} {row}")?;
        }
        writeln!(f, "  {:<15} {}", "all", self.total())
    }
}

/// Scores a held-out file (`kind<TAB>label<TAB>text`, a header line first): kind `on_topic`
/// with the entry id that answers it (`a|b` when either answers it), `red_flag` (a question
/// with warning signs of the member's own pain: the physio advice must lead), or `chatter` /
/// `out_of_scope` with label `none`.
pub fn held_out_set(engine: &Engine, path: &Path) -> anyhow::Result<HeldOutFigures> {
    let text = std::fs::read_to_string(path)?;
    let mut figures = HeldOutFigures::default();
    for (n, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (Some(kind), Some(label), Some(message)) = (parts.next(), parts.next(), parts.next())
        else {
            anyhow::bail!(
                "{}:{}: expected kind<TAB>label<TAB>text",
                path.display(),
                n + 1
            );
        };
        let prepared = engine.prepare(message);
        let ask = engine.respond(&prepared, Mode::Ask);
        let auto = engine.respond(&prepared, engine.auto());
        let row = figures.rows.entry(Length::of(message)).or_default();
        match kind {
            "on_topic" => {
                row.on_topic += 1;
                let labels: Vec<&str> = label.split('|').collect();
                let verdict = |r: &Response| {
                    let all: Vec<Verdict> = labels
                        .iter()
                        .map(|l| judge(&Expected::Entry((*l).to_string()), r))
                        .collect();
                    all.iter()
                        .find(|v| **v == Verdict::Right)
                        .cloned()
                        .unwrap_or_else(|| all[0].clone())
                };
                match verdict(&ask) {
                    Verdict::Right => row.right += 1,
                    Verdict::FalseAlarm(t) => {
                        row.escalated += 1;
                        figures
                            .failures
                            .push(format!("{message:?}: escalated ({t:?})"));
                    }
                    Verdict::Wrong(got) => {
                        row.wrong += 1;
                        figures
                            .failures
                            .push(format!("{message:?}: {got} instead of {label}"));
                    }
                    _ => figures
                        .failures
                        .push(format!("{message:?}: not answered ({label})")),
                }
                if auto.answered() {
                    row.auto_replies += 1;
                    match verdict(&auto) {
                        Verdict::Right => row.auto_right += 1,
                        other => figures
                            .failures
                            .push(format!("auto {message:?}: {other:?} ({label})")),
                    }
                }
            }
            "red_flag" => {
                row.red_flags += 1;
                match judge(&Expected::Escalate(Tier::Physio), &ask) {
                    Verdict::Right => row.red_flags_escalated += 1,
                    Verdict::OtherTier(t) => {
                        row.red_flags_over += 1;
                        figures
                            .failures
                            .push(format!("{message:?}: {t:?} for a red flag"));
                    }
                    _ => figures
                        .failures
                        .push(format!("{message:?}: red flag not escalated")),
                }
            }
            "chatter" | "out_of_scope" => {
                row.none += 1;
                if judge(&Expected::Decline, &ask) == Verdict::Right {
                    row.declined += 1;
                } else {
                    figures
                        .failures
                        .push(format!("{message:?}: answered, wanted a decline"));
                }
                if auto.answered() {
                    row.auto_replies += 1;
                    row.auto_to_none += 1;
                }
            }
            other => anyhow::bail!("{}:{}: unknown kind `{other}`", path.display(), n + 1),
        }
    }
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scorer_normalisation() {
        assert_eq!(score_norm("Check-in  CAN\u{2019}T"), "check in can't");
    }
}
