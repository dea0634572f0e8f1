//! Boosts, stored as Mastodon stores them: a row of `posts` of its own
//! (`reblog_of_id` = the boosted post), one per (booster, post).

use super::{
    Q, StorageResult,
    models::PostRow,
    now, on_q,
    schema::{home_feed, posts},
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

impl Q<'_> {
    /// Stores a boost row; None when the booster has boosted that post
    /// already (the unique index on (author_id, reblog_of_id)) or the row's
    /// `ap_id` is stored already: one account boosts one post once,
    /// whatever the `Announce` ids.
    pub async fn insert_boost(&mut self, boost: &PostRow) -> StorageResult<Option<PostRow>> {
        let inserted = on_q!(self, |c| diesel::insert_into(posts::table)
            .values(boost)
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok((inserted == 1).then(|| boost.clone()))
    }

    /// The boost of `original_id` by `booster_id`, if stored (deleted or not).
    pub async fn boost_by(
        &mut self,
        booster_id: i64,
        original_id: i64,
    ) -> StorageResult<Option<PostRow>> {
        on_q!(self, |c| Ok(posts::table
            .filter(posts::author_id.eq(booster_id))
            .filter(posts::reblog_of_id.eq(original_id))
            .select(PostRow::as_select())
            .first(c)
            .await
            .optional()?))
    }

    /// Which of `owners` already have `original_id`, or a boost of it, in
    /// their home feed: a post is shown there once.
    pub async fn feeds_showing(
        &mut self,
        owners: &[i64],
        original_id: i64,
    ) -> StorageResult<Vec<i64>> {
        if owners.is_empty() {
            return Ok(Vec::new());
        }
        on_q!(self, |c| Ok(home_feed::table
            .inner_join(posts::table)
            .filter(home_feed::owner_id.eq_any(owners))
            .filter(
                posts::id
                    .eq(original_id)
                    .or(posts::reblog_of_id.eq(original_id)),
            )
            .select(home_feed::owner_id)
            .distinct()
            .load(c)
            .await?))
    }

    /// Removes `booster_id`'s boost of `original_id` (its home-feed rows go
    /// with it, by cascade): an undone boost leaves nothing behind, and the
    /// same post may be boosted again later.
    pub async fn delete_boost(&mut self, booster_id: i64, original_id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::delete(
                posts::table
                    .filter(posts::author_id.eq(booster_id))
                    .filter(posts::reblog_of_id.eq(original_id)),
            )
            .execute(c)
            .await?;
            Ok(())
        })
    }

    /// Marks the boosts of a post deleted with it (Mastodon removes them).
    pub async fn delete_boosts_of(&mut self, original_id: i64) -> StorageResult<()> {
        let now = now();
        on_q!(self, |c| {
            diesel::update(
                posts::table
                    .filter(posts::reblog_of_id.eq(original_id))
                    .filter(posts::deleted_at.is_null()),
            )
            .set((posts::deleted_at.eq(Some(now)), posts::updated_at.eq(now)))
            .execute(c)
            .await?;
            Ok(())
        })
    }
}
