//! `runclub-bot check` and the knowledge loader on broken files: every problem reported, each
//! with file, line and column, and nothing loaded when anything is wrong.

mod common;

use std::path::Path;
use std::process::Command;

use runclub_bot::knowledge::{KnowledgeBase, Problem, MIN_NONE, MIN_QUESTIONS, MIN_SIGNS_PER_TIER};

/// The sources the entries cite and the physio signs' phrases, without a lexicon.
const SUPPORT: &str = r#"{"sources": [{"id": "S1", "cite": "Review, Smith 2019", "title": "A source", "year": 2019, "doi": "10.1000/xyz", "evidence": "moderate"}, {"id": "S2", "cite": "NHS S2", "title": "Guidance S2", "url": "https://www.nhs.uk/s2", "evidence": "official"}, {"id": "S3", "cite": "NHS S3", "title": "Guidance S3", "url": "https://www.nhs.uk/s3", "evidence": "official"}, {"id": "S4a", "cite": "NHS S4a", "title": "Guidance S4a", "url": "https://www.nhs.uk/s4a", "evidence": "official"}, {"id": "S4b", "cite": "NHS S4b", "title": "Guidance S4b", "url": "https://www.nhs.uk/s4b", "evidence": "official"}, {"id": "S5a", "cite": "NHS S5a", "title": "Guidance S5a", "url": "https://www.nhs.uk/s5a", "evidence": "official"}, {"id": "S6", "cite": "NHS S6", "title": "Guidance S6", "url": "https://www.nhs.uk/s6", "evidence": "official"}, {"id": "S7", "cite": "NHS S7", "title": "Guidance S7", "url": "https://www.nhs.uk/s7", "evidence": "official"}, {"id": "S8", "cite": "NHS S8", "title": "Guidance S8", "url": "https://www.nhs.uk/s8", "evidence": "official"}, {"id": "S9", "cite": "NHS S9", "title": "Guidance S9", "url": "https://www.nhs.uk/s9", "evidence": "official"}, {"id": "S10", "cite": "NHS S10", "title": "Guidance S10", "url": "https://www.nhs.uk/s10", "evidence": "official"}], "physio_signs": {"body_words": ["knee"], "pain_words": ["pain"], "signs": [{"sign": "worsening", "why": "pain getting worse", "phrases": ["getting worse"]}]}}"#;

/// A lexicon, with what [`SUPPORT`] holds.
const LEXICON: &str = r#"{"lexicon": {"synonyms": [{"term": "roll", "variants": ["roller"]}], "topic_terms": ["roll"]}, "sources": [{"id": "S1", "cite": "Review, Smith 2019", "title": "A source", "year": 2019, "doi": "10.1000/xyz", "evidence": "moderate"}, {"id": "S2", "cite": "NHS S2", "title": "Guidance S2", "url": "https://www.nhs.uk/s2", "evidence": "official"}, {"id": "S3", "cite": "NHS S3", "title": "Guidance S3", "url": "https://www.nhs.uk/s3", "evidence": "official"}, {"id": "S4a", "cite": "NHS S4a", "title": "Guidance S4a", "url": "https://www.nhs.uk/s4a", "evidence": "official"}, {"id": "S4b", "cite": "NHS S4b", "title": "Guidance S4b", "url": "https://www.nhs.uk/s4b", "evidence": "official"}, {"id": "S5a", "cite": "NHS S5a", "title": "Guidance S5a", "url": "https://www.nhs.uk/s5a", "evidence": "official"}, {"id": "S6", "cite": "NHS S6", "title": "Guidance S6", "url": "https://www.nhs.uk/s6", "evidence": "official"}, {"id": "S7", "cite": "NHS S7", "title": "Guidance S7", "url": "https://www.nhs.uk/s7", "evidence": "official"}, {"id": "S8", "cite": "NHS S8", "title": "Guidance S8", "url": "https://www.nhs.uk/s8", "evidence": "official"}, {"id": "S9", "cite": "NHS S9", "title": "Guidance S9", "url": "https://www.nhs.uk/s9", "evidence": "official"}, {"id": "S10", "cite": "NHS S10", "title": "Guidance S10", "url": "https://www.nhs.uk/s10", "evidence": "official"}], "physio_signs": {"body_words": ["knee"], "pain_words": ["pain"], "signs": [{"sign": "worsening", "why": "pain getting worse", "phrases": ["getting worse"]}]}}"#;

