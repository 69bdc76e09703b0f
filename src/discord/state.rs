//! What the bot shares across events: the engine, swapped whole on reload.

use std::sync::{Arc, RwLock};

use crate::config::Config;
use crate::engine::Engine;

/// Shared state of a running bot (poise's user data).
#[derive(Debug)]
pub struct BotState {
    /// The current engine. A std lock held only to clone or replace the `Arc`, never across an
    /// `.await`, so readers keep answering from the old knowledge while a reload builds the new.
    engine: RwLock<Arc<Engine>>,
    pub config: Config,
}

impl BotState {
    pub fn new(engine: Engine, config: Config) -> Self {
        BotState {
            engine: RwLock::new(Arc::new(engine)),
            config,
        }
    }

    /// The engine to answer with (a snapshot: a reload does not change it under a reply).
    pub fn engine(&self) -> Arc<Engine> {
        self.engine
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Re-reads the knowledge and swaps it in. On any problem the old knowledge stays and the
    /// error (every problem, with file, line and column) is returned for the log.
    pub fn reload(&self) -> anyhow::Result<usize> {
        let engine = crate::load_engine(&self.config)?;
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
