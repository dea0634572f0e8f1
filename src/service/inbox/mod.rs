//! The inbox: every incoming activity, per-actor or shared, goes through
//! [`receive`]. It authenticates the request (HTTP signature, draft-cavage
//! or RFC 9421, by the activity's own actor, made within an hour, with the
//! body's digest), then
//! applies the activity in one transaction together with the record of its
//! id, so a repeated delivery changes nothing and a failed one leaves nothing.
//!
//! Authenticated activities are written by group commit ([`InboxWriter`]):
//! those that arrive while a batch is being written are applied together in
//! the next transaction, each in its own savepoint, and each request is
//! answered only once that transaction has committed.

mod announce;
mod answer;
mod block;
mod create;
mod delete;
mod flag;
mod follow;
mod join;
mod leave;
mod like;
mod referent;
#[cfg(test)]
mod tests;
mod undo;
mod update;

use super::{ServiceError, ServiceResult};
use crate::service::relay::Later;
use crate::{
    context::Kuvend,
    federation::{
        FedData, FederationError,
        actors::{authority, fetch_remote_actor},
        fetch::Budget,
        protocol::{
            activities::{FollowJson, InboxActivity, IncomingActivity, JoinJson, Reference},
            question::VoteJson,
        },
        signatures::{self, IncomingSignature, rfc9421},
    },
    storage::{
        Q,
        models::{ActorRow, NewActor},
    },
    transaction,
};
use answer::Answer;
use http::HeaderMap;
use std::{collections::VecDeque, sync::Mutex, time::SystemTime};
use tokio::sync::oneshot;
use url::Url;

/// The most activities applied in one transaction: enough to spread a commit
/// over many, few enough that no transaction holds SQLite's writer long.
const MAX_BATCH: usize = 128;

/// What a suspended actor may still send (issue 15): what takes back or
/// corrects what it sent, as Mastodon lets through.
const SUSPENDED_MAY_SEND: [&str; 4] = ["Delete", "Undo", "Update", "Reject"];

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
    envelope: Envelope,
    ready: Ready,
    outcome: oneshot::Sender<ServiceResult<InboxOutcome>>,
}

/// An authenticated activity as it came: the fields every verb shares
/// (including its addressing: `to`, `cc`, `audience`, `target`) and the raw
/// body, which a coalition relays unchanged.
pub struct Envelope {
    pub activity: IncomingActivity,
    pub raw: Box<str>,
}

