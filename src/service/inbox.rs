//! The inbox: every incoming activity, per-actor or shared, goes through
//! [`receive`]. It authenticates the request (HTTP signature by the
//! activity's own actor, Date within an hour, Digest of the body), then
//! applies the activity in one transaction together with the record of its
//! id, so a repeated delivery changes nothing and a failed one leaves nothing.
//!
//! Authenticated activities are written by group commit ([`InboxWriter`]):
//! those that arrive while a batch is being written are applied together in
//! the next transaction, each in its own savepoint, and each request is
//! answered only once that transaction has committed.

use super::{ServiceError, ServiceResult, follows::receive_follow, posts};
use crate::federation::protocol::note::NoteJson;
use crate::{
    context::Kuvend,
    federation::{
        FedData,
        actors::{authority, fetch_remote_actor, remote_actor_row},
        protocol::{
            activities::{FollowJson, IncomingActivity},
            actor::ActorJson,
        },
        signatures::{self, IncomingSignature},
    },
    storage::{
        Q,
        models::{ActorRow, FollowRow, FollowState, NewActor, ReactionKind},
    },
    transaction,
};
use http::HeaderMap;
use std::{collections::VecDeque, sync::Mutex, time::SystemTime};
use tokio::sync::oneshot;
use url::Url;

/// The most activities applied in one transaction: enough to spread a commit
/// over many, few enough that no transaction holds SQLite's writer long.
const MAX_BATCH: usize = 128;

/// Group commit for the inbox. A request queues its authenticated activity
/// and then either finds it applied by another request's batch, or takes the
/// lead and applies everything queued so far (itself included) in one
/// transaction. Nothing runs in the background: a batch is always written by
/// a request that is waiting for it.
#[derive(Default)]
pub struct InboxWriter {
    queued: Mutex<VecDeque<QueuedActivity>>,
    /// Held by the request writing a batch.
    leader: tokio::sync::Mutex<()>,
}

/// An authenticated activity, and where its outcome goes once committed.
struct QueuedActivity {
    sender: Sender,
    activity: IncomingActivity,
    /// A Create's note, prepared (fetched, sanitised) before queueing.
    note: Option<NoteJson>,
    outcome: oneshot::Sender<ServiceResult<InboxOutcome>>,
}

impl InboxWriter {
    fn queue(&self, activity: QueuedActivity) {
        self.queued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push_back(activity);
    }

    fn take_batch(&self) -> Vec<QueuedActivity> {
        let mut queued = self
            .queued
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let n = queued.len().min(MAX_BATCH);
        queued.drain(..n).collect()
    }
}

/// An incoming POST, as the HTTP layer hands it over.
pub struct InboxRequest<'a> {
    pub method: &'a str,
    /// Path and query as received: part of what is signed.
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

/// What became of an accepted request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboxOutcome {
    Applied,
    /// Its id was seen before.
    Duplicate,
    /// Authentic, but nothing kuvend acts on (yet); the reason is logged.
    Ignored(String),
}

/// The sending actor, as stored or as just fetched (stored with the activity).
enum Sender {
    Known(ActorRow),
    Fetched(NewActor),
}

impl Sender {
    fn key_id(&self) -> &str {
        match self {
            Sender::Known(row) => &row.public_key_id,
            Sender::Fetched(new) => &new.public_key_id,
        }
    }
    fn public_key_pem(&self) -> &str {
        match self {
            Sender::Known(row) => &row.public_key_pem,
            Sender::Fetched(new) => &new.public_key_pem,
        }
    }
    /// The sender as a stored row: a fetched one is stored (or updated) now.
    async fn stored(&self, q: &mut Q<'_>) -> ServiceResult<ActorRow> {
        Ok(match self {
            Sender::Known(row) => row.clone(),
            Sender::Fetched(new) => q.upsert_remote_actor(new).await?,
        })
    }
}

