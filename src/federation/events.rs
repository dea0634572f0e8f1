//! Event rows ↔ `Event` documents.

use super::{
    FederationError,
    notes::local_note_json,
    protocol::{
        event::{
            EventAttachmentJson, EventJson, IncomingEventJson, LinkJson, PlaceJson,
            PostalAddressJson, SourceJson,
        },
        media::DocumentJson,
        note::NoteJson,
    },
    urls::Urls,
};
use crate::model::{
    EventCategory, EventStatus, JoinMode,
    event_bounds::{
        MAX_CAPACITY, MAX_FIELD_CHARS, MAX_NAME_CHARS, MAX_REMOTE_DESCRIPTION_CHARS, MAX_URL_BYTES,
    },
};
use crate::sanitize;
use crate::storage::models::{ActorRow, EventRow, PostRow};
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;
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
    let attendees = Some(urls.participants(&note.id));
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
        attendees,
        is_online: online.is_some(),
        attachment: online
            .into_iter()
            .map(|href| {
                EventAttachmentJson::Link(LinkJson {
                    kind: "Link".into(),
                    name: "Website".into(),
                    href,
                    media_type: "text/html".into(),
                })
            })
            .collect(),
        image: None,
        source: (!event.description.is_empty()).then(|| SourceJson {
            content: event.description.clone(),
            media_type: "text/plain".into(),
        }),
    })
}

/// Puts an event's media on its document: the banner as `image` (an
/// `Image`, what Mobilizon reads) and as the first `Document` attachment
/// with its alt text in `name` (what Mastodon shows), then the other media,
/// then the online link. The note part carries none, so `attachment` is
/// written once.
pub fn add_event_media(
    event: &mut EventJson,
    banner: Option<DocumentJson>,
    others: Vec<DocumentJson>,
) {
    event.post.attachment.clear();
    let links = std::mem::take(&mut event.attachment);
    event.image = banner.clone().map(|mut image| {
        image.kind = "Image".into();
        image
    });
    event.attachment = banner
        .into_iter()
        .chain(others)
        .map(EventAttachmentJson::Document)
        .chain(links)
        .collect();
}

/// The event row of another server's `Event` (its post, `note`, already
/// cleaned), for the post `post_id`. Every text is made plain and bounded,
/// every URL must be http(s), numbers must be in range; what fails is left
/// out. Refused, with the reason: no title, no start, or an end before the
/// start.
pub fn remote_event_row(
    fields: &IncomingEventJson,
    note: &NoteJson,
    post_id: i64,
    now: NaiveDateTime,
) -> Result<EventRow, FederationError> {
    let invalid = |why: &str| FederationError::Invalid(format!("event {}: {why}", note.id));
    let name = fields
        .name
        .as_deref()
        .and_then(|n| plain_bounded(n, MAX_NAME_CHARS))
        .ok_or_else(|| invalid("it has no name"))?;
    let status = remote_status(fields);
    let previous_start = fields.previous_start_date.or(fields.previous_start_time);
    // FEP-8a8e lets a postponed event keep only its previous start.
    let start = fields
        .start_time
        .or(previous_start.filter(|_| status == EventStatus::Postponed))
        .ok_or_else(|| invalid("startTime is missing or not a date-time"))?;
    if fields.end_time.is_some_and(|end| end <= start) {
        return Err(invalid("endTime is not after startTime"));
    }
    // The zone named, if it is one; else the sender's offset, so that the
    // wall time shown is the one the organiser typed.
    let tz = fields
        .timezone
        .as_deref()
        .and_then(|z| z.trim().parse::<Tz>().ok())
        .unwrap_or_else(|| offset_zone(*start.offset()));
    let wall = |t: DateTime<FixedOffset>| {
        t.with_timezone(&tz)
            .naive_local()
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let place = remote_place(&fields.location);
    let online_url = fields
        .attachment
        .iter()
        .flatten()
        .find(|a| {
            a.get("type").and_then(Value::as_str) == Some("Link")
                && a.get("name").and_then(Value::as_str) == Some("Website")
        })
        .and_then(|a| a.get("href").and_then(Value::as_str))
        .and_then(http_url)
        .or(place.online_url);
    let external_url = fields
        .external_participation_url
        .as_deref()
        .and_then(http_url);
    let join_mode = fields
        .join_mode
        .as_deref()
        .and_then(|m| JoinMode::parse(&m.trim().to_ascii_lowercase()))
        // An external join mode without its page would leave people nowhere.
        .filter(|m| *m != JoinMode::External || external_url.is_some())
        .unwrap_or(JoinMode::Free);
    Ok(EventRow {
        post_id,
        name,
        description: remote_description(fields, note),
        starts_at: start.naive_utc(),
        ends_at: fields.end_time.map(|e| e.naive_utc()),
        timezone: tz.name().to_string(),
        start_local: wall(start),
        end_local: fields.end_time.map(wall),
        place_name: place.name,
        street_address: place.street,
        locality: place.locality,
        country: place.country,
        latitude: place.latitude,
        longitude: place.longitude,
        online_url,
        category: fields.category.as_deref().and_then(|c| {
            EventCategory::parse(&c.trim().to_ascii_uppercase()).map(|c| c.as_str().to_string())
        }),
        capacity: fields
            .maximum_attendee_capacity
            .filter(|c| (1..=MAX_CAPACITY).contains(c)),
        join_mode: join_mode.as_str().into(),
        external_url,
        status: status.as_str().into(),
        previous_start: previous_start.map(|t| t.naive_utc()),
        status_reason: None,
        participant_count: fields.participant_count.unwrap_or(0).clamp(0, MAX_CAPACITY),
        updated_at: now,
        sequence: 0,
        // We remind our participants of our own events only.
        reminder_minutes: 0,
        reminder_sent_at: None,
    })
}

/// The description: the `source` when it is plain text (kuvend sends the
/// description so, its `content` leading with the title, date and place),
/// else the text of `content` with its paragraphs and line breaks kept.
fn remote_description(fields: &IncomingEventJson, note: &NoteJson) -> String {
    let text = match &fields.source {
        Some(source) if source.media_type.trim() == "text/plain" => source.content.clone(),
        _ => {
            static BREAKS: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
                regex::Regex::new(r"(?i)<br\s*/?>|</p>|</li>|</h[1-6]>|</blockquote>")
                    .unwrap_or_else(|e| panic!("paragraph breaks: {e}"))
            });
            BREAKS.replace_all(&note.content, "\n").into_owned()
        }
    };
    let text = sanitize::plain(&text);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut joined = lines.join("\n");
    while joined.contains("\n\n\n") {
        joined = joined.replace("\n\n\n", "\n\n");
    }
    joined
        .trim()
        .chars()
        .take(MAX_REMOTE_DESCRIPTION_CHARS)
        .collect()
}

