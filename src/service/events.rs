//! Events: an organisation's trainings, forums and actions. An event is a
//! post of type `Event` (visibility, replies, likes, boosts, timelines) plus
//! an `events` row. The post's content is the readable form (title, date,
//! time with zone, place, in the event's language, then the description),
//! which is what Mastodon shows.
//!
//! Times are typed as wall time in an IANA zone; they are stored in UTC with
//! the zone and the wall time as typed. A wall time that does not exist
//! (clocks go forward) or happens twice (clocks go back) in the zone is
//! refused: guessing would put people at the door an hour early or late.

use super::acting::Acting;
use super::{
    ServiceError, ServiceResult,
    outbox::{Audience, Outbox},
    posts::{self, PostView, audience, resolve_mentions, validate_language},
    text,
};
use crate::{
    context::Kuvend,
    federation::{
        FedData,
        events::local_event_json,
        outgoing::{self, EventActivity},
        protocol::event::EventJson,
    },
    model::{EventCategory, EventStatus, JoinMode, Role, Visibility},
    sanitize,
    storage::{
        models::{ActorRow, EventRow, PostRow},
        now,
        posts::PostEdit,
    },
    transaction,
};
use chrono::{Datelike, NaiveDateTime, TimeZone, Timelike};
use chrono_tz::Tz;
use url::Url;

pub use crate::model::event_bounds::{
    MAX_CAPACITY, MAX_FIELD_CHARS, MAX_NAME_CHARS, MAX_URL_BYTES,
};

/// What is given to create an event, or (all optional) to change one.
#[derive(Debug, Clone, Default)]
pub struct EventInput {
    pub name: Option<String>,
    pub description: Option<String>,
    /// Wall time, `2026-12-10T18:00`, in `timezone`.
    pub start: Option<String>,
    pub end: Option<String>,
    /// IANA name, e.g. `Europe/Tirane`.
    pub timezone: Option<String>,
    pub place: Option<String>,
    pub address: Option<String>,
    pub locality: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// `LAT,LON` in degrees.
    pub geo: Option<String>,
    pub online_url: Option<String>,
    pub capacity: Option<i64>,
    pub join_mode: Option<String>,
    pub external_url: Option<String>,
    pub category: Option<String>,
    pub visibility: Option<String>,
    pub language: Option<String>,
    /// Minutes before the start that participants are reminded; 0 is no
    /// reminder. [`DEFAULT_REMINDER_MINUTES`] when not given at creation.
    pub reminder_minutes: Option<i64>,
    /// Issue 14: the local coalition the event is addressed to (FEP-1b12
    /// `audience`; its account id, name, handle or ap id), which relays it
    /// to its followers and lists it on its calendar. Given at creation
    /// only: who received the event keeps it.
    pub coalition: Option<String>,
}

/// A day: what most organisers mean by "a reminder".
pub const DEFAULT_REMINDER_MINUTES: i64 = 24 * 60;
/// Thirty days: further ahead a "reminder" is more likely a typo (hours or
/// seconds typed as minutes) than a wish.
pub const MAX_REMINDER_MINUTES: i64 = 30 * 24 * 60;

/// An event post with its event row.
#[derive(Debug, Clone)]
pub struct EventView {
    pub post: PostRow,
    pub event: EventRow,
}

fn unprocessable(text: String) -> ServiceError {
    ServiceError::Unprocessable(text)
}

/// The zone named, or an error naming it.
pub fn zone(name: &str) -> ServiceResult<Tz> {
    name.trim().parse::<Tz>().map_err(|_| {
        unprocessable(format!(
            "unknown time zone {name:?}: give an IANA name such as Europe/Tirane"
        ))
    })
}

/// A wall time as typed: `YYYY-MM-DDTHH:MM`, with optional seconds, `T` or
/// a space between date and time.
pub fn parse_wall_time(text: &str) -> ServiceResult<NaiveDateTime> {
    let text = text.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .ok_or_else(|| {
        unprocessable(format!(
            "{text:?} is not a date and time like 2026-12-10T18:00"
        ))
    })
}

/// The UTC instant of a wall time in `tz`; refused when the time does not
/// exist there or happens twice (a DST change).
pub fn to_utc(tz: Tz, local: NaiveDateTime) -> ServiceResult<NaiveDateTime> {
    let shown = local.format("%Y-%m-%dT%H:%M");
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Ok(t.naive_utc()),
        chrono::LocalResult::Ambiguous(a, b) => Err(unprocessable(format!(
            "{shown} happens twice in {tz} (the clocks go back then: {} and {}); give a time outside that hour",
            a.format("%:z"),
            b.format("%:z")
        ))),
        chrono::LocalResult::None => Err(unprocessable(format!(
            "{shown} does not exist in {tz} (the clocks go forward then); give a time outside that gap"
        ))),
    }
}

/// Text from the caller: plain (no markup), trimmed, bounded; empty is none.
fn plain_field(what: &str, value: Option<&str>, max: usize) -> ServiceResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    let value = sanitize::plain(value).trim().to_string();
    if value.is_empty() {
        return Ok(None);
    }
    let chars = value.chars().count();
    if chars > max {
        return Err(unprocessable(format!(
            "{what} is {chars} characters long; at most {max} are allowed"
        )));
    }
    Ok(Some(value))
}

