//! Joining, leaving, removing members and changing roles (issue 13 item
//! 4): three real instances, Mobilizon's shapes through a stand-in server,
//! command-line refusals. Every scenario runs on SQLite and PostgreSQL.

use crate::common::kuvend_cli as kuvend;
use crate::common::remote::filled;
use crate::common::{Backend, TestInstance, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::model::CoalitionRole;
use kuvend::service::{
    invitations,
    membership::{self, JoinOutcome},
};
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

/// The role `member` holds in `coalition` (both by actor id) as
/// `instance` records it, if any.
async fn role_on(instance: &TestInstance, coalition: &str, member: &str) -> Option<CoalitionRole> {
    let mut conn = instance.ctx().db.conn().await.unwrap();
    let mut q = conn.q();
    let coalition = q.actor_by_ap_id(coalition).await.unwrap()?;
    let member = q.actor_by_ap_id(member).await.unwrap()?;
    q.coalition_membership(coalition.id, member.id)
        .await
        .unwrap()
        .map(|row| row.role())
}

/// The state of the latest request of `requester` to join `coalition`.
async fn request_state(
    instance: &TestInstance,
    coalition: &str,
    requester: &str,
) -> Option<String> {
    let mut conn = instance.ctx().db.conn().await.unwrap();
    let mut q = conn.q();
    let coalition = q.actor_by_ap_id(coalition).await.unwrap()?;
    let requester = q.actor_by_ap_id(requester).await.unwrap()?;
    q.latest_join_request(coalition.id, requester.id)
        .await
        .unwrap()
        .map(|row| row.state)
}

async fn wait_role(
    instance: &TestInstance,
    coalition: &str,
    member: &str,
    role: Option<CoalitionRole>,
) {
    eventually(
        &format!(
            "{} sees {member} as {role:?} of {coalition}",
            instance.base_url()
        ),
        WAIT,
        || async { role_on(instance, coalition, member).await == role },
    )
    .await;
}

/// A document fetched as `signer` (authorized fetch is on).
async fn document(signer: &kuvend::storage::models::ActorRow, url: &str) -> Value {
    crate::common::signed_get(signer, url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn three_instances_agree_on_join_requests(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", backend, dir.path()).await;
    let gamma = TestInstance::start("gamma.test", backend, dir.path()).await;
    let lead = alpha.create_org("lead", false).await;
    let local = alpha.create_org("local", false).await;
    let climate = alpha.create_coalition("climate", "lead", true).await;
    let closed = alpha.create_coalition("closed", "lead", false).await;
    let bee = beta.create_org("bee", false).await;
    let sea = gamma.create_org("sea", false).await;

    // Manual approval makes the coalition `moderated`; otherwise invite-only.
    assert_eq!(
        document(&lead, &climate.ap_id).await["openness"],
        "moderated"
    );
    assert_eq!(
        document(&lead, &closed.ap_id).await["openness"],
        "invite_only"
    );

    // B and C ask; both requests wait on A and on their own instances.
    for (instance, org) in [(&beta, "bee"), (&gamma, "sea")] {
        let outcome = membership::request(&instance.data(), &climate.ap_id, org, Some("Let us in"))
            .await
            .unwrap();
        assert_eq!(outcome, JoinOutcome::Pending);
    }
    eventually("A has both requests", WAIT, || async {
        membership::requests(alpha.ctx(), "climate")
            .await
            .unwrap()
            .len()
            == 2
    })
    .await;
    let listed = membership::requests(alpha.ctx(), "climate").await.unwrap();
    assert_eq!(listed[0].0.message, "Let us in");

    // Only an admin decides.
    assert!(
        membership::authorize(&alpha.data(), "climate", &bee.ap_id, "local")
            .await
            .is_err()
    );
    assert_eq!(role_on(&alpha, &climate.ap_id, &bee.ap_id).await, None);

    // A authorizes B: a member on A, and B records it.
    membership::authorize(&alpha.data(), "climate", &bee.ap_id, "lead")
        .await
        .unwrap();
    assert_eq!(
        role_on(&alpha, &climate.ap_id, &bee.ap_id).await,
        Some(CoalitionRole::Member)
    );
    wait_role(
        &beta,
        &climate.ap_id,
        &bee.ap_id,
        Some(CoalitionRole::Member),
    )
    .await;
    assert_eq!(
        request_state(&beta, &climate.ap_id, &bee.ap_id)
            .await
            .as_deref(),
        Some("accepted")
    );

    // A rejects C: a member nowhere.
    membership::reject(&alpha.data(), "climate", &sea.ap_id, "lead")
        .await
        .unwrap();
    eventually("C hears the Reject", WAIT, || async {
        request_state(&gamma, &climate.ap_id, &sea.ap_id)
            .await
            .as_deref()
            == Some("rejected")
    })
    .await;
    assert_eq!(role_on(&alpha, &climate.ap_id, &sea.ap_id).await, None);
    assert_eq!(role_on(&gamma, &climate.ap_id, &sea.ap_id).await, None);
    assert!(
        membership::requests(alpha.ctx(), "climate")
            .await
            .unwrap()
            .is_empty()
    );

    // The coalition's members collection lists B, not C.
    let members = document(&lead, &format!("{}/members", climate.ap_id)).await;
    let items = members["orderedItems"].to_string();
    assert!(
        items.contains(&bee.ap_id) && !items.contains(&sea.ap_id),
        "{items}"
    );
    let _ = lead;
    let _ = local;
}

on_both_databases!(
    three_instances_agree_on_join_requests,
    three_instances_agree_on_join_requests_sqlite,
    three_instances_agree_on_join_requests_postgres
);

/// A `Join` to an invite-only coalition is answered with `Reject` and not
/// stored; a local organisation is refused outright.
async fn join_to_invite_only_coalition_is_refused(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", backend, dir.path()).await;
    alpha.create_org("lead", false).await;
    alpha.create_org("local", false).await;
    let closed = alpha.create_coalition("closed", "lead", false).await;
    let bee = beta.create_org("bee", false).await;

    membership::request(&beta.data(), &closed.ap_id, "bee", None)
        .await
        .unwrap();
    eventually("B hears the Reject", WAIT, || async {
        request_state(&beta, &closed.ap_id, &bee.ap_id)
            .await
            .as_deref()
            == Some("rejected")
    })
    .await;
    assert_eq!(request_state(&alpha, &closed.ap_id, &bee.ap_id).await, None);
    assert_eq!(role_on(&alpha, &closed.ap_id, &bee.ap_id).await, None);
    assert_eq!(role_on(&beta, &closed.ap_id, &bee.ap_id).await, None);

    let refused = membership::request(&alpha.data(), "closed", "local", None).await;
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("invitation only")),
        "{refused:?}"
    );
}

on_both_databases!(
    join_to_invite_only_coalition_is_refused,
    join_to_invite_only_coalition_is_refused_sqlite,
    join_to_invite_only_coalition_is_refused_postgres
);

async fn three_instances_agree_on_roles_leaving_and_removal(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", backend, dir.path()).await;
    let gamma = TestInstance::start("gamma.test", backend, dir.path()).await;
    let lead = alpha.create_org("lead", false).await;
    let climate = alpha.create_coalition("climate", "lead", true).await;
    let bee = beta.create_org("bee", false).await;
    let sea = gamma.create_org("sea", false).await;

    membership::request(&beta.data(), &climate.ap_id, "bee", None)
        .await
        .unwrap();
    eventually("A has B's request", WAIT, || async {
        !membership::requests(alpha.ctx(), "climate")
            .await
            .unwrap()
            .is_empty()
    })
    .await;
    membership::authorize(&alpha.data(), "climate", &bee.ap_id, "lead")
        .await
        .unwrap();
    wait_role(
        &beta,
        &climate.ap_id,
        &bee.ap_id,
        Some(CoalitionRole::Member),
    )
    .await;

    // A makes B an admin: B hears it, and A's moderators list B.
    membership::set_role(&alpha.data(), "climate", &bee.ap_id, "admin", "lead")
        .await
        .unwrap();
    wait_role(
        &beta,
        &climate.ap_id,
        &bee.ap_id,
        Some(CoalitionRole::Admin),
    )
    .await;
    let moderators = document(&lead, &format!("{}/moderators", climate.ap_id)).await;
    assert!(
        moderators["orderedItems"].to_string().contains(&bee.ap_id),
        "{moderators}"
    );

    // B leaves: A no longer lists it.
    membership::leave(&beta.data(), &climate.ap_id, "bee")
        .await
        .unwrap();
    assert_eq!(role_on(&beta, &climate.ap_id, &bee.ap_id).await, None);
    wait_role(&alpha, &climate.ap_id, &bee.ap_id, None).await;
    let members = document(&lead, &format!("{}/members", climate.ap_id)).await;
    assert!(!members["orderedItems"].to_string().contains(&bee.ap_id));
    let moderators = document(&lead, &format!("{}/moderators", climate.ap_id)).await;
    assert!(!moderators["orderedItems"].to_string().contains(&bee.ap_id));

    // C is invited and accepts, then A removes it: a member nowhere.
    invitations::invite(&alpha.data(), "climate", &sea.ap_id, "lead", None)
        .await
        .unwrap();
    eventually("C has the invitation", WAIT, || async {
        !invitations::of_org(gamma.ctx(), "sea")
            .await
            .unwrap()
            .is_empty()
    })
    .await;
    invitations::answer(&gamma.data(), "sea", &climate.ap_id, true)
        .await
        .unwrap();
    wait_role(
        &alpha,
        &climate.ap_id,
        &sea.ap_id,
        Some(CoalitionRole::Member),
    )
    .await;
    assert_eq!(
        role_on(&gamma, &climate.ap_id, &sea.ap_id).await,
        Some(CoalitionRole::Member)
    );
    membership::remove(&alpha.data(), "climate", &sea.ap_id, "lead")
        .await
        .unwrap();
    assert_eq!(role_on(&alpha, &climate.ap_id, &sea.ap_id).await, None);
    wait_role(&gamma, &climate.ap_id, &sea.ap_id, None).await;
}

on_both_databases!(
    three_instances_agree_on_roles_leaving_and_removal,
    three_instances_agree_on_roles_leaving_and_removal_sqlite,
    three_instances_agree_on_roles_leaving_and_removal_postgres
);

/// A request and an invitation for the same organisation never both stay
/// open: an invitation to one who asked is refused (authorize instead);
/// asking to join a coalition that invited us accepts the invitation. And
/// a removed member's Member URL reads `rejected`, as Mobilizon expects
/// when it fetches the URL a `Remove` names.
async fn requests_and_invitations_do_not_cross(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("lead", false).await;
    alpha.create_org("asker", false).await;
    let ngo = alpha.create_org("ngo", false).await;
    let climate = alpha.create_coalition("climate", "lead", true).await;
    assert_eq!(
        membership::request(&alpha.data(), "climate", "asker", None)
            .await
            .unwrap(),
        JoinOutcome::Pending
    );
    let refused = invitations::invite(&alpha.data(), "climate", "asker", "lead", None)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("authorize"), "{refused}");
    assert!(
        invitations::of_coalition(alpha.ctx(), "climate")
            .await
            .unwrap()
            .is_empty()
    );

    // A remote coalition invited ngo; ngo "joins" it: that accepts.
    let mut far = Remote::start("gancio.test").await;
    far.serve_nodeinfo("kuvend");
    let group = far.actor("/users/water", "Group", None);
    let inviter = far.actor("/users/lead", "Organization", None);
    let invite = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Invite",
        "id": far.url("/users/water/members/1"),
        "actor": inviter,
        "object": group,
        "target": ngo.ap_id,
        "to": [ngo.ap_id],
    });
    let (status, body) = far.send(&inviter, &ngo.inbox_url, &invite).await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(
        membership::request(&alpha.data(), &group, "ngo", None)
            .await
            .unwrap(),
        JoinOutcome::Member
    );
    assert_eq!(
        role_on(&alpha, &group, &ngo.ap_id).await,
        Some(CoalitionRole::Member)
    );
    eventually("the Accept reaches the coalition", WAIT, || async {
        far.received().iter().any(|a| a["type"] == "Accept")
    })
    .await;
    assert!(!far.received().iter().any(|a| a["type"] == "Join"));

    // Our coalition removes ngo after it accepted an invitation.
    invitations::invite(&alpha.data(), "climate", "ngo", "lead", None)
        .await
        .unwrap();
    let accepted = invitations::answer(&alpha.data(), "ngo", "climate", true)
        .await
        .unwrap();
    assert_eq!(document(&ngo, &accepted.ap_id).await["role"], "member");
    membership::remove(&alpha.data(), "climate", "ngo", "lead")
        .await
        .unwrap();
    assert_eq!(document(&ngo, &accepted.ap_id).await["role"], "rejected");
    assert_eq!(role_on(&alpha, &climate.ap_id, &ngo.ap_id).await, None);
}

