//! Earlier versions of posts (issue 16: edits keep a history of media
//! changes) and events' banners.

use super::{
    Q, StorageResult, on_q,
    schema::{events, post_edits},
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// One earlier version of a post.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = post_edits)]
pub struct PostEditRow {
    pub id: i64,
    pub post_id: i64,
    /// The version's HTML.
    pub content: String,
    pub summary: Option<String>,
    pub sensitive: bool,
    /// Its media, as a JSON array (see `service::attachments::MediaVersion`).
    pub media_json: String,
    /// When this version was made.
    pub created_at: NaiveDateTime,
}

/// An earlier version to keep.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = post_edits)]
pub struct NewPostEdit {
    pub post_id: i64,
    pub content: String,
    pub summary: Option<String>,
    pub sensitive: bool,
    pub media_json: String,
    pub created_at: NaiveDateTime,
}

/// The most versions kept per post: a remote server sending Updates in a
/// loop must not fill the disk.
pub const MAX_EDITS_KEPT: i64 = 100;

impl Q<'_> {
    /// Keeps an earlier version; beyond [`MAX_EDITS_KEPT`] the oldest go.
    pub async fn insert_post_edit(&mut self, edit: &NewPostEdit) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::insert_into(post_edits::table)
                .values(edit)
                .execute(c)
                .await?;
            let keep: Vec<i64> = post_edits::table
                .filter(post_edits::post_id.eq(edit.post_id))
                .order(post_edits::id.desc())
                .limit(MAX_EDITS_KEPT)
                .select(post_edits::id)
                .load(c)
                .await?;
            if keep.len() as i64 == MAX_EDITS_KEPT {
                diesel::delete(
                    post_edits::table
                        .filter(post_edits::post_id.eq(edit.post_id))
                        .filter(post_edits::id.ne_all(keep)),
                )
                .execute(c)
                .await?;
            }
            Ok(())
        })
    }

    /// A post's earlier versions, oldest first.
    pub async fn post_edits(&mut self, post_id: i64) -> StorageResult<Vec<PostEditRow>> {
        on_q!(self, |c| Ok(post_edits::table
            .filter(post_edits::post_id.eq(post_id))
            .order(post_edits::id.asc())
            .select(PostEditRow::as_select())
            .load(c)
            .await?))
    }

    /// Sets (or clears) an event's banner, one of its post's media rows.
    pub async fn set_event_banner(
        &mut self,
        post_id: i64,
        media_id: Option<i64>,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(events::table.find(post_id))
                .set(events::banner_media_id.eq(media_id))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// An event's banner media id, if it has one.
    pub async fn event_banner(&mut self, post_id: i64) -> StorageResult<Option<i64>> {
        on_q!(self, |c| Ok(events::table
            .find(post_id)
            .select(events::banner_media_id)
            .get_result::<Option<i64>>(c)
            .await
            .optional()?
            .flatten()))
    }
}

impl Q<'_> {
    /// Attaches uploads to a post at their positions, each only if it is
    /// `account_id`'s, ready, and unattached or already on this post;
    /// answers how many were attached (fewer: the caller rolls back).
    pub async fn claim_media(
        &mut self,
        account_id: i64,
        post_id: i64,
        items: &[(i64, i32)],
    ) -> StorageResult<usize> {
        use super::schema::media_attachments as m;
        let mut claimed = 0;
        for &(id, position) in items {
            claimed += on_q!(self, |c| diesel::update(
                m::table
                    .filter(m::id.eq(id))
                    .filter(m::account_id.eq(account_id))
                    .filter(m::state.eq(super::media::READY))
                    .filter(m::post_id.is_null().or(m::post_id.eq(post_id)))
            )
            .set((m::post_id.eq(Some(post_id)), m::position.eq(position)))
            .execute(c)
            .await?);
        }
        Ok(claimed)
    }
}
