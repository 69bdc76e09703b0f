//! Lists that outgrow one message (`/topics`, `/faq stats`), shown a page at a time with
//! "◀ Prev" / "Next ▶" buttons. The pager itself is pure. The buttons carry only the list and
//! the page number ([`ButtonId::Page`]): each press recomputes the list from the data as it is
//! then and edits the same (ephemeral) message in place.

use poise::serenity_prelude as serenity;
use poise::CreateReply;

use super::outgoing::{no_mentions, ButtonId, PagedList};
use super::{Context, Error};
use crate::reply;

/// Discord's cap on a message's content, in characters.
pub const MESSAGE_MAX: usize = 2000;

/// Room kept at the bottom of every page for its counter, as long as the longest one.
const COUNTER_ROOM: usize = "\n\nPage 65535/65535".len();

/// A list to page: a title repeated at the top of every page, then sections of lines. A page
/// break falls only between lines; a section that runs onto the next page has its heading
/// repeated there, marked "(continued)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub title: String,
    /// Sections without lines are left out.
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub heading: String,
    pub lines: Vec<String>,
}

/// A listing cut into pages of at most `max` characters each, counter included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pages(Vec<String>);

impl Pages {
    pub fn new(listing: &Listing, max: usize) -> Pages {
        Pages(paginate(listing, max.saturating_sub(COUNTER_ROOM)))
    }

    /// How many pages there are: at least one.
    pub fn count(&self) -> u16 {
        u16::try_from(self.0.len()).unwrap_or(u16::MAX)
    }

    /// Page `number` (from 1) with its "Page 2/3" counter, and the number actually shown: a
    /// list can shrink between presses, so a number past the end shows the last page. A
    /// single page has no counter.
    pub fn page(&self, number: u16) -> (u16, String) {
        let total = self.count();
        let number = number.clamp(1, total);
        let body = &self.0[usize::from(number) - 1];
        if total == 1 {
            return (number, body.clone());
        }
        (number, format!("{body}\n\nPage {number}/{total}"))
    }
}

/// Sends page 1 of a list to the member who asked, privately, with the buttons when there is
/// more than one page.
pub async fn send(ctx: Context<'_>, list: PagedList, listing: &Listing) -> Result<(), Error> {
    let (text, buttons) = shown(list, listing, 1);
    let reply = CreateReply::default()
        .content(text)
        .ephemeral(true)
        .allowed_mentions(no_mentions());
    let reply = match buttons {
        Some(row) => reply.components(vec![row]),
        None => reply,
    };
    ctx.send(reply).await?;
    Ok(())
}

/// Answers a "◀ Prev" / "Next ▶" press by replacing the message it is under with page
/// `number` of the list as it is now.
pub async fn turn_to(
    ctx: &serenity::Context,
    interaction: &serenity::ComponentInteraction,
    list: PagedList,
    listing: &Listing,
    number: u16,
) -> Result<(), Error> {
    let (text, buttons) = shown(list, listing, number);
    // No buttons left (the list now fits one page) clears the old ones.
    let message = serenity::CreateInteractionResponseMessage::new()
        .content(text)
        .components(buttons.into_iter().collect())
        .allowed_mentions(no_mentions());
    interaction
        .create_response(
            ctx,
            serenity::CreateInteractionResponse::UpdateMessage(message),
        )
        .await?;
    tracing::info!(list = ?list, page = number, "page shown");
    Ok(())
}

/// The text of page `number` and, when there are several pages, its buttons.
fn shown(
    list: PagedList,
    listing: &Listing,
    number: u16,
) -> (String, Option<serenity::CreateActionRow>) {
    let pages = Pages::new(listing, MESSAGE_MAX);
    let (number, text) = pages.page(number);
    let total = pages.count();
    let buttons = (total > 1).then(|| nav_buttons(list, number, total));
    (text, buttons)
}

/// "◀ Prev" and "Next ▶", disabled at the ends. Discord wants the custom ids in a message to
/// differ, so a disabled button points at its own end page: with two pages or more, the two
/// targets can never be the same.
fn nav_buttons(list: PagedList, number: u16, total: u16) -> serenity::CreateActionRow {
    let to = |page| ButtonId::Page { list, page }.custom_id();
    serenity::CreateActionRow::Buttons(vec![
        serenity::CreateButton::new(to(number.saturating_sub(1).max(1)))
            .label("◀ Prev")
            .style(serenity::ButtonStyle::Secondary)
            .disabled(number <= 1),
        serenity::CreateButton::new(to(number.saturating_add(1).min(total)))
            .label("Next ▶")
            .style(serenity::ButtonStyle::Secondary)
            .disabled(number >= total),
    ])
}

/// Fills pages of at most `budget` characters, in order, breaking only between lines. A line
/// too long for even an empty page (none of ours is) is the one thing cut, so that no page
/// can break Discord's limit.
fn paginate(listing: &Listing, budget: usize) -> Vec<String> {
    let mut pages = Vec::new();
    let mut page = PageBuilder::new(&listing.title);
    for (s, section) in listing.sections.iter().enumerate() {
        for (i, line) in section.lines.iter().enumerate() {
            let continued = i > 0;
            if page.try_add(s, section, continued, line, budget) {
                continue;
            }
            if !page.is_empty() {
                pages.push(std::mem::replace(&mut page, PageBuilder::new(&listing.title)).text);
                if page.try_add(s, section, continued, line, budget) {
                    continue;
                }
            }
            page.add_cut(s, section, continued, line, budget);
        }
    }
    pages.push(page.text);
    pages
}

