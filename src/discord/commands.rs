//! Slash commands, the message context-menu command, the "did you mean" buttons and the
//! `/topics` pages. Each handler is a few lines: parse, ask the engine, reply. No decision is
//! made here.

use poise::serenity_prelude as serenity;
use poise::CreateReply;
use tracing::Instrument;

use super::outgoing::{cut, no_mentions, private, show_button, vote_buttons, PagedList};
use super::pages::{self, Listing, Section};
use super::{Context, Error};
use crate::engine::{Engine, Mode, Outcome, Response};
use crate::reply;
use crate::settings::StatEvent;

/// How long an answer may take before the interaction is deferred (Discord allows 3 s).
const DEFER_AFTER: std::time::Duration = std::time::Duration::from_millis(1500);

/// The reply when more questions are waiting than `discord.max_waiting_questions` allows.
pub const BUSY: &str = "I'm getting a lot of questions right now and can't get to yours \
     soon. Please ask again in a minute.";

/// Discord's cap on an autocomplete choice's name, and on the number of choices.
const CHOICE_NAME_MAX: usize = 100;
const MAX_CHOICES: usize = 25;

/// Ask about foam rolling, the IT band, DOMS or warm-ups
#[poise::command(slash_command)]
pub async fn ask(
    ctx: Context<'_>,
    #[description = "Your question, in your own words"]
    #[max_length = 500]
    question: String,
) -> Result<(), Error> {
    answer(ctx, "ask", &question).await
}

/// Answers the selected message (Apps > Ask runclub-bot).
#[poise::command(context_menu_command = "Ask runclub-bot")]
pub async fn ask_about_message(ctx: Context<'_>, message: serenity::Message) -> Result<(), Error> {
    answer(ctx, "context_menu", &message.content).await
}

async fn answer(ctx: Context<'_>, kind: &'static str, question: &str) -> Result<(), Error> {
    let span = tracing::info_span!(
        "interaction",
        kind,
        guild = ctx.guild_id().map(|g| g.get()),
        channel = ctx.channel_id().get(),
        entry = tracing::field::Empty,
        score = tracing::field::Empty,
        outcome = tracing::field::Empty,
    );
    async move {
        let engine = ctx.data().engine();
        // Message text is members' words: debug level only.
        tracing::debug!(question, "question");
        // A storm beyond what the queue may hold: say so at once rather than leave the member
        // waiting, or let memory grow without bound.
        let Some(_place) = ctx.data().queue_question() else {
            return private(ctx, BUSY).await;
        };
        // Discord wants an acknowledgement within 3 s: if the engine is behind (a burst of
        // questions), defer first and follow up with the answer.
        let work = async {
            let _slot = ctx.data().engine_slots.acquire().await?;
            // The engine takes ~10 ms of CPU. block_in_place hands this worker's other tasks
            // to another thread and runs the engine right here, so the gateway and other
            // interactions keep moving, without the hop to the blocking pool (about 0.1 ms of
            // thread wake-up on every answer, measured by the transport bench).
            Ok::<_, Error>(tokio::task::block_in_place(|| {
                let t = std::time::Instant::now();
                (
                    engine.respond(&engine.prepare(question), Mode::Ask),
                    t.elapsed(),
                )
            }))
        };
        tokio::pin!(work);
        let (r, engine_time) = match tokio::time::timeout(DEFER_AFTER, &mut work).await {
            Ok(r) => r?,
            Err(_) => {
                tracing::info!("engine behind; deferring");
                ctx.defer().await?;
                work.await?
            }
        };
        record(&r);
        send(ctx, &engine, &r).await?;
        remember(ctx, &r, question);
        // The engine's own time, so that slow answers can be told from a slow Discord.
        tracing::info!(engine_us = engine_time.as_micros() as u64, "replied");
        Ok(())
    }
    .instrument(span)
    .await
}

