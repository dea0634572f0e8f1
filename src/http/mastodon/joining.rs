//! Our organisations join events (issue 12 item 5): kuvend's own routes
//! (`/api/v1/kuvend/events/:id/join|leave`) and Rebased's
//! (`/api/v1/pleroma/events/:id/join|leave`, `.../joined_events`), which
//! pl-api and pl-fe speak. `:id` is the event's status id, which for a
//! remote event is the id of our stored copy (the common case: one joins
//! other organisers' events); the service also takes its URL.

use super::entities::{Event, Status};
use super::events::{READ, WRITE, text};
use super::{Auth, Input, PageQuery, paged, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::model::ParticipantState;
use crate::service::{auth::Session, events, joining};
use axum::{
    Json, Router,
    extract::{OriginalUri, Path, Query},
    http::StatusCode,
    response::Response,
    routing::{get, post},
};
use serde::Deserialize;

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/kuvend/events/{id}/join", post(join))
        .route("/api/v1/kuvend/events/{id}/leave", post(leave))
        .route("/api/v1/pleroma/events/{id}/join", post(rebased_join))
        .route("/api/v1/pleroma/events/{id}/leave", post(rebased_leave))
        .route(
            "/api/v1/pleroma/events/joined_events",
            get(rebased_joined_events),
        )
}

/// What a Join may carry.
#[derive(Debug, Default, Deserialize)]
struct JoinForm {
    /// A note to the organisers (plain text; markup is dropped).
    #[serde(default, deserialize_with = "text")]
    participation_message: Option<String>,
}

/// Joins as the token's organisation; the event's status id afterwards.
async fn joined(session: &Session, data: &FedData, id: &str, form: JoinForm) -> ApiResult<i64> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let joined = joining::join_event(data, &acting, id, form.participation_message).await?;
    Ok(joined.view.post.id)
}

async fn left(session: &Session, data: &FedData, id: &str) -> ApiResult<i64> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    Ok(joining::leave_event(data, &acting, id).await?.view.post.id)
}

/// The event as the token's account sees it now, with its `join_state`.
async fn event_entity(data: &FedData, session: &Session, id: i64) -> ApiResult<Json<Event>> {
    let actor = session.actor()?.clone();
    let status = events::visible_event(data, &id.to_string(), Some(&actor)).await?;
    Ok(Json(
        super::events::entity(data, &status)?.for_viewer(&status, Some(&actor)),
    ))
}

async fn event_status(data: &FedData, session: &Session, id: i64) -> ApiResult<Json<Status>> {
    let actor = session.actor()?.clone();
    let status = events::visible_event(data, &id.to_string(), Some(&actor)).await?;
    Ok(Json(Status::new(data, &status)))
}

async fn join(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<JoinForm>,
) -> ApiResult<Json<Event>> {
    let post = joined(&session, &data, &id, form).await?;
    event_entity(&data, &session, post).await
}

async fn leave(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Event>> {
    let post = left(&session, &data, &id).await?;
    event_entity(&data, &session, post).await
}

/// Rebased answers a refused join or leave ("Can't join your own event",
/// "Not participating in the event", an event that takes no RSVPs) with
/// 400, where kuvend's own API says 422.
fn rebased_error(e: ApiError) -> ApiError {
    if e.status == StatusCode::UNPROCESSABLE_ENTITY {
        ApiError::new(StatusCode::BAD_REQUEST, e.message)
    } else {
        e
    }
}

async fn rebased_join(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<JoinForm>,
) -> ApiResult<Json<Status>> {
    let post = joined(&session, &data, &id, form)
        .await
        .map_err(rebased_error)?;
    event_status(&data, &session, post).await
}

async fn rebased_leave(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    let post = left(&session, &data, &id).await.map_err(rebased_error)?;
    event_status(&data, &session, post).await
}

#[derive(Debug, Default, Deserialize)]
struct JoinedQuery {
    /// Rebased's `pending`, `accept` or `reject`; every state but `left`
    /// when absent.
    state: Option<String>,
}

/// kuvend's states behind one of Rebased's.
fn states_of(state: Option<&str>) -> ApiResult<Vec<ParticipantState>> {
    use ParticipantState::*;
    Ok(match state.filter(|s| !s.is_empty()) {
        None => vec![Going, Maybe, Pending, Waitlisted, Rejected],
        Some("accept") => vec![Going, Maybe],
        Some("pending") => vec![Pending, Waitlisted],
        Some("reject") => vec![Rejected],
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("state {other:?} is not one of pending, accept, reject"),
            ));
        }
    })
}

/// The events the token's account joined, newest join first, as statuses;
/// paged by the participation's id (the `Link` header's `max_id`).
async fn rebased_joined_events(
    data: FedData,
    Auth(session): Auth,
    Query(page): Query<PageQuery>,
    Query(q): Query<JoinedQuery>,
    OriginalUri(uri): OriginalUri,
) -> ApiResult<Response> {
    if session.require(READ).is_err() {
        session.require("read:statuses").map_err(service)?;
    }
    let actor = session.actor()?.clone();
    let states = states_of(q.state.as_deref())?;
    let found = joining::joined_events(&data, &actor, &states, page.page(20, 40)).await?;
    let ids: Vec<i64> = found.iter().map(|(id, _)| *id).collect();
    let items: Vec<Status> = found.iter().map(|(_, s)| Status::new(&data, s)).collect();
    Ok(paged(&uri, &items, &ids))
}
