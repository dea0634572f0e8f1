//! `Announce`: a post stored here is boosted; its author is notified if it is
//! ours. A group announcing its own event (Mobilizon relays a member's event,
//! and each edit of it, so) vouches for it: that is read as the group's
//! `Create` of the event, or its `Update` when it is stored already.
//!
//! A remote group that someone here follows relays its members' posts
//! (FEP-1b12, issue 14 item 2): `Announce{Create{Note|Page|Article|Event}}`
//! (kuvend, Lemmy), `Announce{Note|Page|Event}` embedded (Mobilizon) or
//! `Announce{"<url>"}` (Friendica, Mastodon). Nothing embedded is trusted:
//! the hosts it claims must agree (the inner actor's, the object id's, its
//! `attributedTo`'s), and the post is then fetched from its origin and that
//! version stored ([`prepare`]). It is shown as the group's boost
//! ([`crate::service::boosts::record`]). The group's `Announce{Update}` and
//! `Announce{Delete}` of a post it relayed here are read again from the
//! origin; other relayed activities (likes, undos) are ignored.

use super::{InboxOutcome, Ready, create};
use crate::{
    federation::{
        FedData,
        actors::authority,
        fetch::{self, Budget, FetchError},
        notes::fetch_post_within,
        protocol::activities::{IncomingActivity, NoteOrId, PostObject},
    },
    model::{ReactionKind, Visibility},
    service::{ServiceError, ServiceResult, boosts, posts},
    storage::{
        Q,
        models::{ActorRow, EventRow},
    },
};
use serde_json::Value;
use url::Url;

/// The public collection, as servers write it in `to`/`cc`.
const PUBLIC: [&str; 3] = [
    "https://www.w3.org/ns/activitystreams#Public",
    "as:Public",
    "Public",
];

/// Object types a group relays as posts.
const POST_TYPES: [&str; 5] = ["Note", "Page", "Article", "Event", "Question"];

/// A group's relay made ready for the transaction.
#[derive(Debug)]
pub(super) enum Relay {
    /// A member's post, fetched from its origin and stored (or stored
    /// already): to be shown as the group's boost.
    Boost {
        post_id: i64,
        post_ap_id: Url,
        visibility: Visibility,
    },
    /// An edit of a post the group relayed here, as its origin serves it now.
    Update {
        post_id: i64,
        note: Box<crate::federation::protocol::note::NoteJson>,
        event: Option<Box<EventRow>>,
    },
    /// A post the group relayed here that its origin no longer serves.
    Delete { post_id: i64 },
}

/// What a relay carries, once its claims are checked.
#[derive(Debug, PartialEq)]
enum Shape {
    /// A post, by the id it claims (embedded, inside a `Create`, or a URL).
    Post(Url),
    Update(Url),
    Delete(Url),
    /// Another inner activity (`Like`, `Undo`, …), by type.
    Other(String),
}

pub(super) async fn prepare(
    data: &FedData,
    activity: &IncomingActivity,
    object: Url,
    own_event: Option<Box<PostObject>>,
) -> ServiceResult<Ready> {
    if let Some(event) = own_event {
        return create::prepare(data, &activity.actor, NoteOrId::Note(event), true).await;
    }
    let Some(group) = followed_group(data, &activity.actor).await? else {
        // Anyone else's boost, and a group no one here follows: a reaction
        // to a post stored here, or nothing (nothing is fetched for it).
        return Ok(Ready::Announce(object));
    };
    match shape(activity)? {
        Shape::Post(id) => prepare_boost(data, activity, id).await,
        Shape::Update(id) => prepare_update(data, &group, id).await,
        Shape::Delete(id) => prepare_delete(data, &group, id).await,
        Shape::Other(kind) => {
            tracing::info!(group = %group.ap_id, "relayed {kind} ignored");
            Ok(Ready::Ignored(
                "a relayed activity that is not a post, an edit or a delete",
            ))
        }
    }
}