fn record(r: &Response) {
    let span = tracing::Span::current();
    if let Some(best) = &r.best {
        span.record("entry", best.as_str());
    }
    span.record("score", r.confidence);
    let outcome = match r.outcome {
        Outcome::Answer { .. } if r.escalated() => "answer+physio",
        Outcome::Answer { .. } => "answer",
        Outcome::Safety { tier } => tier.key(),
        Outcome::Suggest { .. } => "suggest",
        Outcome::Decline { .. } => "decline",
    };
    span.record("outcome", outcome);
}

/// Counts an answer for `/faq stats`, or keeps a question the bot could not answer: queued
/// for the stats writer, after the reply is out, so it never delays or costs a member an answer.
fn remember(ctx: Context<'_>, r: &Response, question: &str) {
    let Some(guild) = ctx.guild_id() else {
        return;
    };
    let event = match &r.outcome {
        Outcome::Answer { entry } => StatEvent::Answered {
            guild: guild.get(),
            entry: entry.clone(),
        },
        Outcome::Safety { .. } => return,
        _ if question.trim().is_empty() => return,
        _ => StatEvent::Unanswered {
            guild: guild.get(),
            question: question.to_string(),
        },
    };
    ctx.data().record_stat(event);
}

/// Answers publicly; "did you mean" and declines only to the member who asked.
async fn send(ctx: Context<'_>, engine: &Engine, r: &Response) -> Result<(), Error> {
    let base = CreateReply::default()
        .content(r.text.clone())
        .allowed_mentions(no_mentions());
    let reply = match &r.outcome {
        Outcome::Answer { entry } => base.components(vec![vote_buttons(entry)]),
        Outcome::Suggest { entries } => {
            let buttons = entries
                .iter()
                .filter_map(|id| engine.knowledge().entry(id))
                .map(|e| show_button(&e.id, &e.title))
                .collect();
            base.ephemeral(true)
                .components(vec![serenity::CreateActionRow::Buttons(buttons)])
        }
        Outcome::Decline { .. } => base.ephemeral(true),
        // Public, so that anyone with the member sees it; no buttons to vote on.
        Outcome::Safety { .. } => base,
    };
    ctx.send(reply).await?;
    Ok(())
}

