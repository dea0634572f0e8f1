//! `Create` of a note or an event: a post, a reply or a mention.

use super::{InboxOutcome, Ready};
use crate::{
    context::Kuvend,
    federation::{
        FedData,
        protocol::{activities::NoteOrId, question::VoteJson},
    },
    service::{ServiceResult, polls, posts},
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

/// Stores the note if it concerns anyone here. A stored reply to an event
/// of ours that mentions its organisation gets a poll back, in the same
/// transaction ([`polls::offer`]).
pub(super) async fn apply(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    author: &ActorRow,
    note: &posts::IncomingNote,
) -> ServiceResult<InboxOutcome> {
    let stored = posts::receive_note(q, author, note).await?;
    if stored {
        // Issue 14 item 3: a member's members-only thread is re-sent.
        crate::service::threads::after_incoming(
            ctx,
            q,
            note.note.id.as_str(),
            &note.local_mentions,
        )
        .await?;
    }
    if stored && note.group.is_none() && polls::may_ask(&note.note) {
        // In its own savepoint: a poll that cannot be written must not
        // take the reply it answers down with it.
        let offered = crate::savepoint!(q, crate::service::ServiceError, |q| {
            polls::offer(ctx, &mut q, author, &note.note).await
        });
        if let Err(error) = offered {
            tracing::warn!(%error, reply = %note.note.id, "RSVP poll not offered");
        }
    }
    Ok(super::applied(stored, "a note that concerns no one here"))
}

/// A Mastodon vote on one of our RSVP polls ([`polls::receive_vote`]); an
/// invalid one is ignored with the reason and leaves nothing behind.
pub(super) async fn apply_vote(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    voter: &ActorRow,
    activity_id: &Url,
    vote: &VoteJson,
) -> ServiceResult<InboxOutcome> {
    Ok(
        match polls::receive_vote(ctx, q, voter, activity_id, vote).await? {
            Ok(()) => InboxOutcome::Applied,
            Err(why) => {
                tracing::info!(vote = %vote.id, voter = %voter.ap_id, "vote ignored: {why}");
                InboxOutcome::Ignored(why.into())
            }
        },
    )
}
