//! `Create` of a note: a post, a reply or a mention.

use super::InboxOutcome;
use crate::{
    federation::{FedData, protocol::activities::NoteOrId},
    service::{
        ServiceResult,
        posts::{self, IncomingNote},
    },
    storage::{Q, models::ActorRow},
};
use url::Url;

/// Fetches the note if only its id came, bounds and sanitises it, looks up
/// the local actors it mentions and fetches missing parents: everything that
/// may read or wait on the network, before the transaction.
pub(super) async fn prepare(
    data: &FedData,
    actor: &Url,
    object: NoteOrId,
) -> ServiceResult<IncomingNote> {
    posts::prepare_incoming_note(data, actor, object).await
}

/// Stores the note if it concerns anyone here.
pub(super) async fn apply(
    q: &mut Q<'_>,
    author: &ActorRow,
    note: &IncomingNote,
) -> ServiceResult<InboxOutcome> {
    Ok(super::applied(
        posts::receive_note(q, author, note).await?,
        "a note that concerns no one here",
    ))
}
