//! Moderator commands: `/autoreply ...` and `/faq stats` (with its pages). Manage Server only, enforced twice:
//! `default_member_permissions` hides the commands from others, and one check on the parent
//! commands ([`moderator_only`]) tests the invoking member's permissions again, because server
//! admins can override the former. All replies are ephemeral.

use poise::serenity_prelude as serenity;

use std::sync::Arc;

use super::outgoing::{private as say, private_to_presser, PagedList};
use super::pages::{self, Listing, Section};
use super::pipeline::{auto_decision, AutoDecision};
use super::{BotState, Context, Error};
use crate::autoreply::{Claim, Decision, Incoming};
use crate::engine::Target;
use crate::reply;
use crate::settings::{Cooldowns, Sensitivity, ShadowRecord, Stats, Store};
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

/// Why someone may not use the moderator commands (or page through `/faq stats`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    NotInServer,
    NotModerator,
    /// The store could not be opened; the reason, for the moderator.
    StoreUnavailable(String),
}

impl Refusal {
    /// What the member is told, privately.
    pub fn text(&self) -> String {
        match self {
            Refusal::NotInServer => "This command works in servers only.".to_string(),
            Refusal::NotModerator => {
                "Only members with the **Manage Server** permission can change the bot's settings."
                    .to_string()
            }
            Refusal::StoreUnavailable(why) => format!(
                "The settings store is unavailable, so settings can't be changed right now: {why}"
            ),
        }
    }
}

/// Who may use the moderator commands: a member of a server with Manage Server or
/// Administrator in the permissions Discord computed for this interaction, while the store
/// is available. Returns the server and its store.
pub fn moderator_access<'s>(
    guild: Option<serenity::GuildId>,
    member: Option<&serenity::Member>,
    store: Result<&'s Store, &str>,
) -> Result<(u64, &'s Store), Refusal> {
    let guild = guild.ok_or(Refusal::NotInServer)?;
    let perms = member.and_then(|m| m.permissions);
    if !perms.is_some_and(|p| p.manage_guild() || p.administrator()) {
        return Err(Refusal::NotModerator);
    }
    let store = store.map_err(|why| Refusal::StoreUnavailable(why.to_string()))?;
    Ok((guild.get(), store))
}

/// The check on `/autoreply` and `/faq`. poise runs a parent command's checks for each of its
/// subcommands (its `command_tree`, parent first), so every subcommand is behind it. The
/// commands are also hidden from non-moderators (`default_member_permissions`), but server
/// admins can override that, so the permissions are checked again here. A refusal is told to
/// the member and logged here, and `on_error` stays quiet about the failed check.
async fn moderator_only(ctx: Context<'_>) -> Result<bool, Error> {
    let member = match ctx {
        poise::Context::Application(a) => a.interaction.member.as_deref(),
        poise::Context::Prefix(_) => None,
    };
    let Err(refusal) = moderator_access(ctx.guild_id(), member, ctx.data().store()) else {
        return Ok(true);
    };
    tracing::info!(
        guild = ctx.guild_id().map(|g| g.get()),
        user = ctx.author().id.get(),
        ?refusal,
        "moderator command refused"
    );
    say(ctx, refusal.text()).await?;
    Ok(false)
}

/// The server and its store, for handlers behind [`moderator_only`]. The check has already
/// refused anyone without them, so a failure here is a bug: it is an error (logged, with an
/// apology to the moderator), never a silent return.
fn server_store(ctx: Context<'_>) -> Result<(u64, &Store), Error> {
    let guild = ctx
        .guild_id()
        .ok_or_else(|| anyhow::anyhow!("a moderator command ran outside a server"))?;
    let store = ctx
        .data()
        .store()
        .map_err(|why| anyhow::anyhow!("a moderator command ran without the store: {why}"))?;
    Ok((guild.get(), store))
}

/// Where and how the bot replies on its own
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    check = "moderator_only",
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
    let (guild, store) = server_store(ctx)?;
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
    let (guild, store) = server_store(ctx)?;
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
    let (guild, store) = server_store(ctx)?;
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
    let (guild, store) = server_store(ctx)?;
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
    let (guild, store) = server_store(ctx)?;
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
    let (guild, store) = server_store(ctx)?;
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
    let (guild, store) = server_store(ctx)?;
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
    let (guild, store) = server_store(ctx)?;
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
    let (guild, store) = server_store(ctx)?;
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
    check = "moderator_only",
    subcommands("stats"),
    subcommand_required
)]
pub async fn faq(_ctx: Context<'_>) -> Result<(), Error> {
    Ok(())
}

/// How many rows of each list `/faq stats` shows: the pages make room for more than one
/// message would hold, and moderators read the most recent questions first.
const STATS_ROWS: usize = 25;
/// How many shadow-mode records `/faq stats` shows.
const SHADOW_ROWS: usize = 5;

