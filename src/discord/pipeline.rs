//! The one auto-reply pipeline, run by every channel message ([`super::messages`]) and by
//! `/autoreply test` ([`super::moderation`]), so that the test can never disagree with what the
//! bot does. The decision itself is [`crate::autoreply::decide`]; this gathers the facts.

use poise::serenity_prelude as serenity;

use std::sync::Arc;

use super::BotState;
use crate::autoreply::{self, Claim, Decision, Incoming};
use crate::engine::Engine;

/// How long a channel message may wait for an engine slot before its auto reply is shed.
pub const AUTO_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// One auto-reply decision with the engine snapshot it was made on: everything the handler
/// shows or posts about it comes from that one snapshot, whatever reloads meanwhile.
pub struct AutoDecision {
    pub decision: Decision,
    /// The confidence the server's sensitivity asks for.
    pub threshold: f32,
    pub engine: Arc<Engine>,
}

/// The one auto-reply pipeline, run by every channel message and by `/autoreply test`, so the
/// test can never disagree with what the bot does: thread parent, threshold from the server's
/// sensitivity, then [`AutoReplies::decide`](crate::autoreply::AutoReplies::decide): guards
/// and the engine with no lock held, then the cooldowns checked (and with [`Claim::Yes`]
/// claimed) in one step under a lock held for microseconds.
pub async fn auto_decision(
    ctx: &serenity::Context,
    state: &BotState,
    settings: &crate::settings::GuildSettings,
    mut incoming: Incoming<'_>,
    claim: Claim,
) -> AutoDecision {
    let channel = incoming.channel;
    // Inside a thread, the bot looks at the thread's parent channel's settings.
    if !settings.channels.contains(&channel) {
        incoming.parent = thread_parent(ctx, state, serenity::ChannelId::new(channel)).await;
    }
    let engine = state.engine();
    let threshold = autoreply::threshold(
        &state.config.autoreply,
        state.config.auto.answer,
        settings.sensitivity,
    );
    let done = |decision| AutoDecision {
        decision,
        threshold,
        engine: engine.clone(),
    };
    // A member's message waits its turn for an engine slot, but not for long: under a load the
    // cores can't keep up with, auto replies give way to questions put to the bot, which wait
    // as long as it takes. `/autoreply test` waits too.
    let _slot = match claim {
        Claim::Yes => match tokio::time::timeout(AUTO_WAIT, state.engine_slots.acquire()).await {
            Ok(Ok(slot)) => slot,
            _ => {
                tracing::info!("busy: auto reply shed");
                return done(Decision::Skip {
                    reason: autoreply::Skip::Busy,
                    response: None,
                });
            }
        },
        Claim::No => state
            .engine_slots
            .acquire()
            .await
            .expect("the engine slots are never closed"),
    };
    let now = || tokio::time::Instant::now().into_std();
    // The engine takes ~10 ms of CPU: this worker steps aside (block_in_place; the runtime is
    // multi-threaded) so the gateway and other events keep moving meanwhile.
    let decision = tokio::task::block_in_place(|| {
        state
            .autoreplies
            .decide(&incoming, settings, &engine, threshold, claim, now)
    });
    done(decision)
}

/// The parent channel of a thread (None for a channel that is not a thread), cached.
pub async fn thread_parent(
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
