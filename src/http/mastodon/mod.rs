//! The Mastodon client API (`/api/v1`, `/api/v2`) and OAuth 2 (`/oauth`), so
//! that Mastodon apps work against kuvend. Handlers authenticate, parse, call
//! a service and shape Mastodon's JSON (see `entities`).

pub mod entities;
mod oauth;

use super::error::{ApiError, ApiResult};
use crate::model::{Page, ReactionKind, Role, Visibility};
use crate::{
    federation::FedData,
    service::{
        ActorRow, ServiceError, accounts,
        auth::{self, Session},
        client::{self, AccountData, NotificationData, RelationshipData, StatusData},
        follows,
        posts::{self, NewPost},
    },
};
use axum::{
    Json, Router,
    extract::{FromRequest, FromRequestParts, OriginalUri, Path, Query, Request},
    http::{HeaderMap, HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use entities::{Account, StatusMention, StatusTag};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

/// The routes of the client API and OAuth.
pub fn router() -> Router {
    Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata),
        )
        .route(
            "/oauth/authorize",
            get(oauth::authorize_page).post(oauth::authorize_submit),
        )
        .route("/oauth/token", post(oauth::token))
        .route("/oauth/revoke", post(oauth::revoke))
        .route("/api/v1/apps", post(oauth::register_app))
        .route("/api/v1/apps/verify_credentials", get(oauth::verify_app))
        .route("/api/v1/instance", get(instance_v1))
        .route("/api/v1/instance/", get(instance_v1))
        .route("/api/v2/instance", get(instance_v2))
        .route("/api/v2/instance/", get(instance_v2))
        .route("/api/v1/custom_emojis", get(empty_list))
        .route("/api/v1/filters", get(empty_list))
        .route("/api/v2/filters", get(empty_list))
        .route("/api/v1/lists", get(empty_list))
        .route("/api/v1/preferences", get(preferences))
        .route("/api/v1/markers", get(markers).post(set_markers))
        .route("/api/v1/accounts", post(register))
        .route(
            "/api/v1/accounts/verify_credentials",
            get(verify_credentials),
        )
        .route(
            "/api/v1/accounts/update_credentials",
            axum::routing::patch(update_credentials),
        )
        .route("/api/v1/accounts/{id}/followers", get(account_followers))
        .route("/api/v1/accounts/{id}/following", get(account_following))
        .route("/api/v1/accounts/relationships", get(relationships))
        .route("/api/v1/accounts/lookup", get(lookup))
        .route("/api/v1/accounts/search", get(account_search))
        .route("/api/v1/accounts/{id}", get(account))
        .route("/api/v1/accounts/{id}/statuses", get(account_statuses))
        .route("/api/v1/accounts/{id}/follow", post(follow))
        .route("/api/v1/accounts/{id}/unfollow", post(unfollow))
        .route("/api/v1/statuses", post(create_status))
        .route(
            "/api/v1/statuses/{id}",
            get(show_status).delete(delete_status).put(edit_status),
        )
        .route("/api/v1/statuses/{id}/history", get(status_history))
        .route("/api/v1/statuses/{id}/source", get(status_source))
        .route("/api/v1/statuses/{id}/context", get(status_context))
        .route("/api/v1/statuses/{id}/favourite", post(favourite))
        .route("/api/v1/statuses/{id}/unfavourite", post(unfavourite))
        .route("/api/v1/statuses/{id}/reblog", post(reblog))
        .route("/api/v1/statuses/{id}/unreblog", post(unreblog))
        .route("/api/v1/statuses/{id}/bookmark", post(bookmark))
        .route("/api/v1/statuses/{id}/unbookmark", post(unbookmark))
        .route("/api/v1/timelines/home", get(home_timeline))
        .route("/api/v1/timelines/public", get(public_timeline))
        .route("/api/v1/timelines/tag/{tag}", get(tag_timeline))
        .route("/api/v1/notifications", get(notifications))
        .route(
            "/api/v1/notifications/{id}/dismiss",
            post(dismiss_notification),
        )
        .route("/api/v1/follow_requests", get(follow_requests))
        .route(
            "/api/v1/follow_requests/{id}/authorize",
            post(authorize_follow_request),
        )
        .route(
            "/api/v1/follow_requests/{id}/reject",
            post(reject_follow_request),
        )
        .route("/api/v2/search", get(search))
        .route("/avatars/original/missing.png", get(missing_image))
        .route("/headers/original/missing.png", get(missing_image))
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

fn service<E: Into<ServiceError>>(e: E) -> ApiError {
    ApiError::from(e.into())
}

fn account_json(data: &FedData, account: &AccountData) -> Account {
    let base = data.urls.base();
    entities::account(
        &account.actor,
        entities::AccountCounts {
            followers: account.counts.followers,
            following: account.counts.following,
            statuses: account.counts.statuses,
            last_status_at: account.counts.last_status_at,
        },
        &data.settings.instance.domain,
        &format!("{base}/avatars/original/missing.png"),
        &format!("{base}/headers/original/missing.png"),
    )
}

fn acct(data: &FedData, actor: &ActorRow) -> String {
    if actor.local {
        actor.username.clone()
    } else {
        let _ = data;
        actor.handle()
    }
}

fn status_json(data: &FedData, status: &StatusData) -> entities::Status {
    let extras = entities::StatusExtras {
        mentions: status
            .mentions
            .iter()
            .map(|m| StatusMention {
                id: m.id.to_string(),
                username: m.username.clone(),
                url: m.profile_url.clone().unwrap_or_else(|| m.ap_id.clone()),
                acct: acct(data, m),
            })
            .collect(),
        tags: status
            .tags
            .iter()
            .map(|t| StatusTag {
                name: t.clone(),
                url: data.urls.tag(t).to_string(),
            })
            .collect(),
        in_reply_to_account_id: status.in_reply_to_account_id.map(|id| id.to_string()),
        favourited: status.favourited,
        reblogged: status.reblogged,
        bookmarked: status.bookmarked,
        reblog: None,
        application: None,
    };
    entities::status(&status.post, account_json(data, &status.author), extras)
}

fn relationship_json(r: &RelationshipData) -> Value {
    json!({
        "id": r.id.to_string(), "following": r.following, "showing_reblogs": r.following,
        "notifying": false, "languages": null, "followed_by": r.followed_by, "blocking": false,
        "blocked_by": false, "muting": false, "muting_notifications": false, "requested": r.requested,
        "requested_by": r.requested_by, "domain_blocking": false, "endorsed": false, "note": "",
    })
}

fn notification_json(data: &FedData, n: &NotificationData) -> Value {
    json!({
        "id": n.row.id.to_string(),
        "type": n.row.kind,
        "created_at": entities::iso(n.row.created_at),
        "account": account_json(data, &n.from),
        "status": n.status.as_ref().map(|s| status_json(data, s)),
    })
}

/// Mastodon's paging parameters.
#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    max_id: Option<String>,
    since_id: Option<String>,
    min_id: Option<String>,
    limit: Option<i64>,
    local: Option<String>,
    remote: Option<String>,
}

