//! RSVPs to our events (issue 12), whatever dialect they come in: Mobilizon
//! and Rebased `Join`, Smithereen `TentativeJoin`, Friendica and
//! Streams/Hubzilla `Accept`/`TentativeAccept`/`Reject`/`TentativeReject` of
//! the Event or of an `Invite` of it. One row per event and actor
//! (`participants`), `events.participant_count` recounted in the same
//! transaction as every change.
//!
//! Only a `Join` (or `TentativeJoin`) is answered, with an `Accept` or
//! `Reject` that embeds it with its original id, from the organisation,
//! addressed to the participant alone. The other dialects expect no answer.
//!
//! Everything here runs inside the inbox's transaction; staff approval
//! (issue 12 item 4) can reuse [`set_state`] and [`promote_waitlisted`].

use super::{
    ServiceError, ServiceResult, acting::Acting, outbox::Audience, outbox::Outbox, visibility,
};
use crate::{
    context::Kuvend,
    federation::{
        outgoing::{self, FollowAnswer},
        protocol::activities::EmbeddedJoinJson,
    },
    model::{EventStatus, JoinMode, ParticipantState},
    storage::{
        Q,
        models::{ActorRow, EventRow, NewParticipant, ParticipantRow, PostRow},
    },
};
use url::Url;

/// The longest participation message kept, in characters: a note to the
/// organisers, not a post.
pub const MAX_MESSAGE_CHARS: usize = 1000;

/// An event of ours: a local `Event` post, not deleted, with its row and
/// the organisation that made it (which answers).
pub(crate) struct LocalEvent {
    pub post: PostRow,
    pub event: EventRow,
    pub organiser: ActorRow,
}

/// What `id` names here, for an RSVP.
pub(crate) enum Target {
    Event(Box<LocalEvent>),
    /// A post of ours that is not an event (or no longer exists).
    OtherPost(Box<PostRow>),
    /// Nothing of ours: someone else's post, or nothing we know.
    Unknown,
}

/// Finds what an RSVP is about; an event `participant` may not see counts
/// as unknown, so that nobody learns of it by joining.
pub(crate) async fn target(
    q: &mut Q<'_>,
    id: &Url,
    participant: &ActorRow,
) -> ServiceResult<Target> {
    let Some(post) = q.post_by_ap_id(id.as_str()).await? else {
        return Ok(Target::Unknown);
    };
    if !post.local || !visibility::may_see(q, &post, Some(participant)).await? {
        return Ok(Target::Unknown);
    }
    if post.ap_type != "Event" || post.deleted_at.is_some() {
        return Ok(Target::OtherPost(Box::new(post)));
    }
    let Some(event) = q.event_by_post(post.id).await? else {
        return Ok(Target::OtherPost(Box::new(post)));
    };
    let organiser = q.actor_by_id(post.author_id).await?;
    Ok(Target::Event(Box::new(LocalEvent {
        post,
        event,
        organiser,
    })))
}

/// What someone answered, in any dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Intent {
    Going,
    Maybe,
    NotGoing,
}

/// An incoming RSVP.
pub(crate) struct Rsvp<'a> {
    /// The activity's id, as sent.
    pub activity_id: &'a Url,
    /// Its type as received (`Join`, `TentativeJoin`, `Accept`...).
    pub kind: &'a str,
    pub intent: Intent,
    /// As sent; made plain and bounded here.
    pub message: Option<&'a str>,
}

impl Rsvp<'_> {
    /// A `Join` or `TentativeJoin` expects an `Accept` or `Reject`; the
    /// other dialects do not.
    fn is_join(&self) -> bool {
        is_join(self.kind)
    }
}

fn is_join(kind: &str) -> bool {
    matches!(kind, "Join" | "TentativeJoin" | "sm:TentativeJoin")
}

/// The participation message as kept: plain text, trimmed, bounded.
pub(crate) fn clean_message(message: Option<&str>) -> Option<String> {
    let text = crate::sanitize::plain(message?);
    // Control characters (terminal escapes, tabs) would reach staff's
    // terminals and tab-separated listings as typed by a stranger; line
    // breaks are the only ones a message needs.
    let text: String = text
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(MAX_MESSAGE_CHARS).collect())
}

