//! Mastodon users answer an event with a poll (issue 12 item 2). Their
//! software cannot RSVP, but it can reply and vote. A reply to an event of
//! ours that mentions the organisation gets a direct `Question` back
//! (going / maybe / not going, in the event's language), once per person
//! and event; the vote Mastodon sends (`Create{Note}` with `name` = the
//! option and `inReplyTo` = the poll) sets that person's RSVP through
//! [`participation::receive`], exactly as other dialects do, and a direct
//! note confirms the resulting state.
//!
//! Everything here runs inside the inbox's transaction.

use super::{
    ServiceError, ServiceResult,
    direct::{self, direct_post},
    events::start_text,
    outbox::{Audience, Outbox},
    participation::{self, Intent, Rsvp, Target},
    phrases::{Phrases, fill, phrases},
    posts::{PostView, insert_local_post},
};
use crate::{
    context::Kuvend,
    federation::{
        notes::local_note_json,
        outgoing,
        protocol::{
            note::NoteJson,
            question::{PollOptionJson, QuestionJson, TallyJson, VoteJson},
        },
    },
    model::ParticipantState,
    storage::{
        Q,
        models::{ActorRow, PostRow},
        now,
        polls::{NewRsvpPoll, RsvpPollRow},
    },
};
use chrono::{DateTime, NaiveDateTime, Utc};
use url::Url;

/// What each option means, in the order the options are sent and stored.
const INTENTS: [Intent; 3] = [Intent::Going, Intent::Maybe, Intent::NotGoing];

/// The `activity_kind` a vote's RSVP is stored with: not a Join, so no
/// Accept or Reject is sent for it; the confirmation note answers instead.
pub const VOTE_KIND: &str = "Vote";

