//! Reads for showing a page of posts at once: each query covers every post
//! (or author) on the page, so a page costs a fixed number of queries, not a
//! few per post.

use super::{
    Q, StorageResult,
    models::{ActorRow, PostRow},
    on_q,
    schema::{actors, bookmarks, follows, post_mentions, post_tags, posts, reactions},
};
use crate::model::{FollowState, ReactionKind, Visibility};
use chrono::NaiveDateTime;
use diesel::{dsl::count_star, prelude::*};
use diesel_async::RunQueryDsl;

impl Q<'_> {
    pub async fn actors_by_ids(&mut self, ids: &[i64]) -> StorageResult<Vec<ActorRow>> {
        on_q!(self, |c| Ok(actors::table
            .filter(actors::id.eq_any(ids))
            .select(ActorRow::as_select())
            .load(c)
            .await?))
    }

    pub async fn posts_by_ids(&mut self, ids: &[i64]) -> StorageResult<Vec<PostRow>> {
        on_q!(self, |c| Ok(posts::table
            .filter(posts::id.eq_any(ids))
            .select(PostRow::as_select())
            .load(c)
            .await?))
    }

    /// Accepted followers of each actor: (actor id, count).
    pub async fn follower_counts(&mut self, ids: &[i64]) -> StorageResult<Vec<(i64, i64)>> {
        on_q!(self, |c| Ok(follows::table
            .filter(follows::followee_id.eq_any(ids))
            .filter(follows::state.eq(FollowState::Accepted.as_str()))
            // Suspended accounts do not count (issue 15).
            .filter(follows::follower_id.ne_all(super::suspension::suspended_actor_ids!()))
            .group_by(follows::followee_id)
            .select((follows::followee_id, count_star()))
            .load(c)
            .await?))
    }

    /// Accepted follows by each actor: (actor id, count).
    pub async fn following_counts(&mut self, ids: &[i64]) -> StorageResult<Vec<(i64, i64)>> {
        on_q!(self, |c| Ok(follows::table
            .filter(follows::follower_id.eq_any(ids))
            .filter(follows::state.eq(FollowState::Accepted.as_str()))
            // Suspended accounts do not count (issue 15).
            .filter(follows::followee_id.ne_all(super::suspension::suspended_actor_ids!()))
            .group_by(follows::follower_id)
            .select((follows::follower_id, count_star()))
            .load(c)
            .await?))
    }

    /// Each author's posts of the given visibilities: (author id, count,
    /// when the newest was published).
    pub async fn post_counts(
        &mut self,
        author_ids: &[i64],
        visibilities: &[Visibility],
    ) -> StorageResult<Vec<(i64, i64, Option<NaiveDateTime>)>> {
        let visibilities: Vec<&str> = visibilities.iter().map(|v| v.as_str()).collect();
        on_q!(self, |c| Ok(posts::table
            .filter(posts::author_id.eq_any(author_ids))
            .filter(posts::visibility.eq_any(&visibilities))
            .filter(posts::deleted_at.is_null())
            // Not the posts of suspended accounts (issue 15).
            .filter(posts::author_id.ne_all(super::suspension::suspended_actor_ids!()))
            .group_by(posts::author_id)
            .select((
                posts::author_id,
                count_star(),
                diesel::dsl::max(posts::published_at),
            ))
            .load(c)
            .await?))
    }

    /// Which of `post_ids` `actor_id` reacted to with `kind`.
    pub async fn reacted_among(
        &mut self,
        kind: ReactionKind,
        actor_id: i64,
        post_ids: &[i64],
    ) -> StorageResult<Vec<i64>> {
        on_q!(self, |c| Ok(reactions::table
            .filter(reactions::kind.eq(kind.as_str()))
            .filter(reactions::actor_id.eq(actor_id))
            .filter(reactions::post_id.eq_any(post_ids))
            .select(reactions::post_id)
            .load(c)
            .await?))
    }

    /// Which of `post_ids` `actor_id` bookmarked.
    pub async fn bookmarked_among(
        &mut self,
        actor_id: i64,
        post_ids: &[i64],
    ) -> StorageResult<Vec<i64>> {
        on_q!(self, |c| Ok(bookmarks::table
            .filter(bookmarks::actor_id.eq(actor_id))
            .filter(bookmarks::post_id.eq_any(post_ids))
            .select(bookmarks::post_id)
            .load(c)
            .await?))
    }

    /// The actors each post mentions: (post id, actor), by actor id.
    pub async fn mentions_of(&mut self, post_ids: &[i64]) -> StorageResult<Vec<(i64, ActorRow)>> {
        on_q!(self, |c| Ok(post_mentions::table
            .inner_join(actors::table.on(actors::id.eq(post_mentions::actor_id)))
            .filter(post_mentions::post_id.eq_any(post_ids))
            .order(actors::id.asc())
            .select((post_mentions::post_id, ActorRow::as_select()))
            .load(c)
            .await?))
    }

    /// The hashtags of each post: (post id, tag), by tag.
    pub async fn tags_of(&mut self, post_ids: &[i64]) -> StorageResult<Vec<(i64, String)>> {
        on_q!(self, |c| Ok(post_tags::table
            .filter(post_tags::post_id.eq_any(post_ids))
            .order(post_tags::tag.asc())
            .select((post_tags::post_id, post_tags::tag))
            .load(c)
            .await?))
    }
}
