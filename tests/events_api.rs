//! The client API for events (issue 11, item 3) over real HTTP: kuvend's own
//! `/api/v1/kuvend/events` and Rebased's `/api/v1/pleroma/events` (what
//! pl-api, pl-fe and Soapbox call), their scopes, their refusals, the
//! visibility rule for readers, the `.ics` file and what `/api/v2/instance`
//! advertises.

use crate::common::{Api, Backend, TestInstance, available, client, temp_dir};
use kuvend::service::{auth, events};
use kuvend::storage::models::ActorRow;
use reqwest::Method;
use serde_json::{Value, json};

/// An instance with the organisation `ngo` and its editor logged in.
async fn setup(backend: Backend, dir: &std::path::Path) -> (TestInstance, ActorRow, Api) {
    let alpha = TestInstance::start("alpha.test", backend, dir).await;
    let ngo = alpha.create_org("ngo", false).await;
    auth::create_user(
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
    (alpha, ngo, api)
}

/// Every event of `ngo`, upcoming and past, straight from the service.
async fn stored_events(alpha: &TestInstance, ngo: &ActorRow) -> usize {
    let upcoming = events::list_events(alpha.ctx(), ngo, false, 100)
        .await
        .unwrap();
    let past = events::list_events(alpha.ctx(), ngo, true, 100)
        .await
        .unwrap();
    upcoming.len() + past.len()
}

fn forum() -> Value {
    json!({
        "name": "Forum on water",
        "description": "Bring a friend. #water",
        "start": "2099-12-10T18:00",
        "end": "2099-12-10T20:00",
        "timezone": "Europe/Tirane",
        "place": "Tirana Youth Center",
        "address": "Rruga e Durrësit 5",
        "locality": "Tirana",
        "country": "AL",
        "latitude": 41.3275,
        "longitude": 19.8187,
        "capacity": 80,
        "category": "COMMUNITY",
        "language": "en"
    })
}

async fn events_api_scenario(backend: Backend) {
    let dir = temp_dir();
    let (alpha, ngo, api) = setup(backend, dir.path()).await;

    // Create (JSON).
    let (status, created) = api.post("/api/v1/kuvend/events", forum()).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["name"], "Forum on water");
    assert_eq!(created["start_time"], "2099-12-10T17:00:00.000Z");
    assert_eq!(created["end_time"], "2099-12-10T19:00:00.000Z");
    assert_eq!(created["start_local"], "2099-12-10T18:00");
    assert_eq!(created["timezone"], "Europe/Tirane");
    assert_eq!(created["location"]["name"], "Tirana Youth Center");
    assert_eq!(created["location"]["street"], "Rruga e Durrësit 5");
    assert_eq!(created["location"]["latitude"], 41.3275);
    assert_eq!(created["capacity"], 80);
    assert_eq!(created["category"], "COMMUNITY");
    assert_eq!(created["event_status"], "scheduled");
    assert_eq!(created["visibility"], "public");
    assert_eq!(created["join_mode"], "free");
    assert_eq!(created["status"]["id"], id.as_str());
    assert!(
        created["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/@ngo/{id}")),
        "{created}"
    );
    let content = created["status"]["content"].as_str().unwrap();
    assert!(
        content.contains("Thursday, 10 December 2099, 18:00–20:00 (Europe/Tirane)"),
        "{content}"
    );

    // Create (form body), followers only, online.
    let response = client()
        .post(format!("{}/api/v1/kuvend/events", alpha.base_url()))
        .bearer_auth(&api.token)
        .form(&[
            ("name", "Members' call"),
            ("start", "2099-11-01T10:00"),
            ("timezone", "America/New_York"),
            ("online_url", "https://meet.example/ngo"),
            ("visibility", "followers"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let call: Value = response.json().await.unwrap();
    assert_eq!(call["visibility"], "followers");
    assert_eq!(call["status"]["visibility"], "private");
    assert_eq!(call["online_url"], "https://meet.example/ngo");
    assert!(call["location"].is_null(), "{call}");

    // Show, and the same post as a status (with Rebased's event attribute).
    let (status, shown) = api.get(&format!("/api/v1/kuvend/events/{id}")).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["name"], "Forum on water");
    let (status, as_status) = api.get(&format!("/api/v1/statuses/{id}")).await;
    assert_eq!(status, 200, "{as_status}");
    assert_eq!(as_status["pleroma"]["event"]["name"], "Forum on water");
    assert!(
        as_status["content"]
            .as_str()
            .unwrap()
            .contains("Place: Tirana Youth Center")
    );
    // A plain post carries no event.
    let (_, note) = api
        .post("/api/v1/statuses", json!({"status": "hello"}))
        .await;
    assert!(note.get("pleroma").is_none(), "{note}");

    // The own list: upcoming soonest first (the call is in November).
    let (status, listed) = api.get("/api/v1/kuvend/events").await;
    assert_eq!(status, 200, "{listed}");
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Members' call", "Forum on water"]);
    let (_, past) = api.get("/api/v1/kuvend/events?past=true").await;
    assert_eq!(past, json!([]));
    // The home timeline shows the event as a status.
    let (_, home) = api.get("/api/v1/timelines/home").await;
    assert!(
        home.as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == id.as_str() && s["pleroma"]["event"]["name"] == "Forum on water"),
        "{home}"
    );

    // Update: a new start reschedules it and keeps the previous start.
    let (status, updated) = api
        .send(
            Method::PUT,
            &format!("/api/v1/kuvend/events/{id}"),
            Some(json!({"start": "2099-12-11T18:00", "end": "2099-12-11T20:00"})),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["event_status"], "rescheduled");
    assert_eq!(updated["start_time"], "2099-12-11T17:00:00.000Z");
    assert_eq!(updated["previous_start_time"], "2099-12-10T17:00:00.000Z");
    assert_eq!(updated["location"]["name"], "Tirana Youth Center");

    // Cancel with a reason; postpone.
    let (status, cancelled) = api
        .post(
            &format!("/api/v1/kuvend/events/{id}/cancel"),
            json!({"reason": "storm warning"}),
        )
        .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["event_status"], "cancelled");
    assert_eq!(cancelled["status_reason"], "storm warning");
    assert!(
        cancelled["status"]["content"]
            .as_str()
            .unwrap()
            .contains("storm warning")
    );
    let call_id = call["id"].as_str().unwrap();
    let (status, postponed) = api
        .post(
            &format!("/api/v1/kuvend/events/{call_id}/postpone"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{postponed}");
    assert_eq!(postponed["event_status"], "postponed");
    assert_eq!(postponed["previous_start_time"], "2099-11-01T15:00:00.000Z");

    // Moved online: refused for an event without an online link (nothing
    // changes), done for one with a link, given or already there.
    let (status, body) = api
        .post(
            &format!("/api/v1/kuvend/events/{id}/move_online"),
            json!({}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("online URL"),
        "{body}"
    );
    let (_, unchanged) = api.get(&format!("/api/v1/kuvend/events/{id}")).await;
    assert_ne!(unchanged["event_status"], "moved-online");
    let (status, moved) = api
        .post(
            &format!("/api/v1/kuvend/events/{call_id}/move_online"),
            json!({"online_url": "https://meet.example/call", "reason": "the hall is closed"}),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(moved["event_status"], "moved-online");
    assert_eq!(moved["online_url"], "https://meet.example/call");
    let content = moved["status"]["content"].as_str().unwrap();
    assert!(
        content.contains("MOVED ONLINE: the hall is closed"),
        "{content}"
    );
    assert!(content.contains("https://meet.example/call"), "{content}");

    // Delete: gone from the API and the list.
    let (status, deleted) = api
        .send(Method::DELETE, &format!("/api/v1/kuvend/events/{id}"), None)
        .await;
    assert_eq!(status, 200, "{deleted}");
    assert_eq!(deleted["name"], "Forum on water");
    let (status, _) = api.get(&format!("/api/v1/kuvend/events/{id}")).await;
    assert_eq!(status, 404);
    let (status, _) = api
        .send(Method::DELETE, &format!("/api/v1/kuvend/events/{id}"), None)
        .await;
    assert_eq!(status, 404);
    let (_, listed) = api.get("/api/v1/kuvend/events").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(stored_events(&alpha, &ngo).await, 1);

    // A post that is not an event is not found as one.
    let note_id = note["id"].as_str().unwrap();
    let (status, body) = api.get(&format!("/api/v1/kuvend/events/{note_id}")).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn events_api_creates_shows_lists_updates_cancels_postpones_and_deletes() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if available(
            "events_api_creates_shows_lists_updates_cancels_postpones_and_deletes",
            &[backend],
        ) {
            events_api_scenario(backend).await;
        }
    }
}

/// A token that may only read cannot write events through either API, and
/// nothing is stored; nor can it change an existing one.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn token_without_write_events_scope_cannot_create_or_change_events() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "token_without_write_events_scope_cannot_create_or_change_events",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let (alpha, ngo, writer) = setup(backend, dir.path()).await;
        let reader = Api::login_with_scope(
            &alpha.base_url(),
            "staff@ngo.example",
            "correct horse battery",
            "read",
        )
        .await;
        let (status, body) = reader.post("/api/v1/kuvend/events", forum()).await;
        assert_eq!(status, 403, "{body}");
        assert!(
            body["error"].as_str().unwrap().contains("write:events"),
            "{body}"
        );
        let (status, body) = reader
            .post(
                "/api/v1/pleroma/events",
                json!({"name": "X", "start_time": "2099-12-10T17:00:00Z"}),
            )
            .await;
        assert_eq!(status, 403, "{body}");
        // write:statuses is not write:events.
        let statuses_only = Api::login_with_scope(
            &alpha.base_url(),
            "staff@ngo.example",
            "correct horse battery",
            "read write:statuses",
        )
        .await;
        let (status, _) = statuses_only.post("/api/v1/kuvend/events", forum()).await;
        assert_eq!(status, 403);
        assert_eq!(stored_events(&alpha, &ngo).await, 0);

        // An event made with the right scope cannot be cancelled with `read`.
        let (_, created) = writer.post("/api/v1/kuvend/events", forum()).await;
        let id = created["id"].as_str().unwrap();
        let (status, _) = reader
            .post(&format!("/api/v1/kuvend/events/{id}/cancel"), json!({}))
            .await;
        assert_eq!(status, 403);
        let (status, _) = reader
            .send(Method::DELETE, &format!("/api/v1/kuvend/events/{id}"), None)
            .await;
        assert_eq!(status, 403);
        let (_, shown) = reader.get(&format!("/api/v1/kuvend/events/{id}")).await;
        assert_eq!(shown["event_status"], "scheduled");
        // Without any token, writing is 401.
        let response = client()
            .post(format!("{}/api/v1/kuvend/events", alpha.base_url()))
            .json(&forum())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(stored_events(&alpha, &ngo).await, 1);
    }
}

