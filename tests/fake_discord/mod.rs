//! A fake Discord on 127.0.0.1 for end-to-end tests: a REST server for API v10 and a Gateway v10
//! WebSocket server, enough for the real serenity client and poise to connect, receive
//! interactions and messages, and reply. Every REST request is recorded so that tests can wait
//! for the call they expect (never sleep).
#![allow(dead_code)]

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as Ws;

pub const APP_ID: u64 = 900_000_000_000_000_001;
pub const BOT_ID: u64 = 900_000_000_000_000_002;
pub const GUILD_ID: u64 = 900_000_000_000_000_003;
pub const CHANNEL_ID: u64 = 900_000_000_000_000_004;
pub const MEMBER_ID: u64 = 900_000_000_000_000_005;
pub const THREAD_ID: u64 = 900_000_000_000_000_006;
pub const OTHER_CHANNEL_ID: u64 = 900_000_000_000_000_007;
pub const GUILD2_ID: u64 = 900_000_000_000_000_008;
pub const CHANNEL2_ID: u64 = 900_000_000_000_000_009;
pub const MOD_ID: u64 = 900_000_000_000_000_010;
pub const TOKEN: &str = "fake-token.for-tests.only";
/// MANAGE_GUILD (1 << 5) plus the basics, as Discord computes them for a moderator.
pub const MOD_PERMS: &str = "3104";
/// View channel + send messages: an ordinary member.
pub const MEMBER_PERMS: &str = "3072";

/// Who invokes a command, and where.
#[derive(Debug, Clone, Copy)]
pub struct Who<'a> {
    pub guild: u64,
    pub channel: u64,
    pub user: u64,
    pub perms: &'a str,
}

/// One REST request the bot made.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub body: Value,
    pub auth: Option<String>,
    pub at: std::time::Instant,
}

#[derive(Default)]
struct Shared {
    gateway_url: String,
    requests: Mutex<Vec<Request>>,
    taken: Mutex<HashSet<usize>>,
    changed: Notify,
    session: Mutex<Option<mpsc::UnboundedSender<Ws>>>,
    seq: AtomicU64,
    identifies: AtomicUsize,
    resumes: AtomicUsize,
    identified_intents: AtomicU64,
    /// Intents the fake refuses with close code 4014 (as Discord does for privileged intents
    /// the application has not enabled).
    refused_intents: AtomicU64,
    next_id: AtomicU64,
    /// How many of the next channel-message posts fail with a 500 (Discord having a bad day).
    failing_posts: AtomicUsize,
    /// How long command registration (PUT .../commands) takes to be answered, in ms.
    registration_delay_ms: AtomicU64,
}

pub struct FakeDiscord {
    pub base: String,
    pub rest_addr: SocketAddr,
    pub gateway_addr: SocketAddr,
    shared: Arc<Shared>,
}