/// Whether an event takes answers here: not cancelled, and free or
/// restricted joining (external and invitation-only events take none).
pub fn takes_rsvps(event: &EventRow) -> bool {
    closed_reason(event).is_none()
}

/// Why an event takes no RSVP, if it does not.
pub(crate) fn closed_reason(event: &EventRow) -> Option<String> {
    if EventStatus::parse(&event.status) == Some(EventStatus::Cancelled) {
        return Some("This event is cancelled.".into());
    }
    match JoinMode::parse(&event.join_mode) {
        Some(JoinMode::External) => Some(match &event.external_url {
            Some(url) => format!("Registration for this event is at {url}"),
            None => "Registration for this event is elsewhere.".into(),
        }),
        Some(JoinMode::Invite) => Some("This event is by invitation only.".into()),
        _ => None,
    }
}

/// Whether every place is taken.
fn is_full(event: &EventRow, going: i64) -> bool {
    event.capacity.is_some_and(|capacity| going >= capacity)
}

/// Applies an RSVP to an event of ours. Returns whether anything changed
/// or was sent.
pub(crate) async fn receive(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    participant: &ActorRow,
    target: &LocalEvent,
    rsvp: Rsvp<'_>,
) -> ServiceResult<bool> {
    // An actor the organiser blocks takes no place and gets no answer
    // (issue 15): nothing is stored.
    if super::blocks::blocks(q, target.organiser.id, participant).await? {
        return Ok(false);
    }
    let mut outbox = Outbox::default();
    let message = clean_message(rsvp.message);
    if let Some(reason) = closed_reason(&target.event) {
        if rsvp.is_join() {
            let join = embedded(rsvp.activity_id, rsvp.kind, participant, target, message)?;
            answer(ctx, q, &mut outbox, target, participant, join, Some(reason)).await?;
            return Ok(true);
        }
        // Friendica and Streams expect no answer: their RSVP is not kept.
        return Ok(false);
    }
    let earlier = q.participant_of(target.post.id, participant.id).await?;
    let was = earlier.as_ref().map(ParticipantRow::state);
    // An answer without a message (a vote, a Friendica Accept) keeps the
    // message that came with the person's earlier Join.
    let message = message.or_else(|| earlier.and_then(|row| row.message));
    let going = q.recount_participants(target.post.id).await?;
    let restricted = JoinMode::parse(&target.event.join_mode) == Some(JoinMode::Restricted);
    let state = match (rsvp.intent, was) {
        // Staff said no: no later answer changes that (a "not going" then
        // "going" would otherwise walk round the decision).
        (_, Some(ParticipantState::Rejected)) => ParticipantState::Rejected,
        (Intent::NotGoing, _) => ParticipantState::NotGoing,
        // "Maybe" takes no place, so it needs neither approval nor room.
        (Intent::Maybe, _) => ParticipantState::Maybe,
        (Intent::Going, Some(ParticipantState::Going)) => ParticipantState::Going,
        (
            Intent::Going,
            Some(state @ (ParticipantState::Pending | ParticipantState::Waitlisted)),
        ) => state,
        (Intent::Going, _) if restricted => ParticipantState::Pending,
        (Intent::Going, _) if is_full(&target.event, going) => ParticipantState::Waitlisted,
        (Intent::Going, _) => ParticipantState::Going,
    };
    let now = crate::storage::now();
    q.put_participant(&NewParticipant {
        event_post_id: target.post.id,
        actor_id: participant.id,
        state: state.as_str().into(),
        activity_ap_id: rsvp.activity_id.to_string(),
        activity_kind: rsvp.kind.into(),
        message: message.clone(),
        created_at: now,
        updated_at: now,
    })
    .await?;
    if was != Some(state) {
        notify_staff(q, target, participant, state).await?;
    }
    if rsvp.is_join() {
        let join = embedded(rsvp.activity_id, rsvp.kind, participant, target, message)?;
        match state {
            ParticipantState::Going | ParticipantState::Maybe => {
                answer(ctx, q, &mut outbox, target, participant, join, None).await?;
            }
            ParticipantState::Rejected => {
                let reason = "The organisers declined this participation.".to_string();
                answer(ctx, q, &mut outbox, target, participant, join, Some(reason)).await?;
            }
            // Answered when staff decide, or when a place frees.
            _ => {}
        }
    }
    if was == Some(ParticipantState::Going) && state != ParticipantState::Going {
        promote_waitlisted(ctx, q, target).await?;
    }
    q.recount_participants(target.post.id).await?;
    Ok(true)
}

