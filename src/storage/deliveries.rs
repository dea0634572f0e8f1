//! The persistent delivery queue.

use super::{
    Q, StorageResult,
    models::DeliveryRow,
    now, on_q,
    schema::{activities, deliveries},
};
use crate::model::DeliveryState;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// A delivery taken from the queue, with what is needed to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub delivery: DeliveryRow,
    /// The activity's JSON, exactly as it was stored when queued.
    pub body: String,
    /// The local actor that signs it.
    pub actor_id: i64,
    /// The activity's id and type: the worker reports an `Invite`'s final
    /// outcome to its invitation (issue 13 item 3).
    pub activity_ap_id: String,
    pub activity_kind: String,
}

/// A queue entry as shown to operators.
#[derive(Debug, Clone)]
pub struct DeliveryListing {
    pub delivery: DeliveryRow,
    pub activity_ap_id: String,
    pub activity_kind: String,
}

impl Q<'_> {
    /// Takes up to `limit` due deliveries and leases them for `lease`, so that no
    /// other worker (in this or another process) sends them meanwhile. A worker
    /// that dies leaves the lease to expire, and the delivery is taken again.
    pub async fn claim_due_deliveries(
        &mut self,
        limit: i64,
        lease: Duration,
    ) -> StorageResult<Vec<ClaimedDelivery>> {
        let now = now();
        let until = now + lease;
        let claimable = || {
            deliveries::state
                .eq(DeliveryState::Pending.as_str())
                .and(deliveries::next_attempt_at.le(now))
                .and(
                    deliveries::locked_until
                        .is_null()
                        .or(deliveries::locked_until.lt(now)),
                )
                // Suspension (issue 15): suspending gives up the account's
                // queued deliveries and those to its own inbox, and nothing new
                // is queued for or from it (`service::outbox`); this holds back
                // only what a request queued as it was being suspended.
                .and(
                    deliveries::activity_id.ne_all(
                        activities::table
                            .filter(
                                activities::actor_id
                                    .eq_any(super::suspension::suspended_actor_ids!()),
                            )
                            .select(activities::id),
                    ),
                )
        };
        let rows: Vec<DeliveryRow> = match self {
            Q::Postgres(c) => {
                // SKIP LOCKED lets several processes claim side by side without
                // waiting on each other; the repeated condition in the UPDATE is
                // re-checked on the current row version, so a row two claimers
                // both picked is leased only once.
                let ids: Vec<i64> = deliveries::table
                    .filter(claimable())
                    .order(deliveries::next_attempt_at.asc())
                    .limit(limit)
                    .select(deliveries::id)
                    .for_update()
                    .skip_locked()
                    .load(c)
                    .await?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                diesel::update(
                    deliveries::table
                        .filter(deliveries::id.eq_any(&ids))
                        .filter(claimable()),
                )
                .set(deliveries::locked_until.eq(Some(until)))
                .returning(DeliveryRow::as_returning())
                .get_results(c)
                .await?
            }
            Q::Sqlite(c) => {
                // SQLite has one writer at a time, so select-then-update inside the
                // caller's transaction is already exclusive.
                let ids: Vec<i64> = deliveries::table
                    .filter(claimable())
                    .order(deliveries::next_attempt_at.asc())
                    .limit(limit)
                    .select(deliveries::id)
                    .load(c)
                    .await?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                diesel::update(
                    deliveries::table
                        .filter(deliveries::id.eq_any(&ids))
                        .filter(claimable()),
                )
                .set(deliveries::locked_until.eq(Some(until)))
                .returning(DeliveryRow::as_returning())
                .get_results(c)
                .await?
            }
        };
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let activity_ids: Vec<i64> = rows.iter().map(|r| r.activity_id).collect();
        type Loaded = (i64, Option<String>, i64, String, String);
        let bodies: Vec<Loaded> = on_q!(self, |c| activities::table
            .filter(activities::id.eq_any(&activity_ids))
            .select((
                activities::id,
                activities::body,
                activities::actor_id,
                activities::ap_id,
                activities::kind,
            ))
            .load(c)
            .await?);
        Ok(rows
            .into_iter()
            .filter_map(|delivery| {
                let (_, body, actor_id, ap_id, kind) =
                    bodies.iter().find(|(id, ..)| *id == delivery.activity_id)?;
                Some(ClaimedDelivery {
                    body: body.clone()?,
                    actor_id: *actor_id,
                    activity_ap_id: ap_id.clone(),
                    activity_kind: kind.clone(),
                    delivery,
                })
            })
            .collect())
    }

    pub async fn mark_delivered(&mut self, id: i64, status: i32) -> StorageResult<()> {
        let now = now();
        on_q!(self, |c| {
            diesel::update(deliveries::table.find(id))
                .set((
                    deliveries::state.eq(DeliveryState::Delivered.as_str()),
                    deliveries::attempts.eq(deliveries::attempts + 1),
                    deliveries::locked_until.eq(None::<NaiveDateTime>),
                    deliveries::last_status.eq(Some(status)),
                    deliveries::last_error.eq(None::<String>),
                    deliveries::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Records a failed attempt; the delivery is tried again at `next_attempt_at`,
    /// or never if `give_up`.
    pub async fn record_failed_attempt(
        &mut self,
        id: i64,
        status: Option<i32>,
        error: &str,
        next_attempt_at: NaiveDateTime,
        give_up: bool,
    ) -> StorageResult<()> {
        let now = now();
        let state = if give_up {
            DeliveryState::Failed
        } else {
            DeliveryState::Pending
        };
        on_q!(self, |c| {
            // Only a pending one: a delivery given up while it was being
            // sent (its account suspended) stays given up.
            diesel::update(
                deliveries::table
                    .find(id)
                    .filter(deliveries::state.eq(DeliveryState::Pending.as_str())),
            )
            .set((
                deliveries::state.eq(state.as_str()),
                deliveries::attempts.eq(deliveries::attempts + 1),
                deliveries::next_attempt_at.eq(next_attempt_at),
                deliveries::locked_until.eq(None::<NaiveDateTime>),
                deliveries::last_status.eq(status),
                deliveries::last_error.eq(Some(error)),
                deliveries::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            Ok(())
        })
    }

    /// The newest queue entries, all or only those given up.
    pub async fn list_deliveries(
        &mut self,
        state: Option<DeliveryState>,
        limit: i64,
    ) -> StorageResult<Vec<DeliveryListing>> {
        let rows: Vec<(DeliveryRow, String, String)> = on_q!(self, |c| {
            let mut query = deliveries::table
                .inner_join(activities::table)
                .select((
                    DeliveryRow::as_select(),
                    activities::ap_id,
                    activities::kind,
                ))
                .order(deliveries::id.desc())
                .limit(limit)
                .into_boxed();
            if let Some(state) = state {
                query = query.filter(deliveries::state.eq(state.as_str()));
            }
            query.load(c).await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(delivery, activity_ap_id, activity_kind)| DeliveryListing {
                    delivery,
                    activity_ap_id,
                    activity_kind,
                },
            )
            .collect())
    }

    /// How many deliveries wait to be sent (due now or later).
    pub async fn count_pending_deliveries(&mut self) -> StorageResult<i64> {
        on_q!(self, |c| Ok(deliveries::table
            .filter(deliveries::state.eq(DeliveryState::Pending.as_str()))
            .count()
            .get_result(c)
            .await?))
    }
}
