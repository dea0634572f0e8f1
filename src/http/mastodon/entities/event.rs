//! Events: kuvend's own entity (`/api/v1/kuvend/events`) and the `event`
//! attribute that Rebased (Soapbox's Pleroma fork) puts into a status's
//! `pleroma` object, which pl-api, pl-fe and Soapbox read.

use super::{Status, iso};
use crate::federation::FedData;
use crate::model::ParticipantState;
use crate::service::EventRow;
use crate::service::client::StatusData;
use serde::Serialize;

/// Where an event takes place, as kuvend's API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct EventLocation {
    /// The place's name (a venue, a hall).
    pub name: Option<String>,
    /// Street address.
    pub street: Option<String>,
    /// Town or city.
    pub locality: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
    /// Latitude in degrees, if given.
    pub latitude: Option<f64>,
    /// Longitude in degrees, if given.
    pub longitude: Option<f64>,
}

/// An event, as `/api/v1/kuvend/events` answers.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// The id of the event's post (the same as `status.id`).
    pub id: String,
    /// The title.
    pub name: String,
    /// The description as typed (plain text; `status.content` is the
    /// rendered readable form).
    pub description: String,
    /// When it starts, in UTC (RFC 3339).
    pub start_time: String,
    /// When it ends, in UTC (RFC 3339), if set.
    pub end_time: Option<String>,
    /// The IANA time zone the organiser gave, e.g. `Europe/Tirane`.
    pub timezone: String,
    /// The start as the organiser typed it, a wall time in `timezone`
    /// (`2026-12-10T18:00`).
    pub start_local: String,
    /// The end as typed, a wall time in `timezone`, if set.
    pub end_local: Option<String>,
    /// Where it takes place; null when only online or not given.
    pub location: Option<EventLocation>,
    /// The link to join online, if any.
    pub online_url: Option<String>,
    /// One of FEP-8a8e's categories (e.g. `COMMUNITY`), if given.
    pub category: Option<String>,
    /// How many may take part, if limited.
    pub capacity: Option<i64>,
    /// How many are going: counted here for our events, the organiser's
    /// figure for a remote one.
    pub participants_count: i64,
    /// `free`, `restricted`, `external` or `invite`.
    pub join_mode: String,
    /// Where to register when `join_mode` is `external`.
    pub external_url: Option<String>,
    /// `scheduled`, `cancelled`, `postponed`, `rescheduled` or
    /// `moved-online`.
    pub event_status: String,
    /// The start (UTC, RFC 3339) before a reschedule or postponement.
    pub previous_start_time: Option<String>,
    /// Why it was cancelled or postponed, as the organiser wrote it.
    pub status_reason: Option<String>,
    /// The event's HTML page.
    pub url: String,
    /// `public`, `unlisted` or `followers`.
    pub visibility: String,
    /// ISO 639 language code of the readable form, if given.
    pub language: Option<String>,
    /// The event's post as a Mastodon status, so an app can reuse its
    /// status views (favourites, boosts, replies).
    pub status: Status,
    /// The viewer's own participation: `going`, `maybe`, `pending`
    /// (awaiting the organiser's approval or answer), `waitlisted` or
    /// `rejected`; null when it never joined or left. The embedded
    /// status's `pleroma.event.join_state` says the same in Rebased's
    /// three words.
    pub join_state: Option<String>,
    /// Minutes before the start that participants get a reminder (0:
    /// none). Shown to the organisation only (absent for anyone else).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reminder_minutes: Option<i64>,
}

impl Event {
    /// The event of a status that is one (`None` for other posts).
    pub fn new(data: &FedData, status: &StatusData) -> Option<Event> {
        let event = status.event.as_ref()?;
        let post = &status.post;
        let location = has_place(event).then(|| EventLocation {
            name: event.place_name.clone(),
            street: event.street_address.clone(),
            locality: event.locality.clone(),
            country: event.country.clone(),
            latitude: event.latitude,
            longitude: event.longitude,
        });
        Some(Event {
            id: post.id.to_string(),
            name: event.name.clone(),
            description: event.description.clone(),
            start_time: iso(event.starts_at),
            end_time: event.ends_at.map(iso),
            timezone: event.timezone.clone(),
            start_local: event.start_local.clone(),
            end_local: event.end_local.clone(),
            location,
            online_url: event.online_url.clone(),
            category: event.category.clone(),
            capacity: event.capacity,
            participants_count: event.participant_count,
            join_mode: event.join_mode.clone(),
            external_url: event.external_url.clone(),
            event_status: event.status.clone(),
            previous_start_time: event.previous_start.map(iso),
            status_reason: event.status_reason.clone(),
            url: post.url.clone().unwrap_or_else(|| post.ap_id.clone()),
            visibility: post.visibility().as_str().to_string(),
            language: post.language.clone(),
            status: Status::new(data, status),
            join_state: status.join_state.map(|s| s.as_str().to_string()),
            reminder_minutes: None,
        })
    }

