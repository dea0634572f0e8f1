//! `Accept`, `Reject`, `TentativeAccept` and `TentativeReject`. Two meanings,
//! told apart by what the object refers to: the answer to something one of
//! ours asked for (a follow), or an RSVP to an event of ours (Friendica
//! sends `Accept{Event}` by id, Streams and Hubzilla `Accept{Invite{Event}}`
//! embedded). Anything else is ignored, never taken for a follow or an
//! RSVP: Streams also approves comments with `Accept`, whose object is a
//! comment, not an event.
//!
//! A fourth meaning, by the same lookup: an invitee answering an invitation
//! to one of our coalitions ([`invitations::answered`]), whatever the shape
//! (Mobilizon's `Accept{Member}`, `Reject{"<id>"}`, `Accept{Invite}`).
//!
//! A third meaning, told apart by the same lookup: the organiser of a
//! remote event answering a `Join` one of our organisations sent
//! ([`joining::answered`]); only that organiser is heard.

use super::{
    InboxOutcome,
    referent::{self, Referent},
};
use crate::{
    context::Kuvend,
    federation::protocol::activities::Reference,
    model::FollowState,
    service::{
        ServiceError, ServiceResult, invitations, joining,
        participation::{self, Intent, Rsvp, Target},
    },
    storage::{Q, models::ActorRow},
};
use url::Url;

/// Which answer it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    Accept,
    Reject,
    TentativeAccept,
    TentativeReject,
}

impl Answer {
    fn kind(self) -> &'static str {
        match self {
            Answer::Accept => "Accept",
            Answer::Reject => "Reject",
            Answer::TentativeAccept => "TentativeAccept",
            Answer::TentativeReject => "TentativeReject",
        }
    }

    fn intent(self) -> Intent {
        match self {
            Answer::Accept => Intent::Going,
            Answer::TentativeAccept => Intent::Maybe,
            Answer::Reject | Answer::TentativeReject => Intent::NotGoing,
        }
    }
}

pub(super) async fn apply(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    id: &Url,
    reference: &Reference,
    answer: Answer,
) -> ServiceResult<InboxOutcome> {
    let follow = match referent::find(q, reference).await? {
        Some(Referent::Follow(follow)) if matches!(answer, Answer::Accept | Answer::Reject) => {
            follow
        }
        Some(Referent::Participation(row)) => {
            let ours = match answer {
                Answer::Accept => Some(joining::Answer::Accept),
                Answer::Reject => Some(joining::Answer::Reject),
                Answer::TentativeAccept => Some(joining::Answer::TentativeAccept),
                Answer::TentativeReject => None,
            };
            let changed = match ours {
                Some(ours) => joining::answered(q, actor, &row, ours).await?,
                None => false,
            };
            return Ok(super::applied(
                changed,
                "answer to an RSVP, not from the organiser of a remote event we joined",
            ));
        }
        Some(Referent::Invitation(row)) => {
            let accept = match answer {
                Answer::Accept => true,
                Answer::Reject => false,
                _ => {
                    return Ok(InboxOutcome::Ignored(format!(
                        "{answer:?} of an invitation"
                    )));
                }
            };
            return Ok(
                match invitations::answered(q, &ctx.urls, actor, &row, accept).await? {
                    None => InboxOutcome::Applied,
                    Some(why) => {
                        if accept && why == invitations::NO_LONGER_OPEN {
                            invitations::refuse_late_acceptance(q, &ctx.urls, actor, &row).await?;
                        }
                        InboxOutcome::Ignored(why.into())
                    }
                },
            );
        }
        Some(Referent::JoinRequest(row)) if matches!(answer, Answer::Accept | Answer::Reject) => {
            let accept = answer == Answer::Accept;
            return Ok(
                match crate::service::membership::join_answered(q, actor, &row, accept).await? {
                    None => InboxOutcome::Applied,
                    Some(why) => InboxOutcome::Ignored(why.into()),
                },
            );
        }
        Some(other) => {
            return Ok(InboxOutcome::Ignored(format!(
                "{answer:?} of {}, which is not asked for",
                other.describe()
            )));
        }
        None => return rsvp(ctx, q, actor, id, reference, answer).await,
    };
    if follow.followee_id != actor.id {
        return Err(ServiceError::Unauthorized(
            "only the followed actor can answer a follow request".into(),
        ));
    }
    match answer {
        Answer::Accept => {
            q.set_follow_state(follow.id, FollowState::Accepted).await?;
            q.backfill_home_feed(follow.follower_id, follow.followee_id)
                .await?;
        }
        _ => {
            q.delete_follow(follow.id).await?;
            q.clear_home_feed_of(follow.follower_id, follow.followee_id)
                .await?;
        }
    }
    Ok(InboxOutcome::Applied)
}

/// The answer as an RSVP, if its object is an event of ours or an `Invite`
/// of one: the Invite's object first (a Streams Invite's own id may be the
/// event's, or another), then the object itself.
async fn rsvp(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    id: &Url,
    reference: &Reference,
    answer: Answer,
) -> ServiceResult<InboxOutcome> {
    let candidates = match reference.kind.as_deref() {
        None | Some("Event") => vec![reference.id.as_ref()],
        Some("Invite") => vec![reference.object.as_ref(), reference.id.as_ref()],
        Some(_) => vec![],
    };
    for candidate in candidates.into_iter().flatten() {
        if let Target::Event(event) = participation::target(q, candidate, actor).await? {
            let rsvp = Rsvp {
                activity_id: id,
                kind: answer.kind(),
                intent: answer.intent(),
                message: None,
            };
            let changed = participation::receive(ctx, q, actor, &event, rsvp).await?;
            return Ok(super::applied(changed, "RSVP to an event that takes none"));
        }
    }
    Ok(InboxOutcome::Ignored(format!(
        "{answer:?} of nothing we asked for and no event of ours"
    )))
}
