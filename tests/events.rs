//! Events (issue 11): the model's time rules, the readable content in two
//! languages, the command line, the `Event` document (snapshot) and its
//! delivery as Create/Update/Delete over real HTTP, and events as statuses
//! in the client API.

use crate::common::{Api, Backend, TestInstance, available, client, eventually, temp_dir};
use kuvend::service::acting::Acting;
use kuvend::service::events::{self, EventInput};
use kuvend::storage::models::EventRow;
use serde_json::Value;
use std::process::{Command, Output};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const AP: &str = "application/activity+json";

fn input(name: &str, start: &str, zone: &str) -> EventInput {
    EventInput {
        name: Some(name.into()),
        start: Some(start.into()),
        timezone: Some(zone.into()),
        ..EventInput::default()
    }
}

fn row(language_name: &str) -> EventRow {
    let start = chrono::NaiveDate::from_ymd_opt(2026, 12, 10)
        .unwrap()
        .and_hms_opt(17, 0, 0)
        .unwrap();
    EventRow {
        post_id: 1,
        name: language_name.into(),
        description: "Bring a friend.".into(),
        starts_at: start,
        ends_at: Some(start + chrono::Duration::hours(2)),
        timezone: "Europe/Tirane".into(),
        start_local: "2026-12-10T18:00".into(),
        end_local: Some("2026-12-10T20:00".into()),
        place_name: Some("Tirana Youth Center".into()),
        street_address: Some("Rruga e Durrësit 5".into()),
        locality: Some("Tirana".into()),
        country: Some("AL".into()),
        latitude: None,
        longitude: None,
        online_url: None,
        category: None,
        capacity: None,
        join_mode: "free".into(),
        external_url: None,
        status: "scheduled".into(),
        previous_start: None,
        status_reason: None,
        participant_count: 0,
        updated_at: start,
        sequence: 0,
        reminder_minutes: 1440,
        reminder_sent_at: None,
    }
}

#[test]
fn readable_content_has_title_date_time_zone_and_place_in_english_and_albanian() {
    let english = events::readable_text(&row("Forum on water"), Some("en"));
    assert_eq!(
        english,
        "Forum on water\nThursday, 10 December 2026, 18:00–20:00 (Europe/Tirane)\n\
         Place: Tirana Youth Center, Rruga e Durrësit 5, Tirana, AL\n\nBring a friend."
    );
    let albanian = events::readable_text(&row("Forum për ujin"), Some("sq"));
    assert_eq!(
        albanian,
        "Forum për ujin\nE enjte, 10 dhjetor 2026, 18:00–20:00 (Europe/Tirane)\n\
         Vendi: Tirana Youth Center, Rruga e Durrësit 5, Tirana, AL\n\nBring a friend."
    );
    // Other languages fall back to English.
    assert!(events::readable_text(&row("X"), Some("de")).contains("Thursday, 10 December 2026"));
    let mut cancelled = row("Forum");
    cancelled.status = "cancelled".into();
    cancelled.status_reason = Some("storm warning".into());
    assert!(
        events::readable_text(&cancelled, Some("sq"))
            .starts_with("Forum\nANULUAR: storm warning\n")
    );
}

#[test]
fn an_event_across_midnight_shows_both_days() {
    let mut night = row("Night vigil");
    night.start_local = "2026-12-10T22:00".into();
    night.end_local = Some("2026-12-11T02:00".into());
    let text = events::readable_text(&night, Some("en"));
    assert!(
        text.contains(
            "Thursday, 10 December 2026, 22:00 – Friday, 11 December 2026, 02:00 (Europe/Tirane)"
        ),
        "{text}"
    );
    // Stored in UTC: 21:00 on the 10th to 01:00 on the 11th.
    let tz = events::zone("Europe/Tirane").unwrap();
    let start = events::to_utc(tz, events::parse_wall_time("2026-12-10T22:00").unwrap()).unwrap();
    let end = events::to_utc(tz, events::parse_wall_time("2026-12-11T02:00").unwrap()).unwrap();
    assert_eq!(start.to_string(), "2026-12-10 21:00:00");
    assert_eq!(end.to_string(), "2026-12-11 01:00:00");
}

