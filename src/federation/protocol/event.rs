//! The `Event` object: FEP-8a8e's fields and Mobilizon's, on top of what a
//! Note carries (so Mastodon, which reads `content` and `url`, shows it as a
//! readable status).

use super::note::NoteJson;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

/// The context of an `Event` and the activities carrying it: ActivityStreams
/// plus the terms of schema.org (`sc:`), Mobilizon (`mz:`) and iCalendar
/// (`ical:`) that the event fields use, as Mobilizon declares them.
pub fn event_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        {
            "sc": "http://schema.org#",
            "mz": "https://joinmobilizon.org/ns#",
            "ical": "http://www.w3.org/2002/12/cal/ical#",
            "PostalAddress": "sc:PostalAddress",
            "address": {"@id": "sc:address", "@type": "sc:PostalAddress"},
            "streetAddress": "sc:streetAddress",
            "addressLocality": "sc:addressLocality",
            "addressCountry": "sc:addressCountry",
            "category": "sc:category",
            "eventStatus": {"@id": "sc:eventStatus", "@type": "@id"},
            "previousStartDate": "sc:previousStartDate",
            "maximumAttendeeCapacity": "sc:maximumAttendeeCapacity",
            "remainingAttendeeCapacity": "sc:remainingAttendeeCapacity",
            "timezone": {"@id": "mz:timezone", "@type": "sc:Text"},
            "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
            "externalParticipationUrl": {"@id": "mz:externalParticipationUrl", "@type": "sc:URL"},
            "participantCount": {"@id": "mz:participantCount", "@type": "sc:Number"},
            "isOnline": {"@id": "mz:isOnline", "@type": "sc:Boolean"},
            "attendees": {"@id": "https://w3id.org/fep/8a8e/attendees", "@type": "@id"}
        }
    ])
}

/// An `Event`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventJson {
    /// What every post has (id, `type` = `Event`, author, `content` in the
    /// readable form, `url` = the HTML page, addressing, tags); `summary`
    /// stays empty, since Mastodon shows it as a content warning.
    #[serde(flatten)]
    pub post: NoteJson,
    /// The title.
    pub name: String,
    /// When it starts, in UTC (FEP-8a8e).
    pub start_time: DateTime<Utc>,
    /// When it ends, in UTC, if set (FEP-8a8e).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<DateTime<Utc>>,
    /// The IANA time zone the organiser gave the times in (Mobilizon, FEP-8a8e).
    pub timezone: String,
    /// Where it takes place, if somewhere physical.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<PlaceJson>,
    /// One of FEP-8a8e's categories (`MOVEMENTS_POLITICS`, `LEARNING`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// schema.org's status URL: `https://schema.org/EventScheduled`,
    /// `…EventCancelled`, `…EventPostponed`, `…EventRescheduled`,
    /// `…EventMovedOnline` (FEP-8a8e).
    pub event_status: String,
    /// The previous start of a rescheduled or postponed event, in UTC
    /// (schema.org's `previousStartDate`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_start_date: Option<DateTime<Utc>>,
    /// iCalendar's status, which Mobilizon reads: `CONFIRMED`, `TENTATIVE`
    /// (postponed) or `CANCELLED`.
    #[serde(rename = "ical:status")]
    pub ical_status: String,
    /// How people join (Mobilizon): `free`, `restricted`, `external`, `invite`.
    pub join_mode: String,
    /// Where people register when the join mode is `external` (Mobilizon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_participation_url: Option<Url>,
    /// How many may attend, if limited (schema.org).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum_attendee_capacity: Option<i64>,
    /// How many places are left, if limited (schema.org).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_attendee_capacity: Option<i64>,
    /// How many participate (Mobilizon).
    #[serde(default)]
    pub participant_count: i64,
    /// The participants collection (FEP-8a8e's `attendees`): kuvend's
    /// answers only its `totalItems`, to anyone, never who.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attendees: Option<Url>,
    /// Whether it takes place online (Mobilizon).
    #[serde(default)]
    pub is_online: bool,
    /// The banner first, as a `Document` with its alt text in `name` (what
    /// Mastodon shows), then the online link as a `Link` (Mobilizon sends it so).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment: Vec<EventAttachmentJson>,
    /// The banner as an `Image` (what Mobilizon reads first when no
    /// attachment is named `Banner`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<super::media::DocumentJson>,
    /// The description as the organiser typed it (ActivityPub's `source`),
    /// since `content` also holds the title, date and place: another kuvend
    /// stores this as the description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceJson>,
}