/// Most-asked answers, helpful votes, and recent questions the bot couldn't answer
#[poise::command(slash_command, guild_only)]
pub async fn stats(ctx: Context<'_>) -> Result<(), Error> {
    let (guild, store) = server_store(ctx)?;
    let listing = current_stats(ctx.data(), guild, store).await?;
    pages::send(ctx, PagedList::Stats, &listing).await
}

/// "◀ Prev" / "Next ▶" under `/faq stats`. The message is ephemeral, so only the moderator
/// who asked can press them; the permissions are checked again all the same, as for the
/// command, and the page is read from the store as it is now.
pub async fn on_stats_page(
    ctx: &serenity::Context,
    state: &Arc<BotState>,
    interaction: &serenity::ComponentInteraction,
    page: u16,
) -> Result<(), Error> {
    let access = moderator_access(
        interaction.guild_id,
        interaction.member.as_ref(),
        state.store(),
    );
    let (guild, store) = match access {
        Ok(found) => found,
        Err(refusal) => return refuse_press(ctx, interaction, &refusal).await,
    };
    let listing = current_stats(state, guild, store).await?;
    pages::turn_to(ctx, interaction, PagedList::Stats, &listing, page).await
}

/// Tells whoever pressed a moderators' button why not, privately, leaving the message as it is.
async fn refuse_press(
    ctx: &serenity::Context,
    interaction: &serenity::ComponentInteraction,
    refusal: &Refusal,
) -> Result<(), Error> {
    tracing::info!(
        guild = interaction.guild_id.map(|g| g.get()),
        user = interaction.user.id.get(),
        ?refusal,
        "moderator button refused"
    );
    private_to_presser(ctx, interaction, refusal.text()).await
}

/// The stats as they are now. Counts are written in batches: commit what is queued first, so
/// the moderator sees it all.
async fn current_stats(state: &Arc<BotState>, guild: u64, store: &Store) -> Result<Listing, Error> {
    let flushing = state.clone();
    let _ = tokio::task::spawn_blocking(move || flushing.flush_stats()).await;
    let stats = store.stats(guild, STATS_ROWS)?;
    let shadow = store.shadow_log(guild, SHADOW_ROWS)?;
    Ok(stats_listing(
        &stats,
        &shadow,
        state.config.autoreply.unanswered_keep_days,
    ))
}

/// The `/faq stats` list, section by section.
fn stats_listing(s: &Stats, shadow: &[ShadowRecord], keep_days: u32) -> Listing {
    let or = |lines: Vec<String>, empty: &str| {
        if lines.is_empty() {
            vec![empty.to_string()]
        } else {
            lines
        }
    };
    let section = |heading: &str, lines| Section {
        heading: heading.to_string(),
        lines,
    };
    let most_asked = s
        .most_asked
        .iter()
        .enumerate()
        .map(|(i, (entry, n))| format!("{}. `{entry}`: {n}", i + 1))
        .collect();
    let votes = s
        .votes
        .iter()
        .map(|(entry, yes, no)| format!("`{entry}`: 👍 {yes} · 👎 {no}"))
        .collect();
    let auto = s
        .auto
        .iter()
        .map(|(outcome, n)| format!("{}: {n}", outcome.label()))
        .collect();
    let unanswered = s.unanswered.iter().map(|q| unanswered_line(q)).collect();
    let would_reply = shadow
        .iter()
        .filter(|r| r.would_reply)
        .map(|r| {
            format!(
                "<#{}>: `{}` ({:.2})",
                r.channel,
                r.entry.as_deref().unwrap_or_default(),
                r.confidence
            )
        })
        .collect();
    Listing {
        title: "**FAQ stats for this server**".to_string(),
        sections: vec![
            section("**Most asked**", or(most_asked, "nothing yet")),
            section("**Feedback**", or(votes, "no votes yet")),
            // Why the bot stayed quiet as well as when it spoke: the first thing a moderator
            // asks. Before the list of questions, which may run onto more pages. Left out
            // (as an empty section) where auto replies never ran.
            section("**Members' messages in auto-reply channels**", auto),
            section(
                &format!("**Recent questions I couldn't answer** (kept {keep_days} days)"),
                or(unanswered, "none"),
            ),
            section("**Shadow mode: would have replied**", would_reply),
        ],
    }
}

/// A question the bot couldn't answer: members' words, shown to moderators only, as typed
/// (never as markup or a ping), on one line of at most 150 of their characters.
fn unanswered_line(question: &str) -> String {
    let q: String = question.chars().take(150).collect();
    format!(
        "• {}",
        reply::defuse_mentions(&reply::escape_markdown(&q.replace('\n', " ")))
    )
}
