//! Timelines (`/api/v1/timelines/...`): the viewer's home, everyone's public
//! posts, those with a hashtag, and a group's.

use super::{Auth, MaybeAuth, PageQuery, paged_statuses, service, truthy};
use crate::federation::FedData;
use crate::http::error::ApiResult;
use crate::service::{auth::Session, client, coalition_feed};
use axum::{
    Router,
    extract::{OriginalUri, Path, Query},
    response::Response,
    routing::get,
};

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/timelines/home", get(home))
        .route("/api/v1/timelines/public", get(public))
        .route("/api/v1/timelines/tag/{tag}", get(tag))
        .route("/api/v1/timelines/group/{id}", get(group))
}

async fn home(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    session.require("read:statuses").map_err(service)?;
    let actor = session.actor().map_err(service)?;
    let statuses = client::home_timeline(&data, actor, q.page(20, 40)).await?;
    Ok(paged_statuses(&data, &uri, &statuses))
}

/// `local=true` keeps this server's posts, `remote=true` the others';
/// `local` wins when both are set.
fn only_local(q: &PageQuery) -> Option<bool> {
    if truthy(&q.local) {
        Some(true)
    } else if truthy(&q.remote) {
        Some(false)
    } else {
        None
    }
}

async fn public(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let viewer = session.as_ref().and_then(Session::reader);
    let statuses =
        client::public_timeline(&data, viewer.as_ref(), only_local(&q), None, q.page(20, 40))
            .await?;
    Ok(paged_statuses(&data, &uri, &statuses))
}

async fn tag(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(tag): Path<String>,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let viewer = session.as_ref().and_then(Session::reader);
    let statuses = client::public_timeline(
        &data,
        viewer.as_ref(),
        only_local(&q),
        Some(&tag),
        q.page(20, 40),
    )
    .await?;
    Ok(paged_statuses(&data, &uri, &statuses))
}

/// pl-api's group timeline (issue 14 item 4): what a coalition relayed, or
/// what we know was addressed to or boosted by another server's group;
/// 404 for an account that is not a group.
async fn group(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    let viewer = session.as_ref().and_then(Session::reader);
    let statuses =
        coalition_feed::group_timeline(&data, &id, viewer.as_ref(), q.page(20, 40)).await?;
    Ok(paged_statuses(&data, &uri, &statuses))
}
