//! runclub-bot: an evidence-based FAQ bot for running clubs' Discord servers.
//!
//! # Layout
//! - [`config`]: one `Config` from `config/runclub-bot.toml` and the environment, validated
//!   before anything starts.
//! - [`knowledge`]: the knowledge files (`knowledge/*.json`): serde types at the edge, a validated
//!   `KnowledgeBase` inside, every problem reported with file, line and column.
//! - [`text`]: normalisation shared by everything that reads a member's words.
//! - [`matcher`]: question in, ranked candidates with a score out; pure.
//! - [`triage`]: warning signs that call for a physio; pure.
//! - [`engine`]: the ask-mode and auto-mode decisions; pure.
//! - [`reply`]: the text a member sees, sourced, physio-prompted and safe to post.
//! - [`settings`]: per-server auto-reply settings, votes and stats, in SQLite.
//! - [`autoreply`]: whether the bot speaks on its own in a channel; pure, clock passed in.
//! - [`cli`]: the offline commands (`ask`, `check`) that run without Discord.
//! - [`discord`]: the thin adapter: client building, commands, event routing, run loop.
//!
//! Nothing here imports serenity except the Discord adapter, so the core can be run, tested
//! and measured on any machine.

pub mod autoreply;
pub mod cli;
pub mod config;
pub mod discord;
pub mod engine;
pub mod knowledge;
pub mod matcher;
pub mod reply;
pub mod settings;
pub mod text;
pub mod triage;

pub use config::Config;
pub use engine::{Engine, Mode, Outcome, Response};
pub use knowledge::KnowledgeBase;

/// Loads the knowledge named by the configuration and builds an engine on it.
pub fn load_engine(config: &Config) -> anyhow::Result<Engine> {
    let kb = KnowledgeBase::load_dir(&config.knowledge_dir)?;
    Ok(Engine::new(
        kb,
        config.matcher.clone(),
        config.reply.clone(),
    )?)
}
