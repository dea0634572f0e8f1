//! Joining events through the client APIs (issue 12 item 5): kuvend's
//! `/api/v1/kuvend/events/:id/join|leave`, Rebased's
//! `/api/v1/pleroma/events/:id/join|leave` with Rebased's status codes and
//! error bodies, `joined_events` with its `state` filter and paging, the
//! viewer's `join_state` in both entities; and the command line refusing
//! an unknown event.

use crate::common::{Api, Backend, TestInstance, client, temp_dir};
use crate::on_both_databases;
use kuvend::service::{
    acting::Acting,
    auth,
    events::{self, EventInput},
    participation::{self, Decision},
};
use serde_json::{Value, json};
use std::process::Command;

const PASSWORD: &str = "correct horse battery";

/// A public event of `org`; its status id.
async fn event(
    instance: &TestInstance,
    org: &kuvend::storage::models::ActorRow,
    name: &str,
    mode: &str,
    capacity: Option<i64>,
) -> String {
    let input = EventInput {
        name: Some(name.into()),
        start: Some("2099-03-10T18:00".into()),
        timezone: Some("Europe/Tirane".into()),
        join_mode: Some(mode.into()),
        capacity,
        ..EventInput::default()
    };
    events::create_event(&instance.data(), &Acting::admin(org.clone()), input)
        .await
        .unwrap()
        .post
        .id
        .to_string()
}

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| s["pleroma"]["event"]["name"].as_str().unwrap().to_string())
        .collect()
}

