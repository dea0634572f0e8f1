//! Issue 15 item 5, reports: filed through the Mastodon API (and forwarded
//! to the reported account's instance as a `Flag` signed by our instance
//! actor, naming no reporter), received as another instance's `Flag`
//! (listed, shown and resolved with the CLI, and notified to the reported
//! organisation), and refused when they name someone else's statuses.

use crate::common::{
    Api, Backend, TestInstance, cli_refused, eventually, kuvend_cli,
    remote::{Remote, filled},
    temp_dir,
};
use crate::on_both_databases;
use kuvend::federation::signatures;
use kuvend::model::Visibility;
use kuvend::service::posts::{self, NewPost};
use kuvend::storage::models::ActorRow;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

const PASSWORD: &str = "correct horse battery";
const WAIT: Duration = Duration::from_secs(20);

fn text(text: &str) -> NewPost {
    NewPost {
        text: text.into(),
        visibility: Visibility::Public,
        in_reply_to: None,
        spoiler: None,
        language: None,
    }
}

async fn login(alpha: &TestInstance, org: &str) -> Api {
    let email = format!("owner@{org}.example");
    kuvend::service::auth::create_user(alpha.ctx(), &email, PASSWORD, Some((org, "owner")))
        .await
        .unwrap();
    Api::login(&alpha.base_url(), &email, PASSWORD).await
}

/// A login made an instance admin with the CLI, on the staff of a new
/// organisation `org`, logged in.
async fn instance_admin(alpha: &TestInstance, org: &str) -> (Api, ActorRow) {
    let row = alpha.create_org(org, false).await;
    let email = format!("admin@{org}.example");
    cli_out(
        &alpha.db_url,
        &[
            "admin",
            "user",
            "create",
            &email,
            "--password",
            PASSWORD,
            "--org",
            org,
            "--role",
            "owner",
            "--instance-admin",
        ],
    );
    (Api::login(&alpha.base_url(), &email, PASSWORD).await, row)
}

async fn report_kinds(api: &Api) -> usize {
    let (status, notifications) = api.get("/api/v1/notifications").await;
    assert_eq!(status, 200, "{notifications}");
    notifications
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == "admin.report")
        .count()
}

/// A local report reaches the instance admins' organisations, never the
/// reported one (even when an instance admin works for it), nor an
/// organisation whose login is no longer an instance admin.
async fn report_notifies_instance_admins_not_reported(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("whistle", false).await;
    let reporter = login(&alpha, "whistle").await;
    let (desk, _) = instance_admin(&alpha, "desk").await;
    let (target, target_row) = instance_admin(&alpha, "target").await;
    let (former, _) = instance_admin(&alpha, "former").await;
    let revoked = cli_out(
        &alpha.db_url,
        &[
            "admin",
            "user",
            "instance-admin",
            "admin@former.example",
            "--revoke",
        ],
    );
    assert!(revoked.contains("no longer"), "{revoked}");
    cli_refused(
        &alpha.db_url,
        &["admin", "user", "instance-admin", "nobody@x.example"],
        "no login nobody@x.example",
    );
    let (status, report) = reporter
        .post(
            "/api/v1/reports",
            json!({"account_id": target_row.id.to_string(), "comment": "impersonation"}),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report_kinds(&desk).await, 1);
    let (_, notifications) = desk.get("/api/v1/notifications").await;
    let n = &notifications[0];
    assert_eq!(n["type"], "admin.report");
    assert_eq!(n["report"]["id"], report["id"]);
    assert_eq!(n["report"]["comment"], "impersonation");
    assert_eq!(
        report_kinds(&target).await,
        0,
        "the reported account is told"
    );
    assert_eq!(report_kinds(&former).await, 0, "a revoked admin is told");
    assert_eq!(report_kinds(&reporter).await, 0);
}

on_both_databases!(
    report_notifies_instance_admins_not_reported,
    report_notifies_instance_admins_not_reported_sqlite,
    report_notifies_instance_admins_not_reported_postgres
);

