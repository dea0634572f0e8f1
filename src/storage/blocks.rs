//! What a local account (an organisation) blocks or mutes: remote actors,
//! whole domains (with their subdomains), and mutes with Mastodon's
//! `notifications` flag and expiry. Lists that hide blocked parties filter
//! with [`hidden_actor_ids`] and [`domain_blocked_actor_ids`] in the query,
//! before their limit, so a page comes back full.

use super::{
    Q, StorageResult,
    models::ActorRow,
    now, on_q,
    schema::{account_blocks, actors},
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The kinds of row, as stored.
pub const BLOCK: &str = "block";
pub const DOMAIN_BLOCK: &str = "domain_block";
pub const MUTE: &str = "mute";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = account_blocks)]
pub struct BlockRow {
    pub id: i64,
    pub account_id: i64,
    pub kind: String,
    pub target_actor_id: Option<i64>,
    pub subdomain_pattern: Option<String>,
    pub target: String,
    pub notifications: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub activity_ap_id: Option<String>,
    pub created_at: NaiveDateTime,
}

impl BlockRow {
    /// A mute past its expiry no longer counts (it is removed lazily).
    pub fn in_force(&self) -> bool {
        self.expires_at.is_none_or(|at| at > now())
    }
}

/// Whether `domain` is `blocked` or one of its subdomains.
pub fn domain_covers(blocked: &str, domain: &str) -> bool {
    let domain = domain.to_ascii_lowercase();
    // An actor's domain may carry a port (`host:8080`): the host decides.
    let domain = match domain.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host.to_string(),
        _ => domain,
    };
    domain == blocked
        || domain
            .strip_suffix(blocked)
            .is_some_and(|rest| rest.ends_with('.'))
}

/// The ids of actors `$account` blocks or mutes by name (rows of the given
/// `$kinds`, mutes only while in force), as a subselect for `ne_all`.
macro_rules! hidden_actor_ids {
    ($account:expr, $kinds:expr) => {
        $crate::storage::schema::account_blocks::table
            .filter($crate::storage::schema::account_blocks::account_id.eq($account))
            .filter($crate::storage::schema::account_blocks::kind.eq_any($kinds))
            .filter(
                $crate::storage::schema::account_blocks::expires_at
                    .is_null()
                    .or($crate::storage::schema::account_blocks::expires_at
                        .gt($crate::storage::now())),
            )
            .filter($crate::storage::schema::account_blocks::target_actor_id.is_not_null())
            .select($crate::storage::schema::account_blocks::target_actor_id.assume_not_null())
    };
}
pub(crate) use hidden_actor_ids;

/// The ids of actors on a domain `$account` blocks, or on its subdomains,
/// as a subselect for `ne_all`. Driven by the account's (few) domain-block
/// rows: with none, it reads no actor at all.
macro_rules! domain_blocked_actor_ids {
    ($account:expr) => {
        $crate::storage::schema::actors::table
            .inner_join(
                $crate::storage::schema::account_blocks::table.on(
                    $crate::storage::schema::account_blocks::account_id
                        .eq($account)
                        .and(
                            $crate::storage::schema::account_blocks::kind
                                .eq($crate::storage::blocks::DOMAIN_BLOCK),
                        )
                        .and(
                            // The host, its subdomains, each with a port.
                            $crate::storage::schema::actors::domain
                                .eq($crate::storage::schema::account_blocks::target)
                                .or($crate::storage::schema::actors::domain.like(
                                    $crate::storage::schema::account_blocks::target.concat(":%"),
                                ))
                                .or($crate::storage::schema::actors::domain.like(
                                    $crate::storage::schema::account_blocks::subdomain_pattern
                                        .assume_not_null(),
                                ))
                                .or($crate::storage::schema::actors::domain.like(
                                    $crate::storage::schema::account_blocks::subdomain_pattern
                                        .assume_not_null()
                                        .concat(":%"),
                                )),
                        ),
                ),
            )
            .select($crate::storage::schema::actors::id)
    };
}
pub(crate) use domain_blocked_actor_ids;

/// A new block or mute.
pub struct NewBlock<'a> {
    pub account_id: i64,
    pub kind: &'a str,
    pub target_actor_id: Option<i64>,
    pub subdomain_pattern: Option<&'a str>,
    pub target: &'a str,
    pub notifications: bool,
    pub expires_at: Option<NaiveDateTime>,
    pub activity_ap_id: Option<&'a str>,
}

