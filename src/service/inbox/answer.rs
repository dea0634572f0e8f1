//! `Accept` and `Reject`: the answer to something one of ours asked for.
//! Today only a follow can be answered; anything else is ignored, never
//! taken for a follow.

use super::{
    InboxOutcome,
    referent::{self, Referent},
};
use crate::{
    federation::protocol::activities::Reference,
    model::FollowState,
    service::{ServiceError, ServiceResult},
    storage::{Q, models::ActorRow},
};

/// Which answer it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Answer {
    Accept,
    Reject,
}

pub(super) async fn apply(
    q: &mut Q<'_>,
    actor: &ActorRow,
    reference: &Reference,
    answer: Answer,
) -> ServiceResult<InboxOutcome> {
    let follow = match referent::find(q, reference).await? {
        Some(Referent::Follow(follow)) => follow,
        Some(other) => {
            return Ok(InboxOutcome::Ignored(format!(
                "{answer:?} of {}, which is not asked for",
                other.describe()
            )));
        }
        None => {
            return Ok(InboxOutcome::Ignored(format!(
                "{answer:?} of nothing we asked for"
            )));
        }
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
        Answer::Reject => {
            q.delete_follow(follow.id).await?;
            q.clear_home_feed_of(follow.follower_id, follow.followee_id)
                .await?;
        }
    }
    Ok(InboxOutcome::Applied)
}
