//! Reports (`POST /api/v1/reports`, issue 15 item 5).

use super::entities::Report;
use super::{Auth, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::service::{client, reports};
use axum::{
    Json, Router,
    body::Bytes,
    http::{HeaderMap, StatusCode, header},
    routing::post,
};
use serde_json::Value;

pub(super) fn routes() -> Router {
    Router::new().route("/api/v1/reports", post(create))
}

/// Mastodon's parameters, from a form (`status_ids[]=…`) or JSON.
fn request(headers: &HeaderMap, body: &[u8]) -> ApiResult<reports::ReportRequest> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let mut out = reports::ReportRequest::default();
    let truthy = |s: &str| matches!(s, "true" | "1" | "on" | "yes");
    if is_json {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("Validation failed: {e}"),
            )
        })?;
        let scalar = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        };
        let list = |key: &str| -> Vec<String> {
            [key.to_string(), format!("{key}[]")]
                .iter()
                .flat_map(|k| match value.get(k) {
                    Some(Value::Array(items)) => items.iter().filter_map(scalar).collect(),
                    Some(other) => scalar(other).into_iter().collect(),
                    None => Vec::new(),
                })
                .collect()
        };
        out.account_id = value.get("account_id").and_then(scalar).unwrap_or_default();
        out.status_ids = list("status_ids");
        out.rule_ids = list("rule_ids");
        out.comment = value.get("comment").and_then(scalar).unwrap_or_default();
        out.forward = value
            .get("forward")
            .and_then(scalar)
            .is_some_and(|s| truthy(&s));
        out.category = value.get("category").and_then(scalar);
    } else {
        for (key, v) in url::form_urlencoded::parse(body) {
            let v = v.into_owned();
            match key.as_ref() {
                "account_id" => out.account_id = v,
                "status_ids" | "status_ids[]" => out.status_ids.push(v),
                "rule_ids" | "rule_ids[]" => out.rule_ids.push(v),
                "comment" => out.comment = v,
                "forward" => out.forward = truthy(&v),
                "category" => out.category = Some(v),
                _ => {}
            }
        }
    }
    if out.account_id.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Validation failed: account_id is missing",
        ));
    }
    Ok(out)
}

async fn create(
    data: FedData,
    Auth(session): Auth,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Report>> {
    session.require("write:reports").map_err(service)?;
    let reporter = session.actor().map_err(service)?.clone();
    let request = request(&headers, &body)?;
    let user = session.user.as_ref().map(|u| u.id);
    let view = reports::file(&data, &reporter, user, request).await?;
    let target = client::account_data(&data, view.target.clone()).await?;
    Ok(Json(Report::new(&data, &view, &target)))
}
