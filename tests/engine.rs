//! Table-driven tests of what a member sees: normalisation, matching in both modes, triage,
//! reply limits and mention safety. Questions here are written for the tests, in the ways
//! members write: short, long, slangy, misspelt, all caps, buried in chat.

mod common;

use runclub_bot::engine::{Mode, Outcome};
use runclub_bot::reply;
use runclub_bot::text::fold_words;
use runclub_bot::triage::{self, Sign};

#[test]
fn folding_and_words() {
    let cases: &[(&str, &[&str])] = &[
        ("FOAM ROLLING???", &["foam", "rolling"]),
        ("Dom's party", &["dom", "party"]),
        ("DOMs", &["doms"]),
        ("it’s “fine”", &["it", "fine"]),
        ("pre-run warm-up", &["pre", "run", "warm", "up"]),
        ("café 🙌🏽 naïve", &["cafe", "naive"]),
        ("stretch it by 1%", &["stretch", "it", "by", "1", "percent"]),
    ];
    for (text, want) in cases {
        assert_eq!(fold_words(text), *want, "{text}");
    }
}

/// Terms after the whole pipeline: synonyms, spellings, typos and false friends.
#[test]
fn normalised_terms() {
    let engine = common::engine();
    let n = engine.matcher().normaliser();
    let cases: &[(&str, &[&str], &[&str])] = &[
        // (message, terms that must be present, terms that must be absent)
        ("fome roler", &["roll"], &[]),
        ("my iliotibal band", &["itband"], &[]),
        ("ITB or IT band or iliotibial band", &["itband"], &[]),
        ("IT band syndrome", &["itband", "itbs"], &[]),
        ("DOMs", &["doms"], &[]),
        ("delayed onset muscle soreness", &["doms"], &[]),
        ("Dom's birthday", &[], &["doms"]),
        ("rolling hills route", &[], &["roll"]),
        ("the IT guy fixed it", &[], &["itband"]),
        ("a calf-raise programme", &["calf", "raise", "program"], &[]),
        ("warm-up", &["warmup"], &[]),
        ("hammies", &["hamstring"], &[]),
        ("can u streach ur IT bnad", &["stretch", "itband"], &[]),
        ("achillies", &["achilles"], &[]),
    ];
    for (text, present, absent) in cases {
        let terms = n.normalise(text).terms;
        for p in *present {
            assert!(
                terms.iter().any(|t| t == p),
                "{text}: {p} missing from {terms:?}"
            );
        }
        for a in *absent {
            assert!(
                !terms.iter().any(|t| t == a),
                "{text}: {a} should not be in {terms:?}"
            );
        }
    }
}

#[test]
fn out_of_scope_subjects_are_named() {
    let engine = common::engine();
    let n = engine.matcher().normaliser();
    assert_eq!(
        n.normalise("is a massage gun better").out_of_scope,
        vec!["massage guns"]
    );
    assert!(n
        .normalise("does rolling help DOMS")
        .out_of_scope
        .is_empty());
}