/// An http(s) URL from the caller, bounded.
fn url_field(what: &str, value: Option<&str>) -> ServiceResult<Option<String>> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.len() > MAX_URL_BYTES {
        return Err(unprocessable(format!(
            "{what} is longer than {MAX_URL_BYTES} bytes"
        )));
    }
    Url::parse(value)
        .ok()
        .and_then(|u| sanitize::http_url(&u))
        .map(|u| Some(u.to_string()))
        .ok_or_else(|| unprocessable(format!("{what} must be an http(s) URL, not {value:?}")))
}

fn parse_geo(text: &str) -> ServiceResult<(f64, f64)> {
    let bad = || {
        unprocessable(format!(
            "{text:?} is not LAT,LON in degrees (e.g. 41.3275,19.8187)"
        ))
    };
    let (lat, lon) = text.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lon: f64 = lon.trim().parse().map_err(|_| bad())?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(bad());
    }
    Ok((lat, lon))
}

/// Applies `input` over `row` (a fresh row when creating), checking every rule.
fn apply(row: &mut EventRow, input: &EventInput) -> ServiceResult<()> {
    if let Some(name) = &input.name {
        row.name = plain_field("the name", Some(name), MAX_NAME_CHARS)?
            .ok_or_else(|| unprocessable("the name must not be empty".into()))?;
    }
    if let Some(description) = &input.description {
        row.description = plain_field("the description", Some(description), posts::MAX_POST_CHARS)?
            .unwrap_or_default();
    }
    if let Some(tz) = &input.timezone {
        row.timezone = zone(tz)?.name().to_string();
    }
    let tz = zone(&row.timezone)?;
    // The wall times stay what was typed; a new zone moves the instants.
    if let Some(start) = &input.start {
        row.start_local = parse_wall_time(start)?.format("%Y-%m-%dT%H:%M").to_string();
    }
    if let Some(end) = &input.end {
        row.end_local = match end.trim() {
            "" => None,
            end => Some(parse_wall_time(end)?.format("%Y-%m-%dT%H:%M").to_string()),
        };
    }
    row.starts_at = to_utc(tz, parse_wall_time(&row.start_local)?)?;
    row.ends_at = match &row.end_local {
        Some(end) => Some(to_utc(tz, parse_wall_time(end)?)?),
        None => None,
    };
    if let Some(ends_at) = row.ends_at {
        if ends_at <= row.starts_at {
            return Err(unprocessable(format!(
                "the end ({}) is not after the start ({}) in {}",
                row.end_local.as_deref().unwrap_or_default(),
                row.start_local,
                row.timezone
            )));
        }
    }
    if input.place.is_some() {
        row.place_name = plain_field("the place", input.place.as_deref(), MAX_FIELD_CHARS)?;
    }
    if input.address.is_some() {
        row.street_address = plain_field("the address", input.address.as_deref(), MAX_FIELD_CHARS)?;
    }
    if input.locality.is_some() {
        row.locality = plain_field("the locality", input.locality.as_deref(), MAX_FIELD_CHARS)?;
    }
    if let Some(country) = &input.country {
        let country = country.trim().to_ascii_uppercase();
        row.country = if country.is_empty() {
            None
        } else if country.len() == 2 && country.chars().all(|c| c.is_ascii_alphabetic()) {
            Some(country)
        } else {
            return Err(unprocessable(format!(
                "{country:?} is not a two-letter country code like AL"
            )));
        };
    }
    if let Some(geo) = &input.geo {
        (row.latitude, row.longitude) = match geo.trim() {
            "" => (None, None),
            geo => {
                let (lat, lon) = parse_geo(geo)?;
                (Some(lat), Some(lon))
            }
        };
    }
    if input.online_url.is_some() {
        row.online_url = url_field("the online URL", input.online_url.as_deref())?;
    }
    if let Some(capacity) = input.capacity {
        if !(0..=MAX_CAPACITY).contains(&capacity) {
            return Err(unprocessable(format!(
                "the capacity must be between 0 and {MAX_CAPACITY}, not {capacity}"
            )));
        }
        row.capacity = Some(capacity);
    }
    if let Some(minutes) = input.reminder_minutes {
        if !(0..=MAX_REMINDER_MINUTES).contains(&minutes) {
            return Err(unprocessable(format!(
                "the reminder must be between 0 (none) and {MAX_REMINDER_MINUTES} minutes (30 days) before the start, not {minutes}"
            )));
        }
        row.reminder_minutes = minutes;
    }
    if let Some(mode) = &input.join_mode {
        row.join_mode = JoinMode::parse(mode.trim())
            .ok_or_else(|| {
                unprocessable(format!(
                    "{mode:?} is not a join mode: free, restricted, external or invite"
                ))
            })?
            .as_str()
            .into();
    }
    if input.external_url.is_some() {
        row.external_url = url_field("the external URL", input.external_url.as_deref())?;
    }
    if row.join_mode == JoinMode::External.as_str() && row.external_url.is_none() {
        return Err(unprocessable(
            "the external join mode needs --external-url, where people register".into(),
        ));
    }
    if let Some(category) = &input.category {
        let wanted = category.trim().to_ascii_uppercase().replace('-', "_");
        row.category = match wanted.as_str() {
            "" => None,
            wanted => Some(
                EventCategory::parse(wanted)
                    .ok_or_else(|| {
                        unprocessable(format!(
                            "{category:?} is not one of FEP-8a8e's categories (e.g. MOVEMENTS_POLITICS, LEARNING, COMMUNITY, MEETING)"
                        ))
                    })?
                    .as_str()
                    .into(),
            ),
        };
    }
    Ok(())
}

