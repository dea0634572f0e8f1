//! Members-only threads (issue 14 item 3): which post of a coalition is its
//! members-only copy of which original.

use super::{
    Q, StorageResult, on_q,
    schema::{coalition_threads, posts},
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// A coalition's copy of an original post.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = coalition_threads)]
pub struct ThreadRow {
    pub coalition_id: i64,
    pub original_post_id: i64,
    pub copy_post_id: i64,
    pub created_at: NaiveDateTime,
}

impl Q<'_> {
    /// Records a copy; a second copy of one original by one coalition is a
    /// `Conflict` (the unique key), so a redelivered original is re-sent once.
    pub async fn insert_coalition_thread(&mut self, row: &ThreadRow) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(coalition_threads::table)
                .values(row)
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// The thread entry whose copy is `post_id`, if that post is a copy.
    pub async fn thread_by_copy(&mut self, post_id: i64) -> StorageResult<Option<ThreadRow>> {
        on_q!(self, |c| Ok(coalition_threads::table
            .filter(coalition_threads::copy_post_id.eq(post_id))
            .select(ThreadRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// The copies of `post_id` as an original, one per coalition.
    pub async fn threads_of_original(&mut self, post_id: i64) -> StorageResult<Vec<ThreadRow>> {
        on_q!(self, |c| Ok(coalition_threads::table
            .filter(coalition_threads::original_post_id.eq(post_id))
            .select(ThreadRow::as_select())
            .load(c)
            .await?))
    }

    /// How many copies `coalition_id` made of originals by `author_id` since
    /// `since` (the per-member hourly cap of members-only threads).
    pub async fn count_copies_of_author_since(
        &mut self,
        coalition_id: i64,
        author_id: i64,
        since: NaiveDateTime,
    ) -> StorageResult<i64> {
        on_q!(self, |c| Ok(coalition_threads::table
            .inner_join(posts::table.on(posts::id.eq(coalition_threads::original_post_id)))
            .filter(coalition_threads::coalition_id.eq(coalition_id))
            .filter(posts::author_id.eq(author_id))
            .filter(coalition_threads::created_at.ge(since))
            .count()
            .get_result(c)
            .await?))
    }

    /// Every copy whose original is by `author_id` (when the author's
    /// account is deleted, the copies go first).
    pub async fn threads_of_author(&mut self, author_id: i64) -> StorageResult<Vec<ThreadRow>> {
        on_q!(self, |c| Ok(coalition_threads::table
            .inner_join(posts::table.on(posts::id.eq(coalition_threads::original_post_id)))
            .filter(posts::author_id.eq(author_id))
            .select(ThreadRow::as_select())
            .load(c)
            .await?))
    }
}
