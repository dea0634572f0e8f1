//! The instance's domain policy (issue 15): domain blocks, the allow-list and
//! each organisation's rule for who may follow it. Domains arrive here
//! already normalised (`federation::domain_policy::normalize_domain`).

use super::{
    Q, StorageResult, now, on_q,
    schema::{actors, domain_allows, domain_blocks, org_follow_policies},
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// One domain block's row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = domain_blocks)]
pub struct DomainBlockRow {
    pub domain: String,
    /// `suspend`, `silence` or `noop`.
    pub severity: String,
    pub reject_media: bool,
    pub public_comment: Option<String>,
    pub private_comment: Option<String>,
    pub created_at: NaiveDateTime,
    /// The subscribed block list that added it; `None`: added by hand.
    pub source: Option<i64>,
}

/// A block to write.
pub struct NewDomainBlock<'a> {
    pub domain: &'a str,
    pub severity: &'a str,
    pub reject_media: bool,
    pub public_comment: Option<&'a str>,
    pub private_comment: Option<&'a str>,
    /// The subscribed block list adding it; `None`: the admin.
    pub source: Option<i64>,
}

impl Q<'_> {
    /// Every domain block, by domain.
    pub async fn domain_blocks(&mut self) -> StorageResult<Vec<DomainBlockRow>> {
        on_q!(self, |c| Ok(domain_blocks::table
            .order(domain_blocks::domain.asc())
            .select(DomainBlockRow::as_select())
            .load(c)
            .await?))
    }

    /// Adds a block, or replaces the one on the same domain.
    pub async fn upsert_domain_block(&mut self, block: &NewDomainBlock<'_>) -> StorageResult<()> {
        let now = now();
        on_q!(self, |c| {
            diesel::insert_into(domain_blocks::table)
                .values((
                    domain_blocks::domain.eq(block.domain),
                    domain_blocks::severity.eq(block.severity),
                    domain_blocks::reject_media.eq(block.reject_media),
                    domain_blocks::public_comment.eq(block.public_comment),
                    domain_blocks::private_comment.eq(block.private_comment),
                    domain_blocks::created_at.eq(now),
                    domain_blocks::source.eq(block.source),
                ))
                .on_conflict(domain_blocks::domain)
                .do_update()
                .set((
                    domain_blocks::severity.eq(block.severity),
                    domain_blocks::reject_media.eq(block.reject_media),
                    domain_blocks::public_comment.eq(block.public_comment),
                    domain_blocks::private_comment.eq(block.private_comment),
                    domain_blocks::source.eq(block.source),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Removes a block; false if there was none.
    pub async fn delete_domain_block(&mut self, domain: &str) -> StorageResult<bool> {
        let n = on_q!(self, |c| diesel::delete(
            domain_blocks::table.filter(domain_blocks::domain.eq(domain))
        )
        .execute(c)
        .await?);
        Ok(n > 0)
    }

    /// Every allow-listed domain, sorted.
    pub async fn domain_allows(&mut self) -> StorageResult<Vec<String>> {
        on_q!(self, |c| Ok(domain_allows::table
            .order(domain_allows::domain.asc())
            .select(domain_allows::domain)
            .load(c)
            .await?))
    }

    /// Adds a domain to the allow-list; false if it was there.
    pub async fn insert_domain_allow(&mut self, domain: &str) -> StorageResult<bool> {
        let now = now();
        let n = on_q!(self, |c| diesel::insert_into(domain_allows::table)
            .values((
                domain_allows::domain.eq(domain),
                domain_allows::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await?);
        Ok(n > 0)
    }

    /// Removes a domain from the allow-list; false if it was not there.
    pub async fn delete_domain_allow(&mut self, domain: &str) -> StorageResult<bool> {
        let n = on_q!(self, |c| diesel::delete(
            domain_allows::table.filter(domain_allows::domain.eq(domain))
        )
        .execute(c)
        .await?);
        Ok(n > 0)
    }

    /// The distinct domains of the remote actors we hold (for finding those
    /// a new block covers; the matching is done by the caller).
    pub async fn remote_actor_domains(&mut self) -> StorageResult<Vec<String>> {
        on_q!(self, |c| Ok(actors::table
            .filter(actors::local.eq(false))
            .select(actors::domain)
            .distinct()
            .load(c)
            .await?))
    }

    /// The ids of the remote actors on exactly these domains.
    pub async fn remote_actor_ids_on(&mut self, domains: &[String]) -> StorageResult<Vec<i64>> {
        on_q!(self, |c| Ok(actors::table
            .filter(actors::local.eq(false))
            .filter(actors::domain.eq_any(domains))
            .select(actors::id)
            .load(c)
            .await?))
    }

    /// Who may follow a local organisation: `anyone` (no row) or `allowlist`.
    pub async fn followers_from(&mut self, actor_id: i64) -> StorageResult<Option<String>> {
        on_q!(self, |c| Ok(org_follow_policies::table
            .find(actor_id)
            .select(org_follow_policies::followers_from)
            .get_result(c)
            .await
            .optional()?))
    }

    /// Sets who may follow a local organisation.
    pub async fn set_followers_from(&mut self, actor_id: i64, value: &str) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(org_follow_policies::table)
                .values((
                    org_follow_policies::actor_id.eq(actor_id),
                    org_follow_policies::followers_from.eq(value),
                ))
                .on_conflict(org_follow_policies::actor_id)
                .do_update()
                .set(org_follow_policies::followers_from.eq(value))
                .execute(c)
                .await?;
            Ok(())
        })
    }
}
