//! `Follow`: a remote actor asks to follow one of ours.

use super::InboxOutcome;
use crate::{
    context::Kuvend,
    federation::protocol::activities::FollowJson,
    model::ActorKind,
    service::{ServiceError, ServiceResult, follows::receive_follow},
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
    receive_follow(ctx, q, follower, &followee, follow.id.as_str()).await?;
    // A follow of a coalition by an actor it invited also accepts the
    // invitation: that is what software without invitations can do. Where
    // the follower's software answers invitations itself (kuvend,
    // Mobilizon), following is only following (research pitfall 15), or
    // the two sides would disagree on the invitation.
    // Instances are keyed by the host of their actors' ids (a handle's
    // domain may differ).
    let host = url::Url::parse(&follower.ap_id)
        .map(|id| crate::federation::actors::authority(&id))
        .unwrap_or_default();
    let answers_itself = q
        .instance(&host)
        .await?
        .and_then(|instance| instance.software)
        .and_then(|name| crate::service::software::understands_invite(Some(&name)))
        == Some(true);
    if !answers_itself {
        crate::service::invitations::joined_by_invitee(q, follower, &followee).await?;
    }
    Ok(InboxOutcome::Applied)
}
