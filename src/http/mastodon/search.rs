//! Search (`/api/v2/search`): accounts by handle, and posts by URL.

use super::entities::{Account, SearchResults, Status};
use super::{Auth, service, truthy};
use crate::federation::FedData;
use crate::http::error::ApiResult;
use crate::service::{accounts, client, posts};
use axum::{Json, Router, extract::Query, routing::get};
use serde::Deserialize;

pub(super) fn routes() -> Router {
    Router::new().route("/api/v2/search", get(search))
}

#[derive(Debug, Default, Deserialize)]
struct SearchQuery {
    q: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    resolve: Option<String>,
}

/// Finds at most one account, and a post only by its URL with `resolve`
/// (fetched if unknown). A post that cannot be fetched or shown is simply
/// not found, as on Mastodon.
async fn search(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    session.require("read:search").map_err(service)?;
    let viewer = session.reader();
    let query = q.q.trim();
    let resolve = truthy(&q.resolve);
    let wants = |kind: &str| q.kind.as_deref().is_none_or(|k| k == kind);
    let mut results = SearchResults {
        accounts: Vec::new(),
        statuses: Vec::new(),
        hashtags: Vec::new(),
    };
    if wants("accounts") {
        if let Some(actor) = accounts::find_account(&data, query, resolve).await? {
            let account = client::account_data(&data, actor).await?;
            results.accounts.push(Account::new(&data, &account));
        }
    }
    if wants("statuses")
        && resolve
        && (query.starts_with("http://") || query.starts_with("https://"))
    {
        if let Ok((post, _)) = posts::find_or_fetch_post(&data, query).await {
            if let Ok(status) = client::status(&data, &post.id.to_string(), viewer.as_ref()).await {
                results.statuses.push(Status::new(&data, &status));
            }
        }
    }
    Ok(Json(results))
}