/// The sender as a remote `Group` that a local account follows, if it is one.
async fn followed_group(data: &FedData, actor: &Url) -> ServiceResult<Option<ActorRow>> {
    let mut conn = data.db.conn().await?;
    let mut q = conn.q();
    Ok(match q.actor_by_ap_id(actor.as_str()).await? {
        Some(row) if !row.local && row.ap_type == "Group" => {
            if q.local_follower_ids(row.id).await?.is_empty() {
                None
            } else {
                Some(row)
            }
        }
        _ => None,
    })
}

/// The relay's shape, its claims checked against each other: the inner
/// activity's actor, the object's id and its `attributedTo` must be on one
/// host (research pitfall 9). The group may relay only what each claims of
/// its own host; a mismatch is refused with what did not match.
fn shape(activity: &IncomingActivity) -> ServiceResult<Shape> {
    let object = &activity.object;
    if let Value::String(url) = object {
        return Ok(Shape::Post(parse_url(url, "the announced object")?));
    }
    let kind = object
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if POST_TYPES.contains(&kind) {
        let id = id_of(object, "the announced object")?;
        check_attribution(object, &id, &activity.actor)?;
        return Ok(Shape::Post(id));
    }
    if !matches!(kind, "Create" | "Update" | "Delete") {
        return Ok(Shape::Other(if kind.is_empty() {
            "an untyped object".into()
        } else {
            kind.chars().take(32).collect()
        }));
    }
    let actor = object
        .get("actor")
        .map(|a| id_of(a, "the inner activity's actor"))
        .transpose()?
        .ok_or_else(|| ServiceError::Unprocessable(format!("the announced {kind} has no actor")))?;
    let inner = object.get("object").ok_or_else(|| {
        ServiceError::Unprocessable(format!("the announced {kind} has no object"))
    })?;
    let id = id_of(inner, "the inner object")?;
    if authority(&actor) != authority(&id) {
        return Err(ServiceError::Unprocessable(format!(
            "the announced {kind} by {actor} is of {id}, on another host than its actor"
        )));
    }
    if inner.is_object() {
        check_attribution(inner, &id, &activity.actor)?;
    }
    Ok(match kind {
        "Create" => Shape::Post(id),
        "Update" => Shape::Update(id),
        _ => Shape::Delete(id),
    })
}

/// An embedded object's `attributedTo` must be on its id's host (the group
/// itself may be named too: PeerTube attributes to the channel as well).
fn check_attribution(object: &Value, id: &Url, group: &Url) -> ServiceResult<()> {
    let mut named = Vec::new();
    collect_urls(object.get("attributedTo"), &mut named);
    for author in named.iter().filter(|a| *a != group) {
        if authority(author) != authority(id) {
            return Err(ServiceError::Unprocessable(format!(
                "the announced object {id} is on another host than its attributedTo {author}"
            )));
        }
    }
    Ok(())
}

/// The URLs a property names: a string, an object with an `id`, or a list
/// of those.
fn collect_urls(value: Option<&Value>, out: &mut Vec<Url>) {
    match value {
        Some(Value::String(s)) => out.extend(Url::parse(s).ok()),
        Some(Value::Array(items)) => {
            for item in items.iter().take(8) {
                collect_urls(Some(item), out);
            }
        }
        Some(Value::Object(map)) => collect_urls(map.get("id"), out),
        _ => {}
    }
}

/// A value that is a URL or an object with one as its `id`.
fn id_of(value: &Value, what: &str) -> ServiceResult<Url> {
    match value {
        Value::String(s) => parse_url(s, what),
        Value::Object(map) => match map.get("id") {
            Some(Value::String(s)) => parse_url(s, what),
            _ => Err(ServiceError::Unprocessable(format!("{what} has no id"))),
        },
        _ => Err(ServiceError::Unprocessable(format!("{what} is not given"))),
    }
}

fn parse_url(text: &str, what: &str) -> ServiceResult<Url> {
    Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "https" | "http"))
        .ok_or_else(|| ServiceError::Unprocessable(format!("{what} is not an http(s) URL")))
}

