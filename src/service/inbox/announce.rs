//! `Announce`: a post stored here is boosted; its author is notified if it is ours.

use super::InboxOutcome;
use crate::{
    model::ReactionKind,
    service::{ServiceResult, posts},
    storage::{Q, models::ActorRow},
};
use url::Url;

pub(super) async fn apply(
    q: &mut Q<'_>,
    actor: &ActorRow,
    activity_id: &Url,
    object: &Url,
) -> ServiceResult<InboxOutcome> {
    Ok(super::applied(
        posts::receive_reaction(q, actor, activity_id, object, ReactionKind::Announce).await?,
        "Announce of nothing stored here",
    ))
}