/// What a member asking directly gets: `Some(id)` is an answer with that entry, `None` a
/// decline or a "did you mean" (never an answer).
#[test]
fn ask_mode_table() {
    let engine = common::engine();
    let cases: &[(&str, Option<&str>)] = &[
        (
            "does rolling break up scar tissue?",
            Some("fascia-adhesions-myth"),
        ),
        (
            "can a fome roler actually get rid of knots",
            Some("fascia-adhesions-myth"),
        ),
        (
            "DOES FOAM ROLLING EVEN DO ANYTHING TO FASCIA",
            Some("fascia-adhesions-myth"),
        ),
        (
            "why does my leg feel looser after rolling if nothing changes",
            Some("how-rolling-works"),
        ),
        (
            "is it better to roll the evening before my parkrun or right before",
            Some("rolling-timing"),
        ),
        (
            "how many minutes on the roller before a tempo run",
            Some("pre-run-rolling-duration"),
        ),
        (
            "does holding static stretches before running sap power",
            Some("static-vs-dynamic-stretching"),
        ),
        (
            "can you lengthen the iliotibal band by rolling",
            Some("itb-not-a-muscle"),
        ),
        ("is the ITB a muscle", Some("itb-not-a-muscle")),
        ("can u streach ur IT bnad", Some("itb-not-a-muscle")),
        ("wat causes itbs", Some("itb-syndrome")),
        ("shud i roll my achillies", Some("tendon-strength")),
        (
            "what actually helps ITBS, more rolling or glute work?",
            Some("itb-what-helps"),
        ),
        (
            "DOMs after my marathon, will foam rolling help",
            Some("doms-rolling"),
        ),
        (
            "what's a good warm up before intervals",
            Some("dynamic-warm-up"),
        ),
        (
            "calf raises or rolling for a grumbly achilles?",
            Some("tendon-strength"),
        ),
        (
            "are those spiky rollers worth buying",
            Some("textured-rollers"),
        ),
        (
            "one spot on my quad is really tender when I roll, what does it mean",
            Some("tender-spots"),
        ),
        (
            "should i chuck my foam roller in the bin",
            Some("is-rolling-worth-it"),
        ),
        (
            "is my pre-race rolling ritual just placebo",
            Some("routine-psychology"),
        ),
        (
            "when is it time to stop rolling and see a physio",
            Some("see-a-physio"),
        ),
        // Outside the knowledge: a decline, never the nearest foam-rolling answer.
        ("what shoes should I get for a marathon", None),
        ("when should I take a gel in a half", None),
        ("how do I get rid of shin splints", None),
        ("is a massage gun better than a foam roller", None),
        ("what's the best plantar fasciitis stretch", None),
        // Chat that uses the words.
        ("rolling hills route on sunday, meet at 9", None),
        ("IT guy says the website is back up", None),
        ("Dom's leaving do on friday", None),
        ("doms today haha", None),
        ("just did some foam rolling, feeling great", None),
        ("hello bot", None),
        ("", None),
    ];
    for (text, want) in cases {
        let r = engine.respond(&engine.prepare(text), Mode::Ask);
        let got = match &r.outcome {
            Outcome::Answer { entry } => Some(entry.as_str()),
            _ => None,
        };
        assert_eq!(
            got, *want,
            "{text:?} -> {:?} (confidence {:.2})",
            r.outcome, r.confidence
        );
        assert!(
            !r.text.is_empty(),
            "ask mode always says something: {text:?}"
        );
    }
}

#[test]
fn ask_mode_offers_did_you_mean_in_the_middle_band() {
    let engine = common::engine();
    let r = engine.respond(&engine.prepare("doms"), Mode::Ask);
    match &r.outcome {
        Outcome::Suggest { entries } => {
            assert!(!entries.is_empty() && entries.len() <= 3);
            // "doms" alone: what DOMS is comes first, rolling for it may follow.
            assert_eq!(entries[0], "doms-what-is-it");
            assert!(r.text.contains("Did you mean"));
        }
        other => panic!("expected suggestions, got {other:?}"),
    }
}

#[test]
fn declines_say_what_the_bot_can_answer() {
    let engine = common::engine();
    let r = engine.respond(
        &engine.prepare("which gels are best for a marathon?"),
        Mode::Ask,
    );
    assert!(!r.answered());
    assert!(r.text.contains("foam rolling"), "{}", r.text);
    assert!(
        r.text.contains("fuelling"),
        "names the subject it won't cover: {}",
        r.text
    );
}

