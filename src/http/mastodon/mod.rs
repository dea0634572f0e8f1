//! The Mastodon client API (`/api/v1`, `/api/v2`) and OAuth 2 (`/oauth`), so
//! that Mastodon apps work against kuvend.
//!
//! Each submodule owns the routes of one URL area, with their request types
//! and handlers; every answer is one of the typed [`entities`]. Handlers
//! authenticate, parse, call a service and shape the entity. What they share
//! is here: the extractors, paging and the error helper.

mod accounts;
mod blocks;
mod campaigns;
mod coalitions;
pub mod entities;
mod events;
mod follow_requests;
pub mod form;
mod groups;
mod instance;
mod joining;
mod markers;
mod media;
mod notifications;
mod oauth;
mod participants;
mod pleroma_events;
mod reports;
mod search;
mod statuses;
mod timelines;

use super::error::ApiError;
use crate::{
    federation::FedData,
    model::Page,
    service::{
        ServiceError,
        auth::{self, Session},
        client::StatusData,
    },
};
use axum::{
    Json, Router,
    extract::{FromRequest, FromRequestParts, Request},
    http::{HeaderValue, StatusCode, Uri, header, request::Parts},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

/// The routes of the client API and OAuth.
pub fn router() -> Router {
    Router::new()
        .merge(oauth::routes())
        .merge(instance::routes())
        .merge(accounts::routes())
        .merge(statuses::routes())
        .merge(timelines::routes())
        .merge(notifications::routes())
        .merge(follow_requests::routes())
        .merge(markers::routes())
        .merge(search::routes())
        .merge(events::routes())
        .merge(pleroma_events::routes())
        .merge(participants::routes())
        .merge(joining::routes())
        .merge(coalitions::routes())
        .merge(campaigns::routes())
        .merge(groups::routes())
        .merge(reports::routes())
        .merge(blocks::routes())
        .merge(media::routes())
}

/// The bearer token's session, required.
pub struct Auth(pub Session);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match MaybeAuth::from_request_parts(parts, state).await?.0 {
            Some(session) => Ok(Auth(session)),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "The access token is invalid",
            )),
        }
    }
}

/// The bearer token's session, if a token was sent (a bad one is still 401).
pub struct MaybeAuth(pub Option<Session>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(MaybeAuth(None));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "The access token is invalid"))?
            .to_string();
        let data = FedData::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "no instance data"))?;
        Ok(MaybeAuth(Some(auth::session(&data, token.trim()).await?)))
    }
}

/// Parameters from a JSON or form body (Mastodon clients send either); an
/// empty body gives the defaults.
pub struct Input<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for Input<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let query = req.uri().query().map(str::to_string);
        let bytes = axum::body::to_bytes(req.into_body(), 1024 * 1024)
            .await
            .map_err(|_| ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body too large"))?;
        let parsed = if bytes.is_empty() {
            match query {
                Some(q) => serde_urlencoded::from_str(&q).map_err(|e| e.to_string()),
                None => Ok(T::default()),
            }
        } else if is_json {
            serde_json::from_slice(&bytes).map_err(|e| e.to_string())
        } else {
            serde_urlencoded::from_bytes(&bytes).map_err(|e| e.to_string())
        };
        parsed.map(Input).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Validation failed: {e}"),
            )
        })
    }
}

/// The API error for anything that converts into a `ServiceError`, for
/// `map_err`.
fn service<E: Into<ServiceError>>(e: E) -> ApiError {
    ApiError::from(e.into())
}

/// Mastodon's paging parameters, and the timelines' `local` and `remote`
/// flags, which come in the same query.
#[derive(Debug, Default, Deserialize)]
struct PageQuery {
    max_id: Option<String>,
    since_id: Option<String>,
    min_id: Option<String>,
    limit: Option<i64>,
    local: Option<String>,
    remote: Option<String>,
    /// An account's statuses without its boosts.
    exclude_reblogs: Option<String>,
}

impl PageQuery {
    /// The page asked for; ids that are not numbers are ignored, as if not
    /// given, and the limit is kept within 1..=`max`.
    fn page(&self, default: i64, max: i64) -> Page {
        let id = |v: &Option<String>| v.as_deref().and_then(|s| s.parse().ok());
        Page {
            max_id: id(&self.max_id),
            since_id: id(&self.since_id),
            min_id: id(&self.min_id),
            limit: self.limit.unwrap_or(default).clamp(1, max),
        }
    }
}

/// Whether a query flag is set (`true`, `1` or `on`).
fn truthy(v: &Option<String>) -> bool {
    v.as_deref()
        .is_some_and(|v| matches!(v, "true" | "1" | "on"))
}

/// A JSON list with Mastodon's `Link` header for the next and previous pages.
fn paged<T: Serialize>(uri: &Uri, items: &[T], ids: &[i64]) -> Response {
    let mut response = Json(items).into_response();
    if let (Some(first), Some(last)) = (ids.first(), ids.last()) {
        let path = uri.path();
        let link =
            format!("<{path}?max_id={last}>; rel=\"next\", <{path}?min_id={first}>; rel=\"prev\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    response
}

/// A page of statuses, as [`paged`] lists them.
fn paged_statuses(data: &FedData, uri: &Uri, statuses: &[StatusData]) -> Response {
    let ids: Vec<i64> = statuses.iter().map(|s| s.post.id).collect();
    let items: Vec<entities::Status> = statuses
        .iter()
        .map(|s| entities::Status::new(data, s))
        .collect();
    paged(uri, &items, &ids)
}