on_both_databases!(
    requests_and_invitations_do_not_cross,
    requests_and_invitations_do_not_cross_sqlite,
    requests_and_invitations_do_not_cross_postgres
);

/// On a coalition's server that is not Mobilizon (a large shared kuvend,
/// say), an account there is not the coalition: its `Remove` or `Update`
/// about our organisation changes nothing; the group's own does.
async fn an_account_on_the_coalitions_server_is_not_the_coalition(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    let mut big = Remote::start("gancio.test").await;
    big.serve_nodeinfo("kuvend");
    let group = big.actor("/users/climate", "Group", None);
    let lead = big.actor("/users/lead", "Organization", None);
    let stranger = big.actor("/users/stranger", "Organization", None);
    let invite = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Invite",
        "id": big.url("/users/climate/members/1"),
        "actor": lead,
        "object": group,
        "target": ngo.ap_id,
        "to": [ngo.ap_id],
        "cc": [group],
    });
    let (status, body) = big.send(&lead, &ngo.inbox_url, &invite).await;
    assert!(status < 300, "{status} {body}");
    invitations::answer(&alpha.data(), "ngo", &group, true)
        .await
        .unwrap();
    assert_eq!(
        role_on(&alpha, &group, &ngo.ap_id).await,
        Some(CoalitionRole::Member)
    );
    let change = |actor: &str, kind: &str, target: &str, n: u32| {
        serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": kind,
            "id": big.url(&format!("/activities/{n}")),
            "actor": actor,
            "object": ngo.ap_id,
            "target": format!("{group}/{target}"),
        })
    };
    for (n, (kind, target)) in [("Add", "moderators"), ("Remove", "members")]
        .into_iter()
        .enumerate()
    {
        let activity = change(&stranger, kind, target, n as u32);
        let (status, body) = big.send(&stranger, &ngo.inbox_url, &activity).await;
        assert!(status < 300, "{status} {body}");
    }
    assert_eq!(
        role_on(&alpha, &group, &ngo.ap_id).await,
        Some(CoalitionRole::Member)
    );
    let (status, body) = big
        .send(
            &group,
            &ngo.inbox_url,
            &change(&group, "Remove", "members", 9),
        )
        .await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(role_on(&alpha, &group, &ngo.ap_id).await, None);
}

