//! Notifications (`/api/v1/notifications/...`).

use super::entities::{Empty, Notification};
use super::{Auth, PageQuery, paged, service};
use crate::federation::FedData;
use crate::http::error::ApiResult;
use crate::service::client;
use axum::{
    Json, Router,
    extract::{OriginalUri, Path, Query},
    response::Response,
    routing::{get, post},
};

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/notifications", get(list))
        .route("/api/v1/notifications/{id}/dismiss", post(dismiss))
}

async fn list(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    session.require("read:notifications").map_err(service)?;
    let actor = session.actor().map_err(service)?;
    let found = client::notifications(&data, actor, q.page(40, 80)).await?;
    let ids: Vec<i64> = found.iter().map(|n| n.row.id).collect();
    let items: Vec<Notification> = found.iter().map(|n| Notification::new(&data, n)).collect();
    Ok(paged(&uri, &items, &ids))
}

async fn dismiss(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Empty>> {
    session.require("write:notifications").map_err(service)?;
    let actor = session.actor().map_err(service)?;
    client::dismiss_notification(&data, actor, &id).await?;
    Ok(Json(Empty {}))
}