fn event_visibility(text: Option<&str>) -> ServiceResult<Visibility> {
    match text.map(str::trim) {
        None => Ok(Visibility::Public),
        Some(v) => match Visibility::parse(v) {
            Some(v @ (Visibility::Public | Visibility::Unlisted | Visibility::Followers)) => Ok(v),
            _ => Err(unprocessable(format!(
                "{v:?} is not an event visibility: public, unlisted or followers"
            ))),
        },
    }
}

const EN_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const EN_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const SQ_DAYS: [&str; 7] = [
    "e hënë",
    "e martë",
    "e mërkurë",
    "e enjte",
    "e premte",
    "e shtunë",
    "e diel",
];
const SQ_MONTHS: [&str; 12] = [
    "janar", "shkurt", "mars", "prill", "maj", "qershor", "korrik", "gusht", "shtator", "tetor",
    "nëntor", "dhjetor",
];

/// The words of the readable form in one language.
struct Words {
    days: &'static [&'static str; 7],
    months: &'static [&'static str; 12],
    place: &'static str,
    online: &'static str,
    register: &'static str,
    cancelled: &'static str,
    postponed: &'static str,
    rescheduled: &'static str,
    moved_online: &'static str,
}

/// English, Albanian; any other language falls back to English.
fn words(language: Option<&str>) -> Words {
    let albanian = super::phrases::is_albanian(language);
    if albanian {
        Words {
            days: &SQ_DAYS,
            months: &SQ_MONTHS,
            place: "Vendi",
            online: "Në internet",
            register: "Regjistrimi",
            cancelled: "ANULUAR",
            postponed: "SHTYRË",
            rescheduled: "DATË E RE",
            moved_online: "KALOI NË INTERNET",
        }
    } else {
        Words {
            days: &EN_DAYS,
            months: &EN_MONTHS,
            place: "Place",
            online: "Online",
            register: "Registration",
            cancelled: "CANCELLED",
            postponed: "POSTPONED",
            rescheduled: "RESCHEDULED",
            moved_online: "MOVED ONLINE",
        }
    }
}

fn day_text(w: &Words, t: NaiveDateTime, albanian: bool) -> String {
    let day = w.days[t.weekday().num_days_from_monday() as usize];
    let month = w.months[t.month0() as usize];
    if albanian {
        // Albanian writes the weekday in lower case unless it starts the line.
        let mut chars = day.chars();
        let day: String = chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        format!("{day}, {} {month} {}", t.day(), t.year())
    } else {
        format!("{day}, {} {month} {}", t.day(), t.year())
    }
}