pub async fn receive(data: &FedData, request: InboxRequest<'_>) -> ServiceResult<InboxOutcome> {
    let unauthorized = |e: signatures::SignatureError| ServiceError::Unauthorized(e.to_string());
    let signature = signatures::parse_signature_header(request.headers).map_err(unauthorized)?;
    let signing_string = signatures::check_request(
        &signature,
        request.method,
        request.path_and_query,
        request.headers,
        Some(request.body),
        SystemTime::now(),
    )
    .map_err(unauthorized)?;
    let activity: IncomingActivity = serde_json::from_slice(request.body)
        .map_err(|e| ServiceError::BadRequest(format!("not a valid activity: {e}")))?;

    if authority(&activity.actor) == data.settings.instance.domain.to_lowercase() {
        return Err(ServiceError::Unauthorized(format!(
            "actor {} claims to be local",
            activity.actor
        )));
    }
    if authority(&activity.id) != authority(&activity.actor) {
        return Err(ServiceError::Unauthorized(format!(
            "activity {} is not on the host of its actor {}",
            activity.id, activity.actor
        )));
    }

    let known = {
        let mut conn = data.db.conn().await?;
        conn.q().actor_by_ap_id(activity.actor.as_str()).await?
    };
    // Servers send Delete for accounts they removed, signed with a key we can no
    // longer fetch; for an actor we never knew there is nothing to delete.
    if known.is_none()
        && activity.kind == "Delete"
        && activity.object_id().as_ref() == Some(&activity.actor)
    {
        return Ok(InboxOutcome::Ignored(
            "Delete of an actor we never knew".into(),
        ));
    }
    let sender = match known {
        Some(row) if row.public_key_id == signature.key_id => Sender::Known(row),
        // The key changed: ask the actor's server, at most once a minute.
        Some(_) => Sender::Fetched(refetch_sender(data, &activity.actor).await?),
        None => Sender::Fetched(fetch_sender(data, &activity.actor).await?),
    };
    let sender = verify_sender(data, sender, &signature, &signing_string, &activity.actor).await?;
    // Fetching (an object given by id, missing parents) happens before the
    // transaction, which must not wait on the network.
    let note = match activity.kind.as_str() {
        "Create" => Some(posts::prepare_incoming_note(data, &activity).await?),
        _ => None,
    };

    let (outcome, mut committed) = oneshot::channel();
    let writer = &data.inbox_writer;
    writer.queue(QueuedActivity {
        sender,
        activity,
        note,
        outcome,
    });
    loop {
        tokio::select! {
            biased;
            result = &mut committed => {
                // The sender is dropped only if the batch's leader was
                // cancelled midway: nothing of it was committed.
                return result.unwrap_or_else(|_| {
                    Err(ServiceError::Internal(anyhow::anyhow!(
                        "the inbox batch was abandoned; nothing was stored"
                    )))
                });
            }
            _leader = writer.leader.lock() => {
                let batch = writer.take_batch();
                if !batch.is_empty() {
                    write_batch(data, batch).await;
                }
            }
        }
    }
}

/// Applies a batch of queued activities in one transaction, each in a
/// savepoint so that one that fails leaves the others applied, and then
/// hands each its outcome.
async fn write_batch(ctx: &Kuvend, batch: Vec<QueuedActivity>) {
    let origin = ctx.settings.base_url();
    let written = transaction!(ctx.db, ServiceError, |q| {
        let mut outcomes = Vec::with_capacity(batch.len());
        for queued in &batch {
            let outcome = crate::savepoint!(&mut q, ServiceError, |q| {
                apply_queued(ctx, &mut q, queued, &origin).await
            });
            outcomes.push(outcome);
        }
        Ok(outcomes)
    });
    match written {
        Ok(outcomes) => {
            if outcomes
                .iter()
                .any(|o| matches!(o, Ok(InboxOutcome::Applied)))
            {
                ctx.delivery_wakeup.notify_one();
            }
            for (queued, outcome) in batch.into_iter().zip(outcomes) {
                // A request that has gone away finds its activity applied
                // when it is sent again (a Duplicate).
                let _ = queued.outcome.send(outcome);
            }
        }
        Err(error) => {
            tracing::error!(%error, activities = batch.len(), "inbox batch not committed");
            for queued in batch {
                let _ = queued
                    .outcome
                    .send(Err(ServiceError::Internal(anyhow::anyhow!(
                        "inbox batch not committed"
                    ))));
            }
        }
    }
}

/// One queued activity, inside the batch's transaction: the sender stored,
/// the activity's id recorded (a repeat changes nothing), then applied.
async fn apply_queued(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    queued: &QueuedActivity,
    origin: &str,
) -> ServiceResult<InboxOutcome> {
    let activity = &queued.activity;
    let actor = queued.sender.stored(q).await?;
    if !q
        .record_received_activity(activity.id.as_str(), &activity.kind, actor.id)
        .await?
    {
        return Ok(InboxOutcome::Duplicate);
    }
    // It speaks again: deliveries to it resume.
    q.record_instance_alive(&actor.domain).await?;
    if let Some(note) = &queued.note {
        return Ok(applied(
            posts::receive_note(q, &actor, note, origin).await?,
            "a note that concerns no one here",
        ));
    }
    apply(ctx, q, &actor, activity).await
}