/// ActivityPub's `source`: the text a post or description was written in.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceJson {
    /// The text as written.
    pub content: String,
    /// Its format; kuvend sends and reads `text/plain`.
    pub media_type: String,
}

impl AsRef<NoteJson> for EventJson {
    fn as_ref(&self) -> &NoteJson {
        &self.post
    }
}

/// A post as served in collections: a `Note`, or an `Event` with its fields.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum PostJson {
    Note(Box<NoteJson>),
    Event(Box<EventJson>),
}

impl AsRef<NoteJson> for PostJson {
    fn as_ref(&self) -> &NoteJson {
        match self {
            PostJson::Note(note) => note,
            PostJson::Event(event) => &event.post,
        }
    }
}

/// A `Place` (FEP-8a8e).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceJson {
    /// Always `Place`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The venue's name.
    pub name: String,
    /// Its postal address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<PostalAddressJson>,
    /// Latitude, in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Longitude, in degrees.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// A schema.org `PostalAddress`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostalAddressJson {
    /// Always `PostalAddress`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Street and number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// Town or city.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_locality: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address_country: Option<String>,
}

/// An attachment of an `Event`: media or the online link.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum EventAttachmentJson {
    /// The banner (`Document`).
    Document(super::media::DocumentJson),
    /// The online link.
    Link(LinkJson),
}

/// A `Link` attachment.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkJson {
    /// Always `Link`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What it is (`Website` for the online link, as Mobilizon names it).
    pub name: String,
    /// The URL.
    pub href: Url,
    /// Always `text/html`.
    pub media_type: String,
}

/// The event fields of an incoming `Event`, read leniently: what kuvend,
/// Mobilizon, Gancio and FEP-8a8e senders put beside the post's fields
/// (which are read as a [`NoteJson`]). A field of the wrong shape is read as
/// absent; whether the whole is an event is decided by
/// `federation::events::remote_event_row`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncomingEventJson {
    /// The title.
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub name: Option<String>,
    /// When it starts, with any offset (Mobilizon and Gancio send the
    /// organiser's offset); required.
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub start_time: Option<DateTime<chrono::FixedOffset>>,
    /// When it ends, if given.
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub end_time: Option<DateTime<chrono::FixedOffset>>,
    /// The IANA zone (Mobilizon, kuvend); absent from Gancio.
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub timezone: Option<String>,
    /// A `Place`, a `VirtualLocation` (FEP-8a8e), or a list of them.
    #[serde(default)]
    pub location: Value,
    /// A category; kept when it is one of FEP-8a8e's.
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub category: Option<String>,
    /// schema.org's status, as a URL or a bare name (FEP-8a8e, kuvend).
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub event_status: Option<String>,
    /// Mobilizon's status: `CONFIRMED`, `TENTATIVE` or `CANCELLED`.
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub status: Option<String>,
    /// The same, under its older name.
    #[serde(
        default,
        rename = "ical:status",
        deserialize_with = "super::deserialize_lenient"
    )]
    pub ical_status: Option<String>,
    /// The start before a reschedule (schema.org's name, kuvend).
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub previous_start_date: Option<DateTime<chrono::FixedOffset>>,
    /// The same, as FEP-8a8e names it.
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub previous_start_time: Option<DateTime<chrono::FixedOffset>>,
    /// `free`, `restricted`, `external` or `invite` (Mobilizon).
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub join_mode: Option<String>,
    /// Where people register, for the `external` join mode (Mobilizon).
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub external_participation_url: Option<String>,
    /// How many may attend; Mobilizon sends 0 for no limit.
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub maximum_attendee_capacity: Option<i64>,
    /// How many participate (Mobilizon).
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub participant_count: Option<i64>,
    /// Attachments: the online link is a `Link` named `Website` (Mobilizon).
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub attachment: Option<Vec<Value>>,
    /// The banner, when given as an `Image` (Mobilizon reads it after an
    /// attachment named `Banner`).
    #[serde(default)]
    pub image: Option<Value>,
    /// The event's language (schema.org, Mobilizon).
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub in_language: Option<String>,
    /// The description as written (ActivityPub's `source`; kuvend sends it).
    #[serde(default, deserialize_with = "super::deserialize_lenient")]
    pub source: Option<SourceJson>,
    /// The organiser, when the event is attributed to a group (Mobilizon):
    /// the member who made it, who sends the `Create`.
    #[serde(default, deserialize_with = "super::deserialize_first_url")]
    pub actor: Option<Url>,
}
