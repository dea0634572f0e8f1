//! Account suspension (issue 15): `actors.suspended_at`. Lists of posts and
//! actors leave suspended actors out in the query, before their limit, with
//! [`suspended_actor_ids`]; nothing is deleted, so unsuspending restores it.

use super::{Q, StorageResult, models::ActorRow, now, on_q, schema::actors};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The ids of suspended actors, as a subselect for `ne_all`. Read along the
/// partial index `actors_suspended`, so it costs nothing when nobody is
/// suspended.
macro_rules! suspended_actor_ids {
    () => {
        $crate::storage::schema::actors::table
            .filter($crate::storage::schema::actors::suspended_at.is_not_null())
            .select($crate::storage::schema::actors::id)
    };
}
pub(crate) use suspended_actor_ids;

impl Q<'_> {
    /// Suspends (`true`) or unsuspends an actor; returns the row as stored.
    pub async fn set_suspended(
        &mut self,
        actor_id: i64,
        suspended: bool,
    ) -> StorageResult<ActorRow> {
        let at = suspended.then(now);
        on_q!(self, |c| Ok(diesel::update(actors::table.find(actor_id))
            .set(actors::suspended_at.eq(at))
            .returning(ActorRow::as_returning())
            .get_result(c)
            .await?))
    }

    /// Whether the actor with this id is suspended (false when unknown).
    pub async fn is_suspended(&mut self, actor_id: i64) -> StorageResult<bool> {
        on_q!(self, |c| Ok(actors::table
            .find(actor_id)
            .select(actors::suspended_at)
            .first::<Option<chrono::NaiveDateTime>>(c)
            .await
            .optional()?
            .flatten()
            .is_some()))
    }

    /// Suspended actors, for the admin.
    pub async fn suspended_actors(&mut self) -> StorageResult<Vec<ActorRow>> {
        on_q!(self, |c| Ok(actors::table
            .filter(actors::suspended_at.is_not_null())
            .order(actors::id.asc())
            .select(ActorRow::as_select())
            .load(c)
            .await?))
    }
}

impl Q<'_> {
    /// Gives up (as failed, with `reason`) the pending deliveries of the
    /// actor's activities and, with `inbox`, those to that inbox: a
    /// suspended account's queue must not all go out on unsuspend (spam of
    /// a taken-over account, stale reminders). Returns how many.
    pub async fn give_up_deliveries_of(
        &mut self,
        actor_id: i64,
        inbox: Option<&str>,
        reason: &str,
    ) -> StorageResult<usize> {
        use super::schema::{activities, deliveries};
        let now = now();
        let pending = crate::model::DeliveryState::Pending.as_str();
        let failed = crate::model::DeliveryState::Failed.as_str();
        on_q!(self, |c| {
            let mut given_up = diesel::update(
                deliveries::table
                    .filter(deliveries::state.eq(pending))
                    .filter(
                        deliveries::activity_id.eq_any(
                            activities::table
                                .filter(activities::actor_id.eq(actor_id))
                                .select(activities::id),
                        ),
                    ),
            )
            .set((
                deliveries::state.eq(failed),
                deliveries::locked_until.eq(None::<chrono::NaiveDateTime>),
                deliveries::last_error.eq(Some(reason)),
                deliveries::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            if let Some(inbox) = inbox {
                given_up += diesel::update(
                    deliveries::table
                        .filter(deliveries::state.eq(pending))
                        .filter(deliveries::inbox_url.eq(inbox)),
                )
                .set((
                    deliveries::state.eq(failed),
                    deliveries::locked_until.eq(None::<chrono::NaiveDateTime>),
                    deliveries::last_error.eq(Some(reason)),
                    deliveries::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            }
            Ok(given_up)
        })
    }
}
