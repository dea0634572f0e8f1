//! Who takes part in an organisation's events, for its staff (issue 12
//! item 4): kuvend's own routes (`/api/v1/kuvend/events/:id/participants`)
//! and Rebased's (`/api/v1/pleroma/events/:id/participation_requests`...),
//! which pl-api and pl-fe speak. Both call the same service, which refuses
//! anyone but editors and owners of the organising account: the attendee
//! list is never shown to anyone else.

use super::accounts::account_list;
use super::entities::{Account, Status};
use super::events::{READ, WRITE};
use super::{Auth, MaybeAuth, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::model::ParticipantState;
use crate::service::{
    auth::Session,
    client, events,
    participation::{self, Decision, StaffParticipant},
};
use axum::{
    Json, Router,
    extract::{Path, Query},
    http::StatusCode,
    routing::{get, post},
};
use serde::{Deserialize, Serialize};

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/kuvend/events/{id}/participants", get(list))
        .route(
            "/api/v1/kuvend/events/{id}/participants/{account_id}/authorize",
            post(authorize),
        )
        .route(
            "/api/v1/kuvend/events/{id}/participants/{account_id}/reject",
            post(reject),
        )
        .route(
            "/api/v1/pleroma/events/{id}/participations",
            get(rebased_participations),
        )
        .route(
            "/api/v1/pleroma/events/{id}/participation_requests",
            get(rebased_requests),
        )
        .route(
            "/api/v1/pleroma/events/{id}/participation_requests/{account_id}/authorize",
            post(rebased_authorize),
        )
        .route(
            "/api/v1/pleroma/events/{id}/participation_requests/{account_id}/reject",
            post(rebased_reject),
        )
}

/// One participant as staff see them.
#[derive(Debug, Serialize)]
pub struct Participant {
    /// Who answered.
    account: Account,
    /// `going`, `maybe`, `pending` (waiting for approval), `waitlisted`
    /// (approved, no place free yet), `rejected` or `not_going`.
    state: String,
    /// Their note to the organisers, plain text, or null.
    participation_message: Option<String>,
    /// When they last answered or their state last changed (RFC 3339).
    updated_at: String,
}

/// A pending Join as Rebased lists it.
#[derive(Debug, Serialize)]
pub struct ParticipationRequest {
    /// Who asks to take part.
    account: Account,
    /// Their note to the organisers, plain text, or null.
    participation_message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct StateQuery {
    /// Only participants in this state.
    state: Option<String>,
}

async fn staff_list(
    data: &FedData,
    session: &Session,
    id: &str,
    state: Option<ParticipantState>,
) -> ApiResult<Vec<StaffParticipant>> {
    session.require(READ).map_err(service)?;
    let acting = session.acting()?;
    Ok(participation::participants(data, &acting, id, state).await?)
}

async fn list(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Query(query): Query<StateQuery>,
) -> ApiResult<Json<Vec<Participant>>> {
    let state = match query.state.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => Some(ParticipantState::parse(text).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("unknown state {text:?}"),
            )
        })?),
    };
    let rows = staff_list(&data, &session, &id, state).await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        let account = Account::new(&data, &client::account_data(&data, p.actor).await?);
        out.push(Participant {
            account,
            state: p.row.state,
            participation_message: p.row.message,
            updated_at: p
                .row
                .updated_at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        });
    }
    Ok(Json(out))
}

/// Decides, and answers with the participant's entry.
async fn decide(
    data: &FedData,
    session: &Session,
    id: &str,
    account_id: &str,
    decision: Decision,
) -> ApiResult<StaffParticipant> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    // An account id only: a handle or URL here would be a second way in.
    if account_id.parse::<i64>().is_err() {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "Record not found"));
    }
    Ok(participation::decide(data, &acting, id, account_id, decision).await?)
}

async fn answer(
    data: FedData,
    session: Session,
    id: String,
    account_id: String,
    decision: Decision,
) -> ApiResult<Json<Participant>> {
    let p = decide(&data, &session, &id, &account_id, decision).await?;
    Ok(Json(Participant {
        account: Account::new(&data, &client::account_data(&data, p.actor).await?),
        state: p.row.state,
        participation_message: p.row.message,
        updated_at: p
            .row
            .updated_at
            .and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }))
}

async fn authorize(
    data: FedData,
    Auth(s): Auth,
    Path((id, account_id)): Path<(String, String)>,
) -> ApiResult<Json<Participant>> {
    answer(data, s, id, account_id, Decision::Approve).await
}

async fn reject(
    data: FedData,
    Auth(s): Auth,
    Path((id, account_id)): Path<(String, String)>,
) -> ApiResult<Json<Participant>> {
    answer(data, s, id, account_id, Decision::Reject).await
}

/// Rebased lists who is going to any reader; kuvend shows the list to the
/// organisation's staff only, and to every other reader of the event an
/// empty list (what Rebased answers for an event nobody joined), so that
/// pl-fe's event screen still loads.
async fn rebased_participations(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<Account>>> {
    let viewer = super::events::events_reader(session.as_ref());
    events::visible_event(&data, &id, viewer.as_ref()).await?;
    let staff = match (&session, &viewer) {
        (Some(session), Some(_)) => staff_list(&data, session, &id, None).await.ok(),
        _ => None,
    };
    let Some(rows) = staff else {
        return Ok(Json(Vec::new()));
    };
    let going = rows
        .into_iter()
        .filter(|p| p.row.state() == ParticipantState::Going)
        .map(|p| p.actor)
        .collect();
    Ok(Json(account_list(&data, going).await?))
}

/// The pending Joins, to the organisation's staff; 403 to anyone else, as
/// Rebased answers.
async fn rebased_requests(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ParticipationRequest>>> {
    let rows = staff_list(&data, &session, &id, Some(ParticipantState::Pending))
        .await
        .map_err(|e| {
            if e.status == StatusCode::FORBIDDEN {
                ApiError::new(StatusCode::FORBIDDEN, "Can't get participation requests")
            } else {
                e
            }
        })?;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        out.push(ParticipationRequest {
            account: Account::new(&data, &client::account_data(&data, p.actor).await?),
            participation_message: p.row.message,
        });
    }
    Ok(Json(out))
}

/// Rebased answers a decision with the event as a status.
async fn rebased_answer(
    data: FedData,
    session: Session,
    id: String,
    account_id: String,
    decision: Decision,
) -> ApiResult<Json<Status>> {
    decide(&data, &session, &id, &account_id, decision).await?;
    let acting = session.acting()?;
    let status = events::visible_event(&data, &id, Some(&acting.account)).await?;
    Ok(Json(Status::new(&data, &status)))
}

async fn rebased_authorize(
    data: FedData,
    Auth(s): Auth,
    Path((id, account_id)): Path<(String, String)>,
) -> ApiResult<Json<Status>> {
    rebased_answer(data, s, id, account_id, Decision::Approve).await
}

async fn rebased_reject(
    data: FedData,
    Auth(s): Auth,
    Path((id, account_id)): Path<(String, String)>,
) -> ApiResult<Json<Status>> {
    rebased_answer(data, s, id, account_id, Decision::Reject).await
}
