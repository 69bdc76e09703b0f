//! `runclub-bot check` and the knowledge loader on broken files: every problem reported, each
//! with file, line and column, and nothing loaded when anything is wrong.

mod common;

use std::path::Path;
use std::process::Command;

use runclub_bot::knowledge::{KnowledgeBase, Problem};

const LEXICON: &str = r#"{"lexicon": {"synonyms": [{"term": "roll", "variants": ["roller"]}], "topic_terms": ["roll"]}}"#;

fn entry(id: &str) -> String {
    format!(
        r#"{{"id": "{id}", "title": "Title {id}", "questions": ["first way to ask", "second way to ask"],
  "answer": "An answer.", "sources": [{{"title": "A source", "year": 2019}}], "reviewed": "2026-01-31"}}"#
    )
}

fn load(files: &[(&str, &str)]) -> Result<KnowledgeBase, Vec<Problem>> {
    let owned: Vec<(std::path::PathBuf, &str)> = files
        .iter()
        .map(|(n, t)| (Path::new(n).to_path_buf(), *t))
        .collect();
    let refs: Vec<(&Path, &str)> = owned.iter().map(|(p, t)| (p.as_path(), *t)).collect();
    KnowledgeBase::from_sources(&refs).map_err(|e| e.problems)
}

/// Expects exactly these problems, as (file, line, column, entry, message fragment).
fn expect(files: &[(&str, &str)], want: &[(&str, usize, usize, Option<&str>, &str)]) {
    let problems = load(files).expect_err("should fail");
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), want.len(), "{shown:#?}");
    for (p, (file, line, col, id, fragment)) in problems.iter().zip(want) {
        assert_eq!(p.file, Path::new(file), "{p}");
        assert_eq!((p.line, p.column), (*line, *col), "{p}");
        assert_eq!(p.entry.as_deref(), *id, "{p}");
        assert!(
            p.message.contains(fragment),
            "{p} should mention {fragment:?}"
        );
    }
}

#[test]
fn good_files_load() {
    let text = format!("{{\"entries\": [{}, {}]}}", entry("a"), entry("b"));
    let kb = load(&[("e.json", &text), ("lex.json", LEXICON)]).unwrap();
    assert_eq!(kb.entries.len(), 2);
    assert_eq!(kb.question_count(), 4);
    assert_eq!(kb.source_count(), 1);
}

#[test]
fn json_syntax_error_has_line_and_column() {
    let text = "{\n  \"entries\": [\n    {\"id\": \"a\",, }\n  ]\n}";
    expect(
        &[("bad.json", text), ("lex.json", LEXICON)],
        &[("bad.json", 3, 16, None, "key must be a string")],
    );
}

#[test]
fn wrong_type_inside_an_entry_points_into_the_file() {
    let text = "{\"entries\": [\n  {\"id\": \"a\", \"questions\": \"not a list\"}\n]}";
    expect(
        &[("t.json", text), ("lex.json", LEXICON)],
        &[("t.json", 2, 39, None, "invalid type")],
    );
}

#[test]
fn every_missing_field_is_reported_at_once() {
    let text = "{\"entries\": [\n  {\"id\": \"lonely\"}\n]}";
    expect(
        &[("m.json", text), ("lex.json", LEXICON)],
        &[
            ("m.json", 2, 3, Some("lonely"), "missing field `title`"),
            ("m.json", 2, 3, Some("lonely"), "missing field `answer`"),
            ("m.json", 2, 3, Some("lonely"), "missing field `reviewed`"),
            ("m.json", 2, 3, Some("lonely"), "missing field `questions`"),
            ("m.json", 2, 3, Some("lonely"), "missing field `sources`"),
        ],
    );
}