/// A Mastodon-like stand-in whose `troll` has a shared inbox.
fn troll(masto: &mut Remote) -> String {
    let id = masto.url("/users/troll");
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": id,
        "type": "Person",
        "preferredUsername": "troll",
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "endpoints": {"sharedInbox": masto.url("/inbox")},
    });
    masto.actor("/users/troll", "Person", Some(doc))
}

async fn report_forwarded_as_flag_signed_by_instance_actor(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let ngo = alpha.create_org("whistle", false).await;
    let api = login(&alpha, "whistle").await;
    let mut masto = Remote::start("events.test").await;
    let troll = troll(&mut masto);
    let parent = posts::create_post(&alpha.data(), "whistle", text("Clean water for all"))
        .await
        .unwrap();
    // The troll replies: the reply is stored here, a status of its account.
    let note = masto.url("/users/troll/statuses/1");
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "type": "Create",
        "id": format!("{note}/activity"),
        "actor": troll,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [ngo.ap_id],
        "object": {
            "type": "Note",
            "id": note,
            "attributedTo": troll,
            "inReplyTo": parent.ap_id,
            "content": "<p>you will regret this</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [ngo.ap_id],
            "tag": [{"type": "Mention", "href": ngo.ap_id, "name": "@whistle"}],
            "published": "2026-11-30T12:00:00Z",
        },
    });
    let (status, _) = masto.send(&troll, &ngo.inbox_url, &create).await;
    assert_eq!(status, 202);
    let reply = alpha.post(&note).await.expect("the reply is stored");
    let troll_row = alpha.actor(&troll).await.unwrap();

    let (status, report) = api
        .post(
            "/api/v1/reports",
            json!({
                "account_id": troll_row.id.to_string(),
                "status_ids": [reply.id.to_string()],
                "comment": "Threats <b>after</b> our post",
                "forward": true,
                "category": "violation",
            }),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    // Mastodon's Report entity, field by field.
    assert!(report["id"].as_str().is_some_and(|id| !id.is_empty()));
    assert_eq!(report["action_taken"], false);
    assert_eq!(report["action_taken_at"], Value::Null);
    assert_eq!(report["category"], "violation");
    assert_eq!(report["comment"], "Threats after our post");
    assert_eq!(report["forwarded"], true);
    assert_eq!(report["status_ids"], json!([reply.id.to_string()]));
    assert_eq!(report["rule_ids"], Value::Null);
    assert_eq!(report["target_account"]["id"], troll_row.id.to_string());
    assert!(report["created_at"].as_str().unwrap().ends_with('Z'));

    eventually("the Flag reaches the troll's instance", WAIT, || async {
        masto.received().iter().any(|a| a["type"] == "Flag")
    })
    .await;
    let bodies = masto.received_bodies();
    let (index, body) = bodies
        .iter()
        .enumerate()
        .find(|(_, b)| b.contains("\"Flag\""))
        .unwrap();
    let flag: Value = serde_json::from_str(body).unwrap();
    let instance_actor = alpha.ctx().urls.instance_actor().to_string();
    assert_eq!(flag["actor"], instance_actor.as_str());
    assert_eq!(flag["object"], json!([troll, note]));
    assert_eq!(flag["content"], "Threats after our post");
    // The reporter stays anonymous: neither the organisation nor its login.
    assert!(!body.contains("whistle"), "{body}");
    assert!(!body.contains("owner@"), "{body}");
    // Sent to the shared inbox, signed with the instance actor's key.
    let (path, headers) = masto.served.posts.lock().unwrap()[index].clone();
    assert_eq!(path, "/inbox");
    let signature = signatures::parse_signature_header(&headers).unwrap();
    assert_eq!(signature.key_id, alpha.ctx().urls.instance_actor_key());
    let signing = signatures::check_request(
        &signature,
        "POST",
        &path,
        &headers,
        Some(body.as_bytes()),
        SystemTime::now(),
    )
    .unwrap();
    let signer = alpha.actor(&instance_actor).await.unwrap();
    let key = signatures::parse_public_key(&signer.public_key_pem).unwrap();
    signatures::verify(&key, &signing, &signature.signature).unwrap();
}

