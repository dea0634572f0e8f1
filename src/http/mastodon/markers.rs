//! Timeline markers (`/api/v1/markers`): where the viewer stopped reading,
//! kept per login so that another app can carry on from there.

use super::entities::{Marker, Markers, iso};
use super::{Auth, Input, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::service::client;
use axum::{Json, Router, http::StatusCode, routing::get};
use serde_json::Value;
use std::collections::HashMap;

pub(super) fn routes() -> Router {
    Router::new().route("/api/v1/markers", get(markers).post(set_markers))
}

/// `GET /api/v1/markers?timeline[]=home&timeline[]=notifications`: every
/// marker is returned whatever `timeline[]` asks for, and app-only tokens
/// have none.
async fn markers(data: FedData, Auth(session): Auth) -> ApiResult<Json<Markers>> {
    session.require("read:statuses").map_err(service)?;
    let Some(user) = &session.user else {
        return Ok(Json(Markers::default()));
    };
    let found = client::markers(&data, user.id).await?;
    Ok(Json(Markers(
        found
            .into_iter()
            .map(|(timeline, last_read_id, version, updated_at)| {
                let marker = Marker {
                    last_read_id,
                    version: i64::from(version),
                    updated_at: iso(updated_at),
                };
                (timeline, marker)
            })
            .collect(),
    )))
}

/// `POST /api/v1/markers` with `home[last_read_id]=…` (form) or
/// `{"home": {"last_read_id": …}}` (JSON); answers with all markers.
async fn set_markers(
    data: FedData,
    Auth(session): Auth,
    Input(form): Input<HashMap<String, Value>>,
) -> ApiResult<Json<Markers>> {
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
