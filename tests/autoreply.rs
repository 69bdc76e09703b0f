//! The auto-reply decision with an injected clock: cooldowns start, hold and expire; guards
//! come before anything else. No Discord, no sleeps.

mod common;

use std::time::{Duration, Instant};

use runclub_bot::autoreply::{decide, CooldownTracker, Decision, Incoming, Skip};
use runclub_bot::settings::{Cooldowns, GuildSettings};

const GUILD: u64 = 1;
const CHANNEL: u64 = 10;
const THREAD: u64 = 11;

fn settings() -> GuildSettings {
    GuildSettings {
        channels: vec![CHANNEL],
        cooldowns: Cooldowns {
            channel_secs: 60,
            member_secs: 300,
            entry_secs: 900,
        },
        ..GuildSettings::new(GUILD)
    }
}

fn msg<'a>(author: u64, content: &'a str) -> Incoming<'a> {
    Incoming {
        guild: Some(GUILD),
        channel: CHANNEL,
        parent: None,
        author,
        author_is_bot: false,
        from_webhook: false,
        from_self: false,
        author_roles: &[],
        content,
    }
}

fn skip_reason(d: &Decision) -> Option<&Skip> {
    match d {
        Decision::Skip { reason, .. } => Some(reason),
        _ => None,
    }
}

#[test]
fn cooldowns_start_hold_and_expire() {
    let engine = common::engine();
    let s = settings();
    let mut cd = CooldownTracker::default();
    let t0 = Instant::now();
    let q1 = "does foam rolling break up adhesions?";
    let q2 = "is the IT band a muscle?";

    let d = decide(&msg(1, q1), &s, engine, 0.5, &cd, t0);
    let Decision::Reply { entry, .. } = &d else {
        panic!("{d:?}")
    };
    cd.record(GUILD, CHANNEL, 1, entry, t0);

    // Channel cooldown: anyone, any question, for 60 s.
    let d = decide(
        &msg(2, q2),
        &s,
        engine,
        0.5,
        &cd,
        t0 + Duration::from_secs(59),
    );
    assert!(
        matches!(skip_reason(&d), Some(Skip::ChannelCooldown(left)) if left.as_secs() == 1),
        "{d:?}"
    );
    // After it: member 2 is fine, member 1 still in the member cooldown.
    let t1 = t0 + Duration::from_secs(61);
    assert!(decide(&msg(2, q2), &s, engine, 0.5, &cd, t1).replies());
    assert!(matches!(
        skip_reason(&decide(&msg(1, q2), &s, engine, 0.5, &cd, t1)),
        Some(Skip::MemberCooldown(_))
    ));
    // The same answer in the same channel waits 15 minutes.
    assert!(matches!(
        skip_reason(&decide(&msg(3, q1), &s, engine, 0.5, &cd, t1)),
        Some(Skip::EntryCooldown(_))
    ));
    let t2 = t0 + Duration::from_secs(901);
    assert!(decide(&msg(3, q1), &s, engine, 0.5, &cd, t2).replies());
    assert!(
        decide(&msg(1, q2), &s, engine, 0.5, &cd, t2).replies(),
        "member cooldown over"
    );
}

#[test]
fn guards_come_first() {
    let engine = common::engine();
    let s = settings();
    let cd = CooldownTracker::default();
    let now = Instant::now();
    let q = "does foam rolling break up adhesions?";
    let cases: Vec<(Incoming, Option<Skip>)> = vec![
        (
            Incoming {
                guild: None,
                ..msg(1, q)
            },
            Some(Skip::DirectMessage),
        ),
        (
            Incoming {
                from_self: true,
                ..msg(1, q)
            },
            Some(Skip::FromSelf),
        ),
        (
            Incoming {
                author_is_bot: true,
                ..msg(1, q)
            },
            Some(Skip::FromBot),
        ),
        (
            Incoming {
                from_webhook: true,
                ..msg(1, q)
            },
            Some(Skip::FromWebhook),
        ),
        (
            Incoming {
                channel: 99,
                ..msg(1, q)
            },
            Some(Skip::ChannelNotEnabled),
        ),
        (
            Incoming {
                channel: THREAD,
                parent: Some(CHANNEL),
                ..msg(1, q)
            },
            None,
        ),
        (
            Incoming {
                channel: THREAD,
                parent: Some(99),
                ..msg(1, q)
            },
            Some(Skip::ChannelNotEnabled),
        ),
    ];
    for (m, want) in cases {
        let d = decide(&m, &s, engine, 0.5, &cd, now);
        assert_eq!(skip_reason(&d), want.as_ref(), "{m:?}");
    }
    let roles = [42];
    let ignored = GuildSettings {
        ignored_roles: vec![42],
        ..settings()
    };
    let m = Incoming {
        author_roles: &roles,
        ..msg(1, q)
    };
    assert_eq!(
        skip_reason(&decide(&m, &ignored, engine, 0.5, &cd, now)),
        Some(&Skip::IgnoredRole)
    );
}