fn clock(t: NaiveDateTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// The readable form, as plain text: title, status, date and time with zone,
/// place, online link, then the description. Rendered like a post.
pub fn readable_text(event: &EventRow, language: Option<&str>) -> String {
    let w = words(language);
    let albanian = super::phrases::is_albanian(language);
    let mut lines = vec![event.name.clone()];
    let status = EventStatus::parse(&event.status).unwrap_or(EventStatus::Scheduled);
    let status_word = match status {
        EventStatus::Scheduled => None,
        EventStatus::Cancelled => Some(w.cancelled),
        EventStatus::Postponed => Some(w.postponed),
        EventStatus::Rescheduled => Some(w.rescheduled),
        EventStatus::MovedOnline => Some(w.moved_online),
    };
    if let Some(word) = status_word {
        lines.push(match &event.status_reason {
            Some(reason) => format!("{word}: {reason}"),
            None => word.to_string(),
        });
    }
    let start = parse_wall_time(&event.start_local).unwrap_or(event.starts_at);
    let end = event
        .end_local
        .as_deref()
        .and_then(|e| parse_wall_time(e).ok());
    let when = match end {
        Some(end) if end.date() == start.date() => format!(
            "{}, {}–{} ({})",
            day_text(&w, start, albanian),
            clock(start),
            clock(end),
            event.timezone
        ),
        Some(end) => format!(
            "{}, {} – {}, {} ({})",
            day_text(&w, start, albanian),
            clock(start),
            day_text(&w, end, albanian),
            clock(end),
            event.timezone
        ),
        None => format!(
            "{}, {} ({})",
            day_text(&w, start, albanian),
            clock(start),
            event.timezone
        ),
    };
    lines.push(when);
    let place = place_lines(event);
    if !place.is_empty() {
        lines.push(format!("{}: {}", w.place, place.join(", ")));
    }
    if let Some(online) = &event.online_url {
        lines.push(format!("{}: {online}", w.online));
    }
    if let Some(external) = &event.external_url {
        lines.push(format!("{}: {external}", w.register));
    }
    let mut text = lines.join("\n");
    if !event.description.is_empty() {
        text.push_str("\n\n");
        text.push_str(&event.description);
    }
    text
}

/// Renders the readable form: the post's content, hashtags and mentions.
async fn render(
    data: &FedData,
    event: &EventRow,
    language: Option<&str>,
    author: &ActorRow,
) -> ServiceResult<(String, Vec<String>, Vec<ActorRow>)> {
    let mut readable = readable_text(event, language);
    // Mastodon users answer by replying with a mention (issue 12 item 2).
    let handle = format!("@{}@{}", author.username, data.settings.instance.domain);
    if let Some(line) = invitation_line(event, language, &handle) {
        readable.push_str("\n\n");
        readable.push_str(&line);
    }
    let (tags, mentions, targets) = resolve_mentions(data, &readable, author).await?;
    let urls = &data.urls;
    let content = text::render(&readable, &targets, |tag| urls.tag(tag).to_string());
    Ok((content, tags, mentions))
}

/// Creates an event as the acting account (editors and owners may): the
/// post, its event row, `Create{Event}` and its deliveries in one transaction.
pub async fn create_event(
    data: &FedData,
    acting: &Acting,
    input: EventInput,
) -> ServiceResult<EventView> {
    create_event_with_banner(data, acting, input, None).await
}

/// As [`create_event`], with a banner: an upload of the account's,
/// processed and unattached (issue 16). It is federated as the Event's
/// `image` and as its first `Document` attachment, with its alt text.
pub async fn create_event_with_banner(
    data: &FedData,
    acting: &Acting,
    input: EventInput,
    banner: Option<i64>,
) -> ServiceResult<EventView> {
    let org = acting.require(Role::Editor)?.clone();
    let banner_row = match banner {
        Some(id) => super::attachments::checked_media(data, org.id, &[id], None)
            .await?
            .pop(),
        None => None,
    };
    let (Some(_), Some(_), Some(_)) = (&input.name, &input.start, &input.timezone) else {
        return Err(unprocessable(
            "an event needs a name, a start and a time zone".into(),
        ));
    };
    let visibility = event_visibility(input.visibility.as_deref())?;
    let language =
        match &input.language {
            Some(l) => Some(sanitize::language_tag(l.trim()).ok_or_else(|| {
                unprocessable(format!("{l:?} is not a language code like en or sq"))
            })?),
            None => None,
        };
    validate_language(&language)?;
    let coalition = match &input.coalition {
        Some(reference) => {
            Some(posts::addressed_coalition(data, &org, reference, visibility).await?)
        }
        None => None,
    };
    let now = now();
    let mut event = EventRow {
        // Set from the post's id once the post is made.
        post_id: 0,
        name: String::new(),
        description: String::new(),
        starts_at: now,
        ends_at: None,
        timezone: "UTC".into(),
        start_local: String::new(),
        end_local: None,
        place_name: None,
        street_address: None,
        locality: None,
        country: None,
        latitude: None,
        longitude: None,
        online_url: None,
        category: None,
        capacity: None,
        join_mode: JoinMode::Free.as_str().into(),
        external_url: None,
        status: EventStatus::Scheduled.as_str().into(),
        previous_start: None,
        status_reason: None,
        participant_count: 0,
        updated_at: now,
        sequence: 0,
        reminder_minutes: DEFAULT_REMINDER_MINUTES,
        reminder_sent_at: None,
    };
    apply(&mut event, &input)?;
    let (content, tags, mentions) = render(data, &event, language.as_deref(), &org).await?;
    let urls = &data.urls;
    let mut post = posts::new_local_post(
        urls,
        acting,
        posts::LocalPost {
            ap_type: "Event",
            visibility,
            content,
            source: event.description.clone(),
            summary: None,
            language,
            parent: None,
            mentions: &mentions,
        },
    )?;
    if let Some(coalition) = &coalition {
        posts::address_coalition(&mut post, coalition)?;
    }
    event.post_id = post.id;
    let mut json = local_event_json(&post, &org, &tags, &mentions, &event, urls)?;
    let banner_document = banner_row
        .as_ref()
        .and_then(|row| super::attachments::document_of(data, row));
    crate::federation::events::add_event_media(&mut json, banner_document, Vec::new());
    let create = outgoing::event_activity(urls, EventActivity::Create, &org, json)?;
    let mut outbox = Outbox::default();
    transaction!(data.db, ServiceError, |q| {
        posts::insert_local_post(&mut q, &post, &tags, &mentions).await?;
        q.insert_event(&event).await?;
        if let Some(row) = &banner_row {
            let rows = std::slice::from_ref(row);
            super::attachments::attach(&mut q, org.id, post.id, rows).await?;
            q.set_event_banner(post.id, Some(row.id)).await?;
        }
        outbox
            .queue(
                &mut q,
                &org,
                &create,
                &audience(visibility, &org, &mentions),
            )
            .await?;
        // Issue 14: a member's public event to a local coalition (addressed
        // or mentioned), or with its campaign tag, is relayed as a post is.
        let addressed = coalition.as_ref();
        super::relay::relay_local(&mut q, &mut outbox, &org, &create, &mentions, addressed).await
    })?;
    outbox.committed(data);
    Ok(EventView { post, event })
}

/// A local event of the acting account.
async fn own_event(
    ctx: &Kuvend,
    acting: &Acting,
    reference: &str,
) -> ServiceResult<(EventView, ActorRow)> {
    let (post, author) = posts::own_post(ctx, acting, reference).await?;
    let event = event_of(ctx, &post).await?;
    Ok((EventView { post, event }, author))
}

async fn event_of(ctx: &Kuvend, post: &PostRow) -> ServiceResult<EventRow> {
    let not_event = || ServiceError::NotFound(format!("{} is not an event", post.ap_id));
    if post.ap_type != "Event" {
        return Err(not_event());
    }
    let mut conn = ctx.db.conn().await?;
    conn.q().event_by_post(post.id).await?.ok_or_else(not_event)
}

/// A local event by number, id URL or page URL.
pub async fn find_event(ctx: &Kuvend, reference: &str) -> ServiceResult<(EventView, ActorRow)> {
    let (post, author) = posts::find_stored_post(ctx, reference)
        .await?
        .filter(|(p, _)| p.local)
        .ok_or_else(|| {
            ServiceError::NotFound(format!("no event {reference:?} on this instance"))
        })?;
    let event = event_of(ctx, &post).await?;
    Ok((EventView { post, event }, author))
}

/// What a change does to the status beside its fields.
enum Change {
    Fields,
    Cancel(Option<String>),
    Postpone(Option<String>),
    MoveOnline(Option<String>),
}

/// Changes an event's fields (a new start reschedules it, keeping the
/// previous start) and sends `Update{Event}`.
pub async fn update_event(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    input: EventInput,
) -> ServiceResult<EventView> {
    change(data, acting, reference, input, Change::Fields, None).await
}

/// As [`update_event`], with a new banner: an upload of the account's,
/// processed and unattached (issue 16), which replaces the one it had.
pub async fn update_event_with_banner(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    input: EventInput,
    banner: Option<i64>,
) -> ServiceResult<EventView> {
    change(data, acting, reference, input, Change::Fields, banner).await
}

/// Cancels an event: it stays, and an `Update` whose status is cancelled
/// tells everyone who received it.
pub async fn cancel_event(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    reason: Option<String>,
) -> ServiceResult<EventView> {
    change(
        data,
        acting,
        reference,
        EventInput::default(),
        Change::Cancel(reason),
        None,
    )
    .await
}

/// Postpones an event to a date not yet known: an `Update` whose status is
/// postponed, keeping the previous start.
pub async fn postpone_event(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    reason: Option<String>,
) -> ServiceResult<EventView> {
    change(
        data,
        acting,
        reference,
        EventInput::default(),
        Change::Postpone(reason),
        None,
    )
    .await
}

/// Moves an event online: its online link is set (given here, or the one
/// it has), and an `Update` whose status is moved-online tells everyone who
/// received it. The place stays on record, shown as no longer used.
pub async fn move_event_online(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    online_url: Option<String>,
    reason: Option<String>,
) -> ServiceResult<EventView> {
    let input = EventInput {
        online_url,
        ..EventInput::default()
    };
    change(
        data,
        acting,
        reference,
        input,
        Change::MoveOnline(reason),
        None,
    )
    .await
}

async fn change(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    input: EventInput,
    what: Change,
    banner: Option<i64>,
) -> ServiceResult<EventView> {
    let (view, author) = own_event(data, acting, reference).await?;
    let banner_row = match banner {
        Some(id) => super::attachments::checked_media(data, author.id, &[id], Some(view.post.id))
            .await?
            .pop(),
        None => None,
    };
    if let Some(v) = &input.visibility {
        if event_visibility(Some(v))? != view.post.visibility() {
            return Err(unprocessable(
                "the visibility of an event cannot change: who received it keeps it".into(),
            ));
        }
    }
    // Given again unchanged (clients that send every field) is no change.
    if input.language.is_some() && input.language != view.post.language {
        return Err(unprocessable(
            "the language of an event cannot change".into(),
        ));
    }
    if let Some(reference) = &input.coalition {
        let same = match &view.post.audience {
            Some(current) => {
                reference.trim() == current
                    || super::coalitions::audience_for(data, &author, reference)
                        .await
                        .is_ok_and(|c| &c.ap_id == current)
            }
            None => false,
        };
        if !same {
            return Err(unprocessable(
                "the coalition of an event cannot change: who received it keeps it".into(),
            ));
        }
    }
    let before = view.event.clone();
    let mut event = view.event.clone();
    apply(&mut event, &input)?;
    let now = now();
    match what {
        Change::Fields => {
            if event.starts_at != before.starts_at {
                event.previous_start = Some(before.starts_at);
                let status = EventStatus::parse(&event.status);
                if matches!(
                    status,
                    Some(EventStatus::Scheduled | EventStatus::Postponed)
                ) {
                    event.status = EventStatus::Rescheduled.as_str().into();
                    event.status_reason = None;
                }
            }
        }
        Change::Cancel(reason) => {
            event.status = EventStatus::Cancelled.as_str().into();
            event.status_reason = plain_field("the reason", reason.as_deref(), MAX_FIELD_CHARS)?;
        }
        Change::Postpone(reason) => {
            event.status = EventStatus::Postponed.as_str().into();
            event.previous_start = Some(before.starts_at);
            event.status_reason = plain_field("the reason", reason.as_deref(), MAX_FIELD_CHARS)?;
        }
        Change::MoveOnline(reason) => {
            if event.online_url.is_none() {
                return Err(unprocessable(
                    "moving an event online needs its online URL".into(),
                ));
            }
            event.status = EventStatus::MovedOnline.as_str().into();
            event.status_reason = plain_field("the reason", reason.as_deref(), MAX_FIELD_CHARS)?;
        }
    }
    event.updated_at = now;
    // Calendars that subscribed replace their copy only when it grows.
    event.sequence = before.sequence + 1;
    let rearm = rearms_reminder(&before, &event, now);
    if rearm {
        event.reminder_sent_at = None;
    }
    let (content, tags, mut mentions) =
        render(data, &event, view.post.language.as_deref(), &author).await?;
    {
        // Whoever the event first addressed keeps receiving it.
        let mut conn = data.db.conn().await?;
        for earlier in conn.q().post_mentions(view.post.id).await? {
            if !mentions.iter().any(|m| m.id == earlier.id) {
                mentions.push(earlier);
            }
        }
    }
    let edit = PostEdit {
        content: content.clone(),
        source: Some(event.description.clone()),
        summary: None,
        sensitive: false,
        edited_at: now,
    };
    let mut post = view.post.clone();
    post.content = content;
    post.source = edit.source.clone();
    post.edited_at = Some(now);
    let mut json = local_event_json(&post, &author, &tags, &mentions, &event, &data.urls)?;
    let (banner_document, others) = match &banner_row {
        Some(row) => (super::attachments::document_of(data, row), Vec::new()),
        None => {
            let mut conn = data.db.conn().await?;
            super::attachments::event_media(data, &mut conn.q(), post.id).await?
        }
    };
    crate::federation::events::add_event_media(&mut json, banner_document, others);
    let update = outgoing::event_activity(&data.urls, EventActivity::Update, &author, json)?;
    let mut outbox = Outbox::default();
    transaction!(data.db, ServiceError, |q| {
        q.edit_post(post.id, &edit, &tags).await?;
        q.update_event(&event).await?;
        if let Some(row) = &banner_row {
            q.detach_media(post.id).await?;
            let rows = std::slice::from_ref(row);
            super::attachments::attach(&mut q, author.id, post.id, rows).await?;
            q.set_event_banner(post.id, Some(row.id)).await?;
        }
        if rearm {
            q.rearm_reminder(post.id).await?;
        }
        // Participants hear of the change even if they do not follow.
        let mut to = audience(post.visibility(), &author, &mentions);
        to.push(Audience::ParticipantsOf(post.id));
        outbox.queue(&mut q, &author, &update, &to).await?;
        // Issue 14: a coalition's relay of it follows (postponed and
        // cancelled events are `Update`s too).
        let later = super::relay::Later::Update;
        super::relay::relay_later(
            &mut q,
            &mut outbox,
            &post.ap_id,
            &author,
            &update.body,
            later,
        )
        .await
    })?;
    outbox.committed(data);
    Ok(EventView { post, event })
}

/// Deletes an event: its post answers 410 and `Delete` goes to everyone who
/// received it.
pub async fn delete_event(
    ctx: &Kuvend,
    acting: &Acting,
    reference: &str,
) -> ServiceResult<PostRow> {
    let (view, author) = own_event(ctx, acting, reference).await?;
    let post = view.post;
    let mentions = {
        let mut conn = ctx.db.conn().await?;
        conn.q().post_mentions(post.id).await?
    };
    let delete = outgoing::delete_note(&ctx.urls, &post, &author)
        .map_err(|e| ServiceError::Internal(e.into()))?;
    let mut outbox = Outbox::default();
    transaction!(ctx.db, ServiceError, |q| {
        // Participants are read before the post is gone, in the same
        // transaction, and hear of the deletion even if they do not follow.
        let mut to = audience(post.visibility(), &author, &mentions);
        to.push(Audience::ParticipantsOf(post.id));
        outbox.queue(&mut q, &author, &delete, &to).await?;
        q.mark_post_deleted(post.id).await?;
        // Issue 14: a coalition's relay of it is withdrawn.
        let later = super::relay::Later::Delete;
        super::relay::relay_later(
            &mut q,
            &mut outbox,
            &post.ap_id,
            &author,
            &delete.body,
            later,
        )
        .await
    })?;
    outbox.committed(ctx);
    Ok(post)
}

/// An account's events: upcoming soonest first, or past latest first.
pub async fn list_events(
    ctx: &Kuvend,
    account: &ActorRow,
    past: bool,
    limit: i64,
) -> ServiceResult<Vec<EventView>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .events_of(account.id, None, None, now(), past, limit)
        .await?
        .into_iter()
        .map(|(post, event)| EventView { post, event })
        .collect())
}