impl FakeDiscord {
    pub async fn start() -> FakeDiscord {
        let rest = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rest_addr = rest.local_addr().unwrap();
        let gateway_addr = gateway.local_addr().unwrap();
        let shared = Arc::new(Shared {
            gateway_url: format!("ws://{gateway_addr}"),
            next_id: AtomicU64::new(1_000_000),
            ..Default::default()
        });
        let s = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = rest.accept().await {
                tokio::spawn(serve_rest(stream, s.clone()));
            }
        });
        let s = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = gateway.accept().await {
                tokio::spawn(serve_gateway(stream, s.clone()));
            }
        });
        FakeDiscord {
            base: format!("http://{rest_addr}"),
            rest_addr,
            gateway_addr,
            shared,
        }
    }

    /// Makes the next `n` channel-message posts fail with 500 Internal Server Error.
    pub fn fail_next_posts(&self, n: usize) {
        self.shared.failing_posts.store(n, Ordering::SeqCst);
    }

    /// Makes command registration take `ms` to be answered (Discord being slow).
    pub fn delay_registration(&self, ms: u64) {
        self.shared
            .registration_delay_ms
            .store(ms, Ordering::SeqCst);
    }

    /// Makes the gateway close with 4014 when IDENTIFY asks for any of these intents.
    pub fn refuse_intents(&self, bits: u64) {
        self.shared.refused_intents.store(bits, Ordering::SeqCst);
    }

    pub fn identifies(&self) -> usize {
        self.shared.identifies.load(Ordering::SeqCst)
    }

    pub fn resumes(&self) -> usize {
        self.shared.resumes.load(Ordering::SeqCst)
    }

    pub fn identified_intents(&self) -> u64 {
        self.shared.identified_intents.load(Ordering::SeqCst)
    }

    /// All requests so far.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The requests from the `start`th on (for readers that keep their place).
    pub fn requests_from(&self, start: usize) -> Vec<Request> {
        let reqs = self.shared.requests.lock().unwrap();
        reqs.get(start..)
            .map(<[Request]>::to_vec)
            .unwrap_or_default()
    }

    /// Waits for the first request not yet returned that matches, up to `secs` seconds.
    pub async fn wait_request(
        &self,
        secs: u64,
        what: &str,
        pred: impl Fn(&Request) -> bool,
    ) -> Request {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let notified = self.shared.changed.notified();
            {
                let reqs = self.shared.requests.lock().unwrap();
                let mut taken = self.shared.taken.lock().unwrap();
                if let Some((i, r)) = reqs
                    .iter()
                    .enumerate()
                    .find(|(i, r)| !taken.contains(i) && pred(r))
                {
                    taken.insert(i);
                    return r.clone();
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let seen: Vec<String> = self
                    .requests()
                    .iter()
                    .map(|r| format!("{} {}", r.method, r.path))
                    .collect();
                panic!("timed out waiting for {what}; requests seen: {seen:#?}");
            }
        }
    }

    /// Asserts that no matching request arrives within `millis` (for "the bot stays silent").
    pub async fn expect_no_request(
        &self,
        millis: u64,
        what: &str,
        pred: impl Fn(&Request) -> bool,
    ) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(millis);
        loop {
            let notified = self.shared.changed.notified();
            {
                let reqs = self.shared.requests.lock().unwrap();
                let taken = self.shared.taken.lock().unwrap();
                if let Some(r) = reqs
                    .iter()
                    .enumerate()
                    .find(|(i, r)| !taken.contains(i) && pred(r))
                {
                    panic!(
                        "unexpected {what}: {} {} {}",
                        r.1.method, r.1.path, r.1.body
                    );
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    /// Waits until the gateway has seen `n` IDENTIFYs in total.
    pub async fn wait_identified(&self, n: usize, secs: u64) {
        self.wait_until(secs, "IDENTIFY", || self.identifies() >= n)
            .await;
    }

    pub async fn wait_until(&self, secs: u64, what: &str, cond: impl Fn() -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let notified = self.shared.changed.notified();
            if cond() {
                return;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                panic!("timed out waiting for {what}");
            }
        }
    }

    /// Sends a dispatch event on the current gateway session.
    pub fn dispatch(&self, event: &str, data: Value) {
        let s = self.shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let frame = json!({"op": 0, "s": s, "t": event, "d": data});
        self.send(Ws::Text(frame.to_string()));
    }

    /// Asks the client to reconnect (op 7), as Discord does before moving a session.
    pub fn request_reconnect(&self) {
        self.send(Ws::Text(json!({"op": 7, "d": null}).to_string()));
    }

    fn send(&self, msg: Ws) {
        let session = self.shared.session.lock().unwrap();
        session
            .as_ref()
            .expect("no gateway session")
            .send(msg)
            .expect("session closed");
    }

    pub fn new_id(&self) -> u64 {
        self.shared.next_id.fetch_add(1, Ordering::SeqCst)
    }

    /// A guild slash-command interaction (`type: 2`) from a member.
    pub fn command_interaction(&self, name: &str, options: Value) -> (u64, String, Value) {
        let id = self.new_id();
        let data = json!({"id": (id + 1).to_string(), "name": name, "type": 1, "options": options});
        envelope(id, 2, MEMBER_HERE, json!({ "data": data }))
    }

    /// A slash command from `who`; `subcommand` is `Some((name, options))` for
    /// `/parent sub ...`.
    pub fn interaction_in(
        &self,
        who: Who<'_>,
        name: &str,
        subcommand: Option<(&str, Value)>,
        resolved: Value,
    ) -> (u64, String, Value) {
        let id = self.new_id();
        let options = match subcommand {
            Some((sub, opts)) => json!([{"name": sub, "type": 1, "options": opts}]),
            None => json!([]),
        };
        let data = json!({"id": (id + 1).to_string(), "name": name, "type": 1, "options": options, "resolved": resolved});
        envelope(id, 2, who, json!({ "data": data }))
    }

    /// A button press by `user` on the bot message `message_id`.
    pub fn button_on(&self, message_id: u64, user: u64, custom_id: &str) -> (u64, String, Value) {
        let (id, token, mut data) = self.button_interaction(custom_id);
        data["member"] = member_json(user, MEMBER_PERMS);
        data["message"]["id"] = json!(message_id.to_string());
        (id, token, data)
    }

    /// A MESSAGE_CREATE payload from a member (with roles) in `guild`/`channel`.
    pub fn member_message(
        &self,
        guild: u64,
        channel: u64,
        author: u64,
        content: &str,
        roles: &[u64],
    ) -> (u64, Value) {
        let id = self.new_id();
        let mut m = message_json(
            id,
            channel,
            author,
            &format!("member{author}"),
            content,
            false,
            None,
        );
        m["guild_id"] = json!(guild.to_string());
        m["member"] = json!({
            "roles": roles.iter().map(|r| r.to_string()).collect::<Vec<_>>(),
            "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false, "flags": 0,
        });
        (id, m)
    }

    /// A message context-menu interaction (`type: 2`, command type 3) on `content`.
    pub fn message_command_interaction(&self, name: &str, content: &str) -> (u64, String, Value) {
        let id = self.new_id();
        let msg_id = self.new_id();
        let target = message_json(msg_id, CHANNEL_ID, 777, "someone", content, false, None);
        let data = json!({"id": (id + 1).to_string(), "name": name, "type": 3, "target_id": msg_id.to_string(),
                          "resolved": {"messages": {msg_id.to_string(): target}}});
        envelope(id, 2, MEMBER_HERE, json!({ "data": data }))
    }

    /// An autocomplete interaction (`type: 4`) for one focused option.
    pub fn autocomplete_interaction(
        &self,
        command: &str,
        option: &str,
        typed: &str,
    ) -> (u64, String, Value) {
        let (id, token, mut data) = self.command_interaction(
            command,
            json!([{"name": option, "type": 3, "value": typed, "focused": true}]),
        );
        data["type"] = json!(4);
        (id, token, data)
    }

    /// A button press (`type: 3`) on a bot message.
    pub fn button_interaction(&self, custom_id: &str) -> (u64, String, Value) {
        let id = self.new_id();
        let message = message_json(
            self.new_id(),
            CHANNEL_ID,
            BOT_ID,
            "runclub-bot",
            "Did you mean",
            true,
            None,
        );
        let data = json!({"custom_id": custom_id, "component_type": 2});
        envelope(
            id,
            3,
            MEMBER_HERE,
            json!({ "message": message, "data": data }),
        )
    }
}

/// The fields every interaction carries; `extra` adds or overrides (`data`, `message`, ...).
fn envelope(id: u64, kind: u8, who: Who<'_>, extra: Value) -> (u64, String, Value) {
    let token = format!("itoken-{id}");
    let mut v = json!({
        "id": id.to_string(), "application_id": APP_ID.to_string(), "type": kind,
        "token": token, "version": 1, "locale": "en-GB", "guild_locale": "en-GB",
        "channel_id": who.channel.to_string(), "guild_id": who.guild.to_string(),
        "channel": {"id": who.channel.to_string(), "type": 0},
        "entitlements": [], "attachment_size_limit": 8_388_608,
        "member": member_json(who.user, who.perms), "app_permissions": "2048",
    });
    for (k, val) in extra.as_object().cloned().unwrap_or_default() {
        v[k] = val;
    }
    (id, token, v)
}

/// An ordinary member in the test server's main channel.
pub const MEMBER_HERE: Who<'static> = Who {
    guild: GUILD_ID,
    channel: CHANNEL_ID,
    user: MEMBER_ID,
    perms: MEMBER_PERMS,
};

