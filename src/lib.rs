//! runclub-bot: an evidence-based FAQ bot for running clubs' Discord servers.
//!
//! # Layout
//! - [`config`]: one `Config` from `config/runclub-bot.toml` and the environment, validated
//!   before anything starts.
//! - [`knowledge`]: the knowledge files (`knowledge/*.json`): serde types at the edge, a validated
//!   `KnowledgeBase` inside, every problem reported with file, line and column.
//! - [`text`]: normalisation shared by everything that reads a member's words.
//! - [`matcher`]: the lexical matcher: question in, ranked candidates with a score out; pure.
//! - [`embed`]: sentence embeddings (all-MiniLM-L6-v2 fine-tuned on the knowledge, run by
//!   candle, in process).
//! - [`classifier`]: the small trained classifiers over embeddings.
//! - [`semantic`]: example embeddings (cached) and the head and warning-sign detector trained
//!   on them.
//! - [`prepared`]: one message prepared once for every reader of it (matcher, intent, triage,
//!   the model).
//! - [`triage`]: warning signs by explicit rule, in three tiers (emergency, urgent, physio);
//!   pure.
//! - [`engine`]: one prepared message in, one response out: fusion of the model and the
//!   lexical matcher, the ask and auto decisions, the rendered reply.
//! - [`eval`]: cross-validation over the knowledge's own examples (`runclub-bot eval`).
//! - [`reply`]: the text a member sees, sourced, physio-prompted and safe to post.
//! - [`settings`]: per-server auto-reply settings, votes and stats, in SQLite.
//! - [`autoreply`]: whether the bot speaks on its own in a channel; pure, clock passed in.
//! - [`cli`]: the offline commands (`ask`, `check`, `eval`) that run without Discord.
//! - [`discord`]: the thin adapter: client building, commands, event routing, run loop.
//!
//! Nothing here imports serenity except the Discord adapter, so the core can be run, tested
//! and measured on any machine.

pub mod autoreply;
pub mod classifier;
pub mod cli;
pub mod config;
pub mod discord;
pub mod embed;
pub mod engine;
pub mod eval;
pub mod knowledge;
pub mod matcher;
pub mod prepared;
pub mod reply;
pub mod semantic;
pub mod settings;
pub mod text;
pub mod triage;

use std::sync::Arc;

pub use config::Config;
pub use embed::Embedder;
pub use engine::{AutoPolicy, Engine, Mode, Outcome, Response, Target};
pub use knowledge::EntryId;
pub use knowledge::KnowledgeBase;

/// Why the bot could not start. Every kind knows its exit status: a problem a restart cannot
/// fix (configuration, knowledge, model files) is EX_CONFIG (78). systemd's unit stops
/// restarting on it (`RestartPreventExitStatus=78`); Docker's restart policies ignore exit
/// statuses, so the README's `--restart on-failure:5` is what makes Docker give up.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    Knowledge(#[from] knowledge::LoadError),
    #[error(transparent)]
    Model(#[from] embed::ModelError),
    #[error(transparent)]
    Engine(engine::EngineError),
}

impl From<engine::EngineError> for StartupError {
    fn from(e: engine::EngineError) -> Self {
        match e {
            engine::EngineError::Model(m) => StartupError::Model(m),
            other => StartupError::Engine(other),
        }
    }
}

impl StartupError {
    /// EX_CONFIG (from sysexits.h).
    pub const EX_CONFIG: u8 = 78;

    pub fn exit_code(&self) -> u8 {
        match self {
            // Training on valid knowledge failing is a bug, not a setting: a plain failure.
            StartupError::Engine(engine::EngineError::Train(_)) => 1,
            _ => Self::EX_CONFIG,
        }
    }
}

/// Loads the sentence-embedding model named by the configuration (once per process: reloads
/// of the knowledge share it).
pub fn load_embedder(config: &Config) -> Result<Arc<Embedder>, StartupError> {
    let started = std::time::Instant::now();
    let embedder = Embedder::load(&config.model_dir)?;
    tracing::info!(
        dir = %config.model_dir.display(),
        ms = started.elapsed().as_millis() as u64,
        "model loaded"
    );
    Ok(Arc::new(embedder))
}

/// Why the bot could not keep its state in `dir`, if it can't: the directory is missing and
/// can't be made, or the bot's user may not write in it (a root-owned bind mount is the usual
/// cause). Named with the user id, so the fix (`chown`) is in the message.
pub fn data_dir_problem(dir: &std::path::Path) -> Option<String> {
    let probe = dir.join(".write-test");
    let outcome = std::fs::create_dir_all(dir)
        .and_then(|()| std::fs::write(&probe, b"ok"))
        .and_then(|()| std::fs::remove_file(&probe));
    let e = outcome.err()?;
    Some(format!(
        "the data directory {} is not writable by this process (uid {}): {e}. Settings, \
         statistics and the health check's heartbeat are kept there; make it writable by that \
         uid (for a bind mount: chown -R {} {})",
        dir.display(),
        process_uid(),
        process_uid(),
        dir.display()
    ))
}

/// The user id this process runs as, for messages; "unknown" where it can't be read.
fn process_uid() -> String {
    // /proc/self belongs to the process's effective user: no unsafe call needed.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(m) = std::fs::metadata("/proc/self") {
            return m.uid().to_string();
        }
    }
    "unknown".to_string()
}

/// Loads the knowledge named by the configuration and builds an engine on it.
pub fn load_engine(config: &Config, embedder: &Arc<Embedder>) -> Result<Engine, StartupError> {
    let kb = KnowledgeBase::load_dir(&config.knowledge_dir)?;
    Ok(Engine::new(
        kb,
        config.engine(),
        config.reply.clone(),
        embedder.clone(),
        &config.caches(),
    )?)
}
