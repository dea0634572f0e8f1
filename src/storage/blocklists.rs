//! Subscribed block lists (issue 15 item 3): the subscriptions, and the
//! suggestions of review-mode lists. The blocks themselves are rows of
//! `domain_blocks` with their `source`.

use super::{
    Q, StorageResult, now, on_q,
    schema::{blocklist_subscriptions, blocklist_suggestions, domain_blocks},
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// One subscription's row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = blocklist_subscriptions)]
pub struct SubscriptionRow {
    pub id: i64,
    /// An http(s) URL or a local file path.
    pub url: String,
    /// `auto` or `review`.
    pub mode: String,
    pub last_read_at: Option<NaiveDateTime>,
    /// Entries at the last successful read.
    pub entries: i64,
    /// Why the last read failed.
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
}

/// One suggestion of a review-mode list.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = blocklist_suggestions)]
pub struct SuggestionRow {
    pub subscription_id: i64,
    pub domain: String,
    pub severity: String,
    pub reject_media: bool,
    pub public_comment: Option<String>,
    pub dismissed: bool,
}

impl Q<'_> {
    /// Adds a subscription.
    pub async fn insert_blocklist(
        &mut self,
        url: &str,
        mode: &str,
    ) -> StorageResult<SubscriptionRow> {
        let now = now();
        on_q!(self, |c| Ok(diesel::insert_into(
            blocklist_subscriptions::table
        )
        .values((
            blocklist_subscriptions::url.eq(url),
            blocklist_subscriptions::mode.eq(mode),
            blocklist_subscriptions::created_at.eq(now),
        ))
        .returning(SubscriptionRow::as_returning())
        .get_result(c)
        .await?))
    }

    /// Every subscription, oldest first.
    pub async fn blocklists(&mut self) -> StorageResult<Vec<SubscriptionRow>> {
        on_q!(self, |c| Ok(blocklist_subscriptions::table
            .order(blocklist_subscriptions::id.asc())
            .select(SubscriptionRow::as_select())
            .load(c)
            .await?))
    }

    /// One subscription.
    pub async fn blocklist(&mut self, id: i64) -> StorageResult<Option<SubscriptionRow>> {
        on_q!(self, |c| Ok(blocklist_subscriptions::table
            .find(id)
            .select(SubscriptionRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// Records a read: its entries and error (`None`: it succeeded, and
    /// the time of the read is kept).
    pub async fn record_blocklist_read(
        &mut self,
        id: i64,
        entries: Option<i64>,
        error: Option<&str>,
    ) -> StorageResult<()> {
        let now = now();
        on_q!(self, |c| {
            let target = blocklist_subscriptions::table.find(id);
            match entries {
                Some(entries) => {
                    diesel::update(target)
                        .set((
                            blocklist_subscriptions::entries.eq(entries),
                            blocklist_subscriptions::last_read_at.eq(now),
                            blocklist_subscriptions::last_error.eq(error),
                        ))
                        .execute(c)
                        .await?
                }
                None => {
                    diesel::update(target)
                        .set(blocklist_subscriptions::last_error.eq(error))
                        .execute(c)
                        .await?
                }
            };
            Ok(())
        })
    }

    /// Removes a subscription and its suggestions; its blocks are deleted
    /// or kept (as if added by hand) by the caller first.
    pub async fn delete_blocklist(&mut self, id: i64) -> StorageResult<bool> {
        let n = on_q!(self, |c| {
            diesel::delete(
                blocklist_suggestions::table.filter(blocklist_suggestions::subscription_id.eq(id)),
            )
            .execute(c)
            .await?;
            diesel::delete(blocklist_subscriptions::table.find(id))
                .execute(c)
                .await?
        });
        Ok(n > 0)
    }

    /// Deletes the blocks a subscription added; how many.
    pub async fn delete_blocks_from(&mut self, id: i64) -> StorageResult<usize> {
        on_q!(self, |c| Ok(diesel::delete(
            domain_blocks::table.filter(domain_blocks::source.eq(id))
        )
        .execute(c)
        .await?))
    }

    /// Makes a subscription's blocks the admin's own; how many.
    pub async fn release_blocks_from(&mut self, id: i64) -> StorageResult<usize> {
        on_q!(self, |c| Ok(diesel::update(
            domain_blocks::table.filter(domain_blocks::source.eq(id))
        )
        .set(domain_blocks::source.eq(None::<i64>))
        .execute(c)
        .await?))
    }

    /// Every suggestion (of every list, dismissed ones too), by domain.
    pub async fn blocklist_suggestions(&mut self) -> StorageResult<Vec<SuggestionRow>> {
        on_q!(self, |c| Ok(blocklist_suggestions::table
            .order((
                blocklist_suggestions::domain.asc(),
                blocklist_suggestions::subscription_id.asc(),
            ))
            .select(SuggestionRow::as_select())
            .load(c)
            .await?))
    }

    /// Adds a suggestion, or updates its severity, media and comment
    /// (a dismissal stays).
    pub async fn upsert_blocklist_suggestion(&mut self, row: &SuggestionRow) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(blocklist_suggestions::table)
                .values((
                    blocklist_suggestions::subscription_id.eq(row.subscription_id),
                    blocklist_suggestions::domain.eq(&row.domain),
                    blocklist_suggestions::severity.eq(&row.severity),
                    blocklist_suggestions::reject_media.eq(row.reject_media),
                    blocklist_suggestions::public_comment.eq(&row.public_comment),
                    blocklist_suggestions::dismissed.eq(false),
                ))
                .on_conflict((
                    blocklist_suggestions::subscription_id,
                    blocklist_suggestions::domain,
                ))
                .do_update()
                .set((
                    blocklist_suggestions::severity.eq(&row.severity),
                    blocklist_suggestions::reject_media.eq(row.reject_media),
                    blocklist_suggestions::public_comment.eq(&row.public_comment),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// [`Q::upsert_blocklist_suggestion`] for many rows: one multi-row
    /// statement on PostgreSQL, one cached statement per row on SQLite
    /// (see `upsert_domain_blocks`). Callers keep a call to a few hundred.
    pub async fn upsert_blocklist_suggestions(
        &mut self,
        rows: &[SuggestionRow],
    ) -> StorageResult<()> {
        use diesel::upsert::excluded;
        match self {
            Q::Postgres(c) => {
                let values: Vec<_> = rows
                    .iter()
                    .map(|row| {
                        (
                            blocklist_suggestions::subscription_id.eq(row.subscription_id),
                            blocklist_suggestions::domain.eq(&row.domain),
                            blocklist_suggestions::severity.eq(&row.severity),
                            blocklist_suggestions::reject_media.eq(row.reject_media),
                            blocklist_suggestions::public_comment.eq(&row.public_comment),
                            blocklist_suggestions::dismissed.eq(false),
                        )
                    })
                    .collect();
                diesel::insert_into(blocklist_suggestions::table)
                    .values(values)
                    .on_conflict((
                        blocklist_suggestions::subscription_id,
                        blocklist_suggestions::domain,
                    ))
                    .do_update()
                    .set((
                        blocklist_suggestions::severity
                            .eq(excluded(blocklist_suggestions::severity)),
                        blocklist_suggestions::reject_media
                            .eq(excluded(blocklist_suggestions::reject_media)),
                        blocklist_suggestions::public_comment
                            .eq(excluded(blocklist_suggestions::public_comment)),
                    ))
                    .execute(*c)
                    .await?;
                Ok(())
            }
            Q::Sqlite(_) => {
                for row in rows {
                    self.upsert_blocklist_suggestion(row).await?;
                }
                Ok(())
            }
        }
    }

    /// Removes these suggestions of one list (one statement).
    pub async fn delete_blocklist_suggestions(
        &mut self,
        subscription_id: i64,
        domains: &[String],
    ) -> StorageResult<usize> {
        on_q!(self, |c| Ok(diesel::delete(
            blocklist_suggestions::table
                .filter(blocklist_suggestions::subscription_id.eq(subscription_id))
                .filter(blocklist_suggestions::domain.eq_any(domains))
        )
        .execute(c)
        .await?))
    }

    /// Removes one suggestion.
    pub async fn delete_blocklist_suggestion(
        &mut self,
        subscription_id: i64,
        domain: &str,
    ) -> StorageResult<bool> {
        let n = on_q!(self, |c| diesel::delete(
            blocklist_suggestions::table
                .filter(blocklist_suggestions::subscription_id.eq(subscription_id))
                .filter(blocklist_suggestions::domain.eq(domain))
        )
        .execute(c)
        .await?);
        Ok(n > 0)
    }

    /// Marks a domain's suggestions (of every list) dismissed; how many.
    pub async fn dismiss_blocklist_suggestion(&mut self, domain: &str) -> StorageResult<usize> {
        on_q!(self, |c| Ok(diesel::update(
            blocklist_suggestions::table
                .filter(blocklist_suggestions::domain.eq(domain))
                .filter(blocklist_suggestions::dismissed.eq(false))
        )
        .set(blocklist_suggestions::dismissed.eq(true))
        .execute(c)
        .await?))
    }
}
