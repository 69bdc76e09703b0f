//! Speed and memory of the answer engine, as a bench binary (`cargo bench --bench engine`;
//! `RAYON_NUM_THREADS=1` or `2` sets the threads the model may use).
//!
//! Measures: model load, example embeddings cold and from the cache, head training, start-up
//! (model + knowledge + embeddings + training) cold and cached, the time to answer one message
//! (embedding included) in ask and auto mode (median and p99), batch embedding throughput, and
//! the process's resident memory (VmRSS now, VmHWM peak; Linux). Targets on a 2-core machine:
//! p99 <= 12 ms per message, start-up <= 2 s with the cache, RSS well within 160 MB.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use std::sync::Arc;

use runclub_bot::config::{EngineConfig, ReplyConfig};
use runclub_bot::semantic::{self, Vectors};
use runclub_bot::{Embedder, Engine, KnowledgeBase, Mode};

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
    status_kib("VmRSS:")
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model_dir = root.join("models/runclub-minilm");
    let cache = std::env::temp_dir().join(format!("runclub-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache);
    println!(
        "threads: {} (RAYON_NUM_THREADS)",
        candle_core::utils::get_num_threads()
    );
    let rss_start = rss_kib();

    let t = Instant::now();
    let embedder = Arc::new(Embedder::load(&model_dir).expect("model loads"));
    let model_load = t.elapsed();
    let rss_model = rss_kib();

    let t = Instant::now();
    let kb = KnowledgeBase::load_dir(&root.join("knowledge")).expect("knowledge loads");
    let kb_load = t.elapsed();
    let texts = semantic::example_texts(&kb);

    let t = Instant::now();
    let (vectors, _) = Vectors::compute(&embedder, &texts, &semantic::Caches::own(&cache)).unwrap();
    let embed_cold = t.elapsed();
    let t = Instant::now();
    let (_, stats) = Vectors::compute(&embedder, &texts, &semantic::Caches::own(&cache)).unwrap();
    let embed_cached = t.elapsed();
    assert_eq!(stats.computed, 0, "second run reads the cache");

    let t = Instant::now();
    let engine = Engine::with_vectors(
        kb.clone(),
        EngineConfig::default(),
        ReplyConfig::default(),
        embedder.clone(),
        &vectors,
    )
    .unwrap();
    let train = t.elapsed();
    let rss_engine = rss_kib();

    for mode in [Mode::Ask, engine.auto()] {
        let mut samples = Vec::new();
        for _ in 0..40 {
            for m in MESSAGES {
                let t = Instant::now();
                black_box(engine.respond(&engine.prepare(black_box(m)), mode));
                samples.push(t.elapsed());
            }
        }
        samples.sort();
        println!(
            "respond ({mode:?}, embedding included): median {:?}, p99 {:?}, max {:?} over {} messages",
            percentile(&samples, 0.5),
            percentile(&samples, 0.99),
            samples.last().unwrap(),
            samples.len()
        );
    }
    let mut embed_only = Vec::new();
    let mut lexical_only = Vec::new();
    for _ in 0..40 {
        for m in MESSAGES {
            let t = Instant::now();
            black_box(embedder.embed(black_box(m)).unwrap());
            embed_only.push(t.elapsed());
            let t = Instant::now();
            // Preparing the message is part of the lexical matcher's work, as it was before
            // `analyse` took a prepared message.
            let matcher = engine.matcher();
            black_box(matcher.analyse(&matcher.prepare(black_box(m))));
            lexical_only.push(t.elapsed());
        }
    }
    embed_only.sort();
    lexical_only.sort();
    println!(
        "of which the embedding: median {:?}, p99 {:?}; the lexical matcher: median {:?}, p99 {:?}",
        percentile(&embed_only, 0.5),
        percentile(&embed_only, 0.99),
        percentile(&lexical_only, 0.5),
        percentile(&lexical_only, 0.99)
    );
    let long = "my knee has been grumbling on long runs and I keep rolling it. ".repeat(70);
    let t = Instant::now();
    black_box(engine.respond(&engine.prepare(&long), Mode::Ask));
    println!(
        "respond to a {}-character message (truncated to {} tokens): {:?}",
        long.chars().count(),
        runclub_bot::embed::MAX_TOKENS,
        t.elapsed()
    );

    let batch: Vec<&str> = texts.iter().take(256).copied().collect();
    let t = Instant::now();
    black_box(embedder.embed_batch(&batch, 32).unwrap());
    let secs = t.elapsed().as_secs_f64();
    println!(
        "batch embedding: {:.0} messages/s ({} messages in batches of 32)",
        batch.len() as f64 / secs,
        batch.len()
    );
    println!("model load: {model_load:?}");
    println!(
        "load + validate knowledge ({} entries, {} examples): {kb_load:?}",
        kb.entries.len(),
        texts.len()
    );
    println!("example embeddings: cold {embed_cold:?}, from the cache {embed_cached:?}");
    println!("train head + warning-sign detector and index: {train:?}");
    println!(
        "start-up (model + knowledge + embeddings + training): cold {:?}, cached {:?}",
        model_load + kb_load + embed_cold + train,
        model_load + kb_load + embed_cached + train
    );
    if let (Some(a), Some(b), Some(c), Some(peak)) =
        (rss_start, rss_model, rss_engine, status_kib("VmHWM:"))
    {
        println!(
            "RSS: {a} KiB at start, {b} KiB with the model, {c} KiB with the engine; peak {peak} KiB"
        );
    }
    let _ = std::fs::remove_dir_all(&cache);
}