/// Auto mode: `true` means the bot would post on its own.
#[test]
fn auto_mode_table() {
    let engine = common::engine();
    let cases: &[(&str, bool)] = &[
        ("does foam rolling actually break up adhesions?", true),
        ("is the IT band a muscle or a tendon?", true),
        ("how long before a run should I roll?", true),
        // Chatter using the words: silence.
        ("rolling hills route this saturday", false),
        ("just foam rolled, legs feel amazing", false),
        ("doms are real today haha", false),
        ("who borrowed my foam roller?", false),
        ("IT guy fixed the printer finally", false),
        ("warm-up starts at 7 by the bandstand", false),
        ("Dom's birthday drinks after the run?", false),
        // Real questions we don't cover: silence, not the nearest foam-rolling answer.
        ("anyone tried a massage gun?", false),
        ("what shoes for a first marathon?", false),
        ("how do I fix shin splints?", false),
    ];
    for (text, want) in cases {
        let r = engine.respond(&engine.prepare(text), engine.auto());
        assert_eq!(
            r.answered(),
            *want,
            "{text:?} -> {:?} ({:.2})",
            r.outcome,
            r.confidence
        );
        assert_eq!(
            r.text.is_empty(),
            !want,
            "auto mode posts text only when it answers"
        );
    }
}

/// The physio signs the bundled knowledge's `physio_signs` find in a message.
fn signs(text: &str) -> Vec<Sign> {
    let physio = &common::engine().knowledge().physio_signs;
    triage::assess(&fold_words(text), physio)
}

#[test]
fn triage_table() {
    let cases: &[(&str, &[Sign])] = &[
        (
            "my knee has hurt for three weeks, should I roll it?",
            &[Sign::Persistent],
        ),
        ("calf sore since january", &[Sign::Persistent]),
        ("hamstring pain getting worse every run", &[Sign::Worsening]),
        ("hip aches at night", &[Sign::NightOrRest]),
        ("ankle is swollen after the trail race", &[Sign::Swelling]),
        ("tingling down my leg when I run", &[Sign::Numbness]),
        (
            "been limping since the race, calf is tight",
            &[Sign::Limping],
        ),
        ("foot hurts when I put weight on it", &[Sign::WeightBearing]),
        (
            "felt a pop in my hamstring and had to stop",
            &[Sign::SharpOrSudden],
        ),
        ("ITB pain keeps coming back", &[Sign::Recurring]),
        // No warning signs.
        ("my legs are sore two days after the half", &[]),
        ("does rolling help DOMS?", &[]),
        ("no swelling, just a bit tight", &[]),
        ("what if the knee pain gets worse?", &[]),
        ("race in 3 weeks, quads a bit sore", &[]),
        ("knot in my shoelace snapped", &[]),
        ("warm up starts at 6:25 sharp", &[]),
    ];
    for (text, want) in cases {
        assert_eq!(signs(text), *want, "{text}");
    }
}

#[test]
fn warning_signs_lead_with_the_physio() {
    let engine = common::engine();
    for mode in [Mode::Ask, engine.auto()] {
        let r = engine.respond(&engine.prepare("been rolling my ITB for a month and the outside of my knee is getting worse, roll harder?"), mode);
        assert!(r.answered(), "{mode:?}");
        assert!(r.escalated());
        let first_line = r.text.lines().next().unwrap();
        assert!(first_line.contains("assessed by a physio"), "{first_line}");
        assert!(r.text.contains("getting worse"), "names what it noticed");
    }
    // An ordinary answer still carries the physio prompt, but does not escalate.
    let r = engine.respond(&engine.prepare("does rolling help DOMS?"), Mode::Ask);
    assert!(!r.escalated());
    assert!(r.text.contains("see a physio"));
}

#[test]
fn every_answer_fits_discord_and_names_its_source() {
    let engine = common::engine();
    let all_signs = Sign::ALL;
    for e in &engine.knowledge().entries {
        for text in [reply::answer(e), reply::escalated_answer(&all_signs, e)] {
            // Every answer reaches the member whole at the default limit: nothing is cut off.
            let out = reply::finish(&text, 1900);
            assert_eq!(out, text, "{}: the answer would be shortened", e.id);
            assert!(out.contains("Source"), "{} names its source", e.id);
            assert!(out.contains("physio"), "{} mentions a physio", e.id);
        }
        assert!(
            // A Discord message, not an essay: room for the evidence's strength in plain words.
            (250..=950).contains(&e.answer.chars().count()),
            "{}: answers stay concise ({} chars)",
            e.id,
            e.answer.chars().count()
        );
    }
}

