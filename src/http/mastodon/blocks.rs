//! Blocks and mutes (`/api/v1/accounts/:id/block|unblock|mute|unmute`,
//! `/api/v1/blocks`, `/api/v1/mutes`, `/api/v1/domain_blocks`), in
//! Mastodon's shapes. The account acted as is the organisation the login
//! speaks for: blocking and muting are its owners' decisions (403 for other
//! staff); any staff may read the lists.

use super::accounts::{account_list, relationship};
use super::entities::Relationship;
use super::{Auth, Input, PageQuery, paged, service};
use crate::federation::FedData;
use crate::http::error::ApiResult;
use crate::service::{
    blocks::{self, BLOCK, DOMAIN_BLOCK, MUTE},
    client,
};
use axum::{
    Json, Router,
    extract::{OriginalUri, Path, Query},
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::Value;

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/accounts/{id}/block", post(block))
        .route("/api/v1/accounts/{id}/unblock", post(unblock))
        .route("/api/v1/accounts/{id}/mute", post(mute))
        .route("/api/v1/accounts/{id}/unmute", post(unmute))
        .route("/api/v1/blocks", get(list_blocks))
        .route("/api/v1/mutes", get(list_mutes))
        .route(
            "/api/v1/domain_blocks",
            get(list_domain_blocks)
                .post(add_domain_block)
                .delete(remove_domain_block),
        )
}

async fn block(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Relationship>> {
    session.require("write:blocks").map_err(service)?;
    let acting = session.acting()?;
    let target = client::actor_by_account_id(&data, &id).await?;
    blocks::block_actor_as(&data, &acting, target).await?;
    relationship(&data, &acting.account, id).await
}

async fn unblock(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Relationship>> {
    session.require("write:blocks").map_err(service)?;
    let acting = session.acting()?;
    let target = client::actor_by_account_id(&data, &id).await?;
    blocks::unblock_actor_as(&data, &acting, target).await?;
    relationship(&data, &acting.account, id).await
}

/// Mastodon's mute parameters, from a form or JSON.
#[derive(Debug, Default, Deserialize)]
struct MuteParams {
    /// Whether the muted account's notifications are hidden too (default true).
    notifications: Option<Value>,
    /// Seconds until the mute ends by itself; 0 or absent: never.
    duration: Option<Value>,
}

/// A flag sent as JSON `true`/`false` or as a form's `"true"`, `"1"`, `"on"`.
fn flag(value: &Option<Value>, default: bool) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "true" | "1" | "on"),
        _ => default,
    }
}

/// A number sent as JSON or as a form's string; garbage is an error.
fn seconds(value: &Option<Value>) -> Result<i64, crate::service::ServiceError> {
    let bad = || crate::service::ServiceError::Unprocessable("duration must be a number".into());
    match value {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => n.as_i64().ok_or_else(bad),
        Some(Value::String(s)) if s.is_empty() => Ok(0),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| bad()),
        _ => Err(bad()),
    }
}

async fn mute(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(params): Input<MuteParams>,
) -> ApiResult<Json<Relationship>> {
    session.require("write:mutes").map_err(service)?;
    let acting = session.acting()?;
    let target = client::actor_by_account_id(&data, &id).await?;
    let duration = seconds(&params.duration)?;
    blocks::mute_as(
        &data,
        &acting,
        &target,
        flag(&params.notifications, true),
        duration,
    )
    .await?;
    relationship(&data, &acting.account, id).await
}

async fn unmute(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Relationship>> {
    session.require("write:mutes").map_err(service)?;
    let acting = session.acting()?;
    let target = client::actor_by_account_id(&data, &id).await?;
    blocks::unmute_as(&data, &acting, &target).await?;
    relationship(&data, &acting.account, id).await
}

/// A page of the rows of `kind` naming accounts, as Accounts, paged by the
/// rows' ids (Mastodon pages blocks and mutes by theirs, not the accounts').
async fn account_rows(
    data: &FedData,
    session: &crate::service::auth::Session,
    uri: &axum::http::Uri,
    q: &PageQuery,
    kind: &str,
) -> ApiResult<Response> {
    let acting = session.acting()?;
    let page = q.page(40, 80);
    let rows = blocks::list(data, &acting.account, &[kind], page.max_id, page.limit).await?;
    let mut ids = Vec::with_capacity(rows.len());
    let mut actors = Vec::with_capacity(rows.len());
    for (row, actor) in rows {
        if let Some(actor) = actor {
            ids.push(row.id);
            actors.push(actor);
        }
    }
    let accounts = account_list(data, actors).await?;
    Ok(paged(uri, &accounts, &ids))
}

async fn list_blocks(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    session.require("read:blocks").map_err(service)?;
    account_rows(&data, &session, &uri, &q, BLOCK).await
}

async fn list_mutes(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    session.require("read:mutes").map_err(service)?;
    account_rows(&data, &session, &uri, &q, MUTE).await
}

/// `GET /api/v1/domain_blocks`: the blocked domains, as strings.
async fn list_domain_blocks(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    session.require("read:blocks").map_err(service)?;
    let acting = session.acting()?;
    let page = q.page(100, 200);
    let rows = blocks::list(
        &data,
        &acting.account,
        &[DOMAIN_BLOCK],
        page.max_id,
        page.limit,
    )
    .await?;
    let ids: Vec<i64> = rows.iter().map(|(row, _)| row.id).collect();
    let domains: Vec<String> = rows.into_iter().map(|(row, _)| row.target).collect();
    Ok(paged(&uri, &domains, &ids))
}

/// The `domain` parameter of a domain block.
#[derive(Debug, Default, Deserialize)]
struct DomainParams {
    /// The host to block or unblock (its subdomains with it).
    domain: Option<String>,
}

async fn add_domain_block(
    data: FedData,
    Auth(session): Auth,
    Input(params): Input<DomainParams>,
) -> ApiResult<Json<Value>> {
    session.require("write:blocks").map_err(service)?;
    let acting = session.acting()?;
    let domain = params.domain.unwrap_or_default();
    blocks::block_domain_as(&data, &acting, &domain).await?;
    Ok(Json(Value::Object(Default::default())))
}

async fn remove_domain_block(
    data: FedData,
    Auth(session): Auth,
    Input(params): Input<DomainParams>,
) -> ApiResult<Json<Value>> {
    session.require("write:blocks").map_err(service)?;
    let acting = session.acting()?;
    let domain = params.domain.unwrap_or_default();
    blocks::unblock_domain_as(&data, &acting, &domain).await?;
    Ok(Json(Value::Object(Default::default())))
}