/// The boost's visibility, from the `Announce`'s own addressing as Mastodon
/// reads it: the public collection in `to` → public, in `cc` → unlisted.
fn relay_visibility(activity: &IncomingActivity) -> Option<Visibility> {
    let public = |list: &[String]| list.iter().any(|a| PUBLIC.contains(&a.as_str()));
    if public(&activity.to) {
        Some(Visibility::Public)
    } else if public(&activity.cc) {
        Some(Visibility::Unlisted)
    } else {
        None
    }
}

/// A relayed post: the stored copy, or the origin's, fetched and stored now
/// (never the embedded copy: Mastodon, GoToSocial and Mobilizon do the same).
async fn prepare_boost(
    data: &FedData,
    activity: &IncomingActivity,
    id: Url,
) -> ServiceResult<Ready> {
    let Some(visibility) = relay_visibility(activity) else {
        // Members-only relays are not boosts (item 3 of issue 14).
        return Ok(Ready::Ignored(
            "a relay that is neither public nor unlisted",
        ));
    };
    if let Some((post, _)) = posts::find_stored_post(data, id.as_str()).await? {
        // One of ours too: the group's local followers who do not follow
        // its author see it as the group's boost, and the author is
        // notified of the boost (the reaction recorded with it).
        return Ok(Ready::Relay(Box::new(Relay::Boost {
            post_id: post.id,
            post_ap_id: id,
            visibility,
        })));
    }
    if authority(&id) == data.settings.instance.domain.to_lowercase() {
        return Ok(Ready::Ignored("a relay of a post not stored here"));
    }
    // Checks the fetched id is the URL and on its author's host.
    let fetched = fetch_post_within(&id, data, Budget::PerHost).await?;
    let Some((post, _)) = posts::store_fetched_post(data, fetched).await? else {
        return Err(ServiceError::Remote(format!(
            "the author of {id} cannot be fetched"
        )));
    };
    Ok(Ready::Relay(Box::new(Relay::Boost {
        post_id: post.id,
        post_ap_id: id,
        visibility,
    })))
}

/// The relayed post, if this group's relay of it is stored here.
async fn relayed_here(
    data: &FedData,
    group: &ActorRow,
    id: &Url,
) -> ServiceResult<Option<crate::storage::models::PostRow>> {
    let mut conn = data.db.conn().await?;
    let mut q = conn.q();
    let Some(post) = q.post_by_ap_id(id.as_str()).await? else {
        return Ok(None);
    };
    if post.local || post.deleted_at.is_some() {
        return Ok(None);
    }
    Ok(q.boost_by(group.id, post.id).await?.map(|_| post))
}

/// An edit: the post as its origin serves it now, not as relayed.
async fn prepare_update(data: &FedData, group: &ActorRow, id: Url) -> ServiceResult<Ready> {
    let Some(post) = relayed_here(data, group, &id).await? else {
        return Ok(Ready::Ignored(
            "Update of a post this group did not relay here",
        ));
    };
    let fetched = fetch_post_within(&id, data, Budget::PerHost).await?;
    let (note, event) = posts::clean_post(&data.settings.limits, fetched)?;
    Ok(Ready::Relay(Box::new(Relay::Update {
        post_id: post.id,
        note: Box::new(note),
        event: event.map(Box::new),
    })))
}

