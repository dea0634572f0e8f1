//! Calendars and feeds: iCalendar files (RFC 5545) of one event, of an
//! organisation's public events and of every local organisation's, and an
//! RSS 2.0 feed of an organisation's public posts shaped as Mastodon serves
//! `/@user.rss`.
//!
//! Times in the calendars are UTC instants (`DTSTART:20261210T170000Z`),
//! not wall times with a `TZID`: RFC 5545 wants a `VTIMEZONE` for every
//! `TZID`, the icalendar crate cannot write one and chrono-tz does not
//! expose the transitions to build it, and without it older Outlook reads
//! the time as the reader's own. A UTC instant is the one form every
//! calendar reads as the same moment; each shows it in its reader's zone.

use super::{
    ServiceError, ServiceResult, documents,
    events::{self, EventView},
};
use crate::{
    context::Kuvend,
    model::{EventStatus, Visibility},
    storage::{
        models::{ActorRow, EventRow, PostRow},
        now,
    },
};
use chrono::NaiveDateTime;
use icalendar::{Calendar, Component, EventLike};

/// How far back an organisation's calendar keeps its past events, so a
/// subscribed calendar does not lose last month's meeting at the next
/// refresh.
const PAST_DAYS: i64 = 90;
/// The most events one calendar file lists, upcoming and past each.
const CALENDAR_EVENTS: i64 = 500;
/// How often a subscribed calendar should look again (RFC 7986
/// `REFRESH-INTERVAL`, and Outlook's `X-PUBLISHED-TTL`).
const REFRESH: &str = "PT1H";

fn ics_time(t: NaiveDateTime) -> chrono::DateTime<chrono::Utc> {
    t.and_utc()
}

/// The page of a post: its `url`, else its id.
fn page_url(post: &PostRow) -> &str {
    post.url.as_deref().unwrap_or(&post.ap_id)
}

/// One event as a `VEVENT`: the only place one is built, for the one-event
/// file and for both calendars alike. `UID` is the post's id URL (stable
/// across edits and servers), `SEQUENCE` grows with every change, `DTSTAMP`
/// and `LAST-MODIFIED` are the last change, times are UTC instants.
pub fn vevent(event: &EventRow, post: &PostRow, organizer: &ActorRow) -> icalendar::Event {
    let mut vevent = icalendar::Event::new();
    vevent
        .uid(&post.ap_id)
        .sequence(u32::try_from(event.sequence.max(0)).unwrap_or(u32::MAX))
        .summary(&events::ics_text(&event.name))
        .starts(ics_time(event.starts_at))
        .timestamp(ics_time(event.updated_at))
        .last_modified(ics_time(event.updated_at))
        .created(ics_time(post.published_at))
        .url(page_url(post))
        .append_property(
            icalendar::Property::new("ORGANIZER", &organizer.ap_id)
                .add_parameter(
                    "CN",
                    &events::ics_parameter(&organizer.display_name, &organizer.username),
                )
                .done(),
        );
    if let Some(end) = event.ends_at {
        vevent.ends(ics_time(end));
    }
    let status = EventStatus::parse(&event.status);
    // What a calendar shows is the description, so the online link and why
    // the event was cancelled or postponed are written there too.
    let mut description = Vec::new();
    if let (Some(EventStatus::Cancelled | EventStatus::Postponed), Some(reason)) =
        (status, &event.status_reason)
    {
        description.push(reason.clone());
    }
    if !event.description.is_empty() {
        description.push(event.description.clone());
    }
    if let Some(online) = &event.online_url {
        description.push(format!("Online: {online}"));
        // RFC 7986: the link to join, which Apple and Thunderbird show as such.
        vevent.append_property(
            icalendar::Property::new("CONFERENCE", online)
                .add_parameter("VALUE", "URI")
                .add_parameter("FEATURE", "VIDEO")
                .done(),
        );
    }
    if !description.is_empty() {
        vevent.description(&events::ics_text(&description.join("\n\n")));
    }
    let place = events::place_lines(event);
    if !place.is_empty() && status != Some(EventStatus::MovedOnline) {
        vevent.location(&events::ics_text(&place.join(", ")));
    } else if let Some(online) = &event.online_url {
        vevent.location(online);
    }
    if let (Some(lat), Some(lon)) = (event.latitude, event.longitude) {
        vevent.add_property("GEO", format!("{lat};{lon}"));
    }
    vevent.status(match status {
        Some(EventStatus::Cancelled) => icalendar::EventStatus::Cancelled,
        Some(EventStatus::Postponed) => icalendar::EventStatus::Tentative,
        _ => icalendar::EventStatus::Confirmed,
    });
    vevent.done()
}

/// A calendar file of `events`. A calendar to subscribe to has a `name`
/// and says how often to refresh; a one-event file has neither, so that
/// importing it adds the event instead of making a calendar of its own.
pub fn calendar<'a>(
    name: Option<&str>,
    events: impl IntoIterator<Item = (&'a EventRow, &'a PostRow, &'a ActorRow)>,
) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//kuvend//events//EN"))
        .append_property(("CALSCALE", "GREGORIAN"));
    if let Some(name) = name {
        let name = events::ics_text(name);
        calendar
            .append_property(("NAME", name.as_str()))
            .append_property(("X-WR-CALNAME", name.as_str()))
            .append_property(
                icalendar::Property::new("REFRESH-INTERVAL", REFRESH)
                    .add_parameter("VALUE", "DURATION")
                    .done(),
            )
            .append_property(("X-PUBLISHED-TTL", REFRESH));
    }
    for (event, post, organizer) in events {
        calendar.push(vevent(event, post, organizer));
    }
    let mut text = calendar.done().to_string();
    // Every content line ends with CRLF (RFC 5545 §3.1), the last one too.
    if !text.ends_with("\r\n") {
        text.push_str("\r\n");
    }
    text
}

