//! Reminders to participants (issue 12 item 3): once per event, its lead
//! time (`events.reminder_minutes`, a day unless the organiser chose
//! another, 0 for none) before the start, each participant who is going or
//! maybe going gets a direct note from the organisation addressed to them
//! alone. A periodic task started beside the delivery worker looks for
//! events that are due; the notes leave through the delivery queue like
//! every other post.
//!
//! Sent once: an event is claimed by a conditional update of
//! `reminder_sent_at` in the same transaction that writes the notes and
//! their deliveries, so two processes on one database (or a restart in
//! the middle) never send it twice, and a failure sends none and leaves it
//! to the next look. A change of the start or of the lead time re-arms it
//! (`events::update_event`; the rule is in docs/events.md).

use super::{
    ServiceError, ServiceResult,
    acting::Acting,
    events::{MAX_REMINDER_MINUTES, readable_text},
    outbox::{Audience, Outbox},
    posts::{LocalPost, insert_local_post, new_local_post},
    text::{self, MentionTarget},
};
use crate::{
    context::Kuvend,
    federation::outgoing::{self, NoteParts},
    model::{ParticipantState, Visibility},
    storage::{models::ActorRow, now},
    transaction,
};
use std::time::Duration;
use tokio::sync::watch;

/// Events reminded of in one look; the rest wait for the next one (a
/// look every minute by default, so a backlog clears quickly).
const BATCH: i64 = 50;

/// Who is reminded: those who said they come or may come. Pending and
/// waitlisted people have no place yet; a reminder would mislead them.
const REMINDED: [ParticipantState; 2] = [ParticipantState::Going, ParticipantState::Maybe];

/// Looks for due reminders every `events.reminder_check_seconds` until
/// `shutdown`, sending each.
pub async fn run(ctx: Kuvend, mut shutdown: watch::Receiver<bool>) {
    let period = Duration::from_secs(ctx.settings.events.reminder_check_seconds.max(1));
    loop {
        if *shutdown.borrow() {
            break;
        }
        if let Err(error) = send_due(&ctx).await {
            tracing::warn!(%error, "sending event reminders");
        }
        tokio::select! {
            _ = tokio::time::sleep(period) => {}
            _ = shutdown.changed() => {}
        }
    }
}

/// Sends every reminder due now (up to [`BATCH`] events); returns how many
/// events this process reminded of.
pub async fn send_due(ctx: &Kuvend) -> ServiceResult<usize> {
    let now = now();
    let due = {
        let mut conn = ctx.db.conn().await?;
        conn.q()
            .due_reminders(now, MAX_REMINDER_MINUTES, BATCH)
            .await?
    };
    let mut sent = 0;
    for event_post_id in due {
        match remind(ctx, event_post_id).await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            // One event's failure does not hold up the others; it stays
            // unclaimed and is tried again at the next look.
            Err(error) => tracing::warn!(%error, event_post_id, "event reminder"),
        }
    }
    Ok(sent)
}

/// Claims and sends one event's reminder in one transaction; false when
/// another process (or an earlier look) claimed it first.
async fn remind(ctx: &Kuvend, event_post_id: i64) -> ServiceResult<bool> {
    let mut outbox = Outbox::default();
    let claimed = transaction!(ctx.db, ServiceError, |q| {
        if !q.claim_reminder(event_post_id, now()).await? {
            return Ok(false);
        }
        let post = q
            .post_by_id(event_post_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no event {event_post_id}")))?;
        let event = q
            .event_by_post(event_post_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no event {event_post_id}")))?;
        let org = q.actor_by_id(post.author_id).await?;
        let acting = Acting::admin(org.clone());
        let page = post.url.clone().unwrap_or_else(|| post.ap_id.clone());
        let body = message(
            &readable_text(&event, post.language.as_deref()),
            &page,
            post.language.as_deref(),
        );
        for person in q.participant_actors(event_post_id, &REMINDED).await? {
            if person.local {
                // An account of this instance that joined (issue 12 item 5
                // lets our organisations join events): a notification, as
                // Rebased sends, instead of a note to itself.
                q.notify(
                    person.id,
                    "pleroma:event_reminder",
                    org.id,
                    Some(event_post_id),
                )
                .await?;
                continue;
            }
            let mentions = [person];
            let (text, targets) = addressed(&mentions[0], &body);
            let urls = &ctx.urls;
            let row = new_local_post(
                urls,
                &acting,
                LocalPost {
                    ap_type: "Note",
                    visibility: Visibility::Direct,
                    content: text::render(&text, &targets, |tag| urls.tag(tag).to_string()),
                    source: text,
                    summary: None,
                    language: post.language.clone(),
                    parent: None,
                    mentions: &mentions,
                },
            )?;
            let create = outgoing::create_note(
                urls,
                &NoteParts {
                    post: &row,
                    author: &org,
                    tags: &[],
                    mentions: &mentions,
                },
            )?;
            insert_local_post(&mut q, &row, &[], &mentions).await?;
            // To this participant alone: a direct post's audience is its
            // mentions, and the only mention is them.
            outbox
                .queue(&mut q, &org, &create, &[Audience::Actors(&mentions)])
                .await?;
        }
        Ok(true)
    })?;
    outbox.committed(ctx);
    Ok(claimed)
}

/// The note's text before the mention: a leading phrase, the event's
/// title, status, time and place (its readable form without the
/// description), and the event's page.
fn message(readable: &str, page: &str, language: Option<&str>) -> String {
    let summary = readable.split("\n\n").next().unwrap_or_default();
    format!("{}: {summary}\n\n{page}", phrase(language))
}

/// The reminder's words, by the event's language (English otherwise),
/// kept together so a language is added in one place.
fn phrase(language: Option<&str>) -> &'static str {
    match language.map(|l| l.split('-').next().unwrap_or(l)) {
        Some("sq") => "Kujtesë",
        _ => "Reminder",
    }
}

/// The text addressed to `person` (a leading `@user@domain`) and the
/// mention that links it to their profile.
fn addressed(person: &ActorRow, body: &str) -> (String, Vec<MentionTarget>) {
    let text = format!("@{}@{} {body}", person.username, person.domain);
    let href = person
        .profile_url
        .clone()
        .unwrap_or_else(|| person.ap_id.clone());
    let (_, refs) = text::scan(&text);
    let targets = refs
        .into_iter()
        .filter(|r| {
            r.username.eq_ignore_ascii_case(&person.username)
                && r.domain
                    .as_deref()
                    .is_some_and(|d| d.eq_ignore_ascii_case(&person.domain))
        })
        .map(|mention| MentionTarget {
            mention,
            href: href.clone(),
        })
        .collect();
    (text, targets)
}