/// Valid `none` and `warning_signs` examples, just enough of each for the knowledge to load.
const EXAMPLES: &str = r#"{
  "none": {
    "chatter": [
      "great run this morning everyone",
      "who is coming to the saturday parkrun",
      "new shoes arrived today, so excited",
      "congrats on the marathon PB!",
      "the track is closed next tuesday",
      "anyone fancy a coffee after the long run",
      "my watch died halfway round again",
      "what a view from the top of the hill",
      "thanks for pacing me yesterday",
      "the club kit order closes friday"
    ],
    "out_of_scope": [
      "what should I eat the night before a race",
      "is creatine worth taking for runners",
      "which gps watch has the best battery",
      "how do I qualify for boston",
      "what is a good 10k training plan",
      "should I run in the heat or wait for the evening",
      "how many gels do I need for a marathon",
      "are carbon plated shoes cheating",
      "how do I stop my headphones falling out",
      "what time does the club bus leave"
    ]
  },
  "warning_signs": {
    "physio": [
      "my knee has hurt for three weeks now",
      "the pain on the outside of my knee is getting worse every run",
      "I have been limping since my last long run",
      "my shin hurts even when I walk",
      "this ache in my heel has not gone away for a month"
    ],
    "urgent": [
      "my calf is hot, red and swollen",
      "I heard a pop in my ankle and can't put weight on it",
      "my foot went numb and is still tingling",
      "there is a lump on my shin that hurts to touch",
      "sharp pain in one spot on my shin and it hurts to hop"
    ],
    "emergency": [
      "chest pain while running and I feel faint",
      "I can't breathe properly after the race",
      "a runner collapsed at the finish",
      "I was confused and dizzy after the hot run and now vomiting",
      "my arm went numb and my chest feels tight"
    ],
    "not_warning": [
      "my legs are a bit sore after yesterday's hills",
      "stiff calves the morning after intervals"
    ]
  }
}"#;

/// `n` distinct example questions (JSON strings joined by commas), each naming `tag` so that
/// the questions of two tags never collide.
fn question_list(tag: &str, n: usize) -> String {
    (1..=n)
        .map(|i| format!("\"how does {tag} work, take {i}?\""))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An entry whose `questions` is the JSON array `questions`.
fn entry_with(id: &str, questions: &str) -> String {
    format!(
        r#"{{"id": "{id}", "title": "Title {id}", "questions": {questions},
  "answer": "An answer.", "sources": ["S1"], "reviewed": "2026-01-31"}}"#
    )
}

/// A valid entry: its questions name its id, so different entries don't share one.
fn entry(id: &str) -> String {
    entry_with(id, &format!("[{}]", question_list(id, MIN_QUESTIONS)))
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
    let kb = load(&[
        ("e.json", &text),
        ("lex.json", LEXICON),
        ("examples.json", EXAMPLES),
    ])
    .unwrap();
    assert_eq!(kb.entries.len(), 2);
    assert_eq!(kb.question_count(), 2 * MIN_QUESTIONS);
    assert_eq!(kb.source_count(), 11);
    assert_eq!(kb.none.len(), 20);
    assert_eq!(kb.warning_signs.len(), 17);
}

