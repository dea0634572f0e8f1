//! Activities kuvend sends and accepts: the follow family as structs, and
//! every incoming activity as [`IncomingActivity`], typed by [`InboxActivity`].

use super::{
    actor::ActorJson,
    deserialize_first_url,
    event::IncomingEventJson,
    note::{NoteJson, deserialize_urls},
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// An activity of nothing but an actor and an object's id: a `Follow`, and
/// the form in which an answer or an `Undo` embeds the activity it refers to
/// (a Follow, a Like, an Announce).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BareActivityJson {
    /// Its id; an answer (`Accept`/`Reject`) and an `Undo` refer to it.
    pub id: Url,
    /// `Follow`, or the type of the activity embedded.
    #[serde(rename = "type")]
    pub kind: String,
    /// Who did it (for a Follow: who wants to follow).
    #[serde(deserialize_with = "deserialize_actor_ref")]
    pub actor: Url,
    /// What it was done to (for a Follow: whom they want to follow).
    #[serde(deserialize_with = "deserialize_actor_ref")]
    pub object: Url,
}

/// `Follow`: `actor` asks to follow `object`.
pub type FollowJson = BareActivityJson;

/// `Accept` or `Reject` of a `Follow`, and `Undo` of a Follow, Like or
/// Announce: an activity whose object is the earlier one, embedded as
/// Mastodon does it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ResponseJson {
    /// The activity's id.
    pub id: Url,
    /// `Accept`, `Reject` or `Undo`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Who answers (the followee) or withdraws (the earlier activity's actor).
    pub actor: Url,
    /// The activity concerned, embedded.
    pub object: BareActivityJson,
}

/// `Like` or `Announce` of a post.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReactionJson {
    /// The activity's id; an `Undo` refers to it.
    pub id: Url,
    /// `Like` or `Announce`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Who likes or boosts.
    pub actor: Url,
    /// The post's id.
    pub object: Url,
    /// When (Announce: Mastodon shows the boost at that time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<chrono::DateTime<chrono::Utc>>,
    /// Primary audience: the post's author (Like), or the public (Announce).
    pub to: Vec<String>,
    /// Secondary audience (Announce: the author and the booster's followers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
}

/// `Update` of an actor's own document (profile changes).
#[derive(Debug, Clone, Serialize)]
pub struct UpdateActorJson {
    /// The activity's id.
    pub id: Url,
    /// Always `Update`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The actor, updating itself.
    pub actor: Url,
    /// Everyone: profiles are public.
    pub to: Vec<String>,
    /// The actor document as it is now.
    pub object: ActorJson,
}

fn deserialize_actor_ref<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    deserialize_first_url(d)?.ok_or_else(|| serde::de::Error::custom("expected an actor id"))
}

/// What the inbox reads of any activity before it knows which kind it is.
#[derive(Debug, Clone, Deserialize)]
pub struct IncomingActivity {
    /// The activity's id: repeated deliveries of one id change nothing.
    pub id: Url,
    /// The activity type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The actor; must be the owner of the key that signed the request.
    #[serde(deserialize_with = "deserialize_actor_ref")]
    pub actor: Url,
    /// The object, inline or by id; interpreted per activity type.
    #[serde(default)]
    pub object: Value,
    /// Primary audience of the activity.
    #[serde(default, deserialize_with = "deserialize_urls")]
    pub to: Vec<String>,
    /// Secondary audience.
    #[serde(default, deserialize_with = "deserialize_urls")]
    pub cc: Vec<String>,
    /// The group the activity belongs to (FEP-1b12), for coalition relaying.
    #[serde(default, deserialize_with = "deserialize_urls")]
    pub audience: Vec<String>,
    /// What the activity is aimed at besides its object (an `Invite`'s
    /// invitee, an `Add`'s collection), by id.
    #[serde(default, deserialize_with = "deserialize_first_url")]
    pub target: Option<Url>,
    /// The collection or group a `Remove` takes its object out of, as
    /// Mobilizon names it (the group, where FEP-1b12 uses `target`).
    #[serde(default, deserialize_with = "deserialize_first_url")]
    pub origin: Option<Url>,
    /// A `Join`'s participation message (Mobilizon's `mz:participationMessage`,
    /// often `null`).
    /// Read as a value: a malformed one must not make other verbs fail.
    #[serde(default, rename = "participationMessage")]
    pub participation_message: Value,
    /// A `Join`'s message where a sender puts it in `content` instead.
    #[serde(default)]
    pub content: Value,
}

