//! A storm of questions (`cargo bench --bench storm`): the release binary, connected to the
//! fake Discord on 127.0.0.1, gets 200 `/ask` per second for 30 s (more than two cores can
//! answer with the model in place), while members post 10 questions a second in a channel
//! with auto replies on and no cooldowns. Twice, to see whether memory settles.
//!
//! Reported: every interaction's time to acknowledgement (answer or deferral; Discord allows
//! 3 s), how many were answered and how many more than once, the sustained answer rate, how
//! many auto replies went out during the storm (they are shed first), and the bot's RSS
//! before, between and after the storms.
#![recursion_limit = "256"]

#[path = "../tests/fake_discord/mod.rs"]
mod fake_discord;

use std::collections::HashMap;
use std::process::Stdio;
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Request, Who, CHANNEL_ID, GUILD_ID, MOD_ID, MOD_PERMS, TOKEN};
use serde_json::{json, Value};

const PER_SECOND: u64 = 200;
const SECONDS: u64 = 30;
/// One channel message per this many `/ask`.
const ASKS_PER_MESSAGE: u64 = 20;
/// Discord's window for acknowledging an interaction.
const WINDOW: Duration = Duration::from_secs(3);

const QUESTIONS: [&str; 6] = [
    "does foam rolling break up adhesions?",
    "is the IT band a muscle?",
    "how long should I roll before a run?",
    "does rolling help with DOMS?",
    "should I warm up with stretches or drills?",
    "my legs are wrecked two days after the race, is that normal?",
];

fn rss_mib(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// What happened to one `/ask`.
#[derive(Default)]
struct Fate {
    sent: Option<Instant>,
    acks: usize,
    acked: Option<Instant>,
    answers: usize,
    answered: Option<Instant>,
    /// Told the bot is busy (the queue for the engine was full).
    busy: bool,
}

/// The interaction id in a callback path, or in a follow-up's token (`itoken-<id>`).
fn interaction_of(r: &Request) -> Option<(u64, bool)> {
    let segs: Vec<&str> = r.path.trim_start_matches("/api/v10/").split('/').collect();
    match (r.method.as_str(), segs.as_slice()) {
        ("POST", ["interactions", id, _, "callback"]) => Some((id.parse().ok()?, true)),
        ("POST", ["webhooks", _, token]) | ("PATCH", ["webhooks", _, token, "messages", _]) => {
            Some((token.strip_prefix("itoken-")?.parse().ok()?, false))
        }
        _ => None,
    }
}

struct Storm {
    fates: HashMap<u64, Fate>,
    /// Requests already read from the fake.
    cursor: usize,
    auto_sent: usize,
    auto_replies: usize,
}

impl Storm {
    /// Reads the fake's new requests.
    fn take(&mut self, fake: &FakeDiscord) {
        let new = fake.requests_from(self.cursor);
        self.cursor += new.len();
        for r in new {
            if r.method == "POST" && r.path == format!("/api/v10/channels/{CHANNEL_ID}/messages") {
                self.auto_replies += 1;
                continue;
            }
            let Some((id, callback)) = interaction_of(&r) else {
                continue;
            };
            let Some(fate) = self.fates.get_mut(&id) else {
                continue;
            };
            if callback {
                fate.acks += 1;
                fate.acked.get_or_insert(r.at);
                // Type 4 is the answer itself; type 5 a deferral, answered by a follow-up.
                if r.body["type"] == 4 {
                    fate.busy |= r.body["data"]["content"] == runclub_bot::discord::commands::BUSY;
                    fate.answers += 1;
                    fate.answered.get_or_insert(r.at);
                }
            } else {
                fate.answers += 1;
                fate.answered.get_or_insert(r.at);
            }
        }
    }

    fn unanswered(&self) -> usize {
        self.fates.values().filter(|f| f.answered.is_none()).count()
    }
}

/// One storm: `PER_SECOND` × `SECONDS` questions, then waits until all are answered.
async fn storm(fake: &FakeDiscord, pid: u32, n: usize) {
    let mut s = Storm {
        fates: HashMap::new(),
        cursor: fake.requests().len(),
        auto_sent: 0,
        auto_replies: 0,
    };
    let total = PER_SECOND * SECONDS;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / PER_SECOND));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut peak = rss_mib(pid);
    let start = Instant::now();
    for i in 0..total {
        tick.tick().await;
        let q = QUESTIONS[i as usize % QUESTIONS.len()];
        let (id, _, data) =
            fake.command_interaction("ask", json!([{"name": "question", "type": 3, "value": q}]));
        s.fates.insert(
            id,
            Fate {
                sent: Some(Instant::now()),
                ..Fate::default()
            },
        );
        fake.dispatch("INTERACTION_CREATE", data);
        if i % ASKS_PER_MESSAGE == 0 {
            // A different member each time: only the engine's load can hold a reply back.
            let author = 5_000 + i;
            let (_, m) = fake.member_message(GUILD_ID, CHANNEL_ID, author, q, &[]);
            fake.dispatch("MESSAGE_CREATE", m);
            s.auto_sent += 1;
        }
        if i % PER_SECOND == 0 {
            s.take(fake);
            peak = peak.max(rss_mib(pid));
        }
    }
    let dispatched = start.elapsed();
    s.take(fake);
    let answered_in_storm = s
        .fates
        .values()
        .filter(|f| f.answered.is_some() && !f.busy)
        .count();
    let auto_in_storm = s.auto_replies;
    let deadline = Instant::now() + Duration::from_secs(180);
    while s.unanswered() > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        s.take(fake);
        peak = peak.max(rss_mib(pid));
    }
    let drained = start.elapsed();
    // Anything answered twice shows up a moment later: look once more.
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.take(fake);

    let mut acks: Vec<Duration> = s
        .fates
        .values()
        .filter_map(|f| Some(f.acked?.duration_since(f.sent?)))
        .collect();
    acks.sort();
    let pct = |p: f64| acks[((acks.len() as f64 * p) as usize).min(acks.len() - 1)];
    let late = acks.iter().filter(|a| **a > WINDOW).count();
    let never_acked = s.fates.values().filter(|f| f.acked.is_none()).count();
    let twice = s
        .fates
        .values()
        .filter(|f| f.acks > 1 || f.answers > 1)
        .count();
    let deferred = s
        .fates
        .values()
        .filter(|f| f.acked.is_some() && f.acked != f.answered)
        .count();
    println!(
        "storm {n}: {total} /ask over {dispatched:.1?}, {} channel questions",
        s.auto_sent
    );
    println!(
        "  acknowledged: {} of {total}; within 3 s: {}; time to acknowledgement p50 {:?}, p99 {:?}, max {:?}",
        acks.len(),
        acks.len() - late,
        pct(0.5),
        pct(0.99),
        acks.last().copied().unwrap_or_default()
    );
    let busy = s.fates.values().filter(|f| f.busy).count();
    println!(
        "  replied: {} ({deferred} answered after a deferral, {busy} told the bot is busy), \
         never acknowledged {never_acked}, replied or acknowledged twice {twice}",
        s.fates.len() - s.unanswered()
    );
    println!(
        "  sustained answer rate (busy replies not counted): {:.0}/s during the storm \
         ({answered_in_storm} in {dispatched:.1?}), {:.0}/s until the last was answered ({drained:.1?})",
        answered_in_storm as f64 / dispatched.as_secs_f64(),
        (s.fates.len() - s.unanswered() - busy) as f64 / drained.as_secs_f64()
    );
    println!(
        "  auto replies during the storm: {auto_in_storm} of {} channel questions (the rest shed)",
        s.auto_sent
    );
    println!(
        "  RSS peak {peak:.0} MiB, after the storm {:.0} MiB",
        rss_mib(pid)
    );
}

