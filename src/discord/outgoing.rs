//! What every handler sends with: no mentions, Discord's length caps, and the buttons, whose
//! custom ids are a typed [`ButtonId`] rather than strings formatted in several places. Shared
//! by the command, message and moderation handlers, and depending on none of them.

use poise::serenity_prelude as serenity;

use crate::knowledge::EntryId;
use crate::reply;
use crate::settings::Vote;

/// Mentions none: nothing the bot sends may ping anyone, whatever the text says.
pub fn no_mentions() -> serenity::CreateAllowedMentions {
    serenity::CreateAllowedMentions::new().replied_user(false)
}

/// Replies to the member or moderator who used a command, visible to them only, within
/// Discord's 2000 characters and pinging no one. Moderator replies show channel and role
/// mentions as links; member text is defused where it is shown.
pub async fn private(ctx: super::Context<'_>, text: impl Into<String>) -> Result<(), super::Error> {
    ctx.send(
        poise::CreateReply::default()
            .content(reply::truncate(&text.into(), 2000))
            .ephemeral(true)
            .allowed_mentions(no_mentions()),
    )
    .await?;
    Ok(())
}

/// Answers a button press with a message only the presser sees, pinging no one.
pub async fn private_to_presser(
    ctx: &serenity::Context,
    interaction: &serenity::ComponentInteraction,
    text: impl Into<String>,
) -> Result<(), super::Error> {
    let message = serenity::CreateInteractionResponseMessage::new()
        .content(reply::truncate(&text.into(), 2000))
        .ephemeral(true)
        .allowed_mentions(no_mentions());
    interaction
        .create_response(ctx, serenity::CreateInteractionResponse::Message(message))
        .await?;
    Ok(())
}

/// Discord's cap on a button label.
pub const BUTTON_LABEL_MAX: usize = 80;

/// Cuts text to one of Discord's caps, at a boundary where it can.
pub fn cut(text: &str, max: usize) -> String {
    reply::truncate(text, max)
}

/// A button the bot puts under its messages. Its custom id survives restarts (buttons are
/// handled by the event handler, not a collector): `rcb:show:<entry>`,
/// `rcb:vote:<entry>:<y|n>`, `rcb:src:<entry>` and `rcb:page:<list>:<page>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonId {
    /// "Did you mean": post this entry's answer.
    Show(String),
    /// Feedback on an answer.
    Vote(String, Vote),
    /// "Full sources": the full citations, with links, of this entry's sources.
    Sources(String),
    /// "◀ Prev" / "Next ▶" under a paged list: show this page (numbered from 1) of it.
    Page { list: PagedList, page: u16 },
}

/// The lists shown a page at a time. The content is not in the button: it is recomputed on
/// each press, from the data as it is then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagedList {
    /// `/topics`: what the bot can answer.
    Topics,
    /// `/faq stats`: moderators only.
    Stats,
}

impl PagedList {
    fn key(self) -> &'static str {
        match self {
            PagedList::Topics => "topics",
            PagedList::Stats => "stats",
        }
    }

    fn from_key(key: &str) -> Option<PagedList> {
        [PagedList::Topics, PagedList::Stats]
            .into_iter()
            .find(|l| l.key() == key)
    }
}

const SHOW: &str = "rcb:show:";
const VOTE: &str = "rcb:vote:";
const PAGE: &str = "rcb:page:";
const SOURCES: &str = "rcb:src:";

impl ButtonId {
    pub fn custom_id(&self) -> String {
        match self {
            ButtonId::Show(entry) => format!("{SHOW}{entry}"),
            ButtonId::Vote(entry, vote) => {
                let v = if *vote == Vote::Helpful { "y" } else { "n" };
                format!("{VOTE}{entry}:{v}")
            }
            ButtonId::Page { list, page } => format!("{PAGE}{}:{page}", list.key()),
            ButtonId::Sources(entry) => format!("{SOURCES}{entry}"),
        }
    }