/// The notification type for staff when someone asks to take part
/// (restricted mode): Rebased's, which pl-api clients already show.
pub const REQUEST_NOTIFICATION: &str = "pleroma:participation_request";
/// The notification type for staff when someone takes part, says maybe or
/// is waitlisted. No other server has one; clients skip types they do not
/// know, as Mastodon's API documentation asks of them.
pub const PARTICIPATION_NOTIFICATION: &str = "kuvend:participation";

/// Tells the organisation's staff (the organisation's own notifications,
/// which every staff member reads) that someone arrived in `state`. Not
/// going and rejected are not news for staff.
async fn notify_staff(
    q: &mut Q<'_>,
    target: &LocalEvent,
    participant: &ActorRow,
    state: ParticipantState,
) -> ServiceResult<()> {
    let kind = match state {
        ParticipantState::Pending => REQUEST_NOTIFICATION,
        ParticipantState::Going | ParticipantState::Maybe | ParticipantState::Waitlisted => {
            PARTICIPATION_NOTIFICATION
        }
        ParticipantState::NotGoing | ParticipantState::Rejected => return Ok(()),
    };
    q.notify(
        target.organiser.id,
        kind,
        participant.id,
        Some(target.post.id),
    )
    .await?;
    Ok(())
}

/// Someone withdraws (`Leave`, `Undo` of their RSVP): their row goes, and
/// a place they held goes to the first on the waiting list. A rejected
/// participant's row stays, so that leaving and joining again does not
/// undo the organisers' decision.
pub(crate) async fn withdraw(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    row: &ParticipantRow,
) -> ServiceResult<()> {
    if row.state() == ParticipantState::Rejected {
        return Ok(());
    }
    q.delete_participant(row.id).await?;
    if row.state() == ParticipantState::Going {
        if let Some(target) = event_of(q, row.event_post_id).await? {
            promote_waitlisted(ctx, q, &target).await?;
        }
    }
    q.recount_participants(row.event_post_id).await?;
    Ok(())
}

/// Sets a participant's state (staff approval uses it too) and recounts.
pub(crate) async fn set_state(
    q: &mut Q<'_>,
    row: &ParticipantRow,
    state: ParticipantState,
) -> ServiceResult<i64> {
    q.set_participant_state(row.id, state).await?;
    Ok(q.recount_participants(row.event_post_id).await?)
}

/// While places are free, the first on the waiting list becomes `going`,
/// and a `Join` among them gets its `Accept`.
pub(crate) async fn promote_waitlisted(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    target: &LocalEvent,
) -> ServiceResult<()> {
    let mut outbox = Outbox::default();
    loop {
        let going = q.recount_participants(target.post.id).await?;
        if is_full(&target.event, going) {
            return Ok(());
        }
        let Some((row, actor)) = q.first_waitlisted(target.post.id).await? else {
            return Ok(());
        };
        set_state(q, &row, ParticipantState::Going).await?;
        if is_join(&row.activity_kind) {
            let id = Url::parse(&row.activity_ap_id).map_err(|_| {
                ServiceError::Internal(anyhow::anyhow!("stored Join id is not a URL"))
            })?;
            let join = embedded(&id, &row.activity_kind, &actor, target, row.message.clone())?;
            answer(ctx, q, &mut outbox, target, &actor, join, None).await?;
        }
    }
}

