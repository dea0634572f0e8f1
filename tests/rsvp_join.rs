//! Our organisations RSVP to other organisers' events (issue 12 item 5),
//! between real kuvend instances over loopback: organisations on beta.test
//! join events of alpha.test, which answers with `Accept`/`Reject` embedding
//! the Join; a stand-in Mobilizon (tests/common/remote.rs) answers the
//! Mobilizon way; and an answer from anyone but the organiser changes
//! nothing.

use crate::common::{Api, Backend, TestInstance, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::{
    model::ParticipantState,
    service::{
        acting::Acting,
        auth,
        events::{self, EventInput},
        joining, participation,
    },
    storage::models::ActorRow,
};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const PASSWORD: &str = "correct horse battery";

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
    // A moderator of the event's own server, who is not its attributedTo
    // (as when a Mobilizon group's moderator approves), and a stranger on
    // another server.
    let moderator = remote.actor("/@moderator", "Person", None);
    let mut elsewhere = Remote::start("gancio.test").await;
    let stranger = elsewhere.actor("/@mallory", "Person", None);
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
    let (status, reply) = elsewhere.send(&stranger, &one.inbox_url, &forged).await;
    assert!(status < 300, "{status} {reply}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        state(&beta, &one, &event_id).await,
        Some(ParticipantState::Pending)
    );

    // The event's server accepts, the Mobilizon way, through a moderator.
    let accept = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {"mz": "https://joinmobilizon.org/ns#"}],
        "id": format!("{}/accept/join/1", remote.base),
        "type": "Accept",
        "actor": moderator,
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
    let (status, reply) = remote.send(&moderator, &one.inbox_url, &accept).await;
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

/// The count and `join_state` an organisation's staff see through the API
/// for `event` (a stored copy on their instance, by its status id).
async fn shown(api: &Api, instance: &TestInstance, event: &str) -> (i64, Value) {
    let post = instance.post(event).await.unwrap();
    let (status, entity) = api.get(&format!("/api/v1/kuvend/events/{}", post.id)).await;
    assert_eq!(status, 200, "{entity}");
    (
        entity["participants_count"].as_i64().unwrap(),
        entity["join_state"].clone(),
    )
}

/// The participantCount of the event's own document on its instance.
/// Signed by `origin`'s instance actor (authorized fetch is on).
async fn origin_count(origin: &TestInstance, event: &str) -> i64 {
    let reader = origin.instance_actor_row().await;
    let doc: Value = crate::common::signed_get(&reader, event)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    doc["participantCount"].as_i64().unwrap()
}

/// Waits until the staff of `instance` see `expected` as the count.
async fn wait_count(what: &str, api: &Api, instance: &TestInstance, event: &str, expected: i64) {
    eventually(what, WAIT, || async {
        shown(api, instance, event).await.0 == expected
    })
    .await;
}

