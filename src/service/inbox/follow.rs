//! `Follow`: a remote actor asks to follow one of ours.

use super::InboxOutcome;
use crate::{
    context::Kuvend,
    federation::protocol::activities::FollowJson,
    model::ActorKind,
    service::{
        ServiceError, ServiceResult,
        follows::{receive_follow, reject_follow},
    },
    storage::{Q, models::ActorRow},
};

/// Accepted at once or left for approval, as the followee chose; the
/// instance actor cannot be followed.
pub(super) async fn apply(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    follower: &ActorRow,
    follow: &FollowJson,
) -> ServiceResult<InboxOutcome> {
    let followee = q
        .actor_by_ap_id(follow.object.as_str())
        .await?
        .filter(|a| a.local && a.kind() != ActorKind::Application)
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "{} is not an actor on this instance",
                follow.object
            ))
        })?;
    // Refused with a `Reject` (so the follower's server shows no request
    // pending for ever): an actor the followee blocks, and, under an
    // organisation that takes followers from the allow-list only (`kuvend
    // admin org update --followers-from allowlist`), one from elsewhere. A
    // refused follow accepts no invitation either.
    if crate::service::blocks::blocks(q, followee.id, follower).await?
        || !crate::service::domain_policy::may_follow(ctx, q, followee.id, &follower.domain).await?
    {
        reject_follow(ctx, q, follower, &followee, follow.id.as_str()).await?;
        return Ok(InboxOutcome::Ignored(format!(
            "{} does not take followers from {}",
            followee.ap_id, follower.ap_id
        )));
    }
    receive_follow(ctx, q, follower, &followee, follow.id.as_str()).await?;
    // A follow of a coalition by an actor it invited also accepts the
    // invitation: that is what software without invitations can do. Where
    // the follower's software answers invitations itself (kuvend,
    // Mobilizon), following is only following (research pitfall 15), or
    // the two sides would disagree on the invitation.
    let software = crate::service::software::cached_software_of(q, follower).await?;
    let answers_itself =
        crate::service::software::understands_invite(software.as_deref()) == Some(true);
    if !answers_itself {
        crate::service::invitations::joined_by_invitee(q, &ctx.urls, follower, &followee).await?;
    }
    Ok(InboxOutcome::Applied)
}