#[test]
fn shadow_mode_decides_but_does_not_post() {
    let engine = common::engine();
    let s = GuildSettings {
        shadow: true,
        ..settings()
    };
    let d = decide(
        &msg(1, "is the IT band a muscle?"),
        &s,
        engine,
        0.5,
        &CooldownTracker::default(),
        Instant::now(),
    );
    assert!(
        matches!(d, Decision::Shadow { ref entry, .. } if entry == "itb-not-a-muscle"),
        "{d:?}"
    );
    assert!(!d.replies());
}

#[test]
fn sensitivity_moves_the_threshold() {
    let engine = common::engine();
    let s = settings();
    let cd = CooldownTracker::default();
    let q = "how quickly does the looseness from rolling wear off?";
    let strict = decide(&msg(1, q), &s, engine, 0.99, &cd, Instant::now());
    assert!(
        matches!(skip_reason(&strict), Some(Skip::Engine(_))),
        "{strict:?}"
    );
    assert!(decide(&msg(1, q), &s, engine, 0.3, &cd, Instant::now()).replies());
}

/// A possible emergency in an enabled channel gets the safety reply whatever its topic, even
/// right after another auto reply; a server that turned safety replies off gets silence.
#[test]
fn safety_replies_skip_cooldowns_and_can_be_turned_off() {
    let engine = common::engine();
    let s = settings();
    let mut cd = CooldownTracker::default();
    let t0 = Instant::now();
    cd.record(GUILD, CHANNEL, 1, "itb-not-a-muscle", t0);
    let emergency = "my mate collapsed after the finish and isn't responding";
    let d = decide(&msg(1, emergency), &s, engine, 0.5, &cd, t0);
    match &d {
        Decision::Reply { response, entry } => {
            assert_eq!(entry, "safety-emergency");
            assert!(response
                .text
                .starts_with("🚨 **Call emergency services now (999 / 112 / 911).**"));
        }
        other => panic!("expected a safety reply, got {other:?}"),
    }
    let off = GuildSettings {
        safety_replies: false,
        ..settings()
    };
    let d = decide(
        &msg(2, emergency),
        &off,
        engine,
        0.5,
        &CooldownTracker::default(),
        t0,
    );
    assert!(!d.replies(), "{d:?}");
    // Banter that only sounds alarming stays silent either way.
    let banter = "collapsed on the sofa after the long run lol";
    assert!(!decide(
        &msg(3, banter),
        &s,
        engine,
        0.5,
        &CooldownTracker::default(),
        t0
    )
    .replies());
}

/// Each sensitivity level selects its threshold from the configuration, and the threshold it
/// selects decides what gets a reply: a message the engine is fairly, not very, sure of (0.72)
/// is answered on a loose or normal server and not on a strict one.
#[test]
fn sensitivity_levels_select_their_thresholds() {
    use runclub_bot::autoreply::threshold;
    use runclub_bot::config::AutoReplyConfig;
    use runclub_bot::settings::Sensitivity;
    let config = AutoReplyConfig {
        strict_answer: 0.9,
        loose_answer: 0.3,
        ..AutoReplyConfig::default()
    };
    let normal = 0.5;
    assert_eq!(threshold(&config, normal, Sensitivity::Strict), 0.9);
    assert_eq!(threshold(&config, normal, Sensitivity::Normal), 0.5);
    assert_eq!(threshold(&config, normal, Sensitivity::Loose), 0.3);

    let engine = common::engine();
    let cd = CooldownTracker::default();
    let q = "does rolling do much before intervals";
    let confidence = engine.respond(q, runclub_bot::Mode::Auto).confidence;
    assert!((0.5..0.9).contains(&confidence), "{confidence}");
    let replies = |s: Sensitivity| {
        let settings = GuildSettings {
            sensitivity: s,
            ..settings()
        };
        let t = threshold(&config, normal, s);
        decide(&msg(1, q), &settings, engine, t, &cd, Instant::now()).replies()
    };
    assert!(replies(Sensitivity::Loose));
    assert!(replies(Sensitivity::Normal));
    assert!(!replies(Sensitivity::Strict));
}