    /// Adds what only the organisation sees, when `viewer` is the event's
    /// author.
    pub fn for_viewer(
        mut self,
        status: &StatusData,
        viewer: Option<&crate::service::ActorRow>,
    ) -> Event {
        if let (Some(event), Some(viewer)) = (&status.event, viewer) {
            if viewer.id == status.post.author_id {
                self.reminder_minutes = Some(event.reminder_minutes);
            }
        }
        self
    }
}

fn has_place(event: &EventRow) -> bool {
    event.place_name.is_some()
        || event.street_address.is_some()
        || event.locality.is_some()
        || event.country.is_some()
        || event.latitude.is_some()
}

/// The Pleroma-family extras of a status: only what kuvend has.
#[derive(Debug, Clone, Serialize)]
pub struct StatusPleroma {
    /// The event, when the status is one (Rebased's shape).
    pub event: Option<PleromaEvent>,
}

/// An event's place as Rebased shows it (`build_event_location` in its
/// `StatusView`): a Place's fields with its PostalAddress's merged in.
#[derive(Debug, Clone, Serialize)]
pub struct PleromaEventLocation {
    /// The place's name.
    pub name: Option<String>,
    /// The place's own URL: kuvend keeps none.
    pub url: Option<String>,
    /// Longitude in degrees.
    pub longitude: Option<f64>,
    /// Latitude in degrees.
    pub latitude: Option<f64>,
    /// Street address.
    pub street: Option<String>,
    /// Postal code: kuvend keeps none.
    pub postal_code: Option<String>,
    /// Town or city.
    pub locality: Option<String>,
    /// Region: kuvend keeps none.
    pub region: Option<String>,
    /// Country code.
    pub country: Option<String>,
}

/// The `pleroma.event` attribute of a status, as Rebased shapes it
/// (`build_event` in its `StatusView`, the `Event` schema of its API spec).
#[derive(Debug, Clone, Serialize)]
pub struct PleromaEvent {
    /// The title.
    pub name: String,
    /// The start, UTC (RFC 3339).
    pub start_time: Option<String>,
    /// The end, UTC (RFC 3339), if set.
    pub end_time: Option<String>,
    /// `free`, `restricted`, `external` or `invite` (pl-api knows all four).
    pub join_mode: Option<String>,
    /// How many take part.
    pub participants_count: Option<i64>,
    /// Where it takes place, if a place was given.
    pub location: Option<PleromaEventLocation>,
    /// The viewer's own participation: `accept` (going or maybe),
    /// `pending` (awaiting approval or on the waiting list), `reject`, or
    /// null (never joined, or left).
    pub join_state: Option<String>,
    /// Pending participation requests, shown to the organiser: null until
    /// RSVPs arrive.
    pub participation_request_count: Option<i64>,
}

/// Rebased's three participation states, from kuvend's finer ones.
pub fn rebased_join_state(state: ParticipantState) -> Option<&'static str> {
    match state {
        ParticipantState::Going | ParticipantState::Maybe => Some("accept"),
        ParticipantState::Pending | ParticipantState::Waitlisted => Some("pending"),
        ParticipantState::Rejected => Some("reject"),
        ParticipantState::NotGoing => None,
    }
}

impl PleromaEvent {
    pub fn new(event: &EventRow, join_state: Option<ParticipantState>) -> PleromaEvent {
        PleromaEvent {
            name: event.name.clone(),
            start_time: Some(iso(event.starts_at)),
            end_time: event.ends_at.map(iso),
            join_mode: Some(event.join_mode.clone()),
            participants_count: Some(event.participant_count),
            location: has_place(event).then(|| PleromaEventLocation {
                name: event.place_name.clone(),
                url: None,
                longitude: event.longitude,
                latitude: event.latitude,
                street: event.street_address.clone(),
                postal_code: None,
                locality: event.locality.clone(),
                region: None,
                country: event.country.clone(),
            }),
            join_state: join_state.and_then(rebased_join_state).map(str::to_string),
            participation_request_count: None,
        }
    }
}
