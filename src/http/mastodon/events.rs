//! kuvend's events API (`/api/v1/kuvend/events/...`): an organisation's
//! editors and owners create, change, cancel, postpone and delete its
//! events; anyone reads the events they may see. Handlers only check the
//! token's scope and shape the answer: the roles, the time rules and the
//! visibility rule are the services'.

use super::entities::Event;
use super::{Auth, Input, MaybeAuth, service};
use crate::federation::FedData;
use crate::http::error::{ApiError, ApiResult};
use crate::service::{
    ActorRow, ServiceError,
    auth::{self, Session},
    client::{self, StatusData},
    events::{self, EventInput},
};

use axum::{
    Json, Router,
    extract::{Path, Query},
    http::StatusCode,
    routing::{get, post},
};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

pub(super) fn routes() -> Router {
    Router::new()
        .route("/api/v1/kuvend/events", post(create).get(own_events))
        .route(
            "/api/v1/kuvend/events/{id}",
            get(show).put(update).delete(delete),
        )
        .route("/api/v1/kuvend/events/{id}/cancel", post(cancel))
        .route("/api/v1/kuvend/events/{id}/postpone", post(postpone))
        .route("/api/v1/kuvend/events/{id}/move_online", post(move_online))
        .route("/api/v1/kuvend/accounts/{id}/events", get(account_events))
}

/// The scope that reading events through this API needs.
pub(super) const READ: &str = auth::READ_EVENTS;
/// The scope that changing events needs.
pub(super) const WRITE: &str = auth::WRITE_EVENTS;

/// A value sent as a JSON string, number or boolean, or as a form field,
/// kept as text: the services parse it and name what is wrong.
pub(super) fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(Value::Bool(b)) => Some(b.to_string()),
        Some(other) => Some(other.to_string()),
    })
}

/// The fields of an event, named as `EventInput`'s; all optional (a
/// creation checks what it needs).
#[derive(Debug, Default, Deserialize)]
pub(super) struct EventForm {
    #[serde(default, deserialize_with = "text")]
    name: Option<String>,
    #[serde(default, deserialize_with = "text")]
    description: Option<String>,
    #[serde(default, deserialize_with = "text")]
    start: Option<String>,
    #[serde(default, deserialize_with = "text")]
    end: Option<String>,
    #[serde(default, deserialize_with = "text")]
    timezone: Option<String>,
    #[serde(default, deserialize_with = "text")]
    place: Option<String>,
    #[serde(default, deserialize_with = "text")]
    address: Option<String>,
    #[serde(default, deserialize_with = "text")]
    locality: Option<String>,
    #[serde(default, deserialize_with = "text")]
    country: Option<String>,
    /// `LAT,LON`; or `latitude` and `longitude` apart.
    #[serde(default, deserialize_with = "text")]
    geo: Option<String>,
    #[serde(default, deserialize_with = "text")]
    latitude: Option<String>,
    #[serde(default, deserialize_with = "text")]
    longitude: Option<String>,
    #[serde(default, deserialize_with = "text")]
    online_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    capacity: Option<String>,
    #[serde(default, deserialize_with = "text")]
    join_mode: Option<String>,
    #[serde(default, deserialize_with = "text")]
    external_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    category: Option<String>,
    #[serde(default, deserialize_with = "text")]
    visibility: Option<String>,
    #[serde(default, deserialize_with = "text")]
    language: Option<String>,
    /// Minutes before the start that participants are reminded; 0 is none.
    #[serde(default, deserialize_with = "text")]
    reminder_minutes: Option<String>,
    /// kuvend's extension (issue 14): the local coalition the event is
    /// addressed to, its account id, handle or ap id (FEP-1b12 `audience`).
    #[serde(default, deserialize_with = "text")]
    audience: Option<String>,
}

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message.into())
}

impl EventForm {
    /// The service's input; what cannot be parsed here (a capacity that is
    /// not a number, half a coordinate pair) is a 422.
    pub(super) fn input(self) -> ApiResult<EventInput> {
        let geo = match (self.geo, self.latitude, self.longitude) {
            (Some(geo), None, None) => Some(geo),
            (None, Some(lat), Some(lon)) => Some(format!("{lat},{lon}")),
            (None, None, None) => None,
            _ => {
                return Err(unprocessable(
                    "give either geo (LAT,LON) or both latitude and longitude",
                ));
            }
        };
        let capacity = match self.capacity.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(
                c.parse::<i64>()
                    .map_err(|_| unprocessable(format!("capacity {c:?} is not a whole number")))?,
            ),
        };
        let reminder_minutes = match self.reminder_minutes.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(m) => Some(m.parse::<i64>().map_err(|_| {
                unprocessable(format!("reminder_minutes {m:?} is not a whole number"))
            })?),
        };
        Ok(EventInput {
            name: self.name,
            description: self.description,
            start: self.start,
            end: self.end,
            timezone: self.timezone,
            place: self.place,
            address: self.address,
            locality: self.locality,
            country: self.country,
            geo,
            online_url: self.online_url,
            capacity,
            join_mode: self.join_mode,
            external_url: self.external_url,
            category: self.category,
            visibility: self.visibility,
            language: self.language,
            reminder_minutes,
            coalition: self.audience,
        })
    }
}

