//! `Undo`: an actor withdraws its own follow, like, boost or RSVP (Rebased
//! `Undo{Join}` by id, Friendica `Undo{Accept{Event}}`, Streams
//! `Undo{Accept{Invite}}`), or a coalition withdraws an invitation one of
//! our organisations received (`Undo{Invite}`).

use super::{
    InboxOutcome,
    referent::{self, Referent},
};
use crate::{
    context::Kuvend,
    federation::protocol::activities::Reference,
    service::{ServiceError, ServiceResult},
    storage::{Q, models::ActorRow},
};

pub(super) async fn apply(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    reference: &Reference,
) -> ServiceResult<InboxOutcome> {
    match referent::find(q, reference).await? {
        Some(Referent::Follow(follow)) => {
            if follow.follower_id != actor.id {
                return Err(ServiceError::Unauthorized(
                    "only the follower can undo a follow".into(),
                ));
            }
            q.delete_follow(follow.id).await?;
        }
        Some(Referent::Reaction {
            kind,
            actor_id,
            post_id,
        }) => {
            if actor_id != actor.id {
                return Err(ServiceError::Unauthorized(
                    "only its actor can undo a like or boost".into(),
                ));
            }
            if kind == crate::model::ReactionKind::Announce {
                // A group's relay was stored as its boost too.
                crate::service::boosts::withdraw(q, actor.id, post_id).await?;
            } else {
                q.remove_reaction(kind, actor.id, None, Some(post_id))
                    .await?;
            }
        }
        Some(Referent::Participation(row)) => {
            if row.actor_id != actor.id {
                return Err(ServiceError::Unauthorized(
                    "only its actor can undo an RSVP".into(),
                ));
            }
            crate::service::participation::withdraw(ctx, q, &row).await?;
        }
        Some(Referent::Invitation(row)) => {
            if let Some(why) = crate::service::invitations::withdrawn(q, actor, &row).await? {
                return Ok(InboxOutcome::Ignored(why.into()));
            }
        }
        Some(Referent::JoinRequest(row)) => {
            // The requester withdraws its pending request to join.
            if row.requester_id != actor.id || !q.close_join_request(row.id, "withdrawn").await? {
                return Ok(InboxOutcome::Ignored(
                    "Undo of a join request, not its requester's or not pending".into(),
                ));
            }
        }
        None => {
            return Ok(InboxOutcome::Ignored(format!(
                "Undo of {} we do not know",
                reference.kind.as_deref().unwrap_or("something")
            )));
        }
    }
    Ok(InboxOutcome::Applied)
}