#[test]
fn long_replies_are_cut_to_the_limit() {
    let long = "A sentence that goes on. ".repeat(200);
    for max in [200, 1000, 2000] {
        let out = reply::finish(&long, max);
        assert!(out.chars().count() <= max);
        assert!(out.ends_with('…'));
    }
}

#[test]
fn nothing_sent_can_ping() {
    let cases = [
        "@everyone look",
        "@here hi",
        "<@123456789012345678> hi",
        "<@!123456789012345678> hi",
        "<@&123456789012345678> role",
    ];
    for c in cases {
        let out = reply::finish(c, 2000);
        assert!(!pings(&out), "{out}");
        assert!(out.contains('@'), "text stays readable: {out}");
    }
    // Messages that try to smuggle mentions get replies without any.
    let engine = common::engine();
    for mode in [Mode::Ask, engine.auto()] {
        let r = engine.respond(
            &engine.prepare("@everyone does rolling break up scar tissue? <@&42>"),
            mode,
        );
        assert!(!pings(&r.text), "{}", r.text);
    }
}

/// Whether Discord would parse a mention in `text`.
fn pings(text: &str) -> bool {
    text.contains("@everyone")
        || text.contains("@here")
        || text.match_indices("<@").any(|(i, _)| {
            text[i + 2..].starts_with(|c: char| c.is_ascii_digit() || c == '!' || c == '&')
        })
}

/// Questions put to other members (plans, kit, how it went) are chat: the bot stays out.
#[test]
fn questions_for_other_members_get_no_auto_reply() {
    let engine = common::engine();
    for text in [
        "who's got the foam rollers for tonight's session?",
        "has anyone tried one of those grid rollers?",
        "how were everyone's DOMS after the hills?",
        "is the warm up at 6:30 tomorrow or 6:45?",
        "can someone roll the finish banner up after?",
        "what time does the warm-up start on sunday?",
    ] {
        let r = engine.respond(&engine.prepare(text), engine.auto());
        assert!(!r.answered(), "{text:?} -> {:?}", r.outcome);
    }
    // Asking the group about the science is still a question the bot can answer.
    assert!(engine
        .respond(
            &engine.prepare("does anyone know if foam rolling actually breaks up adhesions?"),
            engine.auto()
        )
        .answered());
}

/// Warning signs in the other ways members put them.
#[test]
fn triage_in_members_words() {
    let cases: &[(&str, Sign)] = &[
        ("knee's been dodgy for about a month now", Sign::Persistent),
        (
            "can't put any weight on my foot since the race",
            Sign::WeightBearing,
        ),
        (
            "my shin hurts even when I'm sitting down",
            Sign::NightOrRest,
        ),
        ("the ache is getting gradually worse", Sign::Worsening),
        ("calf went bang at mile 10", Sign::SharpOrSudden),
        ("my knee keeps giving way on downhills", Sign::Limping),
        (
            "achilles pain since the marathon in april",
            Sign::Persistent,
        ),
        ("limping after parkrun yesterday", Sign::Limping),
    ];
    for (text, sign) in cases {
        assert!(signs(text).contains(sign), "{text}: {:?}", signs(text));
    }
    for calm in [
        "is rolling worse than stretching before a race?",
        "my legs felt heavy in the 10k but fine now",
        "what if it gets worse later in the week?",
    ] {
        assert!(signs(calm).is_empty(), "{calm}: {:?}", signs(calm));
    }
}