/// The event of a stored participant row, if it still is one of ours.
async fn event_of(q: &mut Q<'_>, post_id: i64) -> ServiceResult<Option<LocalEvent>> {
    let Some(event) = q.event_by_post(post_id).await? else {
        return Ok(None);
    };
    let Some(post) = q.post_by_id(post_id).await? else {
        return Ok(None);
    };
    let organiser = q.actor_by_id(post.author_id).await?;
    Ok(Some(LocalEvent {
        post,
        event,
        organiser,
    }))
}

/// The participant's Join as our answer embeds it.
fn embedded(
    id: &Url,
    kind: &str,
    participant: &ActorRow,
    target: &LocalEvent,
    message: Option<String>,
) -> ServiceResult<EmbeddedJoinJson> {
    let parse = |text: &str| {
        Url::parse(text).map_err(|_| ServiceError::Internal(anyhow::anyhow!("{text} is not a URL")))
    };
    Ok(EmbeddedJoinJson {
        id: id.clone(),
        kind: if is_join(kind) && kind != "Join" {
            "TentativeJoin".into()
        } else {
            "Join".into()
        },
        actor: parse(&participant.ap_id)?,
        object: parse(&target.post.ap_id)?,
        participation_message: message,
    })
}

/// Queues the organisation's `Accept` (no reason) or `Reject` (with one)
/// of `join`, to the participant's inbox alone.
async fn answer(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    target: &LocalEvent,
    participant: &ActorRow,
    join: EmbeddedJoinJson,
    reject: Option<String>,
) -> ServiceResult<()> {
    let kind = if reject.is_some() {
        FollowAnswer::Reject
    } else {
        FollowAnswer::Accept
    };
    let activity = outgoing::answer_join(&ctx.urls, kind, &target.organiser, join, reject)
        .map_err(|e| ServiceError::Internal(e.into()))?;
    outbox
        .queue(
            q,
            &target.organiser,
            &activity,
            &[Audience::InboxOf(participant)],
        )
        .await?;
    Ok(())
}

/// `Reject` of a `Join` of a post of ours that is not an event: answered,
/// never stored.
pub(crate) async fn reject_join_of_post(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    participant: &ActorRow,
    post: &PostRow,
    join_id: &Url,
    kind: &str,
) -> ServiceResult<()> {
    let author = q.actor_by_id(post.author_id).await?;
    let parse = |text: &str| {
        Url::parse(text).map_err(|_| ServiceError::Internal(anyhow::anyhow!("{text} is not a URL")))
    };
    let join = EmbeddedJoinJson {
        id: join_id.clone(),
        kind: if kind == "Join" {
            "Join"
        } else {
            "TentativeJoin"
        }
        .into(),
        actor: parse(&participant.ap_id)?,
        object: parse(&post.ap_id)?,
        participation_message: None,
    };
    let activity = outgoing::answer_join(
        &ctx.urls,
        FollowAnswer::Reject,
        &author,
        join,
        Some("This is not an event.".into()),
    )
    .map_err(|e| ServiceError::Internal(e.into()))?;
    Outbox::default()
        .queue(q, &author, &activity, &[Audience::InboxOf(participant)])
        .await?;
    Ok(())
}

// Staff side (issue 12 item 4): who takes part, and approving or declining
// requests to a restricted event. The CLI and both client APIs call these,
// so one rule decides who may see the attendee list.

/// The most participants one listing returns.
pub const MAX_LISTED: i64 = 500;

/// A participant as staff see them.
pub struct StaffParticipant {
    pub row: ParticipantRow,
    pub actor: ActorRow,
}

/// An event of `acting`'s account that its staff (editors and owners) may
/// manage. Someone else's event is refused (403), an unknown one is 404.
pub(crate) async fn staff_event(
    ctx: &Kuvend,
    acting: &Acting,
    reference: &str,
) -> ServiceResult<LocalEvent> {
    let (post, organiser) = super::posts::own_post(ctx, acting, reference).await?;
    let not_event = || ServiceError::NotFound("Record not found".into());
    if post.ap_type != "Event" || post.deleted_at.is_some() {
        return Err(not_event());
    }
    let mut conn = ctx.db.conn().await?;
    let event = conn
        .q()
        .event_by_post(post.id)
        .await?
        .ok_or_else(not_event)?;
    Ok(LocalEvent {
        post,
        event,
        organiser,
    })
}