impl PageQuery {
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

fn truthy(v: &Option<String>) -> bool {
    v.as_deref()
        .is_some_and(|v| matches!(v, "true" | "1" | "on"))
}

/// A JSON list with Mastodon's `Link` header for the next and previous pages.
fn paged<T: serde::Serialize>(uri: &axum::http::Uri, items: &[T], ids: &[i64]) -> Response {
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

async fn statuses_response(
    data: &FedData,
    uri: &axum::http::Uri,
    statuses: Vec<StatusData>,
) -> Response {
    let ids: Vec<i64> = statuses.iter().map(|s| s.post.id).collect();
    let items: Vec<entities::Status> = statuses.iter().map(|s| status_json(data, s)).collect();
    paged(uri, &items, &ids)
}

async fn instance_v1(data: FedData) -> ApiResult<Response> {
    let settings = &data.settings.instance;
    let (users, posts) = instance_counts(&data).await?;
    Ok(Json(json!({
        "uri": settings.domain,
        "title": settings.name,
        "short_description": settings.description,
        "description": settings.description,
        "email": "",
        "version": entities::version_string(),
        // No streaming yet: apps fall back to polling.
        "urls": {"streaming_api": null},
        "stats": {"user_count": users, "status_count": posts, "domain_count": 0},
        "thumbnail": null,
        "languages": ["en"],
        "registrations": registrations_open(&data),
        "approval_required": approval_required(&data),
        "invites_enabled": false,
        "configuration": configuration(),
        "contact_account": null,
        "rules": [],
    }))
    .into_response())
}

fn registrations_open(data: &FedData) -> bool {
    data.settings.instance.registrations != crate::config::Registrations::Closed
}

fn approval_required(data: &FedData) -> bool {
    data.settings.instance.registrations == crate::config::Registrations::Approval
}

fn configuration() -> Value {
    json!({
        "statuses": {"max_characters": posts::MAX_POST_CHARS, "max_media_attachments": 0, "characters_reserved_per_url": 23},
        "media_attachments": {"supported_mime_types": [], "image_size_limit": 0, "image_matrix_limit": 0, "video_size_limit": 0, "video_frame_rate_limit": 0, "video_matrix_limit": 0},
        "polls": {"max_options": 0, "max_characters_per_option": 0, "min_expiration": 300, "max_expiration": 2629746},
        "accounts": {"max_featured_tags": 0, "max_pinned_statuses": 0},
        "urls": {"streaming": null},
        "translation": {"enabled": false},
    })
}

async fn instance_counts(data: &FedData) -> ApiResult<(i64, i64)> {
    let document = crate::service::documents::nodeinfo(data).await?;
    Ok((document.usage.users.total, document.usage.local_posts))
}

async fn instance_v2(data: FedData) -> ApiResult<Response> {
    let settings = &data.settings.instance;
    let (users, _) = instance_counts(&data).await?;
    Ok(Json(json!({
        "domain": settings.domain,
        "title": settings.name,
        "version": entities::version_string(),
        "source_url": settings.source_url,
        "description": settings.description,
        "usage": {"users": {"active_month": users}},
        "thumbnail": {"url": format!("{}/avatars/original/missing.png", data.urls.base())},
        "languages": ["en"],
        "configuration": configuration(),
        "registrations": {"enabled": registrations_open(&data), "approval_required": approval_required(&data), "message": null},
        "contact": {"email": "", "account": null},
        "rules": [],
        "api_versions": {"mastodon": 2},
    }))
    .into_response())
}

async fn empty_list() -> Json<Vec<Value>> {
    Json(Vec::new())
}

async fn missing_image() -> Response {
    // A 1×1 transparent PNG, so apps have an image to show.
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    ([(header::CONTENT_TYPE, "image/png")], PNG).into_response()
}

async fn preferences(Auth(session): Auth) -> ApiResult<Json<Value>> {
    session.require("read:accounts").map_err(service)?;
    Ok(Json(json!({
        "posting:default:visibility": "public",
        "posting:default:sensitive": false,
        "posting:default:language": null,
        "reading:expand:media": "default",
        "reading:expand:spoilers": false,
    })))
}

/// `GET /api/v1/markers?timeline[]=home&timeline[]=notifications`.
async fn markers(data: FedData, Auth(session): Auth) -> ApiResult<Json<Value>> {
    session.require("read:statuses").map_err(service)?;
    let Some(user) = &session.user else {
        return Ok(Json(json!({})));
    };
    let found = client::markers(&data, user.id).await?;
    let mut out = serde_json::Map::new();
    for (timeline, last_read_id, version, updated_at) in found {
        out.insert(timeline, json!({"last_read_id": last_read_id, "version": version, "updated_at": entities::iso(updated_at)}));
    }
    Ok(Json(Value::Object(out)))
}

/// `POST /api/v1/markers` with `home[last_read_id]=…` (form) or
/// `{"home": {"last_read_id": …}}` (JSON).
async fn set_markers(
    data: FedData,
    Auth(session): Auth,
    Input(form): Input<std::collections::HashMap<String, Value>>,
) -> ApiResult<Json<Value>> {
    session.require("write:statuses").map_err(service)?;
    let user = session.user.as_ref().ok_or_else(|| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "this method requires an authenticated user",
        )
    })?;
    for timeline in ["home", "notifications"] {
        let value = form
            .get(timeline)
            .and_then(|v| v.get("last_read_id"))
            .or_else(|| form.get(&format!("{timeline}[last_read_id]")))
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_i64().map(|n| n.to_string()))
            });
        if let Some(id) = value {
            client::set_marker(&data, user.id, timeline, &id).await?;
        }
    }
    markers(data, Auth(session)).await
}

