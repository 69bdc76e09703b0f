//! One [`Config`], read from a TOML file and the environment, validated before anything starts.
//!
//! Lookup order for the file: `--config PATH`, then `$RUNCLUB_CONFIG`, then
//! `config/runclub-bot.toml` if it exists; without a file every default applies, so a fresh clone
//! works as it is. Relative paths are taken from the working directory. Every bad value is
//! reported with its key (`matcher.ask_answer must be ...`), all at once.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The default place of the configuration file, relative to the working directory.
pub const DEFAULT_PATH: &str = "config/runclub-bot.toml";
/// Discord's hard limit on a message's content.
pub const DISCORD_MESSAGE_LIMIT: usize = 2000;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Directory of the knowledge files.
    pub knowledge_dir: PathBuf,
    /// Directory for the bot's own state (settings store, registration hash).
    pub data_dir: PathBuf,
    /// Directory of the sentence-embedding model's files.
    pub model_dir: PathBuf,
    /// Directory for the example-embedding cache; `<data_dir>/cache` when unset.
    pub cache_dir: Option<PathBuf>,
    pub matcher: MatcherConfig,
    pub reply: ReplyConfig,
    pub discord: DiscordConfig,
    pub autoreply: AutoReplyConfig,
    pub log: LogConfig,
}

/// What a server's `/autoreply sensitivity` maps to (normal is `matcher.auto_answer`), and how
/// long the unanswered-questions list is kept.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoReplyConfig {
    /// Auto-mode threshold for `strict` servers.
    pub strict_answer: f32,
    /// Auto-mode threshold for `loose` servers.
    pub loose_answer: f32,
    /// Days to keep questions the bot could not answer (for `/faq stats`).
    pub unanswered_keep_days: u32,
}

impl Default for AutoReplyConfig {
    fn default() -> Self {
        AutoReplyConfig {
            strict_answer: 0.62,
            loose_answer: 0.42,
            unanswered_keep_days: 30,
        }
    }
}

/// Thresholds of the two decisions (see `engine`), and the matcher's blend.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MatcherConfig {
    /// Ask mode: answer at or above this confidence.
    pub ask_answer: f32,
    /// Ask mode: offer "did you mean" entries at or above this confidence.
    pub ask_suggest: f32,
    /// How many "did you mean" entries at most (Discord shows them as buttons).
    pub max_suggestions: usize,
    /// Auto mode: reply on its own only at or above this confidence.
    pub auto_answer: f32,
    /// Auto mode: the best entry must beat the runner-up by this much.
    pub auto_margin: f32,
    /// Weight of the closest-example-question similarity in the score (the rest is coverage).
    pub phrasing_weight: f32,
    /// Weight of a word the knowledge never uses, relative to the rarest word it does use.
    pub unknown_word_weight: f32,
    /// Confidence multiplier when the message names none of the topic terms.
    pub off_topic_factor: f32,
    /// Confidence multiplier when the message names a subject the knowledge does not cover.
    pub out_of_scope_factor: f32,
    /// Confidence multiplier (ask mode) when the message does not read as a question.
    pub not_a_question_factor: f32,
    /// Weight of the trained head's probability in the fused score (the rest is lexical).
    pub head_weight: f32,
    /// Ask mode: decline when the head gives "none of our answers" at least this probability.
    pub ask_none_max: f32,
    /// Auto mode: stay silent when the head gives "none of our answers" at least this.
    pub auto_none_max: f32,
    /// Auto mode: the message must name one of the lexicon's topic terms.
    pub auto_requires_topic: bool,
    /// Escalate when the warning-sign detector's probability reaches this.
    pub sign_threshold: f32,
    /// Give emergency or urgent advice when the detector's probability of those two tiers
    /// together reaches this (lower: a missed emergency costs more than a false alarm).
    pub urgent_threshold: f32,
    /// Auto mode: answer a possible emergency or urgent injury with the safety reply even when
    /// it is not about our topics.
    pub auto_safety: bool,
    /// Training of the head and the detector (full-batch Adam).
    pub train_epochs: usize,
    pub train_learning_rate: f64,
    pub train_l2: f64,
    /// Class balancing of the head and of the warning-sign detector (0 none, 1 full).
    pub head_balance: f32,
    pub sign_balance: f32,
    /// Auto mode: below this confidence, the head and the lexical matcher must rank the same
    /// entry first (1 always, 0 never).
    pub auto_agreement_below: f32,
}

