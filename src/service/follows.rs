//! Follows in both directions: remote actors following our organisations, and
//! our organisations following remote actors.

use super::{ServiceError, ServiceResult, orgs::local_account};
use crate::model::FollowState;
use crate::{
    context::Kuvend,
    federation::{
        FedData,
        actors::ApActor,
        protocol::activities::{FollowJson, FollowResponseJson},
    },
    storage::{
        Q, StorageResult,
        models::{ActorRow, FollowRow},
    },
    transaction,
};
use activitypub_federation::fetch::{object_id::ObjectId, webfinger::webfinger_resolve_actor};
use url::Url;

fn url(text: &str) -> ServiceResult<Url> {
    Url::parse(text)
        .map_err(|_| ServiceError::Internal(anyhow::anyhow!("stored URL {text} does not parse")))
}

fn follow_json(
    follow_ap_id: &str,
    follower: &ActorRow,
    followee: &ActorRow,
) -> ServiceResult<FollowJson> {
    Ok(FollowJson {
        id: url(follow_ap_id)?,
        kind: "Follow".into(),
        actor: url(&follower.ap_id)?,
        object: url(&followee.ap_id)?,
    })
}

fn to_body<T: serde::Serialize>(activity: &T) -> ServiceResult<String> {
    crate::federation::protocol::activity_body(activity)
        .map_err(|e| ServiceError::Internal(e.into()))
}

/// Queues `Accept`/`Reject` (from the followee) or `Undo` (from the follower)
/// of a Follow, to the other side's inbox.
async fn queue_follow_response(
    q: &mut Q<'_>,
    kind: &str,
    activity_id: &Url,
    from: &ActorRow,
    to: &ActorRow,
    body: &str,
) -> StorageResult<()> {
    q.enqueue_activity(
        activity_id.as_str(),
        kind,
        from.id,
        body,
        std::slice::from_ref(&to.inbox_url),
    )
    .await
    .map(|_| ())
}

fn response_body(
    ctx: &Kuvend,
    kind: &str,
    from: &ActorRow,
    follow: FollowJson,
) -> ServiceResult<(Url, String)> {
    let id = ctx.urls.new_activity();
    let body = to_body(&FollowResponseJson {
        id: id.clone(),
        kind: kind.into(),
        actor: url(&from.ap_id)?,
        object: follow,
    })?;
    Ok((id, body))
}

/// Finds a remote actor by handle (`user@host`, `@user@host`) or URL, asking
/// its server if it is not known yet.
pub async fn resolve_remote_actor(data: &FedData, target: &str) -> ServiceResult<ActorRow> {
    let target = target.trim();
    let actor = if target.starts_with("https://") || target.starts_with("http://") {
        let id: ObjectId<ApActor> = Url::parse(target)
            .map_err(|_| ServiceError::Unprocessable(format!("{target:?} is not a valid URL")))?
            .into();
        id.dereference(data).await?
    } else {
        let handle = target.trim_start_matches('@');
        if handle.split('@').count() != 2 || handle.split('@').any(str::is_empty) {
            return Err(ServiceError::Unprocessable(format!(
                "{target:?} is neither a handle like user@host nor an actor URL"
            )));
        }
        webfinger_resolve_actor::<_, ApActor>(handle, data).await?
    };
    if actor.row.local {
        return Err(ServiceError::Unprocessable(format!(
            "{target} is on this instance; following local actors is not supported yet"
        )));
    }
    Ok(actor.row)
}

/// Our organisation asks to follow a remote actor: the follow is stored as
/// pending and a `Follow` queued; it becomes accepted when `Accept` arrives.
pub async fn follow(
    data: &FedData,
    org_username: &str,
    target: &str,
) -> ServiceResult<(FollowRow, ActorRow)> {
    let org = local_account(data, org_username).await?;
    let followee = resolve_remote_actor(data, target).await?;
    {
        let mut conn = data.db.conn().await?;
        if let Some(existing) = conn.q().follow_between(org.id, followee.id).await? {
            if existing.state() == FollowState::Accepted {
                return Err(ServiceError::Conflict(format!(
                    "{} already follows {}",
                    org.username,
                    followee.handle()
                )));
            }
        }
    }
    // A pending request is sent again with a new id: the other side may have lost it.
    let follow_id = data.urls.new_activity();
    let body = to_body(&follow_json(follow_id.as_str(), &org, &followee)?)?;
    let row = transaction!(data.db, |q| {
        let row = q
            .put_follow(
                org.id,
                followee.id,
                FollowState::Pending,
                follow_id.as_str(),
            )
            .await?;
        q.enqueue_activity(
            follow_id.as_str(),
            "Follow",
            org.id,
            &body,
            std::slice::from_ref(&followee.inbox_url),
        )
        .await?;
        Ok(row)
    })?;
    data.delivery_wakeup.notify_one();
    Ok((row, followee))
}

