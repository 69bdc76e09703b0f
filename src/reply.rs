//! The text a member sees: concise, sourced, with a physio prompt, safe to post.
//!
//! Every reply goes through [`finish`], the one place that makes text safe for Discord: no
//! mention can ping (`@everyone`, `@here`, `<@id>`, `<@&id>` are defused with a zero-width
//! space), and the text fits the configured limit (at most Discord's 2000 characters), cut at a
//! line or sentence boundary. The Discord adapter also sends every message with mentions
//! disabled; this is the second lock on the same door.

use crate::knowledge::{Entry, Source};
use crate::triage::{Sign, Tier};

/// The prompt under every answer.
pub const PHYSIO_PROMPT: &str =
    "🩺 If pain persists, gets worse or changes how you run, see a physio. This is general information, not a diagnosis.";

/// What the bot covers, for declines and `/about`.
pub const SCOPE: &str =
    "foam rolling, the IT band, DOMS (sore legs after hard running) and warm-ups";

/// Defuses anything Discord would turn into a ping.
pub fn defuse_mentions(text: &str) -> String {
    // A zero-width space after '@' keeps the text readable while breaking every mention form
    // (`@everyone`, `@here`, `<@123>`, `<@!123>`, `<@&123>`).
    text.replace('@', "@\u{200B}")
}

/// Escapes Discord markdown in members' words shown back to moderators, so that a question
/// can't restyle, hide (spoilers), link or break the view it is shown in.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '*'
                | '_'
                | '~'
                | '`'
                | '|'
                | '>'
                | '#'
                | '['
                | ']'
                | '('
                | ')'
                | '<'
                | '-'
                | ':'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Cuts `text` to at most `max` characters, preferring a line or sentence boundary, and marks
/// the cut with an ellipsis.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let budget = max.saturating_sub(1);
    let cut: String = text.chars().take(budget).collect();
    let boundary = cut
        .rfind('\n')
        .or_else(|| cut.rfind(". ").map(|i| i + 1))
        .filter(|&i| i >= budget / 2)
        .unwrap_or(cut.len());
    format!("{}…", cut[..boundary].trim_end())
}

/// Makes text safe to post: mentions defused, then cut to the limit.
pub fn finish(text: &str, max: usize) -> String {
    truncate(&defuse_mentions(text), max)
}

/// As [`finish`], keeping `footer` whole on the last line: a moderator's length limit may
/// shorten the body, never the physio prompt or the disclaimer.
pub fn finish_with_footer(body: &str, footer: &str, max: usize) -> String {
    let footer = defuse_mentions(footer);
    let room = max.saturating_sub(footer.chars().count() + 1);
    format!("{}\n{footer}", truncate(&defuse_mentions(body), room))
}

/// The last line of every escalated reply.
pub const DISCLAIMER: &str = "This is general information, not a diagnosis.";

/// An entry's answer without the prompt under it: title, answer, sources.
pub fn answer_body(entry: &Entry) -> String {
    format!(
        "**{}**\n{}\n\n{}",
        entry.title,
        entry.answer,
        sources_line(entry)
    )
}

/// The source line of an entry: each source named the way a person cites it.
pub fn sources_line(entry: &Entry) -> String {
    let list: Vec<&str> = entry.sources.iter().map(|s| s.cite.as_str()).collect();
    let label = if list.len() == 1 { "Source" } else { "Sources" };
    format!("📚 {label}: {}", list.join("; "))
}

/// The full citations of an entry's sources, each with how strong it is and its link: what
/// "Full sources" shows.
pub fn full_sources(entry: &Entry) -> String {
    let mut out = format!("📚 **Sources for \"{}\"**", entry.title);
    for s in &entry.sources {
        out.push_str(&format!(
            "\n• {} ({})",
            s.full_citation(),
            s.evidence.describe()
        ));
    }
    truncate(&defuse_mentions(&out), 2000)
}

