//! Every activity kuvend sends, built by one typed constructor each, its id
//! minted by [`Urls`], and serialised once, with its `@context`, into the
//! body that is stored and delivered ([`Outgoing`]). Services queue them
//! through `service::outbox`.

use super::{
    FederationError,
    actors::local_actor_json,
    notes::{delete_activity, local_note_json, wrap},
    protocol::{
        WithContext,
        activities::{
            BareActivityJson, EmbeddedJoinJson, FollowJson, InviteAnswerJson, InviteJson,
            JoinAnswerJson, JoinSentJson, LeaveSentJson, ReactionJson, ResponseJson,
            UpdateActorJson, join_answer_context,
        },
        activity_body,
        actor::ActorJson,
        event::{EventAttachmentJson, EventJson, event_context},
        media::DocumentJson,
        media_activity_context,
        note::NoteJson,
        note::PUBLIC,
    },
    urls::Urls,
};
use crate::{
    model::ReactionKind,
    storage::models::{ActorRow, PostRow},
};
use url::Url;

/// An activity ready to queue: its id, its type, and the JSON body that is
/// stored once and delivered to every inbox.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: Url,
    pub kind: &'static str,
    pub body: String,
}

impl Outgoing {
    /// An activity built elsewhere in federation (coalition relays).
    pub(crate) fn from_body<T: serde::Serialize>(
        id: Url,
        kind: &'static str,
        activity: &T,
    ) -> Result<Outgoing, FederationError> {
        Outgoing::new(id, kind, activity)
    }

    fn new<T: serde::Serialize>(
        id: Url,
        kind: &'static str,
        activity: &T,
    ) -> Result<Outgoing, FederationError> {
        let body = activity_body(activity)
            .map_err(|e| FederationError::Invalid(format!("cannot serialise {kind}: {e}")))?;
        Ok(Outgoing { id, kind, body })
    }

    /// As [`Outgoing::new`], with the `@context` an `Event` needs.
    fn with_context<T: serde::Serialize>(
        id: Url,
        kind: &'static str,
        context: serde_json::Value,
        activity: &T,
    ) -> Result<Outgoing, FederationError> {
        let body = serde_json::to_string(&WithContext::new(context, activity))
            .map_err(|e| FederationError::Invalid(format!("cannot serialise {kind}: {e}")))?;
        Ok(Outgoing { id, kind, body })
    }
}

fn url(text: &str) -> Result<Url, FederationError> {
    Url::parse(text).map_err(|_| FederationError::Invalid(format!("{text} is not a URL")))
}

fn bare(
    kind: &str,
    id: &str,
    actor: &ActorRow,
    object: &str,
) -> Result<BareActivityJson, FederationError> {
    Ok(BareActivityJson {
        id: url(id)?,
        kind: kind.into(),
        actor: url(&actor.ap_id)?,
        object: url(object)?,
    })
}

/// `Follow` of `followee`, with a fresh id (a request sent again gets a new
/// one: the other side may have lost the first).
pub fn follow(
    urls: &Urls,
    follower: &ActorRow,
    followee: &ActorRow,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let follow: FollowJson = bare("Follow", id.as_str(), follower, &followee.ap_id)?;
    Outgoing::new(id, "Follow", &follow)
}

/// How the followee answers a follow request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowAnswer {
    Accept,
    Reject,
}

/// `Accept` or `Reject`, from the followee, embedding the Follow (by its id
/// as the follower sent it).
pub fn answer_follow(
    urls: &Urls,
    answer: FollowAnswer,
    followee: &ActorRow,
    follower: &ActorRow,
    follow_ap_id: &str,
) -> Result<Outgoing, FederationError> {
    let kind = match answer {
        FollowAnswer::Accept => "Accept",
        FollowAnswer::Reject => "Reject",
    };
    let id = urls.new_activity();
    let activity = ResponseJson {
        id: id.clone(),
        kind: kind.into(),
        actor: url(&followee.ap_id)?,
        object: bare("Follow", follow_ap_id, follower, &followee.ap_id)?,
    };
    Outgoing::new(id, kind, &activity)
}

