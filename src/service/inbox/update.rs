//! `Update`: an actor's new profile, or an edited note.

use super::InboxOutcome;
use crate::{
    config::LimitSettings,
    federation::{
        actors::remote_actor_row,
        protocol::{activities::UpdatedObject, note::NoteJson},
    },
    service::{ServiceError, ServiceResult, posts},
    storage::{
        Q,
        models::{ActorRow, EventRow, NewActor},
    },
};
use url::Url;

/// An update checked before the transaction.
pub(super) enum Ready {
    Actor(Box<NewActor>),
    Note(Box<(NoteJson, Option<EventRow>)>),
}

/// An actor may only update itself; its document is checked (and sanitised)
/// as when it is fetched. An edited note is bounded and cleaned as a new one is.
pub(super) fn prepare(
    limits: &LimitSettings,
    actor: &Url,
    object: UpdatedObject,
) -> ServiceResult<Ready> {
    Ok(match object {
        UpdatedObject::Actor(json) => {
            let row = remote_actor_row(&json, actor)
                .map_err(|e| ServiceError::Unprocessable(e.to_string()))?;
            if row.ap_id != actor.as_str() {
                return Err(ServiceError::Unauthorized(
                    "an actor can only update itself".into(),
                ));
            }
            Ready::Actor(Box::new(row))
        }
        UpdatedObject::Note(post) => Ready::Note(Box::new(posts::clean_post(limits, *post)?)),
    })
}

pub(super) async fn apply(
    ctx: &crate::context::Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    ready: &Ready,
) -> ServiceResult<InboxOutcome> {
    match ready {
        Ready::Actor(row) => {
            q.upsert_remote_actor(row).await?;
            Ok(InboxOutcome::Applied)
        }
        Ready::Note(post) => {
            let updated = posts::receive_note_update(q, actor, &post.0, post.1.as_ref()).await?;
            if updated {
                // Issue 14 item 3: a coalition's copy of it follows.
                if let Some(row) = q.post_by_ap_id(post.0.id.as_str()).await? {
                    crate::service::threads::after_change(
                        ctx,
                        q,
                        &mut crate::service::outbox::Outbox::default(),
                        row.id,
                        crate::service::threads::Change::Edited,
                    )
                    .await?;
                }
            }
            Ok(super::applied(updated, "Update of nothing stored here"))
        }
    }
}
