//! The offline commands: `ask` (the bot's answers without Discord, one question or a batch),
//! `check` (validate the knowledge files and the model's) and `eval` (cross-validation over the
//! knowledge's examples, and a labelled message file).

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use crate::config::Config;
use crate::embed::Embedder;
use crate::engine::{Engine, Mode, Outcome, Response};
use crate::knowledge::KnowledgeBase;
use crate::semantic::Vectors;

/// One line of `ask --json`: the batch contract in `shared/eval/README.md`.
#[derive(Debug, Serialize)]
pub struct JsonAnswer<'a> {
    pub question: &'a str,
    pub answered: bool,
    pub entry: Option<&'a str>,
    pub score: f32,
    pub reply: &'a str,
    pub physio_escalation: bool,
    /// `answer`, `suggest` or `decline`.
    pub outcome: &'static str,
    /// "Did you mean" entry ids, best first.
    pub suggestions: Vec<&'a str>,
    /// Best entry whether answered or not, with the matcher's view of the message: for
    /// moderators tuning thresholds.
    pub best: Option<&'a str>,
    pub intent: String,
    pub on_topic: bool,
    /// `none`, `physio`, `urgent` or `emergency`: the advice the reply leads with.
    pub escalation: &'static str,
    /// The best entries with their fused, head and lexical scores.
    pub candidates: Vec<JsonCandidate<'a>>,
    /// The trained head's probability that none of the entries answers the message.
    pub none_probability: f32,
    /// The warning-sign detector's probability that the message describes a warning sign.
    pub warning_probability: f32,
}

/// One ranked entry in `ask --json`.
#[derive(Debug, Serialize)]
pub struct JsonCandidate<'a> {
    pub entry: &'a str,
    pub score: f32,
    pub head: f32,
    pub lexical: f32,
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

impl<'a> JsonAnswer<'a> {
    pub fn new(question: &'a str, r: &'a Response) -> Self {
        let (outcome, entry, suggestions) = match &r.outcome {
            Outcome::Answer { entry } => ("answer", Some(entry.as_str()), vec![]),
            Outcome::Suggest { entries } => (
                "suggest",
                None,
                entries.iter().map(|id| id.as_str()).collect(),
            ),
            Outcome::Decline { .. } => ("decline", None, vec![]),
            Outcome::Safety { .. } => ("safety", None, vec![]),
        };
        JsonAnswer {
            question,
            answered: r.answered(),
            entry,
            score: round3(r.confidence),
            reply: &r.text,
            physio_escalation: r.escalated(),
            outcome,
            suggestions,
            best: r.best.as_ref().map(|id| id.as_str()),
            intent: format!("{:?}", r.intent).to_lowercase(),
            on_topic: r.on_topic,
            escalation: match r.tier {
                Some(t) if r.escalated() => t.key(),
                _ => "none",
            },
            candidates: r
                .candidates
                .iter()
                .map(|c| JsonCandidate {
                    entry: c.entry.as_str(),
                    score: round3(c.score),
                    head: round3(c.head),
                    lexical: round3(c.lexical),
                })
                .collect(),
            none_probability: round3(r.none_probability),
            warning_probability: round3(r.warning_probability),
        }
    }
}

/// Answers `question`, or every line of `input` when there is none, writing to `out`.
/// With `json`, one object per line, flushed after each so a driving process can stream.
pub fn ask(
    engine: &Engine,
    mode: Mode,
    json: bool,
    question: Option<&str>,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let one = |q: &str, out: &mut dyn Write| -> std::io::Result<()> {
        let r = engine.respond(&engine.prepare(q), mode);
        tracing::debug!(mode = ?mode, outcome = ?r.outcome, confidence = r.confidence, "answered");
        if json {
            let line = serde_json::to_string(&JsonAnswer::new(q, &r))
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            writeln!(out, "{line}")?;
        } else if r.text.is_empty() {
            writeln!(out, "(no auto reply: {})", silence_reason(&r))?;
        } else {
            writeln!(out, "{}", r.text)?;
        }
        out.flush()
    };
    match question {
        Some(q) => one(q, out),
        None => {
            let mut first = true;
            let mut buf = Vec::new();
            let mut number = 0;
            loop {
                buf.clear();
                if input.read_until(b'\n', &mut buf)? == 0 {
                    return Ok(());
                }
                number += 1;
                // One bad line must not end a batch: say which, and go on with the next.
                let Ok(line) = std::str::from_utf8(&buf) else {
                    tracing::error!(line = number, "input line is not valid UTF-8; skipped");
                    eprintln!("line {number}: not valid UTF-8, skipped");
                    continue;
                };
                let q = line.trim_end_matches(['\n', '\r']);
                if !json && !first {
                    writeln!(out)?;
                }
                first = false;
                one(q, out)?;
            }
        }
    }
}

fn silence_reason(r: &Response) -> String {
    match &r.outcome {
        Outcome::Decline { reason } => reason.to_string(),
        _ => String::new(),
    }
}