/// `Undo{Follow}`, from the follower.
pub fn undo_follow(
    urls: &Urls,
    follower: &ActorRow,
    followee: &ActorRow,
    follow_ap_id: &str,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let activity = ResponseJson {
        id: id.clone(),
        kind: "Undo".into(),
        actor: url(&follower.ap_id)?,
        object: bare("Follow", follow_ap_id, follower, &followee.ap_id)?,
    };
    Outgoing::new(id, "Undo", &activity)
}

/// What a post is federated with: its author, hashtags and mentioned actors.
pub struct NoteParts<'a> {
    pub post: &'a PostRow,
    pub author: &'a ActorRow,
    pub tags: &'a [String],
    pub mentions: &'a [ActorRow],
}

/// `Create{Note}` of a local post (also what the outbox collection serves).
pub fn create_note(urls: &Urls, note: &NoteParts<'_>) -> Result<Outgoing, FederationError> {
    create_note_with_media(urls, note, Vec::new())
}

/// As [`create_note`], the Note carrying media as `Document`s (and the
/// context their `blurhash` and `focalPoint` terms need).
pub fn create_note_with_media(
    urls: &Urls,
    note: &NoteParts<'_>,
    attachment: Vec<DocumentJson>,
) -> Result<Outgoing, FederationError> {
    let id = urls.create_activity(&url(&note.post.ap_id)?);
    let mut json = local_note_json(note.post, note.author, note.tags, note.mentions, urls)?;
    json.attachment = attachment;
    note_activity(id, "Create", note.author, json)
}

/// `Create` or `Update` of a Note, with the media terms when it has media.
fn note_activity(
    id: Url,
    kind: &'static str,
    author: &ActorRow,
    json: NoteJson,
) -> Result<Outgoing, FederationError> {
    if json.attachment.is_empty() {
        Outgoing::new(id.clone(), kind, &wrap(kind, id, author, json)?)
    } else {
        let context = media_activity_context();
        Outgoing::with_context(id.clone(), kind, context, &wrap(kind, id, author, json)?)
    }
}

/// `Update{Note}` of an edited local post (the post as edited, with `updated`).
pub fn update_note(urls: &Urls, note: &NoteParts<'_>) -> Result<Outgoing, FederationError> {
    update_note_with_media(urls, note, Vec::new())
}

/// As [`update_note`], the Note carrying its media as `Document`s.
pub fn update_note_with_media(
    urls: &Urls,
    note: &NoteParts<'_>,
    attachment: Vec<DocumentJson>,
) -> Result<Outgoing, FederationError> {
    let edited_at = note.post.edited_at.unwrap_or(note.post.published_at);
    let id = urls.update_activity(
        &url(&note.post.ap_id)?,
        edited_at.and_utc().timestamp_millis(),
    );
    let mut json = local_note_json(note.post, note.author, note.tags, note.mentions, urls)?;
    json.attachment = attachment;
    note_activity(id, "Update", note.author, json)
}

/// `Delete{Tombstone}` of a local post, to the audience it had.
pub fn delete_note(
    urls: &Urls,
    post: &PostRow,
    author: &ActorRow,
) -> Result<Outgoing, FederationError> {
    let activity = delete_activity(urls.delete_activity(&url(&post.ap_id)?), post, author)?;
    Outgoing::new(activity.id.clone(), "Delete", &activity)
}