async fn moderate(fake: &FakeDiscord, sub: &str, options: Value) {
    let who = Who {
        guild: GUILD_ID,
        channel: CHANNEL_ID,
        user: MOD_ID,
        perms: MOD_PERMS,
    };
    let (id, _, data) = fake.interaction_in(who, "autoreply", Some((sub, options)), json!({}));
    fake.dispatch("INTERACTION_CREATE", data);
    fake.wait_request(30, "a moderator command's reply", move |r| {
        r.path.starts_with(&format!("/api/v10/interactions/{id}/"))
    })
    .await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let fake = FakeDiscord::start().await;
        let data = std::env::temp_dir().join(format!("runclub-storm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let mut bot = tokio::process::Command::new(env!("CARGO_BIN_EXE_runclub-bot"))
            .arg("run")
            .env("DISCORD_TOKEN", TOKEN)
            .env("DISCORD_API_BASE", &fake.base)
            .env("RUNCLUB_DATA_DIR", &data)
            .env(
                "RUNCLUB_CACHE_DIR",
                std::env::temp_dir().join("runclub-storm-cache"),
            )
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("the release binary starts");
        let pid = bot.id().unwrap();
        // A cold embedding cache takes a while on the first run.
        fake.wait_identified(1, 120).await;
        moderate(&fake, "enable", json!([])).await;
        moderate(
            &fake,
            "cooldowns",
            json!([{"name": "channel_seconds", "type": 4, "value": 0},
                   {"name": "member_seconds", "type": 4, "value": 0},
                   {"name": "same_answer_seconds", "type": 4, "value": 0}]),
        )
        .await;
        println!("RSS connected and idle: {:.0} MiB", rss_mib(pid));
        for n in 1..=2 {
            storm(&fake, pid, n).await;
        }
        let _ = bot.start_kill();
        let _ = bot.wait().await;
        let _ = std::fs::remove_dir_all(&data);
    });
}