/// Input the rules refuse is a 422 that says why, and nothing is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_event_input_is_refused_with_a_reason_and_nothing_stored() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "bad_event_input_is_refused_with_a_reason_and_nothing_stored",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let (alpha, ngo, api) = setup(backend, dir.path()).await;
        let with = |changes: Value| {
            let mut body = forum();
            for (k, v) in changes.as_object().unwrap() {
                body[k] = v.clone();
            }
            body
        };
        for (body, reason) in [
            (with(json!({"end": "2099-12-10T17:00"})), "end"),
            (with(json!({"timezone": "Mars/Olympus_Mons"})), "time zone"),
            // Clocks go forward at 02:00 on 29 March 2099 in Tirane.
            (
                with(json!({"start": "2099-03-29T02:30", "end": null})),
                "does not exist",
            ),
            (with(json!({"capacity": "many"})), "capacity"),
            (with(json!({"longitude": null})), "latitude"),
            (with(json!({"visibility": "direct"})), "visibility"),
            (json!({"start": "2099-12-10T18:00"}), "name"),
        ] {
            let (status, answer) = api.post("/api/v1/kuvend/events", body.clone()).await;
            assert_eq!(status, 422, "{body} -> {answer}");
            let error = answer["error"].as_str().unwrap_or_default();
            assert!(error.contains(reason), "{body} -> {error}");
        }
        // Rebased's API refuses what it cannot honour.
        for (body, reason) in [
            (
                json!({"name": "X", "start_time": "2099-12-10T17:00:00Z", "location_id": "osm:123"}),
                "location_id",
            ),
            (
                json!({"name": "X", "start_time": "2099-12-10T17:00:00Z", "end_time": "2099-12-10T16:00:00Z"}),
                "end",
            ),
        ] {
            let (status, answer) = api.post("/api/v1/pleroma/events", body.clone()).await;
            assert_eq!(status, 422, "{body} -> {answer}");
            let error = answer["error"].as_str().unwrap_or_default();
            assert!(error.contains(reason), "{body} -> {error}");
        }
        assert_eq!(stored_events(&alpha, &ngo).await, 0);

        // An update that breaks a rule leaves the event as it was.
        let (_, created) = api.post("/api/v1/kuvend/events", forum()).await;
        let id = created["id"].as_str().unwrap();
        let (status, answer) = api
            .send(
                Method::PUT,
                &format!("/api/v1/kuvend/events/{id}"),
                Some(json!({"end": "2099-12-09T10:00"})),
            )
            .await;
        assert_eq!(status, 422, "{answer}");
        let (_, shown) = api.get(&format!("/api/v1/kuvend/events/{id}")).await;
        assert_eq!(shown["end_local"], "2099-12-10T20:00");
        assert_eq!(shown["event_status"], "scheduled");
    }
}