/// `Like` (to the author) or `Announce` (public, to the author and the
/// booster's followers) of a post.
pub fn react(
    urls: &Urls,
    kind: ReactionKind,
    actor: &ActorRow,
    post: &PostRow,
    author: &ActorRow,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let (name, activity) = match kind {
        ReactionKind::Like => (
            "Like",
            ReactionJson {
                id: id.clone(),
                kind: "Like".into(),
                actor: url(&actor.ap_id)?,
                object: url(&post.ap_id)?,
                published: None,
                to: vec![author.ap_id.clone()],
                cc: Vec::new(),
            },
        ),
        ReactionKind::Announce => (
            "Announce",
            ReactionJson {
                id: id.clone(),
                kind: "Announce".into(),
                actor: url(&actor.ap_id)?,
                object: url(&post.ap_id)?,
                published: Some(chrono::Utc::now()),
                to: vec![PUBLIC.into()],
                cc: [Some(author.ap_id.clone()), actor.followers_url.clone()]
                    .into_iter()
                    .flatten()
                    .collect(),
            },
        ),
    };
    Outgoing::new(id, name, &activity)
}

/// `Undo` of a like or boost, embedding it by the id it was sent with.
pub fn undo_reaction(
    urls: &Urls,
    kind: ReactionKind,
    actor: &ActorRow,
    earlier_id: &str,
    post: &PostRow,
) -> Result<Outgoing, FederationError> {
    let name = match kind {
        ReactionKind::Like => "Like",
        ReactionKind::Announce => "Announce",
    };
    let id = urls.new_activity();
    let activity = ResponseJson {
        id: id.clone(),
        kind: "Undo".into(),
        actor: url(&actor.ap_id)?,
        object: bare(name, earlier_id, actor, &post.ap_id)?,
    };
    Outgoing::new(id, "Undo", &activity)
}

/// `Update` of a local actor's own document, to everyone.
pub fn update_actor(urls: &Urls, actor: &ActorRow) -> Result<Outgoing, FederationError> {
    update_actor_document(urls, actor, local_actor_json(actor, urls))
}

/// `Update` of a local actor with the document given (a coalition's
/// carries its collections).
pub fn update_actor_document(
    urls: &Urls,
    actor: &ActorRow,
    document: ActorJson,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let activity = UpdateActorJson {
        id: id.clone(),
        kind: "Update".into(),
        actor: url(&actor.ap_id)?,
        to: vec![PUBLIC.into()],
        object: document,
    };
    Outgoing::new(id, "Update", &activity)
}

/// `Create{Event}` or `Update{Event}` (an edit, a cancellation, a
/// postponement: the event's status says which), addressed as the event is.
/// An update's id is minted from `edited_at`, one per change.
pub fn event_activity(
    urls: &Urls,
    kind: EventActivity,
    author: &ActorRow,
    event: EventJson,
) -> Result<Outgoing, FederationError> {
    let (name, id) = match kind {
        EventActivity::Create => ("Create", urls.create_activity(&event.post.id)),
        EventActivity::Update => (
            "Update",
            urls.update_activity(
                &event.post.id,
                event
                    .post
                    .updated
                    .or(event.post.published)
                    .map(|t| t.timestamp_millis())
                    .unwrap_or_default(),
            ),
        ),
    };
    let context = if event.image.is_some()
        || event
            .attachment
            .iter()
            .any(|a| matches!(a, EventAttachmentJson::Document(_)))
    {
        super::protocol::with_media_terms(event_context())
    } else {
        event_context()
    };
    let activity = wrap(name, id.clone(), author, event)?;
    Outgoing::with_context(id, name, context, &activity)
}

/// Which activity carries an `Event`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventActivity {
    Create,
    Update,
}

/// `Accept` or `Reject` of a participant's `Join` of an event of
/// `organiser`'s, embedding the Join with its original id, addressed to the
/// participant only; a Reject says why in `content`.
pub fn answer_join(
    urls: &Urls,
    answer: FollowAnswer,
    organiser: &ActorRow,
    join: EmbeddedJoinJson,
    reason: Option<String>,
) -> Result<Outgoing, FederationError> {
    let kind = match answer {
        FollowAnswer::Accept => "Accept",
        FollowAnswer::Reject => "Reject",
    };
    let id = urls.join_answer(&join.object);
    let activity = JoinAnswerJson {
        id: id.clone(),
        kind: kind.into(),
        actor: url(&organiser.ap_id)?,
        to: vec![join.actor.clone()],
        object: join,
        content: reason,
    };
    Outgoing::with_context(id, kind, join_answer_context(), &activity)
}

