//! Channel messages (auto replies) and the feedback buttons. The decision itself is
//! [`crate::autoreply::decide`]; this module only gathers the facts and carries it out.

use poise::serenity_prelude as serenity;
use tracing::Instrument;

use super::commands::no_mentions;
use super::{BotState, Error};
use crate::autoreply::{self, Decision, Incoming};
use crate::settings::Vote;

/// Custom-id prefix of the feedback buttons: `rcb:vote:<entry id>:<y|n>`.
pub const VOTE_PREFIX: &str = "rcb:vote:";

/// The "Helpful" / "Not helpful" row under an answer.
pub fn vote_buttons(entry_id: &str) -> serenity::CreateActionRow {
    serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(format!("{VOTE_PREFIX}{entry_id}:y"))
            .label("Helpful")
            .emoji('👍')
            .style(serenity::ButtonStyle::Secondary),
        serenity::CreateButton::new(format!("{VOTE_PREFIX}{entry_id}:n"))
            .label("Not helpful")
            .emoji('👎')
            .style(serenity::ButtonStyle::Secondary),
    ])
}

/// What the auto-reply pipeline needs to know about a message.
pub(crate) struct Facts<'a> {
    pub guild: u64,
    pub channel: serenity::ChannelId,
    pub author: u64,
    pub author_is_bot: bool,
    pub from_webhook: bool,
    pub from_self: bool,
    pub author_roles: &'a [u64],
    pub content: &'a str,
}

/// Whether a reply decided on starts the cooldowns (a real message) or not (`/autoreply test`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Claim {
    Yes,
    No,
}

/// The one auto-reply pipeline, run by every channel message and by `/autoreply test`, so the
/// test can never disagree with what the bot does: thread parent, threshold from the server's
/// sensitivity, guards, the engine's decision, cooldowns. With [`Claim::Yes`] a reply's
/// cooldowns are checked and claimed in one step under one lock: serenity runs events
/// concurrently, and two messages checked before either is recorded would both be answered.
pub(crate) async fn auto_decision(
    ctx: &serenity::Context,
    state: &BotState,
    settings: &crate::settings::GuildSettings,
    facts: &Facts<'_>,
    claim: Claim,
) -> (Decision, f32) {
    let channel = facts.channel.get();
    // Inside a thread, the bot looks at the thread's parent channel's settings.
    let parent = if settings.channels.contains(&channel) {
        None
    } else {
        thread_parent(ctx, state, facts.channel).await
    };
    let incoming = Incoming {
        guild: Some(facts.guild),
        channel,
        parent,
        author: facts.author,
        author_is_bot: facts.author_is_bot,
        from_webhook: facts.from_webhook,
        from_self: facts.from_self,
        author_roles: facts.author_roles,
        content: facts.content,
    };
    let engine = state.engine();
    let threshold = autoreply::threshold(
        &state.config.autoreply,
        state.config.matcher.auto_answer,
        settings.sensitivity,
    );
    let now = tokio::time::Instant::now().into_std();
    let mut cooldowns = state.cooldowns.lock().unwrap_or_else(|p| p.into_inner());
    let d = autoreply::decide(&incoming, settings, &engine, threshold, &cooldowns, now);
    if claim == Claim::Yes {
        if let Decision::Reply { entry, .. } | Decision::Shadow { entry, .. } = &d {
            cooldowns.record(facts.guild, channel, facts.author, entry, now);
        }
    }
    (d, threshold)
}

/// A member's message in a server channel: maybe an auto reply.
pub async fn on_message(
    ctx: &serenity::Context,
    state: &BotState,
    bot_id: serenity::UserId,
    msg: &serenity::Message,
) -> Result<(), Error> {
    // Cheap exits first: most messages are not for the bot, and these need no store.
    let Some(guild) = msg.guild_id else {
        return Ok(());
    };
    if msg.author.id == bot_id || msg.author.bot || msg.webhook_id.is_some() {
        return Ok(());
    }
    let Ok(store) = state.store() else {
        return Ok(());
    };
    let settings = store.settings(guild.get())?;
    if settings.channels.is_empty() {
        return Ok(());
    }
    let roles: Vec<u64> = msg
        .member
        .as_ref()
        .map(|m| m.roles.iter().map(|r| r.get()).collect())
        .unwrap_or_default();
    let facts = Facts {
        guild: guild.get(),
        channel: msg.channel_id,
        author: msg.author.id.get(),
        author_is_bot: msg.author.bot,
        from_webhook: msg.webhook_id.is_some(),
        from_self: msg.author.id == bot_id,
        author_roles: &roles,
        content: &msg.content,
    };
    let (decision, _) = auto_decision(ctx, state, &settings, &facts, Claim::Yes).await;
    let channel = msg.channel_id.get();
    let span = tracing::info_span!(
        "auto_reply",
        guild = guild.get(),
        channel,
        entry = tracing::field::Empty,
        score = tracing::field::Empty,
    );
    // A reply, or a shadow "would reply", names the entry in the span.
    let note = |entry: &str, score: f32| {
        tracing::Span::current()
            .record("entry", entry)
            .record("score", score);
    };
    async move {
        match decision {
            Decision::Reply { response, entry } => {
                // A replayed MESSAGE_CREATE (after a reconnect) must not get a second reply. A
                // store that can't say is no reason to leave a member unanswered.
                match store.claim_message(msg.id.get()) {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::debug!("already replied to this message");
                        return Ok(());
                    }
                    Err(e) => tracing::warn!("cannot record the reply, replying anyway: {e}"),
                }
                note(&entry, response.confidence);
                let reply = serenity::CreateMessage::new()
                    .content(response.text.clone())
                    .reference_message(msg)
                    .allowed_mentions(no_mentions());
                // Safety replies carry no feedback buttons: there is nothing to vote on.
                let reply = if response.answered() && !entry.starts_with("safety-") {
                    reply.components(vec![vote_buttons(&entry)])
                } else {
                    reply
                };
                if !send_with_retries(ctx, msg.channel_id, reply).await {
                    return Ok(());
                }
                tracing::info!(
                    tier = response.tier.map_or("none", |t| t.key()),
                    "auto replied"
                );
                // Bookkeeping after the reply and off its path: it never costs a member an answer.
                if !entry.starts_with("safety-") {
                    state.record_stat(crate::settings::StatEvent::Answered {
                        guild: guild.get(),
                        entry,
                    });
                }
            }
            Decision::Shadow { response, entry } => {
                note(&entry, response.confidence);
                store.record_shadow(guild.get(), channel, Some(&entry), response.confidence, true, "would reply")?;
                tracing::info!("shadow mode: would have replied");
            }
            Decision::Skip { reason, response } => {
                tracing::debug!(%reason, score = response.as_ref().map(|r| r.confidence), "no auto reply");
            }
        }
        Ok(())
    }
    .instrument(span)
    .await
}

