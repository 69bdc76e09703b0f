//! The offline commands: `ask` (the bot's answers without Discord, one question or a batch) and
//! `check` (validate the knowledge files).

use std::io::{BufRead, Write};

use serde::Serialize;

use crate::engine::{Engine, Mode, Outcome, Response};
use crate::knowledge::KnowledgeBase;

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
}

impl<'a> JsonAnswer<'a> {
    pub fn new(engine: &'a Engine, question: &'a str, r: &'a Response) -> Self {
        let (outcome, entry, suggestions) = match &r.outcome {
            Outcome::Answer { entry } => ("answer", Some(engine.entry(*entry).id.as_str()), vec![]),
            Outcome::Suggest { entries } => (
                "suggest",
                None,
                entries
                    .iter()
                    .map(|&i| engine.entry(i).id.as_str())
                    .collect(),
            ),
            Outcome::Decline { .. } => ("decline", None, vec![]),
        };
        JsonAnswer {
            question,
            answered: r.answered(),
            entry,
            score: (r.confidence * 1000.0).round() / 1000.0,
            reply: &r.text,
            physio_escalation: r.escalated(),
            outcome,
            suggestions,
            best: r.best.map(|i| engine.entry(i).id.as_str()),
            intent: format!("{:?}", r.intent).to_lowercase(),
            on_topic: r.on_topic,
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
        let r = engine.respond(q, mode);
        tracing::debug!(mode = ?mode, outcome = ?r.outcome, confidence = r.confidence, "answered");
        if json {
            let line = serde_json::to_string(&JsonAnswer::new(engine, q, &r))
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
            for line in input.lines() {
                let line = line?;
                let q = line.strip_suffix('\r').unwrap_or(&line);
                if !json && !first {
                    writeln!(out)?;
                }
                first = false;
                one(q, out)?;
            }
            Ok(())
        }
    }
}

fn silence_reason(r: &Response) -> String {
    match &r.outcome {
        Outcome::Decline { reason } => reason.to_string(),
        _ => String::new(),
    }
}

/// Validates the knowledge directory: the summary line on success, every problem otherwise.
pub fn check(dir: &std::path::Path, out: &mut dyn Write) -> std::io::Result<bool> {
    match KnowledgeBase::load_dir(dir) {
        Ok(kb) => {
            writeln!(
                out,
                "ok: {} entries, {} questions, {} sources in {} files ({})",
                kb.entries.len(),
                kb.question_count(),
                kb.source_count(),
                kb.files,
                dir.display()
            )?;
            Ok(true)
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
