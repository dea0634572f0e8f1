//! Our organisations RSVP to other organisers' events (issue 12 item 5).
//!
//! A remote event gets a Mobilizon-shaped `Join` (with `participationMessage`)
//! addressed to its organiser alone, and our participation is kept in
//! `participants` as `pending` until the organiser's `Accept` (going) or
//! `Reject` (rejected) of that Join arrives. Withdrawing sends `Leave`, which
//! Mobilizon and Rebased both act on (Rebased itself sends `Undo{Join}`, but
//! undoes a Join on `Leave` too), so no `Undo` is sent.
//!
//! A remote event's `participant_count` is the organiser's figure, read from
//! its document: nothing here recounts it. An event of another organisation
//! on this instance is joined directly, by the same rules as a remote RSVP
//! ([`participation::receive`]), without federation.

use super::{
    ServiceError, ServiceResult,
    acting::Acting,
    events::EventView,
    outbox::{Audience, Outbox},
    participation::{self, Intent, Rsvp, Target},
    posts,
};
use crate::{
    federation::{FedData, fetch::same_origin, outgoing},
    model::{ParticipantState, Role},
    storage::{
        Q,
        models::{ActorRow, NewParticipant, ParticipantRow, PostRow},
    },
};
use url::Url;

/// An event and where `acting`'s organisation stands with it.
pub struct Joined {
    pub view: EventView,
    /// `None` after leaving (or never having joined).
    pub state: Option<ParticipantState>,
}

/// The event `reference` names (a stored post's number, id URL or page, or
/// a remote event's URL, fetched and stored when new), with its organiser.
async fn event_at(data: &FedData, reference: &str) -> ServiceResult<(EventView, ActorRow)> {
    let (post, organiser) = posts::find_or_fetch_post(data, reference).await?;
    let not_event = || ServiceError::NotFound("Record not found".into());
    if post.ap_type != "Event" || post.deleted_at.is_some() {
        return Err(not_event());
    }
    let mut conn = data.db.conn().await?;
    let event = conn
        .q()
        .event_by_post(post.id)
        .await?
        .ok_or_else(not_event)?;
    Ok((EventView { post, event }, organiser))
}

fn url(text: &str) -> ServiceResult<Url> {
    Url::parse(text).map_err(|_| ServiceError::Internal(anyhow::anyhow!("{text} is not a URL")))
}

/// `acting`'s organisation says it comes to an event, with an optional
/// note to the organisers. Editors and owners may. A remote event gets a
/// `Join` and our participation waits, `pending`, for the organiser's
/// answer; a local one is decided at once (free: going, restricted:
/// pending, full: waitlisted). Joining again while going or pending changes
/// and sends nothing.
pub async fn join_event(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    message: Option<String>,
) -> ServiceResult<Joined> {
    let account = acting.require(Role::Editor)?.clone();
    let (view, organiser) = event_at(data, reference).await?;
    if organiser.id == account.id {
        return Err(ServiceError::Unprocessable(
            "Can't join your own event".into(),
        ));
    }
    if let Some(reason) = participation::closed_reason(&view.event) {
        return Err(ServiceError::Unprocessable(reason));
    }
    let message = participation::clean_message(message.as_deref());
    let mut outbox = Outbox::default();
    let state = crate::transaction!(data.db, ServiceError, |q| {
        if view.post.local {
            join_local(data, &mut q, &account, &view.post, message.clone()).await
        } else {
            join_remote(
                data,
                &mut q,
                &mut outbox,
                &account,
                &view,
                &organiser,
                message.clone(),
            )
            .await
        }
    })?;
    outbox.committed(data);
    Ok(Joined {
        view: refreshed(data, view).await?,
        state: Some(state),
    })
}

async fn join_local(
    data: &FedData,
    q: &mut Q<'_>,
    account: &ActorRow,
    post: &PostRow,
    message: Option<String>,
) -> ServiceResult<ParticipantState> {
    let Target::Event(event) = participation::target(q, &url(&post.ap_id)?, account).await? else {
        return Err(ServiceError::NotFound("Record not found".into()));
    };
    let id = data.urls.new_activity();
    let rsvp = Rsvp {
        activity_id: &id,
        kind: "Join",
        intent: Intent::Going,
        message: message.as_deref(),
    };
    participation::receive(data, q, account, &event, rsvp).await?;
    Ok(q.participant_of(post.id, account.id)
        .await?
        .map(|row| row.state())
        .unwrap_or(ParticipantState::Pending))
}

