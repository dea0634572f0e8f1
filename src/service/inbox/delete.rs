//! `Delete`: of the sending actor itself (its content goes), or of one of
//! its posts.

use super::InboxOutcome;
use crate::{
    service::{ServiceResult, posts},
    storage::{Q, models::ActorRow},
};
use url::Url;

pub(super) async fn apply(
    q: &mut Q<'_>,
    actor: &ActorRow,
    object: &Url,
) -> ServiceResult<InboxOutcome> {
    Ok(super::applied(
        posts::receive_delete(q, actor, object).await?,
        "Delete of nothing stored here",
    ))
}
