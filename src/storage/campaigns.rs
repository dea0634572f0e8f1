//! Campaign hashtags of coalitions (issue 14 item 5) and the members' posts
//! that carry them.

use super::{
    Q, StorageResult,
    models::{ActorRow, FollowRow, PostRow},
    now, on_q,
    schema::{actors, coalition_campaigns, coalition_members, follows, post_tags, posts},
};
use crate::model::Visibility;
use chrono::NaiveDateTime;
use diesel::{
    dsl::{count_star, sql},
    prelude::*,
    sql_types::Text,
};
use diesel_async::RunQueryDsl;

/// The members' public posts with a campaign's tag, since it started:
/// what a campaign lists and counts. Boosts carry no tags; members-only
/// copies are not public; deleted posts are gone.
macro_rules! campaign_filter {
    ($coalition_id:expr, $tag:expr, $since:expr) => {
        posts::table
            .inner_join(post_tags::table)
            .inner_join(
                coalition_members::table.on(coalition_members::member_id.eq(posts::author_id)),
            )
            .filter(coalition_members::coalition_id.eq($coalition_id))
            .filter(post_tags::tag.eq($tag))
            .filter(posts::visibility.eq(Visibility::Public.as_str()))
            .filter(posts::deleted_at.is_null())
            .filter(posts::reblog_of_id.is_null())
            .filter(posts::published_at.ge($since))
    };
}

impl Q<'_> {
    /// Names `tag` a campaign of `coalition_id`; `false` if it was one already.
    pub async fn add_campaign(&mut self, coalition_id: i64, tag: &str) -> StorageResult<bool> {
        on_q!(self, |c| Ok(diesel::insert_into(
            coalition_campaigns::table
        )
        .values((
            coalition_campaigns::coalition_id.eq(coalition_id),
            coalition_campaigns::tag.eq(tag),
            coalition_campaigns::created_at.eq(now()),
        ))
        .on_conflict_do_nothing()
        .execute(c)
        .await?
            > 0))
    }

    /// `false` if `tag` was not a campaign of `coalition_id`.
    pub async fn remove_campaign(&mut self, coalition_id: i64, tag: &str) -> StorageResult<bool> {
        on_q!(self, |c| Ok(diesel::delete(
            coalition_campaigns::table
                .filter(coalition_campaigns::coalition_id.eq(coalition_id))
                .filter(coalition_campaigns::tag.eq(tag)),
        )
        .execute(c)
        .await?
            > 0))
    }

    /// A coalition's campaigns `(tag, created_at)`, oldest first.
    pub async fn campaigns_of(
        &mut self,
        coalition_id: i64,
    ) -> StorageResult<Vec<(String, NaiveDateTime)>> {
        on_q!(self, |c| Ok(coalition_campaigns::table
            .filter(coalition_campaigns::coalition_id.eq(coalition_id))
            .order((
                coalition_campaigns::created_at.asc(),
                coalition_campaigns::tag.asc()
            ))
            .select((coalition_campaigns::tag, coalition_campaigns::created_at))
            .load(c)
            .await?))
    }

    /// The coalitions (actor ids) that `member_id` belongs to and that run a
    /// campaign on any of `tags`, each once.
    pub async fn campaigning_coalitions(
        &mut self,
        member_id: i64,
        tags: &[String],
    ) -> StorageResult<Vec<i64>> {
        if tags.is_empty() {
            return Ok(Vec::new());
        }
        on_q!(self, |c| Ok(coalition_campaigns::table
            .inner_join(
                coalition_members::table
                    .on(coalition_members::coalition_id.eq(coalition_campaigns::coalition_id)),
            )
            .filter(coalition_members::member_id.eq(member_id))
            .filter(coalition_campaigns::tag.eq_any(tags))
            .select(coalition_campaigns::coalition_id)
            .distinct()
            .order(coalition_campaigns::coalition_id.asc())
            .load(c)
            .await?))
    }

    /// The members' public posts with `tag` published since `since` (the
    /// campaign's start), newest first, before `max_id`. Boosts carry no
    /// tags, and members-only copies are not public.
    pub async fn campaign_posts(
        &mut self,
        coalition_id: i64,
        tag: &str,
        since: NaiveDateTime,
        max_id: Option<i64>,
        limit: i64,
    ) -> StorageResult<Vec<(PostRow, ActorRow)>> {
        on_q!(self, |c| Ok(campaign_filter!(coalition_id, tag, since)
            .inner_join(actors::table)
            .filter(posts::id.lt(max_id.unwrap_or(i64::MAX)))
            .order(posts::id.desc())
            .limit(limit)
            .select((PostRow::as_select(), ActorRow::as_select()))
            .load(c)
            .await?))
    }

    /// How many of the same posts each organisation (author id) made,
    /// counted by the database (`GROUP BY`), in no particular order.
    pub async fn campaign_counts_per_author(
        &mut self,
        coalition_id: i64,
        tag: &str,
        since: NaiveDateTime,
    ) -> StorageResult<Vec<(i64, i64)>> {
        on_q!(self, |c| Ok(campaign_filter!(coalition_id, tag, since)
            .group_by(posts::author_id)
            .select((posts::author_id, count_star()))
            .load(c)
            .await?))
    }

    /// How many of the same posts were published each day (UTC, as
    /// `YYYY-MM-DD`), counted by the database, in no particular order.
    pub async fn campaign_counts_per_day(
        &mut self,
        coalition_id: i64,
        tag: &str,
        since: NaiveDateTime,
    ) -> StorageResult<Vec<(String, i64)>> {
        // Timestamps are UTC. SQLite stores them as text beginning with
        // the date; PostgreSQL as timestamps, which it formats.
        let day = match self {
            Q::Sqlite(_) => "substr(posts.published_at, 1, 10)",
            Q::Postgres(_) => "to_char(posts.published_at, 'YYYY-MM-DD')",
        };
        on_q!(self, |c| Ok(campaign_filter!(coalition_id, tag, since)
            .group_by(sql::<Text>(day))
            .select((sql::<Text>(day), count_star()))
            .load(c)
            .await?))
    }

    /// Marks a follow as made by its follower's campaigns.
    pub async fn mark_campaign_follow(&mut self, follow_id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(follows::table.find(follow_id))
                .set(follows::by_campaign.eq(true))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Makes a follow its follower's own (an operator asked for it).
    pub async fn unmark_campaign_follow(&mut self, follow_id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(follows::table.find(follow_id))
                .set(follows::by_campaign.eq(false))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// The follows `coalition_id`'s campaigns made, with the followed
    /// actors, oldest first; only the one of `followee_id` if given.
    pub async fn campaign_follows(
        &mut self,
        coalition_id: i64,
        followee_id: Option<i64>,
    ) -> StorageResult<Vec<(FollowRow, ActorRow)>> {
        on_q!(self, |c| {
            let mut query = follows::table
                .inner_join(actors::table.on(actors::id.eq(follows::followee_id)))
                .filter(follows::follower_id.eq(coalition_id))
                .filter(follows::by_campaign.eq(true))
                .order(follows::id.asc())
                .select((FollowRow::as_select(), ActorRow::as_select()))
                .into_boxed();
            if let Some(followee_id) = followee_id {
                query = query.filter(follows::followee_id.eq(followee_id));
            }
            Ok(query.load(c).await?)
        })
    }
}