pub fn member_json(user_id: u64, permissions: &str) -> Value {
    json!({
        "user": {"id": user_id.to_string(), "username": format!("member{user_id}"), "discriminator": "0", "avatar": null, "global_name": null},
        "roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": false, "mute": false,
        "flags": 0, "permissions": permissions,
    })
}

pub fn message_json(
    id: u64,
    channel: u64,
    author: u64,
    name: &str,
    content: &str,
    bot: bool,
    webhook: Option<u64>,
) -> Value {
    let mut m = json!({
        "id": id.to_string(), "channel_id": channel.to_string(), "guild_id": GUILD_ID.to_string(),
        "author": {"id": author.to_string(), "username": name, "discriminator": "0", "avatar": null, "bot": bot, "global_name": null},
        "content": content, "timestamp": "2026-01-01T10:00:00.000000+00:00", "edited_timestamp": null,
        "tts": false, "mention_everyone": false, "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": [], "pinned": false, "type": 0,
    });
    if let Some(w) = webhook {
        m["webhook_id"] = json!(w.to_string());
    }
    m
}

fn user_json() -> Value {
    json!({"id": BOT_ID.to_string(), "username": "runclub-bot", "discriminator": "0", "avatar": null, "bot": true, "global_name": null})
}

pub fn guild_create_json() -> Value {
    json!({
        "id": GUILD_ID.to_string(), "name": "Test Running Club", "icon": null, "icon_hash": null, "splash": null,
        "discovery_splash": null, "owner_id": "1", "afk_channel_id": null, "afk_timeout": 300,
        "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
        "roles": [{"id": GUILD_ID.to_string(), "name": "@everyone", "color": 0,
                   "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null}, "hoist": false, "icon": null,
                   "unicode_emoji": null, "position": 0, "permissions": "2048", "managed": false,
                   "mentionable": false, "flags": 0}],
        "emojis": [], "features": [], "mfa_level": 0, "application_id": null, "system_channel_id": null,
        "system_channel_flags": 0, "rules_channel_id": null, "vanity_url_code": null, "description": null,
        "banner": null, "premium_tier": 0, "preferred_locale": "en-GB", "public_updates_channel_id": null,
        "nsfw_level": 0, "stickers": [], "premium_progress_bar_enabled": false,
        "joined_at": "2024-01-01T00:00:00.000000+00:00", "large": false, "unavailable": false,
        "member_count": 2, "voice_states": [], "members": [],
        "channels": [{"id": CHANNEL_ID.to_string(), "type": 0, "guild_id": GUILD_ID.to_string(), "name": "general",
                      "position": 0, "permission_overwrites": [], "nsfw": false, "parent_id": null,
                      "topic": null, "last_message_id": null, "rate_limit_per_user": 0}],
        "threads": [], "presences": [], "stage_instances": [], "guild_scheduled_events": [],
        "safety_alerts_channel_id": null, "incidents_data": null,
    })
}

