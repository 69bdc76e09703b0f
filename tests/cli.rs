//! The offline CLI as a script or a person uses it: `ask`, `ask --json` (the batch contract),
//! and configuration errors.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

#[test]
fn ask_prints_the_reply_a_member_would_see() {
    let out = Command::new(common::bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .args(["ask", "does rolling break up scar tissue?"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Sources: Narrative review, Behm & Wilke 2019"),
        "{text}"
    );
    assert!(text.contains("physio"));
}

#[test]
fn json_batch_streams_one_object_per_line() {
    let mut child = Command::new(common::bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .args(["ask", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Each answer arrives before the next question is written: output is flushed per line.
    let questions = [
        "is the IT band a muscle?",
        "what shoes are best for trails",
        "calf sore for three weeks, should I keep rolling it?",
        "",
    ];
    let mut got = Vec::new();
    for q in questions {
        writeln!(stdin, "{q}").unwrap();
        stdin.flush().unwrap();
        let line = lines.next().unwrap().unwrap();
        got.push(serde_json::from_str::<serde_json::Value>(&line).unwrap());
    }
    drop(stdin);
    assert!(lines.next().is_none());
    assert!(child.wait().unwrap().success());

    for (q, v) in questions.iter().zip(&got) {
        assert_eq!(v["question"], *q);
        for key in ["answered", "entry", "score", "reply", "physio_escalation"] {
            assert!(v.get(key).is_some(), "{key} missing in {v}");
        }
    }
    assert_eq!(got[0]["answered"], true);
    assert_eq!(got[0]["entry"], "itb-not-a-muscle");
    assert_eq!(got[1]["answered"], false);
    assert_eq!(got[1]["entry"], serde_json::Value::Null);
    assert_eq!(got[2]["physio_escalation"], true);
    assert_eq!(got[3]["answered"], false);
}

#[test]
fn auto_mode_is_silent_on_chatter() {
    let out = Command::new(common::bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .args([
            "ask",
            "--json",
            "--auto",
            "rolling hills route on saturday, who's in?",
        ])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["answered"], false);
    assert_eq!(v["reply"], "");
}

#[test]
fn a_bad_config_value_names_its_key() {
    let dir = common::temp_dir("bad-config");
    common::write(
        &dir,
        "bad.toml",
        "[auto]\nanswer = 3.0\n[reply]\nmax_chars = 9000\n[discord]\nmax_waiting_questions = 0\n",
    );
    let out = Command::new(common::bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .arg("--config")
        .arg(dir.join("bad.toml"))
        .args(["ask", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auto.answer"), "{err}");
    assert!(err.contains("reply.max_chars"), "{err}");
    assert!(err.contains("discord.max_waiting_questions"), "{err}");

    // A key written for an older version, before the engine's settings were grouped: named
    // with where it lives now.
    common::write(
        &dir,
        "old.toml",
        "[matcher]\nask_answer = 0.4\nauto_answer = 0.5\n",
    );
    let out = Command::new(common::bin())
        .arg("--config")
        .arg(dir.join("old.toml"))
        .args(["ask", "hi"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("matcher.ask_answer is now ask.answer")
            && err.contains("matcher.auto_answer is now auto.answer"),
        "{err}"
    );

    common::write(&dir, "typo.toml", "[ask]\nanser = 0.5\n");
    let out = Command::new(common::bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .arg("--config")
        .arg(dir.join("typo.toml"))
        .args(["ask", "hi"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("anser") && err.contains("line 2"), "{err}");
}

#[test]
fn the_shipped_config_is_the_defaults() {
    let text = std::fs::read_to_string(common::repo().join("config/runclub-bot.toml")).unwrap();
    let parsed =
        runclub_bot::Config::parse(&text, std::path::Path::new("runclub-bot.toml")).unwrap();
    assert_eq!(
        parsed,
        runclub_bot::Config::default(),
        "documented values and code defaults agree"
    );
}

#[test]
fn a_missing_fallback_entry_is_named() {
    let dir = common::temp_dir("fallback");
    common::write(
        &dir,
        "c.toml",
        "[reply]\nfallback_entry = \"no-such-entry\"\n",
    );
    let out = Command::new(common::bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .arg("--config")
        .arg(dir.join("c.toml"))
        .args(["ask", "hi"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("reply.fallback_entry") && err.contains("no-such-entry"),
        "{err}"
    );
}

#[test]
fn health_reads_the_heartbeat() {
    let dir = common::temp_dir("health");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let health = |text: Option<String>| {
        match text {
            Some(t) => std::fs::write(dir.join("heartbeat"), t).unwrap(),
            None => {
                let _ = std::fs::remove_file(dir.join("heartbeat"));
            }
        }
        let out = Command::new(common::bin())
            .env("RUNCLUB_CACHE_DIR", common::cache_dir())
            .arg("health")
            .env("RUNCLUB_DATA_DIR", &dir)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
        )
    };
    assert!(health(Some(format!("connected {now}\n"))).0);
    let (ok, why) = health(Some(format!("connected {}\n", now - 600)));
    assert!(!ok && why.contains("old"), "{why}");
    let (ok, why) = health(Some(format!("connecting {now}\n")));
    assert!(!ok && why.contains("not connected"), "{why}");
    let (ok, why) = health(None);
    assert!(!ok && why.contains("no heartbeat"), "{why}");
}

#[test]
fn a_bad_line_in_a_batch_is_reported_and_skipped() {
    let mut child = Command::new(common::bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .args(["ask", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let long = "my knee has been grumbling on long runs and I keep rolling it. ".repeat(70);
    let mut input = b"is the IT band a muscle?\n".to_vec();
    input.extend_from_slice(b"caf\xe9 run \xff\xfe\n");
    input.extend_from_slice(long.as_bytes());
    input.extend_from_slice(b"\nmy chest went tight and heavy on the hill and it hasn't eased\n");
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // The bad line is named on stderr; the lines around it are all answered, in order.
    assert_eq!(lines.len(), 3, "{lines:#?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: not valid UTF-8"));
    assert_eq!(lines[0]["entry"], "itb-not-a-muscle");
    assert_eq!(lines[1]["question"].as_str().unwrap().len(), long.len());
    assert!(lines[1]["reply"].as_str().unwrap().chars().count() <= 2000);
    // The extra fields for tuning: escalation tier, candidates, probabilities.
    assert_eq!(lines[2]["escalation"], "emergency");
    assert_eq!(lines[2]["physio_escalation"], true);
    assert_eq!(lines[2]["outcome"], "safety");
    assert!(lines[2]["reply"]
        .as_str()
        .unwrap()
        .starts_with("🚨 **Call emergency services now (999 / 112 / 911).**"));
    assert_eq!(lines[0]["escalation"], "none");
    let candidates = lines[0]["candidates"].as_array().unwrap();
    assert_eq!(candidates[0]["entry"], "itb-not-a-muscle");
    for key in ["score", "head", "lexical"] {
        assert!(candidates[0][key].as_f64().is_some(), "{key}");
    }
    assert!(lines[0]["none_probability"].as_f64().unwrap() < 0.5);
    assert!(lines[2]["warning_probability"].as_f64().unwrap() >= 0.0);
}

#[test]
fn check_reports_missing_model_files() {
    let dir = common::temp_dir("cli-no-model");
    let out = Command::new(common::bin())
        .env("RUNCLUB_MODEL_DIR", &dir)
        .args(["check"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("model.safetensors"), "{text}");
    assert!(text.contains("tokenizer.json"), "{text}");
}

/// Every problem a restart can't fix exits with EX_CONFIG (78), naming what is wrong, so that
/// systemd and Docker stop restarting a bot that would fail the same way.
#[test]
fn start_up_errors_exit_with_ex_config() {
    let dir = common::temp_dir("exit-codes");
    common::write(&dir, "bad-value.toml", "[ask]\nanswer = 3\n");
    common::write(
        &dir,
        "bad-fallback.toml",
        "[reply]\nfallback_entry = \"no-such-entry\"\n",
    );
    let broken = dir.join("broken-knowledge");
    std::fs::create_dir_all(&broken).unwrap();
    common::write(
        &broken,
        "a.json",
        "{\"entries\": [\n  {\"id\": \"a\",, }\n]}",
    );
    let empty = dir.join("no-model");
    std::fs::create_dir_all(&empty).unwrap();
    // (what, environment, arguments, a fragment of the error)
    type Case<'a> = (
        &'a str,
        Vec<(&'a str, std::path::PathBuf)>,
        Vec<std::path::PathBuf>,
        &'a str,
    );
    let cases: [Case; 4] = [
        (
            "bad config value",
            vec![],
            vec!["--config".into(), dir.join("bad-value.toml")],
            "ask.answer",
        ),
        (
            "unknown fallback entry",
            vec![],
            vec!["--config".into(), dir.join("bad-fallback.toml")],
            "reply.fallback_entry",
        ),
        (
            "broken knowledge",
            vec![("RUNCLUB_KNOWLEDGE_DIR", broken.clone())],
            vec![],
            "a.json:2:14",
        ),
        (
            "missing model files",
            vec![("RUNCLUB_MODEL_DIR", empty.clone())],
            vec![],
            "config.json",
        ),
    ];
    for (what, env, args, fragment) in cases {
        let mut cmd = Command::new(common::bin());
        cmd.env("RUNCLUB_CACHE_DIR", common::cache_dir());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.args(args).args(["ask", "hi"]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(78), "{what}: {err}");
        assert!(err.contains(fragment), "{what}: {err}");
    }
}
