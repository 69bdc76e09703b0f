//! The bot's own overhead on an interaction, against a bare serenity bot on the same fake
//! Discord (`cargo bench --bench transport`): the time from dispatching an interaction to its
//! callback, median over many, for `/about` (no engine, no store) and `/ask` (the engine
//! included), and each one's ratio to the bare bot, which answers every interaction with a
//! fixed text. Also the process's RSS growth for each bot (the engine's model included in
//! ours). Loopback only; bounded counts.
#![recursion_limit = "256"]

#[path = "../tests/fake_discord/mod.rs"]
mod fake_discord;

use std::sync::{Arc, Mutex};
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

/// The engine's own time on each answer, as the bot logs it (`engine_us` on "replied").
static ENGINE_US: Mutex<Vec<u64>> = Mutex::new(Vec::new());

/// Collects `engine_us` from the bot's log events.
struct EngineTimes;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for EngineTimes {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Find(Option<u64>);
        impl tracing::field::Visit for Find {
            fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
                if field.name() == "engine_us" {
                    self.0 = Some(value);
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut find = Find(None);
        event.record(&mut find);
        if let Some(us) = find.0 {
            ENGINE_US.lock().unwrap().push(us);
        }
    }
}

/// Median time from dispatch to callback over `ROUNDS` interactions of one command, and the
/// median of that time less the engine's own time on the same interaction (as the bot logged
/// it): the bot's overhead, paired answer by answer so the engine's variation (a few ms)
/// does not swamp it. Commands that log no engine time count whole.
async fn median(
    fake: &FakeDiscord,
    name: &str,
    options: serde_json::Value,
    logs_engine: bool,
) -> (Duration, Duration) {
    let mut times = Vec::with_capacity(ROUNDS);
    let mut overheads = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let logged = ENGINE_US.lock().unwrap().len();
        let took = time_to_callback(fake, fake.command_interaction(name, options.clone())).await;
        // "replied" is logged once the callback is answered: a moment after the fake saw it.
        let mut engine = None;
        for _ in 0..100 {
            engine = ENGINE_US.lock().unwrap().get(logged).copied();
            if engine.is_some() || !logs_engine {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        times.push(took);
        overheads.push(took.saturating_sub(Duration::from_micros(engine.unwrap_or(0))));
    }
    times.sort();
    overheads.sort();
    (times[times.len() / 2], overheads[overheads.len() / 2])
}

/// What every bot is measured on: `/about`, and `/ask` with its overhead beyond the engine.
async fn about_and_ask(fake: &FakeDiscord, ours: bool) -> (Duration, Duration, Duration) {
    let (about, _) = median(fake, "about", json!([]), false).await;
    let question = json!([{"name": "question", "type": 3, "value": QUESTION}]);
    let (ask, overhead) = median(fake, "ask", question, ours).await;
    (about, ask, overhead)
}

/// Time to the callback of an interaction sent right behind READY (the `n`th IDENTIFY): what
/// the first member after a (re)start waits.
async fn first_callback(fake: &FakeDiscord, n: usize) -> Duration {
    fake.wait_identified(n, 30).await;
    time_to_callback(fake, fake.command_interaction("about", json!([]))).await
}

/// Dispatches an interaction; the time until the fake receives its callback.
async fn time_to_callback(
    fake: &FakeDiscord,
    (id, _, data): (u64, String, serde_json::Value),
) -> Duration {
    let t = Instant::now();
    fake.dispatch("INTERACTION_CREATE", data);
    let r = fake
        .wait_request(5, "callback", move |r| {
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

/// A bare serenity bot: answers every command with a fixed text, or, given an engine, answers
/// `/ask` with the engine's text (run inline, nothing else): the floor for a bot that has to
/// make the same decision.
struct Bare(Option<Arc<runclub_bot::Engine>>);

#[serenity::async_trait]
impl serenity::EventHandler for Bare {
    async fn interaction_create(&self, ctx: serenity::Context, i: serenity::Interaction) {
        if let serenity::Interaction::Command(c) = i {
            let text = match (&self.0, c.data.options.first()) {
                (Some(engine), Some(o)) => {
                    let q = o.value.as_str().unwrap_or_default();
                    let t = Instant::now();
                    let r = tokio::task::block_in_place(|| {
                        engine.respond(&engine.prepare(q), runclub_bot::Mode::Ask)
                    });
                    // Under the bot's target, so the engine-time layer sees it.
                    tracing::info!(target: "runclub_bot", engine_us = t.elapsed().as_micros() as u64, "replied");
                    r.text
                }
                _ => "A fixed answer.".to_string(),
            };
            let msg = serenity::CreateInteractionResponseMessage::new()
                .content(text)
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

async fn bare_bot(engine: Option<Arc<runclub_bot::Engine>>) -> Measured {
    let fake = FakeDiscord::start().await;
    let before = rss_kib();
    let mut first = Vec::new();
    let logs_engine = engine.is_some();
    // With an engine only `/ask` is of interest: one start.
    let starts = if logs_engine { 1 } else { STARTS };
    for n in 1..=starts {
        let http = serenity::HttpBuilder::new(TOKEN)
            .proxy(fake.base.clone())
            .ratelimiter_disabled(true)
            .build();
        let mut client =
            serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS)
                .event_handler(Bare(engine.clone()))
                .await
                .expect("bare client builds");
        let manager = client.shard_manager.clone();
        let task = tokio::spawn(async move { client.start().await });
        first.push(first_callback(&fake, n).await);
        if n < starts {
            manager.shutdown_all().await;
            let _ = task.await;
            continue;
        }
        let (about, ask, overhead) = about_and_ask(&fake, logs_engine).await;
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

async fn our_bot() -> (Measured, Arc<runclub_bot::Engine>) {
    let fake = FakeDiscord::start().await;
    let dir = std::env::temp_dir().join(format!("runclub-transport-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut config = Config {
        knowledge_dir: root.join("knowledge"),
        model_dir: root.join("models/runclub-minilm"),
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
            let (about, ask, overhead) = about_and_ask(&fake, true).await;
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
            return (measured, state.engine());
        }
        let _ = tx.send(());
        let _ = task.await;
    }
    unreachable!("STARTS is at least one")
}

fn main() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    // Only the bot's info events reach the layer: serenity's debug events stay unbuilt.
    let only_ours =
        tracing_subscriber::filter::Targets::new().with_target("runclub_bot", tracing::Level::INFO);
    let subscriber = tracing_subscriber::registry().with(EngineTimes.with_filter(only_ours));
    tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let bare = bare_bot(None).await;
        let (ours, engine) = our_bot().await;
        let floor = bare_bot(Some(engine)).await;
        println!("interaction -> callback, median of {ROUNDS}:");
        println!(
            "  bare serenity bot: /about {:?}, /ask {:?} (a fixed text)",
            bare.about, bare.ask
        );
        println!(
            "  bare serenity bot running the engine inline for /ask: {:?}; less the engine's own \
             time {:?}",
            floor.ask, floor.overhead
        );
        println!(
            "  runclub-bot: /about {:?} ({:.2}x the bare bot); /ask {:?}; less the engine's own \
             time {:?} ({:.2}x the bare bot with the engine, {:.2}x the bare bot's fixed text)",
            ours.about,
            ours.about.as_secs_f64() / bare.about.as_secs_f64(),
            ours.ask,
            ours.overhead,
            ours.overhead.as_secs_f64() / floor.overhead.as_secs_f64(),
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
