//! Campaign hashtags of coalitions (issue 14 item 5) and the members' posts
//! that carry them.

use super::{
    Q, StorageResult,
    models::{ActorRow, PostRow},
    now, on_q,
    schema::{actors, coalition_campaigns, coalition_members, post_tags, posts},
};
use crate::model::Visibility;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// The most campaign posts read to count them per organisation and day: a
/// campaign of tens of organisations stays far below it, and a runaway tag
/// cannot make one page read the whole table.
pub const CAMPAIGN_COUNT_MAX: i64 = 20_000;

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

    /// The members' public posts with `tag`, newest first, before `max_id`.
    /// Boosts carry no tags, and members-only copies are not public.
    pub async fn campaign_posts(
        &mut self,
        coalition_id: i64,
        tag: &str,
        max_id: Option<i64>,
        limit: i64,
    ) -> StorageResult<Vec<(PostRow, ActorRow)>> {
        on_q!(self, |c| Ok(posts::table
            .inner_join(post_tags::table)
            .inner_join(actors::table)
            .inner_join(
                coalition_members::table.on(coalition_members::member_id.eq(posts::author_id)),
            )
            .filter(coalition_members::coalition_id.eq(coalition_id))
            .filter(post_tags::tag.eq(tag))
            .filter(posts::visibility.eq(Visibility::Public.as_str()))
            .filter(posts::deleted_at.is_null())
            .filter(posts::reblog_of_id.is_null())
            .filter(posts::id.lt(max_id.unwrap_or(i64::MAX)))
            .order(posts::id.desc())
            .limit(limit)
            .select((PostRow::as_select(), ActorRow::as_select()))
            .load(c)
            .await?))
    }

    /// `(author, published_at)` of the same posts, at most
    /// [`CAMPAIGN_COUNT_MAX`], for the counts per organisation and day.
    pub async fn campaign_post_times(
        &mut self,
        coalition_id: i64,
        tag: &str,
    ) -> StorageResult<Vec<(i64, NaiveDateTime)>> {
        on_q!(self, |c| Ok(posts::table
            .inner_join(post_tags::table)
            .inner_join(
                coalition_members::table.on(coalition_members::member_id.eq(posts::author_id)),
            )
            .filter(coalition_members::coalition_id.eq(coalition_id))
            .filter(post_tags::tag.eq(tag))
            .filter(posts::visibility.eq(Visibility::Public.as_str()))
            .filter(posts::deleted_at.is_null())
            .filter(posts::reblog_of_id.is_null())
            .order(posts::id.desc())
            .limit(CAMPAIGN_COUNT_MAX)
            .select((posts::author_id, posts::published_at))
            .load(c)
            .await?))
    }
}
