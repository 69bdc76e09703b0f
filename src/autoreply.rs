//! The auto-reply decision: whether the bot speaks on its own in a channel. Pure: the Discord
//! adapter gathers the facts into an [`Incoming`], the clock is passed in, and the answer is a
//! [`Decision`] with the reason when it is "no" (shown by `/autoreply test`).
//!
//! A decision has two phases. [`assess`] runs the guards and the engine (milliseconds of CPU)
//! and holds no lock, so messages in different channels and servers are assessed side by side.
//! [`CooldownTracker::claim`] then checks and records the cooldowns in one step (microseconds),
//! under whatever lock the caller keeps the tracker in ([`AutoReplies`] in the bot), so two
//! messages assessed at once can never both take the same window.
//!
//! # Safety replies
//! A message that may describe an emergency or an urgent injury gets the safety reply (when the
//! server has safety replies on, the default). The policy, in one place:
//! - It is never held back by the channel, member or same-answer cooldowns: someone may need
//!   help now. It does not start those cooldowns either.
//! - Shadow mode does not silence it: shadow mode trials the FAQ answers, and a member who may
//!   be in danger gets the advice anyway (`/autoreply safety off` is the switch for that).
//! - The member who already got a safety reply of that tier or a more urgent one in this channel
//!   within [`SAFETY_REPEAT_WINDOW`] gets no second one: the advice is just above, and a
//!   distressed member repeating themselves should not get a wall of identical replies.
//! - Anyone else in that channel within the window (several members reporting one incident, or
//!   a new person in trouble) always gets a reply, never held back: when the same tier's advice
//!   was posted there, the action line again, pointing to it ([`SafetyForm::Repeat`]);
//!   otherwise the full reply of their own tier.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::config::AutoReplyConfig;
use crate::engine::{AutoPolicy, Engine, Mode, Outcome, Response, Silence, Target};
use crate::settings::{AutoOutcome, GuildSettings, Sensitivity};
use crate::triage::Tier;

/// How long a safety reply in a channel counts for the repeat rules above.
pub const SAFETY_REPEAT_WINDOW: Duration = Duration::from_secs(600);

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
    /// This member got a safety reply of this tier or a more urgent one here moments ago.
    SafetyRepeat(Duration),
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
            Skip::ChannelCooldown(_)
            | Skip::MemberCooldown(_)
            | Skip::EntryCooldown(_)
            | Skip::SafetyRepeat(_) => Some(AutoOutcome::Cooldown),
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
            Skip::SafetyRepeat(d) => write!(
                f,
                "this member got the same safety advice here moments ago: {}s left",
                secs(d)
            ),
        }
    }
}

/// Which safety reply a message gets (see the module's policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SafetyForm {
    /// The whole advice.
    Full,
    /// The action line, pointing to the advice posted just above for someone else.
    Repeat,
}

/// What to do with a message.
#[derive(Debug, Clone)]
pub enum Decision {
    /// Post `response.text` as a reply about `target`.
    Reply { response: Response, target: Target },
    /// Shadow mode: record that the bot would have answered with this entry, post nothing.
    /// Only answers: safety replies are posted in shadow mode too.
    Shadow { response: Response, target: Target },
    Skip {
        reason: Skip,
        response: Option<Response>,
    },
}

impl Decision {
    pub fn replies(&self) -> bool {
        matches!(self, Decision::Reply { .. })
    }

