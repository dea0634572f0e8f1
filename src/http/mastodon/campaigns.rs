//! A coalition's campaign hashtags (issue 14 item 5):
//! `/api/v1/kuvend/coalitions/:id/campaigns` (list, public), POST `{tag}`
//! and DELETE `/:tag` for an admin organisation's owner, scope
//! `write:coalitions` as the other coalition writes.

use super::coalitions::WRITE;
use super::entities::iso;
use super::events::text;
use super::{Auth, Input, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::service::{ActorRow, campaigns, coalitions};
use axum::{
    Json, Router,
    extract::Path,
    http::StatusCode,
    routing::{delete, get},
};
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> Router {
    Router::new()
        .route(
            "/api/v1/kuvend/coalitions/{id}/campaigns",
            get(list).post(add),
        )
        .route(
            "/api/v1/kuvend/coalitions/{id}/campaigns/{tag}",
            delete(remove),
        )
}

/// One campaign of a coalition.
#[derive(Debug, Serialize)]
pub struct Campaign {
    /// The hashtag, lower case, without `#`.
    pub tag: String,
    /// The campaign page (HTML).
    pub url: String,
    /// The campaign's Atom feed.
    pub feed_url: String,
    /// When the coalition named it (ISO 8601).
    pub created_at: String,
}

impl Campaign {
    fn new(data: &FedData, coalition: &ActorRow, tag: String, created_at: String) -> Campaign {
        let page = campaign_url(data, coalition, &tag);
        Campaign {
            feed_url: format!("{page}.atom"),
            url: page,
            tag,
            created_at,
        }
    }
}

/// `/@<coalition>/campaigns/<tag>`, the tag percent-encoded as a path
/// segment (tags may be any letters).
pub(crate) fn campaign_url(data: &FedData, coalition: &ActorRow, tag: &str) -> String {
    let mut url = match url::Url::parse(&data.settings.base_url()) {
        Ok(url) => url,
        Err(_) => return String::new(),
    };
    if let Ok(mut path) = url.path_segments_mut() {
        path.clear()
            .push(&format!("@{}", coalition.username))
            .push("campaigns")
            .push(tag);
    }
    url.to_string()
}

/// The body of a POST.
#[derive(Debug, Default, Deserialize)]
struct CampaignForm {
    /// The hashtag, `#` optional.
    #[serde(default, deserialize_with = "text")]
    tag: Option<String>,
}

async fn list(data: FedData, Path(id): Path<String>) -> ApiResult<Json<Vec<Campaign>>> {
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let rows = campaigns::list(&data, &coalition.actor).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(tag, at)| Campaign::new(&data, &coalition.actor, tag, iso(at)))
            .collect(),
    ))
}

async fn add(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<CampaignForm>,
) -> ApiResult<Json<Campaign>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let tag = form.tag.unwrap_or_default();
    if tag.trim().is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "tag: the campaign needs a hashtag".to_string(),
        ));
    }
    let (tag, _) = campaigns::add_as(&data, &acting, &coalition, &tag).await?;
    let created = campaigns::list(&data, &coalition.actor)
        .await?
        .into_iter()
        .find(|(t, _)| *t == tag)
        .map(|(_, at)| iso(at))
        .unwrap_or_default();
    Ok(Json(Campaign::new(&data, &coalition.actor, tag, created)))
}

async fn remove(
    data: FedData,
    Auth(session): Auth,
    Path((id, tag)): Path<(String, String)>,
) -> ApiResult<Json<serde_json::Value>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let coalition = coalitions::local_by_id(&data, &id).await?;
    let (tag, removed) = campaigns::remove_as(&data, &acting, &coalition, &tag).await?;
    if !removed {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("#{tag} is not a campaign of this coalition"),
        ));
    }
    Ok(Json(serde_json::json!({})))
}