/// The scenario on three real instances: organisations of beta and
/// gamma join a free event of alpha with one place (gamma waits); after
/// each answer the count beta and gamma show through the API is alpha's
/// (beta's copy was fetched before alpha counted it: the refresh after the
/// answer brings it up); beta leaves, gamma is promoted and learns it; a
/// reschedule and a cancellation on alpha reach gamma, which does not
/// follow alpha's organisation.
async fn three_instances_agree_on_a_free_event(backend: Backend) {
    use ParticipantState::*;
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", backend, dir.path()).await;
    let gamma = TestInstance::start("gamma.test", backend, dir.path()).await;
    let host = alpha.create_org("host", false).await;
    let b = beta.create_org("bee", false).await;
    let c = gamma.create_org("sea", false).await;
    auth::create_user(
        beta.ctx(),
        "staff@bee.example",
        PASSWORD,
        Some(("bee", "editor")),
    )
    .await
    .unwrap();
    auth::create_user(
        gamma.ctx(),
        "staff@sea.example",
        PASSWORD,
        Some(("sea", "editor")),
    )
    .await
    .unwrap();
    let beta_api = Api::login(&beta.base_url(), "staff@bee.example", PASSWORD).await;
    let gamma_api = Api::login(&gamma.base_url(), "staff@sea.example", PASSWORD).await;

    let free = event(&alpha, &host, "free", Some(1)).await;
    assert_eq!(origin_count(&alpha, &free).await, 0);

    // Beta joins through Rebased's API, naming the event by its URL (not
    // stored on beta yet: fetched, with alpha's count then, 0).
    let encoded: String = url::form_urlencoded::byte_serialize(free.as_bytes()).collect();
    let (status, joined) = beta_api
        .post(&format!("/api/v1/pleroma/events/{encoded}/join"), json!({}))
        .await;
    assert_eq!(status, 200, "{joined}");
    assert_eq!(joined["pleroma"]["event"]["join_state"], "pending");
    wait_state("beta accepted", &beta, &b, &free, Some(Going)).await;
    assert_eq!(origin_count(&alpha, &free).await, 1);
    wait_count("beta shows alpha's count", &beta_api, &beta, &free, 1).await;
    assert_eq!(shown(&beta_api, &beta, &free).await.1, json!("going"));

    // Gamma joins: no place left, waitlisted on alpha, pending on gamma.
    let gamma_post = {
        joining::join_event(&gamma.data(), &Acting::admin(c.clone()), &free, None)
            .await
            .unwrap()
            .view
            .post
            .id
    };
    let remote_c = one_on(&alpha, &c).await;
    wait_state(
        "alpha waitlists gamma",
        &alpha,
        &remote_c,
        &free,
        Some(Waitlisted),
    )
    .await;
    assert_eq!(
        shown(&gamma_api, &gamma, &free).await,
        (1, json!("pending"))
    );
    assert_eq!(origin_count(&alpha, &free).await, 1);
    assert_eq!(shown(&beta_api, &beta, &free).await.0, 1);

    // Beta leaves through kuvend's API: gamma gets the place and learns it.
    let beta_post = beta.post(&free).await.unwrap().id;
    let (status, left) = beta_api
        .post(
            &format!("/api/v1/kuvend/events/{beta_post}/leave"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{left}");
    assert_eq!(left["join_state"], Value::Null);
    wait_state("gamma promoted", &gamma, &c, &free, Some(Going)).await;
    assert_eq!(origin_count(&alpha, &free).await, 1);
    wait_count("gamma shows alpha's count", &gamma_api, &gamma, &free, 1).await;
    let (_, entity) = gamma_api
        .get(&format!("/api/v1/kuvend/events/{gamma_post}"))
        .await;
    assert_eq!(entity["join_state"], "going");
    assert_eq!(entity["status"]["pleroma"]["event"]["join_state"], "accept");
    let (_, joined_list) = gamma_api
        .get("/api/v1/pleroma/events/joined_events?state=accept")
        .await;
    assert_eq!(joined_list[0]["id"], gamma_post.to_string());

    // Gamma does not follow alpha's organisation, and still hears changes.
    assert_eq!(gamma.follow_state(&c.ap_id, &host.ap_id).await, None);
    events::update_event(
        &alpha.data(),
        &Acting::admin(host.clone()),
        &free,
        EventInput {
            start: Some("2027-03-17T18:00".into()),
            ..EventInput::default()
        },
    )
    .await
    .unwrap();
    eventually("the reschedule reaches gamma", WAIT, || async {
        gamma
            .event(&free)
            .await
            .is_some_and(|e| e.start_local == "2027-03-17T18:00")
    })
    .await;
    events::cancel_event(
        &alpha.data(),
        &Acting::admin(host.clone()),
        &free,
        Some("The hall is closed".into()),
    )
    .await
    .unwrap();
    eventually("the cancellation reaches gamma", WAIT, || async {
        gamma
            .event(&free)
            .await
            .is_some_and(|e| e.status == "cancelled")
    })
    .await;
    let (_, entity) = gamma_api
        .get(&format!("/api/v1/kuvend/events/{gamma_post}"))
        .await;
    assert_eq!(entity["event_status"], "cancelled", "{entity}");
}

on_both_databases!(
    three_instances_agree_on_a_free_event,
    three_instances_agree_on_a_free_event_sqlite,
    three_instances_agree_on_a_free_event_postgres
);