/// One page being filled: its text, its length in characters, and which section's heading is
/// on it (a line of the same section needs no heading).
struct PageBuilder {
    text: String,
    chars: usize,
    section: Option<usize>,
}

impl PageBuilder {
    fn new(title: &str) -> PageBuilder {
        PageBuilder {
            text: title.to_string(),
            chars: title.chars().count(),
            section: None,
        }
    }

    /// Whether the page has any line yet (a heading only ever comes with its first line).
    fn is_empty(&self) -> bool {
        self.section.is_none()
    }

    /// What goes before `line` on this page: its section's heading when the section is not on
    /// the page yet, so that a heading is never left at the bottom of a page without a line.
    fn lead(&self, s: usize, section: &Section, continued: bool) -> String {
        if self.section == Some(s) {
            return "\n".to_string();
        }
        let more = if continued { " (continued)" } else { "" };
        format!("\n\n{}{more}\n", section.heading)
    }

    fn try_add(
        &mut self,
        s: usize,
        section: &Section,
        continued: bool,
        line: &str,
        budget: usize,
    ) -> bool {
        let piece = self.lead(s, section, continued) + line;
        let n = piece.chars().count();
        if self.chars + n > budget {
            return false;
        }
        self.text.push_str(&piece);
        self.chars += n;
        self.section = Some(s);
        true
    }

    /// Adds `line` cut to the room left (marked "…").
    fn add_cut(&mut self, s: usize, section: &Section, continued: bool, line: &str, budget: usize) {
        let lead = self.lead(s, section, continued);
        let room = budget.saturating_sub(self.chars + lead.chars().count());
        let piece = lead + &reply::truncate(line, room.max(1));
        self.chars += piece.chars().count();
        self.text.push_str(&piece);
        self.section = Some(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(sections: &[(&str, Vec<String>)]) -> Listing {
        Listing {
            title: "**T**".into(),
            sections: sections
                .iter()
                .map(|(heading, lines)| Section {
                    heading: heading.to_string(),
                    lines: lines.clone(),
                })
                .collect(),
        }
    }

    fn all_pages(pages: &Pages) -> Vec<String> {
        (1..=pages.count()).map(|n| pages.page(n).1).collect()
    }

    #[test]
    fn a_long_list_splits_between_lines_into_pages_that_fit() {
        // 100 lines of 100 characters: 19 fit in a page's 1981 characters beside the title and
        // the heading, so 6 pages.
        let lines: Vec<String> = (0..100)
            .map(|i| format!("{i:03} {}", "x".repeat(96)))
            .collect();
        let pages = Pages::new(&listing(&[("**H**", lines.clone())]), MESSAGE_MAX);
        assert_eq!(pages.count(), 6);
        let texts = all_pages(&pages);
        for (i, text) in texts.iter().enumerate() {
            assert!(
                text.chars().count() <= MESSAGE_MAX,
                "page {} too long",
                i + 1
            );
            assert!(
                text.starts_with("**T**\n\n**H**"),
                "title and heading on every page"
            );
            assert!(text.ends_with(&format!("Page {}/6", i + 1)), "{text}");
        }
        assert!(texts[1].starts_with("**T**\n\n**H** (continued)\n019 "));
        // Every line whole, once, in order.
        let shown: Vec<&str> = texts
            .iter()
            .flat_map(|t| t.lines())
            .filter(|l| l.len() == 100)
            .collect();
        assert_eq!(shown, lines.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn a_heading_is_never_left_without_its_first_line() {
        // The first section fills page 1 to within a few characters: the second section's
        // heading must move to page 2 with its line.
        let filler = vec!["y".repeat(1960)];
        let pages = Pages::new(
            &listing(&[("**A**", filler), ("**B**", vec!["b1".into()])]),
            MESSAGE_MAX,
        );
        assert_eq!(pages.count(), 2);
        assert!(!pages.page(1).1.contains("**B**"));
        assert!(pages.page(2).1.starts_with("**T**\n\n**B**\nb1"));
    }

    #[test]
    fn a_short_list_is_one_page_without_a_counter() {
        let pages = Pages::new(
            &listing(&[
                ("**a**", vec!["• one".into(), "• two".into()]),
                ("**b**", vec!["• three".into()]),
                ("**empty**", vec![]),
            ]),
            MESSAGE_MAX,
        );
        assert_eq!(pages.count(), 1);
        assert_eq!(
            pages.page(1),
            (
                1,
                "**T**\n\n**a**\n• one\n• two\n\n**b**\n• three".to_string()
            )
        );
    }

    #[test]
    fn a_page_past_the_end_shows_the_last() {
        let lines: Vec<String> = (0..100).map(|_| "z".repeat(99)).collect();
        let pages = Pages::new(&listing(&[("**H**", lines)]), MESSAGE_MAX);
        assert_eq!(pages.page(40).0, pages.count());
        assert_eq!(pages.page(0).0, 1);
    }

    #[test]
    fn only_a_line_longer_than_a_page_is_cut() {
        let pages = Pages::new(
            &listing(&[("**H**", vec!["short".into(), "w ".repeat(1500)])]),
            MESSAGE_MAX,
        );
        assert_eq!(pages.count(), 2);
        let last = pages.page(2).1;
        assert!(last.chars().count() <= MESSAGE_MAX);
        assert!(last.contains("…"), "{last}");
    }
}
