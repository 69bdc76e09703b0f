//! The auto-reply decision: whether the bot speaks on its own in a channel. Pure: the Discord
//! adapter gathers the facts into an [`Incoming`], the clock is passed in, and the answer is a
//! [`Decision`] with the reason when it is "no" (shown by `/autoreply test`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::config::AutoReplyConfig;
use crate::engine::{Engine, Mode, Response, Silence};
use crate::settings::{AutoOutcome, GuildSettings, Sensitivity};

/// A message as the decision needs it.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    /// `None` for a direct message.
    pub guild: Option<u64>,
    pub channel: u64,
    /// The parent channel when the message is in a thread.
    pub parent: Option<u64>,
    pub author: u64,
    pub author_is_bot: bool,
    pub from_webhook: bool,
    pub from_self: bool,
    pub author_roles: &'a [u64],
    pub content: &'a str,
}

/// Why the bot stays silent.
#[derive(Debug, Clone, PartialEq)]
pub enum Skip {
    DirectMessage,
    FromSelf,
    FromBot,
    FromWebhook,
    ChannelNotEnabled,
    IgnoredRole,
    Engine(Silence),
    ChannelCooldown(Duration),
    MemberCooldown(Duration),
    EntryCooldown(Duration),
    /// Every engine slot is busy answering members who asked: auto replies give way.
    Busy,
}

impl Skip {
    /// How the skip counts in `/faq stats`: members' messages in channels with auto replies
    /// (None for the rest: direct messages, other channels, bots, webhooks, the bot itself).
    pub fn outcome(&self) -> Option<AutoOutcome> {
        match self {
            Skip::DirectMessage
            | Skip::FromSelf
            | Skip::FromBot
            | Skip::FromWebhook
            | Skip::ChannelNotEnabled => None,
            Skip::IgnoredRole => Some(AutoOutcome::IgnoredRole),
            Skip::Engine(_) => Some(AutoOutcome::NotConfident),
            Skip::ChannelCooldown(_) | Skip::MemberCooldown(_) | Skip::EntryCooldown(_) => {
                Some(AutoOutcome::Cooldown)
            }
            Skip::Busy => Some(AutoOutcome::Busy),
        }
    }
}

impl std::fmt::Display for Skip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = |d: &Duration| d.as_secs().max(1);
        match self {
            Skip::DirectMessage => f.write_str("auto replies are never sent in direct messages"),
            Skip::FromSelf => f.write_str("the message is the bot's own"),
            Skip::FromBot => f.write_str("the author is a bot"),
            Skip::FromWebhook => f.write_str("the message came from a webhook"),
            Skip::ChannelNotEnabled => f.write_str("auto replies are not enabled in this channel"),
            Skip::IgnoredRole => f.write_str("the author has an ignored role"),
            Skip::Engine(s) => write!(f, "{s}"),
            Skip::Busy => f.write_str("the bot is busy answering questions put to it"),
            Skip::ChannelCooldown(d) => write!(f, "channel cooldown: {}s left", secs(d)),
            Skip::MemberCooldown(d) => write!(f, "member cooldown: {}s left", secs(d)),
            Skip::EntryCooldown(d) => write!(
                f,
                "the same answer was posted here recently: {}s left",
                secs(d)
            ),
        }
    }
}

/// What to do with a message.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Post `response.text` as a reply, answering with entry `entry`.
    Reply { response: Response, entry: String },
    /// Shadow mode: record that the bot would have replied, post nothing.
    Shadow { response: Response, entry: String },
    Skip {
        reason: Skip,
        response: Option<Response>,
    },
}

impl Decision {
    pub fn replies(&self) -> bool {
        matches!(self, Decision::Reply { .. })
    }
}

/// The engine threshold for a sensitivity.
pub fn threshold(config: &AutoReplyConfig, normal: f32, s: Sensitivity) -> f32 {
    match s {
        Sensitivity::Strict => config.strict_answer,
        Sensitivity::Normal => normal,
        Sensitivity::Loose => config.loose_answer,
    }
}