async fn join_remote(
    data: &FedData,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    account: &ActorRow,
    view: &EventView,
    organiser: &ActorRow,
    message: Option<String>,
) -> ServiceResult<ParticipantState> {
    let earlier = q.participant_of(view.post.id, account.id).await?;
    if let Some(state) = earlier.as_ref().map(ParticipantRow::state) {
        if matches!(
            state,
            ParticipantState::Going | ParticipantState::Pending | ParticipantState::Rejected
        ) {
            return Ok(state);
        }
    }
    let activity = outgoing::join(
        &data.urls,
        account,
        &view.post.ap_id,
        organiser,
        message.clone(),
    )
    .map_err(|e| ServiceError::Internal(e.into()))?;
    let now = crate::storage::now();
    // Never recounted: the count of a remote event is its organiser's.
    q.put_participant(&NewParticipant {
        event_post_id: view.post.id,
        actor_id: account.id,
        state: ParticipantState::Pending.as_str().into(),
        activity_ap_id: activity.id.to_string(),
        activity_kind: "Join".into(),
        message,
        created_at: now,
        updated_at: now,
    })
    .await?;
    outbox
        .queue(q, account, &activity, &[Audience::InboxOf(organiser)])
        .await?;
    Ok(ParticipantState::Pending)
}

/// `acting`'s organisation withdraws from an event it joined. A remote
/// event's organiser gets a `Leave` and our participation becomes
/// `not_going`; on a local event the participation goes and a place it held
/// goes to the first on the waiting list. Not having joined is a 422 "Not
/// participating in the event".
pub async fn leave_event(
    data: &FedData,
    acting: &Acting,
    reference: &str,
) -> ServiceResult<Joined> {
    let account = acting.require(Role::Editor)?.clone();
    let (view, organiser) = event_at(data, reference).await?;
    let mut outbox = Outbox::default();
    crate::transaction!(data.db, ServiceError, |q| {
        let row = q
            .participant_of(view.post.id, account.id)
            .await?
            .filter(|row| row.state() != ParticipantState::NotGoing)
            .ok_or_else(|| ServiceError::Unprocessable("Not participating in the event".into()))?;
        if view.post.local {
            participation::withdraw(data, &mut q, &row).await?;
        } else {
            let activity = outgoing::leave(&data.urls, &account, &view.post.ap_id, &organiser)
                .map_err(|e| ServiceError::Internal(e.into()))?;
            q.set_participant_state(row.id, ParticipantState::NotGoing)
                .await?;
            outbox
                .queue(
                    &mut q,
                    &account,
                    &activity,
                    &[Audience::InboxOf(&organiser)],
                )
                .await?;
        }
        Ok(())
    })?;
    outbox.committed(data);
    Ok(Joined {
        view: refreshed(data, view).await?,
        state: None,
    })
}

/// The event row as it is now (a local join changes its count).
async fn refreshed(data: &FedData, view: EventView) -> ServiceResult<EventView> {
    let mut conn = data.db.conn().await?;
    let event = conn
        .q()
        .event_by_post(view.post.id)
        .await?
        .unwrap_or(view.event);
    Ok(EventView {
        post: view.post,
        event,
    })
}

/// Where `account` stands with the event of `post_id`, if it answered and
/// has not left: what the event entities show as the viewer's join state.
pub async fn join_state(
    data: &FedData,
    account: &ActorRow,
    post_id: i64,
) -> ServiceResult<Option<ParticipantState>> {
    let mut conn = data.db.conn().await?;
    Ok(conn
        .q()
        .participant_of(post_id, account.id)
        .await?
        .map(|row| row.state())
        .filter(|state| *state != ParticipantState::NotGoing))
}

/// How an organiser answered one of our Joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    Accept,
    Reject,
    TentativeAccept,
}