#[test]
fn json_syntax_error_has_line_and_column() {
    let text = "{\n  \"entries\": [\n    {\"id\": \"a\",, }\n  ]\n}";
    expect(
        &[
            ("bad.json", text),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
        &[("bad.json", 3, 16, None, "key must be a string")],
    );
}

#[test]
fn wrong_type_inside_an_entry_points_into_the_file() {
    let text = "{\"entries\": [\n  {\"id\": \"a\", \"questions\": \"not a list\"}\n]}";
    expect(
        &[
            ("t.json", text),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
        &[("t.json", 2, 39, None, "invalid type")],
    );
}

#[test]
fn every_missing_field_is_reported_at_once() {
    let text = "{\"entries\": [\n  {\"id\": \"lonely\"}\n]}";
    expect(
        &[
            ("m.json", text),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
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
        &[
            ("f.json", &text),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
        &[
            ("f.json", 8, 2, Some("e"), "`qestions` is not a known field"),
            ("f.json", 3, 2, Some("e"), "`answer` is too long"),
            ("f.json", 6, 2, Some("e"), "not a date"),
            (
                "f.json",
                4,
                2,
                Some("e"),
                "has 1 example(s); give at least 20",
            ),
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
    // The questions come after the fields at fault, on the same line: they don't move them.
    let text = format!(
        "{{\"entries\": [\n{{\"id\": \"Bad Id\", \"title\": \"T\", \"answer\": \"  \", \"questions\": [{}],\n \"sources\": [\"S1\"], \"reviewed\": \"2026-01-01\"}}\n]}}",
        question_list("bad id", MIN_QUESTIONS)
    );
    expect(
        &[
            ("i.json", &text),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
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
        &[
            ("l.json", &text),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
        &[("l.json", 1, 15, Some(id.as_str()), "at most 60")],
    );
}

#[test]
fn duplicate_ids_across_files_name_both_places() {
    let one = format!("{{\"entries\": [{}]}}", entry("same"));
    // Other questions, so that only the id is duplicated.
    let two = format!(
        "{{\"entries\": [\n\n{}]}}",
        entry_with(
            "same",
            &format!("[{}]", question_list("same again", MIN_QUESTIONS))
        )
    );
    expect(
        &[
            ("a.json", &one),
            ("b.json", &two),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
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
        &[
            ("e.json", &text),
            ("examples.json", EXAMPLES),
            ("support.json", SUPPORT),
        ],
        &[("e.json", 0, 0, None, "no `lexicon`")],
    );
    let lex = r#"{"lexicon": {"synonyms": [{"term": "roll", "variants": ["roller"]}, {"term": "band", "variants": ["roller"]}]}}"#;
    expect(
        &[
            ("e.json", &text),
            ("lex.json", lex),
            ("examples.json", EXAMPLES),
            ("support.json", SUPPORT),
        ],
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
        &[
            ("e.json", &text),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
        &[("e.json", line, col, None, "not a known top-level field")],
    );
}

#[test]
fn too_few_questions_are_reported_at_the_questions_field() {
    let text = format!(
        "{{\"entries\": [\n{}]}}",
        entry_with(
            "sparse",
            &format!("[{}]", question_list("sparse", MIN_QUESTIONS - 1))
        )
    );
    expect(
        &[
            ("q.json", &text),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
        &[(
            "q.json",
            2,
            43,
            Some("sparse"),
            "`questions` has 19 example(s); give at least 20",
        )],
    );
}

#[test]
fn an_example_under_two_entries_points_at_the_second_and_names_the_first() {
    let one = format!("{{\"entries\": [{}]}}", entry("a"));
    // `b` asks a's third question again, in other case and punctuation, at line 2 column 3.
    let two = format!(
        "{{\"entries\": [{}]}}",
        entry_with(
            "b",
            &format!(
                "[{},\n  \"How does A work - take 3\"]",
                question_list("b", MIN_QUESTIONS)
            )
        )
    );
    expect(
        &[
            ("a.json", &one),
            ("b.json", &two),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
        &[(
            "b.json",
            2,
            3,
            Some("b"),
            "example \"How does A work - take 3\" is also under `a` (a.json:1)",
        )],
    );
}

#[test]
fn an_example_under_an_entry_and_under_none_is_reported() {
    let text = format!("{{\"entries\": [{}]}}", entry("a"));
    let none = "{\"none\": {\"chatter\": [\n  \"how does a work, take 2?\"\n]}}";
    expect(
        &[
            ("e.json", &text),
            ("lex.json", LEXICON),
            ("n.json", none),
            ("examples.json", EXAMPLES),
        ],
        &[("n.json", 2, 3, None, "is also under `a` (e.json:1)")],
    );
}

#[test]
fn an_example_twice_in_one_entry_points_at_the_second() {
    // The same question as the seventh, folded: case and punctuation don't make it new.
    let text = format!(
        "{{\"entries\": [{}]}}",
        entry_with(
            "a",
            &format!(
                "[{},\n  \"HOW does a work: take 7\"]",
                question_list("a", MIN_QUESTIONS)
            )
        )
    );
    expect(
        &[
            ("e.json", &text),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
        &[(
            "e.json",
            2,
            3,
            Some("a"),
            "duplicate example \"HOW does a work: take 7\"",
        )],
    );
}

#[test]
fn missing_none_and_too_few_warning_signs_are_reported() {
    let signs = |tier: &str, n: usize| {
        (1..=n)
            .map(|i| format!("\"{tier} sign number {i}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let text = format!(
        "{{\"entries\": [{}],\n\"warning_signs\": {{\"physio\": [{}], \"urgent\": [{}]}}}}",
        entry("a"),
        signs("physio", MIN_SIGNS_PER_TIER - 1),
        signs("urgent", MIN_SIGNS_PER_TIER)
    );
    let physio = format!(
        "{} `warning_signs.physio` example(s): at least {MIN_SIGNS_PER_TIER} needed",
        MIN_SIGNS_PER_TIER - 1
    );
    let emergency =
        format!("0 `warning_signs.emergency` example(s): at least {MIN_SIGNS_PER_TIER} needed");
    let none = format!("0 `none` example(s): the matcher needs at least {MIN_NONE}");
    expect(
        &[("e.json", &text), ("lex.json", LEXICON)],
        &[
            ("e.json", 0, 0, None, &none),
            ("e.json", 0, 0, None, &physio),
            ("e.json", 0, 0, None, &emergency),
        ],
    );
}

#[test]
fn unknown_warning_sign_tier_is_reported_in_place() {
    let text = format!("{{\"entries\": [{}]}}", entry("a"));
    let signs = "{\"warning_signs\": {\n  \"physio\": [\"my knee still hurts\"],\n  \"emergancy\": [\"chest pain\"]\n}}";
    expect(
        &[
            ("e.json", &text),
            ("s.json", signs),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
        ],
        // serde_json stops at the end of the key: its closing quote.
        &[("s.json", 3, 13, None, "unknown field `emergancy`")],
    );
}

#[test]
fn duplicate_warning_signs_are_reported() {
    let text = format!("{{\"entries\": [{}]}}", entry("a"));
    // The first is also in EXAMPLES' `urgent`; the second, folded, is the first in another tier.
    let signs = "{\"warning_signs\": {\n  \"urgent\": [\"my calf is hot, red and swollen\"],\n  \"not_warning\": [\"My calf is HOT, red and swollen!\"]\n}}";
    expect(
        &[
            ("e.json", &text),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
            ("s.json", signs),
        ],
        &[
            ("s.json", 2, 14, None, "duplicate warning-sign example"),
            ("s.json", 3, 19, None, "is in two tiers"),
        ],
    );
}

#[test]
fn check_command_reports_and_exits_non_zero() {
    let dir = common::temp_dir("check-broken");
    common::write(&dir, "lex.json", LEXICON);
    common::write(&dir, "examples.json", EXAMPLES);
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

#[test]
fn an_identical_none_example_points_at_the_second_copy() {
    // The new line 14 repeats line 4 character for character: the problem points at the copy.
    let examples = EXAMPLES.replace(
        "\"the club kit order closes friday\"",
        "\"the club kit order closes friday\",\n      \"great run this morning everyone\"",
    );
    expect(
        &[
            ("e.json", &format!("{{\"entries\": [{}]}}", entry("a"))),
            ("lex.json", LEXICON),
            ("examples.json", &examples),
        ],
        &[(
            "examples.json",
            14,
            7,
            None,
            "duplicate example \"great run this morning everyone\"",
        )],
    );
}

/// The explicit triage rules are reviewed data: a rule with a tier the rules don't have, no
/// reason, or a phrase written so that it could never match a message is named with file, line
/// and column; a good rule loads and decides.
#[test]
fn triage_rules_are_checked_like_the_rest_of_the_knowledge() {
    let entries = format!("{{\"entries\": [{}]}}", entry("a"));
    let good = r#"{"triage_rules": [
  {"tier": "urgent", "why": "A tendon rupture.", "all": [["pop", "snapped"], ["achilles"]], "unless": ["lol"]}
]}"#;
    let kb = load(&[
        ("e.json", &entries),
        ("lex.json", LEXICON),
        ("examples.json", EXAMPLES),
        ("rules.json", good),
    ])
    .unwrap();
    let words = |t: &str| runclub_bot::text::fold_words(t);
    use runclub_bot::triage::{urgent_tier, Tier};
    assert_eq!(
        urgent_tier(&words("heard a pop in my Achilles"), &kb.triage_rules),
        Some(Tier::Urgent)
    );
    assert_eq!(
        urgent_tier(&words("achilles went pop lol"), &kb.triage_rules),
        None
    );
    assert_eq!(
        urgent_tier(&words("no pop in my achilles"), &kb.triage_rules),
        None,
        "a negated phrase doesn't count"
    );

    let bad = r#"{"triage_rules": [
  {"tier": "physio", "why": "Knee pain.", "all": [["knee"]]},
  {"tier": "emergency", "why": " ", "all": [["Can't Breathe"]], "unless": ["ha ha"]},
  {"tier": "urgent", "why": "Nothing to match.", "all": []}
]}"#;
    expect(
        &[
            ("e.json", &entries),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
            ("rules.json", bad),
        ],
        &[
            (
                "rules.json",
                2,
                4,
                None,
                "`tier` must be `emergency` or `urgent`",
            ),
            (
                "rules.json",
                3,
                25,
                None,
                "`why` must say what the rule catches",
            ),
            (
                "rules.json",
                3,
                46,
                None,
                "write it as the rules read messages, `cant breathe`",
            ),
            (
                "rules.json",
                3,
                76,
                None,
                "`unless` takes single folded words",
            ),
            (
                "rules.json",
                4,
                50,
                None,
                "`all` needs at least one non-empty group",
            ),
        ],
    );
}

#[test]
fn sources_are_checked_where_they_are_cited_and_defined() {
    // An entry citing an id no file defines, one citing nothing, and one citing twice.
    let text = format!(
        "{{\"entries\": [\n{},\n{},\n{}]}}",
        entry("a").replace("[\"S1\"]", "[\"S99\"]"),
        entry("b").replace("[\"S1\"]", "[]"),
        entry("c").replace("[\"S1\"]", "[\"S1\", \"S1\"]"),
    );
    let problems = load(&[
        ("e.json", &text),
        ("lex.json", LEXICON),
        ("examples.json", EXAMPLES),
    ])
    .expect_err("should fail");
    let shown: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 3, "{shown:#?}");
    assert!(
        shown
            .iter()
            .any(|p| p.contains("entry `a`") && p.contains("unknown source `S99`")),
        "{shown:#?}"
    );
    assert!(
        shown
            .iter()
            .any(|p| p.contains("entry `b`") && p.contains("`sources` is empty")),
        "{shown:#?}"
    );
    assert!(
        shown
            .iter()
            .any(|p| p.contains("entry `c`") && p.contains("cites source `S1` twice")),
        "{shown:#?}"
    );
    // Each is at the entry's own line (line 2, 4 and 6 of the file), not the file's start.
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines.iter().filter(|&&l| l > 1).count(), 3, "{shown:#?}");
}

#[test]
fn a_source_needs_a_link_a_known_strength_and_one_definition() {
    let entries = format!("{{\"entries\": [{}]}}", entry("a"));
    let sources = r#"{"sources": [
  {"id": "S2", "cite": "Trial, Jones 2020", "title": "No link", "evidence": "low"},
  {"id": "S3", "cite": "Trial, Lee 2021", "title": "Bad links", "doi": "doi.org/10.1/x", "pmid": "PM123", "url": "www.nhs.uk", "evidence": "low"},
  {"id": "S4", "cite": "Guide", "title": "Strength", "url": "https://example.org", "evidence": "strong"},
  {"id": "S1", "cite": "Again", "title": "Twice", "url": "https://example.org", "evidence": "official"}
]}"#;
    expect(
        &[
            ("e.json", &entries),
            ("lex.json", LEXICON),
            ("examples.json", EXAMPLES),
            ("s.json", sources),
        ],
        &[
            ("s.json", 2, 3, None, "no `doi`, `pmid` or `url`"),
            ("s.json", 3, 65, None, "is not a DOI"),
            ("s.json", 3, 90, None, "is not a PubMed id"),
            ("s.json", 3, 107, None, "is not a web link"),
            ("s.json", 4, 103, None, "unknown variant `strong`"),
            (
                "s.json",
                5,
                3,
                None,
                "duplicate source id `S1` (first defined at lex.json:1:",
            ),
        ],
    );
}

#[test]
fn physio_sign_phrases_are_checked_like_the_rest_of_the_knowledge() {
    let entries = format!("{{\"entries\": [{}]}}", entry("a"));
    let lexicon = r#"{"lexicon": {"synonyms": [{"term": "roll", "variants": ["roller"]}], "topic_terms": ["roll"]}, "sources": [{"id": "S1", "cite": "Review, Smith 2019", "title": "A source", "doi": "10.1000/xyz", "evidence": "moderate"}, {"id": "S2", "cite": "NHS S2", "title": "Guidance S2", "url": "https://www.nhs.uk/s2", "evidence": "official"}, {"id": "S3", "cite": "NHS S3", "title": "Guidance S3", "url": "https://www.nhs.uk/s3", "evidence": "official"}, {"id": "S4a", "cite": "NHS S4a", "title": "Guidance S4a", "url": "https://www.nhs.uk/s4a", "evidence": "official"}, {"id": "S4b", "cite": "NHS S4b", "title": "Guidance S4b", "url": "https://www.nhs.uk/s4b", "evidence": "official"}, {"id": "S5a", "cite": "NHS S5a", "title": "Guidance S5a", "url": "https://www.nhs.uk/s5a", "evidence": "official"}, {"id": "S6", "cite": "NHS S6", "title": "Guidance S6", "url": "https://www.nhs.uk/s6", "evidence": "official"}, {"id": "S7", "cite": "NHS S7", "title": "Guidance S7", "url": "https://www.nhs.uk/s7", "evidence": "official"}, {"id": "S8", "cite": "NHS S8", "title": "Guidance S8", "url": "https://www.nhs.uk/s8", "evidence": "official"}, {"id": "S9", "cite": "NHS S9", "title": "Guidance S9", "url": "https://www.nhs.uk/s9", "evidence": "official"}, {"id": "S10", "cite": "NHS S10", "title": "Guidance S10", "url": "https://www.nhs.uk/s10", "evidence": "official"}]}"#;
    let signs = r#"{"physio_signs": {
  "body_words": ["knee", "Calf"],
  "pain_words": ["pain"],
  "signs": [
    {"sign": "worsening", "why": "pain getting worse", "phrases": ["getting worse", "Getting Worse!"]},
    {"sign": "wobbly", "why": "?", "phrases": ["wobbles"]}
  ]
}}"#;
    expect(
        &[
            ("e.json", &entries),
            ("lex.json", lexicon),
            ("examples.json", EXAMPLES),
            ("p.json", signs),
        ],
        &[
            ("p.json", 2, 26, None, "single folded words (got `Calf`)"),
            (
                "p.json",
                5,
                85,
                None,
                "phrase `Getting Worse!` never matches",
            ),
            ("p.json", 6, 14, None, "unknown sign `wobbly`"),
        ],
    );
    // Without any, the knowledge is refused: the physio tier would have no rules.
    expect(
        &[
            ("e.json", &entries),
            ("lex.json", lexicon),
            ("examples.json", EXAMPLES),
        ],
        &[("e.json", 0, 0, None, "no `physio_signs`")],
    );
}