/// `Create{Question}` of an RSVP poll (issue 12 item 2), with the context
/// that declares `votersCount`.
pub fn create_question(
    urls: &Urls,
    author: &ActorRow,
    question: crate::federation::protocol::question::QuestionJson,
) -> Result<Outgoing, FederationError> {
    let id = urls.create_activity(&question.post.id);
    Outgoing::with_context(
        id.clone(),
        "Create",
        crate::federation::protocol::question::question_context(),
        &wrap("Create", id, author, question)?,
    )
}

/// `Join` of a remote event by `participant` (one of our organisations),
/// to the event's organiser alone, with a fresh id that the organiser's
/// answer names.
pub fn join(
    urls: &Urls,
    participant: &ActorRow,
    event: &str,
    organiser: &ActorRow,
    message: Option<String>,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let activity = JoinSentJson {
        id: id.clone(),
        kind: "Join".into(),
        actor: url(&participant.ap_id)?,
        object: url(event)?,
        participation_message: message,
        to: vec![url(&organiser.ap_id)?],
        cc: vec![],
    };
    Outgoing::with_context(id, "Join", join_answer_context(), &activity)
}

/// `Leave` of a remote event by `participant`, to the event's organiser.
pub fn leave(
    urls: &Urls,
    participant: &ActorRow,
    event: &str,
    organiser: &ActorRow,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let activity = LeaveSentJson {
        id: id.clone(),
        kind: "Leave".into(),
        actor: url(&participant.ap_id)?,
        object: url(event)?,
        to: vec![url(&organiser.ap_id)?],
        cc: vec![],
    };
    Outgoing::new(id, "Leave", &activity)
}

/// `Invite` of `invitee` to `coalition` by `inviter`, with `id` = the
/// pending Member URL (docs/coalitions.md, "Invitations").
pub fn invite(
    id: &str,
    inviter: &ActorRow,
    coalition: &ActorRow,
    invitee: &ActorRow,
    message: Option<String>,
) -> Result<Outgoing, FederationError> {
    let id = url(id)?;
    let activity = invite_json(id.clone(), inviter, coalition, invitee, message)?;
    Outgoing::new(id, "Invite", &activity)
}

/// The Invite itself, as sent and as embedded in an `Undo`.
pub fn invite_json(
    id: Url,
    inviter: &ActorRow,
    coalition: &ActorRow,
    invitee: &ActorRow,
    message: Option<String>,
) -> Result<InviteJson, FederationError> {
    let coalition_id = url(&coalition.ap_id)?;
    let invitee_id = url(&invitee.ap_id)?;
    Ok(InviteJson {
        id,
        kind: "Invite".into(),
        actor: url(&inviter.ap_id)?,
        object: coalition_id.clone(),
        target: invitee_id.clone(),
        attributed_to: coalition_id.clone(),
        to: vec![invitee_id],
        cc: vec![coalition_id],
        content: message,
    })
}

/// `Accept`, `Reject` or `Undo` of an Invite, embedding it: the invitee
/// answers (to the coalition and the inviter), or the coalition withdraws
/// it (to the invitee).
pub fn about_invite(
    urls: &Urls,
    kind: &'static str,
    actor: &ActorRow,
    invite: InviteJson,
    to: &[&ActorRow],
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let activity = InviteAnswerJson {
        id: id.clone(),
        kind: kind.into(),
        actor: url(&actor.ap_id)?,
        object: invite,
        to: to
            .iter()
            .map(|a| url(&a.ap_id))
            .collect::<Result<Vec<_>, _>>()?,
    };
    Outgoing::new(id, kind, &activity)
}

