//! `Create` of a note: a post, a reply or a mention.

use super::InboxOutcome;
use crate::{
    federation::{
        FedData,
        protocol::{activities::NoteOrId, note::NoteJson},
    },
    service::{ServiceResult, posts},
    storage::{Q, models::ActorRow},
};
use url::Url;

/// Fetches the note if only its id came, sanitises it and fetches missing
/// parents: everything that may wait on the network, before the transaction.
pub(super) async fn prepare(
    data: &FedData,
    actor: &Url,
    object: NoteOrId,
) -> ServiceResult<NoteJson> {
    posts::prepare_incoming_note(data, actor, object).await
}

/// Stores the note if it concerns anyone here.
pub(super) async fn apply(
    q: &mut Q<'_>,
    author: &ActorRow,
    note: &NoteJson,
    origin: &str,
) -> ServiceResult<InboxOutcome> {
    Ok(super::applied(
        posts::receive_note(q, author, note, origin).await?,
        "a note that concerns no one here",
    ))
}