/// An activity made ready for its transaction, by verb: whatever needed the
/// network (a note given by id, missing parents) or only reading has been
/// done, so that applying it is database work alone.
enum Ready {
    Follow(FollowJson),
    Answer(Reference, Answer),
    Undo(Reference),
    Join(JoinJson),
    Leave(Url),
    Create(Box<crate::service::posts::IncomingNote>),
    /// A Mastodon poll vote on one of our polls: never stored as a post.
    Vote(Box<VoteJson>),
    Update(update::Ready),
    Delete(Url),
    Like(Url),
    /// A remote actor blocks one of ours (the id of ours).
    Block(Url),
    Announce(Url),
    /// A followed remote group's relay of a member's post, an edit or a
    /// delete of one (issue 14 item 2), checked and fetched from the origin.
    Relay(Box<announce::Relay>),
    /// An `Invite` of one of our organisations to a group, fetched.
    Invite {
        invitee: Url,
        coalition: Box<ActorRow>,
        message: Option<String>,
    },
    /// `Add`/`Remove`/`Update{Member}` about a coalition membership: the
    /// object (member or Member URL), the coalition if named, and the new
    /// role (`None`: removed).
    Membership {
        object: Url,
        coalition: Option<Url>,
        role: Option<crate::model::CoalitionRole>,
    },
    /// A report from another instance.
    Flag(crate::federation::protocol::flag::FlagReceived),
    Unsupported(String),
    /// Nothing to do, for this reason.
    Ignored(&'static str),
}

/// Each verb's `prepare`, outside the transaction.
async fn prepare(data: &FedData, activity: &IncomingActivity) -> ServiceResult<Ready> {
    let typed = activity.parse().map_err(ServiceError::BadRequest)?;
    Ok(match typed {
        InboxActivity::Follow(follow) => Ready::Follow(follow),
        InboxActivity::Accept(reference) => Ready::Answer(reference, Answer::Accept),
        InboxActivity::Reject(reference) => Ready::Answer(reference, Answer::Reject),
        InboxActivity::TentativeAccept(reference) => {
            Ready::Answer(reference, Answer::TentativeAccept)
        }
        InboxActivity::TentativeReject(reference) => {
            Ready::Answer(reference, Answer::TentativeReject)
        }
        InboxActivity::Undo(reference) => Ready::Undo(reference),
        InboxActivity::Join(join) => Ready::Join(join),
        InboxActivity::Leave(object) => Ready::Leave(object),
        // A vote is recognised before note handling: it must never become a post.
        InboxActivity::Create(object) => match is_vote_for_us(data, activity) {
            Some(vote) => Ready::Vote(Box::new(vote)),
            None => create::prepare(data, &activity.actor, object, false).await?,
        },
        InboxActivity::Update(object) => Ready::Update(update::prepare(
            &data.settings.limits,
            &activity.actor,
            object,
        )?),
        InboxActivity::Delete(object) => Ready::Delete(object),
        InboxActivity::Like(object) => Ready::Like(object),
        InboxActivity::Block(object) => Ready::Block(object),
        InboxActivity::Announce(object, own_event) => {
            announce::prepare(data, activity, object, own_event).await?
        }
        InboxActivity::Invite(invite) => prepare_invite(data, invite).await,
        InboxActivity::Add(change) | InboxActivity::Remove(change) => {
            let add = activity.kind == "Add";
            match crate::service::membership::collection_role(add, change.target.as_ref()) {
                Some(role) => Ready::Membership {
                    object: change.object,
                    coalition: change.origin,
                    role,
                },
                None => Ready::Ignored("Add to a collection that is not a coalition's moderators"),
            }
        }
        InboxActivity::UpdateMember(member) => {
            match crate::service::membership::member_role(&member.role) {
                // By member and group: the Member URL may be the sender's own.
                Some(role) => Ready::Membership {
                    object: member.actor,
                    coalition: Some(member.object),
                    role: Some(role),
                },
                None => Ready::Ignored("Update{Member} with a role that is not a membership"),
            }
        }
        InboxActivity::Flag(flag) => Ready::Flag(flag),
        InboxActivity::Unsupported(kind) => Ready::Unsupported(kind),
    })
}

/// An `Invite` is for us only when its invitee is an actor of ours; then
/// the group it invites to is fetched (and stored) before the transaction.
async fn prepare_invite(
    data: &FedData,
    invite: crate::federation::protocol::activities::InviteReceived,
) -> Ready {
    let Some(invitee) = invite.invitee else {
        return Ready::Ignored("Invite without a target or a single to");
    };
    if authority(&invitee) != data.settings.instance.domain {
        return Ready::Ignored("Invite of an actor elsewhere");
    }
    match crate::federation::actors::actor_by_url(data, &invite.object).await {
        Ok(coalition) => Ready::Invite {
            invitee,
            coalition: Box::new(coalition),
            message: invite.message,
        },
        Err(_) => Ready::Ignored("Invite to something that is not an actor"),
    }
}

/// The body as an activity. Mobilizon sends its group `Leave` and member
/// `Remove` without an `id`, and reuses `<Member URL>/activity` as the id of
/// every role change of a member (research pitfalls 5): those get a fresh
/// id on the actor's (or given id's) host for each delivery. Not one made
/// from the body: a member who leaves, rejoins and leaves again sends the
/// same body twice, and so does a role changed back and forth, and the
/// second would be dropped as a repeat. What they do is idempotent, so a
/// redelivery applied twice changes nothing.
pub(crate) fn parse_incoming(raw: &str) -> ServiceResult<IncomingActivity> {
    // Almost every activity parses as it is, in one pass: the detour
    // through a `Value` below is only for Mobilizon's odd ones (an id-less
    // `Leave`/`Remove` fails this parse; an `Update{Member}` parses).
    if let Ok(activity) = serde_json::from_str::<IncomingActivity>(raw) {
        let member_update = activity.kind == "Update"
            && activity.object.get("type").and_then(|t| t.as_str()) == Some("Member");
        if !member_update {
            return Ok(activity);
        }
    }
    let bad = |e: serde_json::Error| ServiceError::BadRequest(format!("not a valid activity: {e}"));
    let mut value: serde_json::Value = serde_json::from_str(raw).map_err(bad)?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default();
    let member_update = kind == "Update"
        && value.pointer("/object/type").and_then(|t| t.as_str()) == Some("Member");
    let no_id = matches!(kind, "Leave" | "Remove") && value.get("id").is_none();
    if member_update || no_id {
        let base = match value.get("id").and_then(|v| v.as_str()) {
            Some(id) => id.split('#').next().unwrap_or(id).to_string(),
            None => match value.get("actor") {
                Some(serde_json::Value::String(actor)) => actor.clone(),
                Some(other) => other
                    .get("id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
                None => String::new(),
            },
        };
        let fresh = uuid::Uuid::new_v4().simple();
        value["id"] = serde_json::Value::from(format!("{base}#kuvend-{fresh}"));
    }
    serde_json::from_value(value).map_err(bad)
}

/// The `Create`'s object read as a Mastodon vote (a `Note` with a `name`
/// and no content) in reply to something on this instance, if it is one.
fn is_vote_for_us(data: &FedData, activity: &IncomingActivity) -> Option<VoteJson> {
    let vote = VoteJson::from_object(&activity.object)?;
    let ours = format!("{}/", data.settings.base_url());
    vote.in_reply_to.as_str().starts_with(&ours).then_some(vote)
}

/// Each verb's `apply`, inside the batch's transaction.
async fn apply(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    envelope: &Envelope,
    ready: &Ready,
) -> ServiceResult<InboxOutcome> {
    let id = &envelope.activity.id;
    match ready {
        Ready::Follow(follow_json) => follow::apply(ctx, q, actor, follow_json).await,
        Ready::Answer(reference, answer) => {
            answer::apply(ctx, q, actor, id, reference, *answer).await
        }
        Ready::Undo(reference) => undo::apply(ctx, q, actor, reference).await,
        Ready::Join(join) => join::apply(ctx, q, actor, id, &envelope.activity.kind, join).await,
        Ready::Leave(object) => leave::apply(ctx, q, actor, object).await,
        Ready::Create(note) => {
            let outcome = create::apply(ctx, q, actor, note).await?;
            if outcome == InboxOutcome::Applied && note.group.is_none() {
                relay_new(q, actor, envelope, note).await?;
            }
            Ok(outcome)
        }
        Ready::Vote(vote) => create::apply_vote(ctx, q, actor, id, vote).await,
        Ready::Update(update) => {
            let outcome = update::apply(ctx, q, actor, update).await?;
            if let (InboxOutcome::Applied, update::Ready::Note(post)) = (&outcome, update) {
                relay_later(q, actor, envelope, post.0.id.as_str(), Later::Update).await?;
            }
            Ok(outcome)
        }
        Ready::Delete(object) => {
            // Only a Delete that deleted something is relayed (once: a
            // repeat deletes nothing); the post row stays, marked deleted,
            // so its relays are still found.
            let outcome = delete::apply(ctx, q, actor, object).await?;
            if outcome == InboxOutcome::Applied {
                relay_later(q, actor, envelope, object.as_str(), Later::Delete).await?;
            }
            Ok(outcome)
        }
        // Likes are not relayed: anyone can like, so relaying them would let
        // anyone make the coalition write to all its followers (Friendica
        // does not redistribute them either by default).
        Ready::Like(object) => like::apply(q, actor, id, object).await,
        Ready::Block(object) => block::apply(q, actor, object).await,
        Ready::Announce(object) => announce::apply(q, actor, id, object).await,
        Ready::Relay(relay) => announce::apply_relay(q, actor, id, relay).await,
        Ready::Invite {
            invitee,
            coalition,
            message,
        } => {
            let Some(invitee) = q.actor_by_ap_id(invitee.as_str()).await? else {
                return Ok(InboxOutcome::Ignored("Invite of an unknown actor".into()));
            };
            Ok(
                match crate::service::invitations::received(
                    ctx,
                    q,
                    actor,
                    id,
                    &invitee,
                    coalition,
                    message.as_deref(),
                )
                .await?
                {
                    None => InboxOutcome::Applied,
                    Some(why) => InboxOutcome::Ignored(why.into()),
                },
            )
        }
        Ready::Membership {
            object,
            coalition,
            role,
        } => Ok(
            match crate::service::membership::changed_elsewhere(
                q,
                actor,
                object,
                coalition.as_ref(),
                *role,
            )
            .await?
            {
                None => InboxOutcome::Applied,
                Some(why) => InboxOutcome::Ignored(why.into()),
            },
        ),
        Ready::Flag(flag) => flag::apply(ctx, q, actor, id, flag).await,
        Ready::Unsupported(kind) => Ok(InboxOutcome::Ignored(format!("{kind} is not handled yet"))),
        Ready::Ignored(why) => Ok(InboxOutcome::Ignored(why.to_string())),
    }
}

/// A member's stored post is relayed by the local coalitions it addresses
/// or whose campaign tag it carries (issue 14, [`crate::service::relay`]),
/// in the same transaction.
async fn relay_new(
    q: &mut Q<'_>,
    actor: &ActorRow,
    envelope: &Envelope,
    note: &crate::service::posts::IncomingNote,
) -> ServiceResult<()> {
    let mut outbox = crate::service::outbox::Outbox::default();
    crate::service::relay::relay_new(
        q,
        &mut outbox,
        &crate::service::relay::Relayed {
            member: actor,
            activity_id: &envelope.activity.id,
            raw: &envelope.raw,
            note: &note.note,
            local_mentions: &note.local_mentions,
        },
    )
    .await
}

/// An `Update` or `Delete` of a relayed post goes the relay's way.
async fn relay_later(
    q: &mut Q<'_>,
    actor: &ActorRow,
    envelope: &Envelope,
    post: &str,
    kind: Later,
) -> ServiceResult<()> {
    let mut outbox = crate::service::outbox::Outbox::default();
    crate::service::relay::relay_later(q, &mut outbox, post, actor, &envelope.raw, kind).await
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

pub async fn receive(
    data: &FedData,
    writer: &InboxWriter,
    request: InboxRequest<'_>,
) -> ServiceResult<InboxOutcome> {
    let (signature, signing_string) = check_signed_request(
        data,
        request.method,
        request.path_and_query,
        request.headers,
        Some(request.body),
    )?;
    // The domain policy, before the body is parsed and before any fetch on
    // the sender's behalf: first the key's host, then the actor's.
    let policy = data.policy().await;
    refuse_by_policy(&policy, signature.key_id.as_str())?;
    let raw = std::str::from_utf8(request.body)
        .map_err(|_| ServiceError::BadRequest("the body is not UTF-8".into()))?;
    let activity = parse_incoming(raw)?;
    refuse_by_policy(&policy, activity.actor.as_str())?;
    // Before any lookup or fetch on its behalf.
    crate::service::posts::check_recipients(&data.settings.limits, &[&activity.to, &activity.cc])?;

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
    // A suspended actor's activities are refused (issue 15), except those
    // that only take back or correct what it sent: Mastodon lets exactly
    // Delete, Undo, Update and Reject through, so that a deletion is not
    // lost and back on unsuspend, an unfollow is kept, and a refused
    // follow of ours ends.
    if let Some(actor) = known.as_ref().filter(|a| a.suspended_at.is_some())
        && !SUSPENDED_MAY_SEND.contains(&activity.kind.as_str())
    {
        return Err(crate::service::suspension::refused(actor));
    }
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
    let ready = prepare(data, &activity).await?;
    // An answer that may be to one of our Joins: once it is applied, the
    // event is read again from its origin ([`refresh_after_answer`]).
    let answer = match &ready {
        Ready::Answer(reference, Answer::Accept | Answer::Reject | Answer::TentativeAccept) => {
            Some(reference.clone())
        }
        _ => None,
    };

    // A follow of one of ours: what the follower's server runs decides the
    // shape of a coalition's relays to it, so it is learnt after the commit.
    let follower_host = matches!(ready, Ready::Follow(_)).then(|| authority(&activity.actor));
    let (outcome, mut committed) = oneshot::channel();
    writer.queue(QueuedActivity {
        sender,
        envelope: Envelope {
            activity,
            raw: raw.into(),
        },
        ready,
        outcome,
    });
    loop {
        tokio::select! {
            biased;
            result = &mut committed => {
                // The sender is dropped only if the batch's leader was
                // cancelled midway: nothing of it was committed.
                let result = result.unwrap_or_else(|_| {
                    Err(ServiceError::Internal(anyhow::anyhow!(
                        "the inbox batch was abandoned; nothing was stored"
                    )))
                });
                if let (Some(reference), Ok(InboxOutcome::Applied)) = (answer, &result) {
                    refresh_after_answer(data, reference).await;
                }
                if let (Some(host), Ok(InboxOutcome::Applied)) = (&follower_host, &result) {
                    learn_software(data, host.clone());
                }
                return result;
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
    let written = transaction!(ctx.db, ServiceError, |q| {
        let mut outcomes = Vec::with_capacity(batch.len());
        for queued in &batch {
            let outcome = crate::savepoint!(&mut q, ServiceError, |q| {
                apply_queued(ctx, &mut q, queued).await
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
) -> ServiceResult<InboxOutcome> {
    let activity = &queued.envelope.activity;
    // Asked again at write time: a suspension or allow-list change that came
    // while this request waited on fetches must not let it in after the
    // purge (issue 15). The policy is held in memory: no query.
    if !ctx.policy().await.federates(&authority(&activity.actor)) {
        return Err(ServiceError::Forbidden(format!(
            "{}: this instance does not federate with it",
            authority(&activity.actor)
        )));
    }
    let actor = queued.sender.stored(q).await?;
    if !q
        .record_received_activity(activity.id.as_str(), &activity.kind, actor.id)
        .await?
    {
        return Ok(InboxOutcome::Duplicate);
    }
    // It speaks again: deliveries to it resume.
    q.record_instance_alive(&actor.domain).await?;
    apply(ctx, q, &actor, &queued.envelope, &queued.ready).await
}

/// Fetches the actor (or key owner) that signed a request we cannot verify
/// yet. Anyone can name any URL in a Signature header, so this counts
/// against the per-host fetch limit: over it, the answer is 429 with
/// `Retry-After` (Mastodon and others retry those later, as they do 401s,
/// and the wait tells them when), not 401.
async fn fetch_sender(data: &FedData, actor: &Url) -> ServiceResult<NewActor> {
    fetch_remote_actor(data, actor, Budget::PerHost)
        .await
        .map_err(|e| match e {
            FederationError::Fetch(fetch) if fetch.retry_after().is_some() => {
                FederationError::Fetch(fetch).into()
            }
            other => {
                let reason: String = other.to_string().chars().take(200).collect();
                ServiceError::Unauthorized(format!("cannot fetch signing actor {actor}: {reason}"))
            }
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

/// When an applied answer was the organiser's answer to one of our Joins
/// (only those are applied as such: [`crate::service::joining::answered`]
/// hears the event's organiser alone), the event is fetched again in the
/// background, after the commit, so that the count we show agrees with the
/// organiser's ([`crate::service::joining::refresh_remote_event`]). The
/// answer's sender gets its 202 without waiting for that fetch.
async fn refresh_after_answer(data: &FedData, reference: Reference) {
    let found = async {
        let mut conn = data.db.conn().await?;
        referent::find(&mut conn.q(), &reference).await
    }
    .await;
    let Ok(Some(referent::Referent::Participation(row))) = found else {
        return;
    };
    let data = data.clone();
    tokio::spawn(async move {
        if let Err(error) =
            crate::service::joining::refresh_remote_event(&data, row.event_post_id).await
        {
            tracing::warn!(%error, event = row.event_post_id, "event not refreshed after an answer");
        }
    });
}

/// Caches the NodeInfo software of a new follower's instance in the
/// background (cached for a day; [`crate::service::software`]), so that a
/// coalition's relays usually know which shape it reads.
fn learn_software(data: &FedData, host: String) {
    let data = data.clone();
    tokio::spawn(async move {
        if let Err(error) = crate::service::software::instance_software(&data, &host).await {
            tracing::debug!(%host, %error, "software of a follower not learnt");
        }
    });
}

fn applied(done: bool, otherwise: &str) -> InboxOutcome {
    if done {
        InboxOutcome::Applied
    } else {
        InboxOutcome::Ignored(otherwise.to_string())
    }
}

/// Checks a request's signature (draft-cavage, or RFC 9421 when it has
/// `Signature-Input`) against the request (covered headers or components,
/// time, body digest) and that it was signed for this instance: the `Host`
/// must be our domain, and it is what the signed `host` (draft-cavage) or
/// `@authority`/`@target-uri` (RFC 9421) is checked against, so that a
/// request captured on its way to another server cannot be replayed here
/// within its hour. Returns the signature and
/// its signing string, to verify with the sender's key.
fn check_signed_request(
    data: &FedData,
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: Option<&[u8]>,
) -> ServiceResult<(IncomingSignature, String)> {
    let unauthorized = |e: signatures::SignatureError| ServiceError::Unauthorized(e.to_string());
    // An RFC 9421 signature is checked when there is one, else draft-cavage:
    // either gives the signature and the string its key must verify.
    let (signature, signing_string) = if rfc9421::is_signed(headers) {
        let scheme = if data.settings.instance.https {
            "https"
        } else {
            "http"
        };
        rfc9421::check_request(
            &rfc9421::SignedRequest {
                method,
                path_and_query,
                headers,
                body,
                scheme,
            },
            SystemTime::now(),
        )
        .map_err(unauthorized)?
    } else {
        let signature = signatures::parse_signature_header(headers).map_err(unauthorized)?;
        let signing_string = signatures::check_request(
            &signature,
            method,
            path_and_query,
            headers,
            body,
            SystemTime::now(),
        )
        .map_err(unauthorized)?;
        (signature, signing_string)
    };
    let host = headers
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    if !host.eq_ignore_ascii_case(&data.settings.instance.domain) {
        return Err(ServiceError::Unauthorized(format!(
            "the request was signed for host {host:?}, not for {}",
            data.settings.instance.domain
        )));
    }
    Ok((signature, signing_string))
}

/// 403 when `url` (a key id or an actor) is on a host we do not federate
/// with (issue 15); a URL that does not parse is left to the checks after.
fn refuse_by_policy(
    policy: &crate::federation::domain_policy::Snapshot,
    url: &str,
) -> ServiceResult<()> {
    let Ok(url) = Url::parse(url) else {
        return Ok(());
    };
    match policy.refusal(&authority(&url)) {
        Some(reason) => Err(ServiceError::Forbidden(format!(
            "{}: {reason}",
            authority(&url)
        ))),
        None => Ok(()),
    }
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
    let (signature, signing_string) =
        check_signed_request(data, "GET", path_and_query, headers, None)?;
    let policy = data.policy().await;
    refuse_by_policy(&policy, signature.key_id.as_str())?;
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
    refuse_by_policy(&policy, owner.as_str())?;
    let sender = verify_sender(data, sender, &signature, &signing_string, &owner).await?;
    Ok(Some(match sender {
        Sender::Known(row) => row,
        fetched => {
            let mut conn = data.db.conn().await?;
            fetched.stored(&mut conn.q()).await?
        }
    }))
}
