//! The auto-reply decision with an injected clock: cooldowns start, hold and expire; guards
//! come before anything else. No Discord, no sleeps.

mod common;

use std::time::{Duration, Instant};

use runclub_bot::autoreply::{
    assess, decide, AutoReplies, Claim, CooldownTracker, Decision, Incoming, SafetyForm, Skip,
    SAFETY_REPEAT_WINDOW,
};
use runclub_bot::settings::{Cooldowns, GuildSettings};
use runclub_bot::triage::Tier;
use runclub_bot::Target;

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
    let Decision::Reply { target, .. } = &d else {
        panic!("{d:?}")
    };
    cd.record(GUILD, CHANNEL, 1, target.clone(), t0);

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
        matches!(d, Decision::Shadow { target: Target::Entry(ref id), .. } if id == "itb-not-a-muscle"),
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
    let itb = engine
        .knowledge()
        .entry("itb-not-a-muscle")
        .unwrap()
        .id
        .clone();
    cd.record(GUILD, CHANNEL, 1, Target::Entry(itb), t0);
    let emergency = "my mate collapsed after the finish and isn't responding";
    let d = decide(&msg(1, emergency), &s, engine, 0.5, &cd, t0);
    match &d {
        Decision::Reply { response, target } => {
            assert_eq!(*target, Target::Safety(Tier::Emergency));
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
/// selects decides what gets a reply: a message the engine is fairly, not very, sure of (0.65)
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
    let q = "is it worth rolling before a tempo run";
    let confidence = engine.respond(&engine.prepare(q), engine.auto()).confidence;
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

/// The safety-reply policy (written once in `autoreply`'s module docs): the member who just got
/// the advice doesn't get it again; anyone else in the channel always gets a reply, short when
/// the full advice is just above; a more urgent tier gets the full reply; shadow mode posts it.
#[test]
fn repeated_safety_replies_are_limited_but_never_withheld_from_someone_new() {
    let engine = common::engine();
    let s = settings();
    let mut cd = CooldownTracker::default();
    let t0 = Instant::now();
    let collapse = "my mate collapsed after the finish and isn't responding";
    let claim = |cd: &mut CooldownTracker, author: u64, text: &str, at: Instant| {
        let m = msg(author, text);
        cd.claim(assess(&m, &s, engine, 0.5), &m, &s, at)
    };

    let first = claim(&mut cd, 1, collapse, t0);
    let Decision::Reply { response, .. } = &first else {
        panic!("{first:?}")
    };
    let full = response.text.clone();
    assert!(
        full.starts_with("🚨 **Call emergency services now"),
        "{full}"
    );
    assert!(
        full.contains("defibrillator"),
        "the first reply is the whole advice"
    );

    // The same member repeating themselves: the advice is just above.
    let again = claim(&mut cd, 1, collapse, t0 + Duration::from_secs(20));
    assert!(
        matches!(skip_reason(&again), Some(Skip::SafetyRepeat(_))),
        "{again:?}"
    );

    // Another member reporting the same incident: a reply, short, pointing above.
    let other = claim(&mut cd, 2, collapse, t0 + Duration::from_secs(30));
    let Decision::Reply { response, target } = &other else {
        panic!("someone new is never held back: {other:?}")
    };
    assert_eq!(*target, Target::Safety(Tier::Emergency));
    assert!(response
        .text
        .starts_with("🚨 **Call emergency services now"));
    assert!(
        response.text.contains("The advice just above applies"),
        "{}",
        response.text
    );
    assert!(response.text.len() < full.len() / 2, "{}", response.text);

    // Someone else's urgent injury under the emergency advice gets the full urgent reply: "the
    // advice just above" would point at the emergency list.
    assert_eq!(
        cd.safety_form(CHANNEL, 9, Tier::Urgent, t0 + Duration::from_secs(40)),
        Ok(SafetyForm::Full)
    );

    // After the window the same member gets the whole advice again.
    let later = claim(&mut cd, 1, collapse, t0 + SAFETY_REPEAT_WINDOW);
    assert!(later.replies(), "{later:?}");

    // An urgent reply first, then an emergency in the same channel: the full emergency advice.
    let mut cd = CooldownTracker::default();
    let urgent = "heard a pop in my achilles and can't push off at all";
    let d = claim(&mut cd, 3, urgent, t0);
    assert!(
        matches!(
            &d,
            Decision::Reply {
                target: Target::Safety(Tier::Urgent),
                ..
            }
        ),
        "{d:?}"
    );
    assert_eq!(
        cd.safety_form(CHANNEL, 4, Tier::Emergency, t0),
        Ok(SafetyForm::Full)
    );
    assert_eq!(
        cd.safety_form(CHANNEL, 4, Tier::Urgent, t0),
        Ok(SafetyForm::Repeat)
    );

    // Shadow mode trials the answers; a safety reply is still posted.
    let shadow = GuildSettings {
        shadow: true,
        ..settings()
    };
    let d = decide(
        &msg(5, collapse),
        &shadow,
        engine,
        0.5,
        &CooldownTracker::default(),
        t0,
    );
    assert!(d.replies(), "{d:?}");
}

/// The engine runs outside the cooldown lock: while one channel's decision is deep in the
/// model (a long message, over 100 ms), a short question in another channel is decided and
/// done. Before the two phases the lock was held through the model run, and the second
/// decision waited for the first to finish. The cooldown claim itself still lets exactly one of
/// two racing messages through in one channel.
#[test]
fn decisions_in_two_channels_overlap() {
    use std::sync::Barrier;
    let engine = common::engine();
    let other_channel = 20;
    let s = GuildSettings {
        channels: vec![CHANNEL, other_channel],
        ..settings()
    };
    let replies = AutoReplies::default();
    let long = format!(
        "is the IT band a muscle? {}",
        "I keep reading different things about whether you can stretch it or not. ".repeat(40)
    );
    let short = "does foam rolling break up adhesions?";
    let barrier = Barrier::new(2);
    let (long_done, short_done) = std::thread::scope(|scope| {
        let (long, s, replies, barrier) = (&long, &s, &replies, &barrier);
        let a = scope.spawn(move || {
            barrier.wait();
            replies.decide(&msg(1, long), s, engine, 0.5, Claim::No, Instant::now);
            Instant::now()
        });
        let b = scope.spawn(move || {
            barrier.wait();
            // Let the long decision get into the model first.
            std::thread::sleep(Duration::from_millis(20));
            let m = Incoming {
                channel: other_channel,
                ..msg(2, short)
            };
            replies.decide(&m, s, engine, 0.5, Claim::No, Instant::now);
            Instant::now()
        });
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(
        short_done < long_done,
        "the short decision waited {:?} for the long one to finish",
        short_done - long_done
    );

    // Two members' messages racing in one channel: one reply, one held back.
    let q = "does foam rolling break up adhesions?";
    let now = Instant::now();
    let decisions: Vec<Decision> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=2)
            .map(|author| {
                let (s, replies) = (&s, &replies);
                scope.spawn(move || {
                    replies.decide(&msg(author, q), s, engine, 0.5, Claim::Yes, || now)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        decisions.iter().filter(|d| d.replies()).count(),
        1,
        "{decisions:?}"
    );
}