/// What an `Accept`, `Reject` or `Undo` refers to, as the sender gave it:
/// servers send the earlier activity embedded, or only its id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reference {
    /// The earlier activity's id.
    pub id: Option<Url>,
    /// Its type, when embedded.
    pub kind: Option<String>,
    /// Its actor, when embedded.
    pub actor: Option<Url>,
    /// Its object's id, when embedded.
    pub object: Option<Url>,
}

/// The object of `Update`: an actor updating its own document, or a post.
#[derive(Debug, Clone)]
pub enum UpdatedObject {
    Actor(Box<ActorJson>),
    Note(Box<PostObject>),
}

/// A post as it came: what every post has, read as a note, and, for an
/// `Event`, its event fields.
#[derive(Debug, Clone)]
pub struct PostObject {
    pub note: NoteJson,
    pub event: Option<Box<IncomingEventJson>>,
}

impl PostObject {
    /// Reads an object; `Err` says what is wrong with it. The event fields
    /// are read only when its type is `Event`, so notes cost nothing more.
    pub fn from_value(value: &Value) -> Result<PostObject, String> {
        let note: NoteJson = serde_json::from_value(value.clone())
            .map_err(|e| format!("object is not a Note or an Event: {e}"))?;
        let event = (note.kind == "Event")
            .then(|| serde_json::from_value(value.clone()).map(Box::new))
            .transpose()
            .map_err(|e| format!("object is not an Event: {e}"))?;
        Ok(PostObject { note, event })
    }
}

/// An accepted activity, by verb: what the inbox dispatches on. Each carries
/// what its verb needs of the object, parsed; everything else about the
/// activity stays in its [`IncomingActivity`].
#[derive(Debug, Clone)]
pub enum InboxActivity {
    Follow(FollowJson),
    Accept(Reference),
    Reject(Reference),
    /// An RSVP "maybe" (Friendica, Streams), of an Event or an Invite of it.
    TentativeAccept(Reference),
    /// An RSVP "probably not" (Hubzilla, Streams), read as not going.
    TentativeReject(Reference),
    Undo(Reference),
    /// `Join` (Mobilizon, Rebased) or Smithereen's `TentativeJoin` of an event.
    Join(JoinJson),
    /// `Leave` of an event (Mobilizon, Smithereen): the event's id.
    Leave(Url),
    /// A post (a note, an event), embedded or (to be fetched) by id.
    Create(NoteOrId),
    Update(UpdatedObject),
    /// The deleted object's id (the actor's own for an account deletion).
    Delete(Url),
    /// The liked object's id.
    Like(Url),
    /// The boosted object's id, and the object when it is an embedded
    /// `Event` attributed to the announcing actor: a group (Mobilizon)
    /// vouching for an event one of its members made.
    Announce(Url, Option<Box<PostObject>>),
    /// `Invite` to a group (a coalition elsewhere inviting one of ours).
    Invite(InviteReceived),
    /// `Add` to a collection (FEP-1b12: a coalition's moderators).
    Add(MembershipChange),
    /// `Remove` from a collection (FEP-1b12: members or moderators) or,
    /// with `origin`, Mobilizon's removal of a member by Member URL.
    Remove(MembershipChange),
    /// `Update{Member}`: Mobilizon's role change.
    UpdateMember(MemberJson),
    /// `Flag`: a report from another instance.
    Flag(super::flag::FlagReceived),
    /// `Block` of one of our actors (by id): follows both ways are removed.
    Block(Url),
    /// A verb kuvend does not act on (yet).
    Unsupported(String),
}

