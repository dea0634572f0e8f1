//! Our organisations RSVP to other organisers' events (issue 12 item 5),
//! between real kuvend instances over loopback: organisations on beta.test
//! join events of alpha.test, which answers with `Accept`/`Reject` embedding
//! the Join; a stand-in Mobilizon (tests/common/remote.rs) answers the
//! Mobilizon way; and an answer from anyone but the organiser changes
//! nothing.

use crate::common::{Backend, TestInstance, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::{
    model::ParticipantState,
    service::{
        acting::Acting,
        events::{self, EventInput},
        joining, participation,
    },
    storage::models::ActorRow,
};
use serde_json::json;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// A public event of `org` on `instance`; returns its id.
async fn event(
    instance: &TestInstance,
    org: &ActorRow,
    mode: &str,
    capacity: Option<i64>,
) -> String {
    let input = EventInput {
        name: Some("Forum on water".into()),
        start: Some("2027-03-10T18:00".into()),
        timezone: Some("Europe/Tirane".into()),
        join_mode: Some(mode.into()),
        capacity,
        ..EventInput::default()
    };
    events::create_event(&instance.data(), &Acting::admin(org.clone()), input)
        .await
        .unwrap()
        .post
        .ap_id
}

/// Where `org` of `instance` stands with `event` as `instance` stores it.
async fn state(instance: &TestInstance, org: &ActorRow, event: &str) -> Option<ParticipantState> {
    let mut conn = instance.ctx().db.conn().await.unwrap();
    let mut q = conn.q();
    let post = q.post_by_ap_id(event).await.unwrap()?;
    q.participant_of(post.id, org.id)
        .await
        .unwrap()
        .map(|row| row.state())
}

/// The id of the Join `org` sent (stored with its participation).
async fn join_id(instance: &TestInstance, org: &ActorRow, event: &str) -> String {
    let mut conn = instance.ctx().db.conn().await.unwrap();
    let mut q = conn.q();
    let post = q.post_by_ap_id(event).await.unwrap().unwrap();
    q.participant_of(post.id, org.id)
        .await
        .unwrap()
        .unwrap()
        .activity_ap_id
}

async fn count(instance: &TestInstance, event: &str) -> i64 {
    let mut conn = instance.ctx().db.conn().await.unwrap();
    let mut q = conn.q();
    let post = q.post_by_ap_id(event).await.unwrap().unwrap();
    q.event_by_post(post.id)
        .await
        .unwrap()
        .unwrap()
        .participant_count
}

async fn wait_state(
    what: &str,
    instance: &TestInstance,
    org: &ActorRow,
    event: &str,
    expected: Option<ParticipantState>,
) {
    eventually(what, WAIT, || async {
        state(instance, org, event).await == expected
    })
    .await;
}

async fn join(instance: &TestInstance, org: &ActorRow, event: &str) -> joining::Joined {
    joining::join_event(
        &instance.data(),
        &Acting::admin(org.clone()),
        event,
        Some("We would like to come".into()),
    )
    .await
    .unwrap()
}

async fn leave(instance: &TestInstance, org: &ActorRow, event: &str) {
    joining::leave_event(&instance.data(), &Acting::admin(org.clone()), event)
        .await
        .unwrap();
}

/// Free, full and restricted events of alpha, joined by organisations of
/// beta: alpha decides, beta learns it from alpha's Accept.
async fn organisations_join_events_of_another_instance(backend: Backend) {
    use ParticipantState::*;
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", backend, dir.path()).await;
    let host = alpha.create_org("host", false).await;
    let one = beta.create_org("one", false).await;
    let two = beta.create_org("two", false).await;

    // Free, one place.
    let free = event(&alpha, &host, "free", Some(1)).await;
    let joined = join(&beta, &one, &free).await;
    assert_eq!(joined.state, Some(Pending), "pending until alpha answers");
    let remote_one = one_on(&alpha, &one).await;
    wait_state(
        "alpha has one going",
        &alpha,
        &remote_one,
        &free,
        Some(Going),
    )
    .await;
    wait_state("beta sees one accepted", &beta, &one, &free, Some(Going)).await;
    assert_eq!(count(&alpha, &free).await, 1);
    let listed =
        participation::participants(alpha.ctx(), &Acting::admin(host.clone()), &free, None)
            .await
            .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].actor.id, remote_one.id);
    assert_eq!(
        listed[0].row.message.as_deref(),
        Some("We would like to come"),
        "the participation message travels"
    );

    // Full: the second organisation waits, pending on beta.
    join(&beta, &two, &free).await;
    let remote_two = one_on(&alpha, &two).await;
    wait_state(
        "alpha waitlists two",
        &alpha,
        &remote_two,
        &free,
        Some(Waitlisted),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(state(&beta, &two, &free).await, Some(Pending));

    // The first leaves: its place goes to the second, who gets its Accept.
    leave(&beta, &one, &free).await;
    assert_eq!(state(&beta, &one, &free).await, Some(NotGoing));
    wait_state("alpha drops one", &alpha, &remote_one, &free, None).await;
    wait_state(
        "alpha promotes two",
        &alpha,
        &remote_two,
        &free,
        Some(Going),
    )
    .await;
    wait_state("beta sees two accepted", &beta, &two, &free, Some(Going)).await;
    assert_eq!(count(&alpha, &free).await, 1);

    // Restricted: pending on both until alpha's staff approve.
    let restricted = event(&alpha, &host, "restricted", None).await;
    join(&beta, &one, &restricted).await;
    wait_state(
        "alpha holds the request",
        &alpha,
        &remote_one,
        &restricted,
        Some(Pending),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(state(&beta, &one, &restricted).await, Some(Pending));
    participation::decide(
        alpha.ctx(),
        &Acting::admin(host.clone()),
        &restricted,
        &remote_one.ap_id,
        participation::Decision::Approve,
    )
    .await
    .unwrap();
    wait_state(
        "beta sees the approval",
        &beta,
        &one,
        &restricted,
        Some(Going),
    )
    .await;
    assert_eq!(count(&alpha, &restricted).await, 1);

    // Declined: alpha's Reject reaches beta.
    join(&beta, &two, &restricted).await;
    wait_state(
        "alpha holds two's request",
        &alpha,
        &remote_two,
        &restricted,
        Some(Pending),
    )
    .await;
    participation::decide(
        alpha.ctx(),
        &Acting::admin(host.clone()),
        &restricted,
        &remote_two.ap_id,
        participation::Decision::Reject,
    )
    .await
    .unwrap();
    wait_state(
        "beta sees the refusal",
        &beta,
        &two,
        &restricted,
        Some(Rejected),
    )
    .await;

    // Joining one's own event is refused.
    let own = joining::join_event(&alpha.data(), &Acting::admin(host.clone()), &free, None).await;
    assert!(
        matches!(&own, Err(kuvend::service::ServiceError::Unprocessable(m)) if m == "Can't join your own event"),
        "{:?}",
        own.err()
    );
}

/// `org` of another instance as `instance` stored it.
async fn one_on(instance: &TestInstance, org: &ActorRow) -> ActorRow {
    eventually("the remote organisation is known", WAIT, || async {
        let mut conn = instance.ctx().db.conn().await.unwrap();
        conn.q().actor_by_ap_id(&org.ap_id).await.unwrap().is_some()
    })
    .await;
    let mut conn = instance.ctx().db.conn().await.unwrap();
    conn.q().actor_by_ap_id(&org.ap_id).await.unwrap().unwrap()
}

on_both_databases!(
    organisations_join_events_of_another_instance,
    organisations_join_events_of_another_instance_sqlite,
    organisations_join_events_of_another_instance_postgres
);

/// A stand-in Mobilizon serves a restricted event: our Join reaches its
/// organiser in Mobilizon's shape, a `Reject` from someone else changes
/// nothing, and the organiser's Mobilizon-shaped `Accept` (the Join
/// embedded) makes us going. The remote count is never recounted here.
async fn forged_reject_is_ignored_and_mobilizon_accept_counts(backend: Backend) {
    let dir = temp_dir();
    let beta = TestInstance::start("beta.test", backend, dir.path()).await;
    let one = beta.create_org("one", false).await;
    let mut remote = Remote::start("mobilizon.test").await;
    let organiser = remote.actor("/@tcit", "Person", None);
    let stranger = remote.actor("/@mallory", "Person", None);
    let created = remote.fixture("mobilizon/create_event.json", "mobilizon.example");
    let object = created["object"].clone();
    let event_id = object["id"].as_str().unwrap().to_string();
    let path = event_id.trim_start_matches(&remote.base).to_string();
    remote.put(&path, object.clone());

    let joined = joining::join_event(
        &beta.data(),
        &Acting::admin(one.clone()),
        &event_id,
        Some("<b>Hello</b>".into()),
    )
    .await
    .unwrap();
    assert_eq!(joined.state, Some(ParticipantState::Pending));
    let remote_count = joined.view.event.participant_count;
    eventually("the Join reaches the organiser", WAIT, || {
        let got = remote.received().iter().any(|a| a["type"] == "Join");
        async move { got }
    })
    .await;
    let join = remote
        .received()
        .into_iter()
        .find(|a| a["type"] == "Join")
        .unwrap();
    assert_eq!(join["actor"], one.ap_id.as_str());
    assert_eq!(join["object"], event_id.as_str());
    assert_eq!(join["participationMessage"], "Hello");
    assert_eq!(join["to"], json!([organiser]));
    assert_eq!(join["cc"], json!([]));
    let id = join_id(&beta, &one, &event_id).await;
    assert_eq!(join["id"], id.as_str());

    // Someone who is not the organiser rejects our Join: nothing changes.
    let forged = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{stranger}/reject/1"),
        "type": "Reject",
        "actor": stranger,
        "object": id,
    });
    let (status, reply) = remote.send(&stranger, &one.inbox_url, &forged).await;
    assert!(status < 300, "{status} {reply}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        state(&beta, &one, &event_id).await,
        Some(ParticipantState::Pending)
    );

    // The organiser accepts, the Mobilizon way.
    let accept = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {"mz": "https://joinmobilizon.org/ns#"}],
        "id": format!("{}/accept/join/1", remote.base),
        "type": "Accept",
        "actor": organiser,
        "object": {
            "type": "Join",
            "id": id,
            "actor": one.ap_id,
            "object": event_id,
            "participationMessage": "Hello",
        },
        "to": [one.ap_id, organiser],
        "cc": [],
    });
    let (status, reply) = remote.send(&organiser, &one.inbox_url, &accept).await;
    assert!(status < 300, "{status} {reply}");
    wait_state(
        "accepted",
        &beta,
        &one,
        &event_id,
        Some(ParticipantState::Going),
    )
    .await;
    assert_eq!(
        count(&beta, &event_id).await,
        remote_count,
        "a remote event's count is its organiser's"
    );

    // Leaving sends Mobilizon a Leave of the event.
    leave(&beta, &one, &event_id).await;
    eventually("the Leave reaches the organiser", WAIT, || {
        let got = remote
            .received()
            .iter()
            .any(|a| a["type"] == "Leave" && a["object"] == event_id.as_str());
        async move { got }
    })
    .await;
    // A late Accept does not bring us back.
    let late = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/accept/join/2", remote.base),
        "type": "Accept",
        "actor": organiser,
        "object": id,
    });
    remote.send(&organiser, &one.inbox_url, &late).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        state(&beta, &one, &event_id).await,
        Some(ParticipantState::NotGoing)
    );
}

on_both_databases!(
    forged_reject_is_ignored_and_mobilizon_accept_counts,
    forged_reject_is_ignored_and_mobilizon_accept_counts_sqlite,
    forged_reject_is_ignored_and_mobilizon_accept_counts_postgres
);