    fn skip(reason: Skip) -> Decision {
        Decision::Skip {
            reason,
            response: None,
        }
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

/// The first phase's result: either a decision already (a guard or the engine said no), or a
/// reply the cooldowns must still allow.
#[derive(Debug, Clone)]
pub enum Assessment {
    Decided(Decision),
    /// The engine would reply in this server's channel.
    WouldReply {
        guild: u64,
        response: Response,
        target: Target,
        /// The short safety reply, ready in case the repeat rules call for it.
        repeat_text: Option<String>,
    },
}

/// Phase one: the guards, then the engine in the server's auto-reply policy. Takes no lock.
pub fn assess(
    msg: &Incoming<'_>,
    settings: &GuildSettings,
    engine: &Engine,
    auto_threshold: f32,
) -> Assessment {
    let guard = |reason| Assessment::Decided(Decision::skip(reason));
    let Some(guild) = msg.guild else {
        return guard(Skip::DirectMessage);
    };
    if msg.from_self {
        return guard(Skip::FromSelf);
    }
    if msg.from_webhook {
        return guard(Skip::FromWebhook);
    }
    if msg.author_is_bot {
        return guard(Skip::FromBot);
    }
    if !settings.covers(msg.channel, msg.parent) {
        return guard(Skip::ChannelNotEnabled);
    }
    if msg
        .author_roles
        .iter()
        .any(|r| settings.ignored_roles.contains(r))
    {
        return guard(Skip::IgnoredRole);
    }
    let policy = AutoPolicy {
        answer: auto_threshold,
        safety: settings.safety_replies && engine.config().auto.safety,
    };
    let response = engine.respond(&engine.prepare(msg.content), Mode::Auto(policy));
    let reason = match &response.outcome {
        Outcome::Decline { reason } => reason.clone(),
        // Auto mode never suggests; if it ever did, silence is the safe reading.
        Outcome::Suggest { .. } => Silence::NoMatch,
        Outcome::Answer { .. } | Outcome::Safety { .. } => {
            let target = response.target().expect("answers and safety have a target");
            let repeat_text = match target {
                Target::Safety(tier) => Some(engine.safety_repeat_text(tier)),
                Target::Entry(_) => None,
            };
            return Assessment::WouldReply {
                guild,
                response,
                target,
                repeat_text,
            };
        }
    };
    Assessment::Decided(Decision::Skip {
        reason: Skip::Engine(reason),
        response: Some(response),
    })
}

/// When the bot last auto-replied, per channel, per member and per (channel, target), and the
/// safety replies of the last [`SAFETY_REPEAT_WINDOW`] per channel. In memory: cooldowns are
/// minutes long, and forgetting them on a restart is harmless.
#[derive(Debug, Default)]
pub struct CooldownTracker {
    channel: HashMap<u64, Instant>,
    member: HashMap<(u64, u64), Instant>,
    target: HashMap<(u64, Target), Instant>,
    /// Per channel: (member, tier, when) of each safety reply in the window.
    safety: HashMap<u64, Vec<(u64, Tier, Instant)>>,
}

impl CooldownTracker {
    fn remaining(last: Option<&Instant>, secs: u32, now: Instant) -> Option<Duration> {
        // A cooldown of zero holds nothing back, even a message whose clock reading came a
        // moment before the reply it races with was recorded.
        if secs == 0 {
            return None;
        }
        let last = last?;
        let until = *last + Duration::from_secs(u64::from(secs));
        (until > now).then(|| until - now)
    }

    /// Phase two, read only: what the cooldowns make of an assessment (for `/autoreply test`,
    /// which must not start a cooldown).
    pub fn check(
        &self,
        assessment: Assessment,
        msg: &Incoming<'_>,
        settings: &GuildSettings,
        now: Instant,
    ) -> Decision {
        self.settle(assessment, msg, settings, now).0
    }

    /// Phase two: checks the cooldowns and records the reply in one step. Call it under the
    /// lock the tracker lives in, so that no other message takes the same window between the
    /// check and the record.
    pub fn claim(
        &mut self,
        assessment: Assessment,
        msg: &Incoming<'_>,
        settings: &GuildSettings,
        now: Instant,
    ) -> Decision {
        let (decision, guild) = self.settle(assessment, msg, settings, now);
        if let (Decision::Reply { target, .. } | Decision::Shadow { target, .. }, Some(guild)) =
            (&decision, guild)
        {
            self.record(guild, msg.channel, msg.author, target.clone(), now);
        }
        decision
    }

    fn settle(
        &self,
        assessment: Assessment,
        msg: &Incoming<'_>,
        settings: &GuildSettings,
        now: Instant,
    ) -> (Decision, Option<u64>) {
        let (guild, mut response, target, repeat_text) = match assessment {
            Assessment::Decided(d) => return (d, None),
            Assessment::WouldReply {
                guild,
                response,
                target,
                repeat_text,
            } => (guild, response, target, repeat_text),
        };
        if let Target::Safety(tier) = target {
            return match self.safety_form(msg.channel, msg.author, tier, now) {
                Err(left) => (
                    Decision::Skip {
                        reason: Skip::SafetyRepeat(left),
                        response: Some(response),
                    },
                    None,
                ),
                Ok(form) => {
                    if let (SafetyForm::Repeat, Some(text)) = (form, repeat_text) {
                        response.text = text;
                    }
                    (Decision::Reply { response, target }, Some(guild))
                }
            };
        }
        let c = &settings.cooldowns;
        let cooled = [
            Self::remaining(self.channel.get(&msg.channel), c.channel_secs, now)
                .map(Skip::ChannelCooldown),
            Self::remaining(self.member.get(&(guild, msg.author)), c.member_secs, now)
                .map(Skip::MemberCooldown),
            Self::remaining(
                self.target.get(&(msg.channel, target.clone())),
                c.entry_secs,
                now,
            )
            .map(Skip::EntryCooldown),
        ];
        if let Some(reason) = cooled.into_iter().flatten().next() {
            let skip = Decision::Skip {
                reason,
                response: Some(response),
            };
            return (skip, None);
        }
        let decision = if settings.shadow {
            Decision::Shadow { response, target }
        } else {
            Decision::Reply { response, target }
        };
        (decision, Some(guild))
    }

    /// Which safety reply `member` gets in `channel` now, or how long until they may get the
    /// same advice again (see the module's policy).
    pub fn safety_form(
        &self,
        channel: u64,
        member: u64,
        tier: Tier,
        now: Instant,
    ) -> Result<SafetyForm, Duration> {
        let recent = self
            .safety
            .get(&channel)
            .into_iter()
            .flatten()
            .filter(|(_, t, at)| *t >= tier && now.duration_since(*at) < SAFETY_REPEAT_WINDOW);
        let mut form = SafetyForm::Full;
        for (who, t, at) in recent {
            if *who == member {
                return Err(SAFETY_REPEAT_WINDOW - now.duration_since(*at));
            }
            // The short reply points to the advice above: only advice of this very tier will do
            // (under the emergency list, "the advice just above" would not be the urgent advice).
            if *t == tier {
                form = SafetyForm::Repeat;
            }
        }
        Ok(form)
    }

    /// Notes a reply (or a shadow "would reply"). A safety reply goes to the safety record
    /// only: it starts no cooldown for the answers.
    pub fn record(&mut self, guild: u64, channel: u64, member: u64, target: Target, now: Instant) {
        if let Target::Safety(tier) = target {
            let list = self.safety.entry(channel).or_default();
            list.retain(|(_, _, at)| now.duration_since(*at) < SAFETY_REPEAT_WINDOW);
            list.push((member, tier, now));
            return;
        }
        self.channel.insert(channel, now);
        self.member.insert((guild, member), now);
        self.target.insert((channel, target), now);
        // Keep the maps small on a long-running bot: forget anything older than a day.
        if self.channel.len() > 10_000 || self.member.len() > 10_000 || self.target.len() > 10_000 {
            let day = Duration::from_secs(86_400);
            self.channel.retain(|_, t| now.duration_since(*t) < day);
            self.member.retain(|_, t| now.duration_since(*t) < day);
            self.target.retain(|_, t| now.duration_since(*t) < day);
            self.safety
                .retain(|_, l| l.iter().any(|(_, _, t)| now.duration_since(*t) < day));
        }
    }
}

/// Decides about one message without recording anything: [`assess`] then
/// [`CooldownTracker::check`].
pub fn decide(
    msg: &Incoming<'_>,
    settings: &GuildSettings,
    engine: &Engine,
    auto_threshold: f32,
    cooldowns: &CooldownTracker,
    now: Instant,
) -> Decision {
    cooldowns.check(
        assess(msg, settings, engine, auto_threshold),
        msg,
        settings,
        now,
    )
}

/// The bot's auto-reply cooldowns, shared by every event handler.
#[derive(Debug, Default)]
pub struct AutoReplies {
    /// Locked only for [`CooldownTracker::claim`] and `check`: map reads and writes, never
    /// the engine and never across an `.await`.
    cooldowns: Mutex<CooldownTracker>,
}

/// Whether a decision may start cooldowns: a member's message does, `/autoreply test` doesn't.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    Yes,
    No,
}

impl AutoReplies {
    /// Both phases: the assessment with no lock held, so decisions for different channels and
    /// servers run side by side; then the cooldowns, checked (and with [`Claim::Yes`] recorded)
    /// under the lock.
    /// `now` is read under the lock, after the assessment: claims are then recorded in the
    /// order of their clock readings, however long each message spent in the engine.
    pub fn decide(
        &self,
        msg: &Incoming<'_>,
        settings: &GuildSettings,
        engine: &Engine,
        auto_threshold: f32,
        claim: Claim,
        now: impl FnOnce() -> Instant,
    ) -> Decision {
        let assessment = assess(msg, settings, engine, auto_threshold);
        let mut cooldowns = self.cooldowns.lock().unwrap_or_else(|p| p.into_inner());
        let now = now();
        match claim {
            Claim::Yes => cooldowns.claim(assessment, msg, settings, now),
            Claim::No => cooldowns.check(assessment, msg, settings, now),
        }
    }
}