impl MatcherConfig {
    /// How the head and the warning-sign detector are trained.
    pub fn training(&self, balance: f32) -> crate::classifier::TrainConfig {
        crate::classifier::TrainConfig {
            epochs: self.train_epochs,
            learning_rate: self.train_learning_rate,
            l2: self.train_l2,
            balance,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplyConfig {
    /// Longest reply the bot sends (characters); at most Discord's 2000.
    pub max_chars: usize,
    /// Entry used to answer a warning-sign message that matches nothing more specific.
    pub fallback_entry: String,
    /// How the emergency reply names the number to call (a club sets its own country's).
    pub emergency_number: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordConfig {
    /// File holding the bot token, used when `DISCORD_TOKEN` is not set.
    pub token_file: Option<PathBuf>,
    /// Base URL of the Discord API. Unset in production; tests point it at a fake.
    pub api_base: Option<String>,
    /// Register commands in this server only (instant, for development) instead of globally.
    pub dev_guild_id: Option<u64>,
    /// Questions put to the bot that may wait for the engine at once; beyond this, members are
    /// told at once that the bot is busy. Each waiting question holds about 50 KB.
    pub max_waiting_questions: usize,
}

impl Default for DiscordConfig {
    fn default() -> Self {
        DiscordConfig {
            token_file: None,
            api_base: None,
            dev_guild_id: None,
            // About 10 s of answers on two cores (~100/s), and ~50 MB: a storm stays well
            // inside a 256 MB memory cap.
            max_waiting_questions: 1000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Plain,
    Json,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `plain` or `json`.
    pub format: LogFormat,
}

impl Config {
    /// Where the example embeddings are cached.
    pub fn cache_dir(&self) -> PathBuf {
        self.cache_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("cache"))
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            knowledge_dir: PathBuf::from("knowledge"),
            data_dir: PathBuf::from("data"),
            model_dir: PathBuf::from("models/all-MiniLM-L6-v2"),
            cache_dir: None,
            matcher: MatcherConfig::default(),
            reply: ReplyConfig::default(),
            discord: DiscordConfig::default(),
            autoreply: AutoReplyConfig::default(),
            log: LogConfig::default(),
        }
    }
}

impl Default for MatcherConfig {
    fn default() -> Self {
        MatcherConfig {
            ask_answer: 0.35,
            ask_suggest: 0.22,
            max_suggestions: 3,
            auto_answer: 0.50,
            auto_margin: 0.05,
            phrasing_weight: 0.6,
            unknown_word_weight: 0.6,
            off_topic_factor: 0.5,
            out_of_scope_factor: 0.4,
            not_a_question_factor: 0.6,
            head_weight: 0.6,
            ask_none_max: 0.5,
            auto_none_max: 0.3,
            auto_requires_topic: true,
            sign_threshold: 0.85,
            urgent_threshold: 0.8,
            auto_safety: true,
            train_epochs: 400,
            train_learning_rate: 0.05,
            train_l2: 1e-3,
            head_balance: 1.0,
            sign_balance: 0.3,
            auto_agreement_below: 0.65,
        }
    }
}

impl Default for ReplyConfig {
    fn default() -> Self {
        ReplyConfig {
            max_chars: 1900,
            fallback_entry: "see-a-physio".into(),
            emergency_number: "999 / 112 / 911".into(),
        }
    }
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            format: LogFormat::Plain,
        }
    }
}

/// A configuration that could not be read, or values that are out of range.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("invalid configuration ({}):\n{}", .origin, .problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        origin: String,
        problems: Vec<String>,
    },
}