/// Our organisation stops following (or withdraws its request): `Undo{Follow}`.
pub async fn unfollow(ctx: &Kuvend, org_username: &str, target: &str) -> ServiceResult<ActorRow> {
    let org = local_account(ctx, org_username).await?;
    let followee = super::accounts::known_account_or_404(ctx, target).await?;
    let existing = {
        let mut conn = ctx.db.conn().await?;
        conn.q().follow_between(org.id, followee.id).await?
    }
    .ok_or_else(|| {
        ServiceError::NotFound(format!(
            "{} does not follow {}",
            org.username,
            followee.handle()
        ))
    })?;
    let (undo_id, body) = response_body(
        ctx,
        "Undo",
        &org,
        follow_json(&existing.follow_ap_id, &org, &followee)?,
    )?;
    transaction!(ctx.db, |q| {
        q.delete_follow(existing.id).await?;
        q.clear_home_feed_of(org.id, followee.id).await?;
        queue_follow_response(&mut q, "Undo", &undo_id, &org, &followee, &body).await
    })?;
    ctx.delivery_wakeup.notify_one();
    Ok(followee)
}

/// The actors an organisation follows or asked to follow.
pub async fn following(
    ctx: &Kuvend,
    org_username: &str,
) -> ServiceResult<Vec<(FollowRow, ActorRow)>> {
    let org = local_account(ctx, org_username).await?;
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().following(org.id).await?)
}

/// An organisation's followers, or its pending follow requests.
pub async fn followers(
    ctx: &Kuvend,
    org_username: &str,
    pending: bool,
) -> ServiceResult<Vec<(FollowRow, ActorRow)>> {
    let org = local_account(ctx, org_username).await?;
    let state = if pending {
        FollowState::Pending
    } else {
        FollowState::Accepted
    };
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().followers(org.id, state).await?)
}

/// Approves a pending follow request: the follow becomes accepted and an
/// `Accept` is queued to the follower.
pub async fn approve(ctx: &Kuvend, org_username: &str, actor: &str) -> ServiceResult<ActorRow> {
    let org = local_account(ctx, org_username).await?;
    let follower = super::accounts::known_account_or_404(ctx, actor).await?;
    let request = {
        let mut conn = ctx.db.conn().await?;
        conn.q().follow_between(follower.id, org.id).await?
    }
    .filter(|f| f.state() == FollowState::Pending)
    .ok_or_else(|| {
        ServiceError::NotFound(format!(
            "no pending follow request from {}",
            follower.handle()
        ))
    })?;
    let (accept_id, body) = response_body(
        ctx,
        "Accept",
        &org,
        follow_json(&request.follow_ap_id, &follower, &org)?,
    )?;
    transaction!(ctx.db, |q| {
        q.set_follow_state(request.id, FollowState::Accepted)
            .await?;
        queue_follow_response(&mut q, "Accept", &accept_id, &org, &follower, &body).await
    })?;
    ctx.delivery_wakeup.notify_one();
    Ok(follower)
}

/// Rejects a follow request, or removes an accepted follower: the follow is
/// deleted and a `Reject` queued to the follower.
pub async fn reject(ctx: &Kuvend, org_username: &str, actor: &str) -> ServiceResult<ActorRow> {
    let org = local_account(ctx, org_username).await?;
    let follower = super::accounts::known_account_or_404(ctx, actor).await?;
    let request = {
        let mut conn = ctx.db.conn().await?;
        conn.q().follow_between(follower.id, org.id).await?
    }
    .ok_or_else(|| {
        ServiceError::NotFound(format!(
            "{} does not follow {}",
            follower.handle(),
            org.username
        ))
    })?;
    let (reject_id, body) = response_body(
        ctx,
        "Reject",
        &org,
        follow_json(&request.follow_ap_id, &follower, &org)?,
    )?;
    transaction!(ctx.db, |q| {
        q.delete_follow(request.id).await?;
        queue_follow_response(&mut q, "Reject", &reject_id, &org, &follower, &body).await
    })?;
    ctx.delivery_wakeup.notify_one();
    Ok(follower)
}

/// Answers a remote `Follow` of a local actor: accepted at once (with an
/// `Accept` queued), or left pending for approval. Runs inside the inbox's
/// transaction.
pub(crate) async fn receive_follow(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    follower: &ActorRow,
    followee: &ActorRow,
    follow: FollowJson,
) -> ServiceResult<()> {
    let existing = q.follow_between(follower.id, followee.id).await?;
    let already_accepted = existing.is_some_and(|f| f.state() == FollowState::Accepted);
    if followee.manually_approves_followers && !already_accepted {
        q.put_follow(
            follower.id,
            followee.id,
            FollowState::Pending,
            follow.id.as_str(),
        )
        .await?;
        q.notify(followee.id, "follow_request", follower.id, None)
            .await?;
        return Ok(());
    }
    q.put_follow(
        follower.id,
        followee.id,
        FollowState::Accepted,
        follow.id.as_str(),
    )
    .await?;
    if !already_accepted {
        q.notify(followee.id, "follow", follower.id, None).await?;
    }
    let (accept_id, body) = response_body(ctx, "Accept", followee, follow)?;
    queue_follow_response(q, "Accept", &accept_id, followee, follower, &body).await?;
    Ok(())
}