async fn verify_credentials(data: FedData, Auth(session): Auth) -> ApiResult<Json<Value>> {
    session.require("read:accounts").map_err(service)?;
    let actor = session.actor().map_err(service)?.clone();
    let account = client::account_data(&data, actor).await?;
    let mut value = serde_json::to_value(account_json(&data, &account))
        .map_err(|e| service(ServiceError::Internal(e.into())))?;
    value["source"] = json!({
        "privacy": "public", "sensitive": false, "language": "", "note": crate::service::text::strip_html(&account.actor.summary),
        "fields": [], "follow_requests_count": 0,
    });
    Ok(Json(value))
}

async fn relationships(
    data: FedData,
    Auth(session): Auth,
    uri: OriginalUri,
) -> ApiResult<Json<Vec<Value>>> {
    session.require("read:follows").map_err(service)?;
    let actor = session.actor().map_err(service)?;
    // `id[]=1&id[]=2` repeats a key, which a struct cannot hold: read the query by hand.
    let ids: Vec<String> = uri
        .0
        .query()
        .unwrap_or_default()
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .filter(|(k, _)| *k == "id" || *k == "id[]" || *k == "id%5B%5D")
        .map(|(_, v)| v.to_string())
        .collect();
    let found = client::relationships(&data, actor, &ids).await?;
    Ok(Json(found.iter().map(relationship_json).collect()))
}

