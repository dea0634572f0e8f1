//! Joining, leaving, removing members and changing roles (issue 13 item
//! 4): three real instances, Mobilizon's shapes through a stand-in server,
//! command-line refusals. Every scenario runs on SQLite and PostgreSQL.

use crate::common::{Backend, TestInstance, client, eventually, temp_dir};
use crate::on_both_databases;
use kuvend::model::CoalitionRole;
use kuvend::service::{
    coalitions::{self, NewCoalition},
    membership::{self, JoinOutcome},
};
use kuvend::storage::models::ActorRow;
use serde_json::Value;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

async fn coalition(instance: &TestInstance, name: &str, by: &str, manual: bool) -> ActorRow {
    coalitions::create(
        instance.ctx(),
        NewCoalition {
            username: name.into(),
            display_name: format!("The {name} coalition"),
            summary: String::new(),
            manually_approves_followers: manual,
            members_visible: "public".into(),
            by: by.into(),
        },
    )
    .await
    .unwrap()
    .actor
}

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

async fn document(url: &str) -> Value {
    client()
        .get(url)
        .header("Accept", "application/activity+json")
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
    let climate = coalition(&alpha, "climate", "lead", true).await;
    let closed = coalition(&alpha, "closed", "lead", false).await;
    let bee = beta.create_org("bee", false).await;
    let sea = gamma.create_org("sea", false).await;

    // Manual approval makes the coalition `moderated`; otherwise invite-only.
    assert_eq!(document(&climate.ap_id).await["openness"], "moderated");
    assert_eq!(document(&closed.ap_id).await["openness"], "invite_only");

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
    let members = document(&format!("{}/members", climate.ap_id)).await;
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
    let closed = coalition(&alpha, "closed", "lead", false).await;
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
