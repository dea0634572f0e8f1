//! An organisation's blocks and mutes (issue 15, organisation half): an
//! owner's decision, from the command line or Mastodon's API. A block of a
//! remote actor, or of a whole domain with its subdomains:
//! - removes the follows both ways (the organisation's own follow with an
//!   `Undo{Follow}`), and refuses new ones (the inbox answers `Reject`);
//! - hides the blocked party's replies and mentions from the organisation's
//!   pages, notifications and threads (what is stored stays);
//! - refuses its signed fetches of the organisation's documents (403);
//! - leaves it out of deliveries addressed to it (mentions, replies);
//! - sends a `Block` only when `federation.send_blocks` is on.
//!
//! A mute hides the actor's posts from the home timeline and, with
//! `notifications`, its notifications; nothing is federated.

use super::{
    ServiceError, ServiceResult,
    acting::Acting,
    follows::resolve_remote_actor,
    outbox::{Audience, Outbox},
};
use crate::{
    context::Kuvend,
    federation::{FedData, outgoing},
    model::Role,
    storage::{
        Q,
        blocks::{NewBlock, domain_covers},
        models::ActorRow,
    },
    transaction,
};

/// The kinds of block and mute, and their rows, as the HTTP layer and the
/// command line read them.
pub use crate::storage::blocks::{BLOCK, BlockRow, DOMAIN_BLOCK, MUTE};

/// Longest host name (RFC 1035).
const DOMAIN_MAX: usize = 253;

fn outgoing_error(error: crate::federation::FederationError) -> ServiceError {
    ServiceError::Internal(error.into())
}

/// What an owner blocks: one actor, or a domain and its subdomains.
pub enum Target {
    /// Boxed: an actor row is large beside a domain's name.
    Actor(Box<ActorRow>),
    Domain(String),
}

impl Target {
    pub fn describe(&self) -> String {
        match self {
            Target::Actor(actor) => actor.handle(),
            Target::Domain(domain) => domain.clone(),
        }
    }
}

/// A host name as a domain block takes it: lowercased, letters, digits,
/// dots and hyphens, at least one dot, not ours. Anything else (a path, a
/// port, a scheme, spaces) is refused rather than guessed at.
pub fn parse_domain(ctx: &Kuvend, text: &str) -> ServiceResult<String> {
    // The instance's own domain parser (IDNA, case, trailing dot); an
    // organisation's block covers a host whatever its port.
    let domain = crate::federation::domain_policy::normalize_domain(text)
        .ok()
        .filter(|d| d.len() <= DOMAIN_MAX && d.contains('.'))
        .map(|d| match d.rsplit_once(':') {
            Some((host, _)) => host.to_string(),
            None => d,
        })
        .ok_or_else(|| {
            ServiceError::Unprocessable(format!(
                "{:?} is neither a handle like user@host, an actor URL nor a domain",
                text.trim()
            ))
        })?;
    if domain_covers(&domain, &ctx.settings.instance.domain.to_ascii_lowercase()) {
        return Err(ServiceError::Unprocessable(format!(
            "{domain} is this instance's own domain"
        )));
    }
    Ok(domain)
}

/// Reads a block's target: a handle or actor URL is an actor (asked of its
/// server when unknown), a bare host a domain. Local actors are refused: an
/// organisation's staff settle things on their own instance.
pub async fn parse_target(data: &FedData, text: &str) -> ServiceResult<Target> {
    let trimmed = text.trim();
    let is_actor = trimmed.starts_with("https://")
        || trimmed.starts_with("http://")
        || trimmed.trim_start_matches('@').contains('@');
    if !is_actor {
        return Ok(Target::Domain(parse_domain(data, trimmed)?));
    }
    let actor = match super::accounts::known_account(data, trimmed).await? {
        Some(actor) => actor,
        None => resolve_remote_actor(data, trimmed).await?,
    };
    if actor.local {
        return Err(ServiceError::Unprocessable(format!(
            "{} is on this instance: only remote actors and domains can be blocked",
            actor.handle()
        )));
    }
    Ok(Target::Actor(Box::new(actor)))
}