fn internal(e: impl Into<anyhow::Error>) -> ServiceError {
    ServiceError::Internal(e.into())
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// Whether a note could ask for a poll at all: a reply with a `Mention`
/// tag. Checked before [`offer`] so that the inbox's common case (a post
/// that replies to nothing) costs no savepoint and no lookup.
pub(crate) fn may_ask(note: &NoteJson) -> bool {
    note.in_reply_to.is_some() && note.tag.iter().any(|tag| tag.kind == "Mention")
}

/// After an incoming note was stored: if it replies to an event of ours
/// that takes answers and mentions the organising organisation (a
/// `Mention` tag: being addressed is not enough, since every reply
/// addresses the author of what it answers), and this person has had no
/// poll for the event yet, the organisation sends them a direct
/// `Question`. Returns whether it did.
///
/// Closed events (cancelled, external or invitation-only registration) get
/// no poll and no note: their content carries no invitation line, it says
/// the status or where to register, and a note per reply would let anyone
/// make the organisation write to them repeatedly.
pub(crate) async fn offer(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    person: &ActorRow,
    note: &NoteJson,
) -> ServiceResult<bool> {
    let Some(parent) = &note.in_reply_to else {
        return Ok(false);
    };
    if person.local {
        return Ok(false);
    }
    let target = match participation::target(q, parent, person).await? {
        Target::Event(event) => event,
        _ => return Ok(false),
    };
    let organiser = &target.organiser;
    let mentioned = note.tag.iter().any(|tag| {
        tag.kind == "Mention"
            && (tag.href.as_str() == organiser.ap_id
                || organiser.profile_url.as_deref() == Some(tag.href.as_str()))
    });
    if !mentioned {
        return Ok(false);
    }
    if !participation::takes_rsvps(&target.event) {
        tracing::info!(event = %target.post.ap_id, person = %person.ap_id, "no poll: the event takes no answers");
        return Ok(false);
    }
    let now = now();
    // The poll closes when the event starts: once it has, there is nothing to ask.
    if target.event.starts_at <= now {
        return Ok(false);
    }
    if q.rsvp_poll_of(target.post.id, person.id).await?.is_some() {
        tracing::info!(event = %target.post.ap_id, person = %person.ap_id, "no second poll");
        return Ok(false);
    }
    let reply = q.post_by_ap_id(note.id.as_str()).await?;
    let language = target.post.language.clone();
    let phrases = phrases(language.as_deref());
    let options: Vec<String> = [phrases.going, phrases.maybe, phrases.not_going]
        .iter()
        .map(|o| o.to_string())
        .collect();
    let question = fill(
        phrases.question,
        "",
        &target.event.name,
        &start_text(&target.event, language.as_deref()),
    );
    let row = direct_post(
        ctx,
        &target.organiser,
        person,
        "Question",
        &question,
        language.clone(),
        reply.as_ref(),
    )?;
    insert_local_post(q, &row, &[], std::slice::from_ref(person)).await?;
    let poll = NewRsvpPoll {
        poll_post_id: row.id,
        event_post_id: target.post.id,
        actor_id: person.id,
        options: serde_json::to_string(&options).map_err(internal)?,
        ends_at: target.event.starts_at,
        created_at: now,
    };
    if !q.insert_rsvp_poll(&poll).await? {
        // Another process offered one between the check above and here
        // (the UNIQUE constraint decides): failing undoes this offer's
        // savepoint, the Question post with it.
        return Err(ServiceError::Conflict(
            "another RSVP poll for this person and event was just offered".into(),
        ));
    }
    let json = question_json(
        ctx,
        &row,
        &target.organiser,
        person,
        &options,
        poll.ends_at,
        None,
    )?;
    let create = outgoing::create_question(&ctx.urls, &target.organiser, json)?;
    Outbox::default()
        .queue(
            q,
            &target.organiser,
            &create,
            &[Audience::Actors(std::slice::from_ref(person))],
        )
        .await?;
    Ok(true)
}

/// The `Question` of a poll, with its tallies: `vote` is the option voted,
/// if any (a poll has one voter).
pub(crate) fn question_json(
    ctx: &Kuvend,
    row: &PostRow,
    organiser: &ActorRow,
    person: &ActorRow,
    options: &[String],
    ends_at: NaiveDateTime,
    vote: Option<i64>,
) -> ServiceResult<QuestionJson> {
    let post = local_note_json(row, organiser, &[], std::slice::from_ref(person), &ctx.urls)?;
    let end = utc(ends_at);
    Ok(QuestionJson {
        post,
        one_of: options
            .iter()
            .enumerate()
            .map(|(i, name)| PollOptionJson {
                kind: "Note".into(),
                name: name.clone(),
                replies: TallyJson {
                    kind: "Collection".into(),
                    total_items: i64::from(vote == Some(i as i64)),
                },
            })
            .collect(),
        end_time: end,
        closed: (end <= Utc::now()).then_some(end),
        voters_count: i64::from(vote.is_some()),
    })
}

/// The document of a poll post, with its current tallies (Mastodon fetches
/// it again to refresh them).
pub async fn question_document(ctx: &Kuvend, view: &PostView) -> ServiceResult<QuestionJson> {
    let poll: Option<RsvpPollRow> = {
        let mut conn = ctx.db.conn().await?;
        conn.q().rsvp_poll_by_post(view.post.id).await?
    };
    let Some(poll) = poll else {
        return invitation_question_document(ctx, view).await;
    };
    let person = view
        .mentions
        .first()
        .ok_or_else(|| ServiceError::NotFound("no such poll".into()))?;
    question_json(
        ctx,
        &view.post,
        &view.author,
        person,
        &poll.option_names(),
        poll.ends_at,
        poll.vote,
    )
}

/// The document of an invitation's poll (issue 13 item 3), with its
/// tally; it closes when the invitation expires.
async fn invitation_question_document(
    ctx: &Kuvend,
    view: &PostView,
) -> ServiceResult<QuestionJson> {
    let not_found = || ServiceError::NotFound("no such poll".into());
    let (poll, invitation) = {
        let mut conn = ctx.db.conn().await?;
        let mut q = conn.q();
        let poll = q
            .invitation_poll_by_post(view.post.id)
            .await?
            .ok_or_else(not_found)?;
        let invitation = q
            .invitation_by_id(poll.invitation_id)
            .await?
            .ok_or_else(not_found)?;
        (poll, invitation)
    };
    let person = view.mentions.first().ok_or_else(not_found)?;
    question_json(
        ctx,
        &view.post,
        &view.author,
        person,
        &poll.option_names(),
        invitation.expires_at,
        poll.vote,
    )
}

/// A Mastodon vote. Only a vote from the person the poll was sent to, for
/// one of its options exactly as sent, before the poll closes, counts;
/// anything else is ignored with the reason (and never stored as a post).
/// A later vote on the same poll, from software that allows one, changes
/// the RSVP.
pub(crate) async fn receive_vote(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    voter: &ActorRow,
    activity_id: &Url,
    vote: &VoteJson,
) -> ServiceResult<Result<(), &'static str>> {
    let Some(post) = q.post_by_ap_id(vote.in_reply_to.as_str()).await? else {
        return Ok(Err("a vote on a poll we do not know"));
    };
    if !post.local || post.ap_type != "Question" || post.deleted_at.is_some() {
        return Ok(Err("a vote on something that is not a poll of ours"));
    }
    let Some(poll) = q.rsvp_poll_by_post(post.id).await? else {
        // An invitation's poll (issue 13 item 3) answers the invitation.
        if let Some(poll) = q.invitation_poll_by_post(post.id).await? {
            return super::invitations::poll_vote(q, &ctx.urls, voter, &poll, &vote.name).await;
        }
        return Ok(Err("a vote on something that is not a poll of ours"));
    };
    if poll.actor_id != voter.id {
        return Ok(Err("a vote from someone the poll was not sent to"));
    }
    if now() >= poll.ends_at {
        return Ok(Err("a vote after the poll closed"));
    }
    let Some(index) = poll.option_names().iter().position(|n| *n == vote.name) else {
        return Ok(Err("a vote for an option the poll does not have"));
    };
    let Some(event_post) = q.post_by_id(poll.event_post_id).await? else {
        return Ok(Err("a vote on a poll whose event is gone"));
    };
    let event_id = Url::parse(&event_post.ap_id).map_err(internal)?;
    let target = match participation::target(q, &event_id, voter).await? {
        Target::Event(event) => event,
        _ => return Ok(Err("a vote on a poll whose event is gone")),
    };
    let rsvp = Rsvp {
        activity_id,
        kind: VOTE_KIND,
        intent: INTENTS[index],
        message: None,
    };
    if !participation::receive(ctx, q, voter, &target, rsvp).await? {
        return Ok(Err("a vote on an event that takes no answers any more"));
    }
    q.set_rsvp_poll_vote(poll.id, index as i64).await?;
    let state = q
        .participant_of(target.post.id, voter.id)
        .await?
        .map(|row| row.state());
    let language = target.post.language.clone();
    let phrases = phrases(language.as_deref());
    let when = start_text(&target.event, language.as_deref());
    let sentence = fill(confirmation(phrases, state), "", &target.event.name, &when);
    let mut outbox = Outbox::default();
    direct::send_note(
        ctx,
        q,
        &mut outbox,
        &target.organiser,
        voter,
        &sentence,
        language,
        Some(&post),
    )
    .await?;
    Ok(Ok(()))
}

/// The confirmation sentence for the state a vote resulted in.
fn confirmation(phrases: &Phrases, state: Option<ParticipantState>) -> &'static str {
    match state {
        Some(ParticipantState::Going) => phrases.confirm_going,
        Some(ParticipantState::Maybe) => phrases.confirm_maybe,
        Some(ParticipantState::Pending) => phrases.confirm_pending,
        Some(ParticipantState::Waitlisted) => phrases.confirm_waitlisted,
        Some(ParticipantState::Rejected) => phrases.confirm_rejected,
        Some(ParticipantState::NotGoing) | None => phrases.confirm_not_going,
    }
}
