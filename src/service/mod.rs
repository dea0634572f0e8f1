//! Services: what organisations, staff and remote servers can do, and the
//! rules for it. They read and write through `storage`, use `federation` for
//! wire formats and fetching, and never send activities themselves: they queue
//! them in the transaction that makes the change.

pub mod accounts;
pub mod acting;
pub mod auth;
pub mod authorized_fetch;
pub mod blocklists;
pub mod blocks;
pub mod boosts;
pub mod campaigns;
pub mod client;
pub mod coalition_feed;
pub mod coalitions;
pub mod deliveries;
pub mod direct;
pub mod documents;
pub mod domain_policy;
pub mod events;
pub mod feeds;
pub mod follows;
pub mod inbox;
pub mod instance;
pub mod invitations;
pub mod joining;
pub mod maintenance;
pub mod media;
pub mod media_proxy;
pub mod membership;
pub mod orgs;
pub mod outbox;
pub mod participation;
pub mod phrases;
pub mod polls;
pub mod posts;
pub mod relay;
pub mod reminders;
pub mod reports;
pub mod software;
pub mod suspension;
pub mod text;
pub mod threads;
pub mod visibility;

use crate::{federation::FederationError, storage::StorageError};

/// Stored actors and posts, as services hand them to the HTTP layer: read-only
/// records to show, never written through.
pub use crate::storage::models::{ActorRow, EventRow, PostRow};

/// A service failure. Each variant says what the caller did wrong, or that
/// something below failed (`Internal`, whose cause is logged, never shown).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("remote server: {0}")]
    Remote(String),
    /// Over a limit: try again after the given time (429 with `Retry-After`).
    #[error("{0}")]
    TooManyRequests(String, crate::limits::RetryAfter),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
    /// Was here and is no more (410): a suspended local account (issue 15).
    #[error("{0}")]
    Gone(String),
}

impl From<StorageError> for ServiceError {
    fn from(error: StorageError) -> Self {
        match error {
            StorageError::Conflict(what) => ServiceError::Conflict(what),
            StorageError::NotFound => ServiceError::NotFound("not found".into()),
            other => ServiceError::Internal(other.into()),
        }
    }
}

impl From<FederationError> for ServiceError {
    fn from(error: FederationError) -> Self {
        match error {
            FederationError::Storage(e) => e.into(),
            FederationError::Fetch(e) => match e.retry_after() {
                Some(retry) => ServiceError::TooManyRequests(e.to_string(), retry),
                None => ServiceError::Remote(e.to_string()),
            },
            FederationError::NotFound(e) => ServiceError::NotFound(e),
            FederationError::Invalid(e) => ServiceError::Remote(e),
            FederationError::Signing(e) => ServiceError::Internal(e.into()),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Escapes text for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Plain text as HTML paragraphs, the form bios and posts federate in.
pub fn text_to_html(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p).replace('\n', "<br>")))
        .collect()
}
