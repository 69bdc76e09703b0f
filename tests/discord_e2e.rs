//! End to end: the real serenity client and poise, driven through a fake Discord on 127.0.0.1
//! (REST + gateway). One test binary for all of them, to save link time.
#![recursion_limit = "256"]

mod common;
mod fake_discord;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake_discord::{FakeDiscord, Request, TOKEN};
use runclub_bot::discord::{self, BotState, Token};
use runclub_bot::settings::{AutoOutcome, StatEvent};
use runclub_bot::Config;
use serde_json::{json, Value};
use tokio::sync::oneshot;

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            std::env::var("TEST_LOG")
                .unwrap_or_else(|_| "runclub_bot=debug,serenity=warn,poise=warn".into()),
        ))
        .with_test_writer()
        .try_init();
}

/// A bot running in this process against `fake`, stopped by dropping or `stop()`.
struct Bot {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    state: Arc<BotState>,
}

impl Bot {
    async fn start(fake: &FakeDiscord, data_dir: &Path, tweak: impl FnOnce(&mut Config)) -> Bot {
        init_tracing();
        let mut config = Config {
            knowledge_dir: common::repo().join("knowledge"),
            data_dir: data_dir.to_path_buf(),
            ..Config::default()
        };
        config.discord.api_base = Some(fake.base.clone());
        tweak(&mut config);
        config.cache_dir = Some(common::cache_dir());
        let engine = runclub_bot::load_engine(&config, &common::embedder()).unwrap();
        let state = Arc::new(BotState::new(engine, config.clone()));
        let (tx, rx) = oneshot::channel();
        let s = state.clone();
        let task = tokio::spawn(async move {
            let token = Token::new(TOKEN).unwrap();
            discord::run(&config, &token, s, async {
                let _ = rx.await;
            })
            .await
        });
        Bot {
            stop: Some(tx),
            task,
            state,
        }
    }

    /// Ends a test's bot without the graceful stop (about 0.5 s each: the shards' close
    /// handshake), which one test measures and the restart tests need. The bot must still be
    /// running: a bot that stopped or failed on its own fails the test.
    fn finish(self) {
        assert!(!self.task.is_finished(), "the bot stopped on its own");
        self.task.abort();
    }

    async fn stop(mut self) -> Duration {
        let t = Instant::now();
        let _ = self.stop.take().unwrap().send(());
        let r = tokio::time::timeout(Duration::from_secs(10), &mut self.task).await;
        let elapsed = t.elapsed();
        r.expect("bot stops within 10 s").unwrap().unwrap();
        elapsed
    }
}

/// A fake Discord and a bot connected to it, with default settings and a fresh data dir.
async fn connected(name: &str) -> (FakeDiscord, Bot, std::path::PathBuf) {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir(name);
    let bot = Bot::start(&fake, &dir, |_| {}).await;
    fake.wait_identified(1, 10).await;
    (fake, bot, dir)
}

fn is_callback(id: u64) -> impl Fn(&Request) -> bool {
    move |r| r.method == "POST" && r.path.starts_with(&format!("/api/v10/interactions/{id}/"))
}

fn content(r: &Request) -> &str {
    r.body["data"]["content"].as_str().unwrap_or("")
}

fn ephemeral(r: &Request) -> bool {
    r.body["data"]["flags"].as_u64().unwrap_or(0) & 64 != 0
}

/// Sends an interaction and returns the callback with the time it took.
async fn interact(
    fake: &FakeDiscord,
    (id, _token, data): (u64, String, Value),
) -> (Request, Duration) {
    let t = Instant::now();
    fake.dispatch("INTERACTION_CREATE", data);
    let r = fake
        .wait_request(5, "interaction callback", is_callback(id))
        .await;
    let took = r.at.duration_since(t);
    (r, took)
}

fn ask(fake: &FakeDiscord, question: &str) -> (u64, String, Value) {
    fake.command_interaction(
        "ask",
        json!([{"name": "question", "type": 3, "value": question}]),
    )
}

