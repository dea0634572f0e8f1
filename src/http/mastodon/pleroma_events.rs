//! Rebased's events API (`/api/v1/pleroma/events/...`, from Soapbox's
//! Pleroma fork), which pl-api, pl-fe and Soapbox speak: the same services
//! as kuvend's own events API, with Rebased's parameters and answers
//! (statuses whose `pleroma.event` holds the event). Differences from
//! Rebased are in docs/events.md: times are instants (RFC 3339) that kuvend
//! turns into wall times of `timezone` (ours; UTC when not given), and a
//! place is given by its fields, as Rebased's `location_id` comes from a
//! geocoding search kuvend does not have.

use super::entities::Status;
use super::events::{EventForm, WRITE, text};
use super::{Auth, Input, MaybeAuth, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::service::events::{self, EventInput};
use axum::{
    Json, Router,
    extract::Path,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Deserialize;
use serde_json::Value;

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/pleroma/events", post(create))
        .route("/api/v1/pleroma/events/{id}", get(show).put(update))
        .route("/api/v1/pleroma/events/{id}/ics", get(ics))
        .route("/api/v1/pleroma/search/location", get(nothing_yet))
}

/// Rebased's parameters, plus kuvend's own event fields (a place by its
/// parts, the zone, an online link...), which Rebased clients do not send.
#[derive(Debug, Default, Deserialize)]
struct RebasedForm {
    /// The description (Rebased calls it the status text).
    #[serde(default, deserialize_with = "text")]
    status: Option<String>,
    /// The start, RFC 3339 (`2026-12-10T17:00:00.000Z`).
    #[serde(default, deserialize_with = "text")]
    start_time: Option<String>,
    /// The end, RFC 3339.
    #[serde(default, deserialize_with = "text")]
    end_time: Option<String>,
    /// An id from Rebased's location search: kuvend has none to resolve.
    #[serde(default, deserialize_with = "text")]
    location_id: Option<String>,
    /// The banner: the id of an upload (`POST /api/v2/media`) of the account's.
    #[serde(default, deserialize_with = "text")]
    banner_id: Option<String>,
    /// The description's format; kuvend's is plain text either way.
    #[serde(default, rename = "content_type")]
    _content_type: Option<Value>,
    #[serde(flatten)]
    fields: EventForm,
}

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message.into())
}

impl RebasedForm {
    /// The service's input. Instants become wall times in the zone given,
    /// else in `current_zone` (the event's, when editing), else UTC.
    /// The banner's media id, if one is given.
    fn banner(&self) -> ApiResult<Option<i64>> {
        match self.banner_id.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(id) => id
                .parse::<i64>()
                .map(Some)
                .map_err(|_| unprocessable(format!("banner_id {id:?} is not a media id"))),
        }
    }

    fn input(self, current_zone: Option<&str>) -> ApiResult<EventInput> {
        if self.location_id.as_deref().is_some_and(|l| !l.is_empty()) {
            return Err(unprocessable(
                "location_id is not supported: this server has no location search; \
                 give place, address, locality, country and latitude/longitude instead",
            ));
        }
        let mut input = self.fields.input()?;
        let zone_name = input
            .timezone
            .clone()
            .or_else(|| current_zone.map(str::to_string))
            .unwrap_or_else(|| "UTC".to_string());
        let tz = events::zone(&zone_name)?;
        if input.timezone.is_none() && current_zone.is_none() {
            input.timezone = Some(zone_name);
        }
        if let Some(start) = self.start_time {
            input.start = Some(events::wall_time_of_instant(&start, tz)?);
        }
        if let Some(end) = self.end_time {
            input.end = Some(if end.trim().is_empty() {
                String::new()
            } else {
                events::wall_time_of_instant(&end, tz)?
            });
        }
        if let Some(status) = self.status {
            input.description = Some(status);
        }
        Ok(input)
    }
}

/// Rebased answers errors of creation with 422 and `{"error": ...}`, as
/// kuvend does; only the message's prefix differs.
async fn create(
    data: FedData,
    Auth(session): Auth,
    Input(form): Input<RebasedForm>,
) -> ApiResult<Json<Status>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let banner = form.banner()?;
    let view = events::create_event_with_banner(&data, &acting, form.input(None)?, banner).await?;
    let status =
        events::visible_event(&data, &view.post.id.to_string(), Some(&acting.account)).await?;
    Ok(Json(Status::new(&data, &status)))
}

/// The event as a status (what `GET /api/v1/statuses/:id` also answers).
async fn show(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Status>> {
    let viewer = super::events::events_reader(session.as_ref());
    let status = events::visible_event(&data, &id, viewer.as_ref()).await?;
    Ok(Json(Status::new(&data, &status)))
}

async fn update(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<RebasedForm>,
) -> ApiResult<Json<Status>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    // The event's own zone reads the instants, unless a new one is given.
    let current = events::visible_event(&data, &id, Some(&acting.account)).await?;
    let zone = current.event.as_ref().map(|e| e.timezone.clone());
    let banner = form.banner()?;
    let input = form.input(zone.as_deref())?;
    let view = events::update_event_with_banner(&data, &acting, &id, input, banner).await?;
    let status =
        events::visible_event(&data, &view.post.id.to_string(), Some(&acting.account)).await?;
    Ok(Json(Status::new(&data, &status)))
}

/// The event as an iCalendar file, to anyone who may see it (Rebased lets
/// a request without a token through too).
async fn ics(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let viewer = super::events::events_reader(session.as_ref());
    let status = events::visible_event(&data, &id, viewer.as_ref()).await?;
    let Some(event) = status.event.as_ref() else {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "Record not found"));
    };
    let body = events::event_ics(event, &status.post, &status.author.actor);
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    Ok(response)
}

/// A list kuvend cannot fill, answered empty so that pl-fe's event screens
/// load: Rebased's location search (a geocoder kuvend does not run). The
/// joined events are in `joining.rs`.
async fn nothing_yet(Auth(_session): Auth) -> Json<Vec<Value>> {
    Json(Vec::new())
}