/// `/api/v1/kuvend/accounts/:id/events` follows the one visibility rule: a
/// reader without a token sees public events, not followers-only ones; the
/// organisation sees both.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn anonymous_reader_sees_public_events_but_not_followers_only_ones() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "anonymous_reader_sees_public_events_but_not_followers_only_ones",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let (alpha, ngo, api) = setup(backend, dir.path()).await;
        let (_, public) = api.post("/api/v1/kuvend/events", forum()).await;
        let mut secret = forum();
        secret["name"] = json!("Members only");
        secret["visibility"] = json!("followers");
        let (status, secret) = api.post("/api/v1/kuvend/events", secret).await;
        assert_eq!(status, 200, "{secret}");
        let path = format!(
            "{}/api/v1/kuvend/accounts/{}/events?upcoming=true",
            alpha.base_url(),
            ngo.id
        );
        let anonymous: Value = client()
            .get(&path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let names: Vec<&str> = anonymous
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["Forum on water"], "{anonymous}");
        // Nor by id, through either API, nor its calendar file.
        let secret_id = secret["id"].as_str().unwrap();
        for path in [
            format!("/api/v1/kuvend/events/{secret_id}"),
            format!("/api/v1/pleroma/events/{secret_id}"),
            format!("/api/v1/pleroma/events/{secret_id}/ics"),
            format!("/api/v1/statuses/{secret_id}"),
        ] {
            let response = client()
                .get(format!("{}{path}", alpha.base_url()))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 404, "{path}");
        }
        // The organisation's own token sees both.
        let (_, own) = api
            .get(&format!(
                "/api/v1/kuvend/accounts/{}/events?upcoming=true",
                ngo.id
            ))
            .await;
        assert_eq!(own.as_array().unwrap().len(), 2, "{own}");
        let (status, _) = api.get(&format!("/api/v1/kuvend/events/{secret_id}")).await;
        assert_eq!(status, 200);
        assert_eq!(public["visibility"], "public");
    }
}