#[derive(Debug, Deserialize)]
struct LookupQuery {
    acct: String,
}

async fn lookup(data: FedData, Query(q): Query<LookupQuery>) -> ApiResult<Json<Account>> {
    let actor = accounts::known_account(&data, &q.acct)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Record not found"))?;
    let account = client::account_data(&data, actor).await?;
    Ok(Json(account_json(&data, &account)))
}

async fn account(data: FedData, Path(id): Path<String>) -> ApiResult<Json<Account>> {
    let account = client::account_by_id(&data, &id).await?;
    Ok(Json(account_json(&data, &account)))
}

async fn account_statuses(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let account = client::account_by_id(&data, &id).await?;
    let viewer = session.as_ref().and_then(|s| s.actor.clone());
    let statuses =
        client::account_statuses(&data, &account.actor, viewer.as_ref(), q.page(20, 40)).await?;
    Ok(statuses_response(&data, &uri, statuses).await)
}

async fn follow(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    session.require("write:follows").map_err(service)?;
    let actor = session.actor_as(Role::Owner).map_err(service)?.clone();
    let target = client::account_by_id(&data, &id).await?;
    match follows::follow(&data, &actor.username, &target.actor.ap_id).await {
        Ok(_) | Err(ServiceError::Conflict(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let found = client::relationships(&data, &actor, &[id]).await?;
    found
        .first()
        .map(|r| Json(relationship_json(r)))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Record not found"))
}

async fn unfollow(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    session.require("write:follows").map_err(service)?;
    let actor = session.actor_as(Role::Owner).map_err(service)?.clone();
    let target = client::account_by_id(&data, &id).await?;
    match follows::unfollow(&data, &actor.username, &target.actor.ap_id).await {
        Ok(_) | Err(ServiceError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let found = client::relationships(&data, &actor, &[id]).await?;
    found
        .first()
        .map(|r| Json(relationship_json(r)))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Record not found"))
}

#[derive(Debug, Default, Deserialize)]
struct StatusForm {
    status: Option<String>,
    in_reply_to_id: Option<String>,
    spoiler_text: Option<String>,
    visibility: Option<String>,
    language: Option<String>,
    /// Accepted for compatibility; media (what it hides) come later.
    #[serde(default, rename = "sensitive")]
    _sensitive: Option<Value>,
}

async fn create_status(
    data: FedData,
    Auth(session): Auth,
    headers: HeaderMap,
    Input(form): Input<StatusForm>,
) -> ApiResult<Json<entities::Status>> {
    session.require("write:statuses").map_err(service)?;
    let actor = session.actor_as(Role::Editor).map_err(service)?.clone();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = form.status.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Text can't be blank",
        ));
    }
    let visibility = match form.visibility.as_deref().unwrap_or("public") {
        "public" => Visibility::Public,
        "unlisted" => Visibility::Unlisted,
        "private" => Visibility::Followers,
        "direct" => Visibility::Direct,
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!(
                    "Validation failed: visibility {other:?} is not one of public, unlisted, private, direct"
                ),
            ));
        }
    };
    let in_reply_to = match form.in_reply_to_id.filter(|s| !s.is_empty()) {
        Some(id) => Some(client::status(&data, &id, Some(&actor)).await?.post.ap_id),
        None => None,
    };
    let post = posts::create_post_once(
        &data,
        &actor.username,
        NewPost {
            text,
            visibility,
            in_reply_to,
            spoiler: form.spoiler_text.filter(|s| !s.is_empty()),
            language: form.language.filter(|s| !s.is_empty()),
            written_by: session.user.as_ref().map(|u| u.id),
        },
        key.as_deref(),
    )
    .await
    .map_err(|e| match e {
        ServiceError::Unprocessable(m) => {
            ServiceError::Unprocessable(format!("Validation failed: {m}"))
        }
        other => other,
    })?;
    let status = client::status(&data, &post.id.to_string(), Some(&actor)).await?;
    Ok(Json(status_json(&data, &status)))
}