/// When the bot last auto-replied, per channel, per member and per (channel, entry). In memory:
/// cooldowns are minutes long, and forgetting them on a restart is harmless.
#[derive(Debug, Default)]
pub struct CooldownTracker {
    channel: HashMap<u64, Instant>,
    member: HashMap<(u64, u64), Instant>,
    entry: HashMap<(u64, String), Instant>,
}

impl CooldownTracker {
    fn remaining(last: Option<&Instant>, secs: u32, now: Instant) -> Option<Duration> {
        let last = last?;
        let until = *last + Duration::from_secs(u64::from(secs));
        (until > now).then(|| until - now)
    }

    /// Notes a reply (or a shadow "would reply").
    pub fn record(&mut self, guild: u64, channel: u64, member: u64, entry: &str, now: Instant) {
        self.channel.insert(channel, now);
        self.member.insert((guild, member), now);
        self.entry.insert((channel, entry.to_string()), now);
        // Keep the maps small on a long-running bot: forget anything older than a day.
        if self.channel.len() > 10_000 || self.member.len() > 10_000 || self.entry.len() > 10_000 {
            let day = Duration::from_secs(86_400);
            self.channel.retain(|_, t| now.duration_since(*t) < day);
            self.member.retain(|_, t| now.duration_since(*t) < day);
            self.entry.retain(|_, t| now.duration_since(*t) < day);
        }
    }
}

/// Decides about one message. `cooldowns` is read, not updated: the caller records a reply
/// once it is posted (a `/autoreply test` must not start a cooldown).
pub fn decide(
    msg: &Incoming<'_>,
    settings: &GuildSettings,
    engine: &Engine,
    auto_threshold: f32,
    cooldowns: &CooldownTracker,
    now: Instant,
) -> Decision {
    let skip = |reason| Decision::Skip {
        reason,
        response: None,
    };
    let Some(guild) = msg.guild else {
        return skip(Skip::DirectMessage);
    };
    if msg.from_self {
        return skip(Skip::FromSelf);
    }
    if msg.from_webhook {
        return skip(Skip::FromWebhook);
    }
    if msg.author_is_bot {
        return skip(Skip::FromBot);
    }
    if !settings.covers(msg.channel, msg.parent) {
        return skip(Skip::ChannelNotEnabled);
    }
    if msg
        .author_roles
        .iter()
        .any(|r| settings.ignored_roles.contains(r))
    {
        return skip(Skip::IgnoredRole);
    }
    let response = engine.respond_in_server(
        msg.content,
        Mode::Auto,
        auto_threshold,
        settings.safety_replies,
    );
    // A safety reply is never held back by a cooldown: someone may need help now.
    let safety = matches!(response.outcome, crate::engine::Outcome::Safety { .. });
    let entry = match &response.outcome {
        crate::engine::Outcome::Answer { entry } => engine.entry(*entry).id.clone(),
        // Cooldowns per answer use this key: one safety reply per tier and channel at most
        // per window is plenty, and a channel cooldown never holds it back (see below).
        crate::engine::Outcome::Safety { tier } => format!("safety-{}", tier.key()),
        crate::engine::Outcome::Decline { reason } => {
            return Decision::Skip {
                reason: Skip::Engine(reason.clone()),
                response: Some(response),
            }
        }
        crate::engine::Outcome::Suggest { .. } => {
            return Decision::Skip {
                reason: Skip::Engine(Silence::NoMatch),
                response: Some(response),
            }
        }
    };
    let c = &settings.cooldowns;
    let cooled = [
        CooldownTracker::remaining(cooldowns.channel.get(&msg.channel), c.channel_secs, now)
            .map(Skip::ChannelCooldown),
        CooldownTracker::remaining(
            cooldowns.member.get(&(guild, msg.author)),
            c.member_secs,
            now,
        )
        .map(Skip::MemberCooldown),
        CooldownTracker::remaining(
            cooldowns.entry.get(&(msg.channel, entry.clone())),
            c.entry_secs,
            now,
        )
        .map(Skip::EntryCooldown),
    ];
    if let Some(reason) = cooled.into_iter().flatten().next().filter(|_| !safety) {
        return Decision::Skip {
            reason,
            response: Some(response),
        };
    }
    if settings.shadow {
        Decision::Shadow { response, entry }
    } else {
        Decision::Reply { response, entry }
    }
}