on_both_databases!(
    report_forwarded_as_flag_signed_by_instance_actor,
    report_forwarded_as_flag_signed_by_instance_actor_sqlite,
    report_forwarded_as_flag_signed_by_instance_actor_postgres
);

fn cli_out(db: &str, args: &[&str]) -> String {
    let out = kuvend_cli(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

async fn incoming_flag_listed(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    let api = login(&alpha, "ngo").await;
    let (staff, _) = instance_admin(&alpha, "desk").await;
    let post = posts::create_post(&alpha.data(), "ngo", text("Our statement on the dam"))
        .await
        .unwrap();
    let mut masto = Remote::start("events.test").await;
    let instance_actor = masto.actor("/actor", "Application", None);
    let flag = filled(
        masto.fixture("mastodon/flag.json", "mastodon.example"),
        &[("TARGET", &ngo.ap_id), ("POST", &post.ap_id)],
    );
    let shared_inbox = format!("{}/inbox", alpha.base_url());
    let (status, _) = masto.send(&instance_actor, &shared_inbox, &flag).await;
    assert_eq!(status, 202);
    // Redelivered: still one report.
    let (status, _) = masto.send(&instance_actor, &shared_inbox, &flag).await;
    assert_eq!(status, 202);
    // A Flag naming nothing of ours is no report.
    let stranger = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": masto.url("/flags/2"),
        "type": "Flag",
        "actor": instance_actor,
        "content": "elsewhere",
        "object": ["https://example.com/users/1"],
    });
    let (status, _) = masto.send(&instance_actor, &shared_inbox, &stranger).await;
    assert_eq!(status, 202);
    // A Flag from a person's account, not the server's instance actor, is
    // no report: anyone could write into the organisation's notifications.
    let person = masto.actor("/users/troll", "Person", None);
    let from_person = filled(
        masto.fixture("mastodon/flag.json", "mastodon.example"),
        &[("TARGET", &ngo.ap_id), ("POST", &post.ap_id)],
    );
    let mut from_person = from_person;
    from_person["id"] = json!(masto.url("/flags/3"));
    from_person["actor"] = json!(person);
    let (status, _) = masto.send(&person, &shared_inbox, &from_person).await;
    assert_eq!(status, 202);

    let listed = cli_out(&alpha.db_url, &["admin", "reports", "--unresolved"]);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    let id = listed.split('\t').next().unwrap().to_string();
    assert!(
        listed.contains(&format!("against @ngo@{}", alpha.domain)),
        "{listed}"
    );
    assert!(listed.contains(&format!("@{}", masto.domain())), "{listed}");
    assert!(
        listed.contains("1 statuses"),
        "the foreign post is ignored: {listed}"
    );

    let shown = cli_out(&alpha.db_url, &["admin", "reports", "show", &id]);
    for expected in [
        "comment: Please take a look at this user and their posts",
        "Our statement on the dam",
        "category: other",
        "forwarded: no",
        "state: unresolved",
        &format!("target: @ngo@{}", alpha.domain),
        &instance_actor,
    ] {
        assert!(shown.contains(expected), "{expected:?} in {shown}");
    }
    assert!(!shown.contains("380591"), "{shown}");

    // The reported organisation is not told (it would learn who reported
    // it); the instance's staff are, with the report.
    let (status, notifications) = api.get("/api/v1/notifications").await;
    assert_eq!(status, 200);
    assert!(
        !notifications
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["type"] == "admin.report"),
        "{notifications}"
    );
    let (status, notifications) = staff.get("/api/v1/notifications").await;
    assert_eq!(status, 200);
    let report = notifications
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "admin.report")
        .unwrap_or_else(|| panic!("no admin.report in {notifications}"));
    assert_eq!(report["report"]["id"], id.as_str());
    assert_eq!(report["report"]["target_account"]["id"], ngo.id.to_string());
    assert_eq!(report["report"]["status_ids"], json!([post.id.to_string()]));
    assert_eq!(report["account"]["url"], instance_actor.as_str());
    assert_eq!(
        notifications
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["type"] == "admin.report")
            .count(),
        1
    );

    let resolved = cli_out(
        &alpha.db_url,
        &[
            "admin",
            "reports",
            "resolve",
            &id,
            "--note",
            "Spoke to them",
        ],
    );
    assert!(resolved.contains("resolved"), "{resolved}");
    assert_eq!(
        cli_out(&alpha.db_url, &["admin", "reports", "--unresolved"]),
        ""
    );
    let shown = cli_out(&alpha.db_url, &["admin", "reports", "show", &id]);
    assert!(shown.contains("state: resolved"), "{shown}");
    assert!(shown.contains("note: Spoke to them"), "{shown}");
    cli_refused(
        &alpha.db_url,
        &["admin", "reports", "resolve", "999"],
        "no report 999",
    );
}