/// The `Event` document of a post view that is an event.
pub async fn event_document(ctx: &Kuvend, view: &PostView) -> ServiceResult<EventJson> {
    let event = event_of(ctx, &view.post).await?;
    let mut json = local_event_json(
        &view.post,
        &view.author,
        &view.tags,
        &view.mentions,
        &event,
        &ctx.urls,
    )?;
    let mut conn = ctx.db.conn().await?;
    let (banner, others) =
        super::attachments::event_media(ctx, &mut conn.q(), view.post.id).await?;
    crate::federation::events::add_event_media(&mut json, banner, others);
    Ok(json)
}

/// How an event's time reads on its page.
#[derive(Debug, Clone)]
pub struct EventWhen {
    /// Date and time as the organiser typed them, in the event's zone, e.g.
    /// `Thursday, 10 December 2026, 18:00–20:00`.
    pub local: String,
    /// The IANA zone, e.g. `Europe/Tirane`.
    pub zone: String,
    /// The zone's offset at the start, e.g. `UTC+01:00`; both offsets when
    /// the end falls on the other side of a DST change.
    pub offset: String,
    /// The start as an RFC 3339 UTC instant, for `<time datetime>`: what the
    /// reader's browser turns into its own local time.
    pub start_utc: String,
    pub end_utc: Option<String>,
}

