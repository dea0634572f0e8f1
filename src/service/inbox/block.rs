//! `Block` from a remote actor against one of our actors: the follows
//! between them are removed both ways, as Mastodon does, and nothing is
//! sent back (the blocker would not accept it). The block itself is not
//! recorded: what a remote actor blocks is its server's to enforce, and a
//! later `Undo{Block}` refers to nothing we know, so it is ignored
//! (FEDERATION.md).

use super::InboxOutcome;
use crate::{
    service::ServiceResult,
    storage::{Q, models::ActorRow},
};
use url::Url;

pub(super) async fn apply(
    q: &mut Q<'_>,
    actor: &ActorRow,
    object: &Url,
) -> ServiceResult<InboxOutcome> {
    let Some(blocked) = q.actor_by_ap_id(object.as_str()).await?.filter(|a| a.local) else {
        return Ok(InboxOutcome::Ignored(
            "Block of an actor not on this instance".into(),
        ));
    };
    for (follower, followee) in [(actor, &blocked), (&blocked, actor)] {
        if let Some(follow) = q.follow_between(follower.id, followee.id).await? {
            q.delete_follow(follow.id).await?;
        }
    }
    q.clear_home_feed_of(blocked.id, actor.id).await?;
    Ok(InboxOutcome::Applied)
}
