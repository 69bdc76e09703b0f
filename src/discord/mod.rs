//! The Discord adapter's router: builds the serenity client (with poise for commands), routes
//! events to small handlers, and runs until a shutdown future resolves. It only translates
//! between Discord and the engine; every decision lives in the pure core.
//!
//! - [`commands`]: member commands (`/ask`, `/topic`, `/topics`, `/about`, the context menu).
//! - [`moderation`]: `/autoreply ...` and `/faq stats`, behind one moderator check.
//! - [`messages`]: channel messages (auto replies) and the feedback buttons.
//! - [`pipeline`]: the auto-reply decision's inputs, gathered for messages and `/autoreply test`.
//! - [`outgoing`]: what every reply is sent with: no mentions, length caps, typed button ids.
//! - [`pages`]: lists too long for one message, shown a page at a time with Prev / Next.
//! - `registration`: command registration, skipped when nothing changed.
//! - [`health`]: the heartbeat file and the `health` check.

pub mod commands;
pub mod health;
pub mod messages;
pub mod moderation;
pub mod outgoing;
pub mod pages;
pub mod pipeline;
mod registration;
mod state;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;

pub use health::{health, heartbeat_path, HEARTBEAT_EVERY, HEARTBEAT_MAX_AGE};
pub use state::{BotState, Token};

pub type Error = anyhow::Error;

/// A problem that restarting cannot fix (bad token, refused intents): `main` exits with
/// [`Fatal::EXIT_CODE`] so that systemd's `RestartPreventExitStatus` stops a restart loop.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Fatal(pub String);

impl Fatal {
    /// EX_CONFIG from sysexits.h.
    pub const EXIT_CODE: u8 = 78;
}
pub type Context<'a> = poise::Context<'a, Arc<BotState>, Error>;

/// How long shards get to close after SIGTERM or Ctrl-C.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The gateway intents the bot asks for: guilds (channels and threads, for the thread parent
/// lookup), and server messages with their content for auto replies. Slash commands and
/// buttons arrive as interactions and need no intent. Message content is privileged: if
/// Discord refuses it, [`run`] carries on with [`slash_only_intents`].
pub fn intents() -> serenity::GatewayIntents {
    serenity::GatewayIntents::GUILDS
        | serenity::GatewayIntents::GUILD_MESSAGES
        | serenity::GatewayIntents::MESSAGE_CONTENT
}

/// What the bot needs without auto replies.
pub fn slash_only_intents() -> serenity::GatewayIntents {
    serenity::GatewayIntents::GUILDS
}

/// Builds the client from the configuration; `main` and the tests both use it. With
/// `discord.api_base` set (tests), REST goes to that base URL and the gateway URL is whatever it
/// answers for `GET /gateway`.
pub async fn build_client(
    config: &crate::Config,
    token: &Token,
    state: Arc<BotState>,
    intents: serenity::GatewayIntents,
) -> anyhow::Result<serenity::Client> {
    let http = http_client(config, token);
    let setup_state = state.clone();
    let setup_config = config.clone();
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: all_commands(),
            allowed_mentions: Some(outgoing::no_mentions()),
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            on_error: |error| Box::pin(on_error(error)),
            ..Default::default()
        })
        // Owners are only used by owner-only commands, which the bot has none of.
        .initialize_owners(false)
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
                // Registration is a REST round trip (longer when Discord is slow), and nothing
                // is handled until setup returns: run it beside the bot, not before it. Discord
                // already knows the commands registered last time.
                let defs = poise::builtins::create_application_commands(&framework.options().commands);
                let (ctx, application) = (ctx.clone(), ready.application.id);
                tokio::spawn(async move {
                    registration::register_commands(&ctx, &setup_config, application, defs).await;
                });
                Ok(setup_state)
            })
        })
        .build();

    // The bot reads no message history and no member lists: keep the cache to guilds and
    // channels (for permission checks) and nothing else.
    let mut cache = serenity::cache::Settings::default();
    cache.max_messages = 0;
    cache.cache_users = false;
    let client = serenity::ClientBuilder::new_with_http(http, intents)
        .framework(ReadyGate::new(framework))
        .cache_settings(cache)
        .await?;
    Ok(client)
}

/// Holds events back until the framework's setup has run, then lets them through at once.
/// Serenity dispatches every event in its own task, so an interaction can reach poise before
/// READY's setup has set the bot's state; poise then polls for the state every 100 ms, and
/// about half of the first interactions after a (re)start waited that long. Here they wait on a
/// signal instead, set the moment READY has been handled.
struct ReadyGate {
    inner: poise::Framework<Arc<BotState>, Error>,
    ready: tokio::sync::watch::Sender<bool>,
}

