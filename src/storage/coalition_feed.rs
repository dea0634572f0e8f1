//! What a coalition shows (issue 14 item 4): the posts and events it
//! relayed, for its timeline in the client API, its page and its calendar;
//! and for a remote group, the posts we know that address it or that it
//! boosted.

use super::{
    Q, StorageResult,
    accounts::load_page,
    models::{ActorRow, EventRow, PostRow},
    on_q,
    schema::{actors, coalition_relays, events, group_posts, posts},
};
use crate::model::Page;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// `Visibility::Public` and `Unlisted` as stored: only what anyone may read
/// is shown for a coalition: a members-only
/// thread or a followers-only post never is, by any of these paths.
const SHOWN: [&str; 2] = ["public", "unlisted"];

impl Q<'_> {
    /// The originals a coalition relayed, public or unlisted and not
    /// deleted, newest first and paged by status id as Mastodon pages (a
    /// post is relayed when it arrives, so this is also the relays' order).
    pub async fn relayed_posts(
        &mut self,
        coalition_id: i64,
        page: Page,
    ) -> StorageResult<Vec<PostRow>> {
        on_q!(self, |c| {
            let query = posts::table
                .filter(
                    posts::id.eq_any(
                        coalition_relays::table
                            .filter(coalition_relays::coalition_id.eq(coalition_id))
                            .select(coalition_relays::post_id),
                    ),
                )
                .filter(posts::deleted_at.is_null())
                // Not the posts of suspended accounts (issue 15).
                .filter(posts::author_id.ne_all(super::suspension::suspended_actor_ids!()))
                .filter(posts::visibility.eq_any(SHOWN))
                .filter(posts::reblog_of_id.is_null())
                .into_boxed();
            Ok(load_page!(query, page, c))
        })
    }

    /// The posts stored here that address a (remote) group in `to`/`cc`
    /// or mention it ([`Q::index_group_post`]), or that it boosted (the
    /// originals): public or unlisted, not deleted, newest first, paged as
    /// Mastodon pages. Two index lookups, merged: an `OR` of the two would
    /// make the database scan every post.
    pub async fn group_posts(
        &mut self,
        group: &ActorRow,
        page: Page,
    ) -> StorageResult<Vec<PostRow>> {
        let group_id = group.id;
        let mut rows = on_q!(self, |c| {
            let query = group_posts::table
                .inner_join(posts::table.on(posts::id.eq(group_posts::post_id)))
                .filter(group_posts::group_id.eq(group_id))
                .filter(posts::deleted_at.is_null())
                .filter(posts::visibility.eq_any(SHOWN))
                .filter(posts::reblog_of_id.is_null())
                // Not the posts of suspended accounts (issue 15).
                .filter(posts::author_id.ne_all(super::suspension::suspended_actor_ids!()))
                .into_boxed();
            let addressed: Vec<PostRow> = load_page!(query, page, c, group_posts::post_id);
            let boosts = diesel::alias!(posts as boosts);
            let query = posts::table
                .filter(posts::deleted_at.is_null())
                .filter(posts::visibility.eq_any(SHOWN))
                .filter(posts::reblog_of_id.is_null())
                // Not the posts of suspended accounts (issue 15).
                .filter(posts::author_id.ne_all(super::suspension::suspended_actor_ids!()))
                .filter(
                    posts::id.nullable().eq_any(
                        boosts
                            .filter(boosts.field(posts::author_id).eq(group_id))
                            .filter(boosts.field(posts::deleted_at).is_null())
                            .select(boosts.field(posts::reblog_of_id)),
                    ),
                )
                .into_boxed();
            let boosted: Vec<PostRow> = load_page!(query, page, c);
            StorageResult::Ok([addressed, boosted].concat())
        })?;
        // Each list is one page from its end (newest, or oldest after
        // `min_id`) and newest first: the page is that end of both.
        rows.sort_by_key(|p| std::cmp::Reverse(p.id));
        rows.dedup_by_key(|p| p.id);
        let limit = usize::try_from(page.limit).unwrap_or(0);
        if page.min_id.is_some() {
            let skip = rows.len().saturating_sub(limit);
            rows.drain(..skip);
        } else {
            rows.truncate(limit);
        }
        Ok(rows)
    }

    /// Lists a stored post under the known remote groups it addresses
    /// (found by [`Q::remote_group_ids`] before the transaction), for
    /// [`Q::group_posts`].
    pub async fn index_group_posts(
        &mut self,
        post_id: i64,
        group_ids: &[i64],
    ) -> StorageResult<()> {
        if group_ids.is_empty() {
            return Ok(());
        }
        on_q!(self, |c| {
            for group_id in group_ids {
                diesel::insert_into(group_posts::table)
                    .values((
                        group_posts::group_id.eq(group_id),
                        group_posts::post_id.eq(post_id),
                    ))
                    .on_conflict_do_nothing()
                    .execute(c)
                    .await?;
            }
            Ok(())
        })
    }

    /// Which of `ap_ids` are known remote groups (`Group` actors): one
    /// indexed query. A group's id written in a post's text addresses
    /// nobody; only addressing and mentions are passed here.
    pub async fn remote_group_ids(&mut self, ap_ids: &[&str]) -> StorageResult<Vec<i64>> {
        if ap_ids.is_empty() {
            return Ok(Vec::new());
        }
        on_q!(self, |c| Ok(actors::table
            .filter(actors::ap_type.eq("Group"))
            .filter(actors::local.eq(false))
            .filter(actors::ap_id.eq_any(ap_ids))
            .select(actors::id)
            .load(c)
            .await?))
    }

    /// A coalition's own events and those it relayed, public or unlisted
    /// (`public_only`: public), not deleted, with their organisers: those
    /// not ended soonest first, or (`past`) those ended, latest first.
    pub async fn coalition_events(
        &mut self,
        coalition_id: i64,
        public_only: bool,
        now: NaiveDateTime,
        past: bool,
        limit: i64,
    ) -> StorageResult<Vec<(PostRow, EventRow, ActorRow)>> {
        let levels: &[&str] = if public_only { &SHOWN[..1] } else { &SHOWN };
        on_q!(self, |c| {
            let query = events::table
                .inner_join(posts::table.inner_join(actors::table))
                .filter(posts::deleted_at.is_null())
                .filter(posts::visibility.eq_any(levels))
                .filter(
                    posts::author_id.eq(coalition_id).or(posts::id.eq_any(
                        coalition_relays::table
                            .filter(coalition_relays::coalition_id.eq(coalition_id))
                            .select(coalition_relays::post_id),
                    )),
                )
                .select((
                    PostRow::as_select(),
                    EventRow::as_select(),
                    ActorRow::as_select(),
                ))
                .limit(limit)
                .into_boxed();
            // As `events_of`: `NOT` of "not ended" would be NULL for an
            // event without an end, so both are written out.
            Ok(if past {
                query
                    .filter(
                        events::ends_at
                            .lt(now)
                            .or(events::ends_at.is_null().and(events::starts_at.lt(now))),
                    )
                    .order((events::starts_at.desc(), events::post_id.desc()))
                    .load(c)
                    .await?
            } else {
                query
                    .filter(
                        events::ends_at
                            .ge(now)
                            .or(events::ends_at.is_null().and(events::starts_at.ge(now))),
                    )
                    .order((events::starts_at.asc(), events::post_id.asc()))
                    .load(c)
                    .await?
            })
        })
    }
}
