//! Federation: wire types, HTTP signatures, the outgoing client, and the
//! conversions between actor rows and actor documents.

pub mod actors;
pub mod client;
pub mod keys;
pub mod notes;
pub mod outgoing;
pub mod protocol;
pub mod signatures;
pub mod urls;

use crate::{context::Kuvend, storage::StorageError};
use activitypub_federation::config::{Data, FederationConfig};

/// The request data the activitypub_federation crate hands to its traits.
pub type FedData = Data<Kuvend>;

/// A federation failure: a remote document we cannot use, or a fault below.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error("{0}")]
    Fetch(#[from] activitypub_federation::error::Error),
    #[error("invalid remote document: {0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("signing failed: {0}")]
    Signing(#[from] signatures::SignatureError),
}

/// Builds the activitypub_federation configuration around our context: our
/// checked HTTP client, and the instance actor's key for signed fetches.
pub async fn federation_config(
    ctx: Kuvend,
    instance_actor: &actors::ApActor,
) -> Result<FederationConfig<Kuvend>, FederationError> {
    let https = ctx.settings.instance.https;
    let domain = ctx.settings.instance.domain.clone();
    let timeout = std::time::Duration::from_secs(ctx.settings.federation.request_timeout_secs);
    let client = reqwest_middleware::ClientWithMiddleware::from(ctx.http.clone());
    FederationConfig::builder()
        .domain(domain)
        .app_data(ctx)
        .client(client)
        // "debug" in the crate means: http URLs and ports allowed, its own address
        // check skipped. Our client checks addresses at connect time instead.
        .debug(!https)
        .request_timeout(timeout)
        .http_fetch_limit(50)
        .signed_fetch_actor(instance_actor)
        // Sign `(request-target) host date` as Mastodon requires for signed GETs.
        .http_signature_compat(true)
        .build()
        .await
        .map_err(|e| FederationError::Invalid(e.to_string()))
}
