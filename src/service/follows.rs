//! Follows in both directions: remote actors following our organisations, and
//! our organisations following remote actors.

use super::{ServiceError, ServiceResult, orgs::local_account};
use super::{
    acting::Acting,
    outbox::{Audience, Outbox},
};
use crate::model::FollowState;
use crate::model::Role;
use crate::{
    context::Kuvend,
    federation::{
        FedData,
        actors::actor_by_url,
        fetch,
        outgoing::{self, FollowAnswer},
    },
    storage::{
        Q,
        models::{ActorRow, FollowRow},
    },
    transaction,
};
use url::Url;

fn outgoing(error: crate::federation::FederationError) -> ServiceError {
    ServiceError::Internal(error.into())
}

/// Finds a remote actor by handle (`user@host`, `@user@host`) or URL, asking
/// its server if it is not known yet.
pub async fn resolve_remote_actor(data: &FedData, target: &str) -> ServiceResult<ActorRow> {
    let target = target.trim();
    let actor = if target.starts_with("https://") || target.starts_with("http://") {
        let id = Url::parse(target)
            .map_err(|_| ServiceError::Unprocessable(format!("{target:?} is not a valid URL")))?;
        actor_by_url(data, &id).await?
    } else {
        let handle = target.trim_start_matches('@');
        if handle.split('@').count() != 2 || handle.split('@').any(str::is_empty) {
            return Err(ServiceError::Unprocessable(format!(
                "{target:?} is neither a handle like user@host nor an actor URL"
            )));
        }
        let id = fetch::webfinger(data, handle)
            .await
            .map_err(crate::federation::FederationError::from)?;
        actor_by_url(data, &id).await?
    };
    if actor.local {
        return Err(ServiceError::Unprocessable(format!(
            "{target} is on this instance, not a remote actor"
        )));
    }
    Ok(actor)
}

/// Our organisation asks to follow an actor. A remote one gets a `Follow`
/// and the follow is pending until its `Accept`; a local one answers at
/// once, by the same rules as a remote follow (accepted, or pending for
/// approval), in the same transaction.
pub async fn follow(
    data: &FedData,
    org_username: &str,
    target: &str,
) -> ServiceResult<(FollowRow, ActorRow)> {
    let org = local_account(data, org_username).await?;
    follow_as(data, &Acting::admin(org), target).await
}

/// As [`follow`], for whoever acts (an owner decides whom the account follows).
pub async fn follow_as(
    data: &FedData,
    acting: &Acting,
    target: &str,
) -> ServiceResult<(FollowRow, ActorRow)> {
    let org = acting.require(Role::Owner)?.clone();
    // Gancio instances and Mobilizon relays are `Application` actors that
    // organisations follow for their events: account searches leave such
    // actors out, a follow by handle or URL does not.
    let followee = match super::accounts::find_account(data, target, true).await? {
        Some(found) => found,
        None => resolve_remote_actor(data, target).await.map_err(|e| {
            ServiceError::NotFound(format!("no account {:?} found: {e}", target.trim()))
        })?,
    };
    if followee.id == org.id {
        return Err(ServiceError::Unprocessable(
            "an account cannot follow itself".into(),
        ));
    }
    {
        let mut conn = data.db.conn().await?;
        if let Some(existing) = conn.q().follow_between(org.id, followee.id).await? {
            if existing.state() == FollowState::Accepted {
                // Asked for by hand, the follow is the operator's now: a
                // coalition's campaign that made it will not undo it.
                conn.q().unmark_campaign_follow(existing.id).await?;
                return Err(ServiceError::Conflict(format!(
                    "{} already follows {}",
                    org.username,
                    followee.handle()
                )));
            }
        }
    }
    let follow = outgoing::follow(&data.urls, &org, &followee).map_err(outgoing)?;
    let mut outbox = Outbox::default();
    let row = transaction!(data.db, ServiceError, |q| {
        q.put_follow(
            org.id,
            followee.id,
            FollowState::Pending,
            follow.id.as_str(),
        )
        .await?;
        outbox
            .queue(&mut q, &org, &follow, &[Audience::InboxOf(&followee)])
            .await?;
        if followee.local {
            receive_follow(data, &mut q, &org, &followee, follow.id.as_str()).await?;
        }
        q.follow_between(org.id, followee.id)
            .await?
            .ok_or_else(|| ServiceError::NotFound("the follow vanished".into()))
    })?;
    outbox.committed(data);
    Ok((row, followee))
}

/// Our organisation stops following (or withdraws its request): `Undo{Follow}`.
pub async fn unfollow(ctx: &Kuvend, org_username: &str, target: &str) -> ServiceResult<ActorRow> {
    let org = local_account(ctx, org_username).await?;
    unfollow_as(ctx, &Acting::admin(org), target).await
}

