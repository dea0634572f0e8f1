//! `Leave` of an event of ours (Mobilizon, Smithereen): the person's RSVP
//! goes, and a place they held goes to the first on the waiting list.
//! Mobilizon's Leave needs no id of the Join it ends: it is found by event
//! and actor.

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