async fn fetch_sender(data: &FedData, actor: &Url) -> ServiceResult<NewActor> {
    fetch_remote_actor(actor, data).await.map_err(|e| {
        // The crate's parse errors quote the whole fetched body: keep the reason short.
        let reason: String = e.to_string().chars().take(200).collect();
        ServiceError::Unauthorized(format!("cannot fetch signing actor {actor}: {reason}"))
    })
}

/// Fetches a known actor again because its signature did not check out with
/// the key we hold: a rotated key. Rate-limited, so that forged requests
/// cannot make us fetch the same document in a loop.
async fn refetch_sender(data: &FedData, actor: &Url) -> ServiceResult<NewActor> {
    if !data.refetches.allow(actor.as_str()) {
        return Err(ServiceError::Unauthorized(format!(
            "signature does not verify with the key of {actor}, which was re-fetched less than {} s ago",
            crate::federation::keys::REFETCH_INTERVAL.as_secs()
        )));
    }
    fetch_sender(data, actor).await
}

/// Checks that the key that signed is the actor's own and that the signature
/// verifies; a stored key that fails is refreshed once, for key rotation.
async fn verify_sender(
    data: &FedData,
    sender: Sender,
    signature: &IncomingSignature,
    signing_string: &str,
    actor: &Url,
) -> ServiceResult<Sender> {
    let check = |sender: &Sender| -> ServiceResult<()> {
        if sender.key_id() != signature.key_id {
            return Err(ServiceError::Unauthorized(format!(
                "key {} is not the key of actor {actor}",
                signature.key_id
            )));
        }
        let key = data
            .keys
            .public_key(sender.public_key_pem())
            .map_err(|e| ServiceError::Unauthorized(e.to_string()))?;
        signatures::verify(&key, signing_string, &signature.signature)
            .map_err(|e| ServiceError::Unauthorized(e.to_string()))
    };
    match (check(&sender), &sender) {
        (Ok(()), _) => Ok(sender),
        (Err(_), Sender::Known(_)) => {
            let refreshed = Sender::Fetched(refetch_sender(data, actor).await?);
            check(&refreshed)?;
            Ok(refreshed)
        }
        (Err(error), Sender::Fetched(_)) => Err(error),
    }
}

fn applied(done: bool, otherwise: &str) -> InboxOutcome {
    if done {
        InboxOutcome::Applied
    } else {
        InboxOutcome::Ignored(otherwise.to_string())
    }
}

/// Applies an authenticated activity, inside the inbox's transaction.
async fn apply(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    activity: &IncomingActivity,
) -> ServiceResult<InboxOutcome> {
    match activity.kind.as_str() {
        "Follow" => {
            let object = activity
                .object_id()
                .ok_or_else(|| ServiceError::BadRequest("Follow without object".into()))?;
            let followee = q
                .actor_by_ap_id(object.as_str())
                .await?
                .filter(|a| a.local && a.kind() != crate::storage::models::ActorKind::Application)
                .ok_or_else(|| {
                    ServiceError::NotFound(format!("{object} is not an actor on this instance"))
                })?;
            let follow = FollowJson {
                id: activity.id.clone(),
                kind: "Follow".into(),
                actor: activity.actor.clone(),
                object,
            };
            receive_follow(ctx, q, actor, &followee, follow).await?;
            Ok(InboxOutcome::Applied)
        }
        "Accept" | "Reject" => {
            let Some(follow) = find_follow(q, activity).await? else {
                return Ok(InboxOutcome::Ignored(format!(
                    "{} of nothing we asked for",
                    activity.kind
                )));
            };
            if follow.followee_id != actor.id {
                return Err(ServiceError::Unauthorized(
                    "only the followed actor can answer a follow request".into(),
                ));
            }
            if activity.kind == "Accept" {
                q.set_follow_state(follow.id, FollowState::Accepted).await?;
                q.backfill_home_feed(follow.follower_id, follow.followee_id)
                    .await?;
            } else {
                q.delete_follow(follow.id).await?;
                q.clear_home_feed_of(follow.follower_id, follow.followee_id)
                    .await?;
            }
            Ok(InboxOutcome::Applied)
        }
        "Like" => Ok(applied(
            posts::receive_reaction(q, actor, activity, ReactionKind::Like).await?,
            "Like of nothing stored here",
        )),
        "Announce" => Ok(applied(
            posts::receive_reaction(q, actor, activity, ReactionKind::Announce).await?,
            "Announce of nothing stored here",
        )),
        "Delete" => Ok(applied(
            posts::receive_delete(q, actor, activity).await?,
            "Delete of nothing stored here",
        )),
        "Undo" if matches!(activity.object_type(), Some("Like") | Some("Announce")) => {
            let kind = if activity.object_type() == Some("Like") {
                ReactionKind::Like
            } else {
                ReactionKind::Announce
            };
            Ok(applied(
                posts::receive_undo_reaction(q, actor, activity, kind).await?,
                "Undo of an unknown reaction",
            ))
        }
        "Undo" => {
            let is_follow = activity.object_type().is_none_or(|t| t == "Follow");
            if !is_follow {
                return Ok(InboxOutcome::Ignored(format!(
                    "Undo of {}",
                    activity.object_type().unwrap_or("?")
                )));
            }
            let Some(follow) = find_follow(q, activity).await? else {
                // An Undo that names only an id may be of a like or a boost.
                for kind in [ReactionKind::Like, ReactionKind::Announce] {
                    if posts::receive_undo_reaction(q, actor, activity, kind).await? {
                        return Ok(InboxOutcome::Applied);
                    }
                }
                return Ok(InboxOutcome::Ignored("Undo of an unknown follow".into()));
            };
            if follow.follower_id != actor.id {
                return Err(ServiceError::Unauthorized(
                    "only the follower can undo a follow".into(),
                ));
            }
            q.delete_follow(follow.id).await?;
            Ok(InboxOutcome::Applied)
        }
        "Update" if activity.object_id().as_ref() == Some(&activity.actor) => {
            let json: ActorJson = serde_json::from_value(activity.object.clone())
                .map_err(|e| ServiceError::BadRequest(format!("Update of an actor: {e}")))?;
            let row = remote_actor_row(&json, &activity.actor)
                .map_err(|e| ServiceError::Unprocessable(e.to_string()))?;
            if row.ap_id != actor.ap_id {
                return Err(ServiceError::Unauthorized(
                    "an actor can only update itself".into(),
                ));
            }
            q.upsert_remote_actor(&row).await?;
            Ok(InboxOutcome::Applied)
        }
        "Update" => Ok(applied(
            posts::receive_note_update(q, actor, activity).await?,
            "Update of nothing stored here",
        )),
        other => Ok(InboxOutcome::Ignored(format!("{other} is not handled yet"))),
    }
}

