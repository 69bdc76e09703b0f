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
/// Restarts over which the first interaction after READY is timed.
const STARTS: usize = 10;

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

const QUESTION: &str = "is the IT band a muscle?";

/// Median time from dispatch to callback over `ROUNDS` interactions of one command. With an
/// engine, each round first times the engine alone on the same question and subtracts it: the
/// median of those differences is the bot's own overhead, paired round by round so that the
/// engine's variation (a few ms) does not swamp the bot's (a fraction of one).
async fn median(
    fake: &FakeDiscord,
    name: &str,
    options: serde_json::Value,
    engine: Option<&runclub_bot::Engine>,
) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(ROUNDS);
    let mut overheads = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let alone = engine.map_or(Duration::ZERO, |e| {
            let t = Instant::now();
            std::hint::black_box(e.respond(QUESTION, runclub_bot::Mode::Ask));
            t.elapsed()
        });
        let (id, _, data) = fake.command_interaction(name, options.clone());
        let t = Instant::now();
        fake.dispatch("INTERACTION_CREATE", data);
        let r = fake
            .wait_request(5, "callback", move |r| {
                r.method == "POST" && r.path.starts_with(&format!("/api/v10/interactions/{id}/"))
            })
            .await;
        let took = r.at.duration_since(t);
        times.push(took);
        overheads.push(took.saturating_sub(alone));
    }
    times.sort();
    overheads.sort();
    (times[times.len() / 2], overheads[overheads.len() / 2])
}

/// What every bot is measured on: `/about`, and `/ask` with its overhead beyond the engine.
async fn about_and_ask(
    fake: &FakeDiscord,
    engine: Option<&runclub_bot::Engine>,
) -> (Duration, Duration, Duration) {
    let (about, _) = median(fake, "about", json!([]), None).await;
    let question = json!([{"name": "question", "type": 3, "value": QUESTION}]);
    let (ask, overhead) = median(fake, "ask", question, engine).await;
    (about, ask, overhead)
}

/// Time to the callback of an interaction sent right behind READY (the `n`th IDENTIFY): what
/// the first member after a (re)start waits.
async fn first_callback(fake: &FakeDiscord, n: usize) -> Duration {
    fake.wait_identified(n, 30).await;
    let (id, _, data) = fake.command_interaction("about", json!([]));
    let t = Instant::now();
    fake.dispatch("INTERACTION_CREATE", data);
    let r = fake
        .wait_request(5, "first callback", move |r| {
            r.method == "POST" && r.path.starts_with(&format!("/api/v10/interactions/{id}/"))
        })
        .await;
    r.at.duration_since(t)
}

/// Median and worst of the first callbacks.
fn spread(mut times: Vec<Duration>) -> (Duration, Duration) {
    times.sort();
    (times[times.len() / 2], *times.last().unwrap())
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

/// What one bot measured: the two medians, its first callbacks after READY, its RSS growth.
struct Measured {
    about: Duration,
    ask: Duration,
    /// `/ask` less the engine's own time, paired per round (the bare bot has no engine).
    overhead: Duration,
    first: Vec<Duration>,
    grown_kib: u64,
}

async fn bare_bot() -> Measured {
    let fake = FakeDiscord::start().await;
    let before = rss_kib();
    let mut first = Vec::new();
    for n in 1..=STARTS {
        let http = serenity::HttpBuilder::new(TOKEN)
            .proxy(fake.base.clone())
            .ratelimiter_disabled(true)
            .build();
        let mut client =
            serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS)
                .event_handler(Bare)
                .await
                .expect("bare client builds");
        let manager = client.shard_manager.clone();
        let task = tokio::spawn(async move { client.start().await });
        first.push(first_callback(&fake, n).await);
        if n < STARTS {
            manager.shutdown_all().await;
            let _ = task.await;
            continue;
        }
        let (about, ask, overhead) = about_and_ask(&fake, None).await;
        let grown_kib = rss_kib().saturating_sub(before);
        manager.shutdown_all().await;
        let _ = task.await;
        return Measured {
            about,
            ask,
            overhead,
            first,
            grown_kib,
        };
    }
    unreachable!("STARTS is at least one")
}

async fn our_bot() -> Measured {
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
    let state = Arc::new(BotState::new(engine, config.clone()));
    let mut first = Vec::new();
    for n in 1..=STARTS {
        let running = state.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let token = Token::new(TOKEN).unwrap();
        let c = config.clone();
        let task = tokio::spawn(async move {
            discord::run(&c, &token, running, async {
                let _ = rx.await;
            })
            .await
        });
        first.push(first_callback(&fake, n).await);
        if n == STARTS {
            let engine = state.engine();
            let (about, ask, overhead) = about_and_ask(&fake, Some(&engine)).await;
            let grown_kib = rss_kib().saturating_sub(before).saturating_sub(model);
            let _ = tx.send(());
            let _ = task.await;
            let _ = std::fs::remove_dir_all(&dir);
            let measured = Measured {
                about,
                ask,
                overhead,
                first,
                grown_kib,
            };
            return measured;
        }
        let _ = tx.send(());
        let _ = task.await;
    }
    unreachable!("STARTS is at least one")
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let bare = bare_bot().await;
        let ours = our_bot().await;
        println!("interaction -> callback, median of {ROUNDS}:");
        println!(
            "  bare serenity bot: /about {:?}, /ask {:?} (a fixed text)",
            bare.about, bare.ask
        );
        println!(
            "  runclub-bot: /about {:?} ({:.2}x); /ask {:?}, beyond the engine's own time {:?} \
             ({:.2}x the bare bot's /ask)",
            ours.about,
            ours.about.as_secs_f64() / bare.about.as_secs_f64(),
            ours.ask,
            ours.overhead,
            ours.overhead.as_secs_f64() / bare.ask.as_secs_f64()
        );
        let ((bare_med, bare_max), (med, max)) = (spread(bare.first), spread(ours.first));
        println!(
            "first interaction right behind READY, over {STARTS} starts (median / worst): \
             bare bot {bare_med:?} / {bare_max:?}; runclub-bot {med:?} / {max:?}"
        );
        println!(
            "RSS growth: bare bot {} KiB; runclub-bot beyond its engine and model {} KiB ({:.2}x)",
            bare.grown_kib,
            ours.grown_kib,
            ours.grown_kib as f64 / bare.grown_kib.max(1) as f64
        );
    });
}