/// The organiser of a remote event answers our Join (`row`, found by the
/// Join's id): `Accept` makes us going, `TentativeAccept` maybe, `Reject`
/// rejected. Heard from the event's author (its `attributedTo`, whom the
/// Join was sent to) or another actor of the event's own server: for a
/// Mobilizon group event the group is the author, but the organiser person
/// or the moderator who approves sends the answer, and that server speaks
/// for its events anyway. Anyone else, an answer to a Join of someone
/// else's, or one arriving after we left, changes nothing (`Ok(false)`).
pub(crate) async fn answered(
    q: &mut Q<'_>,
    sender: &ActorRow,
    row: &ParticipantRow,
    answer: Answer,
) -> ServiceResult<bool> {
    let participant = q.actor_by_id(row.actor_id).await?;
    let Some(post) = q.post_by_id(row.event_post_id).await? else {
        return Ok(false);
    };
    let from_event_server = match (Url::parse(&sender.ap_id), Url::parse(&post.ap_id)) {
        (Ok(sender), Ok(event)) => same_origin(&sender, &event),
        _ => false,
    };
    if !participant.local || post.local || (post.author_id != sender.id && !from_event_server) {
        return Ok(false);
    }
    if row.state() == ParticipantState::NotGoing {
        return Ok(false);
    }
    let state = match answer {
        Answer::Accept => ParticipantState::Going,
        Answer::TentativeAccept => ParticipantState::Maybe,
        Answer::Reject => ParticipantState::Rejected,
    };
    // Never recounted: the count of a remote event is its organiser's.
    q.set_participant_state(row.id, state).await?;
    Ok(true)
}

/// The events `account` joined with one of `states`, newest join first, as
/// it sees them, each with its participation's id (what the list is paged
/// by). Events it may no longer see are left out.
pub async fn joined_events(
    ctx: &crate::context::Kuvend,
    account: &ActorRow,
    states: &[ParticipantState],
    page: crate::model::Page,
) -> ServiceResult<Vec<(i64, super::client::StatusData)>> {
    let rows = {
        let mut conn = ctx.db.conn().await?;
        conn.q().joined_events(account.id, states, page).await?
    };
    let by_post: std::collections::HashMap<i64, i64> =
        rows.iter().map(|(id, post)| (post.id, *id)).collect();
    let posts = rows.into_iter().map(|(_, post)| post).collect();
    Ok(super::client::statuses(ctx, posts, Some(account))
        .await?
        .into_iter()
        .filter_map(|s| by_post.get(&s.post.id).map(|id| (*id, s)))
        .collect())
}

/// After an organiser's answer to one of our Joins is committed, the remote
/// event's row is read again from its origin: organisers send no `Update`
/// when only their count changes (and must not: Mastodon would show each
/// RSVP as an edit), so without this the count we show stays where it was
/// when the event first arrived. The document is fetched signed, checked
/// as every fetched post is (its id is the URL asked for, on its author's
/// host), bounded and cleaned, and only the events row is replaced, as an
/// `Update{Event}` replaces it, without marking the post edited. Answers
/// come only for Joins we sent, so this costs one fetch per answer.
pub async fn refresh_remote_event(data: &FedData, post_id: i64) -> ServiceResult<bool> {
    let (post, author) = {
        let mut conn = data.db.conn().await?;
        let mut q = conn.q();
        let Some(post) = q.post_by_id(post_id).await? else {
            return Ok(false);
        };
        let author = q.actor_by_id(post.author_id).await?;
        (post, author)
    };
    if post.local || post.ap_type != "Event" || post.deleted_at.is_some() {
        return Ok(false);
    }
    let fetched = crate::federation::notes::fetch_post(&url(&post.ap_id)?, data)
        .await
        .map_err(|e| ServiceError::Unprocessable(format!("cannot fetch {}: {e}", post.ap_id)))?;
    let (note, event) = posts::clean_post(&data.settings.limits, fetched)?;
    // The same rule as an Update's: only the author's own document counts.
    if note.attributed_to.as_str() != author.ap_id {
        return Err(ServiceError::Unauthorized(format!(
            "{} is no longer attributed to {}",
            post.ap_id, author.ap_id
        )));
    }
    let Some(event) = event else {
        return Ok(false);
    };
    crate::transaction!(data.db, ServiceError, |q| {
        // Deleted meanwhile: it stays deleted.
        if q.post_by_id(post.id)
            .await?
            .is_some_and(|p| p.deleted_at.is_none())
        {
            q.put_event(post.id, &event).await?;
        }
        Ok(())
    })?;
    Ok(true)
}
