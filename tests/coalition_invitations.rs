//! Invitations to coalitions (issue 13 item 2): three real instances
//! inviting, accepting, declining and revoking; Mobilizon's and
//! Smithereen's shapes through a stand-in server; command-line refusals.
//! Every scenario runs on SQLite and PostgreSQL.

use crate::common::cli_refused as refused;
use crate::common::kuvend_cli as kuvend;
use crate::common::remote::filled;
use crate::common::{Backend, TestInstance, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::model::InvitationState;
use kuvend::service::{coalitions, invitations};
use kuvend::storage::models::ActorRow;
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The state of the invitation `instance` holds for `invitee` (ap id),
/// seen from the coalition's side when `coalition` is local there.
async fn sent_state(
    instance: &TestInstance,
    coalition: &str,
    invitee: &str,
) -> Option<InvitationState> {
    invitations::of_coalition(instance.ctx(), coalition)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, _, who)| who.ap_id == invitee)
        .map(|(state, _, _)| state)
}

/// The state of the invitation `org` received from `coalition` (ap id).
async fn received_state(
    instance: &TestInstance,
    org: &str,
    coalition: &str,
) -> Option<InvitationState> {
    invitations::of_org(instance.ctx(), org)
        .await
        .unwrap()
        .into_iter()
        .find(|(_, _, group)| group.ap_id == coalition)
        .map(|(state, _, _)| state)
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

/// The deliveries of `Accept`s `instance` queued, in `state` if given.
async fn accepts_queued(
    instance: &TestInstance,
    state: Option<kuvend::model::DeliveryState>,
) -> Vec<i64> {
    let mut conn = instance.ctx().db.conn().await.unwrap();
    conn.q()
        .list_deliveries(state, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.activity_kind == "Accept")
        .map(|d| d.delivery.id)
        .collect()
}

async fn wait_received(
    instance: &TestInstance,
    org: &str,
    coalition: &str,
    state: InvitationState,
) {
    eventually(&format!("{org} sees {state}"), WAIT, || async {
        received_state(instance, org, coalition).await == Some(state)
    })
    .await;
}

async fn wait_sent(
    instance: &TestInstance,
    coalition: &str,
    invitee: &str,
    state: InvitationState,
) {
    eventually(
        &format!("{coalition} sees {invitee} {state}"),
        WAIT,
        || async { sent_state(instance, coalition, invitee).await == Some(state) },
    )
    .await;
}

async fn three_instances_agree_on_invitations(backend: Backend) {
    use InvitationState::*;
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", backend, dir.path()).await;
    let gamma = TestInstance::start("gamma.test", backend, dir.path()).await;
    alpha.create_org("lead", false).await;
    let climate = alpha.create_coalition("climate", "lead", false).await;
    let bee = beta.create_org("bee", false).await;
    let bee2 = beta.create_org("bee2", false).await;
    let sea = gamma.create_org("sea", false).await;
    let sea2 = gamma.create_org("sea2", false).await;

    for org in [&bee, &sea, &bee2, &sea2] {
        invitations::invite(
            &alpha.data(),
            "climate",
            &org.ap_id,
            "lead",
            Some("Join us"),
        )
        .await
        .unwrap();
    }
    wait_received(&beta, "bee", &climate.ap_id, Pending).await;
    wait_received(&gamma, "sea", &climate.ap_id, Pending).await;
    wait_received(&beta, "bee2", &climate.ap_id, Pending).await;
    wait_received(&gamma, "sea2", &climate.ap_id, Pending).await;
    let listed = invitations::of_org(beta.ctx(), "bee").await.unwrap();
    assert_eq!(listed[0].1.message, "Join us");

    // B accepts, C declines: all three agree.
    invitations::answer(&beta.data(), "bee", &climate.ap_id, true)
        .await
        .unwrap();
    invitations::answer(&gamma.data(), "sea", &climate.ap_id, false)
        .await
        .unwrap();
    wait_sent(&alpha, "climate", &bee.ap_id, Accepted).await;
    wait_sent(&alpha, "climate", &sea.ap_id, Declined).await;
    assert!(is_member(&alpha, "climate", &bee.ap_id).await);
    assert!(!is_member(&alpha, "climate", &sea.ap_id).await);
    assert_eq!(
        received_state(&beta, "bee", &climate.ap_id).await,
        Some(Accepted)
    );
    assert_eq!(
        received_state(&gamma, "sea", &climate.ap_id).await,
        Some(Declined)
    );

    // A real revoke reaches the invitee, which can then no longer accept.
    invitations::revoke(&alpha.data(), "climate", &sea2.ap_id)
        .await
        .unwrap();
    assert_eq!(
        sent_state(&alpha, "climate", &sea2.ap_id).await,
        Some(Revoked)
    );
    wait_received(&gamma, "sea2", &climate.ap_id, Revoked).await;
    assert!(
        invitations::answer(&gamma.data(), "sea2", &climate.ap_id, true)
            .await
            .is_err()
    );

    // A revoke whose Undo the invitee never heard (Mobilizon ignores
    // Undo{Invite}): its late Accept is refused on A.
    {
        let mut conn = alpha.ctx().db.conn().await.unwrap();
        let row = conn
            .q()
            .invitations_of_coalition(climate.id)
            .await
            .unwrap()
            .into_iter()
            .find(|(_, who)| who.ap_id == bee2.ap_id)
            .unwrap()
            .0;
        assert!(
            conn.q()
                .close_invitation(row.id, Revoked, "")
                .await
                .unwrap()
        );
    }
    let earlier = accepts_queued(&beta, None).await;
    invitations::answer(&beta.data(), "bee2", &climate.ap_id, true)
        .await
        .unwrap();
    // A answered B2's Accept with a 2xx: it was heard (then refused).
    eventually("B2's Accept delivered to A", WAIT, || async {
        accepts_queued(&beta, Some(kuvend::model::DeliveryState::Delivered))
            .await
            .iter()
            .any(|id| !earlier.contains(id))
    })
    .await;
    assert_eq!(
        sent_state(&alpha, "climate", &bee2.ap_id).await,
        Some(Revoked)
    );
    assert!(!is_member(&alpha, "climate", &bee2.ap_id).await);
    // A tells B2 with a Remove, so B stops counting itself a member too.
    eventually("B2 is no member on B either", WAIT, || async {
        !member_on(&beta, &climate.ap_id, &bee2).await
    })
    .await;
}

/// Whether `instance` records `member` in the (remote) coalition `coalition`.
async fn member_on(instance: &TestInstance, coalition: &str, member: &ActorRow) -> bool {
    let mut conn = instance.ctx().db.conn().await.unwrap();
    let Some(group) = conn.q().actor_by_ap_id(coalition).await.unwrap() else {
        return false;
    };
    conn.q()
        .coalition_membership(group.id, member.id)
        .await
        .unwrap()
        .is_some()
}

on_both_databases!(
    three_instances_agree_on_invitations,
    three_instances_agree_on_invitations_sqlite,
    three_instances_agree_on_invitations_postgres
);

async fn mobilizon_and_smithereen_shapes(backend: Backend) {
    use InvitationState::*;
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let lead = alpha.create_org("lead", false).await;
    let climate = alpha.create_coalition("climate", "lead", false).await;
    let mut mz = Remote::start("mobilizon.test").await;
    let alice = mz.actor("/@alice", "Person", None);
    let bob = mz.actor("/@bob", "Person", None);
    let mallory = mz.actor("/@mallory", "Person", None);

    let (alice_invite, _) = invitations::invite(&alpha.data(), "climate", &alice, "lead", None)
        .await
        .unwrap();
    let (bob_invite, _) = invitations::invite(&alpha.data(), "climate", &bob, "lead", None)
        .await
        .unwrap();
    // The Invite arrives in Mobilizon's shape, its id the Member URL.
    eventually("alice gets the Invite", WAIT, || async {
        mz.received().iter().any(|a| {
            a["type"] == "Invite"
                && a["id"] == alice_invite.ap_id.as_str()
                && a["target"] == alice.as_str()
                && a["to"] == serde_json::json!([alice])
                && a["object"] == climate.ap_id.as_str()
        })
    })
    .await;
    // The Member URL is fetchable, as Mobilizon does (signed: authorized
    // fetch is on).
    let member: Value = crate::common::signed_get(&lead, &alice_invite.ap_id)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(member["type"], "Member");
    assert_eq!(member["role"], "invited");
    assert_eq!(member["actor"], alice.as_str());

    let pairs = |who: &str| {
        vec![
            ("INVITE", who.to_string()),
            ("COALITION", climate.ap_id.clone()),
            ("INVITER", lead.ap_id.clone()),
            ("MEMBERS", format!("{}/members", climate.ap_id)),
        ]
    };
    let fill = |value: Value, id: &str| {
        let owned = pairs(id);
        let borrowed: Vec<(&str, &str)> = owned.iter().map(|(a, b)| (*a, b.as_str())).collect();
        filled(value, &borrowed)
    };

    // Mallory's Accept of Alice's invitation is ignored.
    let accept = fill(
        mz.fixture("coalitions/mobilizon-accept-member.json", "mz.example"),
        &alice_invite.ap_id,
    );
    let mut forged = accept.clone();
    forged["id"] = Value::from(mz.url("/accept/invite/member/99"));
    forged["actor"] = Value::from(mallory.as_str());
    forged["object"]["actor"] = Value::from(mallory.as_str());
    let (status, _) = mz.send(&mallory, &climate.inbox_url, &forged).await;
    assert!(status < 300, "{status}");
    // Still open (`delivered` once Mobilizon's inbox took the Invite).
    assert!(
        sent_state(&alpha, "climate", &alice)
            .await
            .is_some_and(|s| s.is_open())
    );
    assert!(!is_member(&alpha, "climate", &mallory).await);

    // Alice's own Accept{Member} makes her a member.
    let (status, body) = mz.send(&alice, &climate.inbox_url, &accept).await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(sent_state(&alpha, "climate", &alice).await, Some(Accepted));
    assert!(is_member(&alpha, "climate", &alice).await);

    // Bob's Reject with the Invite id as a string.
    let reject = fill(
        mz.fixture("coalitions/mobilizon-reject.json", "mz.example"),
        &bob_invite.ap_id,
    );
    let (status, _) = mz.send(&bob, &lead.inbox_url, &reject).await;
    assert!(status < 300, "{status}");
    assert_eq!(sent_state(&alpha, "climate", &bob).await, Some(Declined));
    assert!(!is_member(&alpha, "climate", &bob).await);

    // A plain AS2 Accept naming the Invite by id.
    let carol = mz.actor("/@carol", "Person", None);
    let (carol_invite, _) = invitations::invite(&alpha.data(), "climate", &carol, "lead", None)
        .await
        .unwrap();
    let plain = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Accept",
        "id": mz.url("/activities/accept-carol"),
        "actor": carol,
        "object": carol_invite.ap_id,
    });
    let (status, _) = mz.send(&carol, &climate.inbox_url, &plain).await;
    assert!(status < 300, "{status}");
    assert_eq!(sent_state(&alpha, "climate", &carol).await, Some(Accepted));
    assert!(is_member(&alpha, "climate", &carol).await);

    // Smithereen's Invite{Group} (no target, one `to`) for our organisation.
    // A Smithereen stand-in, on one of the harness's loopback names.
    let mut sm = Remote::start("events.test").await;
    let group = sm.actor("/groups/5", "Group", None);
    let inviter = sm.actor("/users/1", "Person", None);
    let invite = filled(
        sm.fixture("coalitions/smithereen-invite.json", "sm.example"),
        &[("INVITEE", lead.ap_id.as_str())],
    );
    let (status, body) = sm.send(&inviter, &lead.inbox_url, &invite).await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(received_state(&alpha, "lead", &group).await, Some(Pending));
}