/// An entry as an answer: title, answer, sources, physio prompt.
pub fn answer(entry: &Entry) -> String {
    format!("{}\n{PHYSIO_PROMPT}", answer_body(entry))
}

/// The physio recommendation that leads a reply to a message with warning signs. Pain at night
/// or at rest and numbness are worth a GP's look as well: they can come from more than a sore
/// muscle or tendon.
pub fn escalation(signs: &[Sign]) -> String {
    let list: Vec<&str> = signs.iter().map(|s| s.describe()).collect();
    let why = if list.is_empty() {
        "It's one".to_string()
    } else {
        format!(
            "What you describe has warning signs ({}), so it's one",
            list.join("; ")
        )
    };
    let gp = if signs
        .iter()
        .any(|s| matches!(s, Sign::NightOrRest | Sign::Numbness))
    {
        " Pain at night or at rest, or numbness, is worth showing your GP too."
    } else {
        ""
    };
    format!(
        "⚠️ **Please get this assessed by a physio before you run on it again.** {why} to have \
         looked at rather than rolled or stretched out, and I can't tell what's causing it. \
         Meanwhile, ease off anything that makes it worse.{gp}"
    )
}

/// The sources of the safety replies (ids in the knowledge's `sources`): the NHS and
/// health-service pages of the evidence dossier's warning signs. `check` refuses a knowledge
/// that lacks any of them.
pub const EMERGENCY_SOURCES: &[&str] = &["S1", "S2", "S3", "S4b", "S7", "S9", "S10"];
pub const URGENT_SOURCES: &[&str] = &["S4a", "S5a", "S6", "S8", "S9"];

/// The sources a tier's safety reply rests on.
pub fn safety_sources(tier: Tier) -> &'static [&'static str] {
    match tier {
        Tier::Emergency => EMERGENCY_SOURCES,
        Tier::Urgent => URGENT_SOURCES,
        Tier::Physio => &[],
    }
}

/// The reply to a possible emergency or urgent injury: the action in the first line, that the
/// bot can't assess it, what to do while help comes, no training advice of any kind, and the
/// guidance it rests on. Every step is one the dossier's health-service pages give (aspirin for
/// chest pain, S1; the stroke signs' time, S2; cooling, S3; the auto-injector, "anaphylaxis"
/// and lying flat, S10), except CPR and the defibrillator, which the call handler guides.
pub fn safety(tier: Tier, emergency_number: &str, sources: &[&Source]) -> String {
    let body = match tier {
        Tier::Emergency => format!(
            "🚨 **Call emergency services now ({emergency_number}).**\n\
             This could be a medical emergency and a bot can't assess it: don't wait to see if it \
             passes, and don't drive yourself. While help comes:\n\
             • Not responding and not breathing normally (gasping counts as not normal): put the \
             phone on speaker; the call handler will talk you through CPR. Send someone for a \
             defibrillator (AED), switch it on and follow what it says.\n\
             • Breathing but not responding: put them in the recovery position, stay with them and \
             keep checking their breathing.\n\
             • Chest pain or pressure: stop and rest; chew an aspirin (300 mg) if one is to hand \
             and they aren't allergic to it.\n\
             • Throat, tongue or lips swelling, or wheezing, after a sting or food: use their \
             adrenaline auto-injector if they carry one, tell the call handler \"anaphylaxis\", \
             and lie them flat with their legs raised.\n\
             • Face drooping, an arm weak or speech slurred: note the time it started.\n\
             • Overheated or confused after running: get them into shade, spray or sponge them \
             with cool water and fan them."
        ),
        Tier::Urgent => format!(
            "🚑 **Get this seen now: urgent care or A&E.**\n\
             What you describe could need checking within hours, and a bot can't assess it. Stop \
             running, rest the injured part and get a lift rather than walking or driving there. \
             Don't roll, stretch or exercise it until you've been seen. Not sure where to go? In \
             the UK, NHS 111 can tell you, or ask your GP for an urgent appointment today. Call \
             {emergency_number} if you feel much worse, or if a swollen leg comes with \
             breathlessness, chest pain or coughing blood."
        ),
        Tier::Physio => return escalation(&[]),
    };
    if sources.is_empty() {
        return body;
    }
    let cites: Vec<&str> = sources.iter().map(|s| s.cite.as_str()).collect();
    format!("{body}\n📚 Sources: {}", cites.join("; "))
}

