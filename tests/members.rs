//! Our own set of member messages (`tests/fixtures/members.tsv`, written for this project, not
//! taken from any evaluation set), scored like the evaluation: a regression guard on how well
//! the bot generalises, in both modes.

mod common;

use runclub_bot::engine::Mode;
use runclub_bot::eval::{judge, Expected, Verdict};

struct Case {
    kind: String,
    expected: String,
    text: String,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(common::repo().join("tests/fixtures/members.tsv")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            Case {
                kind: parts.next().unwrap().to_string(),
                expected: parts.next().unwrap().to_string(),
                text: parts.next().unwrap().to_string(),
            }
        })
        .collect()
}

fn share(ok: usize, of: usize) -> f64 {
    ok as f64 / of.max(1) as f64
}

#[test]
fn members_messages_in_ask_and_auto_mode() {
    let engine = common::engine();
    let cases = cases();
    let of = |k: &str| cases.iter().filter(|c| c.kind == k).count();
    let mut misses = Vec::new();
    let (mut on_ok, mut red_ok, mut quiet_ok, mut auto_hits, mut auto_wrong, mut auto_noise) =
        (0, 0, 0, 0, 0, 0);
    for c in &cases {
        let message = engine.prepare(&c.text);
        let ask = engine.respond(&message, Mode::Ask);
        let auto = engine.respond(&message, engine.auto());
        match c.kind.as_str() {
            "on_topic" => {
                let expected = Expected::Entry(c.expected.clone());
                let verdict = judge(&expected, &ask);
                on_ok += usize::from(verdict == Verdict::Right);
                if verdict != Verdict::Right {
                    misses.push(format!("ask {:?} -> {verdict:?}", c.text));
                }
                match judge(&expected, &auto) {
                    Verdict::Right => auto_hits += 1,
                    Verdict::Unanswered => {}
                    other => {
                        auto_wrong += 1;
                        misses.push(format!("auto {:?} -> {other:?}", c.text));
                    }
                }
            }
            "red_flag" => {
                // The reply leads with help: a physio, or (a hot swollen calf, say) same-day care.
                let first = ask.text.lines().next().unwrap_or("");
                let ok = ask.escalated()
                    && (first.contains("physio") || first.contains("Get this seen now"));
                red_ok += usize::from(ok);
                if !ok {
                    misses.push(format!("not escalated: {:?}", c.text));
                }
                if auto.answered() && !auto.escalated() {
                    auto_wrong += 1;
                }
            }
            _ => {
                let declined = judge(&Expected::Decline, &ask) == Verdict::Right;
                quiet_ok += usize::from(declined);
                if !declined {
                    misses.push(format!("answered {} {:?}", c.kind, c.text));
                }
                if auto.answered() {
                    auto_noise += 1;
                    misses.push(format!("auto reply to {} {:?}", c.kind, c.text));
                }
            }
        }
    }
    let quiet = of("chatter") + of("out_of_scope");
    eprintln!(
        "members.tsv: on_topic {on_ok}/{}, red_flag {red_ok}/{}, declined {quiet_ok}/{quiet}, auto hits {auto_hits}, wrong {auto_wrong}, noise {auto_noise}",
        of("on_topic"),
        of("red_flag")
    );
    assert!(share(on_ok, of("on_topic")) >= 0.9, "{misses:#?}");
    assert!(share(red_ok, of("red_flag")) >= 0.9, "{misses:#?}");
    assert!(share(quiet_ok, quiet) >= 0.95, "{misses:#?}");
    assert_eq!(
        auto_noise, 0,
        "no auto reply to chatter or out-of-scope questions: {misses:#?}"
    );
    assert_eq!(auto_wrong, 0, "no wrong auto reply: {misses:#?}");
    assert!(
        share(auto_hits, of("on_topic")) >= 0.6,
        "auto recall: {misses:#?}"
    );
}
