//! Per-server auto-reply settings, feedback votes and knowledge-gap stats, and their SQLite
//! store ([`Store`]).
//!
//! Every server's data is keyed by its guild id and every query filters on it, so one server's
//! settings or stats never show in another.

mod stats;
mod store;

use std::fmt;
use std::str::FromStr;

pub use stats::{AutoOutcome, StatEvent, StatsWriter, BATCH_WINDOW};
pub use store::{ShadowRecord, Stats, Store, StoreError, SCHEMA_VERSION};

/// How readily the bot replies on its own; mapped to the engine's auto-mode threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sensitivity {
    /// Only very clear matches.
    Strict,
    #[default]
    Normal,
    /// Also less certain matches.
    Loose,
}

impl Sensitivity {
    pub const ALL: [Sensitivity; 3] =
        [Sensitivity::Strict, Sensitivity::Normal, Sensitivity::Loose];

    pub fn as_str(self) -> &'static str {
        match self {
            Sensitivity::Strict => "strict",
            Sensitivity::Normal => "normal",
            Sensitivity::Loose => "loose",
        }
    }
}

impl fmt::Display for Sensitivity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Sensitivity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Sensitivity::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown sensitivity `{s}` (strict, normal or loose)"))
    }
}

/// Cooldowns between automatic replies, in seconds (0 = none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cooldowns {
    /// At most one auto reply per channel per this many seconds.
    pub channel_secs: u32,
    /// At most one auto reply to the same member per this many seconds.
    pub member_secs: u32,
    /// The same entry is not posted again in the same channel within this many seconds.
    pub entry_secs: u32,
}

impl Default for Cooldowns {
    fn default() -> Self {
        Cooldowns {
            channel_secs: 120,
            member_secs: 600,
            entry_secs: 3600,
        }
    }
}

/// One server's auto-reply settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GuildSettings {
    pub guild_id: u64,
    /// Channels where the bot may reply on its own (threads under them included).
    pub channels: Vec<u64>,
    pub sensitivity: Sensitivity,
    pub cooldowns: Cooldowns,
    /// Members with any of these roles never get auto replies.
    pub ignored_roles: Vec<u64>,
    /// Record what the bot would have said, without posting.
    pub shadow: bool,
    /// In enabled channels, answer a possible emergency or urgent injury with the safety reply
    /// even when it is not about our topics (on by default).
    pub safety_replies: bool,
}

impl GuildSettings {
    pub fn new(guild_id: u64) -> Self {
        GuildSettings {
            guild_id,
            safety_replies: true,
            ..Default::default()
        }
    }

    /// Whether a message in `channel` (with `parent`, for a thread) is in an enabled channel.
    pub fn covers(&self, channel: u64, parent: Option<u64>) -> bool {
        self.channels.contains(&channel) || parent.is_some_and(|p| self.channels.contains(&p))
    }
}

/// A feedback vote on an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vote {
    Helpful,
    NotHelpful,
}
