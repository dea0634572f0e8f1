//! The delivery worker: takes due deliveries from the persistent queue, signs
//! each with a fresh signature, POSTs it, and records the outcome. Services
//! never send; they queue (see `storage::Q::enqueue_activity`).

use crate::{
    context::Kuvend,
    federation::signatures,
    storage::{StorageError, deliveries::ClaimedDelivery, now},
    transaction,
};
use chrono::Duration as ChronoDuration;
use rand::Rng;
use std::time::{Duration, SystemTime};
use tokio::{sync::watch, task::JoinSet};
use url::Url;

/// How often an idle worker looks for deliveries queued by another process
/// (the admin CLI, or another kuvend process on the same PostgreSQL).
const POLL_INTERVAL: Duration = Duration::from_millis(500);

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered(u16),
    /// Worth trying again later: network errors, 5xx, 401, 408, 429.
    Retry(Option<u16>, String),
    /// Another attempt would get the same answer: redirects, other 4xx, and
    /// faults on our side such as a signer without a key.
    Final(Option<u16>, String),
}

/// Classifies an HTTP status as Mastodon does for its own deliveries.
pub fn classify(status: u16) -> Outcome {
    match status {
        200..=299 => Outcome::Delivered(status),
        401 | 408 | 429 => Outcome::Retry(Some(status), format!("HTTP {status}")),
        300..=499 => Outcome::Final(Some(status), format!("HTTP {status}")),
        _ => Outcome::Retry(Some(status), format!("HTTP {status}")),
    }
}

/// The wait before attempt `attempts + 1`: 10 s doubling up to 6 h, with ±10 %
/// jitter so that many deliveries to one recovering server spread out.
pub fn backoff(attempts: i32) -> Duration {
    let base = 10u64
        .saturating_mul(1u64 << attempts.clamp(0, 16) as u32)
        .min(6 * 3600);
    let jitter = rand::thread_rng().gen_range(0.9..1.1);
    Duration::from_secs_f64(base as f64 * jitter)
}

