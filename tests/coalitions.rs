//! Coalitions (issue 13 item 1): Group actors created at the command line,
//! their documents, collections, pages and accounts, and following one from
//! another instance. Every scenario runs on SQLite and PostgreSQL.

use crate::common::cli_refused as refused;
use crate::common::kuvend_cli as kuvend;
use crate::common::{Backend, TestInstance, client, eventually, new_database, temp_dir};
use crate::on_both_databases;
use kuvend::model::CoalitionRole;
use kuvend::service::coalitions::{self, CoalitionChanges, NewCoalition};
use kuvend::storage::{coalitions::NewCoalitionMember, now};
use serde_json::Value;
use std::process::Output;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

async fn cli_scenario(backend: Backend) {
    let dir = temp_dir();
    let db = new_database(backend, dir.path(), "cli").await;
    let ok = |args: &[&str]| {
        let out = kuvend(&db, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout(&out)
    };
    ok(&["admin", "org", "create", "ngo", "--name", "Our NGO"]);
    let created = ok(&[
        "admin",
        "coalition",
        "create",
        "climate",
        "--name",
        "Climate coalition",
        "--by",
        "ngo",
        "--summary",
        "Working together",
    ]);
    assert!(created.contains("@climate@cso.example"), "{created}");
    assert_eq!(
        ok(&["admin", "coalition", "list"]).trim(),
        "@climate@cso.example\tClimate coalition"
    );
    // Organisations and coalitions are listed apart.
    assert_eq!(
        ok(&["admin", "org", "list"]).trim(),
        "@ngo@cso.example\tOur NGO"
    );
    let show = ok(&["admin", "coalition", "show", "Climate"]);
    assert!(
        show.contains("id: https://cso.example/users/climate"),
        "{show}"
    );
    assert!(show.contains("members visible: public"), "{show}");
    assert!(show.contains("manual approval: no"), "{show}");
    assert!(show.contains("members: 1"), "{show}");
    assert!(
        show.contains("@ngo@cso.example\tadmin\thttps://cso.example/users/ngo"),
        "the founder is the first admin: {show}"
    );

    // Bad input: one line, exit 1, nothing written.
    refused(
        &db,
        &[
            "admin",
            "coalition",
            "create",
            "ngo",
            "--name",
            "X",
            "--by",
            "ngo",
        ],
        "already taken",
    );
    refused(
        &db,
        &[
            "admin",
            "coalition",
            "create",
            "CLIMATE",
            "--name",
            "X",
            "--by",
            "ngo",
        ],
        "already taken",
    );
    refused(
        &db,
        &[
            "admin",
            "coalition",
            "create",
            "orphan",
            "--name",
            "X",
            "--by",
            "nobody",
        ],
        "no organisation",
    );
    refused(
        &db,
        &[
            "admin",
            "coalition",
            "create",
            "hidden",
            "--name",
            "X",
            "--by",
            "ngo",
            "--members-visible",
            "secret",
        ],
        "neither public nor members",
    );
    // A coalition cannot found another: --by names an organisation.
    refused(
        &db,
        &[
            "admin",
            "coalition",
            "create",
            "sub",
            "--name",
            "X",
            "--by",
            "climate",
        ],
        "no organisation",
    );
    assert_eq!(
        ok(&["admin", "coalition", "list"]).trim(),
        "@climate@cso.example\tClimate coalition",
        "refused commands stored nothing"
    );
    for name in ["orphan", "hidden", "sub"] {
        refused(&db, &["admin", "coalition", "show", name], "no coalition");
    }
    refused(&db, &["admin", "coalition", "show", "ngo"], "no coalition");

    // Update, and a refused update that changes nothing.
    refused(
        &db,
        &[
            "admin",
            "coalition",
            "update",
            "climate",
            "--name",
            "Renamed",
            "--members-visible",
            "friends",
        ],
        "neither public nor members",
    );
    assert!(ok(&["admin", "coalition", "show", "climate"]).contains("name: Climate coalition"));
    ok(&[
        "admin",
        "coalition",
        "update",
        "climate",
        "--name",
        "Climate alliance",
        "--manual-approval",
        "true",
        "--members-visible",
        "members",
    ]);
    let show = ok(&["admin", "coalition", "show", "climate"]);
    assert!(show.contains("name: Climate alliance"), "{show}");
    assert!(show.contains("manual approval: yes"), "{show}");
    assert!(show.contains("members visible: members"), "{show}");
    refused(
        &db,
        &["admin", "coalition", "update", "nowhere", "--name", "X"],
        "no coalition",
    );
}

on_both_databases!(cli_scenario, coalition_cli_sqlite, coalition_cli_postgres);

/// A GET signed by `instance`'s instance actor (authorized fetch is on).
async fn get_json(instance: &TestInstance, url: &str) -> Value {
    let signer = instance.instance_actor_row().await;
    let response = crate::common::signed_get(&signer, url)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.unwrap()
}

async fn get_text(url: &str) -> String {
    let response = client().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.text().await.unwrap()
}

async fn federation_scenario(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", backend, dir.path()).await;
    let lead = alpha.create_org("lead", false).await;
    let partner = alpha.create_org("partner", false).await;
    let follower = beta.create_org("watcher", false).await;
    let climate = coalitions::create(
        alpha.ctx(),
        NewCoalition {
            username: "climate".into(),
            display_name: "Climate coalition".into(),
            summary: "Working together".into(),
            manually_approves_followers: false,
            members_visible: "public".into(),
            relay: None,
            relay_cap: None,
            by: "lead".into(),
        },
    )
    .await
    .unwrap();
    // A second member, as item 2's accepted invitations will add them.
    {
        let mut conn = alpha.ctx().db.conn().await.unwrap();
        conn.q()
            .insert_coalition_member(&NewCoalitionMember {
                coalition_id: climate.actor.id,
                member_id: partner.id,
                role: CoalitionRole::Member.as_str().into(),
                ap_id: alpha.ctx().urls.new_member("climate").to_string(),
                created_at: now(),
                updated_at: now(),
            })
            .await
            .unwrap();
    }
    let base = alpha.base_url();
    let id = format!("{base}/users/climate");

    // WebFinger finds it like an organisation.
    let finger = get_json(
        &alpha,
        &format!(
            "{base}/.well-known/webfinger?resource=acct:climate@{}",
            alpha.domain
        ),
    )
    .await;
    assert_eq!(finger["subject"], format!("acct:climate@{}", alpha.domain));
    assert!(
        finger["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "self" && l["href"] == id.as_str()),
        "{finger}"
    );

    // The actor document: a Group with its collections.
    let doc = get_json(&alpha, &id).await;
    assert_eq!(doc["type"], "Group");
    assert_eq!(doc["preferredUsername"], "climate");
    assert_eq!(doc["name"], "Climate coalition");
    assert_eq!(doc["summary"], "<p>Working together</p>");
    assert_eq!(doc["inbox"], format!("{id}/inbox"));
    assert_eq!(doc["outbox"], format!("{id}/outbox"));
    assert_eq!(doc["followers"], format!("{id}/followers"));
    assert_eq!(doc["manuallyApprovesFollowers"], false);
    assert_eq!(doc["members"], format!("{id}/members"));
    assert_eq!(doc["endpoints"]["members"], format!("{id}/members"));
    assert_eq!(doc["moderators"], format!("{id}/moderators"));
    assert_eq!(doc["attributedTo"], format!("{id}/moderators"));
    assert_eq!(doc["openness"], "invite_only");
    assert_eq!(doc["memberCount"], 2);
    assert_eq!(doc["postingRestrictedToMods"], true);
    let context = doc["@context"].to_string();
    for term in ["mz:members", "mz:openness", "lemmy:moderators"] {
        assert!(context.contains(term), "context lacks {term}: {context}");
    }
    // An organisation's document has none of it.
    let org = get_json(&alpha, &lead.ap_id).await;
    assert_eq!(org["type"], "Organization");
    assert!(org.get("members").is_none() && org.get("openness").is_none());

    // Public member list: every member, and the admins as moderators.
    let members = get_json(&alpha, &format!("{id}/members")).await;
    assert_eq!(members["type"], "OrderedCollection");
    assert_eq!(members["totalItems"], 2);
    assert_eq!(
        members["orderedItems"],
        serde_json::json!([lead.ap_id, partner.ap_id])
    );
    let moderators = get_json(&alpha, &format!("{id}/moderators")).await;
    assert_eq!(moderators["totalItems"], 1);
    assert_eq!(moderators["orderedItems"], serde_json::json!([lead.ap_id]));
    // An organisation has no members collection.
    let reader = alpha.instance_actor_row().await;
    let response = crate::common::signed_get(&reader, &format!("{}/members", lead.ap_id))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // The profile page lists the members.
    let page = get_text(&format!("{base}/@climate")).await;
    assert!(page.contains("Climate coalition"), "{page}");
    assert!(page.contains("Coalition of <strong>2</strong>"), "{page}");
    assert!(page.contains("@lead@alpha.test"), "{page}");
    assert!(page.contains("@partner@alpha.test"), "{page}");

    // The client API: a group account, found by lookup and by id.
    let account: Value = client()
        .get(format!("{base}/api/v1/accounts/lookup?acct=climate"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["group"], true, "{account}");
    assert_eq!(account["acct"], "climate");
    assert_eq!(account["display_name"], "Climate coalition");
    let by_id: Value = client()
        .get(format!(
            "{base}/api/v1/accounts/{}",
            account["id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_id["group"], true, "{by_id}");
    let org_account: Value = client()
        .get(format!("{base}/api/v1/accounts/lookup?acct=lead"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(org_account["group"], false);

    // An organisation on another instance follows it and gets an Accept.
    beta.follow_and_wait("watcher", &alpha, "climate").await;
    assert_eq!(
        alpha.follow_state(&follower.ap_id, &id).await.as_deref(),
        Some("accepted")
    );
    let stored = beta.actor(&id).await.unwrap();
    assert_eq!(stored.kind, "coalition", "beta knows it as a coalition");

    // Members only: the list becomes a count everywhere, and the follower
    // gets the Update of the document.
    coalitions::update(
        alpha.ctx(),
        "climate",
        CoalitionChanges {
            members_visible: Some("members".into()),
            manually_approves_followers: Some(true),
            display_name: Some("Climate alliance".into()),
            ..CoalitionChanges::default()
        },
    )
    .await
    .unwrap();
    eventually("beta gets the coalition's Update", WAIT, || async {
        beta.actor(&id)
            .await
            .is_some_and(|a| a.display_name == "Climate alliance" && a.manually_approves_followers)
    })
    .await;
    let members = get_json(&alpha, &format!("{id}/members")).await;
    assert_eq!(members["totalItems"], 2);
    assert!(members.get("orderedItems").is_none(), "{members}");
    let moderators = get_json(&alpha, &format!("{id}/moderators")).await;
    assert_eq!(moderators["totalItems"], 1);
    assert!(moderators.get("orderedItems").is_none(), "{moderators}");
    let doc = get_json(&alpha, &id).await;
    assert_eq!(doc["memberCount"], 2);
    assert_eq!(doc["manuallyApprovesFollowers"], true);
    let page = get_text(&format!("{base}/@climate")).await;
    assert!(page.contains("Coalition of <strong>2</strong>"), "{page}");
    assert!(page.contains("visible to members only"), "{page}");
    assert!(!page.contains("@partner@alpha.test"), "{page}");
    assert!(!page.contains("@lead@alpha.test"), "{page}");
}

on_both_databases!(
    federation_scenario,
    coalition_is_a_followable_group_sqlite,
    coalition_is_a_followable_group_postgres
);
