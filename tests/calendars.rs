//! Calendars and feeds (issue 12 item 6), over real HTTP on SQLite and
//! PostgreSQL: `/events.ics`, `/@org/events.ics`, the one-event `.ics` and
//! `/@org.rss`, read back by independent parsers (Python's `icalendar` and
//! `feedparser`, in tests/interop/calendars/.venv, which scripts/test makes).

use crate::common::{Backend, TestInstance, client, temp_dir};
use crate::on_both_databases;
use kuvend::model::Visibility;
use kuvend::service::{
    acting::Acting,
    events::{self, EventInput, EventView},
    posts::{self, NewPost},
};
use kuvend::storage::models::ActorRow;
use serde_json::Value;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/calendars")
}

/// The venv's Python, or None (with a notice) when it was not made; on CI
/// its absence is a failure.
fn python() -> Option<PathBuf> {
    let python = dir().join(".venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var("CI").is_err(),
        "icalendar/feedparser are not installed on CI (scripts/test installs them)"
    );
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "NOTICE: calendar/feed parsing SKIPPED: run scripts/test to create {}",
        python.display()
    );
    None
}

/// Fetches `path` over HTTP, checks its content type, and returns what the
/// Python reader (`kind` = ics or rss) made of it.
async fn read(python: &PathBuf, alpha: &TestInstance, path: &str, kind: &str) -> Value {
    let response = client()
        .get(format!("{}{path}", alpha.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    let expected = if kind == "ics" {
        "text/calendar; charset=utf-8"
    } else {
        "application/rss+xml; charset=utf-8"
    };
    assert_eq!(content_type, expected, "{path}");
    let body = response.bytes().await.unwrap();
    if kind == "ics" {
        // Every line ends with CRLF, the last one too (RFC 5545 §3.1).
        assert!(body.ends_with(b"END:VCALENDAR\r\n"), "{path}");
    }
    let temp = temp_dir();
    let file = temp.path().join(format!("body.{kind}"));
    std::fs::write(&file, &body).unwrap();
    let output = tokio::process::Command::new(python)
        .arg(dir().join("read.py"))
        .arg(kind)
        .arg(&file)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "read.py {kind} {path} failed: {}\n{}",
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&body)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn input(name: &str, start: &str, end: Option<&str>, zone: &str) -> EventInput {
    EventInput {
        name: Some(name.into()),
        start: Some(start.into()),
        end: end.map(Into::into),
        timezone: Some(zone.into()),
        ..EventInput::default()
    }
}

async fn create(alpha: &TestInstance, org: &ActorRow, input: EventInput) -> EventView {
    events::create_event(&alpha.data(), &Acting::admin(org.clone()), input)
        .await
        .unwrap()
}

/// The VEVENT whose UID is `uid`.
fn vevent<'a>(calendar: &'a Value, uid: &str) -> &'a Value {
    calendar["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["uid"] == uid)
        .unwrap_or_else(|| panic!("no VEVENT {uid} in {calendar:#}"))
}

fn uids(calendar: &Value) -> Vec<String> {
    calendar["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["uid"].as_str().unwrap().to_string())
        .collect()
}

async fn calendars_scenario(backend: Backend) {
    let Some(python) = python() else { return };
    let temp = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, temp.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    let other = alpha.create_org("other", false).await;
    // Across the spring change in Tirana (2030-03-31 02:00 CET -> 03:00
    // CEST): 22:00 CET is 21:00Z, 04:00 CEST is 02:00Z (five hours, not six).
    let across_dst = create(
        &alpha,
        &ngo,
        EventInput {
            place: Some("Tirana Youth Center".into()),
            locality: Some("Tirana".into()),
            country: Some("AL".into()),
            geo: Some("41.3275,19.8187".into()),
            online_url: Some("https://meet.example/forum".into()),
            description: Some("Bring a friend, and water.".into()),
            ..input(
                "Night forum",
                "2030-03-30T22:00",
                Some("2030-03-31T04:00"),
                "Europe/Tirane",
            )
        },
    )
    .await;
    let tirana_summer = create(
        &alpha,
        &ngo,
        input("Summer school", "2030-07-01T18:00", None, "Europe/Tirane"),
    )
    .await;
    let new_york = create(
        &alpha,
        &ngo,
        input(
            "Donor call",
            "2030-12-10T18:00",
            Some("2030-12-10T19:30"),
            "America/New_York",
        ),
    )
    .await;
    let kolkata = create(
        &alpha,
        &other,
        input("Partner meeting", "2030-06-01T09:30", None, "Asia/Kolkata"),
    )
    .await;
    let followers_only = create(
        &alpha,
        &ngo,
        EventInput {
            visibility: Some("followers".into()),
            ..input("Members only", "2030-05-01T10:00", None, "Europe/Tirane")
        },
    )
    .await;
    let unlisted = create(
        &alpha,
        &ngo,
        EventInput {
            visibility: Some("unlisted".into()),
            ..input(
                "Unlisted gathering",
                "2030-05-02T10:00",
                None,
                "Europe/Tirane",
            )
        },
    )
    .await;

    // The instance's calendar: every public event, as UTC instants.
    let all = read(&python, &alpha, "/events.ics", "ics").await;
    assert_eq!(all["version"], "2.0");
    let dst = vevent(&all, &across_dst.post.ap_id);
    assert_eq!(dst["dtstart"], "2030-03-30T21:00:00Z", "{dst:#}");
    assert_eq!(dst["dtend"], "2030-03-31T02:00:00Z", "{dst:#}");
    assert_eq!(dst["summary"], "Night forum");
    assert_eq!(dst["sequence"], 0);
    assert_eq!(dst["status"], "CONFIRMED");
    assert_eq!(dst["url"], across_dst.post.url.clone().unwrap());
    assert_eq!(dst["geo"], serde_json::json!([41.3275, 19.8187]));
    assert_eq!(dst["location"], "Tirana Youth Center, Tirana, AL");
    assert_eq!(dst["conference"], "https://meet.example/forum");
    let description = dst["description"].as_str().unwrap();
    assert!(
        description.contains("Bring a friend, and water."),
        "{description}"
    );
    assert!(
        description.contains("Online: https://meet.example/forum"),
        "{description}"
    );
    assert!(dst["dtstamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        vevent(&all, &tirana_summer.post.ap_id)["dtstart"],
        "2030-07-01T16:00:00Z"
    );
    let ny = vevent(&all, &new_york.post.ap_id);
    assert_eq!(ny["dtstart"], "2030-12-10T23:00:00Z");
    assert_eq!(ny["dtend"], "2030-12-11T00:30:00Z");
    assert_eq!(
        vevent(&all, &kolkata.post.ap_id)["dtstart"],
        "2030-06-01T04:00:00Z"
    );
    let listed = uids(&all);
    assert!(!listed.contains(&followers_only.post.ap_id), "{listed:?}");
    assert!(!listed.contains(&unlisted.post.ap_id), "{listed:?}");
    assert_eq!(listed.len(), 4, "{listed:?}");

    // The organisation's calendar: its own public events only.
    let own = read(&python, &alpha, "/@ngo/events.ics", "ics").await;
    assert_eq!(own["name"], "The ngo organisation");
    assert_eq!(
        uids(&own),
        vec![
            across_dst.post.ap_id.clone(),
            tirana_summer.post.ap_id.clone(),
            new_york.post.ap_id.clone()
        ]
    );

    // An edit bumps SEQUENCE; a cancellation bumps it again and says so.
    let acting = Acting::admin(ngo.clone());
    let id = new_york.post.id.to_string();
    events::update_event(
        &alpha.data(),
        &acting,
        &id,
        EventInput {
            name: Some("Donor call (new link)".into()),
            ..EventInput::default()
        },
    )
    .await
    .unwrap();
    let edited = read(&python, &alpha, "/@ngo/events.ics", "ics").await;
    let ny = vevent(&edited, &new_york.post.ap_id);
    assert_eq!(ny["sequence"], 1);
    assert_eq!(ny["summary"], "Donor call (new link)");
    events::cancel_event(&alpha.data(), &acting, &id, Some("Funding ended".into()))
        .await
        .unwrap();
    let cancelled = read(&python, &alpha, "/events.ics", "ics").await;
    let ny = vevent(&cancelled, &new_york.post.ap_id);
    assert_eq!(ny["status"], "CANCELLED");
    assert_eq!(ny["sequence"], 2);
    assert!(
        ny["description"]
            .as_str()
            .unwrap()
            .contains("Funding ended")
    );
    // The same UID, the same instant, in the one-event file.
    let one = read(
        &python,
        &alpha,
        &format!("/api/v1/pleroma/events/{id}/ics"),
        "ics",
    )
    .await;
    let ny_one = vevent(&one, &new_york.post.ap_id);
    assert_eq!(ny_one["dtstart"], "2030-12-10T23:00:00Z");
    assert_eq!(ny_one["sequence"], 2);
    assert_eq!(ny_one["status"], "CANCELLED");
    // A one-event file is imported, not subscribed to: no calendar name.
    assert_eq!(one["name"], Value::Null);
    assert_eq!(one["events"].as_array().unwrap().len(), 1);

    // A remote copy stored again unchanged keeps its SEQUENCE; changed, it grows.
    let mut conn = alpha.ctx().db.conn().await.unwrap();
    let stored = conn
        .q()
        .event_by_post(kolkata.post.id)
        .await
        .unwrap()
        .unwrap();
    conn.q().put_event(kolkata.post.id, &stored).await.unwrap();
    let again = conn
        .q()
        .event_by_post(kolkata.post.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.sequence, 0);
    let renamed = kuvend::storage::models::EventRow {
        name: "Partner meeting, moved".into(),
        ..stored
    };
    conn.q().put_event(kolkata.post.id, &renamed).await.unwrap();
    let again = conn
        .q()
        .event_by_post(kolkata.post.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.sequence, 1);
    drop(conn);

    // The organisation's calendar keeps the past 90 days; /events.ics only
    // what is to come.
    let recent = create(
        &alpha,
        &ngo,
        input("Last week", "2030-01-01T10:00", None, "UTC"),
    )
    .await;
    let old = create(
        &alpha,
        &ngo,
        input("Long ago", "2030-01-02T10:00", None, "UTC"),
    )
    .await;
    let mut conn = alpha.ctx().db.conn().await.unwrap();
    for (view, days) in [(&recent, 7), (&old, 100)] {
        let start = kuvend::storage::now() - chrono::Duration::days(days);
        let moved = kuvend::storage::models::EventRow {
            starts_at: start,
            ..view.event.clone()
        };
        conn.q().update_event(&moved).await.unwrap();
    }
    drop(conn);
    let own = uids(&read(&python, &alpha, "/@ngo/events.ics", "ics").await);
    assert_eq!(own.first(), Some(&recent.post.ap_id), "{own:?}");
    assert!(!own.contains(&old.post.ap_id), "{own:?}");
    let all = uids(&read(&python, &alpha, "/events.ics", "ics").await);
    assert!(!all.contains(&recent.post.ap_id), "{all:?}");

    // Pages link the calendars: webcal:// to subscribe, https to download.
    let profile = client()
        .get(format!("{}/@ngo", alpha.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        // The templates escape `/` in attributes; a browser decodes it.
        .replace("&#x2f;", "/");
    let host = alpha.base_url().split_once("://").unwrap().1.to_string();
    assert!(
        profile.contains(&format!("href=\"webcal://{host}/@ngo/events.ics\"")),
        "{profile}"
    );
    assert!(
        profile.contains(&format!("href=\"{}/@ngo/events.ics\"", alpha.base_url())),
        "{profile}"
    );
    assert!(
        profile.contains(r#"<link rel="alternate" type="application/rss+xml""#)
            && profile.contains(r#"href="/@ngo.rss""#),
        "{profile}"
    );
    let page = client()
        .get(across_dst.post.url.clone().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        // The templates escape `/` in attributes; a browser decodes it.
        .replace("&#x2f;", "/");
    assert!(
        page.contains(&format!("href=\"webcal://{host}/@ngo/events.ics\"")),
        "{page}"
    );
    assert!(
        page.contains(&format!(
            "href=\"/api/v1/pleroma/events/{}/ics\"",
            across_dst.post.id
        )),
        "{page}"
    );
    let listing = client()
        .get(format!("{}/events", alpha.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        // The templates escape `/` in attributes; a browser decodes it.
        .replace("&#x2f;", "/");
    assert!(
        listing.contains(&format!("href=\"webcal://{host}/events.ics\"")),
        "{listing}"
    );
    // An unknown organisation has no calendar.
    let missing = client()
        .get(format!("{}/@nobody/events.ics", alpha.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

on_both_databases!(
    calendars_scenario,
    calendars_read_back_with_utc_instants_sequence_and_status_sqlite,
    calendars_read_back_with_utc_instants_sequence_and_status_postgres
);

fn post(text: &str, visibility: Visibility) -> NewPost {
    NewPost {
        text: text.into(),
        visibility,
        in_reply_to: None,
        spoiler: None,
        language: Some("en".into()),
    }
}

async fn rss_scenario(backend: Backend) {
    let Some(python) = python() else { return };
    let temp = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, temp.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    alpha.create_org("reader", false).await;
    let data = alpha.data();
    let public = posts::create_post(
        &data,
        "ngo",
        post("Clean water for all <3", Visibility::Public),
    )
    .await
    .unwrap();
    let warned = posts::create_post(
        &data,
        "ngo",
        NewPost {
            spoiler: Some("Budget talk".into()),
            ..post("The numbers for 2027.", Visibility::Public)
        },
    )
    .await
    .unwrap();
    let mut hidden = Vec::new();
    for (text, visibility) in [
        ("unlisted words", Visibility::Unlisted),
        ("followers-only words", Visibility::Followers),
        ("@reader direct words", Visibility::Direct),
    ] {
        hidden.push(
            posts::create_post(&data, "ngo", post(text, visibility))
                .await
                .unwrap(),
        );
    }
    let event = create(
        &alpha,
        &ngo,
        input("Forum on water", "2030-12-10T18:00", None, "Europe/Tirane"),
    )
    .await;
    let secret_event = create(
        &alpha,
        &ngo,
        EventInput {
            visibility: Some("followers".into()),
            ..input("Members only", "2030-12-11T18:00", None, "Europe/Tirane")
        },
    )
    .await;

    let feed = read(&python, &alpha, "/@ngo.rss", "rss").await;
    assert_eq!(feed["bozo"], false, "{feed:#}");
    assert_eq!(feed["version"], "rss20");
    assert_eq!(feed["title"], "The ngo organisation");
    assert_eq!(feed["link"], format!("{}/@ngo", alpha.base_url()));
    assert!(
        feed["description"]
            .as_str()
            .unwrap()
            .contains("@ngo@alpha.test")
    );
    let entries = feed["entries"].as_array().unwrap();
    let ids: Vec<&str> = entries.iter().map(|e| e["id"].as_str().unwrap()).collect();
    // Newest first, public only; the post URL is the permalink guid.
    let url = |p: &kuvend::storage::models::PostRow| p.url.clone().unwrap();
    assert_eq!(
        ids,
        vec![url(&event.post), url(&warned), url(&public)],
        "{feed:#}"
    );
    for hidden in hidden.iter().chain([&secret_event.post]) {
        assert!(!ids.contains(&url(hidden).as_str()), "{feed:#}");
    }
    let body = feed.to_string();
    for words in [
        "unlisted words",
        "followers-only words",
        "direct words",
        "Members only",
    ] {
        assert!(!body.contains(words), "{words} leaked: {feed:#}");
    }
    let event_entry = &entries[0];
    assert_eq!(event_entry["title"], "Forum on water");
    assert_eq!(event_entry["link"], url(&event.post));
    assert_eq!(event_entry["id"], event_entry["link"]);
    assert!(
        event_entry["summary"]
            .as_str()
            .unwrap()
            .contains("Forum on water")
    );
    let public_entry = &entries[2];
    assert!(
        public_entry["summary"]
            .as_str()
            .unwrap()
            .contains("Clean water for all &lt;3"),
        "{public_entry:#}"
    );
    assert!(
        public_entry["published"]
            .as_str()
            .unwrap()
            .ends_with("+0000")
    );
    assert!(
        entries[1]["summary"]
            .as_str()
            .unwrap()
            .contains("Budget talk")
    );
    // An unknown organisation has no feed.
    let missing = client()
        .get(format!("{}/@nobody.rss", alpha.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

on_both_databases!(
    rss_scenario,
    rss_feed_lists_public_posts_and_events_only_sqlite,
    rss_feed_lists_public_posts_and_events_only_postgres
);