#[test]
fn a_nonexistent_and_an_ambiguous_local_time_are_refused() {
    let tz = events::zone("Europe/Tirane").unwrap();
    // 29 March 2026: clocks go from 02:00 to 03:00.
    let gap = events::to_utc(tz, events::parse_wall_time("2026-03-29T02:30").unwrap())
        .unwrap_err()
        .to_string();
    assert!(gap.contains("does not exist in Europe/Tirane"), "{gap}");
    assert!(gap.contains("2026-03-29T02:30"), "{gap}");
    // 25 October 2026: 02:00–03:00 happens twice.
    let twice = events::to_utc(tz, events::parse_wall_time("2026-10-25T02:30").unwrap())
        .unwrap_err()
        .to_string();
    assert!(twice.contains("happens twice in Europe/Tirane"), "{twice}");
    assert!(twice.contains("2026-10-25T02:30"), "{twice}");
    // The hour after the change is fine, at the new offset.
    let after = events::to_utc(tz, events::parse_wall_time("2026-03-29T03:30").unwrap()).unwrap();
    assert_eq!(after.to_string(), "2026-03-29 01:30:00");
    let unknown = events::zone("Europe/Atlantis").unwrap_err().to_string();
    assert!(unknown.contains("Europe/Atlantis"), "{unknown}");
}

fn kuvend(dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kuvend"))
        .current_dir(dir)
        .env(
            "KUVEND_DATABASE__URL",
            format!("sqlite://{}/k.db", dir.display()),
        )
        .env("KUVEND_INSTANCE__DOMAIN", "cso.example")
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_string()
}

