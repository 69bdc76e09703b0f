//! Channel messages (auto replies) and the feedback buttons. The decision itself is made in
//! [`crate::autoreply`] (through [`super::pipeline`]); this module only gathers the facts and
//! carries it out.

use poise::serenity_prelude as serenity;
use tracing::Instrument;

use super::outgoing::{no_mentions, private_to_presser, vote_buttons};
use super::pipeline::auto_decision;
use super::{BotState, Error};
use crate::autoreply::{Claim, Decision, Incoming, Skip};
use crate::engine::{Response, Target};
use crate::settings::{AutoOutcome, StatEvent, Store, Vote};

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
    let roles = member_roles(msg);
    let incoming = incoming(msg, guild, bot_id, &roles);
    let decision = auto_decision(ctx, state, &settings, incoming, Claim::Yes)
        .await
        .decision;
    let span = tracing::info_span!(
        "auto_reply",
        guild = guild.get(),
        channel = msg.channel_id.get(),
        entry = tracing::field::Empty,
        score = tracing::field::Empty,
    );
    let auto = AutoReply {
        ctx,
        state,
        store,
        msg,
        guild,
    };
    async move {
        match decision {
            Decision::Reply { response, target } => auto.reply(response, target).await,
            Decision::Shadow { response, target } => auto.shadow(&response, &target)?,
            Decision::Skip { reason, response } => auto.skip(&reason, response.as_ref()),
        }
        Ok(())
    }
    .instrument(span)
    .await
}

/// The ids of the author's roles in the server (none when Discord sent no member).
fn member_roles(msg: &serenity::Message) -> Vec<u64> {
    msg.member
        .as_ref()
        .map(|m| m.roles.iter().map(|r| r.get()).collect())
        .unwrap_or_default()
}

/// The message as the decision needs it: plain ids and text, no serenity types.
fn incoming<'a>(
    msg: &'a serenity::Message,
    guild: serenity::GuildId,
    bot_id: serenity::UserId,
    roles: &'a [u64],
) -> Incoming<'a> {
    Incoming {
        guild: Some(guild.get()),
        channel: msg.channel_id.get(),
        parent: None,
        author: msg.author.id.get(),
        author_is_bot: msg.author.bot,
        from_webhook: msg.webhook_id.is_some(),
        from_self: msg.author.id == bot_id,
        author_roles: roles,
        content: &msg.content,
    }
}

/// Carrying out the decision about one message: what a reply, a shadow record and the stats
/// need. Its methods run inside the message's `auto_reply` span.
struct AutoReply<'a> {
    ctx: &'a serenity::Context,
    state: &'a BotState,
    store: &'a Store,
    msg: &'a serenity::Message,
    guild: serenity::GuildId,
}

impl AutoReply<'_> {
    /// Posts the reply, once per message, and counts it once it went out.
    async fn reply(&self, response: Response, target: Target) {
        // A replayed MESSAGE_CREATE (after a reconnect) must not get a second reply. A
        // store that can't say is no reason to leave a member unanswered.
        match self.store.claim_message(self.msg.id.get()) {
            Ok(true) => {}
            Ok(false) => {
                tracing::debug!("already replied to this message");
                return;
            }
            Err(e) => tracing::warn!("cannot record the reply, replying anyway: {e}"),
        }
        note(&target, response.confidence);
        let reply = serenity::CreateMessage::new()
            .content(response.text.clone())
            .reference_message(self.msg)
            .allowed_mentions(no_mentions());
        // Safety replies carry no feedback buttons: there is nothing to vote on.
        let reply = match &target {
            Target::Entry(entry) => reply.components(vec![vote_buttons(entry)]),
            Target::Safety(_) => reply,
        };
        if !send_with_retries(self.ctx, self.msg.channel_id, reply).await {
            self.count(AutoOutcome::SendFailed);
            return;
        }
        tracing::info!(
            tier = response.tier.map_or("none", |t| t.key()),
            "auto replied"
        );
        // Bookkeeping after the reply and off its path: it never costs a member an answer.
        match target {
            Target::Safety(_) => self.count(AutoOutcome::SafetyReply),
            Target::Entry(entry) => {
                self.count(AutoOutcome::Replied);
                self.state.record_stat(StatEvent::Answered {
                    guild: self.guild.get(),
                    entry,
                });
            }
        }
    }

    /// Shadow mode: records what the bot would have replied, and posts nothing.
    fn shadow(&self, response: &Response, target: &Target) -> Result<(), Error> {
        note(target, response.confidence);
        self.count(AutoOutcome::WouldReply);
        self.store.record_shadow(
            self.guild.get(),
            self.msg.channel_id.get(),
            target,
            response.confidence,
            true,
            "would reply",
        )?;
        tracing::info!("shadow mode: would have replied");
        Ok(())
    }

    /// No reply: logged with the reason, and counted when the message was one the bot reads.
    fn skip(&self, reason: &Skip, response: Option<&Response>) {
        tracing::debug!(%reason, score = response.map(|r| r.confidence), "no auto reply");
        if let Some(outcome) = reason.outcome() {
            self.count(outcome);
        }
    }

    /// What became of the message, for `/faq stats`: counted last, once the bot is done with it.
    fn count(&self, outcome: AutoOutcome) {
        self.state.record_stat(StatEvent::Auto {
            guild: self.guild.get(),
            outcome,
        });
    }
}

/// A reply, or a shadow "would reply", names what it is about in the span.
fn note(target: &Target, score: f32) {
    tracing::Span::current()
        .record("entry", tracing::field::display(target))
        .record("score", score);
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
    private_to_presser(ctx, interaction, text).await
}
