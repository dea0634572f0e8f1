//! Instance health and pruning (issue 15 item 7): what operators see of
//! other instances, giving one another chance, and deleting finished
//! queue rows and old received activity ids.

use super::{ServiceError, ServiceResult};
use crate::{
    context::Kuvend,
    storage::{
        now,
        reports::{InstanceHealth, Pruned},
    },
    transaction,
};
use chrono::NaiveDateTime;
use std::time::Duration;
use tokio::sync::watch;

/// Rows deleted per transaction: short enough that no prune holds SQLite's
/// writer (or PostgreSQL's row locks) for long.
const PRUNE_BATCH: i64 = 1000;

/// Known instances, by domain; only unavailable ones if asked.
pub async fn instances(ctx: &Kuvend, only_unavailable: bool) -> ServiceResult<Vec<InstanceHealth>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().instances_health(only_unavailable).await?)
}

/// Known instances that a domain block or the allow-list refuses (or
/// limits), each with what does: the block's severity (`suspend`,
/// `silence`, `noop`, with `reject-media`) or `not allow-listed`.
pub async fn blocked_instances(
    ctx: &Kuvend,
    only_unavailable: bool,
) -> ServiceResult<Vec<(InstanceHealth, String)>> {
    let policy = ctx.policy().await;
    Ok(instances(ctx, only_unavailable)
        .await?
        .into_iter()
        .filter_map(|item| {
            let host = item.instance.domain.as_str();
            let why = match policy.block(host) {
                Some(block) if block.reject_media => {
                    format!("{}, reject-media", block.severity.as_str())
                }
                Some(block) => block.severity.as_str().to_string(),
                None => {
                    policy.refusal(host)?;
                    "not allow-listed".to_string()
                }
            };
            Some((item, why))
        })
        .collect())
}

/// Marks `host` available and its pending deliveries due now; returns how
/// many were made due. The worker (which polls) tries them at once.
pub async fn clear_instance(ctx: &Kuvend, host: &str) -> ServiceResult<usize> {
    let host = host.trim().to_lowercase();
    let due = transaction!(ctx.db, |q| q.clear_instance(&host).await)?
        .ok_or_else(|| ServiceError::NotFound(format!("no known instance {host}")))?;
    ctx.delivery_wakeup.notify_one();
    Ok(due)
}

/// Deletes finished deliveries and received activity ids older than the
/// configured ages (an age of 0 keeps them).
pub async fn prune(ctx: &Kuvend) -> ServiceResult<Pruned> {
    let settings = &ctx.settings.maintenance;
    let before = |days: u32| (days > 0).then(|| now() - chrono::Duration::days(i64::from(days)));
    prune_before(
        ctx,
        before(settings.prune_delivered_days),
        before(settings.prune_received_days),
    )
    .await
}

/// Deletes finished deliveries last changed before `deliveries`, and
/// received activity ids recorded before `received` (`None`: none),
/// batch by batch, each batch its own transaction.
pub async fn prune_before(
    ctx: &Kuvend,
    deliveries: Option<NaiveDateTime>,
    received: Option<NaiveDateTime>,
) -> ServiceResult<Pruned> {
    let mut pruned = Pruned::default();
    if let Some(before) = deliveries {
        loop {
            let n = transaction!(ctx.db, |q| q
                .prune_finished_deliveries(before, PRUNE_BATCH)
                .await)?;
            pruned.deliveries += n;
            if (n as i64) < PRUNE_BATCH {
                break;
            }
        }
    }
    if let Some(before) = received {
        loop {
            let n = transaction!(ctx.db, |q| q
                .prune_received_activities(before, PRUNE_BATCH)
                .await)?;
            pruned.received += n;
            if (n as i64) < PRUNE_BATCH {
                break;
            }
        }
    }
    Ok(pruned)
}

/// The server's background prune, every `prune_interval_minutes` (the
/// first a minute after start, so that starting stays quick).
pub async fn prune_periodically(ctx: Kuvend, mut shutdown: watch::Receiver<bool>) {
    let minutes = ctx.settings.maintenance.prune_interval_minutes;
    if minutes == 0 {
        return;
    }
    let mut wait = Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
        match prune(&ctx).await {
            Ok(pruned) => tracing::info!(
                deliveries = pruned.deliveries,
                received = pruned.received,
                "pruned"
            ),
            Err(error) => tracing::warn!(%error, "pruning"),
        }
        // The remote media cache, by age and total size (issue 16).
        match super::media_proxy::prune(&ctx, None).await {
            Ok(pruned) => tracing::info!(
                files = pruned.files,
                bytes = pruned.bytes,
                "pruned remote media"
            ),
            Err(error) => tracing::warn!(%error, "pruning remote media"),
        }
        wait = Duration::from_secs(minutes.saturating_mul(60));
    }
}
