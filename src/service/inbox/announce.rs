//! `Announce`: a post stored here is boosted; its author is notified if it is
//! ours. A group announcing its own event (Mobilizon relays a member's event,
//! and each edit of it, so) vouches for it: that is read as the group's
//! `Create` of the event, or its `Update` when it is stored already.

use super::{InboxOutcome, Ready, create};
use crate::{
    federation::{
        FedData,
        protocol::activities::{NoteOrId, PostObject},
    },
    model::ReactionKind,
    service::{ServiceResult, posts},
    storage::{Q, models::ActorRow},
};
use url::Url;

pub(super) async fn prepare(
    data: &FedData,
    actor: &Url,
    object: Url,
    own_event: Option<Box<PostObject>>,
) -> ServiceResult<Ready> {
    match own_event {
        Some(event) => create::prepare(data, actor, NoteOrId::Note(event), true).await,
        None => Ok(Ready::Announce(object)),
    }
}

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