/// Rebased's endpoints as pl-api calls them: create with instants, show,
/// edit, and the `.ics` file with the organiser's zone; `/api/v2/instance`
/// turns pl-api's `events` feature on.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rebased_events_api_creates_shows_edits_and_exports_ics() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if !available(
            "rebased_events_api_creates_shows_edits_and_exports_ics",
            &[backend],
        ) {
            continue;
        }
        let dir = temp_dir();
        let (alpha, _ngo, api) = setup(backend, dir.path()).await;

        // pl-api: features.events = instance.api_versions['events.pleroma.pl-api'] >= 1
        let instance: Value = client()
            .get(format!("{}/api/v2/instance", alpha.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            instance["api_versions"]["events.pleroma.pl-api"]
                .as_i64()
                .unwrap()
                >= 1,
            "{instance}"
        );
        assert_eq!(instance["api_versions"]["mastodon"], 2);

        // pl-api's CreateEventParams, plus kuvend's zone and place.
        let (status, created) = api
            .post(
                "/api/v1/pleroma/events",
                json!({
                    "name": "Training: budgets",
                    "status": "For treasurers, volunteers welcome.",
                    "start_time": "2099-12-10T17:00:00.000Z",
                    "end_time": "2099-12-10T19:30:00.000Z",
                    "join_mode": "restricted",
                    "timezone": "Europe/Tirane",
                    "place": "Hall A",
                    "locality": "Tirana",
                    "country": "AL",
                    "content_type": "text/plain"
                }),
            )
            .await;
        assert_eq!(status, 200, "{created}");
        let id = created["id"].as_str().unwrap().to_string();
        let event = &created["pleroma"]["event"];
        assert_eq!(event["name"], "Training: budgets");
        assert_eq!(event["start_time"], "2099-12-10T17:00:00.000Z");
        assert_eq!(event["end_time"], "2099-12-10T19:30:00.000Z");
        assert_eq!(event["join_mode"], "restricted");
        assert_eq!(event["participants_count"], 0);
        assert_eq!(event["location"]["name"], "Hall A");
        assert_eq!(event["location"]["locality"], "Tirana");
        assert_eq!(event["location"]["country"], "AL");
        assert!(event["join_state"].is_null());
        assert!(
            created["content"]
                .as_str()
                .unwrap()
                .contains("18:00–20:30 (Europe/Tirane)"),
            "{created}"
        );
        // The kuvend view of it keeps the wall times in the zone given.
        let (_, ours) = api.get(&format!("/api/v1/kuvend/events/{id}")).await;
        assert_eq!(ours["start_local"], "2099-12-10T18:00");
        assert_eq!(ours["description"], "For treasurers, volunteers welcome.");

        // Show, as a token and without one.
        let (status, shown) = api.get(&format!("/api/v1/pleroma/events/{id}")).await;
        assert_eq!(status, 200, "{shown}");
        assert_eq!(shown["id"], id.as_str());
        assert_eq!(shown["pleroma"]["event"]["name"], "Training: budgets");
        let anonymous = client()
            .get(format!("{}/api/v1/pleroma/events/{id}", alpha.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 200);

        // Edit: an instant is read in the event's own zone.
        let (status, edited) = api
            .send(
                Method::PUT,
                &format!("/api/v1/pleroma/events/{id}"),
                Some(
                    json!({"name": "Training: budgets, part 2; bring laptops", "start_time": "2099-12-10T16:00:00Z", "status": "For treasurers.\r\nX-INJECTED:1\rDTSTART:19990101T000000Z"}),
                ),
            )
            .await;
        assert_eq!(status, 200, "{edited}");
        assert_eq!(
            edited["pleroma"]["event"]["name"],
            "Training: budgets, part 2; bring laptops"
        );
        assert_eq!(
            edited["pleroma"]["event"]["start_time"],
            "2099-12-10T16:00:00.000Z"
        );
        let (_, ours) = api.get(&format!("/api/v1/kuvend/events/{id}")).await;
        assert_eq!(ours["start_local"], "2099-12-10T17:00");
        assert_eq!(ours["timezone"], "Europe/Tirane");
        assert_eq!(ours["event_status"], "rescheduled");

        // Without a zone, Rebased's instants are kept in UTC.
        let (status, utc) = api
            .post(
                "/api/v1/pleroma/events",
                json!({"name": "Call", "start_time": "2099-12-12T09:00:00Z"}),
            )
            .await;
        assert_eq!(status, 200, "{utc}");
        let (_, ours) = api
            .get(&format!(
                "/api/v1/kuvend/events/{}",
                utc["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(ours["timezone"], "UTC");
        assert_eq!(ours["start_local"], "2099-12-12T09:00");

        // The calendar file.
        let response = client()
            .get(format!(
                "{}/api/v1/pleroma/events/{id}/ics",
                alpha.base_url()
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/calendar")
        );
        let text = response.text().await.unwrap();
        let calendar: icalendar::Calendar = text.parse().unwrap();
        let vevent = calendar.events().next().unwrap();
        use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventLike};
        // Commas and semicolons are escaped and come back as written.
        assert_eq!(
            vevent.get_summary(),
            Some("Training: budgets, part 2; bring laptops")
        );
        assert!(
            text.contains("SUMMARY:Training: budgets\\, part 2\\; bring laptops"),
            "{text}"
        );
        let start = vevent.get_start().unwrap();
        // The instant in UTC (17:00 in Tirana in December), as every
        // calendar reads it; see docs/events.md "Calendars and feeds".
        let DatePerhapsTime::DateTime(CalendarDateTime::Utc(date_time)) = start else {
            panic!("DTSTART not in UTC: {text}");
        };
        assert_eq!(date_time.to_string(), "2099-12-10 16:00:00 UTC");
        assert!(text.contains("DTSTART:20991210T160000Z"), "{text}");
        assert_eq!(vevent.get_location(), Some("Hall A, Tirana, AL"));
        assert!(vevent.get_description().unwrap().contains("For treasurers"));
        // A carriage return in the text cannot start a property of its own.
        assert!(
            !text
                .split(['\r', '\n'])
                .any(|line| line.starts_with("X-INJECTED") || line.starts_with("DTSTART:1999")),
            "{text}"
        );

        // What pl-fe's event screens also call answers, empty for now.
        let (status, people) = api
            .get(&format!("/api/v1/pleroma/events/{id}/participations"))
            .await;
        assert_eq!((status, people), (200, json!([])));
        let (status, found) = api.get("/api/v1/pleroma/search/location?q=Tirana").await;
        assert_eq!((status, found), (200, json!([])));
        let (status, joined) = api.get("/api/v1/pleroma/events/joined_events").await;
        assert_eq!((status, joined), (200, json!([])));
        // Rebased also takes form bodies.
        let response = client()
            .post(format!("{}/api/v1/pleroma/events", alpha.base_url()))
            .bearer_auth(&api.token)
            .form(&[
                ("name", "Open day"),
                ("start_time", "2099-12-20T08:00:00Z"),
                ("timezone", "Europe/Tirane"),
                ("latitude", "41.3275"),
                ("longitude", "19.8187"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let open_day: Value = response.json().await.unwrap();
        assert_eq!(
            open_day["pleroma"]["event"]["location"]["latitude"],
            41.3275
        );
        assert_eq!(
            open_day["pleroma"]["event"]["start_time"],
            "2099-12-20T08:00:00.000Z"
        );
        // A post that is not an event is 404 here.
        let (_, note) = api
            .post("/api/v1/statuses", json!({"status": "hello"}))
            .await;
        let note_id = note["id"].as_str().unwrap();
        let (status, _) = api
            .get(&format!("/api/v1/pleroma/events/{note_id}/ics"))
            .await;
        assert_eq!(status, 404);
    }
}
