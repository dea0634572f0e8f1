//! Reports (issue 15 item 5), the instance-health listing and the pruning
//! of finished queue rows and received activity ids (item 7).

use super::{
    Q, StorageResult, now, on_q,
    schema::{
        activities, actors, deliveries, instances, memberships, notifications, reports, users,
    },
};
use crate::model::DeliveryState;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// One report as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: i64,
    /// The local organisation that reported, or the remote actor whose
    /// `Flag` it is.
    pub reporter_actor_id: i64,
    /// The login that filed it through the API; `None` for a `Flag`.
    pub reporter_user_id: Option<i64>,
    pub target_actor_id: i64,
    /// A JSON array of post ids.
    pub status_ids: String,
    pub category: String,
    pub comment: String,
    pub forwarded: bool,
    /// The incoming `Flag`'s id.
    pub flag_ap_id: Option<String>,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_note: Option<String>,
}

impl ReportRow {
    /// The reported post ids (an unreadable list reads as none).
    pub fn post_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.status_ids).unwrap_or_default()
    }
}

/// A report to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reports)]
pub struct NewReport {
    pub reporter_actor_id: i64,
    pub reporter_user_id: Option<i64>,
    pub target_actor_id: i64,
    pub status_ids: String,
    pub category: String,
    pub comment: String,
    pub forwarded: bool,
    pub flag_ap_id: Option<String>,
    pub created_at: NaiveDateTime,
}

/// An instance as operators see it: its row and its queued deliveries.
#[derive(Debug, Clone)]
pub struct InstanceHealth {
    pub instance: super::instances::InstanceRow,
    /// Deliveries to it still pending.
    pub queued: i64,
}

/// How many rows a prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub deliveries: usize,
    pub received: usize,
}

/// `%://host/%`: inbox URLs on `domain`, with LIKE's wildcards escaped.
fn inbox_pattern(domain: &str) -> String {
    let escaped = domain
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%://{escaped}/%")
}

