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

    /// Adds or replaces many blocks: one multi-row statement on
    /// PostgreSQL (round trips are what an import waits for there); on
    /// SQLite, which diesel-async cannot batch, one cached statement per
    /// row in the caller's transaction (as `bulk.rs`). Callers keep a call
    /// to a few hundred rows.
    pub async fn upsert_domain_blocks(
        &mut self,
        blocks: &[NewDomainBlock<'_>],
    ) -> StorageResult<()> {
        use diesel::upsert::excluded;
        let now = now();
        match self {
            Q::Postgres(c) => {
                let rows: Vec<_> = blocks
                    .iter()
                    .map(|block| {
                        (
                            domain_blocks::domain.eq(block.domain),
                            domain_blocks::severity.eq(block.severity),
                            domain_blocks::reject_media.eq(block.reject_media),
                            domain_blocks::public_comment.eq(block.public_comment),
                            domain_blocks::private_comment.eq(block.private_comment),
                            domain_blocks::created_at.eq(now),
                            domain_blocks::source.eq(block.source),
                        )
                    })
                    .collect();
                diesel::insert_into(domain_blocks::table)
                    .values(rows)
                    .on_conflict(domain_blocks::domain)
                    .do_update()
                    .set((
                        domain_blocks::severity.eq(excluded(domain_blocks::severity)),
                        domain_blocks::reject_media.eq(excluded(domain_blocks::reject_media)),
                        domain_blocks::public_comment.eq(excluded(domain_blocks::public_comment)),
                        domain_blocks::private_comment.eq(excluded(domain_blocks::private_comment)),
                        domain_blocks::source.eq(excluded(domain_blocks::source)),
                    ))
                    .execute(*c)
                    .await?;
                Ok(())
            }
            Q::Sqlite(_) => {
                for block in blocks {
                    self.upsert_domain_block(block).await?;
                }
                Ok(())
            }
        }
    }

    /// Removes these blocks (one statement); how many were there.
    pub async fn delete_domain_blocks(&mut self, domains: &[String]) -> StorageResult<usize> {
        on_q!(self, |c| Ok(diesel::delete(
            domain_blocks::table.filter(domain_blocks::domain.eq_any(domains))
        )
        .execute(c)
        .await?))
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

/// Which remote authors' posts a public listing leaves out (issue 15), as
/// exact `actors.domain` values. The caller has matched each domain we hold
/// against the policy (`federation::domain_policy::Snapshot`, subdomains
/// and ports as it covers them), so the query compares with `IN` only, on
/// the `actors_domain` index, before its limit: a page comes back full.
/// Local posts are never left out.
#[derive(Debug, Clone)]
pub enum AuthorDomains {
    /// Posts by remote actors on these domains are left out.
    Hide(Vec<String>),
    /// Only local posts and posts by remote actors on these domains are
    /// listed (the shorter list, e.g. in allow-list mode).
    ShowOnly(Vec<String>),
}

/// Filters a boxed query over `posts` to the posts whose author
/// `AuthorDomains` lets through, with a subselect on `actors`.
macro_rules! filter_author_domains {
    ($query:expr, $domains:expr) => {{
        use $crate::storage::schema::{actors as a, posts as p};
        match $domains {
            $crate::storage::domain_policy::AuthorDomains::Hide(domains) if domains.is_empty() => {
                $query
            }
            $crate::storage::domain_policy::AuthorDomains::Hide(domains) => $query.filter(
                p::author_id.ne_all(
                    a::table
                        .filter(a::local.eq(false))
                        .filter(a::domain.eq_any(domains.clone()))
                        .select(a::id),
                ),
            ),
            $crate::storage::domain_policy::AuthorDomains::ShowOnly(domains) => $query.filter(
                p::author_id.eq_any(
                    a::table
                        .filter(a::local.eq(true).or(a::domain.eq_any(domains.clone())))
                        .select(a::id),
                ),
            ),
        }
    }};
}
pub(crate) use filter_author_domains;

impl Q<'_> {
    /// The distinct domains of remote actors with an id above `after_id`,
    /// each with its highest actor id (to ask only for newer ones next).
    pub async fn remote_actor_domains_after(
        &mut self,
        after_id: i64,
    ) -> StorageResult<Vec<(String, i64)>> {
        let rows: Vec<(String, Option<i64>)> = on_q!(self, |c| StorageResult::Ok(
            actors::table
                .filter(actors::local.eq(false))
                .filter(actors::id.gt(after_id))
                .group_by(actors::domain)
                .select((actors::domain, diesel::dsl::max(actors::id)))
                .load(c)
                .await?
        ))?;
        Ok(rows
            .into_iter()
            .map(|(domain, id)| (domain, id.unwrap_or(after_id)))
            .collect())
    }
}