on_both_databases!(
    an_account_on_the_coalitions_server_is_not_the_coalition,
    an_account_on_the_coalitions_server_is_not_the_coalition_sqlite,
    an_account_on_the_coalitions_server_is_not_the_coalition_postgres
);

/// Mobilizon's shapes (Leave and Remove without an id, Remove by Member
/// URL with `origin`, Update{Member}) are applied, and a third party's
/// Remove about our organisation is ignored.
async fn remove_about_our_org_sent_by_a_third_party_is_ignored(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let lead = alpha.create_org("lead", false).await;
    let climate = alpha.create_coalition("climate", "lead", false).await;
    let mut mz = Remote::start("mobilizon.test").await;
    // Mobilizon's moderators act as persons: heard because it is Mobilizon.
    mz.serve_nodeinfo("mobilizon");
    let group = mz.actor("/@coalition", "Group", None);
    let bob = mz.actor("/@bob", "Person", None);
    let alice = mz.actor("/@alice", "Person", None);
    let mut other = Remote::start("events.test").await;
    let mallory = other.actor("/@mallory", "Person", None);
    let member_url = mz.url("/member/7f3c2a4e-0000-4000-8000-000000000001");

    // Our organisation is invited by the Mobilizon group and accepts.
    let invite = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Invite",
        "id": member_url,
        "actor": bob,
        "attributedTo": group,
        "object": group,
        "target": lead.ap_id,
        "to": [lead.ap_id],
        "cc": [group],
    });
    let (status, body) = mz.send(&bob, &lead.inbox_url, &invite).await;
    assert!(status < 300, "{status} {body}");
    invitations::answer(&alpha.data(), "lead", &group, true)
        .await
        .unwrap();
    assert_eq!(
        role_on(&alpha, &group, &lead.ap_id).await,
        Some(CoalitionRole::Member)
    );

    // Mobilizon's Update{Member} makes it an administrator.
    let update = filled(
        mz.fixture("coalitions/mobilizon-update-member.json", "mz.example"),
        &[("MEMBER", lead.ap_id.as_str()), ("ROLE", "administrator")],
    );
    let (status, body) = mz.send(&bob, &lead.inbox_url, &update).await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(
        role_on(&alpha, &group, &lead.ap_id).await,
        Some(CoalitionRole::Admin)
    );
    // A second change reuses the id (Mobilizon does): it is applied too.
    let update = filled(
        mz.fixture("coalitions/mobilizon-update-member.json", "mz.example"),
        &[("MEMBER", lead.ap_id.as_str()), ("ROLE", "member")],
    );
    let (status, body) = mz.send(&bob, &lead.inbox_url, &update).await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(
        role_on(&alpha, &group, &lead.ap_id).await,
        Some(CoalitionRole::Member)
    );

    // A third party's Removes, in both shapes, change nothing.
    let forged = [
        serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Remove",
            "id": other.url("/activities/remove-1"),
            "actor": mallory,
            "object": lead.ap_id,
            "target": format!("{group}/members"),
            "origin": group,
        }),
        serde_json::json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "type": "Remove",
            "actor": mallory,
            "object": member_url,
            "origin": group,
        }),
    ];
    for remove in &forged {
        let (status, body) = other.send(&mallory, &lead.inbox_url, remove).await;
        assert!(status < 300, "{status} {body}");
    }
    assert_eq!(
        role_on(&alpha, &group, &lead.ap_id).await,
        Some(CoalitionRole::Member)
    );

    // Mobilizon's own Remove (no id, Member URL, origin) ends it.
    let remove = filled(
        mz.fixture("coalitions/mobilizon-remove.json", "mz.example"),
        &[("REMOVED", lead.ap_id.as_str())],
    );
    let (status, body) = mz.send(&bob, &lead.inbox_url, &remove).await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(role_on(&alpha, &group, &lead.ap_id).await, None);

    // A Mobilizon person in our coalition leaves with an id-less Leave.
    let (alice_invite, _) = invitations::invite(&alpha.data(), "climate", &alice, "lead", None)
        .await
        .unwrap();
    let accept = serde_json::json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Accept",
        "id": mz.url("/accept/invite/member/1"),
        "actor": alice,
        "object": alice_invite.ap_id,
    });
    let (status, _) = mz.send(&alice, &climate.inbox_url, &accept).await;
    assert!(status < 300, "{status}");
    assert_eq!(
        role_on(&alpha, &climate.ap_id, &alice).await,
        Some(CoalitionRole::Member)
    );
    let leave = filled(
        mz.fixture("coalitions/mobilizon-leave.json", "mz.example"),
        &[
            ("COALITION", climate.ap_id.as_str()),
            ("MEMBERS", &format!("{}/members", climate.ap_id)),
        ],
    );
    let (status, body) = mz.send(&alice, &climate.inbox_url, &leave).await;
    assert!(status < 300, "{status} {body}");
    assert_eq!(role_on(&alpha, &climate.ap_id, &alice).await, None);
}

