//! The bot's own overhead on an interaction, against a bare serenity bot on the same fake
//! Discord (`cargo bench --bench transport`): the time from dispatching an interaction to its
//! callback, median over many, for `/about` (no engine, no store) and `/ask` (the engine
//! included), and each one's ratio to the bare bot, which answers every interaction with a
//! fixed text. Also the process's RSS growth for each bot (the engine's model included in
//! ours). Loopback only; bounded counts.
#![recursion_limit = "256"]

#[path = "../tests/fake_discord/mod.rs"]
mod fake_discord;

use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, TOKEN};
use poise::serenity_prelude as serenity;
use runclub_bot::discord::{self, BotState, Token};
use runclub_bot::Config;
use serde_json::json;

const ROUNDS: usize = 200;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Median time from dispatch to callback over `ROUNDS` interactions of one command.
async fn median(fake: &FakeDiscord, name: &str, options: serde_json::Value) -> Duration {
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let (id, _, data) = fake.command_interaction(name, options.clone());
        let t = Instant::now();
        fake.dispatch("INTERACTION_CREATE", data);
        let r = fake
            .wait_request(5, "callback", move |r| {
                r.method == "POST" && r.path.starts_with(&format!("/api/v10/interactions/{id}/"))
            })
            .await;
        times.push(r.at.duration_since(t));
    }
    times.sort();
    times[times.len() / 2]
}

/// The two medians every bot is measured on: `/about` and one `/ask`.
async fn about_and_ask(fake: &FakeDiscord) -> (Duration, Duration) {
    let about = median(fake, "about", json!([])).await;
    let question = json!([{"name": "question", "type": 3, "value": "is the IT band a muscle?"}]);
    (about, median(fake, "ask", question).await)
}

struct Bare;

#[serenity::async_trait]
impl serenity::EventHandler for Bare {
    async fn interaction_create(&self, ctx: serenity::Context, i: serenity::Interaction) {
        if let serenity::Interaction::Command(c) = i {
            let msg = serenity::CreateInteractionResponseMessage::new()
                .content("A fixed answer.")
                .allowed_mentions(serenity::CreateAllowedMentions::new());
            let _ = c
                .create_response(&ctx, serenity::CreateInteractionResponse::Message(msg))
                .await;
        }
    }
}

async fn bare_bot() -> (Duration, Duration, u64) {
    let fake = FakeDiscord::start().await;
    let before = rss_kib();
    let http = serenity::HttpBuilder::new(TOKEN)
        .proxy(fake.base.clone())
        .ratelimiter_disabled(true)
        .build();
    let mut client = serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS)
        .event_handler(Bare)
        .await
        .expect("bare client builds");
    let manager = client.shard_manager.clone();
    let task = tokio::spawn(async move { client.start().await });
    fake.wait_identified(1, 10).await;
    let (about, ask) = about_and_ask(&fake).await;
    let grown = rss_kib().saturating_sub(before);
    manager.shutdown_all().await;
    let _ = task.await;
    (about, ask, grown)
}

async fn our_bot() -> (Duration, Duration, Duration, u64) {
    let fake = FakeDiscord::start().await;
    let dir = std::env::temp_dir().join(format!("runclub-transport-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = Config {
        knowledge_dir: root.join("knowledge"),
        model_dir: root.join("models/all-MiniLM-L6-v2"),
        data_dir: dir.clone(),
        cache_dir: Some(std::env::temp_dir().join("runclub-transport-cache")),
        ..Config::default()
    };
    config.discord.api_base = Some(fake.base.clone());
    let before = rss_kib();
    let embedder = runclub_bot::load_embedder(&config).unwrap();
    let engine = runclub_bot::load_engine(&config, &embedder).unwrap();
    let model = rss_kib().saturating_sub(before);
    // The engine's own time on the same question, to tell it from the bot's overhead.
    let mut engine_times: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(
                engine.respond("is the IT band a muscle?", runclub_bot::Mode::Ask),
            );
            t.elapsed()
        })
        .collect();
    engine_times.sort();
    let engine_time = engine_times[engine_times.len() / 2];
    let state = Arc::new(BotState::new(engine, config.clone()));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let token = Token::new(TOKEN).unwrap();
    let c = config.clone();
    let task = tokio::spawn(async move {
        discord::run(&c, &token, state, async {
            let _ = rx.await;
        })
        .await
    });
    fake.wait_identified(1, 30).await;
    let (about, ask) = about_and_ask(&fake).await;
    let grown = rss_kib().saturating_sub(before).saturating_sub(model);
    let _ = tx.send(());
    let _ = task.await;
    let _ = std::fs::remove_dir_all(&dir);
    (about, ask, engine_time, grown)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (bare_about, bare_ask, bare_rss) = bare_bot().await;
        let (about, ask, engine, rss) = our_bot().await;
        println!("interaction -> callback, median of {ROUNDS}:");
        println!("  bare serenity bot: /about {bare_about:?}, /ask {bare_ask:?} (a fixed text)");
        let overhead = ask.saturating_sub(engine);
        println!(
            "  runclub-bot: /about {about:?} ({:.2}x); /ask {ask:?}, of which the engine {engine:?}, \
             the bot's own overhead {overhead:?} ({:.2}x)",
            about.as_secs_f64() / bare_about.as_secs_f64(),
            overhead.as_secs_f64() / bare_ask.as_secs_f64()
        );
        println!(
            "RSS growth: bare bot {bare_rss} KiB; runclub-bot beyond its engine and model {rss} KiB ({:.2}x)",
            rss as f64 / bare_rss.max(1) as f64
        );
    });
}