/// One status. The organisation's owners also see which staff member wrote
/// it (`kuvend_written_by`, never federated).
async fn show_status(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let viewer = session.as_ref().and_then(|s| s.actor.clone());
    let status = client::status(&data, &id, viewer.as_ref()).await?;
    let mut json = serde_json::to_value(status_json(&data, &status))
        .map_err(|e| service(ServiceError::Internal(e.into())))?;
    if let Some(user) = session.as_ref().and_then(|s| s.user.as_ref()) {
        if let Some(author) = client::staff_author_for_owner(&data, user, &status.post).await? {
            json["kuvend_written_by"] = json!({"email": author});
        }
    }
    Ok(Json(json))
}

#[derive(Debug, Deserialize)]
struct AccountSearchQuery {
    q: String,
    resolve: Option<String>,
    limit: Option<i64>,
}

async fn account_search(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<AccountSearchQuery>,
) -> ApiResult<Json<Vec<Account>>> {
    session.require("read:accounts").map_err(service)?;
    let query = q.q.trim().trim_start_matches('@');
    let mut actors = Vec::new();
    if query.contains('@') && truthy(&q.resolve) {
        if let Ok(actor) = follows::resolve_remote_actor(&data, query).await {
            actors.push(actor);
        }
    }
    let username = query.split('@').next().unwrap_or_default();
    if actors.is_empty() && !username.is_empty() {
        actors =
            client::search_accounts(&data, username, q.limit.unwrap_or(40).clamp(1, 80)).await?;
    }
    let mut out = Vec::new();
    for actor in actors {
        out.push(account_json(
            &data,
            &client::account_data(&data, actor).await?,
        ));
    }
    Ok(Json(out))
}