on_both_databases!(
    remove_about_our_org_sent_by_a_third_party_is_ignored,
    remove_about_our_org_sent_by_a_third_party_is_ignored_sqlite,
    remove_about_our_org_sent_by_a_third_party_is_ignored_postgres
);

/// The last admin can neither leave, be demoted nor be removed: exit 1,
/// one line, nothing changed.
async fn last_admin_cannot_leave_or_be_demoted(backend: Backend) {
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
    ok(&[
        "admin",
        "coalition",
        "create",
        "climate",
        "--name",
        "Climate",
        "--by",
        "ngo",
        "--manual-approval",
    ]);
    let before = ok(&["admin", "coalition", "show", "climate"]);
    for (args, says) in [
        (
            vec!["admin", "coalition", "leave", "climate", "--as", "ngo"],
            "last admin",
        ),
        (
            vec![
                "admin",
                "coalition",
                "role",
                "climate",
                "ngo",
                "member",
                "--by",
                "ngo",
            ],
            "last admin",
        ),
        (
            vec![
                "admin",
                "coalition",
                "remove",
                "climate",
                "ngo",
                "--by",
                "ngo",
            ],
            "last admin",
        ),
        (
            vec![
                "admin",
                "coalition",
                "authorize",
                "climate",
                "other",
                "--by",
                "other",
            ],
            "not an admin",
        ),
    ] {
        let out = kuvend(&db, &args);
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: one line, got {err:?}");
        assert!(err.contains(says), "{args:?}: {err:?} should say {says:?}");
    }
    assert_eq!(ok(&["admin", "coalition", "show", "climate"]), before);

    // A local organisation asks, is authorized, becomes admin; then the
    // first may step down and leave.
    ok(&["admin", "coalition", "join", "climate", "--as", "other"]);
    assert!(ok(&["admin", "coalition", "requests", "climate"]).contains("other"));
    ok(&[
        "admin",
        "coalition",
        "authorize",
        "climate",
        "other",
        "--by",
        "ngo",
    ]);
    ok(&[
        "admin",
        "coalition",
        "role",
        "climate",
        "other",
        "admin",
        "--by",
        "ngo",
    ]);
    ok(&["admin", "coalition", "leave", "climate", "--as", "ngo"]);
    let after = ok(&["admin", "coalition", "show", "climate"]);
    assert!(!after.contains("@ngo@"), "{after}");
}

on_both_databases!(
    last_admin_cannot_leave_or_be_demoted,
    last_admin_cannot_leave_or_be_demoted_sqlite,
    last_admin_cannot_leave_or_be_demoted_postgres
);
