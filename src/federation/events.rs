//! Event rows ↔ `Event` documents.

use super::{
    FederationError,
    notes::local_note_json,
    protocol::event::{EventJson, LinkJson, PlaceJson, PostalAddressJson},
    urls::Urls,
};
use crate::model::EventStatus;
use crate::storage::models::{ActorRow, EventRow, PostRow};
use chrono::{DateTime, NaiveDateTime, Utc};
use url::Url;

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

/// schema.org's `eventStatus` for a status (FEP-8a8e sends the full URL).
pub fn schema_status(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Scheduled => "https://schema.org/EventScheduled",
        EventStatus::Cancelled => "https://schema.org/EventCancelled",
        EventStatus::Postponed => "https://schema.org/EventPostponed",
        EventStatus::Rescheduled => "https://schema.org/EventRescheduled",
        EventStatus::MovedOnline => "https://schema.org/EventMovedOnline",
    }
}

/// iCalendar's `STATUS` for a status, which Mobilizon reads: a postponed
/// event has no date it is sure of.
pub fn ical_status(status: EventStatus) -> &'static str {
    match status {
        EventStatus::Cancelled => "CANCELLED",
        EventStatus::Postponed => "TENTATIVE",
        _ => "CONFIRMED",
    }
}

/// The `Event` of a local event post.
pub fn local_event_json(
    post: &PostRow,
    author: &ActorRow,
    tags: &[String],
    mentions: &[ActorRow],
    event: &EventRow,
    urls: &Urls,
) -> Result<EventJson, FederationError> {
    let mut note = local_note_json(post, author, tags, mentions, urls)?;
    // Mastodon shows `summary` as a content warning: the facts are in content.
    note.summary = None;
    note.sensitive = false;
    let status = EventStatus::parse(&event.status).unwrap_or(EventStatus::Scheduled);
    let has_address =
        event.street_address.is_some() || event.locality.is_some() || event.country.is_some();
    let location =
        (event.place_name.is_some() || has_address || event.latitude.is_some()).then(|| {
            PlaceJson {
                kind: "Place".into(),
                name: event
                    .place_name
                    .clone()
                    .or_else(|| event.locality.clone())
                    .unwrap_or_default(),
                address: has_address.then(|| PostalAddressJson {
                    kind: "PostalAddress".into(),
                    street_address: event.street_address.clone(),
                    address_locality: event.locality.clone(),
                    address_country: event.country.clone(),
                }),
                latitude: event.latitude,
                longitude: event.longitude,
            }
        });
    let online = event
        .online_url
        .as_deref()
        .map(|u| Url::parse(u).map_err(|_| FederationError::Invalid(format!("{u} is not a URL"))))
        .transpose()?;
    let external = event
        .external_url
        .as_deref()
        .map(|u| Url::parse(u).map_err(|_| FederationError::Invalid(format!("{u} is not a URL"))))
        .transpose()?;
    Ok(EventJson {
        post: note,
        name: event.name.clone(),
        start_time: utc(event.starts_at),
        end_time: event.ends_at.map(utc),
        timezone: event.timezone.clone(),
        location,
        category: event.category.clone(),
        event_status: schema_status(status).into(),
        previous_start_date: event.previous_start.map(utc),
        ical_status: ical_status(status).into(),
        join_mode: event.join_mode.clone(),
        external_participation_url: external,
        maximum_attendee_capacity: event.capacity,
        remaining_attendee_capacity: event.capacity.map(|c| (c - event.participant_count).max(0)),
        participant_count: event.participant_count,
        is_online: online.is_some(),
        attachment: online
            .into_iter()
            .map(|href| LinkJson {
                kind: "Link".into(),
                name: "Website".into(),
                href,
                media_type: "text/html".into(),
            })
            .collect(),
    })
}
