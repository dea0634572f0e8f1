//! Media attachments (issue 16): uploads of local accounts and the remote
//! attachments of remote posts. Blobs live in the media store; rows say
//! where, and what the image is.

use super::{Q, StorageResult, now, on_q, schema::media_attachments};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// One attachment.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media_attachments)]
pub struct MediaRow {
    pub id: i64,
    /// The uploader, or the remote post's author.
    pub account_id: i64,
    /// `None` until posted.
    pub post_id: Option<i64>,
    pub position: i32,
    /// `image` (Mastodon's type).
    pub kind: String,
    /// `processing`, `ready` or `failed`.
    pub state: String,
    pub file_key: Option<String>,
    pub small_key: Option<String>,
    pub content_type: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub small_width: Option<i32>,
    pub small_height: Option<i32>,
    pub size_bytes: Option<i64>,
    pub blurhash: Option<String>,
    /// Alt text.
    pub description: Option<String>,
    pub focus_x: Option<f64>,
    pub focus_y: Option<f64>,
    /// A remote attachment's URL (shown through the proxy).
    pub remote_url: Option<String>,
    pub created_at: NaiveDateTime,
}

/// The state names.
pub const PROCESSING: &str = "processing";
pub const READY: &str = "ready";
pub const FAILED: &str = "failed";

/// A new local upload (its blobs already stored, or being processed).
#[derive(Debug, Clone, Default)]
pub struct NewMedia {
    pub account_id: i64,
    pub state: String,
    pub file: Option<MediaFile>,
    pub description: Option<String>,
    pub focus: Option<(f64, f64)>,
}

/// What processing made: keys in the store and the image's facts.
#[derive(Debug, Clone, Default)]
pub struct MediaFile {
    pub file_key: String,
    pub small_key: String,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    pub small_width: i32,
    pub small_height: i32,
    pub size_bytes: i64,
    pub blurhash: Option<String>,
}

/// A remote post's attachment, as its Document described it (never fetched
/// at receipt).
#[derive(Debug, Clone, Default)]
pub struct NewRemoteMedia {
    /// The remote post's author.
    pub account_id: i64,
    pub position: i32,
    pub remote_url: String,
    /// The Document's `mediaType`, if an image type.
    pub content_type: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub blurhash: Option<String>,
    pub description: Option<String>,
    pub focus: Option<(f64, f64)>,
}

