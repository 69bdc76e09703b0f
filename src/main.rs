//! The `runclub-bot` binary: parses arguments and calls into the library.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use runclub_bot::config::LogFormat;
use runclub_bot::discord::{self, BotState, Token};
use runclub_bot::{cli, Config, Mode};

#[derive(Parser)]
#[command(
    name = "runclub-bot",
    version,
    about = "An evidence-based FAQ bot for running clubs"
)]
struct Args {
    /// Configuration file (default: $RUNCLUB_CONFIG, then config/runclub-bot.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the Discord bot (token from DISCORD_TOKEN or discord.token_file).
    Run,
    /// Answer a question as the bot would, without Discord.
    Ask {
        /// Print one JSON object per question (the batch contract).
        #[arg(long)]
        json: bool,
        /// Decide as an automatic reply in a channel, not as a direct question.
        #[arg(long)]
        auto: bool,
        /// Knowledge directory (overrides the configuration).
        #[arg(long)]
        knowledge: Option<PathBuf>,
        /// The question; without it, questions are read from stdin, one per line.
        question: Vec<String>,
    },
    /// Validate the knowledge files and report every problem.
    Check {
        /// Knowledge directory (overrides the configuration).
        #[arg(long)]
        knowledge: Option<PathBuf>,
        /// Also embed every example into this directory: the seed cache an image or an
        /// install ships (RUNCLUB_SEED_CACHE_DIR), so that a fresh start needn't embed them.
        #[arg(long)]
        seed_cache: Option<PathBuf>,
    },
    /// Exit 0 if the running bot's heartbeat is recent and connected (Docker HEALTHCHECK).
    Health,
    /// Cross-validate the engine over the knowledge's own examples (the figure to improve),
    /// and score a labelled message file (such as the public evaluation set) alongside.
    Eval {
        /// Number of folds.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Score only this fold (0-based): for an encoder fine-tuned without it
        /// (`models/finetune.py --exclude-fold`).
        #[arg(long)]
        only_fold: Option<usize>,
        /// A labelled message file (JSON lines with kind, text and must) to score as well.
        #[arg(long)]
        public: Option<PathBuf>,
        /// A safety set (`kind<TAB>text` lines: emergency, urgent, physio, look_alike,
        /// health_question, ordinary) to score per kind, in ask and auto mode.
        #[arg(long)]
        safety: Option<PathBuf>,
        /// A held-out set (`kind<TAB>label<TAB>text` lines: on_topic with the entry id, or
        /// chatter / out_of_scope with `none`), scored for short messages and long posts apart.
        #[arg(long)]
        held_out: Option<PathBuf>,
        /// Print up to this many held-out examples the engine got wrong.
        #[arg(long, default_value_t = 0)]
        failures: usize,
        /// Knowledge directory (overrides the configuration).
        #[arg(long)]
        knowledge: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let config = match Config::load(args.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(runclub_bot::StartupError::from(e).exit_code());
        }
    };
    init_logging(&config, matches!(args.command, Command::Run));
    match run(args.command, config) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            // Problems a restart won't fix (config, knowledge, model, token) exit with
            // EX_CONFIG: systemd's unit stops retrying on it; Docker gives up only after the
            // count in `--restart on-failure:N` (its policies ignore the status).
            let code = if let Some(s) = e.downcast_ref::<runclub_bot::StartupError>() {
                s.exit_code()
            } else if e.downcast_ref::<discord::Fatal>().is_some() {
                discord::Fatal::EXIT_CODE
            } else {
                1
            };
            ExitCode::from(code)
        }
    }
}

fn init_logging(config: &Config, bot: bool) {
    // Logs go to stderr: stdout carries answers (and the JSON batch contract).
    let default = if bot {
        "runclub_bot=info,serenity=warn,poise=warn,warn"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colours only for a person at a terminal: `docker logs` and journald show escape codes.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Plain => builder.init(),
    }
}