/// A wall time `local` (as stored, `2026-12-10T18:00`) written out in
/// English: `Thursday, 10 December 2026, 18:00`.
fn english_wall(local: NaiveDateTime) -> String {
    format!("{}, {}", day_text(&words(None), local, false), clock(local))
}

fn utc_text(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn offset_text(tz: Tz, utc: NaiveDateTime) -> String {
    format!("UTC{}", tz.from_utc_datetime(&utc).format("%:z"))
}

/// The page's form of an event's time. The wall times come from the row as
/// typed; the offset from the zone at the stored instant.
pub fn when(event: &EventRow) -> EventWhen {
    let start = parse_wall_time(&event.start_local).unwrap_or(event.starts_at);
    let end = event
        .end_local
        .as_deref()
        .and_then(|e| parse_wall_time(e).ok());
    let local = match end {
        Some(end) if end.date() == start.date() => {
            format!("{}–{}", english_wall(start), clock(end))
        }
        Some(end) => format!("{} – {}", english_wall(start), english_wall(end)),
        None => english_wall(start),
    };
    let (zone_name, offset) = match zone(&event.timezone) {
        Ok(tz) => {
            let at_start = offset_text(tz, event.starts_at);
            let offset = match event.ends_at.map(|e| offset_text(tz, e)) {
                Some(at_end) if at_end != at_start => format!("{at_start} → {at_end}"),
                _ => at_start,
            };
            (tz.name().to_string(), offset)
        }
        // A stored zone is always known; if not, say UTC rather than fail.
        Err(_) => (event.timezone.clone(), "UTC+00:00".into()),
    };
    EventWhen {
        local,
        zone: zone_name,
        offset,
        start_utc: utc_text(event.starts_at),
        end_utc: event.ends_at.map(utc_text),
    }
}

/// A UTC instant written out in the event's zone (a previous start, say).
pub fn wall_text(event: &EventRow, utc: NaiveDateTime) -> String {
    match zone(&event.timezone) {
        Ok(tz) => english_wall(tz.from_utc_datetime(&utc).naive_local()),
        Err(_) => english_wall(utc),
    }
}

/// An OpenStreetMap link for the place: a marker at the coordinates when
/// there are some, else a search for the address; none without either.
/// A link, not an embedded map: no third-party script or tile requests on
/// our pages.
pub fn map_url(event: &EventRow) -> Option<String> {
    if let (Some(lat), Some(lon)) = (event.latitude, event.longitude) {
        return Some(format!(
            "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"
        ));
    }
    let address: Vec<&str> = [
        event.street_address.as_deref(),
        event.locality.as_deref(),
        event.country.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let query = if address.is_empty() {
        event.place_name.clone()?
    } else {
        address.join(", ")
    };
    Url::parse_with_params("https://www.openstreetmap.org/search", [("query", query)])
        .ok()
        .map(String::from)
}

/// What an event's page shows: the post, its author, the event row and the
/// description rendered like a post (links, hashtags, mentions).
#[derive(Debug, Clone)]
pub struct EventPage {
    pub post: PostRow,
    pub author: ActorRow,
    pub event: EventRow,
    /// Built from the escaped plain text by `text::render`; safe to embed.
    pub description_html: String,
}

/// The page of a post view that is an event. Mentions link to the accounts
/// stored with the post (no lookups while a page is served); others stay
/// plain text, as unresolved mentions do in posts.
pub async fn event_page(ctx: &Kuvend, view: PostView) -> ServiceResult<EventPage> {
    let event = event_of(ctx, &view.post).await?;
    let our_domain = ctx.settings.instance.domain.to_lowercase();
    let (_, refs) = text::scan(&event.description);
    let targets: Vec<text::MentionTarget> = refs
        .into_iter()
        .filter_map(|mention| {
            let actor = view.mentions.iter().find(|a| {
                a.username.eq_ignore_ascii_case(&mention.username)
                    && match &mention.domain {
                        None => a.local,
                        Some(d) => {
                            a.domain.eq_ignore_ascii_case(d) || (a.local && *d == our_domain)
                        }
                    }
            })?;
            Some(text::MentionTarget {
                href: actor
                    .profile_url
                    .clone()
                    .unwrap_or_else(|| actor.ap_id.clone()),
                mention,
            })
        })
        .collect();
    let urls = &ctx.urls;
    let description_html = text::render(&event.description, &targets, |tag| {
        urls.tag(tag).to_string()
    });
    Ok(EventPage {
        post: view.post,
        author: view.author,
        event,
        description_html,
    })
}

/// An account's upcoming events that anyone may see (public and unlisted),
/// soonest first: what its profile page lists.
pub async fn upcoming_visible_events(
    ctx: &Kuvend,
    account: &ActorRow,
    limit: i64,
) -> ServiceResult<Vec<EventView>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .events_of(
            account.id,
            Some(&[Visibility::Public, Visibility::Unlisted]),
            None,
            now(),
            false,
            limit,
        )
        .await?
        .into_iter()
        .map(|(post, event)| EventView { post, event })
        .collect())
}