impl Q<'_> {
    pub async fn insert_media(&mut self, new: &NewMedia) -> StorageResult<MediaRow> {
        let f = new.file.as_ref();
        let now = now();
        on_q!(self, |c| Ok(diesel::insert_into(media_attachments::table)
            .values((
                media_attachments::account_id.eq(new.account_id),
                media_attachments::position.eq(0),
                media_attachments::kind.eq("image"),
                media_attachments::state.eq(&new.state),
                media_attachments::file_key.eq(f.map(|f| f.file_key.as_str())),
                media_attachments::small_key.eq(f.map(|f| f.small_key.as_str())),
                media_attachments::content_type.eq(f.map(|f| f.content_type.as_str())),
                media_attachments::width.eq(f.map(|f| f.width)),
                media_attachments::height.eq(f.map(|f| f.height)),
                media_attachments::small_width.eq(f.map(|f| f.small_width)),
                media_attachments::small_height.eq(f.map(|f| f.small_height)),
                media_attachments::size_bytes.eq(f.map(|f| f.size_bytes)),
                media_attachments::blurhash.eq(f.and_then(|f| f.blurhash.as_deref())),
                media_attachments::description.eq(new.description.as_deref()),
                media_attachments::focus_x.eq(new.focus.map(|f| f.0)),
                media_attachments::focus_y.eq(new.focus.map(|f| f.1)),
                media_attachments::created_at.eq(now),
            ))
            .returning(MediaRow::as_returning())
            .get_result(c)
            .await?))
    }

    /// Processing finished: the blobs and facts, and the state `ready`; or
    /// `failed` when `file` is `None`.
    pub async fn finish_media(&mut self, id: i64, file: Option<&MediaFile>) -> StorageResult<()> {
        on_q!(self, |c| {
            match file {
                Some(f) => {
                    diesel::update(media_attachments::table.find(id))
                        .set((
                            media_attachments::state.eq(READY),
                            media_attachments::file_key.eq(Some(&f.file_key)),
                            media_attachments::small_key.eq(Some(&f.small_key)),
                            media_attachments::content_type.eq(Some(&f.content_type)),
                            media_attachments::width.eq(Some(f.width)),
                            media_attachments::height.eq(Some(f.height)),
                            media_attachments::small_width.eq(Some(f.small_width)),
                            media_attachments::small_height.eq(Some(f.small_height)),
                            media_attachments::size_bytes.eq(Some(f.size_bytes)),
                            media_attachments::blurhash.eq(f.blurhash.as_deref()),
                        ))
                        .execute(c)
                        .await?
                }
                None => {
                    diesel::update(media_attachments::table.find(id))
                        .set(media_attachments::state.eq(FAILED))
                        .execute(c)
                        .await?
                }
            };
            Ok(())
        })
    }

    /// Uploads left `processing` by a server that stopped become `failed`
    /// (called at start-up); returns how many.
    pub async fn fail_stuck_media(&mut self) -> StorageResult<usize> {
        on_q!(self, |c| Ok(diesel::update(
            media_attachments::table.filter(media_attachments::state.eq(PROCESSING))
        )
        .set(media_attachments::state.eq(FAILED))
        .execute(c)
        .await?))
    }

    pub async fn media_by_id(&mut self, id: i64) -> StorageResult<Option<MediaRow>> {
        on_q!(self, |c| Ok(media_attachments::table
            .find(id)
            .select(MediaRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// The account's attachments among `ids` (others' are left out), in no
    /// particular order.
    pub async fn media_by_ids(
        &mut self,
        account_id: i64,
        ids: &[i64],
    ) -> StorageResult<Vec<MediaRow>> {
        on_q!(self, |c| Ok(media_attachments::table
            .filter(media_attachments::account_id.eq(account_id))
            .filter(media_attachments::id.eq_any(ids))
            .select(MediaRow::as_select())
            .load(c)
            .await?))
    }

    /// Alt text and focal point.
    pub async fn update_media_meta(
        &mut self,
        id: i64,
        description: Option<&str>,
        focus: Option<(f64, f64)>,
    ) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(media_attachments::table.find(id))
                .set((
                    media_attachments::description.eq(description),
                    media_attachments::focus_x.eq(focus.map(|f| f.0)),
                    media_attachments::focus_y.eq(focus.map(|f| f.1)),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Attaches uploads to a post at the given positions.
    pub async fn attach_media(&mut self, post_id: i64, items: &[(i64, i32)]) -> StorageResult<()> {
        for &(id, position) in items {
            on_q!(self, |c| {
                diesel::update(media_attachments::table.find(id))
                    .set((
                        media_attachments::post_id.eq(Some(post_id)),
                        media_attachments::position.eq(position),
                    ))
                    .execute(c)
                    .await?;
                Ok::<_, super::StorageError>(())
            })?;
        }
        Ok(())
    }

    /// Detaches a post's attachments (before attaching its edited list).
    pub async fn detach_media(&mut self, post_id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(media_attachments::table.filter(media_attachments::post_id.eq(post_id)))
                .set(media_attachments::post_id.eq(None::<i64>))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// The attachments of these posts, by post then position.
    pub async fn media_of_posts(&mut self, post_ids: &[i64]) -> StorageResult<Vec<MediaRow>> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        on_q!(self, |c| Ok(media_attachments::table
            .filter(media_attachments::post_id.eq_any(post_ids))
            .order((media_attachments::post_id, media_attachments::position))
            .select(MediaRow::as_select())
            .load(c)
            .await?))
    }

    pub async fn insert_remote_media(
        &mut self,
        post_id: i64,
        new: &NewRemoteMedia,
    ) -> StorageResult<MediaRow> {
        let now = now();
        on_q!(self, |c| Ok(diesel::insert_into(media_attachments::table)
            .values((
                media_attachments::account_id.eq(new.account_id),
                media_attachments::post_id.eq(Some(post_id)),
                media_attachments::position.eq(new.position),
                media_attachments::kind.eq("image"),
                media_attachments::state.eq(READY),
                media_attachments::content_type.eq(new.content_type.as_deref()),
                media_attachments::width.eq(new.width),
                media_attachments::height.eq(new.height),
                media_attachments::blurhash.eq(new.blurhash.as_deref()),
                media_attachments::description.eq(new.description.as_deref()),
                media_attachments::focus_x.eq(new.focus.map(|f| f.0)),
                media_attachments::focus_y.eq(new.focus.map(|f| f.1)),
                media_attachments::remote_url.eq(Some(&new.remote_url)),
                media_attachments::created_at.eq(now),
            ))
            .returning(MediaRow::as_returning())
            .get_result(c)
            .await?))
    }

    /// Deletes an attachment's row (its blobs are the caller's).
    pub async fn delete_media(&mut self, id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::delete(media_attachments::table.find(id))
                .execute(c)
                .await?;
            Ok(())
        })
    }
}