#[test]
fn field_problems_point_at_the_field() {
    let long = "x".repeat(1300);
    let text = format!(
        "{{\"entries\": [\n{{\"id\": \"e\", \"title\": \"T\",\n \"answer\": \"{long}\",\n \"questions\": [\"only one\"],\n \"sources\": [],\n \"reviewed\": \"2026-02-30\",\n \"related\": [\"nowhere\"],\n \"qestions\": []}}\n]}}"
    );
    expect(
        &[("f.json", &text), ("lex.json", LEXICON)],
        &[
            ("f.json", 8, 2, Some("e"), "`qestions` is not a known field"),
            ("f.json", 3, 2, Some("e"), "`answer` is too long"),
            ("f.json", 6, 2, Some("e"), "not a date"),
            ("f.json", 4, 2, Some("e"), "at least 2"),
            ("f.json", 5, 2, Some("e"), "every answer needs a source"),
            (
                "f.json",
                7,
                2,
                Some("e"),
                "unknown cross-reference `nowhere`",
            ),
        ],
    );
}

#[test]
fn empty_answer_and_bad_id() {
    let text = "{\"entries\": [\n{\"id\": \"Bad Id\", \"title\": \"T\", \"answer\": \"  \", \"questions\": [\"a\", \"b\"],\n \"sources\": [{\"title\": \"S\"}], \"reviewed\": \"2026-01-01\"}\n]}";
    expect(
        &[("i.json", text), ("lex.json", LEXICON)],
        &[
            ("i.json", 2, 2, Some("Bad Id"), "lower-case"),
            ("i.json", 2, 32, Some("Bad Id"), "`answer` is empty"),
        ],
    );
}

#[test]
fn over_long_id_is_refused() {
    let id = "a".repeat(61);
    let text = format!("{{\"entries\": [{}]}}", entry(&id));
    expect(
        &[("l.json", &text), ("lex.json", LEXICON)],
        &[("l.json", 1, 15, Some(id.as_str()), "at most 60")],
    );
}

#[test]
fn duplicate_ids_across_files_name_both_places() {
    let one = format!("{{\"entries\": [{}]}}", entry("same"));
    let two = format!("{{\"entries\": [\n\n{}]}}", entry("same"));
    expect(
        &[("a.json", &one), ("b.json", &two), ("lex.json", LEXICON)],
        &[(
            "b.json",
            3,
            1,
            Some("same"),
            "duplicate id (first defined at a.json:1:14)",
        )],
    );
}

#[test]
fn lexicon_conflicts_and_missing_lexicon() {
    let text = format!("{{\"entries\": [{}]}}", entry("a"));
    expect(
        &[("e.json", &text)],
        &[("e.json", 0, 0, None, "no `lexicon`")],
    );
    let lex = r#"{"lexicon": {"synonyms": [{"term": "roll", "variants": ["roller"]}, {"term": "band", "variants": ["roller"]}]}}"#;
    expect(
        &[("e.json", &text), ("lex.json", lex)],
        &[("lex.json", 1, 14, None, "belongs to both `roll` and `band`")],
    );
}

#[test]
fn unknown_top_level_field() {
    let text = format!("{{\"entries\": [{}], \"entires\": []}}", entry("a"));
    let at = text.find("\"entires\"").unwrap();
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    expect(
        &[("e.json", &text), ("lex.json", LEXICON)],
        &[("e.json", line, col, None, "not a known top-level field")],
    );
}

#[test]
fn check_command_reports_and_exits_non_zero() {
    let dir = common::temp_dir("check-broken");
    common::write(&dir, "lex.json", LEXICON);
    common::write(&dir, "bad.json", "{\"entries\": [\n  {\"id\": \"x\"\n]}");
    let out = Command::new(common::bin())
        .args(["check", "--knowledge"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("bad.json:3:1:"), "{stdout}");
    assert!(stdout.contains("1 problem(s)"), "{stdout}");
}

#[test]
fn check_command_summarises_the_bundled_knowledge() {
    let out = Command::new(common::bin())
        .args(["check", "--knowledge"])
        .arg(common::repo().join("knowledge"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("ok: "), "{stdout}");
    assert!(
        stdout.contains("entries") && stdout.contains("questions") && stdout.contains("sources")
    );
}
