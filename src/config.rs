//! One [`Config`], read from a TOML file and the environment, validated before anything starts.
//!
//! Lookup order for the file: `--config PATH`, then `$RUNCLUB_CONFIG`, then
//! `config/runclub-bot.toml` if it exists; without a file every default applies, so a fresh clone
//! works as it is. Relative paths are taken from the working directory. Every bad value is
//! reported with its key (`ask.answer must be ...`), all at once.

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
    /// A read-only cache built with the install (the Docker image has one), read for what
    /// `cache_dir` lacks: a fresh container answers within seconds instead of embedding every
    /// example first.
    pub seed_cache_dir: Option<PathBuf>,
    pub matcher: LexicalConfig,
    pub head: HeadConfig,
    pub detector: DetectorConfig,
    pub training: TrainingConfig,
    pub ask: AskConfig,
    pub auto: AutoConfig,
    pub reply: ReplyConfig,
    pub discord: DiscordConfig,
    pub autoreply: AutoReplyConfig,
    pub log: LogConfig,
}

/// What a server's `/autoreply sensitivity` maps to (normal is `auto.answer`), and how
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

/// Everything the engine reads, grouped by concern. Each group is a section of the file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EngineConfig {
    pub matcher: LexicalConfig,
    pub head: HeadConfig,
    pub detector: DetectorConfig,
    pub training: TrainingConfig,
    pub ask: AskConfig,
    pub auto: AutoConfig,
}

/// `[matcher]`: the lexical matcher's blend, and how its score is calibrated into a confidence.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LexicalConfig {
    /// Weight of the closest-example-question similarity in the score (the rest is coverage).
    pub phrasing_weight: f32,
    /// Weight of a word the knowledge never uses, relative to the rarest word it does use.
    pub unknown_word_weight: f32,
    /// Confidence multiplier when the message names none of the topic terms.
    pub off_topic_factor: f32,
    /// Confidence multiplier when the message names a subject the knowledge does not cover.
    pub out_of_scope_factor: f32,
}

/// `[head]`: the trained head over the sentence embedding (one class per entry and "none").
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeadConfig {
    /// Weight of the head's probability in the fused score (the rest is lexical).
    pub weight: f32,
    /// Class balancing (0 none, 1 full).
    pub balance: f32,
}

/// `[detector]`: the learnt warning-sign detector.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DetectorConfig {
    /// Escalate (physio tier) when the probability of any warning sign reaches this.
    pub sign_threshold: f32,
    /// Give emergency or urgent advice when the probability of those two tiers together
    /// reaches this (lower: a missed emergency costs more than a false alarm).
    pub urgent_threshold: f32,
    /// Class balancing (0 none, 1 full): ordinary examples outnumber each tier.
    pub balance: f32,
    /// An explicit emergency or urgent rule is overruled when the detector gives "no warning
    /// sign" more than this probability (1.0: rules are never overruled).
    pub rule_veto: f32,
    /// The same for the physio signs' phrases ("for three years", "came back" in a story that
    /// describes no pain of the member's own).
    pub sign_veto: f32,
}

/// `[training]`: how the head and the detector are trained at load (full-batch Adam).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrainingConfig {
    pub epochs: usize,
    pub learning_rate: f64,
    pub l2: f64,
}

/// `[ask]`: the decision when a member asks the bot.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AskConfig {
    /// Answer at or above this confidence.
    pub answer: f32,
    /// Offer "did you mean" entries at or above this confidence.
    pub suggest: f32,
    /// How many "did you mean" entries at most (Discord shows them as buttons).
    pub max_suggestions: usize,
    /// Decline when the head gives "none of our answers" at least this probability.
    pub none_max: f32,
    /// Confidence multiplier when the message does not read as a question.
    pub not_a_question_factor: f32,
}

