//! Media on posts and events (issue 16 item 2): media rows as `Document`s,
//! remote `Document`s as media rows, event banners, and the versions of
//! edited posts.

use super::{ServiceError, ServiceResult, media::MediaRow};
use crate::context::Kuvend;
use crate::federation::protocol::{
    media::{DocumentJson, banner_of},
    note::NoteJson,
};
use crate::sanitize;
use crate::storage::{Q, StorageResult, media::NewRemoteMedia};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

pub use crate::storage::post_edits::PostEditRow;

/// For a remote `Event`: puts its banner, chosen in Mobilizon's order
/// (`protocol::media::banner_of`), first among its attachments, so that
/// the first media row of a remote event is its banner. A banner given only
/// as `image` is added (its alt text made plain).
pub(crate) fn put_banner_first(note: &mut NoteJson, image: Option<&Value>) {
    let Some((mut banner, index)) = banner_of(&note.attachment, image) else {
        return;
    };
    match index {
        Some(i) => {
            let mut moved = note.attachment.remove(i);
            // "Banner" is Mobilizon's label, not a description.
            moved.name = banner.name.take();
            note.attachment.insert(0, moved);
        }
        None => {
            banner.name = banner
                .name
                .as_deref()
                .map(sanitize::plain)
                .filter(|s| !s.trim().is_empty());
            note.attachment.insert(0, banner);
            note.attachment
                .truncate(crate::federation::protocol::media::MAX_REMOTE_ATTACHMENTS);
        }
    }
}

/// Keeps the version of `post` about to be replaced (a local edit, a remote
/// `Update`), with its media as they are now, in the caller's transaction.
pub(crate) async fn keep_version(
    q: &mut crate::storage::Q<'_>,
    post: &crate::storage::models::PostRow,
) -> crate::storage::StorageResult<()> {
    let media_json = media_snapshot(q, post.id).await?;
    q.insert_post_edit(&crate::storage::post_edits::NewPostEdit {
        post_id: post.id,
        content: post.content.clone(),
        summary: post.summary.clone(),
        sensitive: post.sensitive,
        media_json,
        created_at: post.edited_at.unwrap_or(post.published_at),
    })
    .await
}

/// The earlier versions of a post, oldest first.
pub async fn earlier_versions(
    ctx: &crate::context::Kuvend,
    post_id: i64,
) -> super::ServiceResult<Vec<crate::storage::post_edits::PostEditRow>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().post_edits(post_id).await?)
}

/// The media a post is written with: upload ids in order, and whether they
/// are hidden behind a warning (Mastodon's `sensitive`).
#[derive(Debug, Clone, Default)]
pub struct PostMedia {
    pub ids: Vec<i64>,
    pub sensitive: bool,
}

/// New alt text or focal point of an attachment, given with an edit
/// (Mastodon's `media_attributes[]`).
#[derive(Debug, Clone, Default)]
pub struct MediaAttributes {
    pub id: i64,
    pub description: Option<String>,
    /// `"x,y"`, each in −1..1.
    pub focus: Option<String>,
}

/// The `Document` of one of our attachments: where our store serves it, its
/// type, alt text, blurhash, size and focal point. None while processing.
pub fn document_of(ctx: &Kuvend, row: &MediaRow) -> Option<DocumentJson> {
    let (url, _) = super::media::url_of(ctx, row);
    let url = Url::parse(&url?).ok()?;
    Some(DocumentJson {
        kind: "Document".into(),
        media_type: row.content_type.clone(),
        url,
        name: row.description.clone(),
        blurhash: row.blurhash.clone(),
        width: row.width.and_then(|w| u32::try_from(w).ok()),
        height: row.height.and_then(|h| u32::try_from(h).ok()),
        focal_point: match (row.focus_x, row.focus_y) {
            (Some(x), Some(y)) => Some([x, y]),
            _ => None,
        },
    })
}

/// The `Document`s of a post's attachments, in order.
pub async fn documents_of_post(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    post_id: i64,
) -> StorageResult<Vec<DocumentJson>> {
    Ok(q.media_of_posts(&[post_id])
        .await?
        .iter()
        .filter_map(|row| document_of(ctx, row))
        .collect())
}

/// An event's media as its document carries them: the banner, and the
/// other attachments.
pub async fn event_media(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    post_id: i64,
) -> StorageResult<(Option<DocumentJson>, Vec<DocumentJson>)> {
    let banner_id = q.event_banner(post_id).await?;
    let rows = q.media_of_posts(&[post_id]).await?;
    let banner = rows
        .iter()
        .find(|r| Some(r.id) == banner_id)
        .and_then(|r| document_of(ctx, r));
    let others = rows
        .iter()
        .filter(|r| Some(r.id) != banner_id)
        .filter_map(|r| document_of(ctx, r))
        .collect();
    Ok((banner, others))
}

