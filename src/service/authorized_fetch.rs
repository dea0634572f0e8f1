//! Authorized fetch (`federation.authorized_fetch`): who may read our
//! ActivityPub documents. Every document handler asks here, and here asks
//! [`inbox::authenticate_fetch`], so a signature that does not verify (401)
//! and every check on the signer (a blocked signer's 403) apply on the one
//! path whether or not the setting is on.

use super::{ServiceError, ServiceResult, inbox};
use crate::{federation::FedData, storage::models::ActorRow};
use http::HeaderMap;

/// What an unsigned GET of a document is told when authorized fetch is on:
/// Mastodon's words and status (401) for the same case, so software that
/// knows Mastodon's secure mode recognises it.
pub const NOT_SIGNED: &str = "Request not signed";

/// The signer of a GET of one of our ActivityPub documents: `None` for an
/// unsigned GET when authorized fetch is off; with it on, an unsigned GET is
/// refused (401, [`NOT_SIGNED`]).
pub async fn fetch_viewer(
    data: &FedData,
    path_and_query: &str,
    headers: &HeaderMap,
) -> ServiceResult<Option<ActorRow>> {
    let viewer = inbox::authenticate_fetch(data, path_and_query, headers).await?;
    if viewer.is_none() && data.settings.federation.authorized_fetch {
        return Err(ServiceError::Unauthorized(NOT_SIGNED.into()));
    }
    Ok(viewer)
}
