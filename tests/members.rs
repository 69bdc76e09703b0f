//! Our own set of member messages (`tests/fixtures/members.tsv`, written for this project, not
//! taken from any evaluation set), scored like the evaluation: a regression guard on how well
//! the bot generalises, in both modes.

mod common;

use runclub_bot::engine::{Mode, Outcome};

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
        let ask = engine.respond(&engine.prepare(&c.text), Mode::Ask);
        let auto = engine.respond(&engine.prepare(&c.text), engine.auto());
        let entry = |r: &runclub_bot::Response| match &r.outcome {
            Outcome::Answer { entry } => Some(entry.to_string()),
            _ => None,
        };
        match c.kind.as_str() {
            "on_topic" => {
                let ok = entry(&ask).as_deref() == Some(c.expected.as_str()) && !ask.escalated();
                on_ok += usize::from(ok);
                if !ok {
                    misses.push(format!("ask {:?} -> {:?}", c.text, entry(&ask)));
                }
                if let Some(e) = entry(&auto) {
                    if e == c.expected {
                        auto_hits += 1;
                    } else {
                        auto_wrong += 1;
                        misses.push(format!("auto {:?} -> {e}", c.text));
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
                quiet_ok += usize::from(!ask.answered());
                if ask.answered() {
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
