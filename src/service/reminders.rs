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
    ServiceError, ServiceResult, direct,
    events::{MAX_REMINDER_MINUTES, readable_text},
    outbox::Outbox,
    phrases::phrases,
};
use crate::{
    context::Kuvend,
    model::ParticipantState,
    storage::{events::DueReminder, now},
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
    for event in due {
        match remind(ctx, &event).await {
            Ok(true) => sent += 1,
            Ok(false) => {}
            // One event's failure does not hold up the others; it stays
            // unclaimed and is tried again at the next look.
            Err(error) => {
                tracing::warn!(%error, event_post_id = event.event_post_id, "event reminder")
            }
        }
    }
    Ok(sent)
}

/// Claims and sends one event's reminder in one transaction; false when
/// another process (or an earlier look) claimed it first.
async fn remind(ctx: &Kuvend, due: &DueReminder) -> ServiceResult<bool> {
    let event_post_id = due.event_post_id;
    let mut outbox = Outbox::default();
    let claimed = transaction!(ctx.db, ServiceError, |q| {
        if !q.claim_reminder(due, now()).await? {
            return Ok(false);
        }
        let post = q
            .post_by_id(event_post_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no event {event_post_id}")))?;
        if post.deleted_at.is_some() {
            // Deleted since it was found due: claimed, and nobody reminded.
            return Ok(false);
        }
        let event = q
            .event_by_post(event_post_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("no event {event_post_id}")))?;
        let org = q.actor_by_id(post.author_id).await?;
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
            direct::send_note(
                ctx,
                &mut q,
                &mut outbox,
                &org,
                &person,
                &body,
                post.language.clone(),
                None,
            )
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
    format!("{}: {summary}\n\n{page}", phrases(language).reminder)
}