fn ready_json(gateway_url: &str) -> Value {
    json!({
        "v": 10, "user": user_json(), "guilds": [{"id": GUILD_ID.to_string(), "unavailable": true}],
        "session_id": "fake-session", "resume_gateway_url": gateway_url, "shard": [0, 1],
        "application": {"id": APP_ID.to_string(), "flags": 0}, "private_channels": [], "presences": [],
    })
}

fn application_json() -> Value {
    json!({
        "id": APP_ID.to_string(), "name": "runclub-bot", "icon": null, "description": "", "bot_public": true,
        "bot_require_code_grant": false, "owner": {"id": "1", "username": "owner", "discriminator": "0", "avatar": null},
        "verify_key": "0", "team": null, "flags": 0,
    })
}

async fn serve_rest(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, target) = (method.to_string(), target.to_string());
        let mut length = 0usize;
        let mut auth = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).await.unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                match k.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = v.trim().parse().unwrap_or(0),
                    "authorization" => auth = Some(v.trim().to_string()),
                    _ => {}
                }
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let path = target.split('?').next().unwrap_or("").to_string();
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let (status, reply) = route(&shared, &method, &path, &body, auth.as_deref());
        let registration = method == "PUT" && path.ends_with("/commands");
        shared.requests.lock().unwrap().push(Request {
            method,
            path,
            body,
            auth,
            at: std::time::Instant::now(),
        });
        shared.changed.notify_waiters();
        let delay = shared.registration_delay_ms.load(Ordering::SeqCst);
        if registration && delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        let text = reply.map(|v| v.to_string()).unwrap_or_default();
        let reason = match status {
            200 => "OK",
            204 => "No Content",
            401 => "Unauthorized",
            500 => "Internal Server Error",
            _ => "Not Found",
        };
        let head = format!(
            "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            text.len()
        );
        if write.write_all(head.as_bytes()).await.is_err()
            || write.write_all(text.as_bytes()).await.is_err()
        {
            return;
        }
    }
}