/// The account whose eyes a read of events uses: the token's account if the
/// token may read events or statuses (an event is a status too, shown by
/// `/api/v1/statuses`; one rule for both APIs), else nobody (public events
/// only).
pub(super) fn events_reader(session: Option<&Session>) -> Option<ActorRow> {
    let session = session?;
    match session.require(READ) {
        Ok(()) => session.actor().ok().cloned(),
        Err(_) => session.reader(),
    }
}

/// A list of events, as entities.
fn entities(
    data: &FedData,
    statuses: &[StatusData],
    viewer: Option<&ActorRow>,
) -> Json<Vec<Event>> {
    Json(
        statuses
            .iter()
            .filter_map(|s| Event::new(data, s).map(|e| e.for_viewer(s, viewer)))
            .collect(),
    )
}

/// An event already known to be one, as its entity.
pub(super) fn entity(data: &FedData, status: &StatusData) -> ApiResult<Event> {
    Event::new(data, status)
        .ok_or_else(|| ApiError::from(ServiceError::NotFound("Record not found".into())))
}

/// An event as the acting account sees it after a change.
async fn shown(data: &FedData, id: i64, actor: &ActorRow) -> ApiResult<Json<Event>> {
    let status = events::visible_event(data, &id.to_string(), Some(actor)).await?;
    Ok(Json(
        entity(data, &status)?.for_viewer(&status, Some(actor)),
    ))
}

async fn create(
    data: FedData,
    Auth(session): Auth,
    Input(form): Input<EventForm>,
) -> ApiResult<Json<Event>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let view = events::create_event(&data, &acting, form.input()?).await?;
    shown(&data, view.post.id, &acting.account).await
}

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    past: Option<String>,
    upcoming: Option<String>,
    limit: Option<i64>,
}

impl ListQuery {
    /// Past events with `past=true` or `upcoming=false`; upcoming otherwise.
    fn past(&self) -> bool {
        super::truthy(&self.past) || matches!(self.upcoming.as_deref(), Some("false" | "0"))
    }

    fn limit(&self) -> i64 {
        self.limit.unwrap_or(20).clamp(1, 40)
    }
}

/// The token's account's events, every visibility.
async fn own_events(
    data: FedData,
    Auth(session): Auth,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<Event>>> {
    session.require(READ).map_err(service)?;
    let account = session.actor()?.clone();
    let statuses =
        events::visible_events(&data, &account, Some(&account), q.past(), q.limit()).await?;
    Ok(entities(&data, &statuses, Some(&account)))
}

/// Any account's events that the reader may see (public ones without a
/// token).
async fn account_events(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Vec<Event>>> {
    let account = client::account_by_id(&data, &id).await?;
    let viewer = events_reader(session.as_ref());
    let statuses =
        events::visible_events(&data, &account.actor, viewer.as_ref(), q.past(), q.limit()).await?;
    Ok(entities(&data, &statuses, viewer.as_ref()))
}

async fn show(
    data: FedData,
    MaybeAuth(session): MaybeAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Event>> {
    let viewer = events_reader(session.as_ref());
    let status = events::visible_event(&data, &id, viewer.as_ref()).await?;
    Ok(Json(
        entity(&data, &status)?.for_viewer(&status, viewer.as_ref()),
    ))
}

async fn update(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<EventForm>,
) -> ApiResult<Json<Event>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let view = events::update_event(&data, &acting, &id, form.input()?).await?;
    shown(&data, view.post.id, &acting.account).await
}

#[derive(Debug, Default, Deserialize)]
struct ReasonForm {
    #[serde(default, deserialize_with = "text")]
    reason: Option<String>,
}

async fn cancel(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<ReasonForm>,
) -> ApiResult<Json<Event>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let view = events::cancel_event(&data, &acting, &id, form.reason).await?;
    shown(&data, view.post.id, &acting.account).await
}

async fn postpone(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<ReasonForm>,
) -> ApiResult<Json<Event>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let view = events::postpone_event(&data, &acting, &id, form.reason).await?;
    shown(&data, view.post.id, &acting.account).await
}

#[derive(Debug, Default, Deserialize)]
struct MoveOnlineForm {
    #[serde(default, deserialize_with = "text")]
    online_url: Option<String>,
    #[serde(default, deserialize_with = "text")]
    reason: Option<String>,
}

async fn move_online(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
    Input(form): Input<MoveOnlineForm>,
) -> ApiResult<Json<Event>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let view = events::move_event_online(&data, &acting, &id, form.online_url, form.reason).await?;
    shown(&data, view.post.id, &acting.account).await
}

/// Deletes an event; the answer is the event as it was, as Mastodon
/// answers a deleted status.
async fn delete(
    data: FedData,
    Auth(session): Auth,
    Path(id): Path<String>,
) -> ApiResult<Json<Event>> {
    session.require(WRITE).map_err(service)?;
    let acting = session.acting()?;
    let before = events::visible_event(&data, &id, Some(&acting.account)).await?;
    let event = entity(&data, &before)?;
    events::delete_event(&data, &acting, &id).await?;
    Ok(Json(event))
}