impl Config {
    /// Reads the configuration (see the module docs for the lookup order) and applies the
    /// environment overrides `RUNCLUB_KNOWLEDGE_DIR`, `RUNCLUB_DATA_DIR`, `DISCORD_TOKEN_FILE`
    /// `DISCORD_API_BASE`, `RUNCLUB_MODEL_DIR` and `RUNCLUB_CACHE_DIR`.
    pub fn load(explicit: Option<&Path>) -> Result<Self, ConfigError> {
        let env_path = std::env::var_os("RUNCLUB_CONFIG").map(PathBuf::from);
        let path = explicit
            .map(Path::to_path_buf)
            .or(env_path)
            .or_else(|| locate(Path::new(DEFAULT_PATH)));
        let mut config = match &path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.clone(),
                    source,
                })?;
                Self::parse(&text, p)?
            }
            None => Config::default(),
        };
        if let Some(dir) = std::env::var_os("RUNCLUB_KNOWLEDGE_DIR") {
            config.knowledge_dir = dir.into();
        }
        if let Some(dir) = std::env::var_os("RUNCLUB_DATA_DIR") {
            config.data_dir = dir.into();
        }
        if let Some(file) = std::env::var_os("DISCORD_TOKEN_FILE") {
            config.discord.token_file = Some(file.into());
        }
        if let Ok(base) = std::env::var("DISCORD_API_BASE") {
            if !base.is_empty() {
                config.discord.api_base = Some(base);
            }
        }
        if let Some(dir) = std::env::var_os("RUNCLUB_MODEL_DIR") {
            config.model_dir = dir.into();
        }
        if let Some(dir) = std::env::var_os("RUNCLUB_CACHE_DIR") {
            config.cache_dir = Some(dir.into());
        }
        if let Some(found) = locate(&config.knowledge_dir) {
            config.knowledge_dir = found;
        }
        if let Some(found) = locate(&config.model_dir) {
            config.model_dir = found;
        }
        let origin = path.map_or("defaults".to_string(), |p| p.display().to_string());
        config
            .validate()
            .map_err(|problems| ConfigError::Invalid { origin, problems })?;
        Ok(config)
    }

    /// Parses TOML text; `path` only names the file in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim_end().to_string(),
        })
    }

    /// Every out-of-range value, each named by its key.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let m = &self.matcher;
        let unit = [
            ("matcher.ask_answer", m.ask_answer),
            ("matcher.ask_suggest", m.ask_suggest),
            ("matcher.auto_answer", m.auto_answer),
            ("matcher.auto_margin", m.auto_margin),
            ("matcher.phrasing_weight", m.phrasing_weight),
            ("matcher.unknown_word_weight", m.unknown_word_weight),
            ("matcher.off_topic_factor", m.off_topic_factor),
            ("matcher.out_of_scope_factor", m.out_of_scope_factor),
            ("matcher.not_a_question_factor", m.not_a_question_factor),
            ("matcher.head_weight", m.head_weight),
            ("matcher.ask_none_max", m.ask_none_max),
            ("matcher.auto_none_max", m.auto_none_max),
            ("matcher.sign_threshold", m.sign_threshold),
            ("matcher.urgent_threshold", m.urgent_threshold),
            ("matcher.head_balance", m.head_balance),
            ("matcher.auto_agreement_below", m.auto_agreement_below),
            ("matcher.sign_balance", m.sign_balance),
            ("autoreply.strict_answer", self.autoreply.strict_answer),
            ("autoreply.loose_answer", self.autoreply.loose_answer),
        ];
        for (key, v) in unit {
            if !(0.0..=1.0).contains(&v) || v.is_nan() {
                problems.push(format!("{key} must be between 0 and 1 (got {v})"));
            }
        }
        if m.ask_suggest > m.ask_answer {
            problems.push(format!(
                "matcher.ask_suggest ({}) must not be above matcher.ask_answer ({})",
                m.ask_suggest, m.ask_answer
            ));
        }
        if !(self.autoreply.loose_answer <= m.auto_answer
            && m.auto_answer <= self.autoreply.strict_answer)
        {
            problems.push(format!(
                "autoreply.loose_answer ({}) <= matcher.auto_answer ({}) <= autoreply.strict_answer ({}) must hold",
                self.autoreply.loose_answer, m.auto_answer, self.autoreply.strict_answer
            ));
        }
        if !(1..=3650).contains(&self.autoreply.unanswered_keep_days) {
            problems.push(format!(
                "autoreply.unanswered_keep_days must be between 1 and 3650 (got {})",
                self.autoreply.unanswered_keep_days
            ));
        }
        if !(1..=5).contains(&m.max_suggestions) {
            problems.push(format!(
                "matcher.max_suggestions must be between 1 and 5, the buttons Discord fits in a row (got {})",
                m.max_suggestions
            ));
        }
        if !(200..=DISCORD_MESSAGE_LIMIT).contains(&self.reply.max_chars) {
            problems.push(format!(
                "reply.max_chars must be between 200 and {DISCORD_MESSAGE_LIMIT} (got {})",
                self.reply.max_chars
            ));
        }
        let number = self.reply.emergency_number.trim();
        if number.is_empty()
            || number.chars().count() > 40
            || !number.chars().any(|c| c.is_ascii_digit())
        {
            problems.push(format!(
                "reply.emergency_number must be a short phone number such as \"999\" or \"999 / 112\" (got `{}`)",
                self.reply.emergency_number
            ));
        }
        if self.reply.fallback_entry.trim().is_empty() {
            problems.push("reply.fallback_entry must name a knowledge entry".into());
        }
        if let Some(base) = &self.discord.api_base {
            if !(base.starts_with("http://") || base.starts_with("https://")) || base.ends_with('/')
            {
                problems.push(format!(
                    "discord.api_base must be a URL like http://127.0.0.1:8080, with no trailing slash (got `{base}`)"
                ));
            }
        }
        if self.knowledge_dir.as_os_str().is_empty() {
            problems.push("knowledge_dir must not be empty".into());
        }
        if self.model_dir.as_os_str().is_empty() {
            problems.push("model_dir must not be empty".into());
        }
        if !(1..=100_000).contains(&self.discord.max_waiting_questions) {
            problems.push(format!(
                "discord.max_waiting_questions must be between 1 and 100000 (got {})",
                self.discord.max_waiting_questions
            ));
        }
        if !(1..=5000).contains(&m.train_epochs) {
            problems.push(format!(
                "matcher.train_epochs must be between 1 and 5000 (got {})",
                m.train_epochs
            ));
        }
        if !(m.train_learning_rate > 0.0 && m.train_learning_rate <= 1.0) {
            problems.push(format!(
                "matcher.train_learning_rate must be above 0 and at most 1 (got {})",
                m.train_learning_rate
            ));
        }
        if !(0.0..=1.0).contains(&m.train_l2) {
            problems.push(format!(
                "matcher.train_l2 must be between 0 and 1 (got {})",
                m.train_l2
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Finds a relative path: in the working directory first, then beside the executable's
/// ancestors (a binary in `target/release` run from elsewhere), then in the source checkout it
/// was built from. Absolute paths, and paths found nowhere, are returned as given (`None` for
/// the latter), so that the error names the path the operator wrote.
fn locate(path: &Path) -> Option<PathBuf> {
    if path.is_absolute() || path.exists() {
        return path.exists().then(|| path.to_path_buf());
    }
    let beside_exe = std::env::current_exe().ok().and_then(|exe| {
        exe.ancestors()
            .skip(1)
            .map(|d| d.join(path))
            .find(|p| p.exists())
    });
    beside_exe.or_else(|| {
        let built = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        built.exists().then_some(built)
    })
}