on_both_databases!(
    incoming_flag_listed,
    incoming_flag_listed_sqlite,
    incoming_flag_listed_postgres
);

async fn report_refuses_foreign_statuses(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("whistle", false).await;
    let target = alpha.create_org("target", false).await;
    alpha.create_org("other", false).await;
    let api = login(&alpha, "whistle").await;
    let theirs = posts::create_post(&alpha.data(), "target", text("target's words"))
        .await
        .unwrap();
    let others = posts::create_post(&alpha.data(), "other", text("someone else's words"))
        .await
        .unwrap();
    // The target's followers-only post, which the reporter does not follow.
    let hidden = posts::create_post(
        &alpha.data(),
        "target",
        NewPost {
            visibility: Visibility::Followers,
            ..text("for our followers only")
        },
    )
    .await
    .unwrap();
    let report = |status_ids: Value, extra: Value| {
        let mut body = json!({"account_id": target.id.to_string(), "status_ids": status_ids});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let refusals = [
        (
            report(json!([others.id.to_string()]), json!({})),
            "not a status of the reported account",
        ),
        (
            report(
                json!([theirs.id.to_string(), others.id.to_string()]),
                json!({}),
            ),
            "not a status of the reported account",
        ),
        (
            report(
                json!([theirs.id.to_string()]),
                json!({"comment": "x".repeat(1001)}),
            ),
            "longer than 1000",
        ),
        (
            report(
                json!([theirs.id.to_string()]),
                json!({"category": "boring"}),
            ),
            "is not one of",
        ),
        (
            report(
                json!((0..51).map(|n| n.to_string()).collect::<Vec<_>>()),
                json!({}),
            ),
            "at most 50",
        ),
    ];
    // A post the reporter may not see answers exactly as one that does not
    // exist: the answer tells nothing of it.
    let nowhere = hidden.id + 1000;
    for id in [hidden.id, nowhere] {
        let (status, answer) = api
            .post(
                "/api/v1/reports",
                report(json!([id.to_string()]), json!({})),
            )
            .await;
        assert_eq!(status, 422, "{id}: {answer}");
        assert_eq!(
            answer,
            json!({"error": format!("status {id} is not a status of the reported account")})
        );
    }
    for (body, says) in refusals {
        let (status, answer) = api.post("/api/v1/reports", body.clone()).await;
        assert_eq!(status, 422, "{body} -> {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| e.contains(says)),
            "{answer} should say {says}"
        );
    }
    let (status, _) = api
        .post("/api/v1/reports", json!({"account_id": "987654"}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(cli_out(&alpha.db_url, &["admin", "reports"]), "");

    // Its own status, as a form: accepted; a local target is not forwarded.
    let response = crate::common::client()
        .post(format!("{}/api/v1/reports", alpha.base_url()))
        .bearer_auth(&api.token)
        .form(&[
            ("account_id", target.id.to_string()),
            ("status_ids[]", theirs.id.to_string()),
            ("forward", "true".into()),
            ("category", "spam".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["status_ids"], json!([theirs.id.to_string()]));
    assert_eq!(report["category"], "spam");
    assert_eq!(report["forwarded"], false);
    assert_eq!(alpha.pending_deliveries().await, 0);
}

on_both_databases!(
    report_refuses_foreign_statuses,
    report_refuses_foreign_statuses_sqlite,
    report_refuses_foreign_statuses_postgres
);