fn run(command: Command, mut config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Ask {
            json,
            auto,
            knowledge,
            question,
        } => {
            if let Some(dir) = knowledge {
                config.knowledge_dir = dir;
            }
            let embedder = runclub_bot::load_embedder(&config)?;
            let engine = runclub_bot::load_engine(&config, &embedder)?;
            let mode = if auto { engine.auto() } else { Mode::Ask };
            let question = (!question.is_empty()).then(|| question.join(" "));
            cli::ask(
                &engine,
                mode,
                json,
                question.as_deref(),
                &mut std::io::stdin().lock(),
                &mut std::io::stdout().lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            knowledge,
            seed_cache,
        } => {
            if let Some(dir) = knowledge {
                config.knowledge_dir = dir;
            }
            let dir = &config.knowledge_dir;
            let ok = cli::check(dir, &config.model_dir, &mut std::io::stdout().lock())?;
            if !ok {
                return Ok(ExitCode::FAILURE);
            }
            if let Some(seed) = seed_cache {
                // The engine embeds exactly what it will look up at start-up.
                config.cache_dir = Some(seed.clone());
                config.seed_cache_dir = None;
                let embedder = runclub_bot::load_embedder(&config)?;
                let engine = runclub_bot::load_engine(&config, &embedder)?;
                println!(
                    "seed cache: the examples of {} entries embedded in {}",
                    engine.knowledge().entries.len(),
                    seed.display()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Eval {
            folds,
            only_fold,
            public,
            safety,
            held_out,
            failures,
            knowledge,
        } => {
            if let Some(dir) = knowledge {
                config.knowledge_dir = dir;
            }
            let embedder = runclub_bot::load_embedder(&config)?;
            let options = cli::EvalOptions {
                folds,
                only_fold,
                public: public.as_deref(),
                safety: safety.as_deref(),
                held_out: held_out.as_deref(),
                failures,
            };
            cli::eval(&config, &embedder, &options, &mut std::io::stdout().lock())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Health => match discord::health(&config.data_dir) {
            Ok(status) => {
                println!("healthy: {status}");
                Ok(ExitCode::SUCCESS)
            }
            Err(why) => {
                println!("unhealthy: {why}");
                Ok(ExitCode::FAILURE)
            }
        },
        Command::Run => {
            // Everything is loaded and validated before connecting: a bad knowledge file or a
            // missing token is reported now, not after the bot is online.
            if let Some(problem) = runclub_bot::data_dir_problem(&config.data_dir) {
                // It still answers, but settings, statistics and the heartbeat (the health
                // check) need the directory: say why once, plainly, before anything else.
                tracing::error!("{problem}");
            }
            let embedder = runclub_bot::load_embedder(&config)?;
            let engine = runclub_bot::load_engine(&config, &embedder)?;
            let token =
                Token::from_env_or_file(&config).map_err(|e| discord::Fatal(format!("{e:#}")))?;
            let state = Arc::new(BotState::new(engine, config.clone()));
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                tokio::spawn(reload_on_sighup(state.clone()));
                discord::run(&config, &token, state, shutdown_signal()).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// SIGHUP re-reads the knowledge; a failed reload keeps the old knowledge and logs why.
async fn reload_on_sighup(state: Arc<BotState>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; knowledge reload disabled");
            return;
        };
        while hup.recv().await.is_some() {
            // Embedding new examples takes seconds: off the runtime, so answers carry on.
            let s = state.clone();
            match tokio::task::spawn_blocking(move || s.reload()).await {
                Ok(Ok(entries)) => tracing::info!(entries, "knowledge reloaded"),
                Ok(Err(e)) => tracing::error!(
                    "knowledge reload failed; keeping the previous knowledge: {e:#}"
                ),
                Err(e) => tracing::error!("knowledge reload panicked: {e}"),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = state;
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = term => tracing::info!("SIGTERM received"),
    }
}
