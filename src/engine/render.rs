//! Rendering: the text a member sees for an outcome. The words themselves live in
//! [`crate::reply`]; this picks them for the outcome and the tier and keeps the line that must
//! survive any shortening.

use crate::config::ReplyConfig;
use crate::knowledge::{Entry, KnowledgeBase, Source};
use crate::reply;
use crate::triage::{Sign, Tier};

use super::policy::{Mode, Outcome};

pub(super) fn render(
    kb: &KnowledgeBase,
    config: &ReplyConfig,
    outcome: &Outcome,
    out_of_scope: &[String],
    signs: &[Sign],
    tier: Option<Tier>,
    mode: Mode,
) -> String {
    let entry = |id| kb.entry(id).expect("the engine only names its own entries");
    // Each reply is a body and the line that must survive any shortening.
    let (body, footer) = match outcome {
        Outcome::Answer { entry: id } if tier.is_some() => {
            (reply::escalated_answer(signs, entry(id)), reply::DISCLAIMER)
        }
        Outcome::Answer { entry: id } => (reply::answer_body(entry(id)), reply::PHYSIO_PROMPT),
        Outcome::Suggest { entries } => {
            let list: Vec<&Entry> = entries.iter().map(|id| entry(id)).collect();
            return reply::finish(&reply::suggestions(&list), config.max_chars);
        }
        Outcome::Safety { tier } => {
            let sources: Vec<&Source> = reply::safety_sources(*tier)
                .iter()
                .filter_map(|id| kb.source(id).map(|s| &**s))
                .collect();
            (
                reply::safety(*tier, &config.emergency_number, &sources),
                reply::DISCLAIMER,
            )
        }
        Outcome::Decline { .. } if mode.is_auto() => return String::new(),
        Outcome::Decline { .. } => {
            let advice: Vec<&str> = kb
                .lexicon
                .out_of_scope
                .iter()
                .filter(|o| out_of_scope.contains(&o.subject))
                .filter_map(|o| o.advice.as_deref())
                .collect();
            let text = reply::decline(out_of_scope, &advice, signs, tier.is_some());
            return reply::finish(&text, config.max_chars);
        }
    };
    reply::finish_with_footer(&body, footer, config.max_chars)
}
