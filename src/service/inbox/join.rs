//! `Join` (Mobilizon, Rebased) and `TentativeJoin` (Smithereen): someone
//! says they come, or may come, to an event of ours. A Join of a post of
//! ours that is not an event is rejected; of anything else, ignored. Neither
//! is stored. A `Join` of one of our coalitions by an actor it invited is
//! that invitation's acceptance.

use super::InboxOutcome;
use crate::{
    context::Kuvend,
    federation::protocol::activities::JoinJson,
    service::{
        ServiceResult,
        participation::{self, Intent, Rsvp, Target},
    },
    storage::{Q, models::ActorRow},
};
use url::Url;

pub(super) async fn apply(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    id: &Url,
    kind: &str,
    join: &JoinJson,
) -> ServiceResult<InboxOutcome> {
    if let Some(coalition) = q.actor_by_ap_id(join.object.as_str()).await? {
        if coalition.local && coalition.kind() == crate::model::ActorKind::Coalition {
            return coalition_join(ctx, q, actor, id, &coalition, join.message.as_deref()).await;
        }
    }
    match participation::target(q, &join.object, actor).await? {
        Target::Event(event) => {
            let rsvp = Rsvp {
                activity_id: id,
                kind,
                intent: if join.tentative {
                    Intent::Maybe
                } else {
                    Intent::Going
                },
                message: join.message.as_deref(),
            };
            participation::receive(ctx, q, actor, &event, rsvp).await?;
            Ok(InboxOutcome::Applied)
        }
        Target::OtherPost(post) => {
            participation::reject_join_of_post(ctx, q, actor, &post, id, kind).await?;
            Ok(InboxOutcome::Applied)
        }
        Target::Unknown => Ok(InboxOutcome::Ignored(
            "Join of something that is not ours".into(),
        )),
    }
}

/// A `Join` of one of our coalitions: an invited actor's acceptance
/// (Smithereen's way), answered with `Accept{Join}` from the coalition.
/// Without an invitation it is a join request ([`crate::service::membership::join_received`]).
async fn coalition_join(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    id: &Url,
    coalition: &ActorRow,
    message: Option<&str>,
) -> ServiceResult<InboxOutcome> {
    // An actor the coalition blocks can neither accept nor ask (issue 15).
    if crate::service::blocks::blocks(q, coalition.id, actor).await? {
        return Ok(InboxOutcome::Ignored(format!(
            "{} is blocked by {}",
            actor.ap_id, coalition.ap_id
        )));
    }
    if !crate::service::invitations::joined_by_invitee(q, &ctx.urls, actor, coalition).await? {
        // Not invited: a join request (item 4).
        return Ok(
            match crate::service::membership::join_received(ctx, q, actor, id, coalition, message)
                .await?
            {
                None => InboxOutcome::Applied,
                Some(why) => InboxOutcome::Ignored(why.into()),
            },
        );
    }
    let accept = crate::federation::outgoing::answer_coalition_join(
        &ctx.urls,
        "Accept",
        coalition,
        actor,
        id.as_str(),
    )
    .map_err(|e| crate::service::ServiceError::Internal(e.into()))?;
    // The inbox wakes the delivery worker once its batch has committed.
    crate::service::outbox::Outbox::default()
        .queue(
            q,
            coalition,
            &accept,
            &[crate::service::outbox::Audience::InboxOf(actor)],
        )
        .await?;
    Ok(InboxOutcome::Applied)
}