on_both_databases!(
    mobilizon_and_smithereen_shapes,
    mobilizon_and_smithereen_shapes_sqlite,
    mobilizon_and_smithereen_shapes_postgres
);

async fn invitation_cli_refusals_store_nothing(backend: Backend) {
    let dir = temp_dir();
    let db = crate::common::new_database(backend, dir.path(), "cli").await;
    let ok = |args: &[&str]| {
        let out = kuvend(&db, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    ok(&["admin", "org", "create", "ngo", "--name", "Our NGO"]);
    ok(&["admin", "org", "create", "other", "--name", "Other"]);
    ok(&["admin", "org", "create", "third", "--name", "Third"]);
    ok(&[
        "admin",
        "coalition",
        "create",
        "climate",
        "--name",
        "Climate",
        "--by",
        "ngo",
    ]);
    ok(&[
        "admin",
        "coalition",
        "create",
        "water",
        "--name",
        "Water",
        "--by",
        "other",
    ]);

    refused(
        &db,
        &[
            "admin",
            "coalition",
            "invite",
            "climate",
            "third",
            "--by",
            "other",
        ],
        "not an admin",
    );
    refused(
        &db,
        &[
            "admin",
            "coalition",
            "invite",
            "climate",
            "ngo",
            "--by",
            "ngo",
        ],
        "already a member",
    );
    refused(
        &db,
        &[
            "admin",
            "coalition",
            "invite",
            "climate",
            "water",
            "--by",
            "ngo",
        ],
        "not an organisation",
    );
    let listed = ok(&["admin", "coalition", "invitations", "climate"]);
    assert_eq!(listed.trim(), "", "nothing stored: {listed}");

    ok(&[
        "admin",
        "coalition",
        "invite",
        "climate",
        "other",
        "--by",
        "ngo",
        "--message",
        "Hi",
    ]);
    refused(
        &db,
        &[
            "admin",
            "coalition",
            "invite",
            "climate",
            "other",
            "--by",
            "ngo",
        ],
        "already has an open invitation",
    );
    let listed = ok(&["admin", "coalition", "invitations", "climate"]);
    assert_eq!(listed.trim().lines().count(), 1, "{listed}");
    assert!(listed.contains("\tpending\t"), "{listed}");
    let received = ok(&["admin", "invitations", "other"]);
    assert!(
        received.contains("climate@cso.example\tpending\tHi"),
        "{received}"
    );

    // A local invitee accepts directly; then it is a member.
    ok(&["admin", "invitations", "accept", "other", "climate"]);
    let show = ok(&["admin", "coalition", "show", "climate"]);
    assert!(show.contains("@other@cso.example\tmember"), "{show}");
    refused(
        &db,
        &["admin", "invitations", "decline", "other", "climate"],
        "no open invitation",
    );
    refused(
        &db,
        &["admin", "coalition", "revoke", "climate", "other"],
        "no open invitation",
    );
}

on_both_databases!(
    invitation_cli_refusals_store_nothing,
    invitation_cli_refusals_store_nothing_sqlite,
    invitation_cli_refusals_store_nothing_postgres
);

/// Invites received for our organisation: Mobilizon's shape is stored; an
/// Invite in a group's name from a server that is not the group's, and an
/// Undo by anyone but the inviter or the group, change nothing.
async fn received_invites_are_believed_only_from_the_groups_server(backend: Backend) {
    use InvitationState::*;
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    let mut mz = Remote::start("mobilizon.test").await;
    let group = mz.actor("/@coalition", "Group", None);
    let bob = mz.actor("/@bob", "Person", None);
    let mut elsewhere = Remote::start("events.test").await;
    let mallory = elsewhere.actor("/@mallory", "Person", None);

    // Mallory invites us in the name of the Mobilizon group.
    let forged = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Invite",
        "id": elsewhere.url("/invites/1"),
        "actor": mallory,
        "object": group,
        "target": ngo.ap_id,
        "to": [ngo.ap_id],
    });
    let (status, _) = elsewhere.send(&mallory, &ngo.inbox_url, &forged).await;
    assert!(status < 300, "{status}");
    assert_eq!(received_state(&alpha, "ngo", &group).await, None);

    // Bob, on the group's own server, invites us as Mobilizon does (target,
    // two-entry `to`): stored, pending.
    let invite = filled(
        mz.fixture("coalitions/mobilizon-invite.json", "mz.example"),
        &[("INVITEE", ngo.ap_id.as_str())],
    );
    let (status, body) = mz.send(&bob, &ngo.inbox_url, &invite).await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(received_state(&alpha, "ngo", &group).await, Some(Pending));

    // Mallory's Undo of it is ignored; Bob's withdraws it.
    let undo = |actor: &str, id: String| {
        serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Undo",
            "id": id,
            "actor": actor,
            "object": invite.clone(),
        })
    };
    let (status, _) = elsewhere
        .send(
            &mallory,
            &ngo.inbox_url,
            &undo(&mallory, elsewhere.url("/undo/1")),
        )
        .await;
    assert!(status < 300, "{status}");
    assert_eq!(received_state(&alpha, "ngo", &group).await, Some(Pending));
    let (status, _) = mz
        .send(&bob, &ngo.inbox_url, &undo(&bob, mz.url("/undo/1")))
        .await;
    assert!(status < 300, "{status}");
    assert_eq!(received_state(&alpha, "ngo", &group).await, Some(Revoked));

    // The group invites again, then once more with a new id (its Undo of
    // the first lost): the newer one is the open one.
    let again = |n: &str| {
        let mut invite = invite.clone();
        invite["id"] = Value::from(mz.url(&format!("/member/{n}")));
        invite
    };
    for n in ["second", "third"] {
        let (status, _) = mz.send(&bob, &ngo.inbox_url, &again(n)).await;
        assert!(status < 300, "{status}");
    }
    let open: Vec<_> = invitations::of_org(alpha.ctx(), "ngo")
        .await
        .unwrap()
        .into_iter()
        .filter(|(state, _, _)| state.is_open())
        .map(|(_, row, _)| row.ap_id)
        .collect();
    assert_eq!(open, vec![mz.url("/member/third")]);

    // We accept; the group's Undo crossed our Accept: the membership we
    // recorded is void.
    invitations::answer(&alpha.data(), "ngo", &group, true)
        .await
        .unwrap();
    assert!(member_on(&alpha, &group, &ngo).await);
    let mut crossed = undo(&bob, mz.url("/undo/3"));
    crossed["object"] = again("third");
    let (status, _) = mz.send(&bob, &ngo.inbox_url, &crossed).await;
    assert!(status < 300, "{status}");
    assert_eq!(received_state(&alpha, "ngo", &group).await, Some(Revoked));
    assert!(!member_on(&alpha, &group, &ngo).await);
}