/// Whether `account` blocks `actor`, by name or by domain.
pub async fn blocks(q: &mut Q<'_>, account_id: i64, actor: &ActorRow) -> ServiceResult<bool> {
    if actor.local {
        return Ok(false);
    }
    Ok(q.blocks_concerning(account_id, actor)
        .await?
        .iter()
        .any(|r| r.kind == BLOCK || r.kind == DOMAIN_BLOCK))
}

/// What `account` decided about `actor`, for Mastodon's Relationship.
#[derive(Debug, Default, Clone, Copy)]
pub struct Decided {
    pub blocking: bool,
    pub domain_blocking: bool,
    pub muting: bool,
    pub muting_notifications: bool,
}

pub async fn decided(q: &mut Q<'_>, account_id: i64, actor: &ActorRow) -> ServiceResult<Decided> {
    let mut out = Decided::default();
    for row in q.blocks_concerning(account_id, actor).await? {
        match row.kind.as_str() {
            BLOCK => out.blocking = true,
            DOMAIN_BLOCK => out.domain_blocking = true,
            MUTE => {
                out.muting = true;
                out.muting_notifications = row.notifications;
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The accounts and domains `account` blocks (by name, by domain), loaded
/// once for filtering a list in memory (a thread's replies).
pub struct Hidden {
    rows: Vec<BlockRow>,
}

impl Hidden {
    pub async fn of(q: &mut Q<'_>, account_id: i64) -> crate::storage::StorageResult<Hidden> {
        // An organisation's block list is short (a few dozen at most), so
        // reading it whole is cheaper than asking per reply.
        let rows = q
            .blocks_of(account_id, &[BLOCK, DOMAIN_BLOCK], None, i64::MAX)
            .await?;
        Ok(Hidden { rows })
    }

    pub fn hides(&self, actor: &ActorRow) -> bool {
        !actor.local
            && self.rows.iter().any(|r| match r.kind.as_str() {
                DOMAIN_BLOCK => domain_covers(&r.target, &actor.domain),
                _ => r.target_actor_id == Some(actor.id),
            })
    }
}

/// Removes the follows between `account` and `other` both ways, in `q`'s
/// transaction; the account's own follow is undone with an `Undo{Follow}`.
async fn sever(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    account: &ActorRow,
    other: &ActorRow,
) -> ServiceResult<()> {
    if let Some(theirs) = q.follow_between(other.id, account.id).await? {
        q.delete_follow(theirs.id).await?;
    }
    if let Some(ours) = q.follow_between(account.id, other.id).await? {
        let undo = outgoing::undo_follow(&ctx.urls, account, other, &ours.follow_ap_id)
            .map_err(outgoing_error)?;
        q.delete_follow(ours.id).await?;
        q.clear_home_feed_of(account.id, other.id).await?;
        // Straight to its inbox: the block leaves it out of addressed
        // deliveries, not out of being told we stopped following.
        outbox
            .queue(q, account, &undo, &[Audience::InboxOf(other)])
            .await?;
    }
    Ok(())
}

/// The organisation `acting` blocks `target` (an owner's decision).
pub async fn block_as(data: &FedData, acting: &Acting, target: &str) -> ServiceResult<Target> {
    let account = acting.require(Role::Owner)?.clone();
    let target = parse_target(data, target).await?;
    block_target(data, &account, target).await
}

/// Records the block and applies its effects (see the module).
pub async fn block_target(
    ctx: &Kuvend,
    account: &ActorRow,
    target: Target,
) -> ServiceResult<Target> {
    let send_blocks = ctx.settings.federation.send_blocks;
    let mut outbox = Outbox::default();
    match &target {
        Target::Actor(actor) => {
            let block = if send_blocks {
                Some(outgoing::block(&ctx.urls, account, actor).map_err(outgoing_error)?)
            } else {
                None
            };
            transaction!(ctx.db, ServiceError, |q| {
                let existing = q.blocks_concerning(account.id, actor).await?;
                let already = existing.iter().find(|r| r.kind == BLOCK);
                q.put_block(&NewBlock {
                    account_id: account.id,
                    kind: BLOCK,
                    target_actor_id: Some(actor.id),
                    subdomain_pattern: None,
                    target: &actor.ap_id,
                    notifications: true,
                    expires_at: None,
                    activity_ap_id: match already {
                        // Blocked before: the Block sent then stands.
                        Some(row) => row.activity_ap_id.as_deref(),
                        None => block.as_ref().map(|b| b.id.as_str()),
                    },
                })
                .await?;
                sever(ctx, &mut q, &mut outbox, account, actor).await?;
                if let (Some(block), None) = (&block, already) {
                    outbox
                        .queue(&mut q, account, block, &[Audience::InboxOf(actor)])
                        .await?;
                }
                Ok(())
            })?;
        }
        Target::Domain(domain) => {
            let pattern = format!("%.{domain}");
            transaction!(ctx.db, ServiceError, |q| {
                q.put_block(&NewBlock {
                    account_id: account.id,
                    kind: DOMAIN_BLOCK,
                    target_actor_id: None,
                    subdomain_pattern: Some(&pattern),
                    target: domain,
                    notifications: true,
                    expires_at: None,
                    activity_ap_id: None,
                })
                .await?;
                // Every actor we know there; Mastodon sends no Block for a
                // domain block, nor do we.
                for actor in q.actors_blocked_by(account.id).await? {
                    if domain_covers(domain, &actor.domain) {
                        sever(ctx, &mut q, &mut outbox, account, &actor).await?;
                    }
                }
                Ok(())
            })?;
        }
    }
    outbox.committed(ctx);
    Ok(target)
}

/// Lifts a block; an `Undo{Block}` goes to the actor if a `Block` was sent.
/// Follows removed by the block stay removed.
pub async fn unblock_as(data: &FedData, acting: &Acting, target: &str) -> ServiceResult<Target> {
    let account = acting.require(Role::Owner)?.clone();
    let target = parse_target(data, target).await?;
    unblock_target(data, &account, target).await
}

pub async fn unblock_target(
    ctx: &Kuvend,
    account: &ActorRow,
    target: Target,
) -> ServiceResult<Target> {
    let mut outbox = Outbox::default();
    let (kind, key) = match &target {
        Target::Actor(actor) => (BLOCK, actor.ap_id.clone()),
        Target::Domain(domain) => (DOMAIN_BLOCK, domain.clone()),
    };
    let removed = transaction!(ctx.db, ServiceError, |q| {
        let Some(row) = q.delete_block(account.id, kind, &key).await? else {
            return Ok(false);
        };
        if let (Target::Actor(actor), Some(block_id)) = (&target, row.activity_ap_id.as_deref()) {
            let undo = outgoing::undo_block(&ctx.urls, account, actor, block_id)
                .map_err(outgoing_error)?;
            outbox
                .queue(&mut q, account, &undo, &[Audience::InboxOf(actor)])
                .await?;
        }
        Ok(true)
    })?;
    if !removed {
        return Err(ServiceError::NotFound(format!(
            "{} does not block {}",
            account.username,
            target.describe()
        )));
    }
    outbox.committed(ctx);
    Ok(target)
}

/// Mastodon's mute: `notifications` hides its notifications too, and
/// `duration` (seconds, 0 for ever) ends it by itself.
pub async fn mute_as(
    ctx: &Kuvend,
    acting: &Acting,
    actor: &ActorRow,
    notifications: bool,
    duration_secs: i64,
) -> ServiceResult<()> {
    let account = acting.require(Role::Owner)?.clone();
    if actor.id == account.id {
        return Err(ServiceError::Unprocessable(
            "an account cannot mute itself".into(),
        ));
    }
    if duration_secs < 0 {
        return Err(ServiceError::Unprocessable(
            "duration must be 0 or a number of seconds".into(),
        ));
    }
    let expires_at = (duration_secs > 0).then(|| {
        crate::storage::now() + chrono::Duration::seconds(duration_secs.min(i64::from(i32::MAX)))
    });
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .put_block(&NewBlock {
            account_id: account.id,
            kind: MUTE,
            target_actor_id: Some(actor.id),
            subdomain_pattern: None,
            target: &actor.ap_id,
            notifications,
            expires_at,
            activity_ap_id: None,
        })
        .await?;
    Ok(())
}

pub async fn unmute_as(ctx: &Kuvend, acting: &Acting, actor: &ActorRow) -> ServiceResult<()> {
    let account = acting.require(Role::Owner)?.clone();
    let mut conn = ctx.db.conn().await?;
    conn.q()
        .delete_block(account.id, MUTE, &actor.ap_id)
        .await?;
    Ok(())
}

/// Blocks by actor and block from Mastodon's API: an actor block by id.
pub async fn block_actor_as(ctx: &Kuvend, acting: &Acting, actor: ActorRow) -> ServiceResult<()> {
    let account = acting.require(Role::Owner)?.clone();
    if actor.local {
        return Err(ServiceError::Unprocessable(
            "only remote accounts can be blocked".into(),
        ));
    }
    block_target(ctx, &account, Target::Actor(Box::new(actor))).await?;
    Ok(())
}

pub async fn unblock_actor_as(ctx: &Kuvend, acting: &Acting, actor: ActorRow) -> ServiceResult<()> {
    let account = acting.require(Role::Owner)?.clone();
    // Mastodon answers an unblock of someone not blocked with the
    // relationship as it is, not an error.
    match unblock_target(ctx, &account, Target::Actor(Box::new(actor))).await {
        Ok(_) | Err(ServiceError::NotFound(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

/// A domain block from Mastodon's API.
pub async fn block_domain_as(ctx: &Kuvend, acting: &Acting, domain: &str) -> ServiceResult<()> {
    let account = acting.require(Role::Owner)?.clone();
    let domain = parse_domain(ctx, domain)?;
    block_target(ctx, &account, Target::Domain(domain)).await?;
    Ok(())
}

pub async fn unblock_domain_as(ctx: &Kuvend, acting: &Acting, domain: &str) -> ServiceResult<()> {
    let account = acting.require(Role::Owner)?.clone();
    let domain = parse_domain(ctx, domain)?;
    match unblock_target(ctx, &account, Target::Domain(domain)).await {
        Ok(_) | Err(ServiceError::NotFound(_)) => Ok(()),
        Err(other) => Err(other),
    }
}

/// A page of an account's rows of `kinds`, newest first, with the actor
/// each names (domain blocks have none).
pub async fn list(
    ctx: &Kuvend,
    account: &ActorRow,
    kinds: &[&str],
    max_id: Option<i64>,
    limit: i64,
) -> ServiceResult<Vec<(BlockRow, Option<ActorRow>)>> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let rows = q.blocks_of(account.id, kinds, max_id, limit).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if !row.in_force() {
            continue;
        }
        let actor = match row.target_actor_id {
            Some(id) => q.actor_by_id(id).await.ok(),
            None => None,
        };
        out.push((row, actor));
    }
    Ok(out)
}

/// An organisation's blocks for the command line: each as its target.
pub async fn list_for(
    ctx: &Kuvend,
    org_username: &str,
) -> ServiceResult<Vec<(BlockRow, Option<ActorRow>)>> {
    let org = super::orgs::local_account(ctx, org_username).await?;
    list(ctx, &org, &[BLOCK, DOMAIN_BLOCK, MUTE], None, i64::MAX).await
}

/// The answer to a signed fetch of an organisation's documents by an actor
/// it blocks.
pub fn refused_fetch() -> ServiceError {
    ServiceError::Forbidden("the owner of this document blocks you".into())
}

/// Refuses `viewer`'s fetch of `owner`'s documents (collections, outbox)
/// when `owner` blocks it.
pub async fn check_fetch(
    ctx: &Kuvend,
    owner_username: &str,
    viewer: Option<&ActorRow>,
) -> ServiceResult<()> {
    let Some(viewer) = viewer else {
        return Ok(());
    };
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let Some(owner) = q.local_actor_by_username(owner_username).await? else {
        // Unknown accounts are the handler's 404 to give.
        return Ok(());
    };
    if blocks(&mut q, owner.id, viewer).await? {
        return Err(refused_fetch());
    }
    Ok(())
}

/// `kuvend admin block`: the operator acts as an owner of the organisation.
pub async fn block(data: &FedData, org_username: &str, target: &str) -> ServiceResult<Target> {
    let org = super::orgs::local_account(data, org_username).await?;
    block_as(data, &Acting::admin(org), target).await
}

/// `kuvend admin unblock`.
pub async fn unblock(data: &FedData, org_username: &str, target: &str) -> ServiceResult<Target> {
    let org = super::orgs::local_account(data, org_username).await?;
    unblock_as(data, &Acting::admin(org), target).await
}