/// What an `Add` or `Remove` names.
#[derive(Debug, Clone, PartialEq)]
pub struct MembershipChange {
    /// The actor added or removed, or (Mobilizon) a Member URL.
    pub object: Url,
    /// The collection (FEP-1b12), when given.
    pub target: Option<Url>,
    /// The group (Mobilizon's `Remove`), when given.
    pub origin: Option<Url>,
}

/// What an incoming `Invite` says, besides its id and actor.
#[derive(Debug, Clone, PartialEq)]
pub struct InviteReceived {
    /// The group invited to (fetched before the Invite is applied).
    pub object: Url,
    /// The invitee: `target` (Mobilizon), or the single entry of `to`
    /// (Smithereen, which sends no `target`).
    pub invitee: Option<Url>,
    /// A note from the inviter (`content`), if any, as sent.
    pub message: Option<String>,
}

/// What a `Join` or `TentativeJoin` says, besides its id and actor.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinJson {
    /// The event's id.
    pub object: Url,
    /// `TentativeJoin` (Smithereen's "maybe").
    pub tentative: bool,
    /// Mobilizon's `participationMessage`, else `content`, as sent (the
    /// service makes it plain and bounded).
    pub message: Option<String>,
}

/// A `Create`'s object: embedded, or given by id.
#[derive(Debug, Clone)]
pub enum NoteOrId {
    Note(Box<PostObject>),
    Id(Url),
}

impl IncomingActivity {
    /// The object's id, whether it is given inline or as a bare id.
    pub fn object_id(&self) -> Option<Url> {
        match &self.object {
            Value::String(s) => Url::parse(s).ok(),
            Value::Object(map) => map
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| Url::parse(s).ok()),
            _ => None,
        }
    }

    /// The object's `type` when it is inline.
    pub fn object_type(&self) -> Option<&str> {
        self.object.get("type").and_then(Value::as_str)
    }

    /// The typed activity; `Err` says what is wrong with the object.
    pub fn parse(&self) -> Result<InboxActivity, String> {
        let object_id = || {
            self.object_id()
                .ok_or_else(|| format!("{} without object", self.kind))
        };
        Ok(match self.kind.as_str() {
            "Follow" => InboxActivity::Follow(FollowJson {
                id: self.id.clone(),
                kind: "Follow".into(),
                actor: self.actor.clone(),
                object: object_id()?,
            }),
            "Accept" => InboxActivity::Accept(self.reference()),
            "Reject" => InboxActivity::Reject(self.reference()),
            "TentativeAccept" => InboxActivity::TentativeAccept(self.reference()),
            "TentativeReject" => InboxActivity::TentativeReject(self.reference()),
            "Undo" => InboxActivity::Undo(self.reference()),
            // Smithereen declares `TentativeJoin` as `sm:TentativeJoin`; a
            // document not compacted against its context says the latter.
            "Join" | "TentativeJoin" | "sm:TentativeJoin" => InboxActivity::Join(JoinJson {
                object: object_id()?,
                tentative: self.kind != "Join",
                message: [&self.participation_message, &self.content]
                    .into_iter()
                    .filter_map(Value::as_str)
                    .find(|m| !m.trim().is_empty())
                    .map(str::to_string),
            }),
            "Leave" => InboxActivity::Leave(object_id()?),
            "Create" => InboxActivity::Create(match &self.object {
                Value::String(_) => NoteOrId::Id(object_id()?),
                object => NoteOrId::Note(Box::new(PostObject::from_value(object)?)),
            }),
            // Mobilizon's role change (research §1.9).
            "Update" if self.object_type() == Some("Member") => InboxActivity::UpdateMember(
                serde_json::from_value(self.object.clone())
                    .map_err(|e| format!("Update of a Member: {e}"))?,
            ),
            "Add" | "Remove" => {
                let change = MembershipChange {
                    object: object_id()?,
                    target: self.target.clone(),
                    origin: self.origin.clone(),
                };
                if self.kind == "Add" {
                    InboxActivity::Add(change)
                } else {
                    InboxActivity::Remove(change)
                }
            }
            "Update" if self.object_id().as_ref() == Some(&self.actor) => {
                InboxActivity::Update(UpdatedObject::Actor(Box::new(
                    serde_json::from_value(self.object.clone())
                        .map_err(|e| format!("Update of an actor: {e}"))?,
                )))
            }
            "Update" => InboxActivity::Update(UpdatedObject::Note(Box::new(
                PostObject::from_value(&self.object)?,
            ))),
            "Delete" => InboxActivity::Delete(object_id()?),
            "Like" => InboxActivity::Like(object_id()?),
            "Block" => InboxActivity::Block(object_id()?),
            "Announce" => {
                let event = match self.object_type() {
                    Some("Event") => Some(Box::new(PostObject::from_value(&self.object)?))
                        .filter(|e| e.note.attributed_to == self.actor),
                    _ => None,
                };
                InboxActivity::Announce(object_id()?, event)
            }
            "Invite" => InboxActivity::Invite(InviteReceived {
                object: object_id()?,
                invitee: self.target.clone().or_else(|| match self.to.as_slice() {
                    [only] => Url::parse(only).ok(),
                    _ => None,
                }),
                message: self
                    .content
                    .as_str()
                    .filter(|m| !m.trim().is_empty())
                    .map(str::to_string),
            }),
            "Flag" => InboxActivity::Flag(super::flag::FlagReceived::from_parts(
                &self.object,
                &self.content,
            )),
            other => InboxActivity::Unsupported(other.to_string()),
        })
    }

    fn reference(&self) -> Reference {
        let url = |key: &str| {
            self.object
                .get(key)
                .and_then(|v| serde_json::from_value::<UrlRef>(v.clone()).ok())
                .map(|r| r.0)
        };
        Reference {
            id: self.object_id(),
            kind: self.object_type().map(str::to_string),
            actor: url("actor"),
            object: url("object"),
        }
    }
}