/// Checks the uploads a post is written with: at most
/// `media.max_attachments`, each once, each the account's own, processed,
/// and not on another post (on `post_id` itself is fine, for an edit).
/// Answers the rows in the order given; 422 with the reason otherwise.
pub(crate) async fn checked_media(
    ctx: &Kuvend,
    account_id: i64,
    ids: &[i64],
    post_id: Option<i64>,
) -> ServiceResult<Vec<MediaRow>> {
    let max = ctx.settings.media.max_attachments;
    if ids.len() > max {
        return Err(ServiceError::Unprocessable(format!(
            "a post may have at most {max} media attachments"
        )));
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = ctx.db.conn().await?;
    let found = conn.q().media_by_ids(account_id, ids).await?;
    let mut rows = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        if ids[..i].contains(id) {
            return Err(ServiceError::Unprocessable(format!(
                "media {id} is given twice"
            )));
        }
        // Another account's upload reads as unknown: ids are guessable.
        let Some(row) = found.iter().find(|r| r.id == *id) else {
            return Err(ServiceError::Unprocessable(format!("media {id} not found")));
        };
        if row.state != crate::storage::media::READY {
            return Err(ServiceError::Unprocessable(format!(
                "media {id} is not processed yet"
            )));
        }
        if row.post_id.is_some() && row.post_id != post_id {
            return Err(ServiceError::Unprocessable(format!(
                "media {id} is already attached to another post"
            )));
        }
        rows.push(row.clone());
    }
    Ok(rows)
}

/// Attaches checked uploads to a post in the caller's transaction; fails
/// (and so rolls the post back) if one was attached elsewhere meanwhile.
pub(crate) async fn attach(
    q: &mut Q<'_>,
    account_id: i64,
    post_id: i64,
    rows: &[MediaRow],
) -> ServiceResult<()> {
    let items: Vec<(i64, i32)> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id, i as i32))
        .collect();
    let claimed = q.claim_media(account_id, post_id, &items).await?;
    if claimed != items.len() {
        return Err(ServiceError::Unprocessable(
            "a media attachment was attached to another post meanwhile".into(),
        ));
    }
    Ok(())
}

/// Stores a remote post's attachments (already bounded and cleaned) as
/// media rows pointing at their remote URLs: nothing is fetched now; the
/// proxy fetches on first view. Returns the rows' ids in order.
pub(crate) async fn store_remote_media(
    q: &mut Q<'_>,
    post_id: i64,
    author_id: i64,
    note: &NoteJson,
) -> StorageResult<Vec<i64>> {
    let mut ids = Vec::with_capacity(note.attachment.len());
    for (position, document) in note.attachment.iter().enumerate() {
        let new = NewRemoteMedia {
            account_id: author_id,
            position: position as i32,
            remote_url: document.url.to_string(),
            content_type: document
                .media_type
                .clone()
                .filter(|t| t.starts_with("image/")),
            width: document.width.and_then(|w| i32::try_from(w).ok()),
            height: document.height.and_then(|h| i32::try_from(h).ok()),
            blurhash: document.blurhash.clone(),
            description: document.name.clone(),
            focus: document.focal_point.map(|[x, y]| (x, y)),
        };
        ids.push(q.insert_remote_media(post_id, &new).await?.id);
    }
    Ok(ids)
}

/// A remote post's attachments replaced by those of its `Update` (the
/// version before is kept by [`keep_version`]); a remote event's banner is
/// its first.
pub(crate) async fn replace_remote_media(
    q: &mut Q<'_>,
    post: &crate::storage::models::PostRow,
    note: &NoteJson,
) -> StorageResult<()> {
    for row in q.media_of_posts(&[post.id]).await? {
        q.delete_media(row.id).await?;
    }
    let ids = store_remote_media(q, post.id, post.author_id, note).await?;
    if post.ap_type == "Event" {
        q.set_event_banner(post.id, ids.first().copied()).await?;
    }
    Ok(())
}

/// One attachment as kept with an earlier version of its post: what was
/// shown then, so the history stays true when the attachment changes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MediaVersion {
    pub id: i64,
    pub account_id: i64,
    pub kind: String,
    pub state: String,
    pub file_key: Option<String>,
    pub small_key: Option<String>,
    pub content_type: Option<String>,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub small_width: Option<i32>,
    pub small_height: Option<i32>,
    pub blurhash: Option<String>,
    pub description: Option<String>,
    pub focus_x: Option<f64>,
    pub focus_y: Option<f64>,
    pub remote_url: Option<String>,
}

impl MediaVersion {
    fn of(row: &MediaRow) -> MediaVersion {
        MediaVersion {
            id: row.id,
            account_id: row.account_id,
            kind: row.kind.clone(),
            state: row.state.clone(),
            file_key: row.file_key.clone(),
            small_key: row.small_key.clone(),
            content_type: row.content_type.clone(),
            width: row.width,
            height: row.height,
            small_width: row.small_width,
            small_height: row.small_height,
            blurhash: row.blurhash.clone(),
            description: row.description.clone(),
            focus_x: row.focus_x,
            focus_y: row.focus_y,
            remote_url: row.remote_url.clone(),
        }
    }