/// Attempts at sending one auto reply, and the wait before the first retry (doubled each time).
const SEND_ATTEMPTS: u32 = 3;
const RETRY_AFTER: std::time::Duration = std::time::Duration::from_millis(250);

/// Sends a reply, retrying a bounded number of times, with backoff, when Discord fails on its
/// side (5xx) or the request never got an answer. Returns whether it went out; giving up is
/// logged once.
async fn send_with_retries(
    ctx: &serenity::Context,
    channel: serenity::ChannelId,
    reply: serenity::CreateMessage,
) -> bool {
    let mut wait = RETRY_AFTER;
    for attempt in 1..=SEND_ATTEMPTS {
        match channel.send_message(ctx, reply.clone()).await {
            Ok(_) => return true,
            Err(e) if attempt < SEND_ATTEMPTS && retryable(&e) => {
                tracing::debug!(attempt, "auto reply failed, retrying: {e}");
                tokio::time::sleep(wait).await;
                wait *= 2;
            }
            Err(e) => {
                tracing::warn!(attempt, "auto reply given up: {e}");
                return false;
            }
        }
    }
    false
}

/// Failures worth another try: Discord's own (5xx) and requests that got no answer. A 4xx
/// (missing permission, deleted channel) would fail the same way again.
fn retryable(e: &serenity::Error) -> bool {
    match e {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(r)) => {
            r.status_code.is_server_error()
        }
        serenity::Error::Http(serenity::HttpError::Request(_)) => true,
        _ => false,
    }
}

/// The parent channel of a thread (None for a channel that is not a thread), cached.
pub(crate) async fn thread_parent(
    ctx: &serenity::Context,
    state: &BotState,
    channel: serenity::ChannelId,
) -> Option<u64> {
    if let Some(known) = state
        .thread_parents
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&channel.get())
    {
        return *known;
    }
    let parent = match channel.to_channel(ctx).await {
        Ok(serenity::Channel::Guild(c)) if c.thread_metadata.is_some() => {
            c.parent_id.map(|p| p.get())
        }
        Ok(_) => None,
        Err(e) => {
            // Not cached: try again next message rather than remembering a failure.
            tracing::warn!("cannot look up channel {channel}: {e}");
            return None;
        }
    };
    let mut known = state
        .thread_parents
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    // Threads come and go; a club's few hundred stay cached, anything beyond starts afresh.
    if known.len() >= 10_000 {
        known.clear();
    }
    known.insert(channel.get(), parent);
    parent
}

/// A "Helpful" / "Not helpful" press: one vote per member per answer, a second press changes it.
pub async fn on_vote_button(
    ctx: &serenity::Context,
    state: &BotState,
    interaction: &serenity::ComponentInteraction,
    rest: &str,
) -> Result<(), Error> {
    let Some((entry, choice)) = rest.rsplit_once(':') else {
        return Ok(());
    };
    let vote = if choice == "y" {
        Vote::Helpful
    } else {
        Vote::NotHelpful
    };
    let text = match (interaction.guild_id, state.store()) {
        (None, _) => "Votes are counted in servers only.".to_string(),
        (Some(_), Err(why)) => {
            tracing::warn!("vote not recorded: {why}");
            "Sorry, votes can't be recorded right now.".to_string()
        }
        (Some(guild), Ok(store)) => {
            let previous = store.vote(
                guild.get(),
                interaction.message.id.get(),
                interaction.user.id.get(),
                entry,
                vote,
            )?;
            tracing::info!(
                guild = guild.get(),
                entry,
                helpful = vote == Vote::Helpful,
                changed = previous.is_some(),
                "vote"
            );
            match previous {
                Some(p) if p == vote => "You've already voted that way: thanks!".to_string(),
                Some(_) => "Vote changed: thanks for the feedback.".to_string(),
                None => "Thanks for the feedback!".to_string(),
            }
        }
    };
    let message = serenity::CreateInteractionResponseMessage::new()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(no_mentions());
    interaction
        .create_response(ctx, serenity::CreateInteractionResponse::Message(message))
        .await?;
    Ok(())
}
