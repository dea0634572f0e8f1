//! Invitations that reach software without invitations, and the states the
//! lead sees (issue 13 item 3): the delivery outcome read back
//! (`delivered`, `undeliverable` with the reason), the poll sent to a
//! Mastodon-shaped invitee and its votes, and unknown software left open.
//! Every scenario runs on SQLite and PostgreSQL, over real HTTP on loopback
//! with a stand-in for the other server.

use crate::common::{Backend, TestInstance, eventually, new_database, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::model::InvitationState;
use kuvend::service::{coalitions, invitations};
use kuvend::storage::coalitions::InvitationRow;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The lead's view of the invitation of `invitee` (ap id): state and row.
async fn sent(
    instance: &TestInstance,
    coalition: &str,
    invitee: &str,
) -> Option<(InvitationState, InvitationRow)> {
    invitations::of_coalition(instance.ctx(), coalition)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, _, who)| who.ap_id == invitee)
        .map(|(state, row, _)| (state, row))
}

async fn state(instance: &TestInstance, coalition: &str, invitee: &str) -> Option<InvitationState> {
    sent(instance, coalition, invitee).await.map(|(s, _)| s)
}

async fn wait_state(
    instance: &TestInstance,
    coalition: &str,
    invitee: &str,
    want: InvitationState,
) {
    eventually(&format!("{invitee} reads {want}"), WAIT, || async {
        state(instance, coalition, invitee).await == Some(want)
    })
    .await;
}

async fn is_member(instance: &TestInstance, coalition: &str, member: &str) -> bool {
    let found = coalitions::coalition(instance.ctx(), coalition)
        .await
        .unwrap();
    coalitions::members(instance.ctx(), &found)
        .await
        .unwrap()
        .iter()
        .any(|(_, who)| who.ap_id == member)
}

/// Serves a NodeInfo 2.1 naming `software`.
fn serve_nodeinfo(remote: &Remote, software: &str) {
    remote.put(
        "/.well-known/nodeinfo",
        json!({ "links": [{
            "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
            "href": remote.url("/nodeinfo/2.1"),
        }]}),
    );
    remote.put(
        "/nodeinfo/2.1",
        json!({
            "version": "2.1",
            "software": { "name": software, "version": "4.3.2" },
            "protocols": ["activitypub"],
            "usage": { "users": { "total": 10 } },
            "openRegistrations": false,
            "metadata": {},
        }),
    );
}

fn of_type(received: &[Value], kind: &str) -> Vec<Value> {
    received
        .iter()
        .filter(|a| a["type"] == kind)
        .cloned()
        .collect()
}

async fn delivered_invite_reads_delivered(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("lead", false).await;
    alpha.create_coalition("climate", "lead", false).await;
    let mut mz = Remote::start("mobilizon.test").await;
    serve_nodeinfo(&mz, "Mobilizon");
    let alice = mz.actor("/@alice", "Person", None);
    invitations::invite(&alpha.data(), "climate", &alice, "lead", None)
        .await
        .unwrap();
    // Mobilizon understands the Invite: the Invite only, then `delivered`.
    wait_state(&alpha, "climate", &alice, InvitationState::Delivered).await;
    let received = mz.received();
    assert_eq!(of_type(&received, "Invite").len(), 1);
    assert!(of_type(&received, "Create").is_empty(), "{received:?}");
    let (_, row) = sent(&alpha, "climate", &alice).await.unwrap();
    assert_eq!(row.reason, "");
    // Still open: it can be revoked.
    invitations::revoke(&alpha.data(), "climate", &alice)
        .await
        .unwrap();
    assert_eq!(
        state(&alpha, "climate", &alice).await,
        Some(InvitationState::Revoked)
    );
}

on_both_databases!(
    delivered_invite_reads_delivered,
    delivered_invite_reads_delivered_sqlite,
    delivered_invite_reads_delivered_postgres
);