/// The display name of an account, or its user name when blank.
fn shown_name(actor: &ActorRow) -> String {
    let name = super::text::strip_html(&actor.display_name);
    if name.trim().is_empty() {
        actor.username.clone()
    } else {
        name
    }
}

/// `/@username/events.ics`: the organisation's public events, upcoming and
/// those of the last 90 days, soonest first. Never an unlisted,
/// followers-only or direct event: a calendar URL gets shared and cached.
pub async fn organisation_calendar(ctx: &Kuvend, username: &str) -> ServiceResult<String> {
    let actor = documents::local_actor(ctx, username).await?;
    if super::coalition_feed::is_local_coalition(&actor) {
        // Issue 14 item 4: a coalition's calendar adds its members' events
        // it relayed, each with its own organiser.
        let rows =
            super::coalition_feed::calendar_rows(ctx, &actor, true, PAST_DAYS, CALENDAR_EVENTS)
                .await?;
        return Ok(calendar(
            Some(&shown_name(&actor)),
            rows.iter()
                .map(|(post, event, author)| (event, post, author)),
        ));
    }
    let now = now();
    let since = now - chrono::Duration::days(PAST_DAYS);
    let (mut past, upcoming) = {
        let mut conn = ctx.db.conn().await?;
        let mut q = conn.q();
        let public = [Visibility::Public];
        let past = q
            .events_of(actor.id, Some(&public), None, now, true, CALENDAR_EVENTS)
            .await?;
        let upcoming = q
            .events_of(actor.id, Some(&public), None, now, false, CALENDAR_EVENTS)
            .await?;
        (past, upcoming)
    };
    past.retain(|(_, e)| e.ends_at.unwrap_or(e.starts_at) >= since);
    past.reverse();
    let rows: Vec<_> = past.into_iter().chain(upcoming).collect();
    Ok(calendar(
        Some(&shown_name(&actor)),
        rows.iter().map(|(post, event)| (event, post, &actor)),
    ))
}

/// `/events.ics`: every local organisation's upcoming public events.
pub async fn instance_calendar(ctx: &Kuvend) -> ServiceResult<String> {
    let rows = events::upcoming_public_events(ctx, CALENDAR_EVENTS).await?;
    Ok(calendar(
        Some(&format!("Events on {}", ctx.settings.instance.name)),
        rows.iter()
            .map(|(EventView { post, event }, author)| (event, post, author)),
    ))
}

/// RFC 822 dates, as RSS 2.0 wants and Mastodon writes them.
fn rss_date(t: NaiveDateTime) -> String {
    t.and_utc().to_rfc2822()
}

/// Whether a post belongs in the feed: public, not a reply to someone else
/// (Mastodon's feed leaves replies out but keeps threads of one's own).
fn in_feed(post: &PostRow, author: &ActorRow) -> bool {
    post.visibility() == Visibility::Public
        && post
            .in_reply_to_ap_id
            .as_deref()
            .is_none_or(|parent| parent.starts_with(&format!("{}/", author.ap_id)))
}

/// `/@username.rss`: the organisation's latest public posts and events as
/// RSS 2.0, as Mastodon serves its feeds (items without a title but an
/// event's, the post URL as a permalink `guid`, the HTML as
/// `description`).
pub async fn organisation_rss(ctx: &Kuvend, username: &str) -> ServiceResult<String> {
    let view = documents::profile(ctx, username, None).await?;
    let actor = &view.actor;
    let posts: Vec<&PostRow> = view.posts.iter().filter(|p| in_feed(p, actor)).collect();
    let event_rows = {
        let ids: Vec<i64> = posts
            .iter()
            .filter(|p| p.ap_type == "Event")
            .map(|p| p.id)
            .collect();
        let mut conn = ctx.db.conn().await?;
        conn.q().events_by_posts(&ids).await?
    };
    let profile = ctx.urls.profile(&actor.username).to_string();
    let name = shown_name(actor);
    let items = posts
        .iter()
        .map(|post| {
            let url = page_url(post).to_string();
            let mut description = String::new();
            if let Some(summary) = post.summary.as_deref().filter(|s| !s.is_empty()) {
                // A content warning stays in front of what it warns about.
                description.push_str(&format!(
                    "<p><strong>{}</strong></p><hr>",
                    super::escape_html(summary)
                ));
            }
            description.push_str(&post.content);
            rss::Item {
                title: event_rows
                    .iter()
                    .find(|e| e.post_id == post.id)
                    .map(|e| e.name.clone()),
                link: Some(url.clone()),
                guid: Some(rss::Guid {
                    value: url,
                    permalink: true,
                }),
                pub_date: Some(rss_date(post.published_at)),
                description: Some(description),
                ..rss::Item::default()
            }
        })
        .collect();
    let channel = rss::Channel {
        title: name.clone(),
        link: profile.clone(),
        description: format!("Public posts from {}", view.handle),
        last_build_date: Some(rss_date(
            posts
                .first()
                .map(|p| p.published_at)
                .unwrap_or(actor.created_at),
        )),
        generator: Some("kuvend".into()),
        image: actor.icon_url.as_ref().map(|icon| rss::Image {
            url: icon.clone(),
            title: name.clone(),
            link: profile.clone(),
            ..rss::Image::default()
        }),
        items,
        ..rss::Channel::default()
    };
    // The crate writes the XML declaration itself.
    let mut body = Vec::new();
    channel
        .write_to(&mut body)
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("writing the RSS feed: {e}")))?;
    String::from_utf8(body)
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("writing the RSS feed: {e}")))
}