/// `Etc/GMT-2` for +02:00 (the IANA names count the other way); UTC for an
/// offset that is not whole hours or none of those zones.
fn offset_zone(offset: FixedOffset) -> Tz {
    let seconds = offset.local_minus_utc();
    if seconds == 0 || seconds % 3600 != 0 {
        return Tz::UTC;
    }
    format!("Etc/GMT{:+}", -seconds / 3600)
        .parse()
        .unwrap_or(Tz::UTC)
}

/// The status: FEP-8a8e's or schema.org's when given (an `EventTentative`
/// is still scheduled), else
/// Mobilizon's (`CANCELLED`; a `TENTATIVE` event is still scheduled).
fn remote_status(fields: &IncomingEventJson) -> EventStatus {
    let schema = fields.event_status.as_deref().map(|s| {
        s.trim()
            .trim_start_matches("https://schema.org/")
            .trim_start_matches("http://schema.org/")
            .trim_start_matches("https://w3id.org/fep/8a8e/")
            .trim_start_matches("sc:")
            .to_string()
    });
    match schema.as_deref() {
        Some("EventCancelled") => return EventStatus::Cancelled,
        Some("EventPostponed") => return EventStatus::Postponed,
        Some("EventRescheduled") => return EventStatus::Rescheduled,
        Some("EventMovedOnline") => return EventStatus::MovedOnline,
        Some("EventScheduled") => return EventStatus::Scheduled,
        _ => {}
    }
    let mobilizon = fields.status.as_deref().or(fields.ical_status.as_deref());
    if mobilizon.is_some_and(|s| s.trim().eq_ignore_ascii_case("CANCELLED")) {
        EventStatus::Cancelled
    } else {
        EventStatus::Scheduled
    }
}

/// Plain text, trimmed, cut at `max` characters; empty is none.
fn plain_bounded(text: &str, max: usize) -> Option<String> {
    let text = sanitize::plain(text);
    let text = text.trim();
    (!text.is_empty()).then(|| text.chars().take(max).collect())
}

/// An http(s) URL of at most [`MAX_URL_BYTES`].
fn http_url(text: &str) -> Option<String> {
    let text = text.trim();
    (text.len() <= MAX_URL_BYTES)
        .then(|| Url::parse(text).ok())
        .flatten()
        .and_then(|u| sanitize::http_url(&u))
        .map(String::from)
}

/// What is kept of a remote `location`.
#[derive(Default)]
struct RemotePlace {
    name: Option<String>,
    street: Option<String>,
    locality: Option<String>,
    country: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    online_url: Option<String>,
}

