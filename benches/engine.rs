//! Speed and memory of the answer engine, as a bench binary (`cargo bench --bench engine`).
//!
//! Measures: loading and validating the bundled knowledge, building the matcher index, the
//! time to answer one message in ask and auto mode (median and p99 over many rounds), and the
//! process's resident memory after loading (VmRSS, Linux). Targets: a message answered well
//! under a millisecond, and the engine within a few MB, so the whole bot fits a small VPS.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use runclub_bot::config::{MatcherConfig, ReplyConfig};
use runclub_bot::{Engine, KnowledgeBase, Mode};

const MESSAGES: &[&str] = &[
    "does foam rolling break up scar tissue?",
    "can you stretch the iliotibal band with a fome roler",
    "DOMs after my marathon, will rolling help or is that a myth",
    "rolling hills route on saturday, meet at the church",
    "what shoes should I buy for my first marathon?",
    "my knee has hurt for three weeks and it's getting worse, should I roll it?",
    "got ten minutes before intervals, roll or leg swings?",
    "just foam rolled, feeling great",
];

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge");
    let rss_before = rss_kib();

    let t = Instant::now();
    let mut kb = None;
    for _ in 0..20 {
        kb = Some(KnowledgeBase::load_dir(&dir).expect("knowledge loads"));
    }
    let load = t.elapsed() / 20;
    let kb = kb.unwrap();

    let t = Instant::now();
    let mut engine = None;
    for _ in 0..20 {
        engine = Some(
            Engine::new(kb.clone(), MatcherConfig::default(), ReplyConfig::default()).unwrap(),
        );
    }
    let build = t.elapsed() / 20;
    let engine = engine.unwrap();
    let rss_after = rss_kib();

    for mode in [Mode::Ask, Mode::Auto] {
        let mut samples = Vec::new();
        for _ in 0..300 {
            for m in MESSAGES {
                let t = Instant::now();
                black_box(engine.respond(black_box(m), mode));
                samples.push(t.elapsed());
            }
        }
        samples.sort();
        println!(
            "respond ({mode:?}): median {:?}, p99 {:?}, max {:?} over {} messages",
            percentile(&samples, 0.5),
            percentile(&samples, 0.99),
            samples.last().unwrap(),
            samples.len()
        );
    }
    println!(
        "load + validate knowledge ({} entries): {load:?}",
        kb.entries.len()
    );
    println!("build matcher index: {build:?}");
    if let (Some(a), Some(b)) = (rss_before, rss_after) {
        println!("process RSS: {a} KiB before loading, {b} KiB with knowledge and index loaded");
    }
}