/// Validates the knowledge directory and the model files: the summary line on success, every
/// problem otherwise.
pub fn check(dir: &Path, model_dir: &Path, out: &mut dyn Write) -> std::io::Result<bool> {
    let model_problems = crate::embed::check_files(model_dir);
    for p in &model_problems {
        writeln!(out, "model: {p}")?;
    }
    match KnowledgeBase::load_dir(dir) {
        Ok(kb) if model_problems.is_empty() => {
            writeln!(
                out,
                "ok: {} entries, {} questions, {} none examples, {} warning-sign examples, \
                 {} sources in {} files ({}); model files in {}",
                kb.entries.len(),
                kb.question_count(),
                kb.none.len(),
                kb.warning_signs.len(),
                kb.source_count(),
                kb.files,
                dir.display(),
                model_dir.display()
            )?;
            Ok(true)
        }
        Ok(_) => {
            writeln!(out, "the model files are missing or unreadable")?;
            Ok(false)
        }
        Err(e) => {
            for p in &e.problems {
                writeln!(out, "{p}")?;
            }
            writeln!(
                out,
                "{} problem(s) found in {}",
                e.problems.len(),
                dir.display()
            )?;
            Ok(false)
        }
    }
}

/// What `runclub-bot eval` measures besides the cross-validation.
#[derive(Debug, Clone, Copy)]
pub struct EvalOptions<'a> {
    pub folds: usize,
    /// Score only this fold (for an encoder fine-tuned without it).
    pub only_fold: Option<usize>,
    /// A labelled message file in the public set's format.
    pub public: Option<&'a Path>,
    /// A safety set (`kind<TAB>text`).
    pub safety: Option<&'a Path>,
    /// A held-out set (`kind<TAB>label<TAB>text`), scored short and long apart.
    pub held_out: Option<&'a Path>,
    /// How many failures to print.
    pub failures: usize,
}

/// `runclub-bot eval`: k-fold cross-validation over the knowledge's own examples, the most
/// frequent confusions, and the figures on a labelled message file when one is given.
pub fn eval(
    config: &Config,
    embedder: &Arc<Embedder>,
    options: &EvalOptions<'_>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let EvalOptions {
        folds,
        only_fold,
        public,
        safety,
        held_out,
        failures,
    } = *options;
    let kb = KnowledgeBase::load_dir(&config.knowledge_dir)?;
    // Embedded as the engine embeds them: each example prepared as a member's message is.
    let texts = Engine::example_model_texts(&kb, &config.engine(), embedder);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let (vectors, _) = Vectors::compute(embedder, &refs, &config.caches())?;
    let started = std::time::Instant::now();
    let tally = crate::eval::cross_validate(
        &kb,
        &config.engine(),
        &config.reply,
        embedder,
        &vectors,
        folds,
        only_fold,
    )?;
    let which = only_fold.map_or(String::new(), |f| format!(", fold {f} only"));
    writeln!(
        out,
        "Cross-validated over the knowledge's own examples ({folds} folds{which}, {} examples, {:.1} s):",
        texts.len(),
        started.elapsed().as_secs_f32()
    )?;
    write!(out, "{tally}")?;
    let confusions = tally.top_confusions(8);
    if !confusions.is_empty() {
        writeln!(out, "  most frequent wrong answers (expected -> answered):")?;
        for c in confusions {
            writeln!(out, "    {c}")?;
        }
    }
    if failures > 0 {
        writeln!(out, "  held-out examples got wrong:")?;
        for f in tally.failures.iter().take(failures) {
            writeln!(out, "    {f}")?;
        }
    }
    if public.is_none() && safety.is_none() && held_out.is_none() {
        return Ok(());
    }
    let engine = Engine::with_vectors(
        kb,
        config.engine(),
        config.reply.clone(),
        embedder.clone(),
        &vectors,
    )?;
    labelled_sets(&engine, options, out)
}

/// Up to `n` of a labelled set's failures, under the set's figures.
fn got_wrong(failures: &[String], n: usize, out: &mut dyn Write) -> std::io::Result<()> {
    if n > 0 {
        writeln!(out, "  got wrong:")?;
        for f in failures.iter().take(n) {
            writeln!(out, "    {f}")?;
        }
    }
    Ok(())
}

/// The figures on labelled message files: the public set's format, and safety sets by kind.
fn labelled_sets(
    engine: &Engine,
    options: &EvalOptions<'_>,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (public, safety, failures) = (options.public, options.safety, options.failures);
    if let Some(path) = options.held_out {
        let figures = crate::eval::held_out_set(engine, path)?;
        writeln!(out, "Held-out set {}:", path.display())?;
        write!(out, "{figures}")?;
        got_wrong(&figures.failures, failures, out)?;
    }
    if let Some(path) = public {
        let figures = crate::eval::public_set(engine, path)?;
        writeln!(
            out,
            "Labelled messages in {} (a sanity check):",
            path.display()
        )?;
        write!(out, "{figures}")?;
    }
    if let Some(path) = safety {
        let figures = crate::eval::safety_set(engine, path)?;
        writeln!(out, "Safety set {} (by kind):", path.display())?;
        write!(out, "{figures}")?;
        got_wrong(&figures.failures, failures, out)?;
    }
    Ok(())
}