/// A delete: applied only when the origin says so (404, 410 or a Tombstone).
async fn prepare_delete(data: &FedData, group: &ActorRow, id: Url) -> ServiceResult<Ready> {
    let Some(post) = relayed_here(data, group, &id).await? else {
        return Ok(Ready::Ignored(
            "Delete of a post this group did not relay here",
        ));
    };
    match fetch::fetch_object::<Value>(data, &id, Budget::PerHost).await {
        Ok(found) if found.object.get("type").and_then(Value::as_str) == Some("Tombstone") => {
            Ok(Ready::Relay(Box::new(Relay::Delete { post_id: post.id })))
        }
        Ok(_) => Ok(Ready::Ignored(
            "Delete of a post that its origin still serves",
        )),
        Err(FetchError::Gone(_) | FetchError::Status { status: 404, .. }) => {
            Ok(Ready::Relay(Box::new(Relay::Delete { post_id: post.id })))
        }
        // The origin cannot say now: the group may send it again.
        Err(error) => Err(crate::federation::FederationError::Fetch(error).into()),
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

/// A group's relay, in the inbox transaction.
pub(super) async fn apply_relay(
    q: &mut Q<'_>,
    group: &ActorRow,
    activity_id: &Url,
    relay: &Relay,
) -> ServiceResult<InboxOutcome> {
    match relay {
        Relay::Boost {
            post_id,
            post_ap_id,
            visibility,
        } => {
            let Some(post) = q.post_by_id(*post_id).await? else {
                return Ok(InboxOutcome::Ignored("the relayed post is gone".into()));
            };
            let recorded = boosts::record(q, group, &post, activity_id, *visibility).await?;
            if recorded.is_some() {
                // Counted on the post as any boost is; a local author is
                // notified of it, as of any boost.
                posts::receive_reaction(q, group, activity_id, post_ap_id, ReactionKind::Announce)
                    .await?;
            }
            Ok(super::applied(
                recorded.is_some(),
                "relayed here already by this group",
            ))
        }
        Relay::Update {
            post_id,
            note,
            event,
        } => {
            let Some(post) = q.post_by_id(*post_id).await? else {
                return Ok(InboxOutcome::Ignored("the relayed post is gone".into()));
            };
            let author = q.actor_by_id(post.author_id).await?;
            Ok(super::applied(
                posts::receive_note_update(q, &author, note, event.as_deref()).await?,
                "Update of a post deleted here",
            ))
        }
        Relay::Delete { post_id } => {
            let live = q
                .post_by_id(*post_id)
                .await?
                .is_some_and(|p| p.deleted_at.is_none());
            if live {
                q.mark_post_deleted(*post_id).await?;
            }
            Ok(super::applied(live, "deleted here already"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn announce(object: Value) -> IncomingActivity {
        serde_json::from_value(json!({
            "id": "https://a.test/announces/1",
            "type": "Announce",
            "actor": "https://a.test/c/climate",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": object,
        }))
        .unwrap()
    }

    #[test]
    fn create_by_one_host_of_a_note_on_another_is_refused() {
        let forged = announce(json!({
            "type": "Create", "id": "https://b.test/activities/1", "actor": "https://b.test/u/ngo",
            "object": {"type": "Note", "id": "https://c.test/notes/1", "attributedTo": "https://b.test/u/ngo"}
        }));
        let error = shape(&forged).unwrap_err().to_string();
        assert!(error.contains("another host than its actor"), "{error}");
    }

    #[test]
    fn embedded_note_attributed_elsewhere_is_refused() {
        let forged = announce(json!({
            "type": "Note", "id": "https://c.test/notes/1", "attributedTo": "https://b.test/u/ngo"
        }));
        let error = shape(&forged).unwrap_err().to_string();
        assert!(
            error.contains("another host than its attributedTo"),
            "{error}"
        );
    }

    #[test]
    fn the_three_shapes_name_the_post() {
        let post = Url::parse("https://b.test/post/7").unwrap();
        let lemmy = announce(json!({
            "type": "Create", "id": "https://b.test/activities/create/1", "actor": "https://b.test/u/ngo",
            "object": {"type": "Page", "id": "https://b.test/post/7", "attributedTo": "https://b.test/u/ngo"}
        }));
        let mobilizon = announce(json!({
            "type": "Event", "id": "https://b.test/post/7", "attributedTo": "https://b.test/u/ngo"
        }));
        let friendica = announce(json!("https://b.test/post/7"));
        for relay in [lemmy, mobilizon, friendica] {
            assert_eq!(shape(&relay).unwrap(), Shape::Post(post.clone()));
        }
        let like = announce(
            json!({"type": "Like", "id": "https://b.test/l/1", "actor": "https://b.test/u/x", "object": "https://b.test/post/7"}),
        );
        assert_eq!(shape(&like).unwrap(), Shape::Other("Like".into()));
    }
}
