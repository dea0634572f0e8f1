//! The event side table: one row per post of type `Event`.

use super::{
    Q, StorageResult,
    models::{EventRow, PostRow},
    on_q,
    schema::{events, posts},
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

impl Q<'_> {
    pub async fn insert_event(&mut self, event: &EventRow) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(events::table)
                .values(event)
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Replaces every field of an event (its post's text is edited apart).
    pub async fn update_event(&mut self, event: &EventRow) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(events::table.find(event.post_id))
                .set(event)
                .execute(c)
                .await?;
            Ok(())
        })
    }

    pub async fn event_by_post(&mut self, post_id: i64) -> StorageResult<Option<EventRow>> {
        on_q!(self, |c| Ok(events::table
            .find(post_id)
            .select(EventRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// An author's events not deleted, upcoming (ending, or starting when
    /// no end is set, at or after `now`) soonest first, or past latest first.
    pub async fn events_of(
        &mut self,
        author_id: i64,
        now: NaiveDateTime,
        past: bool,
        limit: i64,
    ) -> StorageResult<Vec<(PostRow, EventRow)>> {
        on_q!(self, |c| {
            let base = events::table
                .inner_join(posts::table)
                .filter(posts::author_id.eq(author_id))
                .filter(posts::deleted_at.is_null())
                .select((PostRow::as_select(), EventRow::as_select()))
                .limit(limit);
            let ended = events::ends_at
                .lt(now)
                .or(events::ends_at.is_null().and(events::starts_at.lt(now)));
            let ended_not = events::ends_at
                .ge(now)
                .or(events::ends_at.is_null().and(events::starts_at.ge(now)));
            Ok(if past {
                base.filter(ended)
                    .order((events::starts_at.desc(), events::post_id.desc()))
                    .load(c)
                    .await?
            } else {
                base.filter(ended_not)
                    .order((events::starts_at.asc(), events::post_id.asc()))
                    .load(c)
                    .await?
            })
        })
    }
}