/// The participants of an event of `acting`'s account, of one state or all,
/// in the order they answered. Only for staff: the attendee list is never
/// given to anyone else.
pub async fn participants(
    ctx: &Kuvend,
    acting: &Acting,
    reference: &str,
    state: Option<ParticipantState>,
) -> ServiceResult<Vec<StaffParticipant>> {
    let target = staff_event(ctx, acting, reference).await?;
    let mut conn = ctx.db.conn().await?;
    let rows = conn
        .q()
        .participants_with_actors(target.post.id, state, MAX_LISTED)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(row, actor)| StaffParticipant { row, actor })
        .collect())
}

/// An actor we know, by account number, id URL or `user@domain` handle.
async fn known_actor(q: &mut Q<'_>, reference: &str) -> ServiceResult<ActorRow> {
    let not_found = || ServiceError::NotFound(format!("no participant {reference:?}"));
    let reference = reference.trim();
    if let Ok(id) = reference.parse::<i64>() {
        return q.actor_by_id(id).await.map_err(|_| not_found());
    }
    if reference.starts_with("https://") || reference.starts_with("http://") {
        return q.actor_by_ap_id(reference).await?.ok_or_else(not_found);
    }
    let handle = reference.trim_start_matches('@');
    let (user, domain) = handle.split_once('@').ok_or_else(not_found)?;
    q.remote_actor_by_handle(user, domain)
        .await?
        .ok_or_else(not_found)
}

/// What staff decide about a participant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// Approves (going, or waitlisted when every place is taken) or rejects a
/// participant of an event of `acting`'s account. A `Join` gets its
/// `Accept` (when going) or `Reject`, embedding it, in the same
/// transaction as the change. Approving someone already going changes and
/// sends nothing; someone who said they are not going cannot be approved.
pub async fn decide(
    ctx: &Kuvend,
    acting: &Acting,
    event: &str,
    participant: &str,
    decision: Decision,
) -> ServiceResult<StaffParticipant> {
    let target = staff_event(ctx, acting, event).await?;
    let mut outbox = Outbox::default();
    let decided = crate::transaction!(ctx.db, ServiceError, |q| {
        let actor = known_actor(&mut q, participant).await?;
        let row = q
            .participant_of(target.post.id, actor.id)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!("{} has not answered this event", actor.handle()))
            })?;
        let was = row.state();
        let state = match (decision, was) {
            (Decision::Approve, ParticipantState::NotGoing) => {
                return Err(ServiceError::Unprocessable(format!(
                    "{} said they are not going",
                    actor.handle()
                )));
            }
            (Decision::Approve, ParticipantState::Going | ParticipantState::Maybe) => was,
            (Decision::Approve, _) => {
                let going = q.recount_participants(target.post.id).await?;
                if is_full(&target.event, going) {
                    ParticipantState::Waitlisted
                } else {
                    ParticipantState::Going
                }
            }
            (Decision::Reject, _) => ParticipantState::Rejected,
        };
        if state != was {
            set_state(&mut q, &row, state).await?;
            if is_join(&row.activity_kind) && state != ParticipantState::Waitlisted {
                let id = Url::parse(&row.activity_ap_id).map_err(|_| {
                    ServiceError::Internal(anyhow::anyhow!("stored Join id is not a URL"))
                })?;
                let join = embedded(
                    &id,
                    &row.activity_kind,
                    &actor,
                    &target,
                    row.message.clone(),
                )?;
                let reason = (state == ParticipantState::Rejected)
                    .then(|| "The organisers declined this participation.".to_string());
                answer(ctx, &mut q, &mut outbox, &target, &actor, join, reason).await?;
            }
            if was == ParticipantState::Going && state != ParticipantState::Going {
                promote_waitlisted(ctx, &mut q, &target).await?;
            }
            q.recount_participants(target.post.id).await?;
        }
        let row = q
            .participant_of(target.post.id, actor.id)
            .await?
            .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("participant vanished")))?;
        Ok(StaffParticipant { row, actor })
    })?;
    outbox.committed(ctx);
    Ok(decided)
}
