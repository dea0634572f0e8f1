//! WebFinger, host-meta and NodeInfo.

use super::error::{ApiError, ApiResult};
use crate::{context::Kuvend, federation::FedData, service::documents};
use axum::{
    Json,
    extract::Query,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub struct WebfingerQuery {
    resource: Option<String>,
}

pub async fn webfinger(data: FedData, Query(query): Query<WebfingerQuery>) -> ApiResult<Response> {
    let resource = query
        .resource
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, "missing resource parameter"))?;
    let target = documents::webfinger(&data, &resource).await?;
    let mut links = vec![json!({
        "rel": "self",
        "type": "application/activity+json",
        "href": target.actor_id,
    })];
    if let Some(profile) = &target.profile_url {
        links.insert(
            0,
            json!({
                "rel": "http://webfinger.net/rel/profile-page",
                "type": "text/html",
                "href": profile,
            }),
        );
    }
    let mut aliases = vec![target.actor_id.clone()];
    aliases.extend(target.profile_url.clone());
    let mut body = json!({
        "subject": target.subject,
        "aliases": aliases,
        "links": links,
    });
    if target.is_application {
        body["properties"] = json!({"https://www.w3.org/ns/activitystreams#type": "Application"});
    }
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jrd+json; charset=utf-8"),
    );
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    Ok(response)
}

pub async fn host_meta(data: FedData) -> Response {
    let ctx: &Kuvend = &data;
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" template=\"{}\"/>\n</XRD>\n",
        crate::service::escape_html(&ctx.urls.webfinger_template())
    );
    (
        [(header::CONTENT_TYPE, "application/xrd+xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

pub async fn nodeinfo_links(data: FedData) -> Response {
    Json(documents::nodeinfo_links(&data)).into_response()
}

pub async fn nodeinfo(data: FedData) -> ApiResult<Response> {
    let mut response = Json(documents::nodeinfo(&data).await?).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(
            "application/json; profile=\"http://nodeinfo.diaspora.software/ns/schema/2.1#\"",
        ),
    );
    Ok(response)
}