async fn delete_status(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<entities::Status>> {
    session.require("write:statuses").map_err(service)?;
    let actor = session.actor_as(Role::Editor).map_err(service)?.clone();
    let status = client::status(&data, &id, Some(&actor)).await?;
    if status.post.author_id != actor.id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "This action is not allowed",
        ));
    }
    let json = status_json(&data, &status);
    posts::delete_post(&data, &status.post.ap_id).await?;
    Ok(Json(json))
}

async fn status_context(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let viewer = session.as_ref().and_then(|s| s.actor.clone());
    let status = client::status(&data, &id, viewer.as_ref()).await?;
    let (ancestors, descendants) = client::context(&data, &status.post, viewer.as_ref()).await?;
    Ok(Json(json!({
        "ancestors": ancestors.iter().map(|s| status_json(&data, s)).collect::<Vec<_>>(),
        "descendants": descendants.iter().map(|s| status_json(&data, s)).collect::<Vec<_>>(),
    })))
}

async fn react(
    data: FedData,
    session: Session,
    id: String,
    kind: ReactionKind,
    on: bool,
) -> ApiResult<Json<entities::Status>> {
    session
        .require("write:favourites")
        .or_else(|_| session.require("write:statuses"))
        .map_err(service)?;
    let actor = session.actor_as(Role::Editor).map_err(service)?.clone();
    let status = client::status(&data, &id, Some(&actor)).await?;
    let result = if on {
        posts::react(&data, &actor.username, &status.post.ap_id, kind)
            .await
            .map(|_| ())
    } else {
        posts::unreact(&data, &actor.username, &status.post.ap_id, kind)
            .await
            .map(|_| ())
    };
    match result {
        Ok(()) | Err(ServiceError::NotFound(_)) => {}
        Err(e) => return Err(e.into()),
    }
    let status = client::status(&data, &id, Some(&actor)).await?;
    Ok(Json(status_json(&data, &status)))
}

