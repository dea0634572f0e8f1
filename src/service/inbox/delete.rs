//! `Delete`: of the sending actor itself (its content goes), or of one of
//! its posts.

use super::InboxOutcome;
use crate::{
    service::{ServiceResult, posts},
    storage::{Q, models::ActorRow},
};
use url::Url;

pub(super) async fn apply(
    ctx: &crate::context::Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    object: &Url,
) -> ServiceResult<InboxOutcome> {
    if object.as_str() == actor.ap_id {
        // Issue 14 item 3: the coalitions' copies of its posts go first
        // (deleting the account takes the originals and the thread rows).
        crate::service::threads::after_author_deleted(ctx, q, actor.id).await?;
    }
    let deleted = posts::receive_delete(q, actor, object).await?;
    if deleted {
        // Issue 14 item 3: a coalition's copy of it goes too.
        if let Some(post) = q.post_by_ap_id(object.as_str()).await? {
            crate::service::threads::after_change(
                ctx,
                q,
                &mut crate::service::outbox::Outbox::default(),
                post.id,
                crate::service::threads::Change::Deleted,
            )
            .await?;
        }
    }
    Ok(super::applied(deleted, "Delete of nothing stored here"))
}