impl ReadyGate {
    fn new(inner: poise::Framework<Arc<BotState>, Error>) -> ReadyGate {
        ReadyGate {
            inner,
            ready: tokio::sync::watch::channel(false).0,
        }
    }
}

#[serenity::async_trait]
impl serenity::Framework for ReadyGate {
    async fn init(&mut self, client: &serenity::Client) {
        self.inner.init(client).await;
    }

    async fn dispatch(&self, ctx: serenity::Context, event: serenity::FullEvent) {
        if matches!(event, serenity::FullEvent::Ready { .. }) {
            // poise runs setup (once) on the first READY, then the event handlers.
            self.inner.dispatch(ctx, event).await;
            self.ready.send_replace(true);
            return;
        }
        // Our setup cannot fail, so the flag is set once READY arrives; until then, wait.
        let _ = self.ready.subscribe().wait_for(|ready| *ready).await;
        self.inner.dispatch(ctx, event).await;
    }
}

fn http_client(config: &crate::Config, token: &Token) -> serenity::Http {
    let mut http = serenity::HttpBuilder::new(token.expose());
    if let Some(base) = &config.discord.api_base {
        // serenity ignores the proxy while its ratelimiter is on.
        http = http.proxy(base.clone()).ratelimiter_disabled(true);
    }
    http.build()
}

/// Checks the token with one REST call before connecting, so that a wrong token gives one
/// clear line instead of a gateway reconnect loop.
pub async fn check_token(config: &crate::Config, token: &Token) -> anyhow::Result<String> {
    let http = http_client(config, token);
    match http.get_current_user().await {
        Ok(user) => Ok(user.name.clone()),
        Err(serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(resp)))
            if resp.status_code.as_u16() == 401 =>
        {
            Err(Fatal(
                "Discord rejected the token (401 Unauthorized): check DISCORD_TOKEN or discord.token_file".into(),
            )
            .into())
        }
        Err(e) => Err(anyhow::anyhow!(
            "could not reach Discord to check the token: {e}"
        )),
    }
}

/// Runs the bot until `shutdown` resolves, then closes the shards within [`SHUTDOWN_GRACE`].
/// If Discord refuses the message-content intent (close code 4014), logs one line saying how to
/// enable it and carries on with slash commands only.
pub async fn run(
    config: &crate::Config,
    token: &Token,
    state: Arc<BotState>,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    check_token(config, token).await?;
    tracing::info!(
        entries = state.engine().knowledge().entries.len(),
        knowledge = %config.knowledge_dir.display(),
        "knowledge loaded"
    );
    // The shutdown future is awaited once; each client generation watches this flag.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let watcher = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
        // Keep the sender alive: the client generation sees the flag and returns.
        std::future::pending::<()>().await
    };
    let bot = async {
        let mut intents = intents();
        loop {
            let result = run_client(config, token, state.clone(), intents, stop_rx.clone()).await;
            let refused = matches!(
                result
                    .as_ref()
                    .err()
                    .and_then(|e| e.downcast_ref::<serenity::Error>()),
                Some(serenity::Error::Gateway(
                    serenity::GatewayError::DisallowedGatewayIntents
                ))
            );
            match result {
                Err(_)
                    if refused && intents.contains(serenity::GatewayIntents::MESSAGE_CONTENT) =>
                {
                    tracing::error!(
                        "Discord refused the Message Content intent (close code 4014), so auto replies are off. \
                         To turn them on: Discord developer portal > your application > Bot > Privileged Gateway \
                         Intents > enable \"Message Content Intent\", then restart the bot. Slash commands keep working."
                    );
                    intents = slash_only_intents();
                }
                Err(e) => {
                    return Err(match e.downcast::<serenity::Error>() {
                        Ok(start) => explain_start_error(start),
                        Err(other) => other,
                    })
                }
                Ok(()) => return Ok(()),
            }
        }
    };
    // The watcher never finishes: it only flips the flag the clients watch.
    tokio::select! {
        r = bot => r,
        () = watcher => unreachable!("the shutdown watcher never returns"),
    }
}

/// One client generation: connect with `intents`, run until it stops or `stop` flips.
async fn run_client(
    config: &crate::Config,
    token: &Token,
    state: Arc<BotState>,
    intents: serenity::GatewayIntents,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut client = build_client(config, token, state, intents).await?;
    let manager = client.shard_manager.clone();
    let heartbeat = tokio::spawn(health::heartbeat_loop(
        manager.clone(),
        config.data_dir.clone(),
    ));
    let start = client.start();
    tokio::pin!(start);
    let result = tokio::select! {
        r = &mut start => r,
        // `is_ok()` drops the watch guard at once: it must not live across an await.
        _ = async { stop.wait_for(|s| *s).await.is_ok() } => {
            tracing::info!("shutting down");
            let closed = tokio::time::timeout(SHUTDOWN_GRACE, async {
                manager.shutdown_all().await;
                let _ = (&mut start).await;
            })
            .await;
            if closed.is_err() {
                tracing::warn!("shards did not close within {SHUTDOWN_GRACE:?}; exiting anyway");
            }
            Ok(())
        }
    };
    heartbeat.abort();
    let _ = std::fs::remove_file(heartbeat_path(&config.data_dir));
    Ok(result?)
}

