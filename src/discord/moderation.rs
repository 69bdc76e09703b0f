//! Moderator commands: `/autoreply ...` and `/faq stats`. Manage Server only, enforced twice:
//! `default_member_permissions` hides the commands from others, and every handler checks the
//! invoking member's permissions again, because server admins can override the former.
//! All replies are ephemeral.

use poise::serenity_prelude as serenity;

use super::outgoing::private as say;
use super::pipeline::{auto_decision, AutoDecision};
use super::{Context, Error};
use crate::autoreply::{Claim, Decision, Incoming};
use crate::engine::Target;
use crate::reply;
use crate::settings::{Cooldowns, Sensitivity, Store};
use crate::triage::Tier;

#[derive(Debug, Clone, Copy, poise::ChoiceParameter)]
pub enum Level {
    #[name = "strict"]
    Strict,
    #[name = "normal"]
    Normal,
    #[name = "loose"]
    Loose,
}

impl From<Level> for Sensitivity {
    fn from(l: Level) -> Self {
        match l {
            Level::Strict => Sensitivity::Strict,
            Level::Normal => Sensitivity::Normal,
            Level::Loose => Sensitivity::Loose,
        }
    }
}

/// Whether the invoking member may manage the server, from the permissions Discord computed
/// for them in this interaction.
fn is_moderator(ctx: Context<'_>) -> bool {
    let perms = match ctx {
        poise::Context::Application(a) => a.interaction.member.as_ref().and_then(|m| m.permissions),
        poise::Context::Prefix(_) => None,
    };
    perms.is_some_and(|p| p.manage_guild() || p.administrator())
}

/// The runtime gate of every moderator command: the server and its store, or a refusal
/// already sent to the member.
async fn gate(ctx: Context<'_>) -> Result<Option<(u64, &Store)>, Error> {
    let Some(guild) = ctx.guild_id() else {
        say(ctx, "This command works in servers only.").await?;
        return Ok(None);
    };
    if !is_moderator(ctx) {
        tracing::info!(
            guild = guild.get(),
            user = ctx.author().id.get(),
            "moderator command refused"
        );
        say(
            ctx,
            "Only members with the **Manage Server** permission can change the bot's settings.",
        )
        .await?;
        return Ok(None);
    }
    match ctx.data().store() {
        Ok(store) => Ok(Some((guild.get(), store))),
        Err(why) => {
            say(
                ctx,
                format!("The settings store is unavailable, so settings can't be changed right now: {why}"),
            )
            .await?;
            Ok(None)
        }
    }
}