/// As [`unfollow`], for whoever acts (owners).
pub async fn unfollow_as(ctx: &Kuvend, acting: &Acting, target: &str) -> ServiceResult<ActorRow> {
    let org = acting.require(Role::Owner)?.clone();
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
    let undo = outgoing::undo_follow(&ctx.urls, &org, &followee, &existing.follow_ap_id)
        .map_err(outgoing)?;
    let mut outbox = Outbox::default();
    transaction!(ctx.db, |q| {
        q.delete_follow(existing.id).await?;
        q.clear_home_feed_of(org.id, followee.id).await?;
        outbox
            .queue(&mut q, &org, &undo, &[Audience::InboxOf(&followee)])
            .await
    })?;
    outbox.committed(ctx);
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
    approve_as(ctx, &Acting::admin(org), actor).await
}

/// As [`approve`], for whoever acts (owners decide who follows).
pub async fn approve_as(ctx: &Kuvend, acting: &Acting, actor: &str) -> ServiceResult<ActorRow> {
    let org = acting.require(Role::Owner)?.clone();
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
    let accept = outgoing::answer_follow(
        &ctx.urls,
        FollowAnswer::Accept,
        &org,
        &follower,
        &request.follow_ap_id,
    )
    .map_err(outgoing)?;
    let mut outbox = Outbox::default();
    transaction!(ctx.db, |q| {
        q.set_follow_state(request.id, FollowState::Accepted)
            .await?;
        // A local follower's home timeline gets the posts at once.
        q.backfill_home_feed(follower.id, org.id).await?;
        outbox
            .queue(&mut q, &org, &accept, &[Audience::InboxOf(&follower)])
            .await
    })?;
    outbox.committed(ctx);
    Ok(follower)
}

/// Rejects a follow request, or removes an accepted follower: the follow is
/// deleted and a `Reject` queued to the follower.
pub async fn reject(ctx: &Kuvend, org_username: &str, actor: &str) -> ServiceResult<ActorRow> {
    let org = local_account(ctx, org_username).await?;
    reject_as(ctx, &Acting::admin(org), actor).await
}

/// As [`reject`], for whoever acts (owners decide who follows).
pub async fn reject_as(ctx: &Kuvend, acting: &Acting, actor: &str) -> ServiceResult<ActorRow> {
    let org = acting.require(Role::Owner)?.clone();
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
    let reject = outgoing::answer_follow(
        &ctx.urls,
        FollowAnswer::Reject,
        &org,
        &follower,
        &request.follow_ap_id,
    )
    .map_err(outgoing)?;
    let mut outbox = Outbox::default();
    transaction!(ctx.db, |q| {
        q.delete_follow(request.id).await?;
        q.clear_home_feed_of(follower.id, org.id).await?;
        outbox
            .queue(&mut q, &org, &reject, &[Audience::InboxOf(&follower)])
            .await
    })?;
    outbox.committed(ctx);
    Ok(follower)
}

/// Refuses a follow with a `Reject`, so the follower's server does not keep
/// showing a pending request (docs/security.md). Nothing is recorded and
/// nobody notified.
pub(crate) async fn reject_follow(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    follower: &ActorRow,
    followee: &ActorRow,
    follow_ap_id: &str,
) -> ServiceResult<()> {
    let reject = outgoing::answer_follow(
        &ctx.urls,
        FollowAnswer::Reject,
        followee,
        follower,
        follow_ap_id,
    )
    .map_err(outgoing)?;
    Outbox::default()
        .queue(q, followee, &reject, &[Audience::InboxOf(follower)])
        .await?;
    Ok(())
}

/// Answers a `Follow` of a local actor, from another instance (in the
/// inbox's transaction) or from this one (in the follower's): accepted at
/// once, with an `Accept` queued, or left pending for approval. A local
/// follower's home timeline is filled on acceptance, as an `Accept` arriving
/// for it would.
pub(crate) async fn receive_follow(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    follower: &ActorRow,
    followee: &ActorRow,
    follow_ap_id: &str,
) -> ServiceResult<()> {
    if super::blocks::blocks(q, followee.id, follower).await? {
        return reject_follow(ctx, q, follower, followee, follow_ap_id).await;
    }
    let existing = q.follow_between(follower.id, followee.id).await?;
    let already_accepted = existing.is_some_and(|f| f.state() == FollowState::Accepted);
    if followee.manually_approves_followers && !already_accepted {
        q.put_follow(follower.id, followee.id, FollowState::Pending, follow_ap_id)
            .await?;
        q.notify(followee.id, "follow_request", follower.id, None)
            .await?;
        return Ok(());
    }
    q.put_follow(
        follower.id,
        followee.id,
        FollowState::Accepted,
        follow_ap_id,
    )
    .await?;
    if !already_accepted {
        q.notify(followee.id, "follow", follower.id, None).await?;
        if follower.local {
            q.backfill_home_feed(follower.id, followee.id).await?;
        }
    }
    let accept = outgoing::answer_follow(
        &ctx.urls,
        FollowAnswer::Accept,
        followee,
        follower,
        follow_ap_id,
    )
    .map_err(outgoing)?;
    // The inbox wakes the delivery worker once its batch has committed; a
    // local follower is sent nothing.
    Outbox::default()
        .queue(q, followee, &accept, &[Audience::InboxOf(follower)])
        .await?;
    Ok(())
}
