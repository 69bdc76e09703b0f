//! The SQLite store: settings, votes, answer counts, the unanswered list, shadow decisions and
//! the replied-message ledger.
//!
//! One file in the data directory, in WAL mode with `synchronous = FULL`: every change is
//! committed (and on disk) before the method returns, so before the command that made it
//! replies; a `kill -9` loses nothing acknowledged. The schema carries its version in
//! `PRAGMA user_version` and is migrated forward step by step on open.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};

use super::{Cooldowns, GuildSettings, Sensitivity, Vote};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 3;

/// Migrations, in order: `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE guild_settings (
    guild_id INTEGER PRIMARY KEY,
    sensitivity TEXT NOT NULL DEFAULT 'normal',
    channel_cooldown_secs INTEGER NOT NULL DEFAULT 120,
    member_cooldown_secs INTEGER NOT NULL DEFAULT 600,
    entry_cooldown_secs INTEGER NOT NULL DEFAULT 3600,
    shadow INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE autoreply_channels (
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);
CREATE TABLE ignored_roles (
    guild_id INTEGER NOT NULL,
    role_id INTEGER NOT NULL,
    PRIMARY KEY (guild_id, role_id)
);
CREATE TABLE votes (
    guild_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    user_id INTEGER NOT NULL,
    entry_id TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (guild_id, message_id, user_id)
);
CREATE TABLE answers (
    guild_id INTEGER NOT NULL,
    entry_id TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (guild_id, entry_id)
);
CREATE TABLE unanswered (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    question TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX unanswered_by_guild ON unanswered (guild_id, at);
CREATE TABLE shadow_log (
    id INTEGER PRIMARY KEY,
    guild_id INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    entry_id TEXT,
    confidence REAL NOT NULL,
    would_reply INTEGER NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX shadow_by_guild ON shadow_log (guild_id, at);
CREATE TABLE replied_messages (
    message_id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL
);
"#,
    // 2: safety replies in auto-reply channels (on unless a moderator turns them off).
    "ALTER TABLE guild_settings ADD COLUMN safety_replies INTEGER NOT NULL DEFAULT 1;",
    // 3: what became of members' messages in auto-reply channels, by outcome.
    "CREATE TABLE auto_outcomes (
        guild_id INTEGER NOT NULL,
        outcome TEXT NOT NULL,
        count INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (guild_id, outcome)
    );",
];

/// A store that could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the settings database {path} is not usable ({source}); if it is corrupt, move it aside and restart (settings start empty)")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the settings database {path} has schema version {found}, newer than this build understands ({SCHEMA_VERSION}); upgrade runclub-bot")]
    TooNew { path: PathBuf, found: i64 },
    #[error("settings store: {0}")]
    Sql(#[from] rusqlite::Error),
}

/// One shadow-mode decision.
#[derive(Debug, Clone, PartialEq)]
pub struct ShadowRecord {
    pub channel: u64,
    pub entry: Option<String>,
    pub confidence: f32,
    pub would_reply: bool,
    pub reason: String,
}

/// Per-server stats for `/faq stats`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// (entry id, times answered), most first.
    pub most_asked: Vec<(String, u64)>,
    /// (entry id, helpful, not helpful), by helpful votes.
    pub votes: Vec<(String, u64, u64)>,
    /// Recent questions the bot could not answer, newest first.
    pub unanswered: Vec<String>,
    /// Members' messages in auto-reply channels by what became of them, in
    /// [`super::AutoOutcome::ALL`] order; outcomes never seen are left out.
    pub auto: Vec<(super::AutoOutcome, u64)>,
}

/// The settings store. A std `Mutex` around one connection: every call is a few fast SQLite
/// statements and it is never held across an `.await`.
#[derive(Debug)]
pub struct Store {
    conn: Mutex<Connection>,
    path: PathBuf,
    /// Settings by server, read once and kept: every channel message in a server with auto
    /// replies needs them. Locked only for map access.
    cache: Mutex<SettingsCache>,
}