    /// The button a custom id names; `None` for anything else (an old or foreign id).
    pub fn parse(custom_id: &str) -> Option<ButtonId> {
        if let Some(rest) = custom_id.strip_prefix(PAGE) {
            let (list, page) = rest.split_once(':')?;
            let page = ButtonId::Page {
                list: PagedList::from_key(list)?,
                page: page.parse().ok().filter(|&p| p >= 1)?,
            };
            // Only the spelling the bot writes: "+2" or "02" would parse as 2 too.
            return (page.custom_id() == custom_id).then_some(page);
        }
        if let Some(entry) = custom_id.strip_prefix(SOURCES) {
            return (!entry.is_empty()).then(|| ButtonId::Sources(entry.to_string()));
        }
        if let Some(entry) = custom_id.strip_prefix(SHOW) {
            return (!entry.is_empty()).then(|| ButtonId::Show(entry.to_string()));
        }
        let (entry, choice) = custom_id.strip_prefix(VOTE)?.rsplit_once(':')?;
        let vote = match choice {
            "y" => Vote::Helpful,
            "n" => Vote::NotHelpful,
            _ => return None,
        };
        (!entry.is_empty()).then(|| ButtonId::Vote(entry.to_string(), vote))
    }
}

/// The row under an answer: "Helpful" / "Not helpful", and "Full sources" for the citations
/// the source line only names.
pub fn vote_buttons(entry_id: &EntryId) -> serenity::CreateActionRow {
    serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(
            ButtonId::Vote(entry_id.to_string(), Vote::Helpful).custom_id(),
        )
        .label("Helpful")
        .emoji('👍')
        .style(serenity::ButtonStyle::Secondary),
        serenity::CreateButton::new(
            ButtonId::Vote(entry_id.to_string(), Vote::NotHelpful).custom_id(),
        )
        .label("Not helpful")
        .emoji('👎')
        .style(serenity::ButtonStyle::Secondary),
        serenity::CreateButton::new(ButtonId::Sources(entry_id.to_string()).custom_id())
            .label("Full sources")
            .emoji('📚')
            .style(serenity::ButtonStyle::Secondary),
    ])
}

/// A "did you mean" button for an entry.
pub fn show_button(entry_id: &EntryId, title: &str) -> serenity::CreateButton {
    serenity::CreateButton::new(ButtonId::Show(entry_id.to_string()).custom_id())
        .label(cut(title, BUTTON_LABEL_MAX))
        .style(serenity::ButtonStyle::Secondary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_ids_round_trip_and_refuse_strangers() {
        for b in [
            ButtonId::Show("itb-not-a-muscle".into()),
            ButtonId::Vote("doms-rolling".into(), Vote::Helpful),
            ButtonId::Vote("doms-rolling".into(), Vote::NotHelpful),
            ButtonId::Sources("doms-rolling".into()),
            ButtonId::Page {
                list: PagedList::Topics,
                page: 1,
            },
            ButtonId::Page {
                list: PagedList::Stats,
                page: u16::MAX,
            },
        ] {
            assert_eq!(ButtonId::parse(&b.custom_id()), Some(b));
        }
        assert_eq!(
            ButtonId::Show("x".into()).custom_id(),
            "rcb:show:x",
            "ids already posted in servers keep working"
        );
        assert_eq!(
            ButtonId::Page {
                list: PagedList::Topics,
                page: 2
            }
            .custom_id(),
            "rcb:page:topics:2"
        );
        for stranger in [
            "rcb:vote:doms:maybe",
            "rcb:show:",
            "other:thing",
            "rcb:vote:x",
            "rcb:page:topics:0",
            "rcb:page:topics:02",
            "rcb:page:topics:+2",
            "rcb:page:topics:",
            "rcb:page:topics:65536",
            "rcb:page:members:2",
            "rcb:page:stats",
        ] {
            assert_eq!(ButtonId::parse(stranger), None, "{stranger}");
        }
    }
}