async fn inbox_that_keeps_failing_ends_undeliverable(backend: Backend) {
    let dir = temp_dir();
    let db = new_database(backend, dir.path(), "alpha.test").await;
    // No retry window: the first failure is the last (the worker's give-up
    // path, as after 48 hours of 500s).
    let alpha = TestInstance::start_configured("alpha.test", &db, 0, |s| {
        s.federation.delivery_give_up_hours = 0;
    })
    .await;
    alpha.create_org("lead", false).await;
    alpha.create_coalition("climate", "lead", false).await;
    let mut remote = Remote::start("gancio.test").await;
    // Its inbox answers 500 to everything.
    *remote.served.post_status.lock().unwrap() =
        Some(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    let dead = remote.actor("/users/gone", "Person", None);
    invitations::invite(&alpha.data(), "climate", &dead, "lead", None)
        .await
        .unwrap();
    wait_state(&alpha, "climate", &dead, InvitationState::Undeliverable).await;
    let (_, row) = sent(&alpha, "climate", &dead).await.unwrap();
    assert!(
        row.reason == "delivery gave up after 1 attempt: HTTP 500",
        "{}",
        row.reason
    );
    // Final for the lead: it cannot be revoked, and a new one may be sent.
    assert!(
        invitations::revoke(&alpha.data(), "climate", &dead)
            .await
            .is_err()
    );
    invitations::invite(&alpha.data(), "climate", &dead, "lead", None)
        .await
        .unwrap();
    // The listing shows both; the old one undeliverable, with its reason.
    let listed = invitations::of_coalition(alpha.ctx(), "climate")
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1].0, InvitationState::Undeliverable);
    assert_eq!(listed[1].1.reason, row.reason);
}

on_both_databases!(
    inbox_that_keeps_failing_ends_undeliverable,
    inbox_that_keeps_failing_ends_undeliverable_sqlite,
    inbox_that_keeps_failing_ends_undeliverable_postgres
);

/// The `Create{Question}` the invitee `who` received, once it arrived.
async fn poll_sent_to(remote: &Remote, who: &str) -> Value {
    let mut found = None;
    eventually(&format!("{who} gets a poll"), WAIT, || {
        let hit = of_type(&remote.received(), "Create")
            .into_iter()
            .find(|a| a["object"]["type"] == "Question" && a["object"]["to"] == json!([who]));
        let done = hit.is_some();
        if hit.is_some() {
            found = hit;
        }
        async move { done }
    })
    .await;
    found.unwrap()
}

/// A Mastodon vote (`Create{Note{name, inReplyTo}}`) by `voter` on `poll`.
fn vote(voter: &str, poll: &str, option: &str, to: &str, n: u32) -> Value {
    let id = format!("{voter}#votes/{n}");
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": voter,
        "to": [to],
        "object": {
            "id": id,
            "type": "Note",
            "name": option,
            "attributedTo": voter,
            "to": [to],
            "inReplyTo": poll,
        },
    })
}