/// Upcoming public events of all local organisations, soonest first by
/// their UTC start, with their organisations: the `/events` page. Past
/// events are left out; cancelled ones stay (the page marks them).
pub async fn upcoming_public_events(
    ctx: &Kuvend,
    limit: i64,
) -> ServiceResult<Vec<(EventView, ActorRow)>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .upcoming_public_events(now(), limit)
        .await?
        .into_iter()
        .map(|(post, event, author)| (EventView { post, event }, author))
        .collect())
}

/// The parts of an event's place that are set: name, street, locality,
/// country.
pub fn place_lines(event: &EventRow) -> Vec<String> {
    [
        &event.place_name,
        &event.street_address,
        &event.locality,
        &event.country,
    ]
    .into_iter()
    .flatten()
    .cloned()
    .collect()
}

/// An event as `viewer` may see it (the one visibility rule), with the
/// status data the client API shows: 404 when it does not exist, is not an
/// event, or may not be seen.
pub async fn visible_event(
    ctx: &Kuvend,
    id: &str,
    viewer: Option<&ActorRow>,
) -> ServiceResult<super::client::StatusData> {
    let status = super::client::status(ctx, id, viewer).await?;
    if status.event.is_none() {
        return Err(ServiceError::NotFound("Record not found".into()));
    }
    Ok(status)
}