async fn favourite(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<entities::Status>> {
    react(data, s, id, ReactionKind::Like, true).await
}
async fn unfavourite(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<entities::Status>> {
    react(data, s, id, ReactionKind::Like, false).await
}
async fn reblog(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<entities::Status>> {
    react(data, s, id, ReactionKind::Announce, true).await
}
async fn unreblog(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<entities::Status>> {
    react(data, s, id, ReactionKind::Announce, false).await
}

async fn set_bookmark(
    data: FedData,
    session: Session,
    id: String,
    on: bool,
) -> ApiResult<Json<entities::Status>> {
    session.require("write:bookmarks").map_err(service)?;
    let actor = session.actor_as(Role::Editor).map_err(service)?.clone();
    let status = client::status(&data, &id, Some(&actor)).await?;
    client::set_bookmark(&data, &actor, status.post.id, on).await?;
    let status = client::status(&data, &id, Some(&actor)).await?;
    Ok(Json(status_json(&data, &status)))
}
async fn bookmark(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<entities::Status>> {
    set_bookmark(data, s, id, true).await
}
async fn unbookmark(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<entities::Status>> {
    set_bookmark(data, s, id, false).await
}

async fn home_timeline(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    session.require("read:statuses").map_err(service)?;
    let actor = session.actor().map_err(service)?;
    let statuses = client::home_timeline(&data, actor, q.page(20, 40)).await?;
    Ok(statuses_response(&data, &uri, statuses).await)
}

async fn public_timeline(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let local = if truthy(&q.local) {
        Some(true)
    } else if truthy(&q.remote) {
        Some(false)
    } else {
        None
    };
    let viewer = session.as_ref().and_then(|s| s.actor.clone());
    let statuses =
        client::public_timeline(&data, viewer.as_ref(), local, None, q.page(20, 40)).await?;
    Ok(statuses_response(&data, &uri, statuses).await)
}

async fn tag_timeline(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(tag): Path<String>,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let local = if truthy(&q.local) {
        Some(true)
    } else if truthy(&q.remote) {
        Some(false)
    } else {
        None
    };
    let viewer = session.as_ref().and_then(|s| s.actor.clone());
    let statuses =
        client::public_timeline(&data, viewer.as_ref(), local, Some(&tag), q.page(20, 40)).await?;
    Ok(statuses_response(&data, &uri, statuses).await)
}

async fn notifications(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    session.require("read:notifications").map_err(service)?;
    let actor = session.actor().map_err(service)?;
    let found = client::notifications(&data, actor, q.page(40, 80)).await?;
    let ids: Vec<i64> = found.iter().map(|n| n.row.id).collect();
    let items: Vec<Value> = found.iter().map(|n| notification_json(&data, n)).collect();
    Ok(paged(&uri, &items, &ids))
}

async fn dismiss_notification(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    session.require("write:notifications").map_err(service)?;
    let actor = session.actor().map_err(service)?;
    client::dismiss_notification(&data, actor, &id).await?;
    Ok(Json(json!({})))
}

async fn follow_requests(data: FedData, Auth(session): Auth) -> ApiResult<Json<Vec<Account>>> {
    session.require("read:follows").map_err(service)?;
    let actor = session.actor().map_err(service)?.clone();
    let pending = follows::followers(&data, &actor.username, true).await?;
    let mut out = Vec::new();
    for (_, follower) in pending {
        out.push(account_json(
            &data,
            &client::account_data(&data, follower).await?,
        ));
    }
    Ok(Json(out))
}

async fn answer_follow_request(
    data: FedData,
    session: Session,
    id: String,
    approve: bool,
) -> ApiResult<Json<Value>> {
    session.require("write:follows").map_err(service)?;
    let actor = session.actor_as(Role::Owner).map_err(service)?.clone();
    let follower = client::account_by_id(&data, &id).await?;
    if approve {
        follows::approve(&data, &actor.username, &follower.actor.ap_id).await?;
    } else {
        follows::reject(&data, &actor.username, &follower.actor.ap_id).await?;
    }
    let found = client::relationships(&data, &actor, &[id]).await?;
    found
        .first()
        .map(|r| Json(relationship_json(r)))
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "Record not found"))
}
async fn authorize_follow_request(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    answer_follow_request(data, s, id, true).await
}
async fn reject_follow_request(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    answer_follow_request(data, s, id, false).await
}

#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    q: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    resolve: Option<String>,
}

async fn search(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<Value>> {
    session.require("read:search").map_err(service)?;
    let viewer = session.actor.clone();
    let query = q.q.trim();
    let resolve = truthy(&q.resolve);
    let mut found_accounts = Vec::new();
    let mut statuses = Vec::new();
    let wants = |kind: &str| q.kind.as_deref().is_none_or(|k| k == kind);
    if wants("accounts") {
        if let Some(actor) = accounts::find_account(&data, query, resolve).await? {
            found_accounts.push(account_json(
                &data,
                &client::account_data(&data, actor).await?,
            ));
        }
    }
    if wants("statuses")
        && resolve
        && (query.starts_with("http://") || query.starts_with("https://"))
    {
        if let Ok((post, _)) = posts::find_or_fetch_post(&data, query).await {
            if let Ok(status) = client::status(&data, &post.id.to_string(), viewer.as_ref()).await {
                statuses.push(status_json(&data, &status));
            }
        }
    }
    Ok(Json(
        json!({"accounts": found_accounts, "statuses": statuses, "hashtags": []}),
    ))
}

#[derive(Debug, Default, Deserialize)]
struct RegisterForm {
    username: Option<String>,
    email: Option<String>,
    password: Option<String>,
    agreement: Option<Value>,
}

fn truthy_value(value: &Option<Value>) -> Option<bool> {
    match value {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::String(s)) => Some(matches!(s.as_str(), "true" | "1" | "on")),
        _ => None,
    }
}

/// `POST /api/v1/accounts`: a supporter registers from an app (with the
/// app's token), as `instance.registrations` allows.
async fn register(
    data: FedData,
    Auth(session): Auth,
    Input(form): Input<RegisterForm>,
) -> ApiResult<Json<Value>> {
    let user = auth::register(
        &data,
        auth::Registration {
            username: form.username.as_deref().unwrap_or_default(),
            email: form.email.as_deref().unwrap_or_default(),
            password: form.password.as_deref().unwrap_or_default(),
            agreement: truthy_value(&form.agreement).unwrap_or(false),
        },
    )
    .await?;
    let (token, row) = auth::token_for(&data, &session.app, &user, &session.app.scopes).await?;
    Ok(Json(json!({
        "access_token": token, "token_type": "Bearer", "scope": row.scopes,
        "created_at": row.created_at.and_utc().timestamp(),
    })))
}

#[derive(Debug, Default, Deserialize)]
struct CredentialsForm {
    display_name: Option<String>,
    note: Option<String>,
    locked: Option<Value>,
}

async fn update_credentials(
    data: FedData,
    Auth(session): Auth,
    Input(form): Input<CredentialsForm>,
) -> ApiResult<Json<Account>> {
    session.require("write:accounts").map_err(service)?;
    let actor = session.actor_as(Role::Owner).map_err(service)?.clone();
    let updated = crate::service::orgs::update_profile(
        &data,
        &actor,
        form.display_name.as_deref(),
        form.note.as_deref(),
        truthy_value(&form.locked),
    )
    .await?;
    let account = client::account_data(&data, updated).await?;
    Ok(Json(account_json(&data, &account)))
}

async fn relation_list(data: &FedData, id: &str, followers: bool) -> ApiResult<Json<Vec<Account>>> {
    let account = client::account_by_id(data, id).await?;
    let actors = client::relations(data, &account.actor, followers).await?;
    let mut out = Vec::new();
    for actor in actors {
        out.push(account_json(
            data,
            &client::account_data(data, actor).await?,
        ));
    }
    Ok(Json(out))
}

async fn account_followers(data: FedData, Path(id): Path<String>) -> ApiResult<Json<Vec<Account>>> {
    relation_list(&data, &id, true).await
}

async fn account_following(data: FedData, Path(id): Path<String>) -> ApiResult<Json<Vec<Account>>> {
    relation_list(&data, &id, false).await
}

async fn edit_status(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<StatusForm>,
) -> ApiResult<Json<entities::Status>> {
    session.require("write:statuses").map_err(service)?;
    let actor = session.actor_as(Role::Editor).map_err(service)?.clone();
    let status = client::status(&data, &id, Some(&actor)).await?;
    if status.post.author_id != actor.id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "This action is not allowed",
        ));
    }
    let text = form.status.unwrap_or_default();
    if text.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: Text can't be blank",
        ));
    }
    posts::edit_post(&data, &status.post.ap_id, &text).await?;
    let status = client::status(&data, &id, Some(&actor)).await?;
    Ok(Json(status_json(&data, &status)))
}

/// Earlier versions are not kept yet: the history holds the current one.
async fn status_history(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let viewer = session.as_ref().and_then(|s| s.actor.clone());
    let status = client::status(&data, &id, viewer.as_ref()).await?;
    let json = status_json(&data, &status);
    Ok(Json(json!([{
        "content": json.content, "spoiler_text": json.spoiler_text, "sensitive": json.sensitive,
        "created_at": json.edited_at.clone().unwrap_or(json.created_at.clone()),
        "account": json.account, "media_attachments": [], "emojis": [],
    }])))
}

async fn status_source(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let actor = session.actor().map_err(service)?.clone();
    let status = client::status(&data, &id, Some(&actor)).await?;
    Ok(Json(json!({
        "id": status.post.id.to_string(),
        "text": status.post.source.clone().unwrap_or_default(),
        "spoiler_text": status.post.summary.clone().unwrap_or_default(),
    })))
}