#[test]
fn events_are_created_listed_shown_updated_postponed_cancelled_and_deleted_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        kuvend(d, &["admin", "org", "create", "ngo", "--name", "NGO"])
            .status
            .success()
    );
    let out = kuvend(
        d,
        &[
            "admin",
            "event",
            "create",
            "ngo",
            "--name",
            "Training on FOI requests",
            "--start",
            "2099-12-10T18:00",
            "--end",
            "2099-12-10T20:00",
            "--timezone",
            "Europe/Tirane",
            "--place",
            "Hall",
            "--locality",
            "Tirana",
            "--country",
            "al",
            "--geo",
            "41.3275,19.8187",
            "--capacity",
            "40",
            "--join-mode",
            "external",
            "--external-url",
            "https://forms.example/foi",
            "--category",
            "LEARNING",
            "--language",
            "en",
            "--visibility",
            "unlisted",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.starts_with("https://cso.example/@ngo/"), "{page}");
    let number = page.rsplit('/').next().unwrap().to_string();

    let list = stdout(&kuvend(d, &["admin", "event", "list", "ngo"]));
    assert!(
        list.contains("2099-12-10T18:00 Europe/Tirane\tscheduled\tTraining on FOI requests"),
        "{list}"
    );
    assert!(stdout(&kuvend(d, &["admin", "event", "list", "ngo", "--past"])).is_empty());

    let show = stdout(&kuvend(d, &["admin", "event", "show", &page]));
    for line in [
        "start: 2099-12-10T18:00 Europe/Tirane (2099-12-10T17:00 UTC)",
        "place: Hall, Tirana, AL",
        "geo: 41.3275,19.8187",
        "capacity: 40",
        "join mode: external",
        "external registration: https://forms.example/foi",
        "category: LEARNING",
        "visibility: unlisted",
    ] {
        assert!(show.contains(line), "{line} missing in\n{show}");
    }

    // A new start reschedules and keeps the previous one.
    let out = kuvend(
        d,
        &[
            "admin",
            "event",
            "update",
            &number,
            "--start",
            "2099-12-11T18:00",
            "--end",
            "2099-12-11T20:00",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let show = stdout(&kuvend(d, &["admin", "event", "show", &number]));
    assert!(show.contains("status: rescheduled"), "{show}");
    assert!(
        show.contains("previous start: 2099-12-10T17:00 UTC"),
        "{show}"
    );

    assert!(
        kuvend(d, &["admin", "event", "postpone", &number])
            .status
            .success()
    );
    assert!(stdout(&kuvend(d, &["admin", "event", "show", &number])).contains("status: postponed"));
    let out = kuvend(
        d,
        &[
            "admin",
            "event",
            "cancel",
            &number,
            "--reason",
            "venue closed",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let show = stdout(&kuvend(d, &["admin", "event", "show", &number]));
    assert!(
        show.contains("status: cancelled") && show.contains("reason: venue closed"),
        "{show}"
    );

    assert!(
        kuvend(d, &["admin", "event", "delete", &number])
            .status
            .success()
    );
    assert!(stdout(&kuvend(d, &["admin", "event", "list", "ngo"])).is_empty());
    let out = kuvend(d, &["admin", "event", "show", &number]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn bad_event_input_is_one_line_on_stderr_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(
        kuvend(d, &["admin", "org", "create", "ngo", "--name", "NGO"])
            .status
            .success()
    );
    let base = ["admin", "event", "create", "ngo", "--name", "X"];
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--start",
                "2099-12-10T18:00",
                "--end",
                "2099-12-10T17:00",
                "--timezone",
                "Europe/Tirane",
            ],
            "is not after the start",
        ),
        (
            &[
                "--start",
                "2099-12-10T18:00",
                "--timezone",
                "Europe/Atlantis",
            ],
            "unknown time zone \"Europe/Atlantis\"",
        ),
        (
            &[
                "--start",
                "2099-12-10T18:00",
                "--timezone",
                "Europe/Tirane",
                "--capacity",
                "-3",
            ],
            "capacity",
        ),
        (
            &[
                "--start",
                "2099-12-10T18:00",
                "--timezone",
                "Europe/Tirane",
                "--join-mode",
                "external",
            ],
            "external join mode needs --external-url",
        ),
        (
            &["--start", "2026-03-29T02:30", "--timezone", "Europe/Tirane"],
            "2026-03-29T02:30 does not exist in Europe/Tirane",
        ),
        (
            &["--start", "2026-10-25T02:30", "--timezone", "Europe/Tirane"],
            "2026-10-25T02:30 happens twice in Europe/Tirane",
        ),
        (
            &[
                "--start",
                "2099-12-10T18:00",
                "--timezone",
                "Europe/Tirane",
                "--online-url",
                "javascript:alert(1)",
            ],
            "http(s) URL",
        ),
        (
            &[
                "--start",
                "2099-12-10T18:00",
                "--timezone",
                "Europe/Tirane",
                "--visibility",
                "direct",
            ],
            "not an event visibility",
        ),
        (
            &["--start", "tomorrow", "--timezone", "Europe/Tirane"],
            "not a date and time",
        ),
    ];
    for (extra, expected) in cases {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        let out = kuvend(d, &args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{extra:?}: {err}");
        assert!(err.contains(expected), "{extra:?}: {err}");
    }
    let out = kuvend(
        d,
        &[
            "admin",
            "event",
            "create",
            "ngo",
            "--start",
            "2099-12-10T18:00",
        ],
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(stdout(&kuvend(d, &["admin", "event", "list", "ngo"])).is_empty());
    assert!(stdout(&kuvend(d, &["admin", "event", "list", "ngo", "--past"])).is_empty());
}

/// Replaces what changes from run to run (ids, ports, dates of publication).
fn stable(value: &Value, post_id: i64, domains: &[(&str, &str)]) -> Value {
    let mut text = serde_json::to_string(value)
        .unwrap()
        .replace(&post_id.to_string(), "POST_ID");
    for (from, to) in domains {
        text = text.replace(from, to);
    }
    let mut value: Value = serde_json::from_str(&text).unwrap();
    for pointer in [
        "/published",
        "/object/published",
        "/object/updated",
        "/updated",
    ] {
        if let Some(v) = value.pointer_mut(pointer) {
            *v = Value::String("[date]".into());
        }
    }
    value
}

async fn events_scenario(alpha_db: Backend, beta_db: Backend, snapshot: bool) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", alpha_db, dir.path()).await;
    let beta = TestInstance::start("beta.test", beta_db, dir.path()).await;
    let gamma = TestInstance::start("gamma.test", Backend::Sqlite, dir.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    alpha.create_org("other", false).await;
    beta.create_org("b1", false).await;
    gamma.create_org("g1", false).await;
    beta.follow_and_wait("b1", &alpha, "ngo").await;
    // gamma follows another organisation of alpha, not ngo.
    gamma.follow_and_wait("g1", &alpha, "other").await;
    let beta_inbox = format!("{}/inbox", beta.base_url());
    let acting = Acting::admin(ngo.clone());

    let mut new = input("Forum on water", "2099-12-10T18:00", "Europe/Tirane");
    new.end = Some("2099-12-10T20:00".into());
    new.description = Some("Come and talk about #water.".into());
    new.place = Some("Tirana Youth Center".into());
    new.address = Some("Rruga e Durrësit 5".into());
    new.locality = Some("Tirana".into());
    new.country = Some("AL".into());
    new.geo = Some("41.3275,19.8187".into());
    new.online_url = Some("https://meet.example/forum".into());
    new.capacity = Some(80);
    new.category = Some("MOVEMENTS_POLITICS".into());
    new.language = Some("en".into());
    let event = events::create_event(&alpha.data(), &acting, new)
        .await
        .unwrap();
    let ap_id = event.post.ap_id.clone();

    // Create{Event} goes to the follower's instance only, and is stored there.
    let create_id = format!("{ap_id}/activity");
    assert_eq!(
        alpha.delivery_inboxes(&create_id).await,
        vec![beta_inbox.clone()]
    );
    let create = alpha.sent_activity(&create_id).await;
    assert_eq!(create["type"], "Create");
    assert_eq!(create["object"]["type"], "Event");
    assert_eq!(create["object"]["startTime"], "2099-12-10T17:00:00Z");
    assert_eq!(create["object"]["timezone"], "Europe/Tirane");
    assert!(create["object"].get("summary").is_none(), "{create}");
    eventually("beta stores the event as a post", WAIT, || async {
        beta.post(&ap_id).await.is_some()
    })
    .await;
    let on_beta = beta.post(&ap_id).await.unwrap();
    assert!(
        on_beta
            .content
            .contains("Thursday, 10 December 2099, 18:00–20:00 (Europe/Tirane)"),
        "{}",
        on_beta.content
    );
    // …and as an event, with its fields.
    let event_on_beta = beta.event(&ap_id).await.expect("beta stores the event row");
    assert_eq!(event_on_beta.starts_at, event.event.starts_at);
    assert_eq!(event_on_beta.ends_at, event.event.ends_at);
    assert_eq!(event_on_beta.timezone, "Europe/Tirane");
    assert_eq!(event_on_beta.start_local, "2099-12-10T18:00");
    assert_eq!(
        event_on_beta.place_name.as_deref(),
        Some("Tirana Youth Center")
    );
    assert_eq!(event_on_beta.country.as_deref(), Some("AL"));
    assert_eq!(event_on_beta.latitude, Some(41.3275));
    assert_eq!(
        event_on_beta.online_url.as_deref(),
        Some("https://meet.example/forum")
    );
    assert_eq!(event_on_beta.capacity, Some(80));
    // The description as typed (sent as `source`), not the readable content.
    assert_eq!(event_on_beta.description, "Come and talk about #water.");
    assert_eq!(
        event_on_beta.category.as_deref(),
        Some("MOVEMENTS_POLITICS")
    );

    // The id serves the Event by content negotiation, to a signed GET (here
    // beta's instance actor's: authorized fetch is on).
    let reader = beta.instance_actor_row().await;
    let document: Value = crate::common::signed_get(&reader, &ap_id)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["type"], "Event");
    assert_eq!(document["location"]["address"]["type"], "PostalAddress");
    // The outbox lists its Create with the event's fields, as sent.
    let outbox: Value = crate::common::signed_get(
        &reader,
        &format!("{}/users/ngo/outbox?page=true", alpha.base_url()),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let listed = outbox["orderedItems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["object"]["id"] == ap_id.as_str())
        .expect("the event is in the outbox");
    assert_eq!(listed["object"]["type"], "Event");
    assert_eq!(listed["object"]["startTime"], "2099-12-10T17:00:00Z");
    assert_eq!(listed["object"]["timezone"], "Europe/Tirane");
    if snapshot {
        let domains = [(alpha.domain.as_str(), "kuvend.test")];
        insta::assert_json_snapshot!("event", stable(&document, event.post.id, &domains));
        insta::assert_json_snapshot!("create_event", stable(&create, event.post.id, &domains));
    }

    // The client API shows it as a status whose content is the readable form.
    kuvend::service::auth::create_user(
        alpha.ctx(),
        "staff@ngo.example",
        "correct horse battery",
        Some(("ngo", "editor")),
    )
    .await
    .unwrap();
    let api = Api::login(
        &alpha.base_url(),
        "staff@ngo.example",
        "correct horse battery",
    )
    .await;
    let (status, json) = api
        .get(&format!("/api/v1/statuses/{}", event.post.id))
        .await;
    assert_eq!(status, 200, "{json}");
    let content = json["content"].as_str().unwrap();
    assert!(content.starts_with("<p>Forum on water<br>Thursday, 10 December 2099, 18:00–20:00 (Europe/Tirane)<br>Place: Tirana Youth Center"), "{content}");
    let (_, home) = api.get("/api/v1/timelines/home").await;
    let status_id = event.post.id.to_string();
    assert!(
        home.as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == status_id.as_str()),
        "{home}"
    );

    // A text edit would make the content disagree with the fields.
    let edit = kuvend::service::posts::edit_post(&alpha.data(), &ap_id, "Something else")
        .await
        .unwrap_err();
    assert!(
        edit.to_string().contains("kuvend admin event update"),
        "{edit}"
    );

    // An update arrives as Update{Event}.
    let change = EventInput {
        place: Some("City Hall".into()),
        ..EventInput::default()
    };
    let updated = events::update_event(&alpha.data(), &acting, &ap_id, change)
        .await
        .unwrap();
    let update_id = format!(
        "{ap_id}#updates/{}",
        updated.post.edited_at.unwrap().and_utc().timestamp_millis()
    );
    let update = alpha.sent_activity(&update_id).await;
    assert_eq!(update["type"], "Update");
    assert_eq!(update["object"]["location"]["name"], "City Hall");
    eventually("beta sees the new place", WAIT, || async {
        beta.post(&ap_id)
            .await
            .is_some_and(|p| p.content.contains("City Hall"))
    })
    .await;
    assert_eq!(
        beta.event(&ap_id).await.unwrap().place_name.as_deref(),
        Some("City Hall")
    );

    // A cancellation is an Update whose status says so, not a Delete.
    let cancelled = events::cancel_event(&alpha.data(), &acting, &ap_id, Some("storm".into()))
        .await
        .unwrap();
    let cancel_id = format!(
        "{ap_id}#updates/{}",
        cancelled
            .post
            .edited_at
            .unwrap()
            .and_utc()
            .timestamp_millis()
    );
    let cancel = alpha.sent_activity(&cancel_id).await;
    assert_eq!(cancel["type"], "Update");
    assert_eq!(
        cancel["object"]["eventStatus"],
        "https://schema.org/EventCancelled"
    );
    assert_eq!(cancel["object"]["ical:status"], "CANCELLED");
    assert_eq!(
        alpha.delivery_inboxes(&cancel_id).await,
        vec![beta_inbox.clone()]
    );
    eventually("beta sees the cancellation", WAIT, || async {
        beta.post(&ap_id)
            .await
            .is_some_and(|p| p.content.contains("CANCELLED: storm"))
    })
    .await;
    assert_eq!(beta.event(&ap_id).await.unwrap().status, "cancelled");

    // A followers-only event goes to followers only, addressed to them.
    let mut private = input("Members' assembly", "2099-12-20T10:00", "Europe/Tirane");
    private.visibility = Some("followers".into());
    let private = events::create_event(&alpha.data(), &acting, private)
        .await
        .unwrap();
    let private_create = format!("{}/activity", private.post.ap_id);
    assert_eq!(
        alpha.delivery_inboxes(&private_create).await,
        vec![beta_inbox.clone()]
    );
    let sent = alpha.sent_activity(&private_create).await;
    assert_eq!(
        sent["to"],
        serde_json::json!([ngo.followers_url.clone().unwrap()])
    );
    assert!(!sent.to_string().contains("#Public"), "{sent}");
    let anonymous = client()
        .get(&private.post.ap_id)
        .header("accept", AP)
        .send()
        .await
        .unwrap();
    // Unsigned: authorized fetch answers before visibility is asked.
    assert_eq!(anonymous.status().as_u16(), 401);
    eventually("beta stores the followers-only event", WAIT, || async {
        beta.post(&private.post.ap_id)
            .await
            .is_some_and(|p| p.visibility == "followers")
    })
    .await;
    assert!(gamma.post(&private.post.ap_id).await.is_none());
    assert!(gamma.post(&ap_id).await.is_none());

    // Deletion arrives as Delete.
    events::delete_event(alpha.ctx(), &acting, &ap_id)
        .await
        .unwrap();
    assert_eq!(
        alpha.delivery_inboxes(&format!("{ap_id}#delete")).await,
        vec![beta_inbox]
    );
    eventually("beta deletes the event", WAIT, || async {
        beta.post(&ap_id)
            .await
            .is_some_and(|p| p.deleted_at.is_some())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_federate_sqlite_to_postgres() {
    if available(
        "events_federate_sqlite_to_postgres",
        &[Backend::Sqlite, Backend::Postgres],
    ) {
        events_scenario(Backend::Sqlite, Backend::Postgres, true).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_federate_postgres_to_sqlite() {
    if available(
        "events_federate_postgres_to_sqlite",
        &[Backend::Sqlite, Backend::Postgres],
    ) {
        events_scenario(Backend::Postgres, Backend::Sqlite, true).await;
    }
}

/// Events in three zones list in the order they happen, not by wall time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_in_three_zones_are_listed_in_the_order_they_happen() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "events_in_three_zones_are_listed_in_the_order_they_happen",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let ngo = alpha.create_org("ngo", false).await;
        let acting = Acting::admin(ngo.clone());
        // 09:00 in Auckland (20:00 UTC the day before), 10:00 in Tirane
        // (09:00 UTC), 08:00 in New York (13:00 UTC).
        for (name, start, zone) in [
            ("New York", "2099-12-10T08:00", "America/New_York"),
            ("Tirane", "2099-12-10T10:00", "Europe/Tirane"),
            ("Auckland", "2099-12-10T09:00", "Pacific/Auckland"),
        ] {
            events::create_event(&alpha.data(), &acting, input(name, start, zone))
                .await
                .unwrap();
        }
        let listed: Vec<String> = events::list_events(alpha.ctx(), &ngo, false, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.event.name)
            .collect();
        assert_eq!(listed, ["Auckland", "Tirane", "New York"], "{backend:?}");
    }
}
