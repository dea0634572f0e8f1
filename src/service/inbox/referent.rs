//! What an `Accept`, `Reject` or `Undo` refers to. One lookup for every verb
//! that answers or withdraws an earlier activity, so that an answer is never
//! applied to the wrong kind of thing: today a follow or a reaction; RSVPs
//! and invitations join here.

use crate::{
    federation::protocol::activities::Reference,
    model::ReactionKind,
    service::ServiceResult,
    storage::{
        Q,
        coalitions::{InvitationRow, JoinRequestRow},
        models::{FollowRow, ParticipantRow},
    },
};

/// An earlier activity stored here that a later one refers to.
#[derive(Debug)]
pub(crate) enum Referent {
    Follow(FollowRow),
    /// A `Like` or `Announce` of a post stored here.
    Reaction {
        kind: ReactionKind,
        actor_id: i64,
        post_id: i64,
    },
    /// Someone's RSVP to an event of ours (a Join, or a Friendica or
    /// Streams Accept/TentativeAccept/Reject), by the id they gave it.
    Participation(ParticipantRow),
    /// An invitation to a coalition, by the Invite's id (our pending
    /// Member URL, or a received Invite's id): Mobilizon's `Accept{Member}`
    /// and `Reject{"<id>"}`, a plain `Accept{Invite}`, an `Undo{Invite}`.
    Invitation(InvitationRow),
    /// A request to join a coalition, by the Join's id (issue 13 item 4).
    JoinRequest(JoinRequestRow),
}

impl Referent {
    /// What it is, for the log when an answer does not fit it.
    pub(crate) fn describe(&self) -> &'static str {
        match self {
            Referent::Follow(_) => "a follow",
            Referent::Reaction {
                kind: ReactionKind::Like,
                ..
            } => "a like",
            Referent::Reaction { .. } => "a boost",
            Referent::Participation(_) => "an RSVP",
            Referent::Invitation(_) => "an invitation",
            Referent::JoinRequest(_) => "a request to join a coalition",
        }
    }
}

/// Finds what `reference` names: by the earlier activity's id first, then,
/// for servers that embed it without an id we know, by its actor and object.
pub(crate) async fn find(q: &mut Q<'_>, reference: &Reference) -> ServiceResult<Option<Referent>> {
    if let Some(id) = &reference.id {
        if let Some(follow) = q.follow_by_ap_id(id.as_str()).await? {
            return Ok(Some(Referent::Follow(follow)));
        }
        if let Some((kind, actor_id, post_id)) = q.reaction_by_activity(id.as_str()).await? {
            return Ok(Some(Referent::Reaction {
                kind,
                actor_id,
                post_id,
            }));
        }
        if let Some(row) = q.participant_by_activity(id.as_str()).await? {
            return Ok(Some(Referent::Participation(row)));
        }
        if let Some(row) = q.invitation_by_ap_id(id.as_str()).await? {
            return Ok(Some(Referent::Invitation(row)));
        }
        if let Some(row) = q.join_request_by_ap_id(id.as_str()).await? {
            return Ok(Some(Referent::JoinRequest(row)));
        }
    }
    let (Some(actor), Some(object)) = (&reference.actor, &reference.object) else {
        return Ok(None);
    };
    let Some(actor) = q.actor_by_ap_id(actor.as_str()).await? else {
        return Ok(None);
    };
    match reference.kind.as_deref() {
        Some("Follow") => {
            let Some(followee) = q.actor_by_ap_id(object.as_str()).await? else {
                return Ok(None);
            };
            Ok(q.follow_between(actor.id, followee.id)
                .await?
                .map(Referent::Follow))
        }
        Some(kind @ ("Like" | "Announce")) => {
            let kind = if kind == "Like" {
                ReactionKind::Like
            } else {
                ReactionKind::Announce
            };
            let Some(post) = q.post_by_ap_id(object.as_str()).await? else {
                return Ok(None);
            };
            let reacted = q.reaction_activity(kind, actor.id, post.id).await?;
            Ok(reacted.map(|_| Referent::Reaction {
                kind,
                actor_id: actor.id,
                post_id: post.id,
            }))
        }
        _ => Ok(None),
    }
}