/// `[auto]`: the decision when the bot reads a channel and speaks on its own.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoConfig {
    /// Reply only at or above this confidence (a server's `normal` sensitivity).
    pub answer: f32,
    /// The best entry must beat the runner-up by this much.
    pub margin: f32,
    /// Stay silent when the head gives "none of our answers" at least this.
    pub none_max: f32,
    /// The message must name one of the lexicon's topic terms.
    pub requires_topic: bool,
    /// Below this confidence, the head and the lexical matcher must rank the same entry first
    /// (1 always, 0 never).
    pub agreement_below: f32,
    /// Answer a possible emergency or urgent injury with the safety reply even when it is not
    /// about our topics.
    pub safety: bool,
    /// The detector's probability of emergency or urgent (together) from which a safety reply
    /// is posted unasked: higher than `detector.urgent_threshold`, since a false "call 999" in
    /// club chat costs the bot its place. The explicit rules still speak below it.
    pub safety_threshold: f32,
    /// As `detector.rule_veto`, for safety replies posted unasked: an explicit emergency or
    /// urgent rule speaks in a channel only when the detector is not this sure that nothing is
    /// described. (The physio signs keep `detector.sign_veto`.)
    pub rule_veto: f32,
}

impl TrainingConfig {
    /// How a classifier is trained, with its class balance.
    pub fn with_balance(&self, balance: f32) -> crate::classifier::TrainConfig {
        crate::classifier::TrainConfig {
            epochs: self.epochs,
            learning_rate: self.learning_rate,
            l2: self.l2,
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

    /// The bot's own cache and the seed beside it, as the embedding cache reads them.
    pub fn caches(&self) -> crate::semantic::Caches {
        crate::semantic::Caches {
            own: Some(self.cache_dir()),
            seed: self.seed_cache_dir.clone(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            knowledge_dir: PathBuf::from("knowledge"),
            data_dir: PathBuf::from("data"),
            model_dir: PathBuf::from("models/runclub-minilm"),
            cache_dir: None,
            seed_cache_dir: None,
            matcher: LexicalConfig::default(),
            head: HeadConfig::default(),
            detector: DetectorConfig::default(),
            training: TrainingConfig::default(),
            ask: AskConfig::default(),
            auto: AutoConfig::default(),
            reply: ReplyConfig::default(),
            discord: DiscordConfig::default(),
            autoreply: AutoReplyConfig::default(),
            log: LogConfig::default(),
        }
    }
}

impl Default for LexicalConfig {
    fn default() -> Self {
        LexicalConfig {
            phrasing_weight: 0.6,
            unknown_word_weight: 0.6,
            off_topic_factor: 0.5,
            out_of_scope_factor: 0.4,
        }
    }
}

impl Default for HeadConfig {
    fn default() -> Self {
        HeadConfig {
            weight: 0.6,
            balance: 1.0,
        }
    }
}

impl Default for DetectorConfig {
    fn default() -> Self {
        DetectorConfig {
            sign_threshold: 0.85,
            urgent_threshold: 0.8,
            balance: 1.0,
            rule_veto: 0.99,
            sign_veto: 0.999,
        }
    }
}

impl Default for TrainingConfig {
    fn default() -> Self {
        TrainingConfig {
            epochs: 400,
            learning_rate: 0.05,
            l2: 1e-3,
        }
    }
}

impl Default for AskConfig {
    fn default() -> Self {
        AskConfig {
            answer: 0.35,
            suggest: 0.22,
            max_suggestions: 3,
            none_max: 0.5,
            not_a_question_factor: 0.6,
        }
    }
}

impl Default for AutoConfig {
    fn default() -> Self {
        AutoConfig {
            answer: 0.50,
            margin: 0.05,
            none_max: 0.3,
            requires_topic: true,
            agreement_below: 0.65,
            safety: true,
            safety_threshold: 0.95,
            rule_veto: 0.95,
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
    /// `DISCORD_API_BASE`, `RUNCLUB_MODEL_DIR`, `RUNCLUB_CACHE_DIR` and `RUNCLUB_SEED_CACHE_DIR`.
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
        if let Some(dir) = std::env::var_os("RUNCLUB_SEED_CACHE_DIR") {
            config.seed_cache_dir = Some(dir.into());
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

    /// Parses TOML text; `path` only names the file in errors. A key from before the engine's
    /// settings were grouped (`matcher.ask_answer`) is named with where it lives now.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let error = |message: String| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        };
        let moved: Vec<String> = match toml::from_str::<toml::Table>(text) {
            Ok(table) => table
                .get("matcher")
                .and_then(toml::Value::as_table)
                .into_iter()
                .flat_map(|m| m.keys())
                .filter_map(|k| {
                    MOVED_KEYS
                        .iter()
                        .find(|(old, _)| old == k)
                        .map(|(old, new)| format!("matcher.{old} is now {new}"))
                })
                .collect(),
            Err(e) => return Err(error(e.to_string().trim_end().to_string())),
        };
        if !moved.is_empty() {
            return Err(error(format!(
                "settings of the engine have moved to their own sections: {} (see config/runclub-bot.toml)",
                moved.join("; ")
            )));
        }
        toml::from_str(text).map_err(|e| error(e.to_string().trim_end().to_string()))
    }

    /// The engine's settings, grouped.
    pub fn engine(&self) -> EngineConfig {
        EngineConfig {
            matcher: self.matcher.clone(),
            head: self.head.clone(),
            detector: self.detector.clone(),
            training: self.training.clone(),
            ask: self.ask.clone(),
            auto: self.auto.clone(),
        }
    }

    /// Every out-of-range value, each named by its key. The checks run in a fixed order, so the
    /// list reads the same from one start to the next.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        self.check_fractions(&mut problems);
        self.check_threshold_order(&mut problems);
        self.check_sizes(&mut problems);
        self.check_reply_texts(&mut problems);
        self.check_locations(&mut problems);
        self.check_waiting_questions(&mut problems);
        self.check_training(&mut problems);
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Thresholds, weights, factors and balances of every section: each is a fraction.
    fn check_fractions(&self, problems: &mut Vec<String>) {
        let (m, ask, auto) = (&self.matcher, &self.ask, &self.auto);
        let (head, detector) = (&self.head, &self.detector);
        let unit = [
            ("ask.answer", ask.answer),
            ("ask.suggest", ask.suggest),
            ("ask.none_max", ask.none_max),
            ("ask.not_a_question_factor", ask.not_a_question_factor),
            ("auto.answer", auto.answer),
            ("auto.margin", auto.margin),
            ("auto.none_max", auto.none_max),
            ("auto.agreement_below", auto.agreement_below),
            ("auto.safety_threshold", auto.safety_threshold),
            ("auto.rule_veto", auto.rule_veto),
            ("matcher.phrasing_weight", m.phrasing_weight),
            ("matcher.unknown_word_weight", m.unknown_word_weight),
            ("matcher.off_topic_factor", m.off_topic_factor),
            ("matcher.out_of_scope_factor", m.out_of_scope_factor),
            ("head.weight", head.weight),
            ("head.balance", head.balance),
            ("detector.sign_threshold", detector.sign_threshold),
            ("detector.urgent_threshold", detector.urgent_threshold),
            ("detector.balance", detector.balance),
            ("detector.rule_veto", detector.rule_veto),
            ("detector.sign_veto", detector.sign_veto),
            ("autoreply.strict_answer", self.autoreply.strict_answer),
            ("autoreply.loose_answer", self.autoreply.loose_answer),
        ];
        for (key, v) in unit {
            if !(0.0..=1.0).contains(&v) || v.is_nan() {
                problems.push(format!("{key} must be between 0 and 1 (got {v})"));
            }
        }
    }

    /// Thresholds that only make sense in order: a suggestion is a weaker answer, and a strict
    /// server needs more confidence than a normal one, a normal one more than a loose one.
    fn check_threshold_order(&self, problems: &mut Vec<String>) {
        let (ask, auto) = (&self.ask, &self.auto);
        if ask.suggest > ask.answer {
            problems.push(format!(
                "ask.suggest ({}) must not be above ask.answer ({})",
                ask.suggest, ask.answer
            ));
        }
        if !(self.autoreply.loose_answer <= auto.answer
            && auto.answer <= self.autoreply.strict_answer)
        {
            problems.push(format!(
                "autoreply.loose_answer ({}) <= auto.answer ({}) <= autoreply.strict_answer ({}) must hold",
                self.autoreply.loose_answer, auto.answer, self.autoreply.strict_answer
            ));
        }
    }

    /// How long and how many: days the unanswered questions are kept, suggestion buttons, and
    /// characters in a reply.
    fn check_sizes(&self, problems: &mut Vec<String>) {
        if !(1..=3650).contains(&self.autoreply.unanswered_keep_days) {
            problems.push(format!(
                "autoreply.unanswered_keep_days must be between 1 and 3650 (got {})",
                self.autoreply.unanswered_keep_days
            ));
        }
        if !(1..=5).contains(&self.ask.max_suggestions) {
            problems.push(format!(
                "ask.max_suggestions must be between 1 and 5, the buttons Discord fits in a row (got {})",
                self.ask.max_suggestions
            ));
        }
        if !(200..=DISCORD_MESSAGE_LIMIT).contains(&self.reply.max_chars) {
            problems.push(format!(
                "reply.max_chars must be between 200 and {DISCORD_MESSAGE_LIMIT} (got {})",
                self.reply.max_chars
            ));
        }
    }

    /// The texts a reply is built with: the emergency number members are told to call, and the
    /// entry that answers a warning sign nothing more specific matches.
    fn check_reply_texts(&self, problems: &mut Vec<String>) {
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
    }

    /// Where the bot finds things: the Discord API, the knowledge and the model.
    fn check_locations(&self, problems: &mut Vec<String>) {
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
    }

    /// The bound on questions waiting for the engine: at least one must be able to wait, and
    /// the bound itself is bounded, since every waiting question holds memory.
    fn check_waiting_questions(&self, problems: &mut Vec<String>) {
        if !(1..=100_000).contains(&self.discord.max_waiting_questions) {
            problems.push(format!(
                "discord.max_waiting_questions must be between 1 and 100000 (got {})",
                self.discord.max_waiting_questions
            ));
        }
    }

    /// How the trained parts learn at load: a bounded number of epochs, a usable learning
    /// rate, a regularisation that is a fraction.
    fn check_training(&self, problems: &mut Vec<String>) {
        let training = &self.training;
        if !(1..=5000).contains(&training.epochs) {
            problems.push(format!(
                "training.epochs must be between 1 and 5000 (got {})",
                training.epochs
            ));
        }
        if !(training.learning_rate > 0.0 && training.learning_rate <= 1.0) {
            problems.push(format!(
                "training.learning_rate must be above 0 and at most 1 (got {})",
                training.learning_rate
            ));
        }
        if !(0.0..=1.0).contains(&training.l2) {
            problems.push(format!(
                "training.l2 must be between 0 and 1 (got {})",
                training.l2
            ));
        }
    }
}

/// Keys of `[matcher]` before the engine's settings were grouped by concern, and where each
/// lives now: a config file written for an older version gets a clear error, not "unknown field".
const MOVED_KEYS: &[(&str, &str)] = &[
    ("ask_answer", "ask.answer"),
    ("ask_suggest", "ask.suggest"),
    ("max_suggestions", "ask.max_suggestions"),
    ("ask_none_max", "ask.none_max"),
    ("not_a_question_factor", "ask.not_a_question_factor"),
    ("auto_answer", "auto.answer"),
    ("auto_margin", "auto.margin"),
    ("auto_none_max", "auto.none_max"),
    ("auto_requires_topic", "auto.requires_topic"),
    ("auto_agreement_below", "auto.agreement_below"),
    ("auto_safety", "auto.safety"),
    ("head_weight", "head.weight"),
    ("head_balance", "head.balance"),
    ("sign_threshold", "detector.sign_threshold"),
    ("urgent_threshold", "detector.urgent_threshold"),
    ("sign_balance", "detector.balance"),
    ("train_epochs", "training.epochs"),
    ("train_learning_rate", "training.learning_rate"),
    ("train_l2", "training.l2"),
];

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
