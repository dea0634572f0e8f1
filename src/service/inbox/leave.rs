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
            if let Some(why) = crate::service::membership::left(q, actor, &coalition).await? {
                return Ok(InboxOutcome::Ignored(why.into()));
            }
            // Issue 14: the campaigns' follow of a member that left is
            // undone (the inbox wakes the worker after its commit).
            crate::service::campaigns::member_changed(
                &ctx.urls,
                q,
                &mut crate::service::outbox::Outbox::default(),
                coalition.id,
                actor.id,
            )
            .await?;
            return Ok(InboxOutcome::Applied);
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