/// The follow an Accept, Reject or Undo refers to: by the Follow's id, or, for
/// servers that embed a Follow without one, by its actor and object.
async fn find_follow(
    q: &mut Q<'_>,
    activity: &IncomingActivity,
) -> ServiceResult<Option<FollowRow>> {
    if let Some(id) = activity.object_id() {
        if let Some(found) = q.follow_by_ap_id(id.as_str()).await? {
            return Ok(Some(found));
        }
    }
    let Some(follow) = activity.object_as_follow() else {
        return Ok(None);
    };
    let (Some(follower), Some(followee)) = (
        q.actor_by_ap_id(follow.actor.as_str()).await?,
        q.actor_by_ap_id(follow.object.as_str()).await?,
    ) else {
        return Ok(None);
    };
    Ok(q.follow_between(follower.id, followee.id).await?)
}

/// Authenticates a signed GET (authorized fetch): returns the signing actor,
/// or None for an unsigned request. A signature that does not verify is an
/// error, not an anonymous request.
pub async fn authenticate_fetch(
    data: &FedData,
    path_and_query: &str,
    headers: &HeaderMap,
) -> ServiceResult<Option<ActorRow>> {
    if !headers.contains_key("signature") {
        return Ok(None);
    }
    let unauthorized = |e: signatures::SignatureError| ServiceError::Unauthorized(e.to_string());
    let signature = signatures::parse_signature_header(headers).map_err(unauthorized)?;
    let signing_string = signatures::check_request(
        &signature,
        "GET",
        path_and_query,
        headers,
        None,
        SystemTime::now(),
    )
    .map_err(unauthorized)?;
    let known = {
        let mut conn = data.db.conn().await?;
        conn.q().actor_by_key_id(&signature.key_id).await?
    };
    let sender = match known {
        Some(row) => Sender::Known(row),
        None => {
            let owner = signature
                .key_owner()
                .ok_or_else(|| ServiceError::Unauthorized("keyId is not a URL".into()))?;
            Sender::Fetched(fetch_sender(data, &owner).await?)
        }
    };
    let owner = match &sender {
        Sender::Known(row) => row.ap_id.clone(),
        Sender::Fetched(new) => new.ap_id.clone(),
    };
    let owner =
        Url::parse(&owner).map_err(|_| ServiceError::Unauthorized("bad key owner".into()))?;
    let sender = verify_sender(data, sender, &signature, &signing_string, &owner).await?;
    Ok(Some(match sender {
        Sender::Known(row) => row,
        fetched => {
            let mut conn = data.db.conn().await?;
            fetched.stored(&mut conn.q()).await?
        }
    }))
}