async fn join_and_leave_through_both_apis(backend: Backend) {
    let dir = temp_dir();
    let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let host = kuvend.create_org("host", false).await;
    let one = kuvend.create_org("one", false).await;
    kuvend.create_org("two", false).await;
    for (email, org) in [
        ("staff@host.example", "host"),
        ("staff@one.example", "one"),
        ("staff@two.example", "two"),
    ] {
        auth::create_user(kuvend.ctx(), email, PASSWORD, Some((org, "editor")))
            .await
            .unwrap();
    }
    let base = kuvend.base_url();
    let host_api = Api::login(&base, "staff@host.example", PASSWORD).await;
    let api = Api::login(&base, "staff@one.example", PASSWORD).await;
    let two_api = Api::login(&base, "staff@two.example", PASSWORD).await;
    let reader = Api::login_with_scope(&base, "staff@one.example", PASSWORD, "read").await;

    let free = event(&kuvend, &host, "Free forum", "free", Some(1)).await;
    let restricted = event(&kuvend, &host, "Closed workshop", "restricted", None).await;
    let declined = event(&kuvend, &host, "Board meeting", "restricted", None).await;

    // Not joined yet: no join state in either entity.
    let (status, shown) = api.get(&format!("/api/v1/kuvend/events/{free}")).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["join_state"], Value::Null);
    assert_eq!(
        shown["status"]["pleroma"]["event"]["join_state"],
        Value::Null
    );

    // kuvend's API, with a JSON body: going at once on a free event.
    let (status, joined) = api
        .post(
            &format!("/api/v1/kuvend/events/{free}/join"),
            json!({"participation_message": "We bring <b>chairs</b>"}),
        )
        .await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["id"], free.as_str());
    assert_eq!(joined["join_state"], "going");
    assert_eq!(joined["participants_count"], 1);
    assert_eq!(joined["status"]["pleroma"]["event"]["join_state"], "accept");
    let listed =
        participation::participants(kuvend.ctx(), &Acting::admin(host.clone()), &free, None)
            .await
            .unwrap();
    assert_eq!(listed[0].row.message.as_deref(), Some("We bring chairs"));

    // Full now: the second organisation waits; Rebased calls that pending.
    let (status, waiting) = two_api
        .post(&format!("/api/v1/kuvend/events/{free}/join"), json!({}))
        .await;
    assert_eq!(status, 200, "{waiting}");
    assert_eq!(waiting["join_state"], "waitlisted");
    assert_eq!(
        waiting["status"]["pleroma"]["event"]["join_state"],
        "pending"
    );

    // Rebased's API, with a form body: a status answers, pending.
    let response = client()
        .post(format!("{base}/api/v1/pleroma/events/{restricted}/join"))
        .bearer_auth(&api.token)
        .form(&[("participation_message", "May we come?")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let status_json: Value = response.json().await.unwrap();
    assert_eq!(status_json["id"], restricted.as_str());
    assert_eq!(status_json["pleroma"]["event"]["join_state"], "pending");

    // Declined by the host: reject.
    let (status, _) = api
        .post(
            &format!("/api/v1/pleroma/events/{declined}/join"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let one_on = kuvend.actor(&one.ap_id).await.unwrap();
    participation::decide(
        kuvend.ctx(),
        &Acting::admin(host.clone()),
        &declined,
        &one_on.ap_id,
        Decision::Reject,
    )
    .await
    .unwrap();
    let (_, shown) = api.get(&format!("/api/v1/pleroma/events/{declined}")).await;
    assert_eq!(shown["pleroma"]["event"]["join_state"], "reject");
    // Someone else sees no join state of one's.
    let (_, shown) = host_api
        .get(&format!("/api/v1/pleroma/events/{declined}"))
        .await;
    assert_eq!(shown["pleroma"]["event"]["join_state"], Value::Null);

    // joined_events: newest join first, filtered by Rebased's states.
    let (status, all) = api.get("/api/v1/pleroma/events/joined_events").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        names(&all),
        ["Board meeting", "Closed workshop", "Free forum"]
    );
    for (state, expected) in [
        ("accept", "Free forum"),
        ("pending", "Closed workshop"),
        ("reject", "Board meeting"),
    ] {
        let (status, list) = reader
            .get(&format!(
                "/api/v1/pleroma/events/joined_events?state={state}"
            ))
            .await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(names(&list), [expected], "state={state}");
    }
    let (_, waiting_list) = two_api
        .get("/api/v1/pleroma/events/joined_events?state=pending")
        .await;
    assert_eq!(
        names(&waiting_list),
        ["Free forum"],
        "waitlisted is pending"
    );
    let (status, error) = api
        .get("/api/v1/pleroma/events/joined_events?state=maybe")
        .await;
    assert_eq!(status, 400, "{error}");
    // Paging: one per page, the Link header leads to the next.
    let response = client()
        .get(format!(
            "{base}/api/v1/pleroma/events/joined_events?limit=1"
        ))
        .bearer_auth(&api.token)
        .send()
        .await
        .unwrap();
    let link = response.headers()["link"].to_str().unwrap().to_string();
    let first: Value = response.json().await.unwrap();
    assert_eq!(names(&first), ["Board meeting"]);
    let next = link
        .split(['<', '>'])
        .nth(1)
        .unwrap()
        .trim_start_matches(base.as_str())
        .to_string();
    let (_, second) = api.get(&format!("{next}&limit=1")).await;
    assert_eq!(names(&second), ["Closed workshop"], "{link}");

    // Rebased's errors.
    let (status, error) = host_api
        .post(&format!("/api/v1/pleroma/events/{free}/join"), json!({}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(error, json!({"error": "Can't join your own event"}));
    let (status, error) = host_api
        .post(&format!("/api/v1/kuvend/events/{free}/join"), json!({}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(error, json!({"error": "Can't join your own event"}));
    let (status, error) = host_api
        .post(&format!("/api/v1/pleroma/events/{free}/leave"), json!({}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(error, json!({"error": "Not participating in the event"}));
    for path in [
        "/api/v1/pleroma/events/999999/join",
        "/api/v1/pleroma/events/999999/leave",
        "/api/v1/kuvend/events/999999/join",
    ] {
        let (status, error) = api.post(path, json!({})).await;
        assert_eq!(status, 404, "{path} {error}");
        assert!(error["error"].is_string(), "{error}");
    }
    // A token that may only read cannot join.
    let (status, _) = reader
        .post(
            &format!("/api/v1/kuvend/events/{restricted}/join"),
            json!({}),
        )
        .await;
    assert_eq!(status, 403);

    // Leaving: kuvend's API gives the place to the waiting organisation.
    let (status, left) = api
        .post(&format!("/api/v1/kuvend/events/{free}/leave"), json!({}))
        .await;
    assert_eq!(status, 200, "{left}");
    assert_eq!(left["join_state"], Value::Null);
    assert_eq!(
        left["status"]["pleroma"]["event"]["join_state"],
        Value::Null
    );
    let (_, promoted) = two_api.get(&format!("/api/v1/kuvend/events/{free}")).await;
    assert_eq!(promoted["join_state"], "going");
    assert_eq!(promoted["participants_count"], 1);
    // Rebased's leave answers with the status.
    let (status, left) = api
        .post(
            &format!("/api/v1/pleroma/events/{restricted}/leave"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{left}");
    assert_eq!(left["pleroma"]["event"]["join_state"], Value::Null);
    let (_, all) = api.get("/api/v1/pleroma/events/joined_events").await;
    assert_eq!(names(&all), ["Board meeting"], "left events are not listed");
}

on_both_databases!(
    join_and_leave_through_both_apis,
    join_and_leave_through_both_apis_sqlite,
    join_and_leave_through_both_apis_postgres
);

/// `kuvend admin event join` of an event that does not exist: exit 1, one
/// line on stderr, and no participation stored.
#[test]
fn cli_join_of_an_unknown_event_fails_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let kuvend = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kuvend"))
            .current_dir(dir.path())
            .env(
                "KUVEND_DATABASE__URL",
                format!("sqlite://{}/k.db", dir.path().display()),
            )
            .env("KUVEND_INSTANCE__DOMAIN", "cso.example")
            .args(args)
            .output()
            .unwrap()
    };
    for org in ["host", "ngo"] {
        let out = kuvend(&["admin", "org", "create", org, "--name", org]);
        assert!(out.status.success(), "{out:?}");
    }
    let out = kuvend(&[
        "admin",
        "event",
        "create",
        "host",
        "--name",
        "Forum",
        "--start",
        "2099-12-10T18:00",
        "--timezone",
        "Europe/Tirane",
    ]);
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8_lossy(&out.stdout).trim().to_string();
    for unknown in ["999999", "https://cso.example/events/999999"] {
        let out = kuvend(&["admin", "event", "join", "ngo", unknown]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    // Nothing stored: the real event has no participant, and leaving the
    // unknown event finds nothing either.
    let out = kuvend(&["admin", "event", "participants", &page]);
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    let out = kuvend(&["admin", "event", "leave", "ngo", "999999"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
}