/// Myths stated as fact are answered when put to the bot; banter that merely uses the words is
/// not.
#[test]
fn claims_versus_banter_in_ask_mode() {
    let engine = common::engine();
    // The static-stretching claim gets a warm-up answer: since the encoder was fine-tuned it
    // prefers the general "best warm-up" entry to the rolling-or-static-stretching one, which
    // answers it better (a known miss; the knowledge has no entry on static stretching itself).
    for (text, entries) in [
        (
            "the IT band is a muscle you can stretch",
            &["itb-not-a-muscle"][..],
        ),
        (
            "static stretching is the best warm up",
            &["static-vs-dynamic-stretching"][..],
        ),
        (
            "foam rolling breaks up scar tissue",
            &["fascia-adhesions-myth"][..],
        ),
    ] {
        let r = engine.respond(&engine.prepare(text), Mode::Ask);
        let got = match &r.outcome {
            Outcome::Answer { entry } => entry.as_str(),
            _ => "(not answered)",
        };
        assert!(entries.contains(&got), "{text}: {got}");
    }
    for banter in [
        "DOMS are the worst",
        "leg swings are so awkward in public",
        "warm ups are at the bandstand from now on",
        "the hill reps are brutal, doms incoming",
    ] {
        assert!(
            !engine
                .respond(&engine.prepare(banter), Mode::Ask)
                .answered(),
            "{banter}"
        );
        assert!(
            !engine
                .respond(&engine.prepare(banter), engine.auto())
                .answered(),
            "{banter}"
        );
    }
}

/// A moderator's short length limit shortens the body of a reply, never the line that must
/// reach the member: the physio prompt, the disclaimer, the emergency action.
#[test]
fn short_replies_keep_the_prompt_and_the_safety_line() {
    let kb = runclub_bot::KnowledgeBase::load_dir(&common::repo().join("knowledge")).unwrap();
    let reply = runclub_bot::config::ReplyConfig {
        max_chars: 250,
        ..Default::default()
    };
    let engine = runclub_bot::Engine::new(
        kb,
        runclub_bot::config::EngineConfig::default(),
        reply,
        common::embedder(),
        &runclub_bot::semantic::Caches::own(&common::cache_dir()),
    )
    .unwrap();
    let cases = [
        ("does rolling break up scar tissue?", "🩺 If pain persists"),
        (
            "my knee has been swollen for two weeks, should I roll it?",
            "not a diagnosis",
        ),
        (
            "my chest went tight and heavy on the hill and it hasn't eased",
            "not a diagnosis",
        ),
    ];
    for (q, last) in cases {
        let r = engine.respond(&engine.prepare(q), Mode::Ask);
        assert!(r.text.chars().count() <= 250, "{}", r.text);
        assert!(r.text.lines().last().unwrap().contains(last), "{}", r.text);
        assert!(r.text.contains('…'), "the body was shortened: {}", r.text);
    }
    let emergency = engine.respond(
        &engine.prepare("my chest went tight and heavy on the hill"),
        Mode::Ask,
    );
    assert!(emergency
        .text
        .starts_with("🚨 **Call emergency services now"));
}

/// What the model reads of a member's message: typos of our words are corrected, real words
/// never are, and the examples the model learnt from went through the same step. Before the
/// model's vocabulary guarded the corrector, "my knee locked" reached the model as "my knee
/// looked" and "not settling" as "not selling".
#[test]
fn the_model_reads_typos_corrected_and_real_words_as_written() {
    let engine = common::engine();
    let cases = [
        ("can u streach ur IT bnad", "can u stretch ur IT band"),
        (
            "knee locked after i twisted it, not settling",
            "knee locked after i twisted it, not settling",
        ),
        (
            "threw up after the race and my lungs hurt",
            "threw up after the race and my lungs hurt",
        ),
        (
            "does anyone else get stitches on downhills",
            "does anyone else get stitches on downhills",
        ),
    ];
    for (written, read) in cases {
        assert_eq!(engine.prepare(written).model_text(), read, "{written}");
    }
}

