//! The `runclub-bot` binary: parses arguments and calls into the library.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    init_logging();
    match run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    // Logs go to stderr: stdout carries answers (and the JSON batch contract).
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut config = Config::load(args.config.as_deref())?;
    match args.command {
        Command::Ask {
            json,
            auto,
            knowledge,
            question,
        } => {
            if let Some(dir) = knowledge {
                config.knowledge_dir = dir;
            }
            let engine = runclub_bot::load_engine(&config)?;
            let mode = if auto { Mode::Auto } else { Mode::Ask };
            let question = (!question.is_empty()).then(|| question.join(" "));
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            cli::ask(
                &engine,
                mode,
                json,
                question.as_deref(),
                &mut stdin.lock(),
                &mut stdout.lock(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { knowledge } => {
            let dir = knowledge.unwrap_or(config.knowledge_dir);
            let ok = cli::check(&dir, &mut std::io::stdout().lock())?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
    }
}