/// Where and how the bot replies on its own
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands(
        "enable",
        "disable",
        "status",
        "sensitivity",
        "cooldowns",
        "ignore_role",
        "unignore_role",
        "shadow",
        "safety",
        "test"
    ),
    subcommand_required
)]
pub async fn autoreply(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Let the bot reply on its own in a channel (and threads under it)
#[poise::command(slash_command, guild_only)]
pub async fn enable(
    ctx: Context<'_>,
    #[description = "Channel (default: this one)"] channel: Option<serenity::ChannelId>,
) -> Result<(), Error> {
    set_channel(ctx, channel, true).await
}

/// Stop the bot replying on its own in a channel
#[poise::command(slash_command, guild_only)]
pub async fn disable(
    ctx: Context<'_>,
    #[description = "Channel (default: this one)"] channel: Option<serenity::ChannelId>,
) -> Result<(), Error> {
    set_channel(ctx, channel, false).await
}

async fn set_channel(
    ctx: Context<'_>,
    channel: Option<serenity::ChannelId>,
    on: bool,
) -> Result<(), Error> {
    let Some((guild, store)) = gate(ctx).await? else {
        return Ok(());
    };
    let channel = channel.unwrap_or(ctx.channel_id());
    let changed = store.set_channel(guild, channel.get(), on)?;
    tracing::info!(
        guild,
        channel = channel.get(),
        on,
        changed,
        "auto replies set"
    );
    let text = match (on, changed) {
        (true, true) => format!("Auto replies are now **on** in <#{channel}> and its threads."),
        (true, false) => format!("Auto replies were already on in <#{channel}>."),
        (false, true) => format!("Auto replies are now **off** in <#{channel}>."),
        (false, false) => format!("Auto replies were not on in <#{channel}>."),
    };
    say(ctx, text).await
}

/// Show this server's auto-reply settings
#[poise::command(slash_command, guild_only)]
pub async fn status(ctx: Context<'_>) -> Result<(), Error> {
    let Some((guild, store)) = gate(ctx).await? else {
        return Ok(());
    };
    let s = store.settings(guild)?;
    let channels = if s.channels.is_empty() {
        "none (use `/autoreply enable`)".to_string()
    } else {
        s.channels
            .iter()
            .map(|c| format!("<#{c}>"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let roles = if s.ignored_roles.is_empty() {
        "none".to_string()
    } else {
        s.ignored_roles
            .iter()
            .map(|r| format!("<@&{r}>"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let c = s.cooldowns;
    say(
        ctx,
        format!(
            "**Auto replies**\nChannels: {channels}\nSensitivity: {}\nCooldowns: channel {}s, member {}s, same answer {}s\nIgnored roles: {roles}\nShadow mode: {}\nSafety replies: {}",
            s.sensitivity,
            c.channel_secs,
            c.member_secs,
            c.entry_secs,
            if s.shadow { "on (recording, not posting)" } else { "off" },
            if s.safety_replies {
                "on (possible emergencies and urgent injuries get advice to get help, on any topic)"
            } else {
                "off"
            },
        ),
    )
    .await
}

/// How readily the bot replies on its own
#[poise::command(slash_command, guild_only)]
pub async fn sensitivity(
    ctx: Context<'_>,
    #[description = "strict: only very clear questions; loose: also less certain ones"]
    level: Level,
) -> Result<(), Error> {
    let Some((guild, store)) = gate(ctx).await? else {
        return Ok(());
    };
    let s = Sensitivity::from(level);
    store.set_sensitivity(guild, s)?;
    tracing::info!(guild, sensitivity = %s, "sensitivity set");
    say(ctx, format!("Sensitivity set to **{s}**.")).await
}

/// Set the gaps between automatic replies (seconds; 0 = none)
#[poise::command(slash_command, guild_only)]
pub async fn cooldowns(
    ctx: Context<'_>,
    #[description = "Per channel"]
    #[max = 86400]
    channel_seconds: Option<u32>,
    #[description = "Per member"]
    #[max = 86400]
    member_seconds: Option<u32>,
    #[description = "Same answer in the same channel"]
    #[max = 604800]
    same_answer_seconds: Option<u32>,
) -> Result<(), Error> {
    let Some((guild, store)) = gate(ctx).await? else {
        return Ok(());
    };
    let old = store.settings(guild)?.cooldowns;
    let new = Cooldowns {
        channel_secs: channel_seconds.unwrap_or(old.channel_secs),
        member_secs: member_seconds.unwrap_or(old.member_secs),
        entry_secs: same_answer_seconds.unwrap_or(old.entry_secs),
    };
    store.set_cooldowns(guild, new)?;
    tracing::info!(guild, ?new, "cooldowns set");
    say(
        ctx,
        format!(
            "Cooldowns: channel {}s, member {}s, same answer {}s.",
            new.channel_secs, new.member_secs, new.entry_secs
        ),
    )
    .await
}

/// Never auto-reply to members with this role
#[poise::command(slash_command, guild_only, rename = "ignore-role")]
pub async fn ignore_role(
    ctx: Context<'_>,
    #[description = "Role"] role: serenity::RoleId,
) -> Result<(), Error> {
    let Some((guild, store)) = gate(ctx).await? else {
        return Ok(());
    };
    store.set_ignored_role(guild, role.get(), true)?;
    say(
        ctx,
        format!("Members with <@&{role}> won't get auto replies."),
    )
    .await
}

/// Auto-reply to members with this role again
#[poise::command(slash_command, guild_only, rename = "unignore-role")]
pub async fn unignore_role(
    ctx: Context<'_>,
    #[description = "Role"] role: serenity::RoleId,
) -> Result<(), Error> {
    let Some((guild, store)) = gate(ctx).await? else {
        return Ok(());
    };
    store.set_ignored_role(guild, role.get(), false)?;
    say(
        ctx,
        format!("Members with <@&{role}> can get auto replies again."),
    )
    .await
}

/// Record what the bot would say, without posting
#[poise::command(slash_command, guild_only)]
pub async fn shadow(ctx: Context<'_>, #[description = "On or off"] on: bool) -> Result<(), Error> {
    let Some((guild, store)) = gate(ctx).await? else {
        return Ok(());
    };
    store.set_shadow(guild, on)?;
    say(
        ctx,
        if on {
            "Shadow mode **on**: the bot records what it would have said, and posts nothing. See `/faq stats`."
        } else {
            "Shadow mode **off**: the bot replies in enabled channels."
        },
    )
    .await
}

/// Safety replies: advice to get help for possible emergencies and urgent injuries
#[poise::command(slash_command, guild_only)]
pub async fn safety(ctx: Context<'_>, #[description = "On or off"] on: bool) -> Result<(), Error> {
    let Some((guild, store)) = gate(ctx).await? else {
        return Ok(());
    };
    store.set_safety_replies(guild, on)?;
    say(
        ctx,
        if on {
            "Safety replies **on**: in enabled channels, a message that may describe an emergency or an urgent injury gets advice to get help now, whatever its topic."
        } else {
            "Safety replies **off**: in enabled channels the bot only answers questions on its topics. `/ask` still gives safety advice."
        },
    )
    .await
}

/// Would this message get an auto reply here? (Only you see the answer.)
#[poise::command(slash_command, guild_only)]
pub async fn test(
    ctx: Context<'_>,
    #[description = "A message as a member would write it"]
    #[max_length = 1000]
    message: String,
) -> Result<(), Error> {
    let Some((guild, store)) = gate(ctx).await? else {
        return Ok(());
    };
    let settings = store.settings(guild)?;
    // The moderator's message goes through exactly what a member's would (as someone with no
    // ignored role), without starting any cooldown.
    let incoming = Incoming {
        guild: Some(guild),
        channel: ctx.channel_id().get(),
        parent: None,
        author: ctx.author().id.get(),
        author_is_bot: false,
        from_webhook: false,
        from_self: false,
        author_roles: &[],
        content: &message,
    };
    // One engine snapshot for the decision and everything said about it, whatever reloads.
    let AutoDecision {
        decision,
        threshold,
        engine,
    } = auto_decision(
        ctx.serenity_context(),
        ctx.data(),
        &settings,
        incoming,
        Claim::No,
    )
    .await;
    let text = match &decision {
        Decision::Reply { response, target } | Decision::Shadow { response, target } => {
            let what = match target {
                Target::Entry(id) => format!(
                    "with `{id}`{} (confidence {:.2}, threshold {threshold:.2}){}",
                    engine
                        .knowledge()
                        .entry(id)
                        .map(|e| format!(" ({})", reply::escape_markdown(&e.title)))
                        .unwrap_or_default(),
                    response.confidence,
                    if response.tier == Some(Tier::Physio) {
                        ", leading with the physio recommendation"
                    } else {
                        ""
                    }
                ),
                Target::Safety(Tier::Emergency) => "with the emergency advice".to_string(),
                Target::Safety(_) => "with the advice to get seen now".to_string(),
            };
            let shadow = if matches!(decision, Decision::Shadow { .. }) {
                " (recorded only: shadow mode is on)"
            } else {
                ""
            };
            format!("**Yes**: this would get an auto reply{shadow} {what}.")
        }
        Decision::Skip { reason, response } => {
            let best = response
                .as_ref()
                .and_then(|r| {
                    r.best
                        .as_ref()
                        .map(|b| format!(" Best match: `{b}` (confidence {:.2}).", r.confidence))
                })
                .unwrap_or_default();
            format!("**No**: {reason}.{best}")
        }
    };
    say(ctx, text).await
}

/// FAQ statistics for moderators
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    subcommands("stats"),
    subcommand_required
)]
pub async fn faq(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// Most-asked answers, helpful votes, and recent questions the bot couldn't answer
#[poise::command(slash_command, guild_only)]
pub async fn stats(ctx: Context<'_>) -> Result<(), Error> {
    let Some((guild, store)) = gate(ctx).await? else {
        return Ok(());
    };
    // Counts are written in batches: commit what is queued so the moderator sees it all.
    let state = ctx.data().clone();
    let _ = tokio::task::spawn_blocking(move || state.flush_stats()).await;
    let s = store.stats(guild, 10)?;
    let keep = ctx.data().config.autoreply.unanswered_keep_days;
    let mut out = String::from("**FAQ stats for this server**\n\n**Most asked**\n");
    if s.most_asked.is_empty() {
        out.push_str("nothing yet\n");
    }
    for (i, (entry, n)) in s.most_asked.iter().enumerate() {
        out.push_str(&format!("{}. `{entry}`: {n}\n", i + 1));
    }
    out.push_str("\n**Feedback**\n");
    if s.votes.is_empty() {
        out.push_str("no votes yet\n");
    }
    for (entry, yes, no) in &s.votes {
        out.push_str(&format!("`{entry}`: 👍 {yes} · 👎 {no}\n"));
    }
    // Why the bot stayed quiet as well as when it spoke: the first thing a moderator asks.
    // Before the list of questions, which is the part the 2000-character cap may cut.
    if !s.auto.is_empty() {
        out.push_str("\n**Members' messages in auto-reply channels**\n");
        for (outcome, n) in &s.auto {
            out.push_str(&format!("{}: {n}\n", outcome.label()));
        }
    }
    out.push_str(&format!(
        "\n**Recent questions I couldn't answer** (kept {keep} days)\n"
    ));
    if s.unanswered.is_empty() {
        out.push_str("none\n");
    }
    for q in &s.unanswered {
        // Members' words, shown to moderators only: as typed, never as markup or a ping.
        let q: String = q.chars().take(150).collect();
        out.push_str(&format!(
            "• {}\n",
            reply::defuse_mentions(&reply::escape_markdown(&q.replace('\n', " ")))
        ));
    }
    let shadow = store.shadow_log(guild, 5)?;
    if !shadow.is_empty() {
        out.push_str("\n**Shadow mode: would have replied**\n");
        for rec in shadow.iter().filter(|r| r.would_reply) {
            out.push_str(&format!(
                "<#{}>: `{}` ({:.2})\n",
                rec.channel,
                rec.entry.as_deref().unwrap_or_default(),
                rec.confidence
            ));
        }
    }
    say(ctx, out).await
}