/// Runs until `shutdown` turns true, then waits for the deliveries in flight.
///
/// Up to `delivery_concurrency` deliveries are in flight at once, each its own
/// task. Free slots are refilled as soon as a quarter of them are free, not
/// when a whole batch has finished, so an inbox that hangs until the request
/// timeout holds one slot and never the deliveries claimed beside it.
pub async fn run_worker(ctx: Kuvend, mut shutdown: watch::Receiver<bool>) {
    let concurrency = ctx.settings.federation.delivery_concurrency;
    let refill_at = (concurrency / 4).max(1);
    // A lease outlives one request (which times out) with a margin; a process
    // killed mid-send leaves its claimed deliveries to others after that.
    let lease = ChronoDuration::seconds(ctx.settings.federation.request_timeout_secs as i64 + 15);
    let mut in_flight = JoinSet::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        while in_flight.try_join_next().is_some() {}
        let free = concurrency.saturating_sub(in_flight.len());
        if free < refill_at {
            tokio::select! {
                _ = in_flight.join_next() => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        let claimed: Result<Vec<ClaimedDelivery>, StorageError> =
            transaction!(ctx.db, |q| q.claim_due_deliveries(free as i64, lease).await);
        match claimed {
            Ok(batch) if !batch.is_empty() => {
                for claimed in batch {
                    let ctx = ctx.clone();
                    in_flight.spawn(async move { deliver(&ctx, claimed).await });
                }
                continue;
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "cannot read the delivery queue"),
        }
        tokio::select! {
            _ = ctx.delivery_wakeup.notified() => {}
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
            _ = shutdown.changed() => {}
        }
    }
    // Each ends within the request timeout; what they sent is recorded.
    while in_flight.join_next().await.is_some() {}
}

async fn deliver(ctx: &Kuvend, claimed: ClaimedDelivery) {
    let delivery = &claimed.delivery;
    let domain = Url::parse(&delivery.inbox_url)
        .map(|u| crate::federation::actors::authority(&u))
        .unwrap_or_default();
    let recorded = async {
        // An instance that failed for days is skipped until it speaks again.
        let unavailable = {
            let mut conn = ctx.db.conn().await?;
            conn.q().instance_unavailable(&domain).await?
        };
        // Not sent to a host we do not federate with (suspended, or not
        // allow-listed): given up with the reason, no request made.
        let refused = ctx.policy().await.refusal(&domain);
        let outcome = if let Some(reason) = refused {
            Outcome::Final(None, reason.to_string())
        } else if unavailable {
            Outcome::Final(None, "instance unavailable".into())
        } else {
            attempt(ctx, &claimed).await
        };
        // The outcome and the instance's health in one transaction: one
        // commit per delivery, and SQLite's single writer taken once.
        transaction!(ctx.db, |q| match &outcome {
            Outcome::Delivered(status) => {
                tracing::debug!(inbox = %delivery.inbox_url, status, "delivered");
                // Also records the instance's last success (issue 15 item 7).
                q.record_delivered_to(&domain).await?;
                q.mark_delivered(delivery.id, i32::from(*status)).await?;
                if claimed.activity_kind == "Invite" {
                    q.record_invite_outcome(&claimed.activity_ap_id, Ok(()))
                        .await?;
                }
                Ok(())
            }
            Outcome::Retry(status, error) | Outcome::Final(status, error) => {
                let is_final = matches!(outcome, Outcome::Final(..));
                // Only failures of the instance itself count against it.
                if !is_final {
                    q.record_instance_failure(&domain, unavailable_after(ctx))
                        .await?;
                }
                let (next, give_up) = plan_retry(ctx, &claimed, error, is_final);
                q.record_failed_attempt(delivery.id, status.map(i32::from), error, next, give_up)
                    .await?;
                if give_up && claimed.activity_kind == "Invite" {
                    q.record_invite_outcome(
                        &claimed.activity_ap_id,
                        Err(&gave_up(delivery.attempts + 1, error)),
                    )
                    .await?;
                }
                Ok(())
            }
        })
    }
    .await;
    if let Err(error) = recorded {
        // The lease expires and the delivery is attempted again: delivered at
        // least once, never lost.
        tracing::error!(%error, delivery = delivery.id, "cannot record delivery outcome");
    }
}

/// Why an invitation is undeliverable, for the coalition's lead. The
/// outcome is written by the worker as it gives up (issue 13 item 3): an
/// `Invite` goes to one inbox, so its one delivery decides, and the
/// listing stays a plain read of the invitation rows. Only `Invite`s pay
/// for it, with one indexed update.
fn gave_up(attempts: i32, error: &str) -> String {
    let plural = if attempts == 1 { "" } else { "s" };
    format!("delivery gave up after {attempts} attempt{plural}: {error}")
}

/// How long an instance may fail without a success before it is skipped: the
/// same span a delivery is retried for.
fn unavailable_after(ctx: &Kuvend) -> ChronoDuration {
    ChronoDuration::hours(i64::from(ctx.settings.federation.delivery_give_up_hours))
}

/// When a failed delivery is tried next, and whether it is given up instead.
fn plan_retry(
    ctx: &Kuvend,
    claimed: &ClaimedDelivery,
    error: &str,
    is_final: bool,
) -> (chrono::NaiveDateTime, bool) {
    let delivery = &claimed.delivery;
    let wait = backoff(delivery.attempts);
    let next = now() + ChronoDuration::from_std(wait).unwrap_or(ChronoDuration::hours(6));
    let deadline = delivery.created_at + unavailable_after(ctx);
    let give_up = is_final || next > deadline;
    tracing::info!(inbox = %delivery.inbox_url, %error, give_up, "delivery failed");
    (next, give_up)
}

async fn attempt(ctx: &Kuvend, claimed: &ClaimedDelivery) -> Outcome {
    let url = match Url::parse(&claimed.delivery.inbox_url) {
        Ok(url) => url,
        Err(_) => return Outcome::Final(None, "inbox URL does not parse".into()),
    };
    let allow_private = ctx.settings.federation.allow_private_addresses;
    if let Err(error) = crate::federation::client::check_literal_address(&url, allow_private) {
        return Outcome::Final(None, error);
    }
    let signer = match ctx.db.conn().await {
        Ok(mut conn) => conn.q().actor_by_id(claimed.actor_id).await,
        Err(error) => Err(error),
    };
    let signer = match signer {
        Ok(actor) => actor,
        Err(error) => return Outcome::Retry(None, format!("cannot load signer: {error}")),
    };
    let Some(key) = signer
        .private_key_pem
        .as_deref()
        .and_then(|pem| ctx.keys.private_key(pem).ok())
    else {
        return Outcome::Final(None, "signer has no usable private key".into());
    };
    let body = claimed.body.as_bytes();
    let signed = match signatures::sign(
        &key,
        &signer.public_key_id,
        "POST",
        &url,
        Some(body),
        SystemTime::now(),
    ) {
        Ok(signed) => signed,
        Err(error) => return Outcome::Final(None, format!("cannot sign: {error}")),
    };
    let mut request = ctx
        .http
        .post(url)
        .header("content-type", "application/activity+json")
        .header("date", signed.date)
        .header("signature", signed.signature)
        .body(claimed.body.clone());
    if let Some(digest) = signed.digest {
        request = request.header("digest", digest);
    }
    match request.send().await {
        Ok(response) => classify(response.status().as_u16()),
        Err(error) => Outcome::Retry(None, crate::federation::client::error_chain(&error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified_like_mastodon() {
        assert_eq!(classify(202), Outcome::Delivered(202));
        for retry in [401, 408, 429, 500, 502, 503] {
            assert!(matches!(classify(retry), Outcome::Retry(..)), "{retry}");
        }
        for final_ in [301, 302, 400, 403, 404, 410, 422] {
            assert!(matches!(classify(final_), Outcome::Final(..)), "{final_}");
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        assert!(backoff(0) < Duration::from_secs(12));
        assert!(backoff(3) > Duration::from_secs(70));
        assert!(backoff(30) <= Duration::from_secs_f64(6.0 * 3600.0 * 1.1));
    }
}
