//! Home timelines, kept as rows (`home_feed`) written when a post arrives, so
//! that reading a page never depends on how many accounts one follows.

use super::{
    Q, StorageResult, on_q,
    schema::{actors, follows, home_feed, posts},
};
use crate::model::{FollowState, Visibility};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// How many of a newly followed account's posts are copied into the
/// follower's home timeline.
pub const BACKFILL_POSTS: i64 = 400;

impl Q<'_> {
    /// The local accounts that follow `author_id` (accepted follows).
    pub async fn local_follower_ids(&mut self, author_id: i64) -> StorageResult<Vec<i64>> {
        on_q!(self, |c| Ok(follows::table
            .inner_join(actors::table.on(actors::id.eq(follows::follower_id)))
            .filter(follows::followee_id.eq(author_id))
            .filter(follows::state.eq(FollowState::Accepted.as_str()))
            .filter(actors::local.eq(true))
            .select(follows::follower_id)
            .load(c)
            .await?))
    }

    /// Puts a post on the home timelines of `owners`.
    pub async fn add_to_home_feeds(&mut self, post_id: i64, owners: &[i64]) -> StorageResult<()> {
        let rows: Vec<(i64, i64)> = owners.iter().map(|owner| (*owner, post_id)).collect();
        self.insert_home_feed_rows(&rows).await
    }

    /// Inserts `(owner, post)` rows, skipping those already there.
    async fn insert_home_feed_rows(&mut self, rows: &[(i64, i64)]) -> StorageResult<()> {
        let rows: Vec<_> = rows
            .iter()
            .map(|(owner, post)| (home_feed::owner_id.eq(*owner), home_feed::post_id.eq(*post)))
            .collect();
        match self {
            Q::Postgres(c) => {
                diesel::insert_into(home_feed::table)
                    .values(&rows)
                    .on_conflict_do_nothing()
                    .execute(*c)
                    .await?;
            }
            Q::Sqlite(c) => {
                for row in rows {
                    diesel::insert_into(home_feed::table)
                        .values(row)
                        .on_conflict_do_nothing()
                        .execute(*c)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Copies the latest posts of a newly followed account into the
    /// follower's home timeline, as Mastodon does on follow.
    pub async fn backfill_home_feed(
        &mut self,
        owner_id: i64,
        followee_id: i64,
    ) -> StorageResult<()> {
        let visible = [
            Visibility::Public.as_str(),
            Visibility::Unlisted.as_str(),
            Visibility::Followers.as_str(),
        ];
        let ids: Vec<i64> = on_q!(self, |c| posts::table
            .filter(posts::author_id.eq(followee_id))
            .filter(posts::visibility.eq_any(visible))
            .filter(posts::deleted_at.is_null())
            // Not the posts of suspended accounts (issue 15).
            .filter(posts::author_id.ne_all(super::suspension::suspended_actor_ids!()))
            // Its own posts only: a boost backfilled could show a post a
            // second time (a boost enters a feed only where the original is not).
            .filter(posts::reblog_of_id.is_null())
            .order(posts::id.desc())
            .limit(BACKFILL_POSTS)
            .select(posts::id)
            .load(c)
            .await)?;
        let rows: Vec<(i64, i64)> = ids.into_iter().map(|id| (owner_id, id)).collect();
        self.insert_home_feed_rows(&rows).await
    }

    /// Takes an unfollowed account's posts off the follower's home timeline.
    pub async fn clear_home_feed_of(
        &mut self,
        owner_id: i64,
        followee_id: i64,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::delete(
                home_feed::table
                    .filter(home_feed::owner_id.eq(owner_id))
                    .filter(
                        home_feed::post_id.eq_any(
                            posts::table
                                .filter(posts::author_id.eq(followee_id))
                                .select(posts::id),
                        ),
                    ),
            )
            .execute(c)
            .await?;
            Ok(())
        })
    }
}