impl Q<'_> {
    /// Stores a report; `None` if its `Flag` was stored before.
    pub async fn insert_report(&mut self, report: &NewReport) -> StorageResult<Option<ReportRow>> {
        on_q!(self, |c| Ok(diesel::insert_into(reports::table)
            .values(report)
            .on_conflict_do_nothing()
            .returning(ReportRow::as_returning())
            .get_result(c)
            .await
            .optional()?))
    }

    pub async fn report(&mut self, id: i64) -> StorageResult<Option<ReportRow>> {
        on_q!(self, |c| Ok(reports::table
            .find(id)
            .select(ReportRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// Reports, newest first; only unresolved ones if asked.
    pub async fn reports(&mut self, unresolved: bool, limit: i64) -> StorageResult<Vec<ReportRow>> {
        on_q!(self, |c| {
            let mut query = reports::table
                .select(ReportRow::as_select())
                .order(reports::id.desc())
                .limit(limit)
                .into_boxed();
            if unresolved {
                query = query.filter(reports::resolved_at.is_null());
            }
            Ok(query.load(c).await?)
        })
    }

    /// Marks a report resolved; false if there is no such report.
    pub async fn resolve_report(&mut self, id: i64, note: Option<&str>) -> StorageResult<bool> {
        let now = now();
        on_q!(self, |c| Ok(diesel::update(reports::table.find(id))
            .set((
                reports::resolved_at.eq(Some(now)),
                reports::resolved_note.eq(note),
            ))
            .execute(c)
            .await?
            == 1))
    }

    /// Marks a login as one of the instance's operators (or not); false if
    /// there is no such login.
    pub async fn set_instance_admin(&mut self, email: &str, admin: bool) -> StorageResult<bool> {
        on_q!(self, |c| Ok(diesel::update(
            users::table.filter(users::email.eq(email))
        )
        .set(users::instance_admin.eq(admin))
        .execute(c)
        .await?
            == 1))
    }

    /// The organisations whose staff includes an enabled instance admin,
    /// except `except` (the reported account), and none that is suspended:
    /// the recipients of `admin.report`.
    pub async fn report_recipients(&mut self, except: i64) -> StorageResult<Vec<i64>> {
        on_q!(self, |c| Ok(memberships::table
            .inner_join(users::table.on(users::id.eq(memberships::user_id)))
            .inner_join(actors::table.on(actors::id.eq(memberships::actor_id)))
            .filter(users::instance_admin.eq(true))
            .filter(users::disabled_at.is_null())
            .filter(actors::suspended_at.is_null())
            .filter(memberships::actor_id.ne(except))
            .select(memberships::actor_id)
            .distinct()
            .order(memberships::actor_id.asc())
            .load(c)
            .await?))
    }

    /// An `admin.report` notification for `recipient`, from the reporter.
    pub async fn notify_report(
        &mut self,
        recipient_id: i64,
        from_actor_id: i64,
        report_id: i64,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(notifications::table)
                .values((
                    notifications::recipient_id.eq(recipient_id),
                    notifications::kind.eq("admin.report"),
                    notifications::from_actor_id.eq(from_actor_id),
                    notifications::post_id.eq(None::<i64>),
                    notifications::dismissed.eq(false),
                    notifications::created_at.eq(now()),
                    notifications::report_id.eq(Some(report_id)),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// A delivery to `domain` succeeded: it is healthy again, and its last
    /// success is recorded. Read first, written only when something
    /// changes or the recorded success is ten minutes old, so a healthy
    /// instance costs one cached SELECT per delivery, as before.
    pub async fn record_delivered_to(&mut self, domain: &str) -> StorageResult<()> {
        let now = now();
        let stale = now - chrono::Duration::minutes(10);
        on_q!(self, |c| {
            type Health = (Option<NaiveDateTime>, bool, Option<NaiveDateTime>);
            let found: Option<Health> = instances::table
                .filter(instances::domain.eq(domain))
                .select((
                    instances::failing_since,
                    instances::unavailable,
                    instances::last_success_at,
                ))
                .get_result(c)
                .await
                .optional()?;
            let write = match found {
                None => true,
                Some((since, unavailable, last)) => {
                    since.is_some() || unavailable || last.is_none_or(|at| at < stale)
                }
            };
            if write {
                diesel::insert_into(instances::table)
                    .values((
                        instances::domain.eq(domain),
                        instances::failing_since.eq(None::<NaiveDateTime>),
                        instances::unavailable.eq(false),
                        instances::updated_at.eq(now),
                        instances::last_success_at.eq(Some(now)),
                    ))
                    .on_conflict(instances::domain)
                    .do_update()
                    .set((
                        instances::failing_since.eq(None::<NaiveDateTime>),
                        instances::unavailable.eq(false),
                        instances::updated_at.eq(now),
                        instances::last_success_at.eq(Some(now)),
                    ))
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    /// Known instances by domain, each with its pending deliveries.
    pub async fn instances_health(
        &mut self,
        only_unavailable: bool,
    ) -> StorageResult<Vec<InstanceHealth>> {
        let rows: Vec<super::instances::InstanceRow> = on_q!(self, |c| {
            let mut query = instances::table
                .select(super::instances::InstanceRow::as_select())
                .order(instances::domain.asc())
                .into_boxed();
            if only_unavailable {
                query = query.filter(instances::unavailable.eq(true));
            }
            query.load(c).await?
        });
        let mut out = Vec::with_capacity(rows.len());
        for instance in rows {
            let pattern = inbox_pattern(&instance.domain);
            let queued: i64 = on_q!(self, |c| deliveries::table
                .filter(deliveries::state.eq(DeliveryState::Pending.as_str()))
                .filter(deliveries::inbox_url.like(&pattern).escape('\\'))
                .count()
                .get_result(c)
                .await?);
            out.push(InstanceHealth { instance, queued });
        }
        Ok(out)
    }

    /// Gives an instance another chance: available again, and its pending
    /// deliveries due now. Returns false if the instance is unknown, else
    /// how many deliveries were made due.
    pub async fn clear_instance(&mut self, domain: &str) -> StorageResult<Option<usize>> {
        let now = now();
        let pattern = inbox_pattern(domain);
        on_q!(self, |c| {
            let known = diesel::update(instances::table.filter(instances::domain.eq(domain)))
                .set((
                    instances::failing_since.eq(None::<NaiveDateTime>),
                    instances::unavailable.eq(false),
                    instances::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            if known == 0 {
                return Ok(None);
            }
            let due = diesel::update(
                deliveries::table
                    .filter(deliveries::state.eq(DeliveryState::Pending.as_str()))
                    .filter(deliveries::inbox_url.like(&pattern).escape('\\')),
            )
            .set((
                deliveries::next_attempt_at.eq(now),
                deliveries::updated_at.eq(now),
            ))
            .execute(c)
            .await?;
            Ok(Some(due))
        })
    }

    /// Deletes up to `batch` finished (delivered or given-up) deliveries
    /// last touched before `before`; a pending one is never deleted.
    pub async fn prune_finished_deliveries(
        &mut self,
        before: NaiveDateTime,
        batch: i64,
    ) -> StorageResult<usize> {
        on_q!(self, |c| {
            let ids: Vec<i64> = deliveries::table
                .filter(deliveries::state.ne(DeliveryState::Pending.as_str()))
                .filter(deliveries::updated_at.lt(before))
                .select(deliveries::id)
                .limit(batch)
                .load(c)
                .await?;
            if ids.is_empty() {
                return Ok(0);
            }
            // The state is checked again: a row made pending meanwhile stays.
            Ok(diesel::delete(
                deliveries::table
                    .filter(deliveries::id.eq_any(&ids))
                    .filter(deliveries::state.ne(DeliveryState::Pending.as_str())),
            )
            .execute(c)
            .await?)
        })
    }

    /// Deletes up to `batch` ids of received activities recorded before
    /// `before` (never one we sent: those carry their body and deliveries).
    pub async fn prune_received_activities(
        &mut self,
        before: NaiveDateTime,
        batch: i64,
    ) -> StorageResult<usize> {
        on_q!(self, |c| {
            let ids: Vec<i64> = activities::table
                .filter(activities::local.eq(false))
                .filter(activities::created_at.lt(before))
                .select(activities::id)
                .limit(batch)
                .load(c)
                .await?;
            if ids.is_empty() {
                return Ok(0);
            }
            Ok(diesel::delete(
                activities::table
                    .filter(activities::id.eq_any(&ids))
                    .filter(activities::local.eq(false)),
            )
            .execute(c)
            .await?)
        })
    }
}