fn explain_start_error(e: serenity::Error) -> anyhow::Error {
    match e {
        serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication) => {
            anyhow::anyhow!("Discord rejected the token at the gateway: check DISCORD_TOKEN")
        }
        serenity::Error::Gateway(serenity::GatewayError::DisallowedGatewayIntents) => {
            anyhow::anyhow!(
            "Discord refused the gateway intents (close code 4014): enable them for the bot in \
             the developer portal (Bot > Privileged Gateway Intents)"
        )
        }
        other => anyhow::anyhow!("Discord client stopped: {other}"),
    }
}

/// Every command the bot registers.
pub fn all_commands() -> Vec<poise::Command<Arc<BotState>, Error>> {
    vec![
        commands::ask(),
        commands::topic(),
        commands::topics(),
        commands::about(),
        commands::ask_about_message(),
        moderation::autoreply(),
        moderation::faq(),
    ]
}

async fn on_event(
    framework: poise::FrameworkContext<'_, Arc<BotState>, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    match event {
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(component),
        } => on_button(framework, component).await?,
        serenity::FullEvent::Message { new_message } => {
            messages::on_message(
                framework.serenity_context,
                framework.user_data,
                framework.bot_id(),
                new_message,
            )
            .await?;
        }
        serenity::FullEvent::Resume { .. } => tracing::info!("gateway session resumed"),
        serenity::FullEvent::ShardsReady { total_shards } => {
            tracing::info!(total_shards, "shards ready")
        }
        _ => {}
    }
    Ok(())
}

/// A button press, routed by its typed custom id; ids the bot did not make are ignored.
async fn on_button(
    framework: poise::FrameworkContext<'_, Arc<BotState>, Error>,
    component: &serenity::ComponentInteraction,
) -> Result<(), Error> {
    let (ctx, state) = (framework.serenity_context, framework.user_data);
    match outgoing::ButtonId::parse(&component.data.custom_id) {
        Some(outgoing::ButtonId::Show(entry)) => {
            commands::on_show_button(ctx, state, component, &entry).await
        }
        Some(outgoing::ButtonId::Vote(entry, vote)) => {
            messages::on_vote_button(ctx, state, component, &entry, vote).await
        }
        Some(outgoing::ButtonId::Sources(entry)) => {
            commands::on_sources_button(ctx, state, component, &entry).await
        }
        Some(outgoing::ButtonId::Page { list, page }) => match list {
            outgoing::PagedList::Topics => {
                commands::on_topics_page(ctx, state, component, page).await
            }
            outgoing::PagedList::Stats => {
                moderation::on_stats_page(ctx, state, component, page).await
            }
        },
        None => Ok(()),
    }
}

/// What a member is told when a command fails for a reason that is not theirs.
const SOMETHING_WRONG: &str =
    "Sorry, something went wrong answering that. Please try again in a moment.";

/// One handler for every error: a log line for the operator, a short private note for the
/// member.
async fn on_error(error: poise::FrameworkError<'_, Arc<BotState>, Error>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().name, "command failed: {error:#}");
            // A store failure (disk full, database locked or damaged) is worth telling the
            // moderator as it is: the change was not saved.
            let text = match error.downcast_ref::<crate::settings::StoreError>() {
                Some(e) => format!("Sorry, that couldn't be saved, so nothing changed: {e}"),
                None => SOMETHING_WRONG.to_string(),
            };
            let _ = outgoing::private(ctx, text).await;
        }
        // A check that said no has already told the member why and logged it; poise's own
        // handler would log it again as an error.
        poise::FrameworkError::CommandCheckFailed { error: None, .. } => {}
        // A check that failed (its refusal could not be sent): the same as a failed command.
        poise::FrameworkError::CommandCheckFailed {
            error: Some(error),
            ctx,
            ..
        } => {
            tracing::error!(command = %ctx.command().name, "command check failed: {error:#}");
            let _ = outgoing::private(ctx, SOMETHING_WRONG).await;
        }
        poise::FrameworkError::EventHandler { error, .. } => {
            tracing::error!("event handler failed: {error:#}");
        }
        poise::FrameworkError::Setup { error, .. } => {
            tracing::error!("setup failed: {error:#}");
        }
        other => {
            if let Err(e) = poise::builtins::on_error(other).await {
                tracing::error!("error while handling an error: {e}");
            }
        }
    }
}