    /// As a row, to be shown as the attachment was.
    pub fn row(&self, post_id: i64, position: i32) -> MediaRow {
        MediaRow {
            id: self.id,
            account_id: self.account_id,
            post_id: Some(post_id),
            position,
            kind: self.kind.clone(),
            state: self.state.clone(),
            file_key: self.file_key.clone(),
            small_key: self.small_key.clone(),
            content_type: self.content_type.clone(),
            width: self.width,
            height: self.height,
            small_width: self.small_width,
            small_height: self.small_height,
            size_bytes: None,
            blurhash: self.blurhash.clone(),
            description: self.description.clone(),
            focus_x: self.focus_x,
            focus_y: self.focus_y,
            remote_url: self.remote_url.clone(),
            created_at: crate::storage::now(),
        }
    }
}

/// The media of an earlier version, as rows (an unreadable list reads as none).
pub fn media_of_version(version: &PostEditRow) -> Vec<MediaRow> {
    serde_json::from_str::<Vec<MediaVersion>>(&version.media_json)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, m)| m.row(version.post_id, i as i32))
        .collect()
}

/// A post's media as a JSON array, kept with an earlier version.
async fn media_snapshot(q: &mut Q<'_>, post_id: i64) -> StorageResult<String> {
    let versions: Vec<MediaVersion> = q
        .media_of_posts(&[post_id])
        .await?
        .iter()
        .map(MediaVersion::of)
        .collect();
    Ok(serde_json::to_string(&versions).unwrap_or_else(|_| "[]".into()))
}

/// An attachment's id, alt text and focal point as an edit leaves them.
pub(crate) type MediaChange = (i64, Option<String>, Option<(f64, f64)>);

/// Checks `media_attributes[]` of an edit: each names one of the post's
/// new attachments; alt text within `media.description_limit`; focus
/// `"x,y"` each in −1..1. What is not given stays. Answers `(id, alt text,
/// focus)` as they will be.
pub(crate) fn checked_attributes(
    ctx: &Kuvend,
    rows: &[MediaRow],
    attributes: &[MediaAttributes],
) -> ServiceResult<Vec<MediaChange>> {
    let limit = ctx.settings.media.description_limit;
    let mut out = Vec::with_capacity(attributes.len());
    for attribute in attributes {
        let Some(row) = rows.iter().find(|r| r.id == attribute.id) else {
            return Err(ServiceError::Unprocessable(format!(
                "media_attributes: media {} is not attached to this post",
                attribute.id
            )));
        };
        let description = match attribute.description.as_deref().map(str::trim) {
            None => row.description.clone(),
            Some("") => None,
            Some(d) if d.chars().count() > limit => {
                return Err(ServiceError::Unprocessable(format!(
                    "Description is too long (maximum is {limit} characters)"
                )));
            }
            Some(d) => Some(d.to_string()),
        };
        let focus = match attribute.focus.as_deref().map(str::trim) {
            None | Some("") => row.focus_x.zip(row.focus_y),
            Some(f) => Some(parse_focus(f)?),
        };
        out.push((row.id, description, focus));
    }
    Ok(out)
}

fn parse_focus(text: &str) -> ServiceResult<(f64, f64)> {
    let bad =
        || ServiceError::Unprocessable("Focus must be \"x,y\" with each between -1 and 1".into());
    let (x, y) = text.split_once(',').ok_or_else(bad)?;
    let x: f64 = x.trim().parse().map_err(|_| bad())?;
    let y: f64 = y.trim().parse().map_err(|_| bad())?;
    if !(-1.0..=1.0).contains(&x) || !(-1.0..=1.0).contains(&y) {
        return Err(bad());
    }
    Ok((x, y))
}

/// An image as a page shows it: through our store or proxy, with its alt text.
#[derive(Debug, Clone, Serialize)]
pub struct PageImage {
    pub url: String,
    pub preview_url: String,
    /// The alt text; empty when none was given.
    pub alt: String,
    pub width: Option<i32>,
    pub height: Option<i32>,
}

/// A post's images for its page (an event's banner first), in order;
/// those still processing are left out.
pub async fn page_images(ctx: &Kuvend, post_id: i64) -> ServiceResult<Vec<PageImage>> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let banner = q.event_banner(post_id).await?;
    let mut rows = q.media_of_posts(&[post_id]).await?;
    rows.sort_by_key(|r| (Some(r.id) != banner, r.position));
    Ok(rows
        .iter()
        .filter_map(|row| {
            let (url, preview) = super::media::url_of(ctx, row);
            let url = url?;
            Some(PageImage {
                preview_url: preview.unwrap_or_else(|| url.clone()),
                url,
                alt: row.description.clone().unwrap_or_default(),
                width: row.width,
                height: row.height,
            })
        })
        .collect())
}