on_both_databases!(
    received_invites_are_believed_only_from_the_groups_server,
    received_invites_are_believed_only_from_the_groups_server_sqlite,
    received_invites_are_believed_only_from_the_groups_server_postgres
);

/// A `Join` by an invitee accepts; a `Join` by someone not invited makes no
/// member. A `Follow` by an invitee accepts only where the invitee's
/// software cannot answer an Invite itself (Mastodon); from software that
/// can (kuvend), following stays following and the invitation stays open.
async fn join_or_follow_by_an_invitee(backend: Backend) {
    use InvitationState::*;
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("lead", false).await;
    let climate = alpha.create_coalition("climate", "lead", false).await;
    let mut mz = Remote::start("mobilizon.test").await;
    let alice = mz.actor("/@alice", "Person", None);
    let bob = mz.actor("/@bob", "Person", None);
    invitations::invite(&alpha.data(), "climate", &alice, "lead", None)
        .await
        .unwrap();
    // An organisation of this instance is notified as for a remote Invite.
    let neighbour = alpha.create_org("neighbour", false).await;
    invitations::invite(&alpha.data(), "climate", "neighbour", "lead", None)
        .await
        .unwrap();
    let notified = {
        let mut conn = alpha.ctx().db.conn().await.unwrap();
        conn.q()
            .notifications(
                neighbour.id,
                kuvend::model::Page {
                    max_id: None,
                    since_id: None,
                    min_id: None,
                    limit: 10,
                },
            )
            .await
            .unwrap()
    };
    assert!(
        notified
            .iter()
            .any(|n| n.kind == invitations::NOTIFICATION && n.from_actor_id == climate.id),
        "{notified:?}"
    );

    let join = |actor: &str, id: String| {
        serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Join",
            "id": id,
            "actor": actor,
            "object": climate.ap_id,
            "to": [climate.ap_id],
        })
    };
    let (status, _) = mz
        .send(&bob, &climate.inbox_url, &join(&bob, mz.url("/member/b")))
        .await;
    assert!(status < 500, "{status}");
    assert!(!is_member(&alpha, "climate", &bob).await);
    let (status, body) = mz
        .send(
            &alice,
            &climate.inbox_url,
            &join(&alice, mz.url("/member/a")),
        )
        .await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(sent_state(&alpha, "climate", &alice).await, Some(Accepted));
    assert!(is_member(&alpha, "climate", &alice).await);

    let follow = |actor: &str, id: String| {
        serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Follow",
            "id": id,
            "actor": actor,
            "object": climate.ap_id,
        })
    };
    // An invitee on Mastodon answers by following.
    let mut masto = Remote::start("events.test").await;
    masto.serve_nodeinfo("mastodon");
    let carol = masto.actor("/users/carol", "Person", None);
    invitations::invite(&alpha.data(), "climate", &carol, "lead", None)
        .await
        .unwrap();
    kuvend::service::software::instance_software(alpha.ctx(), masto.domain())
        .await
        .unwrap();
    let (status, _) = masto
        .send(
            &carol,
            &climate.inbox_url,
            &follow(&carol, masto.url("/f/1")),
        )
        .await;
    assert!(status < 300, "{status}");
    assert_eq!(sent_state(&alpha, "climate", &carol).await, Some(Accepted));
    assert!(is_member(&alpha, "climate", &carol).await);

    // An invitee on another kuvend follows to watch: not an answer.
    let mut other = Remote::start("gancio.test").await;
    other.serve_nodeinfo("kuvend");
    let dave = other.actor("/users/dave", "Organization", None);
    invitations::invite(&alpha.data(), "climate", &dave, "lead", None)
        .await
        .unwrap();
    kuvend::service::software::instance_software(alpha.ctx(), other.domain())
        .await
        .unwrap();
    let (status, _) = other
        .send(&dave, &climate.inbox_url, &follow(&dave, other.url("/f/1")))
        .await;
    assert!(status < 300, "{status}");
    // Still open: `pending`, or `delivered` once its inbox took the Invite.
    let state = sent_state(&alpha, "climate", &dave).await;
    assert!(matches!(state, Some(Pending | Delivered)), "{state:?}");
    assert!(!is_member(&alpha, "climate", &dave).await);
}

on_both_databases!(
    join_or_follow_by_an_invitee,
    join_or_follow_by_an_invitee_sqlite,
    join_or_follow_by_an_invitee_postgres
);
