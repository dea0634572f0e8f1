//! The staff side of RSVPs (issue 12 item 4): a restricted event, a remote
//! Join through the stand-in server, the attendee list shown to the
//! organisation's staff only, approval sending an Accept and rejection a
//! Reject (each embedding the Join), and the command line refusing bad
//! input without changing anything.

use crate::common::{Api, Backend, TestInstance, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::service::{
    ServiceError,
    acting::Acting,
    auth,
    events::{self, EventInput},
    participation::{self, Decision},
};
use serde_json::Value;
use std::process::Command;
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";

async fn state(kuvend: &TestInstance, event: &str, actor: &str) -> Option<String> {
    let post = kuvend.post(event).await?;
    let actor = kuvend.actor(actor).await?;
    let mut conn = kuvend.ctx().db.conn().await.unwrap();
    conn.q()
        .participant_of(post.id, actor.id)
        .await
        .unwrap()
        .map(|p| p.state)
}

async fn answer_to(remote: &Remote, join_id: &str) -> Value {
    let mut found = None;
    eventually("an answer", Duration::from_secs(20), || {
        found = remote
            .received()
            .into_iter()
            .find(|a| a["object"]["id"] == join_id);
        let done = found.is_some();
        async move { done }
    })
    .await;
    found.unwrap()
}

async fn staff_decide(backend: Backend) {
    let dir = temp_dir();
    let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let org = kuvend.create_org("ngo", false).await;
    kuvend.create_org("other", false).await;
    let mut remote = Remote::start("events.test").await;
    let tcit = remote.actor("/@tcit", "Person", None);
    let mk = remote.actor("/users/mkljczk", "Person", None);
    let input = EventInput {
        name: Some("Closed workshop".into()),
        start: Some("2099-12-10T18:00".into()),
        timezone: Some("Europe/Tirane".into()),
        join_mode: Some("restricted".into()),
        ..EventInput::default()
    };
    let view = events::create_event(&kuvend.data(), &Acting::admin(org.clone()), input)
        .await
        .unwrap();
    let event = view.post.ap_id.clone();
    let id = view.post.id.to_string();
    let base = remote.base.clone();
    let fixture = |name: &str| -> Value {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/rsvp/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .replace("{{EVENT}}", &event)
        .replace("{{ORGANISER}}", &org.ap_id)
        .replace("https://mz.example", &base)
        .replace("https://pleroma.example", &base);
        serde_json::from_str(&text).unwrap()
    };
    let join = fixture("mobilizon_join.json");
    let (status, _) = remote.send(&tcit, &org.inbox_url, &join).await;
    assert_eq!(status, 202);
    let rebased = fixture("rebased_join.json");
    let (status, _) = remote.send(&mk, &org.inbox_url, &rebased).await;
    assert_eq!(status, 202);
    assert_eq!(
        state(&kuvend, &event, &tcit).await.as_deref(),
        Some("pending")
    );

    for (email, org_name) in [("staff@ngo.example", "ngo"), ("out@other.example", "other")] {
        auth::create_user(kuvend.ctx(), email, PASSWORD, Some((org_name, "editor")))
            .await
            .unwrap();
    }
    let base_url = kuvend.base_url();
    let staff = Api::login(&base_url, "staff@ngo.example", PASSWORD).await;
    let outsider = Api::login(&base_url, "out@other.example", PASSWORD).await;
    let path = format!("/api/v1/kuvend/events/{id}/participants?state=pending");

    // Staff see the request, with the message.
    let (status, list) = staff.get(&path).await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert!(list.to_string().contains("neighbour"), "{list}");
    let (status, requests) = staff
        .get(&format!(
            "/api/v1/pleroma/events/{id}/participation_requests"
        ))
        .await;
    assert_eq!(status, 200, "{requests}");
    assert_eq!(requests.as_array().unwrap().len(), 2, "{requests}");

    // Staff were told of both requests, with the message, as Rebased
    // shapes it; the other organisation's staff were not.
    let (status, notes) = staff.get("/api/v1/notifications").await;
    assert_eq!(status, 200, "{notes}");
    let requests: Vec<&Value> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "pleroma:participation_request")
        .collect();
    assert_eq!(requests.len(), 2, "{notes}");
    assert!(
        requests.iter().all(|n| n["status"]["id"] == id.as_str()),
        "{notes}"
    );
    assert!(
        requests.iter().any(|n| n["participation_message"]
            .as_str()
            .is_some_and(|m| m.contains("neighbour"))),
        "{notes}"
    );
    let (_, outsider_notes) = outsider.get("/api/v1/notifications").await;
    assert_eq!(
        outsider_notes.as_array().map(Vec::len),
        Some(0),
        "{outsider_notes}"
    );

    // Nobody else does: not another organisation's staff, not anonymously.
    let (status, body) = outsider.get(&path).await;
    assert!(status == 403 || status == 404, "{status} {body}");
    assert!(!body.to_string().contains("tcit"), "{body}");
    let (status, body) = outsider
        .get(&format!(
            "/api/v1/pleroma/events/{id}/participation_requests"
        ))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = outsider
        .get(&format!("/api/v1/pleroma/events/{id}/participations"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body, serde_json::json!([]));
    let anonymous = crate::common::client()
        .get(format!("{base_url}{path}"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert!(!anonymous.text().await.unwrap().contains("tcit"));
    // Nor can they decide.
    let tcit_id = kuvend.actor(&tcit).await.unwrap().id;
    let (status, _) = outsider
        .post(
            &format!("/api/v1/kuvend/events/{id}/participants/{tcit_id}/authorize"),
            serde_json::json!({}),
        )
        .await;
    assert!(status == 403 || status == 404);
    assert_eq!(
        state(&kuvend, &event, &tcit).await.as_deref(),
        Some("pending")
    );

    // Approve: going, the count rises, the Accept embeds the Join.
    let (status, body) = staff
        .post(
            &format!("/api/v1/kuvend/events/{id}/participants/{tcit_id}/authorize"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "going");
    assert_eq!(
        state(&kuvend, &event, &tcit).await.as_deref(),
        Some("going")
    );
    let accept = answer_to(&remote, join["id"].as_str().unwrap()).await;
    assert_eq!(accept["type"], "Accept", "{accept}");
    assert_eq!(accept["actor"], org.ap_id.as_str());
    assert_eq!(accept["object"]["actor"], join["actor"]);
    assert_eq!(accept["to"], serde_json::json!([join["actor"]]));
    let stored = kuvend.post(&event).await.unwrap();
    let mut conn = kuvend.ctx().db.conn().await.unwrap();
    let row = conn.q().event_by_post(stored.id).await.unwrap().unwrap();
    drop(conn);
    assert_eq!(row.participant_count, 1);

    // Reject through Rebased's route: a Reject embedding the Join.
    let mk_id = kuvend.actor(&mk).await.unwrap().id;
    let (status, body) = staff
        .post(
            &format!("/api/v1/pleroma/events/{id}/participation_requests/{mk_id}/reject"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        state(&kuvend, &event, &mk).await.as_deref(),
        Some("rejected")
    );
    let reject = answer_to(&remote, rebased["id"].as_str().unwrap()).await;
    assert_eq!(reject["type"], "Reject", "{reject}");
    assert_eq!(reject["object"]["actor"], rebased["actor"]);

    // The decision sticks: withdrawing and joining again, or "not going"
    // then "going", does not walk round it.
    let undo = fixture("rebased_undo_join.json");
    let (status, _) = remote.send(&mk, &org.inbox_url, &undo).await;
    assert_eq!(status, 202);
    let mut again = rebased.clone();
    again["id"] = format!("{}-again", rebased["id"].as_str().unwrap()).into();
    let (status, _) = remote.send(&mk, &org.inbox_url, &again).await;
    assert_eq!(status, 202);
    let not_going = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{mk}/reject/1"),
        "type": "Reject",
        "actor": mk,
        "object": event,
    });
    let (status, _) = remote.send(&mk, &org.inbox_url, &not_going).await;
    assert_eq!(status, 202);
    let mut going = not_going.clone();
    going["id"] = format!("{mk}/accept/1").into();
    going["type"] = "Accept".into();
    let (status, _) = remote.send(&mk, &org.inbox_url, &going).await;
    assert_eq!(status, 202);
    assert_eq!(
        state(&kuvend, &event, &mk).await.as_deref(),
        Some("rejected")
    );

    // A participant the service does not know: refused, nothing changed.
    let err = participation::decide(
        kuvend.ctx(),
        &Acting::admin(org.clone()),
        &id,
        "nobody@nowhere.test",
        Decision::Reject,
    )
    .await
    .err()
    .unwrap();
    assert!(matches!(err, ServiceError::NotFound(_)), "{err}");
    assert_eq!(
        state(&kuvend, &event, &tcit).await.as_deref(),
        Some("going")
    );
}
on_both_databases!(
    staff_decide,
    staff_list_approve_and_reject_answer_the_join_sqlite,
    staff_list_approve_and_reject_answer_the_join_postgres
);

/// The command line: an unknown event or participant is one line on
/// stderr and exit 1; a bad option is a usage error (exit 2).
#[test]
fn cli_approve_of_an_unknown_participant_fails_cleanly() {
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
    let out = kuvend(&["admin", "org", "create", "ngo", "--name", "NGO"]);
    assert!(out.status.success(), "{out:?}");
    let out = kuvend(&[
        "admin",
        "event",
        "create",
        "ngo",
        "--name",
        "Forum",
        "--start",
        "2099-12-10T18:00",
        "--timezone",
        "Europe/Tirane",
        "--join-mode",
        "restricted",
    ]);
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8_lossy(&out.stdout).trim().to_string();
    for verb in ["approve", "reject"] {
        let out = kuvend(&["admin", "event", verb, &page, "bob@nowhere.test"]);
        assert_eq!(out.status.code(), Some(1), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("bob@nowhere.test"), "{err}");
    }
    let out = kuvend(&["admin", "event", "participants", &page]);
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty());
    let out = kuvend(&[
        "admin",
        "event",
        "participants",
        &page,
        "--pending",
        "--waitlist",
    ]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