async fn mastodon_invitee_gets_a_poll_and_a_vote_accepts(backend: Backend) {
    use InvitationState::*;
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let lead = alpha.create_org("lead", false).await;
    let climate = alpha.create_coalition("climate", "lead", false).await;
    let mut masto = Remote::start("mobilizon.test").await;
    serve_nodeinfo(&masto, "mastodon");
    let alice = masto.actor("/users/alice", "Person", None);
    let bob = masto.actor("/users/bob", "Person", None);
    let carol = masto.actor("/users/carol", "Person", None);
    let dave = masto.actor("/users/dave", "Person", None);
    let mallory = masto.actor("/users/mallory", "Person", None);

    invitations::invite(
        &alpha.data(),
        "climate",
        &alice,
        "lead",
        Some("Join us for the climate march"),
    )
    .await
    .unwrap();
    let create = poll_sent_to(&masto, &alice).await;
    let question = &create["object"];
    // The Invite went too (Mastodon drops it, but it costs nothing).
    assert_eq!(of_type(&masto.received(), "Invite").len(), 1);
    assert_eq!(create["actor"], lead.ap_id.as_str());
    assert_eq!(create["to"], json!([alice]));
    assert!(
        question["cc"].as_array().is_none_or(|cc| cc.is_empty()),
        "{question}"
    );
    let names: Vec<&str> = question["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Accept", "Decline"]);
    assert!(
        question["tag"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["type"] == "Mention" && t["href"] == alice.as_str()),
        "{question}"
    );
    let content = question["content"].as_str().unwrap();
    assert!(content.contains("/@climate"), "{content}");
    assert!(content.contains("climate march"), "{content}");
    let poll = question["id"].as_str().unwrap().to_string();
    // Someone else's vote on Alice's poll changes nothing.
    let forged = vote(&mallory, &poll, "Accept", &lead.ap_id, 1);
    let (status, _) = masto.send(&mallory, &lead.inbox_url, &forged).await;
    assert!(status < 300, "{status}");
    assert!(state(&alpha, "climate", &alice).await.unwrap().is_open());
    assert!(!is_member(&alpha, "climate", &mallory).await);
    assert!(!is_member(&alpha, "climate", &alice).await);

    // Alice's own vote for Accept makes her organisation a member.
    let accept = vote(&alice, &poll, "Accept", &lead.ap_id, 1);
    let (status, body) = masto.send(&alice, &lead.inbox_url, &accept).await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(state(&alpha, "climate", &alice).await, Some(Accepted));
    assert!(is_member(&alpha, "climate", &alice).await);

    // Bob votes Decline.
    invitations::invite(&alpha.data(), "climate", &bob, "lead", None)
        .await
        .unwrap();
    let poll = poll_sent_to(&masto, &bob).await["object"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let decline = vote(&bob, &poll, "Decline", &lead.ap_id, 1);
    let (status, _) = masto.send(&bob, &lead.inbox_url, &decline).await;
    assert!(status < 300, "{status}");
    assert_eq!(state(&alpha, "climate", &bob).await, Some(Declined));
    assert!(!is_member(&alpha, "climate", &bob).await);

    // Carol's invitation is revoked; her vote then changes nothing.
    invitations::invite(&alpha.data(), "climate", &carol, "lead", None)
        .await
        .unwrap();
    let poll = poll_sent_to(&masto, &carol).await["object"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    invitations::revoke(&alpha.data(), "climate", &carol)
        .await
        .unwrap();
    let late = vote(&carol, &poll, "Accept", &lead.ap_id, 1);
    let (status, _) = masto.send(&carol, &lead.inbox_url, &late).await;
    assert!(status < 300, "{status}");
    assert_eq!(state(&alpha, "climate", &carol).await, Some(Revoked));
    assert!(!is_member(&alpha, "climate", &carol).await);

    // Dave answers the other way Mastodon can: following the coalition.
    invitations::invite(&alpha.data(), "climate", &dave, "lead", None)
        .await
        .unwrap();
    poll_sent_to(&masto, &dave).await;
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": masto.url("/users/dave#follows/1"),
        "type": "Follow",
        "actor": dave,
        "object": climate.ap_id,
    });
    let (status, _) = masto.send(&dave, &climate.inbox_url, &follow).await;
    assert!(status < 300, "{status}");
    assert_eq!(state(&alpha, "climate", &dave).await, Some(Accepted));
    assert!(is_member(&alpha, "climate", &dave).await);
}

on_both_databases!(
    mastodon_invitee_gets_a_poll_and_a_vote_accepts,
    mastodon_invitee_gets_a_poll_and_a_vote_accepts_sqlite,
    mastodon_invitee_gets_a_poll_and_a_vote_accepts_postgres
);

async fn unknown_software_invitee_stays_pending(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("lead", false).await;
    alpha.create_coalition("climate", "lead", false).await;
    // No NodeInfo at all: the software is unknown.
    let mut remote = Remote::start("gancio.test").await;
    let who = remote.actor("/users/someone", "Person", None);
    invitations::invite(&alpha.data(), "climate", &who, "lead", None)
        .await
        .unwrap();
    // The inbox took the Invite: `delivered` (still open), never
    // `undeliverable` or closed on a guess, and no poll.
    wait_state(&alpha, "climate", &who, InvitationState::Delivered).await;
    assert!(remote.gets().iter().any(|g| g == "/.well-known/nodeinfo"));
    let received = remote.received();
    assert_eq!(of_type(&received, "Invite").len(), 1);
    assert!(of_type(&received, "Create").is_empty(), "{received:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        state(&alpha, "climate", &who).await,
        Some(InvitationState::Delivered)
    );
}

on_both_databases!(
    unknown_software_invitee_stays_pending,
    unknown_software_invitee_stays_pending_sqlite,
    unknown_software_invitee_stays_pending_postgres
);
