//! Channel messages (auto replies) and the feedback buttons. The decision itself is made in
//! [`crate::autoreply`] (through [`super::pipeline`]); this module only gathers the facts and
//! carries it out.

use poise::serenity_prelude as serenity;
use tracing::Instrument;

use super::outgoing::{no_mentions, vote_buttons};
use super::pipeline::auto_decision;
use super::{BotState, Error};
use crate::autoreply::{Claim, Decision, Incoming};
use crate::engine::Target;
use crate::settings::{AutoOutcome, StatEvent, Vote};

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
    let incoming = Incoming {
        guild: Some(guild.get()),
        channel: msg.channel_id.get(),
        parent: None,
        author: msg.author.id.get(),
        author_is_bot: msg.author.bot,
        from_webhook: msg.webhook_id.is_some(),
        from_self: msg.author.id == bot_id,
        author_roles: &roles,
        content: &msg.content,
    };
    let decision = auto_decision(ctx, state, &settings, incoming, Claim::Yes)
        .await
        .decision;
    let channel = msg.channel_id.get();
    let span = tracing::info_span!(
        "auto_reply",
        guild = guild.get(),
        channel,
        entry = tracing::field::Empty,
        score = tracing::field::Empty,
    );
    // A reply, or a shadow "would reply", names what it is about in the span.
    let note = |target: &Target, score: f32| {
        tracing::Span::current()
            .record("entry", tracing::field::display(target))
            .record("score", score);
    };
    // What became of the message, for `/faq stats`: counted last, once the bot is done with it.
    let count = |outcome| {
        state.record_stat(StatEvent::Auto {
            guild: guild.get(),
            outcome,
        });
    };
    async move {
        match decision {
            Decision::Reply { response, target } => {
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
                note(&target, response.confidence);
                let reply = serenity::CreateMessage::new()
                    .content(response.text.clone())
                    .reference_message(msg)
                    .allowed_mentions(no_mentions());
                // Safety replies carry no feedback buttons: there is nothing to vote on.
                let reply = match &target {
                    Target::Entry(entry) => reply.components(vec![vote_buttons(entry)]),
                    Target::Safety(_) => reply,
                };
                if !send_with_retries(ctx, msg.channel_id, reply).await {
                    count(AutoOutcome::SendFailed);
                    return Ok(());
                }
                tracing::info!(
                    tier = response.tier.map_or("none", |t| t.key()),
                    "auto replied"
                );
                // Bookkeeping after the reply and off its path: it never costs a member an answer.
                match target {
                    Target::Safety(_) => count(AutoOutcome::SafetyReply),
                    Target::Entry(entry) => {
                        count(AutoOutcome::Replied);
                        state.record_stat(StatEvent::Answered {
                            guild: guild.get(),
                            entry,
                        });
                    }
                }
            }
            Decision::Shadow { response, target } => {
                note(&target, response.confidence);
                count(AutoOutcome::WouldReply);
                store.record_shadow(guild.get(), channel, &target, response.confidence, true, "would reply")?;
                tracing::info!("shadow mode: would have replied");
            }
            Decision::Skip { reason, response } => {
                tracing::debug!(%reason, score = response.as_ref().map(|r| r.confidence), "no auto reply");
                if let Some(outcome) = reason.outcome() {
                    count(outcome);
                }
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

/// A "Helpful" / "Not helpful" press: one vote per member per answer, a second press changes it.
pub async fn on_vote_button(
    ctx: &serenity::Context,
    state: &BotState,
    interaction: &serenity::ComponentInteraction,
    entry: &str,
    vote: Vote,
) -> Result<(), Error> {
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