/// A `Place` (Mobilizon, FEP-8a8e, Gancio's bare `{name}`), a
/// `VirtualLocation` (FEP-8a8e), or a list of those; the address as a
/// `PostalAddress` or a string; coordinates on the place or in `geo`, as
/// numbers or numeric strings.
fn remote_place(location: &Value) -> RemotePlace {
    let items: Vec<&Value> = match location {
        Value::Array(items) => items.iter().take(8).collect(),
        Value::Object(_) => vec![location],
        _ => Vec::new(),
    };
    let mut place = RemotePlace::default();
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .and_then(|t| plain_bounded(t, MAX_FIELD_CHARS))
    };
    let number = |v: Option<&Value>| match v {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    for item in items {
        if item.get("type").and_then(Value::as_str) == Some("VirtualLocation") {
            place.online_url = place
                .online_url
                .or_else(|| item.get("url").and_then(Value::as_str).and_then(http_url));
            continue;
        }
        if place.name.is_some() || place.street.is_some() {
            continue;
        }
        place.name = text(item.get("name"));
        match item.get("address") {
            Some(Value::String(s)) => place.street = plain_bounded(s, MAX_FIELD_CHARS),
            Some(address @ Value::Object(_)) => {
                place.street = text(address.get("streetAddress"));
                place.locality = text(address.get("addressLocality"));
                place.country = text(address.get("addressCountry"));
            }
            _ => {}
        }
        let geo = item.get("geo");
        let latitude =
            number(item.get("latitude")).or_else(|| number(geo.and_then(|g| g.get("latitude"))));
        let longitude =
            number(item.get("longitude")).or_else(|| number(geo.and_then(|g| g.get("longitude"))));
        if let (Some(lat), Some(lon)) = (latitude, longitude) {
            if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) {
                (place.latitude, place.longitude) = (Some(lat), Some(lon));
            }
        }
    }
    // A place named after its town (kuvend sends the locality as the name
    // when no venue is given) would read "Tirana, Tirana".
    if place.name.is_some() && place.name == place.locality {
        place.name = None;
    }
    place
}

/// What is read of a group to check its members (Mobilizon's `Group`).
#[derive(serde::Deserialize)]
struct GroupJson {
    #[serde(rename = "type")]
    kind: String,
    /// The members collection (Mobilizon's `mz:members`).
    #[serde(default, deserialize_with = "super::protocol::deserialize_first_url")]
    members: Option<Url>,
}

/// Whether the group `group` lists `member` in the first page of its
/// members collection (Mobilizon shows it to those it trusts; an empty or
/// hidden one is a no). The group and the collection must be on the same
/// host; each fetch counts against that host's budget, since any sender
/// can name any group.
pub async fn group_lists_member(
    ctx: &crate::context::Kuvend,
    group: &Url,
    member: &Url,
) -> Result<bool, FederationError> {
    use super::{actors::authority, fetch};
    let doc = fetch::fetch_object::<GroupJson>(ctx, group, fetch::Budget::PerHost).await?;
    let Some(members) = doc
        .object
        .members
        .filter(|m| authority(m) == authority(group))
    else {
        return Ok(false);
    };
    if doc.object.kind != "Group" {
        return Ok(false);
    }
    let collection = fetch::fetch_object::<Value>(ctx, &members, fetch::Budget::PerHost).await?;
    let mut page = collection.object;
    match page.get("first") {
        Some(Value::Object(first)) => page = Value::Object(first.clone()),
        Some(Value::String(first)) => {
            let first = Url::parse(first)
                .ok()
                .filter(|f| authority(f) == authority(group))
                .ok_or_else(|| FederationError::Invalid(format!("{members}: bad first page")))?;
            page = fetch::fetch_object::<Value>(ctx, &first, fetch::Budget::PerHost)
                .await?
                .object;
        }
        _ => {}
    }
    let items = page
        .get("orderedItems")
        .or_else(|| page.get("items"))
        .and_then(Value::as_array);
    // Invited, rejected and not yet approved members do not count.
    let member_role = |item: &Value| {
        item.get("role")
            .and_then(Value::as_str)
            .is_none_or(|r| matches!(r, "member" | "moderator" | "administrator" | "creator"))
    };
    Ok(items
        .into_iter()
        .flatten()
        .filter(|i| member_role(i))
        .any(|item| {
            let actor = match item {
                Value::String(id) => Some(id.as_str()),
                Value::Object(m) => match m.get("actor") {
                    Some(Value::String(id)) => Some(id.as_str()),
                    Some(Value::Object(a)) => a.get("id").and_then(Value::as_str),
                    _ => None,
                },
                _ => None,
            };
            actor == Some(member.as_str())
        }))
}
