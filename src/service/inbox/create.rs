//! `Create` of a note or an event: a post, a reply or a mention.

use super::{InboxOutcome, Ready};
use crate::{
    federation::{FedData, protocol::activities::NoteOrId},
    service::{ServiceResult, posts},
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
    update_if_stored: bool,
) -> ServiceResult<Ready> {
    Ok(
        match posts::prepare_incoming_note(data, actor, object, update_if_stored).await? {
            Some(note) => Ready::Create(Box::new(note)),
            None => Ready::Ignored("an event of a group no one here follows"),
        },
    )
}

/// Stores the note if it concerns anyone here.
pub(super) async fn apply(
    q: &mut Q<'_>,
    author: &ActorRow,
    note: &posts::IncomingNote,
) -> ServiceResult<InboxOutcome> {
    Ok(super::applied(
        posts::receive_note(q, author, note).await?,
        "a note that concerns no one here",
    ))
}