/// The settings cache and its generation. Every write of a server's settings goes through
/// `update` or `toggle`, which drop its entry and bump the generation after the write has
/// committed. A reader that missed the cache keeps what it read only if no write came between
/// its read and its insert: otherwise it could put back settings a moderator had just changed.
#[derive(Debug, Default)]
struct SettingsCache {
    by_guild: std::collections::HashMap<u64, GuildSettings>,
    generation: u64,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Store {
    /// The database file inside a data directory.
    pub fn file_in(data_dir: &Path) -> PathBuf {
        data_dir.join("runclub-bot.sqlite3")
    }

    /// Opens (creating and migrating as needed) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = Self::file_in(data_dir);
        let open_err = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let conn = Connection::open(&path).map_err(open_err)?;
        // WAL lets readers and the writer work together; FULL makes a commit durable before it
        // returns. busy_timeout rides out a second process (a backup) holding the lock briefly.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(open_err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(open_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(open_err)?;
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(open_err)?;
        if check != "ok" {
            return Err(open_err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(check),
            )));
        }
        let store = Store {
            conn: Mutex::new(conn),
            path,
            cache: Mutex::default(),
        };
        store.migrate()?;
        Ok(store)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn migrate(&self) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
            });
        }
        for (v, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", v as i64 + 1)?;
            tx.commit()?;
            tracing::debug!(version = v + 1, "settings schema migrated");
        }
        Ok(())
    }

    /// A server's settings (defaults if it never changed any), from memory after the first read.
    pub fn settings(&self, guild: u64) -> Result<GuildSettings, StoreError> {
        self.settings_between(guild, || {})
    }

    /// [`settings`](Self::settings), running `between` after a cache miss's read and before its
    /// insert: where a write may land (a test makes one land there).
    fn settings_between(
        &self,
        guild: u64,
        between: impl FnOnce(),
    ) -> Result<GuildSettings, StoreError> {
        let generation = {
            let cache = self.cached();
            if let Some(s) = cache.by_guild.get(&guild) {
                return Ok(s.clone());
            }
            cache.generation
        };
        let s = self.read_settings(guild)?;
        between();
        let mut cache = self.cached();
        if cache.generation == generation {
            cache.by_guild.insert(guild, s.clone());
        }
        Ok(s)
    }

    fn cached(&self) -> std::sync::MutexGuard<'_, SettingsCache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// After a write of `guild`'s settings: its cached copy is dropped, and readers that read
    /// before the write don't put theirs back.
    fn invalidate(&self, guild: u64) {
        let mut cache = self.cached();
        cache.by_guild.remove(&guild);
        cache.generation += 1;
    }

    fn read_settings(&self, guild: u64) -> Result<GuildSettings, StoreError> {
        let conn = self.conn();
        let mut s = GuildSettings::new(guild);
        let row = conn
            .query_row(
                "SELECT sensitivity, channel_cooldown_secs, member_cooldown_secs, entry_cooldown_secs, shadow,
                        safety_replies
                 FROM guild_settings WHERE guild_id = ?1",
                [guild as i64],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, u32>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, u32>(3)?,
                        r.get::<_, bool>(4)?,
                        r.get::<_, bool>(5)?,
                    ))
                },
            )
            .optional()?;
        if let Some((sens, ch, mem, ent, shadow, safety)) = row {
            s.safety_replies = safety;
            s.sensitivity = sens.parse().unwrap_or_default();
            s.cooldowns = Cooldowns {
                channel_secs: ch,
                member_secs: mem,
                entry_secs: ent,
            };
            s.shadow = shadow;
        }
        let mut stmt = conn.prepare(
            "SELECT channel_id FROM autoreply_channels WHERE guild_id = ?1 ORDER BY channel_id",
        )?;
        s.channels = stmt
            .query_map([guild as i64], |r| r.get::<_, i64>(0).map(|v| v as u64))?
            .collect::<Result<_, _>>()?;
        let mut stmt =
            conn.prepare("SELECT role_id FROM ignored_roles WHERE guild_id = ?1 ORDER BY role_id")?;
        s.ignored_roles = stmt
            .query_map([guild as i64], |r| r.get::<_, i64>(0).map(|v| v as u64))?
            .collect::<Result<_, _>>()?;
        Ok(s)
    }

    /// Creates a server's settings row from [`GuildSettings::new`]'s defaults, the one place
    /// they are defined (the schema's column defaults are never relied on).
    fn ensure_guild(conn: &Connection, guild: u64) -> rusqlite::Result<()> {
        let d = GuildSettings::new(guild);
        conn.execute(
            "INSERT OR IGNORE INTO guild_settings
                 (guild_id, sensitivity, channel_cooldown_secs, member_cooldown_secs,
                  entry_cooldown_secs, shadow, safety_replies)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                guild as i64,
                d.sensitivity.to_string(),
                d.cooldowns.channel_secs,
                d.cooldowns.member_secs,
                d.cooldowns.entry_secs,
                d.shadow,
                d.safety_replies
            ],
        )?;
        Ok(())
    }

    /// Enables or disables auto replies in a channel. Returns whether anything changed.
    pub fn set_channel(&self, guild: u64, channel: u64, enabled: bool) -> Result<bool, StoreError> {
        self.toggle("autoreply_channels", "channel_id", guild, channel, enabled)
    }

    /// Adds or removes an ignored role. Returns whether anything changed.
    pub fn set_ignored_role(
        &self,
        guild: u64,
        role: u64,
        ignored: bool,
    ) -> Result<bool, StoreError> {
        self.toggle("ignored_roles", "role_id", guild, role, ignored)
    }

    pub fn set_sensitivity(&self, guild: u64, s: Sensitivity) -> Result<(), StoreError> {
        self.update(
            guild,
            "UPDATE guild_settings SET sensitivity = ?2 WHERE guild_id = ?1",
            params![guild as i64, s.as_str()],
        )
    }

    pub fn set_cooldowns(&self, guild: u64, c: Cooldowns) -> Result<(), StoreError> {
        self.update(
            guild,
            "UPDATE guild_settings SET channel_cooldown_secs = ?2, member_cooldown_secs = ?3, entry_cooldown_secs = ?4
             WHERE guild_id = ?1",
            params![guild as i64, c.channel_secs, c.member_secs, c.entry_secs],
        )
    }

    pub fn set_shadow(&self, guild: u64, on: bool) -> Result<(), StoreError> {
        self.update(
            guild,
            "UPDATE guild_settings SET shadow = ?2 WHERE guild_id = ?1",
            params![guild as i64, on],
        )
    }

    pub fn set_safety_replies(&self, guild: u64, on: bool) -> Result<(), StoreError> {
        self.update(
            guild,
            "UPDATE guild_settings SET safety_replies = ?2 WHERE guild_id = ?1",
            params![guild as i64, on],
        )
    }

    /// Runs one update of a server's settings row (created with defaults if missing).
    fn update(
        &self,
        guild: u64,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<(), StoreError> {
        let conn = self.conn();
        Self::ensure_guild(&conn, guild)?;
        conn.execute(sql, params)?;
        self.invalidate(guild);
        Ok(())
    }

    /// Puts `(guild, id)` in or out of a per-server set table.
    fn toggle(
        &self,
        table: &str,
        column: &str,
        guild: u64,
        id: u64,
        present: bool,
    ) -> Result<bool, StoreError> {
        let conn = self.conn();
        Self::ensure_guild(&conn, guild)?;
        // Table and column names come from the two callers above, never from input.
        let sql = if present {
            format!("INSERT OR IGNORE INTO {table} (guild_id, {column}) VALUES (?1, ?2)")
        } else {
            format!("DELETE FROM {table} WHERE guild_id = ?1 AND {column} = ?2")
        };
        let changed = conn.execute(&sql, params![guild as i64, id as i64])? > 0;
        self.invalidate(guild);
        Ok(changed)
    }

    /// Records a member's vote on an answer message; a second vote replaces the first.
    /// Returns the vote it replaced, if any.
    pub fn vote(
        &self,
        guild: u64,
        message: u64,
        user: u64,
        entry: &str,
        vote: Vote,
    ) -> Result<Option<Vote>, StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let previous: Option<bool> = tx
            .query_row(
                "SELECT helpful FROM votes WHERE guild_id = ?1 AND message_id = ?2 AND user_id = ?3",
                params![guild as i64, message as i64, user as i64],
                |r| r.get(0),
            )
            .optional()?;
        tx.execute(
            "INSERT INTO votes (guild_id, message_id, user_id, entry_id, helpful, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (guild_id, message_id, user_id) DO UPDATE SET helpful = excluded.helpful, at = excluded.at",
            params![guild as i64, message as i64, user as i64, entry, vote == Vote::Helpful, now()],
        )?;
        tx.commit()?;
        Ok(previous.map(|h| if h { Vote::Helpful } else { Vote::NotHelpful }))
    }

    /// Commits a batch of counts and unanswered questions in one transaction (one fsync).
    pub fn record_stats(
        &self,
        events: &[super::StatEvent],
        keep_days: u32,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for e in events {
            match e {
                super::StatEvent::Answered { guild, entry } => {
                    tx.execute(
                        "INSERT INTO answers (guild_id, entry_id, count) VALUES (?1, ?2, 1)
                         ON CONFLICT (guild_id, entry_id) DO UPDATE SET count = count + 1",
                        params![*guild as i64, entry.as_str()],
                    )?;
                }
                super::StatEvent::Auto { guild, outcome } => {
                    tx.execute(
                        "INSERT INTO auto_outcomes (guild_id, outcome, count) VALUES (?1, ?2, 1)
                         ON CONFLICT (guild_id, outcome) DO UPDATE SET count = count + 1",
                        params![*guild as i64, outcome.key()],
                    )?;
                }
                super::StatEvent::Unanswered { guild, question } => {
                    let question: String = question.chars().take(500).collect();
                    tx.execute(
                        "INSERT INTO unanswered (guild_id, question, at) VALUES (?1, ?2, ?3)",
                        params![*guild as i64, question, now()],
                    )?;
                }
            }
        }
        Self::purge(&tx, keep_days)?;
        tx.commit()?;
        Ok(())
    }

    fn purge(conn: &Connection, keep_days: u32) -> rusqlite::Result<()> {
        let cutoff = now() - i64::from(keep_days) * 86_400;
        conn.execute("DELETE FROM unanswered WHERE at < ?1", [cutoff])?;
        conn.execute("DELETE FROM shadow_log WHERE at < ?1", [cutoff])?;
        conn.execute(
            "DELETE FROM replied_messages WHERE at < ?1",
            [now() - 86_400],
        )?;
        Ok(())
    }

    /// Drops what is past its retention (also run at start-up).
    pub fn purge_expired(&self, keep_days: u32) -> Result<(), StoreError> {
        Self::purge(&self.conn(), keep_days)?;
        Ok(())
    }

    /// Records a shadow-mode decision: what the bot would have replied about, without the
    /// message text.
    pub fn record_shadow(
        &self,
        guild: u64,
        channel: u64,
        target: &crate::engine::Target,
        confidence: f32,
        would_reply: bool,
        reason: &str,
    ) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO shadow_log (guild_id, channel_id, entry_id, confidence, would_reply, reason, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![guild as i64, channel as i64, target.to_string(), confidence, would_reply, reason, now()],
        )?;
        Ok(())
    }

    /// Recent shadow decisions, newest first.
    pub fn shadow_log(&self, guild: u64, limit: usize) -> Result<Vec<ShadowRecord>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT channel_id, entry_id, confidence, would_reply, reason FROM shadow_log
             WHERE guild_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![guild as i64, limit as i64], |r| {
                Ok(ShadowRecord {
                    channel: r.get::<_, i64>(0)? as u64,
                    entry: r.get(1)?,
                    confidence: r.get(2)?,
                    would_reply: r.get(3)?,
                    reason: r.get(4)?,
                })
            })?
            .collect::<Result<_, _>>()?;
        Ok(rows)
    }

    /// Claims a message for a reply: true the first time, false if it was already claimed (a
    /// replayed event after a reconnect), so the bot replies at most once per message.
    pub fn claim_message(&self, message: u64) -> Result<bool, StoreError> {
        let n = self.conn().execute(
            "INSERT OR IGNORE INTO replied_messages (message_id, at) VALUES (?1, ?2)",
            params![message as i64, now()],
        )?;
        Ok(n > 0)
    }

    /// Stats for one server.
    pub fn stats(&self, guild: u64, limit: usize) -> Result<Stats, StoreError> {
        let conn = self.conn();
        let g = guild as i64;
        let mut stmt = conn.prepare(
            "SELECT entry_id, count FROM answers WHERE guild_id = ?1 ORDER BY count DESC, entry_id LIMIT ?2",
        )?;
        let most_asked = stmt
            .query_map(params![g, limit as i64], |r| {
                Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt = conn.prepare(
            "SELECT entry_id, SUM(helpful), SUM(1 - helpful) FROM votes WHERE guild_id = ?1
             GROUP BY entry_id ORDER BY SUM(helpful) DESC, entry_id LIMIT ?2",
        )?;
        let votes = stmt
            .query_map(params![g, limit as i64], |r| {
                Ok((
                    r.get(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, i64>(2)? as u64,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let mut stmt =
            conn.prepare("SELECT question FROM unanswered WHERE guild_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2")?;
        let unanswered = stmt
            .query_map(params![g, limit as i64], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        let mut stmt =
            conn.prepare("SELECT outcome, count FROM auto_outcomes WHERE guild_id = ?1")?;
        let counted: std::collections::HashMap<String, u64> = stmt
            .query_map(params![g], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<Result<_, _>>()?;
        // Keys this build does not know (from a newer one) are left out.
        let auto = super::AutoOutcome::ALL
            .into_iter()
            .filter_map(|o| counted.get(o.key()).map(|&n| (o, n)))
            .collect();
        Ok(Stats {
            auto,
            most_asked,
            votes,
            unanswered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("runclub-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// A database written by the first schema keeps its settings and gains safety replies,
    /// on, when this build opens it.
    #[test]
    fn version_1_databases_migrate() {
        let dir = temp("migrate");
        std::fs::create_dir_all(&dir).unwrap();
        {
            let conn = Connection::open(dir.join("runclub-bot.sqlite3")).unwrap();
            conn.execute_batch(MIGRATIONS[0]).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
            conn.execute(
                "INSERT INTO guild_settings (guild_id, shadow) VALUES (7, 1)",
                [],
            )
            .unwrap();
        }
        let store = Store::open(&dir).unwrap();
        let s = store.settings(7).unwrap();
        assert!(s.shadow);
        assert!(s.safety_replies);
        store.set_safety_replies(7, false).unwrap();
        assert!(!store.settings(7).unwrap().safety_replies);
        assert!(store.settings(8).unwrap().safety_replies);
    }

    /// Settings are served from memory, and a change is seen at once.
    /// A reader that missed the cache, read the old settings, and lost the race to a
    /// moderator's change must not put the old settings back: the bot would then ignore a
    /// change the moderator was told was saved.
    #[test]
    fn a_change_racing_a_cache_miss_is_not_lost() {
        let dir = temp("race");
        let store = Store::open(&dir).unwrap();
        let read = store
            .settings_between(5, || {
                store.set_channel(5, 50, true).unwrap();
            })
            .unwrap();
        assert!(
            read.channels.is_empty(),
            "the racing reader saw the old row"
        );
        assert_eq!(
            store.settings(5).unwrap().channels,
            vec![50],
            "the change the moderator made is what the bot now reads"
        );
    }

    #[test]
    fn cached_settings_follow_every_change() {
        let dir = temp("cache");
        let store = Store::open(&dir).unwrap();
        assert!(store.settings(4).unwrap().channels.is_empty());
        store.set_channel(4, 40, true).unwrap();
        assert_eq!(store.settings(4).unwrap().channels, vec![40]);
        store.set_sensitivity(4, Sensitivity::Loose).unwrap();
        assert_eq!(store.settings(4).unwrap().sensitivity, Sensitivity::Loose);
        store.set_channel(4, 40, false).unwrap();
        assert!(store.settings(4).unwrap().channels.is_empty());
        // Served from memory: a change made behind the store's back isn't read again.
        store
            .conn()
            .execute("DELETE FROM guild_settings WHERE guild_id = 4", [])
            .unwrap();
        assert_eq!(store.settings(4).unwrap().sensitivity, Sensitivity::Loose);
    }

    /// A server that changes one setting keeps the defaults of the others: the ones defined in
    /// Rust, not the schema's.
    #[test]
    fn a_new_row_takes_the_rust_defaults() {
        let dir = temp("defaults");
        let store = Store::open(&dir).unwrap();
        store.set_shadow(3, true).unwrap();
        let s = store.settings(3).unwrap();
        assert_eq!(GuildSettings { shadow: false, ..s }, GuildSettings::new(3));
    }

    #[test]
    fn settings_round_trip_and_isolation() {
        let dir = temp("roundtrip");
        let store = Store::open(&dir).unwrap();
        assert!(store.set_channel(1, 10, true).unwrap());
        assert!(
            !store.set_channel(1, 10, true).unwrap(),
            "enabling twice changes nothing"
        );
        store.set_sensitivity(1, Sensitivity::Strict).unwrap();
        store.set_ignored_role(1, 99, true).unwrap();
        store.set_shadow(1, true).unwrap();
        drop(store);
        let store = Store::open(&dir).unwrap();
        let s = store.settings(1).unwrap();
        assert_eq!(s.channels, vec![10]);
        assert_eq!(s.sensitivity, Sensitivity::Strict);
        assert_eq!(s.ignored_roles, vec![99]);
        assert!(s.shadow);
        assert_eq!(
            store.settings(2).unwrap(),
            GuildSettings::new(2),
            "other servers untouched"
        );
    }

    #[test]
    fn votes_are_one_per_member_and_changeable() {
        let store = Store::open(&temp("votes")).unwrap();
        assert_eq!(store.vote(1, 500, 7, "e", Vote::Helpful).unwrap(), None);
        assert_eq!(
            store.vote(1, 500, 7, "e", Vote::NotHelpful).unwrap(),
            Some(Vote::Helpful)
        );
        store.vote(1, 500, 8, "e", Vote::Helpful).unwrap();
        let stats = store.stats(1, 10).unwrap();
        assert_eq!(stats.votes, vec![("e".to_string(), 1, 1)]);
        assert!(store.stats(2, 10).unwrap().votes.is_empty());
    }

    #[test]
    fn a_message_is_claimed_once() {
        let store = Store::open(&temp("claim")).unwrap();
        assert!(store.claim_message(42).unwrap());
        assert!(!store.claim_message(42).unwrap());
    }

    #[test]
    fn corrupt_database_is_a_clear_error() {
        let dir = temp("corrupt");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            Store::file_in(&dir),
            b"this is not a database, just some bytes........",
        )
        .unwrap();
        let err = Store::open(&dir).unwrap_err().to_string();
        assert!(
            err.contains("not usable") && err.contains("move it aside"),
            "{err}"
        );
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = temp("newer");
        let store = Store::open(&dir).unwrap();
        store
            .conn()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        drop(store);
        let err = Store::open(&dir).unwrap_err().to_string();
        assert!(err.contains("schema version 99"), "{err}");
    }
}