#[test]
fn payloads_deserialize_as_serenity_types() {
    use poise::serenity_prelude as serenity;
    let guild: Result<serenity::Guild, _> =
        serde_json::from_value(fake_discord::guild_create_json());
    guild.expect("GUILD_CREATE deserializes");
    let msg = fake_discord::message_json(1, 2, 3, "x", "hi", false, Some(9));
    serde_json::from_value::<serenity::Message>(msg).expect("message deserializes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_get_answers_declines_and_did_you_mean() {
    let (fake, bot, _dir) = connected("e2e-ask").await;
    let reg = fake
        .wait_request(10, "command registration", |r| {
            r.method == "PUT" && r.path.ends_with("/commands")
        })
        .await;
    let names: Vec<&str> = reg
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    for n in ["ask", "topic", "topics", "about", "Ask runclub-bot"] {
        assert!(names.contains(&n), "{n} registered: {names:?}");
    }

    // An answer: public, sourced, physio prompt.
    let mut latencies = Vec::new();
    let (r, took) = interact(&fake, ask(&fake, "does foam rolling break up scar tissue?")).await;
    latencies.push(took);
    assert_eq!(r.body["type"], 4);
    assert!(!ephemeral(&r));
    assert!(
        content(&r).contains("Narrative review, Behm & Wilke 2019"),
        "{}",
        content(&r)
    );
    assert!(content(&r).contains("physio"));

    // A decline: only to the member, says what the bot can answer.
    let (r, took) = interact(&fake, ask(&fake, "which running shoes should I buy?")).await;
    latencies.push(took);
    assert!(ephemeral(&r));
    assert!(content(&r).contains("/topics"), "{}", content(&r));

    // Warning signs: the physio recommendation comes first.
    let (r, _) = interact(
        &fake,
        ask(
            &fake,
            "my knee has been swollen for two weeks, should I roll it?",
        ),
    )
    .await;
    assert!(
        content(&r).starts_with("⚠️ **Please get this assessed by a physio"),
        "{}",
        content(&r)
    );

    // Did you mean: buttons, then a press posts the chosen entry publicly.
    let (r, _) = interact(&fake, ask(&fake, "doms")).await;
    assert!(ephemeral(&r));
    let buttons = r.body["data"]["components"][0]["components"]
        .as_array()
        .expect("buttons")
        .clone();
    assert!(!buttons.is_empty() && buttons.len() <= 3);
    let custom_id = buttons[0]["custom_id"].as_str().unwrap().to_string();
    assert_eq!(custom_id, "rcb:show:doms-what-is-it");
    assert!(buttons
        .iter()
        .all(|b| b["label"].as_str().unwrap().chars().count() <= 80));
    let (r, took) = interact(&fake, fake.button_interaction(&custom_id)).await;
    latencies.push(took);
    assert_eq!(r.body["type"], 4);
    assert!(!ephemeral(&r), "the chosen entry is posted for everyone");
    assert!(content(&r).contains("DOMS"));

    // Autocomplete: at most 25 choices, fuzzy on what is typed.
    let (r, took) = interact(
        &fake,
        fake.autocomplete_interaction("topic", "name", "iliotibal"),
    )
    .await;
    latencies.push(took);
    assert_eq!(r.body["type"], 8);
    let choices = r.body["data"]["choices"].as_array().unwrap();
    assert!(!choices.is_empty() && choices.len() <= 25);
    assert!(
        choices[..2]
            .iter()
            .any(|c| c["value"].as_str().unwrap().starts_with("itb")),
        "{choices:?}"
    );

    // /topic with a picked choice, /topics, /about.
    let (r, _) = interact(
        &fake,
        fake.command_interaction(
            "topic",
            json!([{"name": "name", "type": 3, "value": "textured-rollers"}]),
        ),
    )
    .await;
    assert!(content(&r).contains("textured"), "{}", content(&r));
    let (r, _) = interact(&fake, fake.command_interaction("topics", json!([]))).await;
    assert!(content(&r).contains("IT band") && content(&r).contains("DOMS"));
    let (r, _) = interact(&fake, fake.command_interaction("about", json!([]))).await;
    assert!(content(&r).contains("not medical advice"));

    // The context-menu command answers someone else's message.
    let (r, _) = interact(
        &fake,
        fake.message_command_interaction(
            "Ask runclub-bot",
            "is it true you can lengthen your IT band by rolling?",
        ),
    )
    .await;
    assert!(content(&r).contains("connective tissue"), "{}", content(&r));

    // Nothing the bot sent could ping anyone.
    let sent: Vec<Request> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.contains("/callback") && r.body["type"] == 4)
        .collect();
    assert!(sent.len() >= 8);
    for r in &sent {
        let am = &r.body["data"]["allowed_mentions"];
        assert_eq!(am["parse"], json!([]), "allowed mentions on {}", r.path);
        assert!(am["users"].as_array().is_none_or(|a| a.is_empty()));
        assert!(am["roles"].as_array().is_none_or(|a| a.is_empty()));
    }

    latencies.sort();
    eprintln!(
        "interaction -> callback latency over {} interactions: median {:?}, max {:?}",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies.last().unwrap()
    );
    let took = bot.stop().await;
    assert!(took < Duration::from_secs(5), "shards closed in {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconnect_then_keeps_answering() {
    let (fake, bot, _dir) = connected("e2e-reconnect").await;
    let (r, _) = interact(&fake, ask(&fake, "is the IT band a muscle?")).await;
    assert!(content(&r).contains("connective tissue"));

    fake.request_reconnect();
    fake.wait_until(10, "RESUME after op 7", || fake.resumes() >= 1)
        .await;
    let (r, _) = interact(
        &fake,
        ask(&fake, "how long should I foam roll before a run?"),
    )
    .await;
    assert!(content(&r).contains("minutes"), "{}", content(&r));
    assert_eq!(fake.identifies(), 1, "resumed, not re-identified");
    bot.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_registered_only_when_they_change() {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir("e2e-register");
    let is_put = |r: &Request| r.method == "PUT" && r.path.ends_with("/commands");

    let bot = Bot::start(&fake, &dir, |_| {}).await;
    let first = fake.wait_request(10, "first registration", is_put).await;
    assert!(
        first.path.contains("/applications/") && !first.path.contains("/guilds/"),
        "global by default"
    );
    // Registration runs beside the bot: wait until it is remembered before restarting.
    let remembered = dir.join("registered-commands.txt");
    assert!(
        poll(|| remembered.exists()).await,
        "the registration remembered"
    );
    bot.stop().await;

    // Same definitions: no second registration.
    let bot = Bot::start(&fake, &dir, |_| {}).await;
    fake.wait_identified(2, 10).await;
    let (r, _) = interact(&fake, ask(&fake, "does rolling help DOMS?")).await;
    assert!(content(&r).contains("DOMS"));
    fake.expect_no_request(300, "re-registration", is_put).await;
    bot.stop().await;

    // A dev server configured: registered there.
    let bot = Bot::start(&fake, &dir, |c| {
        c.discord.dev_guild_id = Some(fake_discord::GUILD_ID)
    })
    .await;
    let guild = fake.wait_request(10, "guild registration", is_put).await;
    assert!(guild
        .path
        .contains(&format!("/guilds/{}/commands", fake_discord::GUILD_ID)));
    bot.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_answered_while_commands_are_still_registering() {
    // Discord slow to answer the registration: the bot must not make members wait for it.
    let fake = FakeDiscord::start().await;
    fake.delay_registration(3000);
    let dir = common::temp_dir("e2e-slow-registration");
    let _bot = Bot::start(&fake, &dir, |_| {}).await;
    let put = fake
        .wait_request(10, "registration", |r| r.method == "PUT")
        .await;
    let (r, _) = interact(&fake, ask(&fake, "is the IT band a muscle?")).await;
    assert!(content(&r).contains("connective tissue"), "{}", content(&r));
    assert!(
        r.at.duration_since(put.at) < Duration::from_secs(3),
        "answered {:?} after registration began: it waited for Discord's answer",
        r.at.duration_since(put.at)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_keeps_old_knowledge_when_the_new_is_broken() {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir("e2e-reload");
    let knowledge = dir.join("knowledge");
    copy_knowledge(&knowledge);
    let bot = Bot::start(&fake, &dir.join("data"), |c| {
        c.knowledge_dir = knowledge.clone()
    })
    .await;
    fake.wait_identified(1, 10).await;

    rewrite_answer(&knowledge, "Rolling may ease sore legs a little (edited).");
    let n = bot.state.reload().expect("good knowledge reloads");
    assert!(n >= 10);
    let (r, _) = interact(&fake, ask(&fake, "does foam rolling help DOMS?")).await;
    assert!(content(&r).contains("(edited)"), "{}", content(&r));

    std::fs::write(knowledge.join("doms.json"), "{\"entries\": [ {\"id\": ").unwrap();
    let err = bot.state.reload().expect_err("broken knowledge is refused");
    assert!(format!("{err:#}").contains("doms.json:1:"), "{err:#}");
    let (r, _) = interact(&fake, ask(&fake, "does foam rolling help DOMS?")).await;
    assert!(
        content(&r).contains("(edited)"),
        "old knowledge kept: {}",
        content(&r)
    );
    bot.finish();
}

fn copy_knowledge(to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(common::repo().join("knowledge")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

fn rewrite_answer(dir: &Path, answer: &str) {
    let path = dir.join("doms.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let old = v["entries"][0]["answer"].as_str().unwrap().to_string();
    v["entries"][0]["answer"] = json!(format!("{answer} {old}"));
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

fn rss_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmRSS:")
}

fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill {sig} {pid}");
}

/// The real binary, as a club runs it: answers, reloads on SIGHUP (and keeps the old knowledge
/// when the new is broken), stops on SIGTERM, and never logs the token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_answers_reloads_and_stops() {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir("e2e-binary");
    let knowledge = dir.join("knowledge");
    copy_knowledge(&knowledge);
    let stderr_path = dir.join("stderr.log");
    let mut child = tokio::process::Command::new(common::warm_bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .arg("run")
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", &fake.base)
        .env("RUNCLUB_KNOWLEDGE_DIR", &knowledge)
        .env("RUNCLUB_DATA_DIR", dir.join("data"))
        .env("RUST_LOG", "runclub_bot=info,warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    fake.wait_identified(1, 20).await;
    let (r, took) = interact(
        &fake,
        ask(&fake, "can you stretch your IT band with a roller?"),
    )
    .await;
    assert!(content(&r).contains("connective tissue"));
    eprintln!(
        "binary: interaction -> callback {took:?}; RSS {:?} KiB",
        rss_kib(pid)
    );

    rewrite_answer(&knowledge, "Edited by a moderator.");
    signal(pid, "-HUP");
    let logged = wait_for_log(&stderr_path, "knowledge reloaded").await;
    assert!(logged, "reload logged");
    let (r, _) = interact(&fake, ask(&fake, "does rolling help DOMS?")).await;
    assert!(
        content(&r).contains("Edited by a moderator."),
        "{}",
        content(&r)
    );

    std::fs::write(knowledge.join("doms.json"), "{ not json").unwrap();
    signal(pid, "-HUP");
    assert!(wait_for_log(&stderr_path, "keeping the previous knowledge").await);
    let (r, _) = interact(&fake, ask(&fake, "does rolling help DOMS?")).await;
    assert!(
        content(&r).contains("Edited by a moderator."),
        "old knowledge kept"
    );
    eprintln!(
        "binary: RSS after reloads {:?} KiB, peak {:?} KiB",
        rss_kib(pid),
        status_kib(pid, "VmHWM:")
    );

    let t = Instant::now();
    signal(pid, "-TERM");
    let status = tokio::time::timeout(Duration::from_secs(6), child.wait())
        .await
        .expect("exits after SIGTERM")
        .unwrap();
    assert!(status.success(), "{status:?}");
    assert!(
        t.elapsed() < Duration::from_secs(5),
        "stopped in {:?}",
        t.elapsed()
    );
    let log = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(!log.contains(TOKEN), "the token never appears in logs");
    assert!(
        !log.contains("can you stretch your IT band"),
        "message text stays out of info logs"
    );
}

/// Whether the log gets this line within 60 s: a reload prepares and trains on every example
/// again (seconds in an unoptimised build, on a busy machine), and nothing else signals it.
async fn wait_for_log(path: &Path, needle: &str) -> bool {
    poll_for(Duration::from_secs(60), || {
        std::fs::read_to_string(path)
            .unwrap_or_default()
            .contains(needle)
    })
    .await
}

/// Whether `cond` becomes true within 5 s, checked every 20 ms: for files written by the bot
/// (logs, records), which give no event to wait on.
async fn poll(cond: impl Fn() -> bool) -> bool {
    poll_for(Duration::from_secs(5), cond).await
}

async fn poll_for(within: Duration, cond: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_one_clear_line() {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir("e2e-badtoken");
    let out = tokio::process::Command::new(common::warm_bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .arg("run")
        .env("DISCORD_TOKEN", "wrong-token")
        .env("DISCORD_API_BASE", &fake.base)
        .env("RUNCLUB_DATA_DIR", dir.join("data"))
        .output();
    // Start-up trains on every example (seconds in an unoptimised build) before connecting.
    let out = tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("exits, no retry loop")
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(78),
        "EX_CONFIG: restarting will not help"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("401"), "{err}");
    // Start-up progress is logged at INFO before connecting; the failure is one line.
    let problems: Vec<&str> = err.lines().filter(|l| !l.contains("INFO")).collect();
    assert_eq!(problems.len(), 1, "one line: {err}");
    assert!(!err.contains("wrong-token"));

    // No token at all.
    let out = std::process::Command::new(common::bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .arg("run")
        .env_remove("DISCORD_TOKEN")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DISCORD_TOKEN"), "{err}");
}

// ---------------------------------------------------------------- moderators and auto replies

use fake_discord::{
    CHANNEL2_ID, CHANNEL_ID, GUILD2_ID, GUILD_ID, MEMBER_ID, MEMBER_PERMS, MOD_ID, MOD_PERMS,
    OTHER_CHANNEL_ID, THREAD_ID,
};

const ROLE_ID: u64 = 900_000_000_000_000_020;

/// `/autoreply <sub>` (or `/faq <sub>` with `parent`) from `user` with `perms` in `guild`.
fn modcmd(
    fake: &FakeDiscord,
    guild: u64,
    user: u64,
    perms: &str,
    parent: &str,
    sub: &str,
    opts: Value,
) -> (u64, String, Value) {
    let resolved = json!({"roles": {ROLE_ID.to_string(): {
        "id": ROLE_ID.to_string(), "name": "newbies", "color": 0,
        "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
        "hoist": false, "icon": null, "unicode_emoji": null, "position": 1, "permissions": "0",
        "managed": false, "mentionable": false, "flags": 0}}});
    let channel = if guild == GUILD_ID {
        CHANNEL_ID
    } else {
        CHANNEL2_ID
    };
    let who = fake_discord::Who {
        guild,
        channel,
        user,
        perms,
    };
    fake.interaction_in(who, parent, Some((sub, opts)), resolved)
}

/// Runs a moderator command in the test server and returns its (ephemeral) reply text.
async fn moderate(fake: &FakeDiscord, sub: &str, opts: Value) -> String {
    let (r, _) = interact(
        fake,
        modcmd(fake, GUILD_ID, MOD_ID, MOD_PERMS, "autoreply", sub, opts),
    )
    .await;
    assert!(ephemeral(&r), "configuration replies are ephemeral");
    content(&r).to_string()
}

async fn faq_stats(fake: &FakeDiscord, guild: u64) -> String {
    let (r, _) = interact(
        fake,
        modcmd(fake, guild, MOD_ID, MOD_PERMS, "faq", "stats", json!([])),
    )
    .await;
    assert!(ephemeral(&r));
    content(&r).to_string()
}

/// What `/faq stats` counts of members' messages in the main server's auto-reply channels,
/// by outcome.
async fn outcomes(fake: &FakeDiscord) -> Vec<(AutoOutcome, u64)> {
    let stats = faq_stats(fake, GUILD_ID).await;
    AutoOutcome::ALL
        .into_iter()
        .filter_map(|o| {
            let prefix = format!("{}: ", o.label());
            let n = stats
                .lines()
                .find_map(|l| l.strip_prefix(&prefix)?.parse().ok())?;
            Some((o, n))
        })
        .collect()
}

/// The marker pattern, made strict. Messages that must get no reply were sent, then a marker
/// that must: once the marker's reply is in and `/faq stats` has counted `handled` messages in
/// all (counting is the bot's last step with each, so it is done with them), nothing but the
/// marker's reply may have been posted since `posts_before`. Fast, and it can't pass by the
/// bot being slow. Returns the counts.
async fn only_the_marker_answered(
    fake: &FakeDiscord,
    marker_channel: u64,
    posts_before: usize,
    handled: u64,
) -> Vec<(AutoOutcome, u64)> {
    let marker = fake
        .wait_request(5, "the marker's reply", posted_in(marker_channel))
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let counts = loop {
        let counts = outcomes(fake).await;
        if counts.iter().map(|(_, n)| n).sum::<u64>() >= handled {
            break counts;
        }
        assert!(
            Instant::now() < deadline,
            "the bot never finished with the messages: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let posts: Vec<Request> = fake.requests().into_iter().filter(any_post).collect();
    assert_eq!(
        posts.len(),
        posts_before + 1,
        "only the marker was answered; posted: {:#?}",
        posts[posts_before..]
            .iter()
            .map(|r| r.body["content"].to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(posts[posts_before].body, marker.body);
    counts
}

/// Waits until `/faq stats` counts exactly these outcomes (the bot is done with the messages).
async fn wait_outcomes(fake: &FakeDiscord, expected: &[(AutoOutcome, u64)]) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let counts = outcomes(fake).await;
        if counts == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "counted {counts:?}, expected {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn posts(fake: &FakeDiscord) -> usize {
    fake.requests().iter().filter(|r| any_post(r)).count()
}

fn count_of(counts: &[(AutoOutcome, u64)], outcome: AutoOutcome) -> u64 {
    counts
        .iter()
        .find(|(o, _)| *o == outcome)
        .map_or(0, |(_, n)| *n)
}

fn posted_in(channel: u64) -> impl Fn(&Request) -> bool {
    move |r| r.method == "POST" && r.path == format!("/api/v10/channels/{channel}/messages")
}

fn any_post(r: &Request) -> bool {
    r.method == "POST" && r.path.contains("/channels/") && r.path.ends_with("/messages")
}

/// A member's message in the test server's main channel; returns its id.
fn say_here(fake: &FakeDiscord, author: u64, text: &str) -> u64 {
    say_in(fake, GUILD_ID, CHANNEL_ID, author, text, &[])
}

/// A member's message; returns its id.
fn say_in(
    fake: &FakeDiscord,
    guild: u64,
    channel: u64,
    author: u64,
    text: &str,
    roles: &[u64],
) -> u64 {
    let (id, m) = fake.member_message(guild, channel, author, text, roles);
    fake.dispatch("MESSAGE_CREATE", m);
    id
}

async fn no_cooldowns(fake: &FakeDiscord) {
    moderate(
        fake,
        "cooldowns",
        json!([{"name": "channel_seconds", "type": 4, "value": 0}, {"name": "member_seconds", "type": 4, "value": 0},
               {"name": "same_answer_seconds", "type": 4, "value": 0}]),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderators_configure_and_the_bot_replies_only_where_it_should() {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir("e2e-auto");
    let bot = Bot::start(&fake, &dir, |_| {}).await;
    let reg = fake
        .wait_request(10, "registration", |r| r.method == "PUT")
        .await;
    for name in ["autoreply", "faq"] {
        let cmd = reg
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap();
        assert_eq!(
            cmd["default_member_permissions"], "32",
            "{name} hidden from non-moderators"
        );
    }

    // A member without Manage Server is refused even though the command reached the bot, once:
    // no second "something went wrong" after the refusal.
    let refused = modcmd(
        &fake,
        GUILD_ID,
        MEMBER_ID,
        MEMBER_PERMS,
        "autoreply",
        "enable",
        json!([]),
    );
    let token = refused.1.clone();
    let (r, _) = interact(&fake, refused).await;
    assert!(
        ephemeral(&r) && content(&r).contains("Manage Server"),
        "{}",
        content(&r)
    );
    fake.expect_no_request(300, "a second reply to the refused member", |r| {
        r.path.contains(&token)
    })
    .await;
    assert!(moderate(&fake, "status", json!([]))
        .await
        .contains("Channels: none"));

    assert!(moderate(&fake, "enable", json!([]))
        .await
        .contains("now **on**"));
    no_cooldowns(&fake).await;
    let status = moderate(&fake, "status", json!([])).await;
    assert!(status.contains(&format!("<#{CHANNEL_ID}>")), "{status}");

    // A question in the enabled channel: a reply to it, pinging nobody, with feedback buttons.
    let q = say_here(
        &fake,
        MEMBER_ID,
        "does foam rolling actually break up scar tissue?",
    );
    let post = fake
        .wait_request(5, "auto reply", posted_in(CHANNEL_ID))
        .await;
    assert!(post.body["content"]
        .as_str()
        .unwrap()
        .contains("Narrative review, Behm & Wilke 2019"));
    assert_eq!(post.body["message_reference"]["message_id"], q.to_string());
    assert_eq!(post.body["allowed_mentions"]["parse"], json!([]));
    assert_eq!(
        post.body["allowed_mentions"]["replied_user"], false,
        "the reply doesn't ping the member"
    );
    let ids: Vec<&str> = post.body["components"][0]["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["custom_id"].as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "rcb:vote:fascia-adhesions-myth:y",
            "rcb:vote:fascia-adhesions-myth:n",
            "rcb:src:fascia-adhesions-myth"
        ]
    );

    // "Full sources": the full citations with their links, to the presser only.
    let press = fake.button_on(424_243, 7602, "rcb:src:fascia-adhesions-myth");
    let (r, _) = interact(&fake, press).await;
    let cited = content(&r);
    assert!(ephemeral(&r), "{cited}");
    assert!(
        cited.contains("Behm DG, Wilke J") && cited.contains("<https://doi.org/10."),
        "{cited}"
    );
    assert!(cited.contains("limited evidence"), "{cited}");

    // The same message replayed (as after a reconnect): no second reply.
    let (_, replay) = fake.member_message(
        GUILD_ID,
        CHANNEL_ID,
        MEMBER_ID,
        "does foam rolling actually break up scar tissue?",
        &[],
    );
    let mut replay = replay;
    replay["id"] = json!(q.to_string());
    fake.dispatch("MESSAGE_CREATE", replay);

    // A thread under the enabled channel counts as enabled.
    say_in(
        &fake,
        GUILD_ID,
        THREAD_ID,
        MEMBER_ID,
        "is the IT band a muscle or a tendon?",
        &[],
    );
    let post = fake
        .wait_request(5, "auto reply in thread", posted_in(THREAD_ID))
        .await;
    assert!(post.body["content"]
        .as_str()
        .unwrap()
        .contains("connective tissue"));

    // Warning signs lead with the physio.
    say_here(
        &fake,
        4242,
        "my knee has been swelling up for three weeks, should I roll it?",
    );
    let post = fake
        .wait_request(5, "escalated auto reply", posted_in(CHANNEL_ID))
        .await;
    assert!(post.body["content"].as_str().unwrap().starts_with("⚠️"));

    // Silence: another channel, bots, webhooks, the bot itself, chatter.
    let before = posts(&fake);
    say_in(
        &fake,
        GUILD_ID,
        OTHER_CHANNEL_ID,
        MEMBER_ID,
        "does foam rolling break up adhesions?",
        &[],
    );
    let (_, mut m) = fake.member_message(
        GUILD_ID,
        CHANNEL_ID,
        555,
        "does foam rolling break up adhesions?",
        &[],
    );
    m["author"]["bot"] = json!(true);
    fake.dispatch("MESSAGE_CREATE", m);
    let (_, mut m) = fake.member_message(GUILD_ID, CHANNEL_ID, 556, "does rolling help DOMS?", &[]);
    m["webhook_id"] = json!("777");
    fake.dispatch("MESSAGE_CREATE", m);
    say_here(&fake, fake_discord::BOT_ID, "does rolling help DOMS?");
    for chatter in [
        "rolling hills route on saturday, meet at 8",
        "just did some foam rolling, feeling great",
        "IT guy fixed the laptop",
    ] {
        say_in(&fake, GUILD_ID, CHANNEL_ID, MEMBER_ID, chatter, &[]);
    }
    // A marker message last. Counted in all: the three replies above, the chatter, the marker.
    say_here(&fake, 4343, "how long should I foam roll before a run?");
    let counts = only_the_marker_answered(&fake, CHANNEL_ID, before, 7).await;
    assert_eq!(
        counts,
        [(AutoOutcome::Replied, 4), (AutoOutcome::NotConfident, 3)]
    );
    let marker = fake.requests().into_iter().rev().find(any_post).unwrap();
    assert!(marker.body["content"].as_str().unwrap().contains("minutes"));

    // Disabled again: silence there. The marker goes to another channel, enabled for it.
    assert!(moderate(&fake, "disable", json!([]))
        .await
        .contains("now **off**"));
    let elsewhere = fake_discord::Who {
        guild: GUILD_ID,
        channel: OTHER_CHANNEL_ID,
        user: MOD_ID,
        perms: MOD_PERMS,
    };
    interact(
        &fake,
        fake.interaction_in(
            elsewhere,
            "autoreply",
            Some(("enable", json!([]))),
            json!({}),
        ),
    )
    .await;
    let before = posts(&fake);
    say_here(&fake, 4444, "does rolling help DOMS?");
    say_in(
        &fake,
        GUILD_ID,
        OTHER_CHANNEL_ID,
        4445,
        "does rolling help DOMS?",
        &[],
    );
    only_the_marker_answered(&fake, OTHER_CHANNEL_ID, before, 8).await;
    bot.finish();
}

/// Discord failing on its side (500) doesn't lose an auto reply: it is retried, with backoff, a
/// bounded number of times, and posted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_send_is_retried() {
    let (fake, bot, _dir) = connected("e2e-retry").await;
    moderate(&fake, "enable", json!([])).await;
    fake.fail_next_posts(2);
    say_here(&fake, 7301, "does foam rolling break up adhesions?");
    for attempt in 1..=3 {
        let r = fake
            .wait_request(5, &format!("attempt {attempt}"), posted_in(CHANNEL_ID))
            .await;
        let text = r.body["content"].as_str().unwrap_or_default();
        assert!(text.contains("adhesions"), "{text}");
    }
    // Counted as replied once the bot is done with the message: then, three posts in all.
    wait_outcomes(&fake, &[(AutoOutcome::Replied, 1)]).await;
    assert_eq!(posts(&fake), 3, "no fourth attempt");

    // Past the bound it gives up (logged and counted), and doesn't loop.
    no_cooldowns(&fake).await;
    fake.fail_next_posts(5);
    say_here(&fake, 7302, "is the IT band a muscle?");
    for attempt in 1..=3 {
        fake.wait_request(5, &format!("attempt {attempt}"), posted_in(CHANNEL_ID))
            .await;
    }
    wait_outcomes(
        &fake,
        &[(AutoOutcome::Replied, 1), (AutoOutcome::SendFailed, 1)],
    )
    .await;
    assert_eq!(posts(&fake), 6, "given up after three attempts");
    bot.finish();
}

/// Answer counts are bookkeeping: when they can't be written, members still get their answers,
/// from `/ask` and from auto replies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_stats_write_loses_no_reply() {
    let (fake, bot, dir) = connected("e2e-stats-fail").await;
    moderate(&fake, "enable", json!([])).await;
    // Break the counts table behind the bot's back: every count now fails.
    let db = rusqlite::Connection::open(dir.join("runclub-bot.sqlite3")).unwrap();
    db.execute_batch("DROP TABLE answers").unwrap();
    say_here(&fake, 7401, "does foam rolling break up adhesions?");
    let r = fake
        .wait_request(5, "the auto reply", posted_in(CHANNEL_ID))
        .await;
    assert!(r.body["content"].as_str().unwrap().contains("adhesions"));
    let (r, _) = interact(&fake, ask(&fake, "is the IT band a muscle?")).await;
    assert!(content(&r).contains("Can you stretch or release the IT band?"));
    bot.finish();
}

/// A burst of questions, more than two cores answer at once: every interaction is
/// acknowledged within Discord's 3 seconds (deferred first when the engine is behind) and
/// answered exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_questions_is_acknowledged_in_time() {
    let (fake, bot, _dir) = connected("e2e-storm").await;
    let questions = [
        "does foam rolling break up adhesions?",
        "is the IT band a muscle?",
        "how long should I roll before a run?",
        "does rolling help with DOMS?",
    ];
    let asks: Vec<_> = (0..120)
        .map(|i| ask(&fake, questions[i % questions.len()]))
        .collect();
    let started = Instant::now();
    let ids: Vec<u64> = asks.iter().map(|(id, _, _)| *id).collect();
    for (_, _, data) in asks {
        fake.dispatch("INTERACTION_CREATE", data);
    }
    let mut slowest = Duration::ZERO;
    let mut deferred = 0;
    for id in &ids {
        let r = fake
            .wait_request(10, "an acknowledgement", is_callback(*id))
            .await;
        slowest = slowest.max(r.at.duration_since(started));
        if r.body["type"] == 5 {
            deferred += 1;
        }
    }
    // The deferred ones get their answer as a follow-up (which replaces "thinking...").
    for _ in 0..deferred {
        let r = fake
            .wait_request(20, "a deferred answer", |r| {
                (r.method == "POST" && r.path.starts_with("/api/v10/webhooks/"))
                    || (r.method == "PATCH" && r.path.ends_with("/messages/@original"))
            })
            .await;
        assert!(!r.body["content"].as_str().unwrap_or_default().is_empty());
    }
    eprintln!("storm: 120 questions, slowest acknowledgement {slowest:?}, {deferred} deferred");
    assert!(slowest < Duration::from_secs(3), "{slowest:?}");
    // Exactly one acknowledgement each: nothing answered twice.
    let callbacks = fake
        .requests()
        .iter()
        .filter(|r| ids.iter().any(|id| is_callback(*id)(r)))
        .count();
    assert_eq!(callbacks, ids.len());
    bot.finish();
}

/// More questions at once than the queue for the engine may hold: the rest are told at once,
/// privately, that the bot is busy; none is left without a reply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_beyond_the_queue_is_told_the_bot_is_busy() {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir("e2e-flood");
    let bot = Bot::start(&fake, &dir, |c| c.discord.max_waiting_questions = 3).await;
    fake.wait_identified(1, 10).await;
    let asks: Vec<_> = (0..20)
        .map(|_| ask(&fake, "does foam rolling break up adhesions?"))
        .collect();
    let ids: Vec<u64> = asks.iter().map(|(id, _, _)| *id).collect();
    for (_, _, data) in asks {
        fake.dispatch("INTERACTION_CREATE", data);
    }
    let (mut answered, mut busy) = (0, 0);
    for id in &ids {
        let r = fake
            .wait_request(10, "a reply to every question", is_callback(*id))
            .await;
        if content(&r) == runclub_bot::discord::commands::BUSY {
            assert!(ephemeral(&r), "only the member sees that the bot is busy");
            busy += 1;
        } else {
            assert!(content(&r).contains("adhesions"), "{}", content(&r));
            answered += 1;
        }
    }
    // Twenty at once against a queue of three: most are told, at least three are answered.
    assert!(
        answered >= 3 && busy >= 1,
        "{answered} answered, {busy} busy"
    );
    let callbacks = fake
        .requests()
        .iter()
        .filter(|r| ids.iter().any(|id| is_callback(*id)(r)))
        .count();
    assert_eq!(callbacks, ids.len(), "each question acknowledged once");
    // The queue empties: a question after the flood is answered.
    let (r, _) = interact(&fake, ask(&fake, "is the IT band a muscle?")).await;
    assert!(content(&r).contains("connective tissue"), "{}", content(&r));
    bot.finish();
}

/// Serenity handles events concurrently: a burst of on-topic questions in one channel gets
/// exactly one auto reply per cooldown window, never one each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_questions_gets_one_reply_per_cooldown() {
    let (fake, bot, _dir) = connected("e2e-burst").await;
    moderate(&fake, "enable", json!([])).await;
    let questions = [
        "does foam rolling break up adhesions?",
        "is the IT band a muscle?",
        "how long should I roll before a run?",
        "does rolling help with DOMS?",
        "are spiky rollers better than smooth ones?",
        "what's the best warm up before a run?",
    ];
    for (i, q) in questions.iter().enumerate() {
        say_here(&fake, 7200 + i as u64, q);
    }
    // All six handled: one replied, the rest held back by the channel's cooldown.
    let counts = only_the_marker_answered(&fake, CHANNEL_ID, 0, 6).await;
    assert_eq!(
        counts,
        [(AutoOutcome::Replied, 1), (AutoOutcome::Cooldown, 5)]
    );
    bot.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooldowns_and_ignored_roles_are_honoured() {
    let (fake, bot, _dir) = connected("e2e-cooldown").await;
    moderate(&fake, "enable", json!([])).await;
    let (a, b, c) = (7001, 7002, 7003);

    say_here(&fake, a, "does foam rolling break up adhesions?");
    fake.wait_request(5, "first reply", posted_in(CHANNEL_ID))
        .await;
    // Default channel cooldown (120 s): another member's question right after gets no reply.
    // Each message is counted once the bot is done with it: then the posts are checked.
    say_here(&fake, b, "is the IT band a muscle?");
    wait_outcomes(
        &fake,
        &[(AutoOutcome::Replied, 1), (AutoOutcome::Cooldown, 1)],
    )
    .await;
    assert_eq!(posts(&fake), 1, "no reply inside the channel cooldown");

    moderate(
        &fake,
        "cooldowns",
        json!([{"name": "channel_seconds", "type": 4, "value": 0}]),
    )
    .await;
    // Member cooldown (600 s) still applies to the first member.
    say_here(&fake, a, "is the IT band a muscle?");
    wait_outcomes(
        &fake,
        &[(AutoOutcome::Replied, 1), (AutoOutcome::Cooldown, 2)],
    )
    .await;
    assert_eq!(posts(&fake), 1, "no reply inside the member cooldown");
    // Same answer in the same channel within the hour: no repeat.
    say_here(&fake, b, "can a foam roller break up scar tissue?");
    wait_outcomes(
        &fake,
        &[(AutoOutcome::Replied, 1), (AutoOutcome::Cooldown, 3)],
    )
    .await;
    assert_eq!(posts(&fake), 1, "not the same answer again");
    // A different member and a different answer: replied.
    say_here(&fake, b, "is the IT band a muscle?");
    fake.wait_request(5, "reply to another member", posted_in(CHANNEL_ID))
        .await;

    // Ignored role: never replied to.
    let text = moderate(
        &fake,
        "ignore-role",
        json!([{"name": "role", "type": 8, "value": ROLE_ID.to_string()}]),
    )
    .await;
    assert!(text.contains("won't get auto replies"), "{text}");
    say_in(
        &fake,
        GUILD_ID,
        CHANNEL_ID,
        c,
        "how long should I roll before a run?",
        &[ROLE_ID],
    );
    wait_outcomes(
        &fake,
        &[
            (AutoOutcome::Replied, 2),
            (AutoOutcome::Cooldown, 3),
            (AutoOutcome::IgnoredRole, 1),
        ],
    )
    .await;
    assert_eq!(posts(&fake), 2, "no reply to an ignored role");
    moderate(
        &fake,
        "unignore-role",
        json!([{"name": "role", "type": 8, "value": ROLE_ID.to_string()}]),
    )
    .await;
    say_in(
        &fake,
        GUILD_ID,
        CHANNEL_ID,
        c,
        "how long should I roll before a run?",
        &[ROLE_ID],
    );
    fake.wait_request(
        5,
        "reply once the role is no longer ignored",
        posted_in(CHANNEL_ID),
    )
    .await;
    bot.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shadow_mode_test_command_and_stats() {
    let (fake, bot, _dir) = connected("e2e-shadow").await;
    moderate(&fake, "enable", json!([])).await;
    no_cooldowns(&fake).await;
    assert!(moderate(
        &fake,
        "shadow",
        json!([{"name": "on", "type": 5, "value": true}])
    )
    .await
    .contains("Shadow mode **on**"));

    say_here(&fake, MEMBER_ID, "does foam rolling break up adhesions?");
    wait_outcomes(&fake, &[(AutoOutcome::WouldReply, 1)]).await;
    assert_eq!(posts(&fake), 0, "nothing posted in shadow mode");
    let stats = faq_stats(&fake, GUILD_ID).await;
    assert!(
        stats.contains("would have replied") && stats.contains("fascia-adhesions-myth"),
        "{stats}"
    );

    let yes = moderate(
        &fake,
        "test",
        json!([{"name": "message", "type": 3, "value": "is the IT band a muscle?"}]),
    )
    .await;
    assert!(
        yes.contains("**Yes**") && yes.contains("itb-not-a-muscle") && yes.contains("shadow"),
        "{yes}"
    );
    // Asked inside a thread under the enabled channel: the thread counts as enabled.
    let who = fake_discord::Who {
        guild: GUILD_ID,
        channel: THREAD_ID,
        user: MOD_ID,
        perms: MOD_PERMS,
    };
    let in_thread = fake.interaction_in(
        who,
        "autoreply",
        Some((
            "test",
            json!([{"name": "message", "type": 3, "value": "is the IT band a muscle?"}]),
        )),
        json!({}),
    );
    let (r, _) = interact(&fake, in_thread).await;
    assert!(content(&r).contains("**Yes**"), "{}", content(&r));
    let no = moderate(
        &fake,
        "test",
        json!([{"name": "message", "type": 3, "value": "rolling hills route on sunday"}]),
    )
    .await;
    assert!(no.starts_with("**No**"), "{no}");

    // Answers count towards "most asked"; declined questions are listed for moderators.
    interact(&fake, ask(&fake, "does rolling help DOMS?")).await;
    interact(&fake, ask(&fake, "which energy gels are best?")).await;
    interact(&fake, ask(&fake, "||spoiler|| **which** gels @everyone")).await;
    // Counts are recorded just after each reply goes out: give the last one a moment.
    let mut stats = faq_stats(&fake, GUILD_ID).await;
    for _ in 0..20 {
        if stats.contains("spoiler") && stats.contains("`doms-rolling`: 1") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        stats = faq_stats(&fake, GUILD_ID).await;
    }
    assert!(stats.contains("`doms-rolling`: 1"), "{stats}");
    assert!(stats.contains("which energy gels are best?"), "{stats}");
    // A member's markdown is shown as typed: it can't hide or restyle the moderator's view.
    assert!(
        stats.contains("\\|\\|spoiler\\|\\| \\*\\*which\\*\\* gels @\u{200B}everyone"),
        "{stats}"
    );
    bot.finish();
}

/// The buttons under a reply, as (custom id, disabled).
fn buttons_of(r: &Request) -> Vec<(String, bool)> {
    r.body["data"]["components"][0]["components"]
        .as_array()
        .map(|row| {
            row.iter()
                .map(|b| {
                    let id = b["custom_id"].as_str().unwrap_or("").to_string();
                    (id, b["disabled"].as_bool().unwrap_or(false))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The questions listed on a `/faq stats` page.
fn questions_on(page: &str) -> Vec<&str> {
    page.lines().filter_map(|l| l.strip_prefix("• ")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_stats_are_paged_and_the_buttons_turn_the_page() {
    let (fake, bot, _dir) = connected("e2e-pages").await;
    // More unanswered questions than one message holds.
    for i in 0..30 {
        bot.state.record_stat(StatEvent::Unanswered {
            guild: GUILD_ID,
            question: format!(
                "q{i:02} how many gels should I take on a long trail race when it is hot and humid and I sweat a lot, end"
            ),
        });
    }
    let (first, _) = interact(
        &fake,
        modcmd(
            &fake,
            GUILD_ID,
            MOD_ID,
            MOD_PERMS,
            "faq",
            "stats",
            json!([]),
        ),
    )
    .await;
    assert!(ephemeral(&first));
    let page1 = content(&first).to_string();
    assert!(
        page1.contains("**Most asked**") && page1.ends_with("Page 1/2"),
        "{page1}"
    );
    assert_eq!(
        buttons_of(&first),
        [
            ("rcb:page:stats:1".to_string(), true),
            ("rcb:page:stats:2".to_string(), false)
        ],
        "Prev is disabled on the first page"
    );

    // A moderator presses Next: the same message now shows page 2.
    let (id, token, mut press) = fake.button_interaction("rcb:page:stats:2");
    press["member"] = fake_discord::member_json(MOD_ID, MOD_PERMS);
    let (next, _) = interact(&fake, (id, token, press)).await;
    assert_eq!(
        next.body["type"], 7,
        "an update of the message, not a new one"
    );
    let page2 = content(&next).to_string();
    assert!(page2.ends_with("Page 2/2"), "{page2}");
    assert!(page2.contains("(continued)"), "{page2}");
    assert_eq!(
        buttons_of(&next),
        [
            ("rcb:page:stats:1".to_string(), false),
            ("rcb:page:stats:2".to_string(), true)
        ],
        "Next is disabled on the last page"
    );

    // The 25 newest questions, each whole on one page, none on both.
    let shown: Vec<&str> = questions_on(&page1)
        .into_iter()
        .chain(questions_on(&page2))
        .collect();
    assert_eq!(shown.len(), 25, "{shown:#?}");
    for (n, q) in shown.iter().enumerate() {
        assert!(
            q.starts_with(&format!("q{:02} ", 29 - n)) && q.ends_with(", end"),
            "{q}"
        );
    }
    for r in [&first, &next] {
        assert!(content(r).chars().count() <= 2000);
        assert_eq!(r.body["data"]["allowed_mentions"]["parse"], json!([]));
    }

    // A member without Manage Server gets no stats from a button either.
    let (id, token, mut press) = fake.button_interaction("rcb:page:stats:1");
    press["member"] = fake_discord::member_json(MEMBER_ID, MEMBER_PERMS);
    let (refused, _) = interact(&fake, (id, token, press)).await;
    assert_eq!(
        refused.body["type"], 4,
        "a reply of its own, the stats left as they were"
    );
    assert!(ephemeral(&refused) && content(&refused).contains("Manage Server"));
    assert!(!content(&refused).contains("gels"));
    bot.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_and_settings_survive_a_restart() {
    let (fake, bot, dir) = connected("e2e-votes").await;
    moderate(&fake, "enable", json!([])).await;
    moderate(
        &fake,
        "sensitivity",
        json!([{"name": "level", "type": 4, "value": 0}]),
    )
    .await;
    let answer_msg = 123_456;
    let vote = |user, choice: &str| {
        fake.button_on(answer_msg, user, &format!("rcb:vote:doms-rolling:{choice}"))
    };
    let (r, _) = interact(&fake, vote(7001, "y")).await;
    assert!(ephemeral(&r) && content(&r).contains("Thanks"));
    let (r, _) = interact(&fake, vote(7001, "n")).await;
    assert!(content(&r).contains("Vote changed"));
    interact(&fake, vote(7002, "y")).await;
    bot.stop().await;

    let bot = Bot::start(&fake, &dir, |_| {}).await;
    fake.wait_identified(2, 10).await;
    let status = moderate(&fake, "status", json!([])).await;
    assert!(
        status.contains(&format!("<#{CHANNEL_ID}>")) && status.contains("Sensitivity: strict"),
        "{status}"
    );
    let (r, _) = interact(&fake, vote(7001, "n")).await;
    assert!(content(&r).contains("already voted"), "{}", content(&r));
    let stats = faq_stats(&fake, GUILD_ID).await;
    assert!(
        stats.contains("`doms-rolling`: 👍 1 · 👎 1"),
        "one vote per member: {stats}"
    );
    bot.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_are_kept_apart() {
    let (fake, bot, _dir) = connected("e2e-servers").await;
    moderate(&fake, "enable", json!([])).await;
    no_cooldowns(&fake).await;
    interact(&fake, ask(&fake, "does rolling help DOMS?")).await;

    let (r, _) = interact(
        &fake,
        modcmd(
            &fake,
            GUILD2_ID,
            MOD_ID,
            MOD_PERMS,
            "autoreply",
            "status",
            json!([]),
        ),
    )
    .await;
    assert!(content(&r).contains("Channels: none"), "{}", content(&r));
    assert!(faq_stats(&fake, GUILD2_ID).await.contains("nothing yet"));
    say_in(
        &fake,
        GUILD2_ID,
        CHANNEL2_ID,
        MEMBER_ID,
        "does foam rolling break up adhesions?",
        &[],
    );
    // The marker, in the enabled server. The other server's message takes the bot's quickest
    // way out (no channel enabled there), so it is done with before the marker is answered.
    say_here(&fake, MEMBER_ID, "is the IT band a muscle?");
    only_the_marker_answered(&fake, CHANNEL_ID, 0, 1).await;
    assert!(
        !faq_stats(&fake, GUILD2_ID)
            .await
            .contains("auto-reply channels"),
        "nothing counted for the other server"
    );
    bot.finish();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_data_dir_keeps_slash_answers_working() {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir("e2e-nostore");
    let not_a_dir = dir.join("data");
    std::fs::write(&not_a_dir, "a file where the data directory should be").unwrap();
    let bot = Bot::start(&fake, &not_a_dir, |_| {}).await;
    fake.wait_identified(1, 10).await;
    let (r, _) = interact(&fake, ask(&fake, "does rolling help DOMS?")).await;
    assert!(content(&r).contains("DOMS"));
    let text = moderate(&fake, "status", json!([])).await;
    assert!(
        text.contains("settings store is unavailable") && text.contains("data directory"),
        "{text}"
    );
    bot.finish();
}

fn spawn_binary(fake: &FakeDiscord, data: &Path, log: &Path) -> tokio::process::Child {
    tokio::process::Command::new(common::warm_bin())
        .env("RUNCLUB_CACHE_DIR", common::cache_dir())
        .arg("run")
        .env("DISCORD_TOKEN", TOKEN)
        .env("DISCORD_API_BASE", &fake.base)
        .env("RUNCLUB_DATA_DIR", data)
        .env("RUST_LOG", "runclub_bot=info,warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

/// `kill -9` in the middle of a burst of setting changes loses no change that was acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_no_acknowledged_setting() {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir("e2e-kill9");
    let data = dir.join("data");
    let mut child = spawn_binary(&fake, &data, &dir.join("first.log"));
    let pid = child.id().unwrap();
    fake.wait_identified(1, 20).await;

    // A burst: 40 moderators' `/autoreply enable`, each in its own channel, sent at once.
    let mut sent = Vec::new();
    for i in 0..40u64 {
        let channel = 950_000_000_000_000_000 + i;
        let who = fake_discord::Who {
            guild: GUILD_ID,
            channel,
            user: MOD_ID,
            perms: MOD_PERMS,
        };
        let (id, _token, data) =
            fake.interaction_in(who, "autoreply", Some(("enable", json!([]))), json!({}));
        fake.dispatch("INTERACTION_CREATE", data);
        sent.push((id, channel));
    }
    // Kill as soon as a dozen are acknowledged, with the rest still in flight.
    fake.wait_until(10, "12 acknowledgements", || {
        fake.requests()
            .iter()
            .filter(|r| r.path.contains("/callback"))
            .count()
            >= 12
    })
    .await;
    signal(pid, "-KILL");
    child.wait().await.unwrap();
    let acknowledged: Vec<u64> = sent
        .iter()
        .filter(|(id, _)| {
            fake.requests()
                .iter()
                .any(|r| is_callback(*id)(r) && content(r).contains("now **on**"))
        })
        .map(|(_, ch)| *ch)
        .collect();
    assert!(acknowledged.len() >= 12);

    let mut child = spawn_binary(&fake, &data, &dir.join("second.log"));
    fake.wait_identified(2, 20).await;
    let status = moderate(&fake, "status", json!([])).await;
    for ch in &acknowledged {
        assert!(
            status.contains(&format!("<#{ch}>")),
            "acknowledged channel {ch} lost after kill -9: {status}"
        );
    }
    eprintln!(
        "kill -9 after {} acknowledged of 40 sent: all {} present after restart",
        acknowledged.len(),
        acknowledged.len()
    );
    child.kill().await.unwrap();
}

/// Discord refuses the privileged message-content intent (4014): one clear line on how to
/// enable it, and slash commands keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_message_content_intent_falls_back_to_slash_commands() {
    let fake = FakeDiscord::start().await;
    fake.refuse_intents(1 << 15);
    let dir = common::temp_dir("e2e-4014");
    let log = dir.join("bot.log");
    let mut child = spawn_binary(&fake, &dir.join("data"), &log);
    fake.wait_identified(1, 20).await;
    assert_eq!(
        fake.identified_intents() & (1 << 15),
        0,
        "reconnected without message content"
    );
    let (r, _) = interact(&fake, ask(&fake, "is the IT band a muscle?")).await;
    assert!(content(&r).contains("connective tissue"));
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("4014")).collect();
    assert_eq!(lines.len(), 1, "{text}");
    assert!(lines[0].contains("Message Content Intent") && lines[0].contains("developer portal"));
    child.kill().await.unwrap();
}

/// In a channel with auto replies, a possible emergency gets the safety reply whatever its
/// topic and whatever the cooldowns, pinging nobody; a moderator can turn that off, and
/// `/autoreply status` says which it is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emergencies_get_the_safety_reply_in_auto_channels() {
    let (fake, bot, _dir) = connected("e2e-safety").await;
    moderate(&fake, "enable", json!([])).await;
    assert!(moderate(&fake, "status", json!([]))
        .await
        .contains("Safety replies: on"));

    // An answer starts the channel's 120 s cooldown; the emergency is answered regardless.
    say_here(&fake, 7101, "does foam rolling break up adhesions?");
    fake.wait_request(5, "first reply", posted_in(CHANNEL_ID))
        .await;
    say_here(
        &fake,
        7102,
        "my chest went tight and heavy on the climb and it hasn't eased since I got home",
    );
    let r = fake
        .wait_request(5, "the safety reply", posted_in(CHANNEL_ID))
        .await;
    let text = r.body["content"].as_str().unwrap();
    assert!(
        text.starts_with("🚨 **Call emergency services now (999 / 112 / 911).**"),
        "{text}"
    );
    for training in ["roll", "warm", "stretch", "leg swings"] {
        assert!(
            !text.to_lowercase().contains(&format!(" {training}")),
            "{training} in {text}"
        );
    }
    assert_eq!(r.body["allowed_mentions"]["parse"], json!([]));

    // Turned off: the marker pattern. The emergency must get nothing; the question after it is
    // answered, and when that reply arrives nothing else may have been posted.
    assert!(moderate(
        &fake,
        "safety",
        json!([{"name": "on", "type": 5, "value": false}])
    )
    .await
    .contains("Safety replies **off**"));
    assert!(moderate(&fake, "status", json!([]))
        .await
        .contains("Safety replies: off"));
    no_cooldowns(&fake).await;
    let before = posts(&fake);
    say_here(
        &fake,
        7103,
        "my mate just collapsed at the finish and isn't responding",
    );
    say_here(&fake, 7104, "is the IT band a muscle?");
    // Four handled in all: the first reply, the safety reply, the emergency, the marker.
    let counts = only_the_marker_answered(&fake, CHANNEL_ID, before, 4).await;
    assert_eq!(count_of(&counts, AutoOutcome::SafetyReply), 1, "{counts:?}");
    assert_eq!(count_of(&counts, AutoOutcome::Replied), 2, "{counts:?}");
    let marker = fake.requests().into_iter().rev().find(any_post).unwrap();
    assert!(marker.body["content"]
        .as_str()
        .unwrap()
        .contains("Can you stretch or release the IT band?"));
    bot.finish();
}

/// Someone else in trouble now gets the safety reply in a channel, speaking to the person
/// helping (CPR, a defibrillator); the same words about a scare that is over get silence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bystander_emergency_gets_help_and_a_resolved_scare_gets_silence() {
    let (fake, bot, _dir) = connected("e2e-bystander").await;
    moderate(&fake, "enable", json!([])).await;
    no_cooldowns(&fake).await;
    let before = posts(&fake);
    say_here(
        &fake,
        7201,
        "a runner just went down in front of me at the water station, he's not responding and his breathing sounds weird",
    );
    let r = fake
        .wait_request(5, "the safety reply", posted_in(CHANNEL_ID))
        .await;
    let text = r.body["content"].as_str().unwrap();
    assert!(
        text.starts_with("🚨 **Call emergency services now (999 / 112 / 911).**"),
        "{text}"
    );
    assert!(
        text.contains("CPR") && text.contains("defibrillator"),
        "speaks to the person helping: {text}"
    );
    assert_eq!(r.body["allowed_mentions"]["parse"], json!([]));

    // The scare that is over, then the marker: only the marker is answered.
    let before_resolved = posts(&fake);
    assert_eq!(before_resolved, before + 1);
    say_here(
        &fake,
        7202,
        "update on the lad who went down at the water station: medics checked him, he'd not eaten, he's sat up eating a banana and laughing now",
    );
    say_here(&fake, 7203, "is the IT band a muscle?");
    // Handled in all: the emergency, the update, the marker.
    let counts = only_the_marker_answered(&fake, CHANNEL_ID, before_resolved, 3).await;
    assert_eq!(count_of(&counts, AutoOutcome::SafetyReply), 1, "{counts:?}");
    bot.finish();
}

// ------------------------------------------------------- entry ids, reloads and safety replies

/// Every string in the knowledge files under `dir` that is exactly `from` (an entry's own id,
/// and the `related` lists naming it) becomes `to`.
fn rename_entry(dir: &Path, from: &str, to: &str) {
    fn walk(v: &mut Value, from: &str, to: &str) {
        match v {
            Value::String(s) if s == from => *s = to.to_string(),
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, from, to)),
            Value::Object(fields) => fields.values_mut().for_each(|f| walk(f, from, to)),
            _ => {}
        }
    }
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        walk(&mut v, from, to);
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }
}

/// Moves the entry `id` from `from_file` to the end of `to_file`, renamed `new_id` (everywhere)
/// and retitled `new_title`: it answers the same questions from another place in the list.
fn move_entry(dir: &Path, id: &str, from_file: &str, to_file: &str, new_id: &str, new_title: &str) {
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).unwrap()).unwrap()
    };
    let write = |name: &str, v: &Value| {
        std::fs::write(dir.join(name), serde_json::to_string_pretty(v).unwrap()).unwrap()
    };
    let mut from = read(from_file);
    let entries = from["entries"].as_array_mut().unwrap();
    let at = entries.iter().position(|e| e["id"] == id).unwrap();
    let mut entry = entries.remove(at);
    write(from_file, &from);
    entry["title"] = json!(new_title);
    let mut to = read(to_file);
    to["entries"].as_array_mut().unwrap().push(entry);
    write(to_file, &to);
    rename_entry(dir, id, new_id);
}

/// Copies every file of `from` over the files of `to`.
fn install_knowledge(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// Polls `/faq stats` until it shows all of `needles` (answer and vote counts are recorded
/// just after the reply or the vote's acknowledgement goes out); returns the page.
async fn stats_showing(fake: &FakeDiscord, needles: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let stats = faq_stats(fake, GUILD_ID).await;
        if needles.iter().all(|n| stats.contains(n)) {
            return stats;
        }
        assert!(
            Instant::now() < deadline,
            "never showed {needles:?}: {stats}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The ids of the buttons under a posted channel message.
fn posted_buttons(r: &Request) -> Vec<String> {
    r.body["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|b| b["custom_id"].as_str().map(str::to_string))
        .collect()
}

/// An entry whose id happens to begin with `safety-` is an FAQ answer like any other: its auto
/// reply carries the vote buttons, `/faq stats` counts it as replied (not as a safety reply)
/// and among the most asked, and its votes are recorded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_id_starting_with_safety_is_an_ordinary_answer() {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir("e2e-safety-id");
    let knowledge = dir.join("knowledge");
    copy_knowledge(&knowledge);
    rename_entry(&knowledge, "itb-not-a-muscle", "safety-itb-not-a-muscle");
    let bot = Bot::start(&fake, &dir.join("data"), |c| {
        c.knowledge_dir = knowledge.clone()
    })
    .await;
    fake.wait_identified(1, 10).await;
    moderate(&fake, "enable", json!([])).await;

    let q = say_here(&fake, MEMBER_ID, "is the IT band a muscle?");
    let post = fake
        .wait_request(5, "the auto reply", posted_in(CHANNEL_ID))
        .await;
    let text = post.body["content"].as_str().unwrap();
    assert!(
        text.contains("Can you stretch or release the IT band?") && !text.starts_with("🚨"),
        "{text}"
    );
    assert_eq!(post.body["message_reference"]["message_id"], q.to_string());
    assert_eq!(post.body["allowed_mentions"]["parse"], json!([]));
    assert_eq!(
        posted_buttons(&post),
        [
            "rcb:vote:safety-itb-not-a-muscle:y",
            "rcb:vote:safety-itb-not-a-muscle:n",
            "rcb:src:safety-itb-not-a-muscle"
        ],
        "an answer carries the vote buttons, whatever its id"
    );
    // Counted as an answer, not as a safety reply.
    wait_outcomes(&fake, &[(AutoOutcome::Replied, 1)]).await;
    let stats = stats_showing(&fake, &["1. `safety-itb-not-a-muscle`: 1"]).await;
    assert!(!stats.contains("safety replies"), "{stats}");

    // A member finds it helpful: the vote is recorded against the entry.
    let answer_msg = 424_242;
    let press = fake.button_on(answer_msg, 7601, "rcb:vote:safety-itb-not-a-muscle:y");
    let (r, _) = interact(&fake, press).await;
    assert!(
        ephemeral(&r) && content(&r).contains("Thanks"),
        "{}",
        content(&r)
    );
    stats_showing(&fake, &["`safety-itb-not-a-muscle`: 👍 1 · 👎 0"]).await;
    bot.finish();
}

/// `/autoreply test` decides and describes from one knowledge, whatever reloads meanwhile:
/// with the knowledge switched back and forth between one where the answering entry is
/// `itb-not-a-muscle` and one where it was moved to the end and renamed, every test reply is
/// a "Yes" naming that entry by an id and title it had together in one of the two (never a
/// neighbour's, never an error), and the bot keeps answering afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autoreply_test_names_the_right_entry_while_the_knowledge_reloads() {
    let fake = FakeDiscord::start().await;
    let dir = common::temp_dir("e2e-test-reload");
    let (original, moved, knowledge) = (
        dir.join("original"),
        dir.join("moved"),
        dir.join("knowledge"),
    );
    copy_knowledge(&original);
    copy_knowledge(&moved);
    copy_knowledge(&knowledge);
    const TITLE: &str = "Can you stretch or release the IT band?";
    const MOVED_TITLE: &str = "Is the IT band something you can stretch?";
    move_entry(
        &moved,
        "itb-not-a-muscle",
        "it-band.json",
        "warm-up.json",
        "itb-is-not-a-muscle",
        MOVED_TITLE,
    );
    let bot = Bot::start(&fake, &dir.join("data"), |c| {
        c.knowledge_dir = knowledge.clone()
    })
    .await;
    fake.wait_identified(1, 10).await;
    moderate(&fake, "enable", json!([])).await;

    let yes = |id: &str, title: &str| {
        format!("**Yes**: this would get an auto reply with `{id}` ({title}) (confidence ")
    };
    let (before, after) = (
        yes("itb-not-a-muscle", TITLE),
        yes("itb-is-not-a-muscle", MOVED_TITLE),
    );
    let test = || {
        moderate(
            &fake,
            "test",
            json!([{"name": "message", "type": 3, "value": "is the IT band a muscle?"}]),
        )
    };

    // Between reloads: each test names the entry as the knowledge has it now.
    let mut reload_took = Vec::new();
    for round in 0..2 {
        let (from, expected) = if round % 2 == 0 {
            (&moved, &after)
        } else {
            (&original, &before)
        };
        install_knowledge(from, &knowledge);
        let t = Instant::now();
        bot.state.reload().expect("the knowledge reloads");
        reload_took.push(t.elapsed());
        let text = test().await;
        assert!(text.starts_with(expected.as_str()), "round {round}: {text}");
    }

    // Alongside reloads: a thread switches the knowledge back and forth while tests run one
    // after another, so that swaps land between a decision and its description.
    let state = bot.state.clone();
    let (k, o, m) = (knowledge.clone(), original.clone(), moved.clone());
    let reloader = std::thread::spawn(move || {
        for round in 0..2 {
            install_knowledge(if round % 2 == 0 { &m } else { &o }, &k);
            state.reload().expect("the knowledge reloads");
        }
    });
    let (mut tests, mut seen_before, mut seen_after) = (0, 0, 0);
    while !reloader.is_finished() || tests < 16 {
        let text = test().await;
        tests += 1;
        if text.starts_with(before.as_str()) {
            seen_before += 1;
        } else if text.starts_with(after.as_str()) {
            seen_after += 1;
        } else {
            panic!("test {tests} during reloads: {text}");
        }
        assert!(tests < 2000, "the reloads never finished");
    }
    reloader.join().expect("every reload succeeded");
    assert!(
        seen_before > 0 && seen_after > 0,
        "tests ran on both knowledges during the reloads"
    );
    eprintln!(
        "autoreply test during reloads: {tests} tests ({seen_before} original, {seen_after} \
         moved); reloads took {reload_took:?}"
    );

    // The last reload installed the original: the bot answers from it, by test and by /ask.
    assert!(test().await.starts_with(before.as_str()));
    let (r, _) = interact(&fake, ask(&fake, "is the IT band a muscle?")).await;
    assert!(content(&r).contains(TITLE), "{}", content(&r));
    bot.finish();
}

/// The safety-reply policy as members see it, in an auto-reply channel with shadow mode on:
/// an emergency gets the full advice posted all the same, without vote buttons; the same
/// member repeating it within the window gets nothing more (held back); another member
/// reporting the same incident gets the short reply pointing to the advice just above; no
/// reply pings anyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safety_replies_in_shadow_mode_once_per_member_and_short_for_others() {
    let (fake, bot, _dir) = connected("e2e-safety-policy").await;
    moderate(&fake, "enable", json!([])).await;
    moderate(
        &fake,
        "shadow",
        json!([{"name": "on", "type": 5, "value": true}]),
    )
    .await;
    let (first, again, other) = (7501, 7502, 7503);

    // Shadow mode is on: an FAQ question is only recorded.
    say_here(&fake, first, "does foam rolling break up adhesions?");
    wait_outcomes(&fake, &[(AutoOutcome::WouldReply, 1)]).await;
    assert_eq!(
        posts(&fake),
        0,
        "nothing posted for an FAQ answer in shadow mode"
    );

    // An emergency: the full advice, posted despite shadow mode, nothing to vote on.
    let emergency = "my mate collapsed at the finish and isn't responding";
    let m = say_here(&fake, again, emergency);
    let full = fake
        .wait_request(5, "the safety reply", posted_in(CHANNEL_ID))
        .await;
    let full_text = full.body["content"].as_str().unwrap().to_string();
    assert!(
        full_text.starts_with("🚨 **Call emergency services now (999 / 112 / 911).**"),
        "{full_text}"
    );
    assert!(!full_text.contains("just above"), "{full_text}");
    assert_eq!(full.body["message_reference"]["message_id"], m.to_string());
    assert!(
        posted_buttons(&full).is_empty(),
        "no vote buttons on a safety reply"
    );

    // The same member repeats it, then another member reports the same incident: only the
    // other member is answered, with the short form.
    let before = posts(&fake);
    say_here(&fake, again, emergency);
    let m = say_here(
        &fake,
        other,
        "someone collapsed at the finish line and isn't responding, help",
    );
    let counts = only_the_marker_answered(&fake, CHANNEL_ID, before, 4).await;
    assert_eq!(
        counts,
        [
            (AutoOutcome::SafetyReply, 2),
            (AutoOutcome::WouldReply, 1),
            (AutoOutcome::Cooldown, 1)
        ],
        "the repeat is held back"
    );
    let short = fake.requests().into_iter().rev().find(any_post).unwrap();
    let short_text = short.body["content"].as_str().unwrap();
    let action_line = full_text.lines().next().unwrap();
    assert!(
        short_text.starts_with(action_line) && short_text.contains("just above"),
        "{short_text}"
    );
    assert!(short_text.len() < full_text.len(), "{short_text}");
    assert_eq!(short.body["message_reference"]["message_id"], m.to_string());
    assert!(posted_buttons(&short).is_empty());

    // Nothing the bot posted could ping anyone.
    for r in fake.requests().iter().filter(|r| any_post(r)) {
        let am = &r.body["allowed_mentions"];
        assert_eq!(am["parse"], json!([]), "{}", r.body);
        assert_eq!(am["replied_user"], false);
        assert!(am["users"].as_array().is_none_or(|a| a.is_empty()));
        assert!(am["roles"].as_array().is_none_or(|a| a.is_empty()));
    }
    bot.finish();
}