/// A safety reply to a second person in a channel that got the full one moments ago (several
/// members reporting one incident): the action again, pointing to the advice already posted
/// rather than repeating it.
pub fn safety_repeat(tier: Tier, emergency_number: &str) -> String {
    match tier {
        Tier::Emergency => format!(
            "🚨 **Call emergency services now ({emergency_number}).** The advice just above \
             applies: a bot can't assess this, so don't wait to see if it passes."
        ),
        Tier::Urgent => "🚑 **Get this seen now: urgent care or A&E.** The advice just above \
             applies: a bot can't assess this."
            .to_string(),
        Tier::Physio => escalation(&[]),
    }
}

/// A warning-sign reply: the physio recommendation first, then the background.
pub fn escalated_answer(signs: &[Sign], entry: &Entry) -> String {
    format!(
        "{}\n\nSome background, for when you talk to them:\n**{}**\n{}\n\n{}",
        escalation(signs),
        entry.title,
        entry.answer,
        sources_line(entry)
    )
}

/// The "did you mean" reply.
pub fn suggestions(entries: &[&Entry]) -> String {
    let mut out = String::from("I'm not sure I've understood. Did you mean one of these?\n");
    for (i, e) in entries.iter().enumerate() {
        out.push_str(&format!("{}. {}\n", i + 1, e.title));
    }
    out.push_str("Pick one, or ask again in other words.");
    out
}

/// A polite decline that says what the bot can answer.
/// With `escalate`, it leads with the physio recommendation.
/// `advice` says who to ask instead, for subjects that have someone better placed.
pub fn decline(out_of_scope: &[String], advice: &[&str], signs: &[Sign], escalate: bool) -> String {
    let mut out = String::new();
    if escalate {
        out.push_str(&escalation(signs));
        out.push_str("\n\n");
    }
    match out_of_scope {
        [] => out.push_str("Sorry, I don't have a reliable answer to that one. "),
        subjects => out.push_str(&format!(
            "Sorry, I don't cover {}, so I won't guess. ",
            subjects.join(" or ")
        )),
    }
    for a in advice {
        let mut chars = a.chars();
        if let Some(first) = chars.next() {
            out.push_str(&format!("{}{}. ", first.to_uppercase(), chars.as_str()));
        }
    }
    out.push_str(&format!(
        "I can help with {SCOPE}: try `/topics` to see everything I know. For anything that hurts \
         and isn't improving, a physio is the best person to ask."
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escalation_names_the_signs() {
        let text = escalation(&[Sign::Worsening, Sign::Numbness]);
        assert!(text.starts_with("⚠️ **Please get this assessed by a physio"));
        assert!(text.contains("(getting worse; numbness or pins and needles), so it's one to have"));
        assert!(escalation(&[]).contains("** It's one to have looked at"));
    }

    #[test]
    fn markdown_in_members_words_is_shown_as_typed() {
        assert_eq!(
            escape_markdown("**bold** ||spoiler|| [link](x) `code` # head"),
            "\\*\\*bold\\*\\* \\|\\|spoiler\\|\\| \\[link\\]\\(x\\) \\`code\\` \\# head"
        );
        assert_eq!(escape_markdown("plain words"), "plain words");
    }

    #[test]
    fn truncate_prefers_boundaries() {
        let t = "First sentence here. Second sentence is long enough to cut.";
        let out = truncate(t, 40);
        assert_eq!(out, "First sentence here.…");
        assert_eq!(truncate("short", 10), "short");
        let long = "x".repeat(50);
        assert_eq!(truncate(&long, 10).chars().count(), 10);
    }
}
