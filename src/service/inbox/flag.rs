//! `Flag`: another instance reports one of our accounts (and its posts).
//! Mastodon and GoToSocial send it from their instance actor, with
//! `object` a list of URIs (the account first) and the comment as
//! `content`. Objects that are not ours are ignored; a redelivered Flag is
//! one report (its id is unique). See [`crate::service::reports`].

use super::InboxOutcome;
use crate::{
    context::Kuvend,
    federation::protocol::flag::FlagReceived,
    service::{ServiceResult, reports},
    storage::{Q, models::ActorRow},
};
use url::Url;

pub(super) async fn apply(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    actor: &ActorRow,
    activity_id: &Url,
    flag: &FlagReceived,
) -> ServiceResult<InboxOutcome> {
    Ok(
        match reports::received_flag(ctx, q, actor, activity_id, flag).await? {
            None => InboxOutcome::Applied,
            Some(why) => InboxOutcome::Ignored(why.into()),
        },
    )
}