impl Q<'_> {
    /// Records a block or mute, or replaces the same one (a mute given
    /// again takes its new flag and expiry).
    pub async fn put_block(&mut self, new: &NewBlock<'_>) -> StorageResult<BlockRow> {
        let now = now();
        on_q!(self, |c| Ok(diesel::insert_into(account_blocks::table)
            .values((
                account_blocks::account_id.eq(new.account_id),
                account_blocks::kind.eq(new.kind),
                account_blocks::target_actor_id.eq(new.target_actor_id),
                account_blocks::subdomain_pattern.eq(new.subdomain_pattern),
                account_blocks::target.eq(new.target),
                account_blocks::notifications.eq(new.notifications),
                account_blocks::expires_at.eq(new.expires_at),
                account_blocks::activity_ap_id.eq(new.activity_ap_id),
                account_blocks::created_at.eq(now),
            ))
            .on_conflict((
                account_blocks::account_id,
                account_blocks::kind,
                account_blocks::target,
            ))
            .do_update()
            .set((
                account_blocks::notifications.eq(new.notifications),
                account_blocks::expires_at.eq(new.expires_at),
            ))
            .returning(BlockRow::as_returning())
            .get_result(c)
            .await?))
    }

    /// Removes a block or mute; the removed row, if there was one.
    pub async fn delete_block(
        &mut self,
        account_id: i64,
        kind: &str,
        target: &str,
    ) -> StorageResult<Option<BlockRow>> {
        on_q!(self, |c| Ok(diesel::delete(
            account_blocks::table
                .filter(account_blocks::account_id.eq(account_id))
                .filter(account_blocks::kind.eq(kind))
                .filter(account_blocks::target.eq(target)),
        )
        .returning(BlockRow::as_returning())
        .get_result(c)
        .await
        .optional()?))
    }

    /// An account's blocks and mutes of the given kinds, newest first, from
    /// `max_id` down when paging.
    pub async fn blocks_of(
        &mut self,
        account_id: i64,
        kinds: &[&str],
        max_id: Option<i64>,
        limit: i64,
    ) -> StorageResult<Vec<BlockRow>> {
        let kinds: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        on_q!(self, |c| {
            let mut query = account_blocks::table
                .filter(account_blocks::account_id.eq(account_id))
                .filter(account_blocks::kind.eq_any(&kinds))
                .into_boxed();
            if let Some(max) = max_id {
                query = query.filter(account_blocks::id.lt(max));
            }
            Ok(query
                .order(account_blocks::id.desc())
                .limit(limit)
                .select(BlockRow::as_select())
                .load(c)
                .await?)
        })
    }

    /// What `account_id` has decided about `actor`: its rows naming the
    /// actor, and its domain blocks covering the actor's domain.
    pub async fn blocks_concerning(
        &mut self,
        account_id: i64,
        actor: &ActorRow,
    ) -> StorageResult<Vec<BlockRow>> {
        let rows = on_q!(self, |c| Ok::<Vec<BlockRow>, super::StorageError>(
            account_blocks::table
                .filter(account_blocks::account_id.eq(account_id))
                .filter(
                    account_blocks::target_actor_id
                        .eq(actor.id)
                        .or(account_blocks::kind.eq(DOMAIN_BLOCK)),
                )
                .select(BlockRow::as_select())
                .load(c)
                .await?
        ))?;
        Ok(rows
            .into_iter()
            .filter(|r| match r.kind.as_str() {
                DOMAIN_BLOCK => domain_covers(&r.target, &actor.domain),
                _ => r.target_actor_id == Some(actor.id),
            })
            .filter(BlockRow::in_force)
            .collect())
    }

    /// The remote actors an account's block rows cover right now (named, or
    /// on a blocked domain), for removing their follows.
    pub async fn actors_blocked_by(&mut self, account_id: i64) -> StorageResult<Vec<ActorRow>> {
        let kinds = [BLOCK.to_string()];
        on_q!(self, |c| {
            let named: Vec<ActorRow> = actors::table
                .filter(actors::id.eq_any(hidden_actor_ids!(account_id, &kinds)))
                .select(ActorRow::as_select())
                .load(c)
                .await?;
            let patterns: Vec<(String, Option<String>)> = account_blocks::table
                .filter(account_blocks::account_id.eq(account_id))
                .filter(account_blocks::kind.eq(DOMAIN_BLOCK))
                .select((account_blocks::target, account_blocks::subdomain_pattern))
                .load(c)
                .await?;
            let mut by_domain = Vec::new();
            for (domain, pattern) in patterns {
                by_domain.extend(
                    actors::table
                        .filter(actors::local.eq(false))
                        .filter(
                            actors::domain
                                .eq(&domain)
                                .or(actors::domain.like(format!("{domain}:%")))
                                .or(actors::domain.like(pattern.clone().unwrap_or_default()))
                                .or(actors::domain
                                    .like(format!("{}:%", pattern.unwrap_or_default()))),
                        )
                        .select(ActorRow::as_select())
                        .load::<ActorRow>(c)
                        .await?,
                );
            }
            Ok(named.into_iter().chain(by_domain).collect())
        })
    }
}
