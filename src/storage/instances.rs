//! Other instances: what software they run (from their NodeInfo, cached).
//! Their delivery health (`failing_since`, `unavailable`) is written in
//! posts.rs and never here: not knowing the software is not a failure.

use super::{Q, StorageResult, now, on_q, schema::instances};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// One instance's row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = instances)]
pub struct InstanceRow {
    pub domain: String,
    pub failing_since: Option<NaiveDateTime>,
    pub unavailable: bool,
    pub updated_at: NaiveDateTime,
    /// NodeInfo `software.name`, lowercased; `None` when unknown.
    pub software: Option<String>,
    pub software_version: Option<String>,
    /// When NodeInfo was last asked; `None` if never.
    pub software_checked_at: Option<NaiveDateTime>,
    /// When a delivery last succeeded, to within ten minutes; `None` if never.
    pub last_success_at: Option<NaiveDateTime>,
}

impl Q<'_> {
    pub async fn instance(&mut self, domain: &str) -> StorageResult<Option<InstanceRow>> {
        on_q!(self, |c| Ok(instances::table
            .filter(instances::domain.eq(domain))
            .select(InstanceRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// Stores what NodeInfo said (or that it said nothing usable: `None`),
    /// creating the instance's row if needed, as healthy: a row created here
    /// must not look like a failing instance.
    pub async fn record_instance_software(
        &mut self,
        domain: &str,
        software: Option<&str>,
        version: Option<&str>,
        checked_at: NaiveDateTime,
    ) -> StorageResult<()> {
        let now = now();
        on_q!(self, |c| {
            diesel::insert_into(instances::table)
                .values((
                    instances::domain.eq(domain),
                    instances::failing_since.eq(None::<NaiveDateTime>),
                    instances::unavailable.eq(false),
                    instances::updated_at.eq(now),
                    instances::software.eq(software),
                    instances::software_version.eq(version),
                    instances::software_checked_at.eq(Some(checked_at)),
                ))
                .on_conflict(instances::domain)
                .do_update()
                .set((
                    instances::updated_at.eq(now),
                    instances::software.eq(software),
                    instances::software_version.eq(version),
                    instances::software_checked_at.eq(Some(checked_at)),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }
}