async fn autocomplete_topic(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let engine = ctx.data().engine();
    let choices = engine
        .search_titles(partial, MAX_CHOICES)
        .into_iter()
        .map(|e| {
            serenity::AutocompleteChoice::new(cut(&e.title, CHOICE_NAME_MAX), e.id.to_string())
        })
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Show one topic's answer
#[poise::command(slash_command)]
pub async fn topic(
    ctx: Context<'_>,
    #[description = "Start typing: foam rolling, IT band, DOMS, warm-up..."]
    #[autocomplete = "autocomplete_topic"]
    name: String,
) -> Result<(), Error> {
    let engine = ctx.data().engine();
    match engine.knowledge().entry(&name) {
        Some(entry) => {
            tracing::info!(entry = %entry.id, "topic shown");
            let text = engine.render_entry(&entry.id).unwrap_or_default();
            ctx.send(
                CreateReply::default()
                    .content(text)
                    .allowed_mentions(no_mentions())
                    .components(vec![vote_buttons(&entry.id)]),
            )
            .await?;
            // Counted after the reply, off its path, like every other answer.
            if let Some(guild) = ctx.guild_id() {
                ctx.data().record_stat(StatEvent::Answered {
                    guild: guild.get(),
                    entry: entry.id.clone(),
                });
            }
            Ok(())
        }
        // Typed without picking a suggestion: treat it as a question.
        None => answer(ctx, "topic", &name).await,
    }
}

/// List what the bot can answer
#[poise::command(slash_command)]
pub async fn topics(ctx: Context<'_>) -> Result<(), Error> {
    let engine = ctx.data().engine();
    pages::send(ctx, PagedList::Topics, &topics_listing(&engine)).await
}

/// "◀ Prev" / "Next ▶" under `/topics`: the page asked for, from the knowledge as it is now
/// (a reload may have changed it since the list was first shown).
pub async fn on_topics_page(
    ctx: &serenity::Context,
    state: &super::BotState,
    interaction: &serenity::ComponentInteraction,
    page: u16,
) -> Result<(), Error> {
    let listing = topics_listing(&state.engine());
    pages::turn_to(ctx, interaction, PagedList::Topics, &listing, page).await
}

/// The `/topics` list: entries grouped by topic, in knowledge order.
pub fn topics_listing(engine: &Engine) -> Listing {
    let mut sections: Vec<Section> = Vec::new();
    for e in &engine.knowledge().entries {
        // Topics and titles come from the knowledge files, but nothing the bot posts may ping.
        let heading =
            reply::defuse_mentions(&format!("**{}**", e.topic.as_deref().unwrap_or("general")));
        let line = reply::defuse_mentions(&format!("• {}", e.title));
        match sections.iter_mut().find(|s| s.heading == heading) {
            Some(section) => section.lines.push(line),
            None => sections.push(Section {
                heading,
                lines: vec![line],
            }),
        }
    }
    Listing {
        title: "**What I can answer** (use `/topic` or just `/ask`):".to_string(),
        sections,
    }
}

/// What this bot is, and where its answers come from
#[poise::command(slash_command)]
pub async fn about(ctx: Context<'_>) -> Result<(), Error> {
    let engine = ctx.data().engine();
    let kb = engine.knowledge();
    let text = format!(
        "**runclub-bot** answers club members' questions about {scope}, from a small curated \
         knowledge base ({entries} answers, each naming its source and reviewed against the \
         evidence). It is general information, **not medical advice**, and it never diagnoses: \
         if pain persists, gets worse or changes how you run, see a physio. When a message \
         describes warning signs, the bot says so first.\nAsk with `/ask`, browse with `/topics`, \
         or right-click a message > Apps > *Ask runclub-bot*.",
        scope = reply::SCOPE,
        entries = kb.entries.len(),
    );
    private(ctx, text).await
}

/// A "did you mean" button: posts the chosen entry publicly.
/// "Full sources" under an answer: the full citation and link of each source it cites, to
/// the presser only (a reading list in the channel would bury the conversation).
pub async fn on_sources_button(
    ctx: &serenity::Context,
    state: &super::BotState,
    interaction: &serenity::ComponentInteraction,
    entry_id: &str,
) -> Result<(), Error> {
    let engine = state.engine();
    let text = match engine.knowledge().entry(entry_id) {
        Some(entry) => reply::full_sources(entry),
        None => "That answer is no longer in my knowledge: try `/topics`.".to_string(),
    };
    tracing::info!(entry = entry_id, "sources shown");
    super::outgoing::private_to_presser(ctx, interaction, text).await
}

pub async fn on_show_button(
    ctx: &serenity::Context,
    state: &super::BotState,
    interaction: &serenity::ComponentInteraction,
    entry_id: &str,
) -> Result<(), Error> {
    let engine = state.engine();
    let span = tracing::info_span!(
        "interaction",
        kind = "button",
        guild = interaction.guild_id.map(|g| g.get()),
        channel = interaction.channel_id.get(),
        entry = entry_id,
    );
    async move {
        // The id comes from a button posted earlier: it names an entry only if this knowledge
        // still has it.
        let found = engine.knowledge().entry(entry_id);
        let message = match found {
            Some(entry) => serenity::CreateInteractionResponseMessage::new()
                .content(engine.render_entry(&entry.id).unwrap_or_default())
                .components(vec![vote_buttons(&entry.id)]),
            None => serenity::CreateInteractionResponseMessage::new()
                .content("That answer is no longer in my knowledge: try `/topics`.")
                .ephemeral(true),
        }
        .allowed_mentions(no_mentions());
        interaction
            .create_response(ctx, serenity::CreateInteractionResponse::Message(message))
            .await?;
        tracing::info!("replied");
        if let (Some(entry), Some(guild)) = (found, interaction.guild_id) {
            state.record_stat(StatEvent::Answered {
                guild: guild.get(),
                entry: entry.id.clone(),
            });
        }
        Ok(())
    }
    .instrument(span)
    .await
}