/// Minimal pairs: the same words at a different tier. Who is in trouble, when, and whether it
/// is over decide the tier, not the words; a message that needs neither gets no emergency or
/// urgent wording in either mode, and the safety reply in a channel is for the first of each
/// pair only.
#[test]
fn minimal_pairs_by_tier() {
    use runclub_bot::triage::Tier;
    let engine = common::engine();
    let cases = [
        (
            "my mate collapsed at the finish and isn't moving",
            Some(Tier::Emergency),
        ),
        (
            "my mate collapsed at the finish, laughing, and got up for her medal",
            None,
        ),
        ("the finish arch collapsed in the wind, nobody hurt", None),
        (
            "a runner collapsed at our race two years ago and is fine now, should we get a defib?",
            None,
        ),
        (
            "chest feels tight and heavy and it's spreading into my left arm",
            Some(Tier::Emergency),
        ),
        (
            "still a bit chesty after last week's cold, ok to do an easy run or wait?",
            None,
        ),
        (
            "heard a pop at the back of my heel on the track and now i cant push off or go on tiptoe",
            Some(Tier::Urgent),
        ),
        (
            "heard a pop in my knee getting off the sofa, no pain, ran 8k fine after",
            None,
        ),
        (
            "fell on the trail and my wrist is bent the wrong way",
            Some(Tier::Urgent),
        ),
        (
            "broke my wrist on the trail two summers ago, all healed, any tips for confidence on descents?",
            None,
        ),
        (
            "my knee has hurt on every run for six weeks and it's getting worse",
            Some(Tier::Physio),
        ),
        ("how do i work out my heart rate zones for easy runs", None),
    ];
    for (text, want) in cases {
        let message = engine.prepare(text);
        let ask = engine.respond(&message, Mode::Ask);
        let auto = engine.respond(&message, engine.auto());
        let safety = |r: &runclub_bot::Response| matches!(r.outcome, Outcome::Safety { .. });
        match want {
            Some(Tier::Physio) => {
                assert_eq!(ask.tier, Some(Tier::Physio), "{text}");
                assert!(!safety(&auto), "{text}");
            }
            Some(tier) => {
                assert!(
                    matches!(ask.outcome, Outcome::Safety { tier: t } if t == tier),
                    "{text}: {:?}",
                    ask.outcome
                );
                assert!(safety(&auto), "{text}: auto {:?}", auto.outcome);
            }
            None => {
                assert!(
                    ask.tier < Some(Tier::Urgent) && !safety(&ask),
                    "{text}: {:?}",
                    ask.tier
                );
                assert!(!safety(&auto), "{text}: auto {:?}", auto.outcome);
            }
        }
    }
}

/// The safety replies lead with the action, give the first-aid steps the health-service pages
/// give, name those pages, and reach the member whole.
#[test]
fn safety_replies_name_their_sources_and_fit() {
    let engine = common::engine();
    for (text, lead, steps) in [
        (
            "my mate collapsed at the finish and isn't moving",
            "Call emergency services now",
            &[
                "CPR",
                "aspirin (300 mg)",
                "\"anaphylaxis\"",
                "legs raised",
                "note the time",
            ][..],
        ),
        (
            "felt a pop at the back of my heel and now I can't push off",
            "Get this seen now",
            &["NHS 111", "get a lift", "coughing blood"][..],
        ),
    ] {
        let r = engine.respond(&engine.prepare(text), Mode::Ask);
        assert!(
            r.text.starts_with(&format!("🚨 **{lead}"))
                || r.text.starts_with(&format!("🚑 **{lead}")),
            "{}",
            r.text
        );
        for step in steps {
            assert!(r.text.contains(step), "{step} in {}", r.text);
        }
        assert!(
            r.text.contains("📚 Sources: ") && r.text.contains("NHS"),
            "{}",
            r.text
        );
        assert!(r.text.ends_with(reply::DISCLAIMER), "{}", r.text);
        assert!(r.text.chars().count() <= 1900, "{}", r.text.chars().count());
    }
}