/// `Accept` or `Reject` of a request to join a coalition (issue 13 item
/// 4), from the coalition, embedding the Join by its id: Mobilizon finds
/// the Member by the embedded object's id, which is the Join's id.
pub fn answer_coalition_join(
    urls: &Urls,
    kind: &'static str,
    coalition: &ActorRow,
    joiner: &ActorRow,
    join_ap_id: &str,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let activity = ResponseJson {
        id: id.clone(),
        kind: kind.into(),
        actor: url(&coalition.ap_id)?,
        object: bare("Join", join_ap_id, joiner, &coalition.ap_id)?,
    };
    Outgoing::new(id, kind, &activity)
}

/// `Add` or `Remove` from a coalition (issue 13 item 4): with `target`,
/// FEP-1b12's change of a collection (members, moderators) naming the
/// member actor; with `origin`, Mobilizon's removal naming the Member URL.
pub fn collection_change(
    urls: &Urls,
    kind: &'static str,
    coalition: &ActorRow,
    object: &str,
    target: Option<&str>,
    origin: Option<&str>,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let activity = crate::federation::protocol::activities::CollectionChangeJson {
        id: id.clone(),
        kind: kind.into(),
        actor: url(&coalition.ap_id)?,
        object: url(object)?,
        target: target.map(url).transpose()?,
        origin: origin.map(url).transpose()?,
        audience: url(&coalition.ap_id)?,
    };
    Outgoing::new(id, kind, &activity)
}

/// Mobilizon's role change: `Update{Member}` from the coalition, the
/// Member keeping its URL.
pub fn update_member(
    urls: &Urls,
    coalition: &ActorRow,
    member: &ActorRow,
    member_url: &str,
    role: &str,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let activity = crate::federation::protocol::activities::UpdateMemberJson {
        id: id.clone(),
        kind: "Update".into(),
        actor: url(&coalition.ap_id)?,
        object: crate::federation::protocol::activities::MemberJson {
            id: url(member_url)?,
            kind: "Member".into(),
            actor: url(&member.ap_id)?,
            object: url(&coalition.ap_id)?,
            role: role.into(),
        },
    };
    Outgoing::new(id, "Update", &activity)
}

/// `Flag` of `target` (and `posts`, by id) from our instance actor, with
/// the reporter's comment: Mastodon's shape, which names no reporter.
pub fn flag(
    urls: &Urls,
    instance_actor: &ActorRow,
    target: &ActorRow,
    posts: &[String],
    comment: &str,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let mut object = vec![url(&target.ap_id)?];
    for post in posts {
        object.push(url(post)?);
    }
    let activity = super::protocol::flag::FlagJson {
        id: id.clone(),
        kind: "Flag".into(),
        actor: url(&instance_actor.ap_id)?,
        content: comment.to_string(),
        object,
        to: vec![url(&target.ap_id)?],
    };
    Outgoing::new(id, "Flag", &activity)
}

/// `Block` of `blocked` by an organisation (sent only when
/// `federation.send_blocks` is on: it tells the blocked party), shaped as
/// Mastodon's: `object` is the blocked actor's id.
pub fn block(
    urls: &Urls,
    blocker: &ActorRow,
    blocked: &ActorRow,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let block: BareActivityJson = bare("Block", id.as_str(), blocker, &blocked.ap_id)?;
    Outgoing::new(id, "Block", &block)
}

/// `Undo{Block}`, embedding the `Block` by the id it was sent with.
pub fn undo_block(
    urls: &Urls,
    blocker: &ActorRow,
    blocked: &ActorRow,
    block_ap_id: &str,
) -> Result<Outgoing, FederationError> {
    let id = urls.new_activity();
    let activity = ResponseJson {
        id: id.clone(),
        kind: "Undo".into(),
        actor: url(&blocker.ap_id)?,
        object: bare("Block", block_ap_id, blocker, &blocked.ap_id)?,
    };
    Outgoing::new(id, "Undo", &activity)
}
