//! What the bot shares across events: the engine (swapped whole on reload), the settings
//! store, and the auto-reply cooldowns.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crate::autoreply::AutoReplies;
use crate::config::Config;
use crate::engine::Engine;
use crate::settings::{StatEvent, StatsWriter, Store};

/// Shared state of a running bot (poise's user data).
#[derive(Debug)]
pub struct BotState {
    /// The current engine. A std lock held only to clone or replace the `Arc`, never across an
    /// `.await`, so readers keep answering from the old knowledge while a reload builds the new.
    engine: RwLock<Arc<Engine>>,
    pub config: Config,
    /// The settings store, or why it could not be opened. Without it, slash answers keep
    /// working; settings commands say what is wrong and auto replies stay off.
    store: Result<Arc<Store>, String>,
    /// Answer counts and unanswered questions, written off the reply path (None without a
    /// store).
    stats: Option<StatsWriter>,
    /// Last auto replies, for cooldowns; the decisions themselves run outside its lock.
    pub autoreplies: AutoReplies,
    /// One permit per core for running the engine: answers queue for a core instead of all
    /// running at once and all finishing late, and auto replies, which take a permit only if
    /// one is free, give way to questions put to the bot.
    pub engine_slots: tokio::sync::Semaphore,
    /// Questions put to the bot that are waiting for, or using, the engine (see
    /// [`BotState::queue_question`]).
    waiting: AtomicUsize,
    /// Members told the bot is busy since the queue last had room (logged once per storm).
    turned_away: AtomicUsize,
    /// Thread id -> parent channel id (None: not a thread), so a thread's parent is looked up
    /// once. Locked only for map access.
    pub thread_parents: Mutex<HashMap<u64, Option<u64>>>,
}

/// A question's place in the queue for the engine; dropping it gives the place back.
#[derive(Debug)]
pub struct QueueTicket<'a>(&'a AtomicUsize);

impl Drop for QueueTicket<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl BotState {
    /// Builds the state; opens the store in `config.data_dir`, logging a clear error (and
    /// carrying on without it) when the directory is unusable or the database corrupt.
    pub fn new(engine: Engine, config: Config) -> Self {
        let store = match Store::open(&config.data_dir) {
            Ok(store) => {
                if let Err(e) = store.purge_expired(config.autoreply.unanswered_keep_days) {
                    tracing::warn!("cannot purge old records: {e}");
                }
                Ok(Arc::new(store))
            }
            Err(e) => {
                tracing::error!("settings store unavailable, auto replies and votes are off: {e}");
                Err(e.to_string())
            }
        };
        let stats = store
            .as_ref()
            .ok()
            .map(|s| StatsWriter::start(s.clone(), config.autoreply.unanswered_keep_days));
        BotState {
            engine: RwLock::new(Arc::new(engine)),
            config,
            store,
            stats,
            autoreplies: AutoReplies::default(),
            engine_slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            ),
            thread_parents: Mutex::new(HashMap::new()),
            waiting: AtomicUsize::new(0),
            turned_away: AtomicUsize::new(0),
        }
    }

    /// A place in the queue for the engine, or None when `discord.max_waiting_questions` are
    /// already waiting. Every waiting question holds its interaction and its handler (about
    /// 50 KB); without a bound, a storm the cores can't keep up with grows memory past what a
    /// small server allows. The place is given back when the ticket is dropped.
    pub fn queue_question(&self) -> Option<QueueTicket<'_>> {
        let max = self.config.discord.max_waiting_questions;
        let queued = self
            .waiting
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            });
        // One line when a storm starts turning members away, one when it is over (the queue
        // back to half full): not one per member.
        if let Ok(before) = queued {
            let away = if before < max / 2 {
                self.turned_away.swap(0, Ordering::AcqRel)
            } else {
                0
            };
            if away > 0 {
                tracing::info!(told_busy = away, "the queue for the engine has room again");
            }
            Some(QueueTicket(&self.waiting))
        } else {
            if self.turned_away.fetch_add(1, Ordering::AcqRel) == 0 {
                tracing::warn!(
                    max,
                    "too many questions waiting for the engine; telling members the bot is busy"
                );
            }
            None
        }
    }

    /// The store, or the reason it is unavailable (for the moderator).
    pub fn store(&self) -> Result<&Store, &str> {
        self.store.as_deref().map_err(String::as_str)
    }

    /// Counts an answer or keeps an unanswered question, off the reply path (best effort).
    pub fn record_stat(&self, event: StatEvent) {
        if let Some(w) = &self.stats {
            w.record(event);
        }
    }

    /// Commits the counts queued so far (before showing them to a moderator). Blocking, and
    /// short: one transaction.
    pub fn flush_stats(&self) {
        if let Some(w) = &self.stats {
            w.flush();
        }
    }

    /// The engine to answer with: a snapshot, taken once per command or message and carried
    /// with its outcome, so a reload does not change it under a reply.
    pub fn engine(&self) -> Arc<Engine> {
        self.engine
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Re-reads the knowledge, embeds its new examples, retrains, and swaps the new engine in.
    /// Blocking (seconds when many examples are new): call it off the async runtime. Answers
    /// keep coming from the old engine until the swap. On any problem the old knowledge stays
    /// and the error (every problem, with file, line and column) is returned for the log.
    pub fn reload(&self) -> anyhow::Result<usize> {
        let embedder = self.engine().embedder().clone();
        let engine = crate::load_engine(&self.config, &embedder)?;
        let entries = engine.knowledge().entries.len();
        *self.engine.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(engine);
        Ok(entries)
    }
}

/// A bot token. Its `Debug` and `Display` never show it, so it cannot reach a log by accident.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// Reads the token from `DISCORD_TOKEN`, else from `discord.token_file`.
    pub fn from_env_or_file(config: &Config) -> anyhow::Result<Token> {
        let raw = match std::env::var("DISCORD_TOKEN") {
            Ok(t) if !t.trim().is_empty() => t,
            _ => match &config.discord.token_file {
                Some(path) => std::fs::read_to_string(path).map_err(|e| {
                    anyhow::anyhow!("cannot read discord.token_file {}: {e}", path.display())
                })?,
                None => anyhow::bail!(
                    "no Discord token: set DISCORD_TOKEN or discord.token_file in the config \
                     (the offline `runclub-bot ask` needs no token)"
                ),
            },
        };
        Token::new(raw.trim())
    }

    pub fn new(raw: &str) -> anyhow::Result<Token> {
        if raw.is_empty() || raw.chars().any(char::is_whitespace) {
            anyhow::bail!("the Discord token is empty or contains spaces");
        }
        Ok(Token(raw.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}
