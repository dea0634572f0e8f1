//! `Leave` of an event of ours (Mobilizon, Smithereen): the person's RSVP
//! goes, and a place they held goes to the first on the waiting list.
//! Mobilizon's Leave needs no id of the Join it ends: it is found by event
//! and actor. A `Leave` of one of our coalitions ends a membership.

use super::InboxOutcome;
use crate::{
    context::Kuvend,
    service::{
        ServiceResult,
        participation::{self, Target},
    },
    storage::{Q, models::ActorRow},
};
use url::Url;

pub(super) async fn apply(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    object: &Url,
) -> ServiceResult<InboxOutcome> {
    // A member leaving one of our coalitions (issue 13 item 4).
    if let Some(coalition) = q.actor_by_ap_id(object.as_str()).await? {
        if coalition.local && coalition.kind() == crate::model::ActorKind::Coalition {
            let left = crate::service::membership::left(q, &ctx.urls, actor, &coalition).await?;
            return Ok(match left {
                None => InboxOutcome::Applied,
                Some(why) => InboxOutcome::Ignored(why.into()),
            });
        }
    }
    let Target::Event(event) = participation::target(q, object, actor).await? else {
        return Ok(InboxOutcome::Ignored("Leave of no event of ours".into()));
    };
    let Some(row) = q.participant_of(event.post.id, actor.id).await? else {
        return Ok(InboxOutcome::Ignored(
            "Leave of an event they had not joined".into(),
        ));
    };
    participation::withdraw(ctx, q, &row).await?;
    Ok(InboxOutcome::Applied)
}