fn route(
    shared: &Shared,
    method: &str,
    path: &str,
    body: &Value,
    auth: Option<&str>,
) -> (u16, Option<Value>) {
    if auth != Some(format!("Bot {TOKEN}").as_str()) {
        return (
            401,
            Some(json!({"message": "401: Unauthorized", "code": 0})),
        );
    }
    let segs: Vec<&str> = path.trim_start_matches("/api/v10/").split('/').collect();
    let id = || shared.next_id.fetch_add(1, Ordering::SeqCst).to_string();
    match (method, segs.as_slice()) {
        ("GET", ["gateway"]) => (200, Some(json!({"url": shared.gateway_url}))),
        ("GET", ["gateway", "bot"]) => (
            200,
            Some(json!({"url": shared.gateway_url, "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}})),
        ),
        ("GET", ["users", "@me"]) => (200, Some(user_json())),
        ("GET", ["oauth2", "applications", "@me"]) => (200, Some(application_json())),
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            let cmds: Vec<Value> = body
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(|mut c| {
                    c["id"] = json!(id());
                    c["application_id"] = json!(APP_ID.to_string());
                    c["version"] = json!("1");
                    // Discord fills in what the request may omit.
                    for (key, default) in [
                        ("type", json!(1)),
                        ("description", json!("")),
                        ("options", json!([])),
                    ] {
                        if c.get(key).is_none() {
                            c[key] = default;
                        }
                    }
                    c["default_member_permissions"] = c
                        .get("default_member_permissions")
                        .cloned()
                        .unwrap_or(Value::Null);
                    c
                })
                .collect();
            (200, Some(Value::Array(cmds)))
        }
        ("POST", ["interactions", _, _, "callback"]) => (204, None),
        ("POST", ["channels", _, "messages"])
            if shared
                .failing_posts
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok() =>
        {
            (
                500,
                Some(json!({"message": "Internal Server Error", "code": 0})),
            )
        }
        ("POST", ["channels", channel, "messages"]) => {
            let content = body.get("content").and_then(Value::as_str).unwrap_or("");
            let mut m = message_json(
                shared.next_id.fetch_add(1, Ordering::SeqCst),
                channel.parse().unwrap_or(CHANNEL_ID),
                BOT_ID,
                "runclub-bot",
                content,
                true,
                None,
            );
            m["channel_id"] = json!(channel.to_string());
            (200, Some(m))
        }
        ("PATCH", ["webhooks", _, _, "messages", _]) | ("POST", ["webhooks", _, _]) => {
            let content = body.get("content").and_then(Value::as_str).unwrap_or("");
            let m = message_json(
                shared.next_id.fetch_add(1, Ordering::SeqCst),
                CHANNEL_ID,
                BOT_ID,
                "runclub-bot",
                content,
                true,
                None,
            );
            (200, Some(m))
        }
        ("GET", ["applications", _, "commands"]) => (200, Some(json!([]))),
        ("GET", ["channels", channel]) => {
            let id: u64 = channel.parse().unwrap_or(0);
            let mut c = json!({"id": id.to_string(), "type": 0, "guild_id": GUILD_ID.to_string(), "name": "channel",
                "position": 0, "permission_overwrites": [], "nsfw": false, "parent_id": null});
            if id == THREAD_ID {
                c["type"] = json!(11);
                c["name"] = json!("a thread");
                c["parent_id"] = json!(CHANNEL_ID.to_string());
                c["owner_id"] = json!(MEMBER_ID.to_string());
                c["thread_metadata"] = json!({"archived": false, "auto_archive_duration": 1440,
                    "archive_timestamp": "2026-01-01T00:00:00.000000+00:00", "locked": false});
                c["member_count"] = json!(1);
                c["message_count"] = json!(1);
            }
            (200, Some(c))
        }
        _ => (404, Some(json!({"message": "404: Not Found", "code": 0}))),
    }
}

async fn serve_gateway(stream: TcpStream, shared: Arc<Shared>) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Ws>();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": 41250}});
    if sink.send(Ws::Text(hello.to_string())).await.is_err() {
        return;
    }
    *shared.session.lock().unwrap() = Some(tx.clone());
    let dispatch = |t: &str, d: Value| {
        let s = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
        Ws::Text(json!({"op": 0, "s": s, "t": t, "d": d}).to_string())
    };
    loop {
        tokio::select! {
            out = rx.recv() => {
                let Some(out) = out else { return };
                let closing = matches!(out, Ws::Close(_));
                if sink.send(out).await.is_err() || closing {
                    return;
                }
            }
            frame = source.next() => {
                let text = match frame {
                    Some(Ok(Ws::Text(t))) => t,
                    Some(Ok(Ws::Close(_))) | None | Some(Err(_)) => return,
                    _ => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                match v["op"].as_u64() {
                    Some(1) => {
                        let _ = tx.send(Ws::Text(json!({"op": 11}).to_string()));
                    }
                    Some(2) => {
                        let intents = v["d"]["intents"].as_u64().unwrap_or(0);
                        shared.identified_intents.store(intents, Ordering::SeqCst);
                        let token = v["d"]["token"].as_str().unwrap_or("");
                        if token.trim_start_matches("Bot ") != TOKEN {
                            let _ = tx.send(close(4004, "Authentication failed."));
                        } else if intents & shared.refused_intents.load(Ordering::SeqCst) != 0 {
                            let _ = tx.send(close(4014, "Disallowed intent(s)."));
                        } else {
                            let _ = tx.send(dispatch("READY", ready_json(&shared.gateway_url)));
                            let _ = tx.send(dispatch("GUILD_CREATE", guild_create_json()));
                            shared.identifies.fetch_add(1, Ordering::SeqCst);
                        }
                        shared.changed.notify_waiters();
                    }
                    Some(6) => {
                        let _ = tx.send(dispatch("RESUMED", json!({})));
                        shared.resumes.fetch_add(1, Ordering::SeqCst);
                        shared.changed.notify_waiters();
                    }
                    _ => {}
                }
            }
        }
    }
}

fn close(code: u16, reason: &str) -> Ws {
    Ws::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_string().into(),
    }))
}