/// `account`'s events that `viewer` may see: upcoming soonest first, or past
/// latest first.
pub async fn visible_events(
    ctx: &Kuvend,
    account: &ActorRow,
    viewer: Option<&ActorRow>,
    past: bool,
    limit: i64,
) -> ServiceResult<Vec<super::client::StatusData>> {
    let posts = {
        let mut conn = ctx.db.conn().await?;
        let mut q = conn.q();
        let filter = super::visibility::list_filter(&mut q, account.id, viewer).await?;
        q.events_of(
            account.id,
            Some(&filter.levels),
            filter.mentioning,
            now(),
            past,
            limit,
        )
        .await?
        .into_iter()
        .map(|(post, _)| post)
        .collect()
    };
    // `statuses` asks `may_see` again for each and keeps the order.
    super::client::statuses(ctx, posts, viewer).await
}

/// The wall time in `tz` of an instant written in RFC 3339
/// (`2026-12-10T17:00:00Z`, as Rebased's API takes it); a time without an
/// offset is taken as the wall time itself.
pub fn wall_time_of_instant(text: &str, tz: Tz) -> ServiceResult<String> {
    let text = text.trim();
    if let Ok(instant) = chrono::DateTime::parse_from_rfc3339(text) {
        return Ok(instant
            .with_timezone(&tz)
            .naive_local()
            .format("%Y-%m-%dT%H:%M")
            .to_string());
    }
    Ok(parse_wall_time(text)?.format("%Y-%m-%dT%H:%M").to_string())
}

/// The event as an iCalendar file (RFC 5545): one `VEVENT`, built as the
/// organisation's and the instance's calendars build theirs
/// ([`super::feeds::vevent`]: UTC times, `UID`, `SEQUENCE`, status).
pub fn event_ics(event: &EventRow, post: &PostRow, organizer: &ActorRow) -> String {
    super::feeds::calendar(None, [(event, post, organizer)])
}

/// Text for an iCalendar TEXT value: no control character but the line feed
/// (which icalendar escapes) and tab. A bare carriage return would end the
/// line for some readers and let the rest read as a property of its own.
pub(super) fn ics_text(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect()
}

/// A parameter value (RFC 5545 §3.2): never a double quote or a control
/// character, quoted when it holds `,` (icalendar quotes it itself when it
/// holds `:` or `;`, and quoting twice would break it). A blank name falls
/// back to `fallback`.
pub(super) fn ics_parameter(name: &str, fallback: &str) -> String {
    let name = if name.trim().is_empty() {
        fallback
    } else {
        name
    };
    let clean: String = name
        .chars()
        .filter(|c| *c != '"' && !c.is_control())
        .collect();
    if !clean.contains(':') && !clean.contains(';') && clean.contains(',') {
        format!("\"{clean}\"")
    } else {
        clean
    }
}

/// The participants collection of a local event `viewer` may see: its id
/// and how many are going. Who they are is never given out here (issue 12:
/// counts are public, the attendee list is for staff).
pub async fn participants_count(
    ctx: &Kuvend,
    username: &str,
    id: i64,
    viewer: Option<&ActorRow>,
) -> ServiceResult<(url::Url, i64)> {
    let view = super::posts::local_post_for(ctx, username, id, viewer).await?;
    if view.post.ap_type != "Event" || view.post.deleted_at.is_some() {
        return Err(ServiceError::NotFound("no such event".into()));
    }
    let event = event_of(ctx, &view.post).await?;
    let post = url::Url::parse(&view.post.ap_id)
        .map_err(|_| ServiceError::Internal(anyhow::anyhow!("stored post id is not a URL")))?;
    Ok((ctx.urls.participants(&post), event.participant_count))
}

/// Whether a change (`before` → `after`, at `now`) re-arms the reminder:
/// the start or the reminder's lead time changed and the new moment to
/// remind is still ahead. A reschedule to later (or a longer lead time)
/// thus reminds again at the new moment, even if the old reminder went out;
/// a change whose moment has already passed does not send a second one (a
/// reminder not yet sent goes out at the next check anyway, if the event
/// has not started).
fn rearms_reminder(before: &EventRow, after: &EventRow, now: NaiveDateTime) -> bool {
    let changed =
        before.starts_at != after.starts_at || before.reminder_minutes != after.reminder_minutes;
    changed
        && after.reminder_minutes > 0
        && after.starts_at - chrono::Duration::minutes(after.reminder_minutes) > now
}

/// The line that ends the readable content of an event that takes answers:
/// how a Mastodon user answers (a reply mentioning `handle`), in the
/// event's language. None for events that take no answers.
pub fn invitation_line(event: &EventRow, language: Option<&str>, handle: &str) -> Option<String> {
    super::participation::takes_rsvps(event).then(|| {
        let phrases = super::phrases::phrases(language);
        super::phrases::fill(phrases.invitation, handle, &event.name, "")
    })
}

/// When an event starts, as its readable form says it: day, time and zone.
pub fn start_text(event: &EventRow, language: Option<&str>) -> String {
    let w = words(language);
    let albanian = super::phrases::is_albanian(language);
    let start = parse_wall_time(&event.start_local).unwrap_or(event.starts_at);
    format!(
        "{}, {} ({})",
        day_text(&w, start, albanian),
        clock(start),
        event.timezone
    )
}
