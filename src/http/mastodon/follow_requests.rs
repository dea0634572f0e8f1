//! Follow requests (`/api/v1/follow_requests/...`): who asks to follow the
//! viewer's account, and the answer.

use super::accounts::{account_list, relationship};
use super::entities::{Account, Relationship};
use super::{Auth, service};
use crate::federation::FedData;
use crate::http::error::ApiResult;
use crate::service::{auth::Session, client, follows};
use axum::{
    Json, Router,
    extract::Path,
    routing::{get, post},
};

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/follow_requests", get(list))
        .route("/api/v1/follow_requests/{id}/authorize", post(authorize))
        .route("/api/v1/follow_requests/{id}/reject", post(reject))
}

async fn list(data: FedData, Auth(session): Auth) -> ApiResult<Json<Vec<Account>>> {
    session.require("read:follows").map_err(service)?;
    let actor = session.actor().map_err(service)?.clone();
    let pending = follows::followers(&data, &actor.username, true).await?;
    let requesters = pending.into_iter().map(|(_, follower)| follower).collect();
    Ok(Json(account_list(&data, requesters).await?))
}

/// Only an owner decides who follows the organisation.
async fn answer(
    data: FedData,
    session: Session,
    id: String,
    approve: bool,
) -> ApiResult<Json<Relationship>> {
    session.require("write:follows").map_err(service)?;
    let acting = session.acting()?;
    let follower = client::account_by_id(&data, &id).await?;
    if approve {
        follows::approve_as(&data, &acting, &follower.actor.ap_id).await?;
    } else {
        follows::reject_as(&data, &acting, &follower.actor.ap_id).await?;
    }
    relationship(&data, &acting.account, id).await
}

async fn authorize(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Relationship>> {
    answer(data, s, id, true).await
}

async fn reject(
    data: FedData,
    Auth(s): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Relationship>> {
    answer(data, s, id, false).await
}