/// A URL given as a string, an object with an id, or a list of those.
struct UrlRef(Url);

impl<'de> Deserialize<'de> for UrlRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        deserialize_actor_ref(d).map(UrlRef)
    }
}

/// The context of kuvend's answers to a `Join`: ActivityStreams plus
/// Mobilizon's `participationMessage`, which the embedded Join carries.
pub fn join_answer_context() -> Value {
    serde_json::json!([
        "https://www.w3.org/ns/activitystreams",
        {
            "mz": "https://joinmobilizon.org/ns#",
            "sc": "http://schema.org#",
            "participationMessage": {"@id": "mz:participationMessage", "@type": "sc:Text"}
        }
    ])
}

/// A `Join` as kuvend embeds it in its answer: the participant's own,
/// with the id they gave it (Mobilizon finds its participant by that id).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmbeddedJoinJson {
    /// The Join's id, exactly as the participant sent it.
    pub id: Url,
    /// `Join`, or `TentativeJoin` as Smithereen sent it.
    #[serde(rename = "type")]
    pub kind: String,
    /// The participant.
    pub actor: Url,
    /// Our event's id.
    pub object: Url,
    /// The participant's message, as stored (plain text); `null` when none,
    /// as Mobilizon sends it.
    pub participation_message: Option<String>,
}

/// `Accept` or `Reject` of a `Join`, from the event's organiser, addressed
/// to the participant only (never to other participants or followers).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JoinAnswerJson {
    /// The answer's id.
    pub id: Url,
    /// `Accept` or `Reject`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The organisation that made the event (Mobilizon and Rebased check
    /// that the answer comes from the event's organiser).
    pub actor: Url,
    /// The Join answered, embedded.
    pub object: EmbeddedJoinJson,
    /// The participant alone.
    pub to: Vec<Url>,
    /// Why a `Reject` (the event is external, by invitation, cancelled...),
    /// plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// A `Join` kuvend sends for one of our organisations to a remote event:
/// Mobilizon's shape, with the `id`, `to` and `cc` that Mobilizon and
/// Rebased require.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinSentJson {
    /// The Join's id; the organiser's `Accept`/`Reject` names it.
    pub id: Url,
    /// Always `Join`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Our organisation.
    pub actor: Url,
    /// The event's id.
    pub object: Url,
    /// A note to the organisers (Mobilizon's `mz:participationMessage`),
    /// plain text; `null` when none, as Mobilizon sends it.
    pub participation_message: Option<String>,
    /// The event's organiser alone: nobody else learns who takes part.
    pub to: Vec<Url>,
    /// Always empty; Rebased requires the field.
    pub cc: Vec<Url>,
}

/// A `Leave` kuvend sends when one of our organisations withdraws from a
/// remote event: Mobilizon handles only `Leave`, and Rebased undoes its
/// stored Join on a `Leave` too.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeaveSentJson {
    /// The Leave's id.
    pub id: Url,
    /// Always `Leave`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Our organisation.
    pub actor: Url,
    /// The event's id.
    pub object: Url,
    /// The event's organiser alone.
    pub to: Vec<Url>,
    /// Always empty.
    pub cc: Vec<Url>,
}

/// An `Invite` to a coalition (issue 13 item 2), in the shape Mobilizon and
/// Smithereen both read (docs/research/coalitions.md §2.4): the invitee is
/// `target` (Mobilizon) and alone in `to` (Smithereen), the coalition in
/// `cc`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteJson {
    /// The pending Member URL, fetchable; every answer names it.
    pub id: Url,
    /// Always `Invite`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The inviting organisation (an admin of the coalition).
    pub actor: Url,
    /// The coalition.
    pub object: Url,
    /// The invitee (Mobilizon reads the invitee here).
    pub target: Url,
    /// The coalition, as Mobilizon sends it.
    pub attributed_to: Url,
    /// The invitee alone (Smithereen requires exactly one entry).
    pub to: Vec<Url>,
    /// The coalition.
    pub cc: Vec<Url>,
    /// The inviter's note to the invitee, as HTML (escaped plain text in
    /// paragraphs); absent when none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

/// A `Member` object (Mobilizon's shape): our pending membership behind an
/// Invite, served at its URL.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MemberJson {
    /// The Member URL (= the Invite's id while invited).
    pub id: Url,
    /// Always `Member`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The member (or invitee), not an activity's actor.
    pub actor: Url,
    /// The coalition.
    pub object: Url,
    /// Mobilizon's role names: `invited`, `member`, `administrator`,
    /// `rejected`.
    pub role: String,
}

/// `Accept`, `Reject` or `Undo` of an `Invite` to a coalition, with the
/// Invite embedded (Smithereen reads the embedded Invite's `to`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InviteAnswerJson {
    /// The activity's id.
    pub id: Url,
    /// `Accept`, `Reject` (from the invitee) or `Undo` (from the coalition).
    #[serde(rename = "type")]
    pub kind: String,
    /// Who answers or withdraws.
    pub actor: Url,
    /// The Invite, as it was sent.
    pub object: InviteJson,
    /// The other side: the coalition and the inviter, or the invitee.
    pub to: Vec<Url>,
}

/// `Add` or `Remove` sent by a coalition (issue 13 item 4).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CollectionChangeJson {
    /// The activity's id.
    pub id: Url,
    /// `Add` or `Remove`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The coalition.
    pub actor: Url,
    /// The member actor (FEP-1b12) or the Member URL (Mobilizon).
    pub object: Url,
    /// The collection changed (FEP-1b12: members or moderators).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Url>,
    /// The group a member is removed from (Mobilizon reads only this).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Url>,
    /// The group it happens in (FEP-1b12).
    pub audience: Url,
}

/// `Update{Member}`: a role change as Mobilizon sends and reads it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateMemberJson {
    /// The activity's id.
    pub id: Url,
    /// Always `Update`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The coalition.
    pub actor: Url,
    /// The Member with its new role.
    pub object: MemberJson,
}
