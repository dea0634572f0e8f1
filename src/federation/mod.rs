//! Federation: wire types, HTTP signatures, the outgoing client, and the
//! conversions between actor rows and actor documents.

pub mod actors;
pub mod client;
pub mod domain_policy;
pub mod events;
pub mod fetch;
pub mod fields;
pub mod keys;
pub mod nodeinfo;
pub mod notes;
pub mod outgoing;
pub mod protocol;
pub mod relay;
pub mod signatures;
pub mod urls;

use crate::{context::Kuvend, storage::StorageError};
use activitypub_federation::config::{Data, FederationConfig};

/// The request data the activitypub_federation crate hands to its traits.
pub type FedData = Data<Kuvend>;

/// A federation failure: a remote document we cannot use, or a fault below.
#[derive(Debug, thiserror::Error)]
pub enum FederationError {
    #[error(transparent)]
    Fetch(#[from] fetch::FetchError),
    #[error("{0}")]
    NotFound(String),
    #[error("invalid remote document: {0}")]
    Invalid(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("signing failed: {0}")]
    Signing(#[from] signatures::SignatureError),
}

/// Builds the activitypub_federation configuration around our context. The
/// crate only carries the context to our handlers (`Data<Kuvend>`): it
/// neither fetches nor signs for us (see [`fetch`]), so it has no key.
pub async fn federation_config(ctx: Kuvend) -> Result<FederationConfig<Kuvend>, FederationError> {
    let https = ctx.settings.instance.https;
    let domain = ctx.settings.instance.domain.clone();
    let client = reqwest_middleware::ClientWithMiddleware::from(ctx.http.clone());
    FederationConfig::builder()
        .domain(domain)
        .app_data(ctx)
        .client(client)
        // "debug" in the crate means: http URLs and ports allowed, its own address
        // check skipped. Our client checks addresses at connect time instead.
        .debug(!https)
        .build()
        .await
        .map_err(|e| FederationError::Invalid(e.to_string()))
}
