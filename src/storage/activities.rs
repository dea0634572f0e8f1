//! Activities sent and received.

use super::{
    Q, StorageResult,
    models::{ActivityRow, NewActivity, NewDelivery},
    now, on_q,
    schema::{activities, deliveries},
};
use crate::model::DeliveryState;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

impl Q<'_> {
    /// Stores an outgoing activity and one pending delivery per distinct inbox.
    /// Call it in the transaction that makes the change the activity announces,
    /// so that the change and its deliveries commit together.
    pub async fn enqueue_activity(
        &mut self,
        ap_id: &str,
        kind: &str,
        actor_id: i64,
        body: &str,
        inboxes: &[String],
    ) -> StorageResult<ActivityRow> {
        let now = now();
        let activity = NewActivity {
            ap_id: ap_id.to_string(),
            kind: kind.to_string(),
            actor_id,
            local: true,
            body: Some(body.to_string()),
            created_at: now,
        };
        let mut targets: Vec<&String> = inboxes.iter().collect();
        targets.sort();
        targets.dedup();
        on_q!(self, |c| {
            let row = diesel::insert_into(activities::table)
                .values(&activity)
                .returning(ActivityRow::as_returning())
                .get_result(c)
                .await?;
            // One statement per row: multi-row inserts do not compile through the
            // SQLite wrapper, and this runs inside the caller's transaction anyway.
            for inbox in &targets {
                diesel::insert_into(deliveries::table)
                    .values(NewDelivery {
                        activity_id: row.id,
                        inbox_url: inbox.to_string(),
                        state: DeliveryState::Pending.as_str().to_string(),
                        attempts: 0,
                        next_attempt_at: now,
                        created_at: now,
                        updated_at: now,
                    })
                    .execute(c)
                    .await?;
            }
            Ok(row)
        })
    }

    /// Records that an activity was received. Returns false if its id was seen
    /// before: a repeated delivery, which must change nothing.
    pub async fn record_received_activity(
        &mut self,
        ap_id: &str,
        kind: &str,
        actor_id: i64,
    ) -> StorageResult<bool> {
        let activity = NewActivity {
            ap_id: ap_id.to_string(),
            kind: kind.to_string(),
            actor_id,
            local: false,
            body: None,
            created_at: now(),
        };
        on_q!(self, |c| Ok(diesel::insert_into(activities::table)
            .values(&activity)
            .on_conflict_do_nothing()
            .execute(c)
            .await?
            == 1))
    }

    pub async fn activity_by_ap_id(&mut self, ap_id: &str) -> StorageResult<Option<ActivityRow>> {
        on_q!(self, |c| Ok(activities::table
            .filter(activities::ap_id.eq(ap_id))
            .select(ActivityRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }
}

/// How many rows each table holds: for operators' statistics and for tests
/// that check a refused request changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowCounts {
    pub actors: i64,
    pub follows: i64,
    pub activities: i64,
    pub deliveries: i64,
}

impl Q<'_> {
    pub async fn row_counts(&mut self) -> StorageResult<RowCounts> {
        use super::schema::{actors, follows};
        on_q!(self, |c| Ok(RowCounts {
            actors: actors::table.count().get_result(c).await?,
            follows: follows::table.count().get_result(c).await?,
            activities: activities::table.count().get_result(c).await?,
            deliveries: deliveries::table.count().get_result(c).await?,
        }))
    }
}
