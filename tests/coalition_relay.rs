//! Issue 14 item 1: a coalition on kuvend relays its members' public posts
//! to its followers, in the shape each follower's software reads. The
//! coalition is on a real instance; its member and its followers are
//! stand-ins ([`Remote`]) that sign what they send over loopback HTTP and
//! serve NodeInfo as Mastodon, as Lemmy, or not at all.

use crate::common::{
    Api, Backend, TestInstance, cli_refused, eventually, kuvend_cli, new_database, remote::Remote,
    temp_dir,
};
use crate::on_both_databases;
use kuvend::storage::models::ActorRow;
use serde_json::{Value, json};
use std::time::Duration;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const PASSWORD: &str = "correct horse battery";

struct Stage {
    _dir: tempfile::TempDir,
    alpha: TestInstance,
    climate: ActorRow,
    member_host: Remote,
    member: String,
    masto: Remote,
    lemmy: Remote,
    lemmy_user: String,
    unknown: Remote,
    /// The owner of `reader`, a local organisation following the coalition.
    reader: Api,
    posts: usize,
}

impl Stage {
    async fn start(backend: Backend) -> Stage {
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        alpha.create_org("lead", false).await;
        let climate = alpha.create_coalition("climate", "lead", false).await;

        let mut member_host = Remote::start("gancio.test").await;
        member_host.serve_nodeinfo("kuvend");
        let member = member_host.actor("/users/ngo", "Organization", None);
        alpha.insert_member(&climate, &member).await;

        let mut masto = Remote::start("events.test").await;
        masto.serve_nodeinfo("mastodon");
        let mut lemmy = Remote::start("mobilizon.test").await;
        lemmy.serve_nodeinfo("lemmy");
        let mut unknown = Remote::start("gamma.test").await;
        let mut lemmy_user = String::new();
        for (n, remote) in [&mut masto, &mut lemmy, &mut unknown]
            .into_iter()
            .enumerate()
        {
            let follower = remote.actor("/users/reader", "Person", None);
            if n == 1 {
                lemmy_user = follower.clone();
            }
            let follow = json!({
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": remote.url("/follows/1"),
                "type": "Follow",
                "actor": follower,
                "object": climate.ap_id,
            });
            let (status, _) = remote.send(&follower, &climate.inbox_url, &follow).await;
            assert!(status < 300, "{status}");
        }
        // Each follower's software is learnt after its follow.
        for remote in [&masto, &lemmy, &unknown] {
            alpha.wait_software_learnt(remote.domain()).await;
        }
        // A local follower of the coalition, with a login to read its home.
        alpha.create_org("reader", false).await;
        kuvend::service::auth::create_user(
            alpha.ctx(),
            "owner@reader.example",
            PASSWORD,
            Some(("reader", "owner")),
        )
        .await
        .unwrap();
        kuvend::service::follows::follow(&alpha.data(), "reader", &climate.ap_id)
            .await
            .expect("local follow");
        let reader_id = format!("{}/users/reader", alpha.base_url());
        eventually("local follow accepted", Duration::from_secs(20), || async {
            alpha
                .follow_state(&reader_id, &climate.ap_id)
                .await
                .as_deref()
                == Some("accepted")
        })
        .await;
        let reader = Api::login(&alpha.base_url(), "owner@reader.example", PASSWORD).await;
        Stage {
            _dir: dir,
            reader,
            alpha,
            climate,
            member_host,
            member,
            masto,
            lemmy,
            lemmy_user,
            unknown,
            posts: 0,
        }
    }

    /// The member's `Create{Note}` addressed to the coalition (public, the
    /// coalition in `cc` and `audience`), as sent; `reply_to` makes it a reply.
    async fn post(&mut self, reply_to: Option<&str>) -> Value {
        let create = self.next_create(reply_to);
        let (status, body) = self
            .member_host
            .send(&self.member, &self.climate.inbox_url, &create)
            .await;
        assert!(status < 300, "{status} {body}");
        create
    }

    /// The member's next `Create{Note}` to the coalition, not yet sent.
    fn next_create(&mut self, reply_to: Option<&str>) -> Value {
        self.posts += 1;
        let n = self.posts;
        let note_id = self.member_host.url(&format!("/notes/{n}"));
        let mut note = json!({
            "id": note_id,
            "type": "Note",
            "attributedTo": self.member,
            "content": format!("<p>Statement {n}</p>"),
            "to": [PUBLIC],
            "cc": [self.climate.ap_id, format!("{}/followers", self.member)],
            "audience": self.climate.ap_id,
            "published": "2026-11-30T10:00:00Z",
        });
        if let Some(parent) = reply_to {
            note["inReplyTo"] = json!(parent);
        }
        json!({
            "@context": ["https://www.w3.org/ns/activitystreams", {"sensitive": "as:sensitive"}],
            "id": self.member_host.url(&format!("/notes/{n}/activity")),
            "type": "Create",
            "actor": self.member,
            "to": [PUBLIC],
            "cc": [self.climate.ap_id],
            "object": note,
        })
    }

    async fn send_as_member(&self, activity: &Value) {
        let (status, body) = self
            .member_host
            .send(&self.member, &self.climate.inbox_url, activity)
            .await;
        assert!(status < 300, "{status} {body}");
    }

    /// `kuvend admin coalition update climate --relay … --relay-cap …`.
    fn set_relay(&self, mode: Option<&str>, cap: Option<i64>) {
        let cap = cap.map(|c| c.to_string());
        let mut args = vec!["admin", "coalition", "update", "climate"];
        if let Some(mode) = mode {
            args.extend(["--relay", mode]);
        }
        if let Some(cap) = cap.as_deref() {
            args.extend(["--relay-cap", cap]);
        }
        let out = kuvend_cli(&self.alpha.db_url, &args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The entries of the local follower's home timeline about `note`:
    /// the post itself or a boost of it.
    async fn home_entries_of(&self, note: &str) -> Vec<Value> {
        let (status, home) = self.reader.get("/api/v1/timelines/home").await;
        assert_eq!(status, 200, "{home}");
        home.as_array()
            .unwrap()
            .iter()
            .filter(|s| s["uri"] == note || s["reblog"]["uri"] == note)
            .cloned()
            .collect()
    }
}

/// The Announces a stand-in received from the coalition.
fn announces(remote: &Remote) -> Vec<Value> {
    remote
        .received()
        .into_iter()
        .filter(|a| a["type"] == "Announce")
        .collect()
}

/// Waits until the coalition has delivered everything it queued.
async fn settled(alpha: &TestInstance) {
    eventually("no delivery pending", Duration::from_secs(30), || async {
        alpha.pending_deliveries().await == 0
    })
    .await;
}

fn object_id_announce(announces: &[Value], object: &str) -> Option<Value> {
    announces.iter().find(|a| a["object"] == object).cloned()
}

fn activity_announce(announces: &[Value], kind: &str, inner_id: &str) -> Option<Value> {
    announces
        .iter()
        .find(|a| a["object"]["type"] == kind && a["object"]["id"] == inner_id)
        .cloned()
}

/// FEP-1b12 relays the member's activity unchanged: a body laid out by
/// hand (indented, as some servers send) reaches forum software byte for
/// byte inside the coalition's `Announce`, not re-serialised.
async fn relayed_activity_is_the_members_bytes(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let create = stage.next_create(None);
    let body = serde_json::to_string_pretty(&create).unwrap();
    let (status, reply) = stage
        .member_host
        .send_body(
            &stage.member,
            &stage.climate.inbox_url,
            body.clone().into_bytes(),
        )
        .await;
    assert!(status < 300, "{status} {reply}");
    settled(&stage.alpha).await;
    let bodies = stage.lemmy.received_bodies();
    assert!(
        bodies.iter().any(|b| b.contains(&body)),
        "the member's bytes in an Announce: {bodies:#?}"
    );
}

on_both_databases!(
    relayed_activity_is_the_members_bytes,
    relayed_activity_is_the_members_bytes_sqlite,
    relayed_activity_is_the_members_bytes_postgres
);

async fn member_post_reaches_each_follower_in_its_shape(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let create = stage.post(None).await;
    settled(&stage.alpha).await;
    let note_id = create["object"]["id"].as_str().unwrap().to_string();
    let create_id = create["id"].as_str().unwrap().to_string();

    // Mastodon: exactly one Announce, of the object's id as a string.
    let masto = announces(&stage.masto);
    assert_eq!(masto.len(), 1, "{masto:#?}");
    assert_eq!(masto[0]["object"], note_id.as_str());
    assert_eq!(masto[0]["actor"], stage.climate.ap_id.as_str());
    assert_eq!(masto[0]["to"], json!([PUBLIC]));
    assert_eq!(masto[0]["audience"], stage.climate.ap_id.as_str());
    // Lemmy: the member's Create, unchanged (its @context too).
    let lemmy = announces(&stage.lemmy);
    assert_eq!(lemmy.len(), 1, "{lemmy:#?}");
    assert_eq!(lemmy[0]["object"], create);
    // Unknown software: both.
    let unknown = announces(&stage.unknown);
    assert_eq!(unknown.len(), 2, "{unknown:#?}");
    assert!(object_id_announce(&unknown, &note_id).is_some());
    assert!(activity_announce(&unknown, "Create", &create_id).is_some());

    // The relay ids answer the Announces as sent (research pitfall 3).
    let (status, fetched) = fetch_json(&stage.alpha, masto[0]["id"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{fetched}");
    assert_eq!(fetched["type"], "Announce");
    assert_eq!(fetched["object"], note_id.as_str());
    assert_eq!(fetched["actor"], stage.climate.ap_id.as_str());
    let activity_shape = lemmy[0]["id"].as_str().unwrap().to_string();
    let (status, fetched) = fetch_json(&stage.alpha, &activity_shape).await;
    assert_eq!(status, 200, "{fetched}");
    assert_eq!(fetched["object"], create);
    // Another coalition's path, or a relay number never used: 404.
    let (status, _) = fetch_json(
        &stage.alpha,
        &activity_shape.replace("/relays/", "/relays/9"),
    )
    .await;
    assert_eq!(status, 404);

    // The local follower sees it once, as the coalition's boost, and the
    // coalition's statuses list that boost.
    let home = stage.home_entries_of(&note_id).await;
    assert_eq!(home.len(), 1, "{home:#?}");
    assert_eq!(home[0]["account"]["acct"], "climate");
    assert_eq!(home[0]["reblog"]["uri"], note_id.as_str());
    assert_eq!(
        home[0]["uri"], masto[0]["id"],
        "the boost is the relay's Announce"
    );
    let (status, statuses) = stage
        .reader
        .get(&format!("/api/v1/accounts/{}/statuses", stage.climate.id))
        .await;
    assert_eq!(status, 200, "{statuses}");
    assert!(
        statuses
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["reblog"]["uri"] == note_id.as_str()),
        "{statuses:#}"
    );

    // A reply under `top-level`: only Lemmy, which shows threads, gets it;
    // neither Mastodon nor the unknown software.
    let first_reply = stage.post(Some(&note_id)).await;
    settled(&stage.alpha).await;
    assert_eq!(announces(&stage.masto).len(), 1);
    assert_eq!(announces(&stage.unknown).len(), 2);
    assert_eq!(announces(&stage.lemmy).len(), 2);
    assert!(
        activity_announce(
            &announces(&stage.lemmy),
            "Create",
            first_reply["id"].as_str().unwrap()
        )
        .is_some()
    );
    // Under `all` it goes everywhere.
    stage.set_relay(Some("all"), None);
    let reply = stage.post(Some(&note_id)).await;
    settled(&stage.alpha).await;
    let reply_note = reply["object"]["id"].as_str().unwrap();
    assert!(object_id_announce(&announces(&stage.masto), reply_note).is_some());
    assert!(
        activity_announce(
            &announces(&stage.lemmy),
            "Create",
            reply["id"].as_str().unwrap()
        )
        .is_some()
    );
    assert_eq!(announces(&stage.unknown).len(), 4);

    // Edit: Lemmy gets Announce{Update}, Mastodon nothing more.
    let masto_before = announces(&stage.masto).len();
    let mut edited = create["object"].clone();
    edited["content"] = json!("<p>Statement 1, corrected</p>");
    edited["updated"] = json!("2026-11-30T11:00:00Z");
    let update = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": stage.member_host.url("/notes/1/update/1"),
        "type": "Update",
        "actor": stage.member,
        "to": [PUBLIC],
        "cc": [stage.climate.ap_id],
        "object": edited,
    });
    stage.send_as_member(&update).await;
    settled(&stage.alpha).await;
    let got = activity_announce(
        &announces(&stage.lemmy),
        "Update",
        update["id"].as_str().unwrap(),
    )
    .expect("Announce{Update} at Lemmy");
    assert_eq!(got["object"], update);
    assert_eq!(announces(&stage.masto).len(), masto_before);

    // Delete: Lemmy Announce{Delete}; Mastodon Undo{Announce} of the id it got.
    let delete = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": stage.member_host.url("/notes/1/delete"),
        "type": "Delete",
        "actor": stage.member,
        "to": [PUBLIC],
        "object": {"id": note_id, "type": "Tombstone"},
    });
    stage.send_as_member(&delete).await;
    settled(&stage.alpha).await;
    assert!(
        activity_announce(
            &announces(&stage.lemmy),
            "Delete",
            delete["id"].as_str().unwrap()
        )
        .is_some()
    );
    let boost_id = masto[0]["id"].as_str().unwrap();
    let undo = stage
        .masto
        .received()
        .into_iter()
        .find(|a| a["type"] == "Undo")
        .expect("Undo at Mastodon");
    assert_eq!(undo["object"], boost_id);
    assert!(stage.lemmy.received().iter().all(|a| a["type"] != "Undo"));
    // The local follower's boost went with the post, and the relay ids
    // no longer answer.
    assert!(stage.home_entries_of(&note_id).await.is_empty());
    for id in [boost_id, activity_shape.as_str()] {
        let (status, body) = fetch_json(&stage.alpha, id).await;
        assert_eq!(status, 404, "{id}: {body}");
    }
}

on_both_databases!(
    member_post_reaches_each_follower_in_its_shape,
    member_post_reaches_each_follower_in_its_shape_sqlite,
    member_post_reaches_each_follower_in_its_shape_postgres
);

async fn non_member_post_to_coalition_is_not_relayed(backend: Backend) {
    let stage = Stage::start(backend).await;
    // A Lemmy user (its software is known: Lemmy) posts to the coalition.
    let note_id = stage.lemmy.url("/post/9");
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": stage.lemmy.url("/activities/create/9"),
        "type": "Create",
        "actor": stage.lemmy_user,
        "to": [PUBLIC, stage.climate.ap_id],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": stage.lemmy_user,
            "content": "<p>Not a member</p>",
            "to": [PUBLIC, stage.climate.ap_id],
            "audience": stage.climate.ap_id,
        },
    });
    let (status, _) = stage
        .lemmy
        .send(&stage.lemmy_user, &stage.climate.inbox_url, &create)
        .await;
    assert!(status < 300);
    settled(&stage.alpha).await;
    assert!(announces(&stage.masto).is_empty());
    assert!(announces(&stage.unknown).is_empty());
    assert!(announces(&stage.lemmy).is_empty());
    let reject = stage
        .lemmy
        .received()
        .into_iter()
        .find(|a| a["type"] == "Reject")
        .expect("the non-member gets a Reject");
    assert_eq!(reject["object"], create["id"]);
    assert_eq!(reject["actor"], stage.climate.ap_id.as_str());
}

on_both_databases!(
    non_member_post_to_coalition_is_not_relayed,
    non_member_post_to_coalition_is_not_relayed_sqlite,
    non_member_post_to_coalition_is_not_relayed_postgres
);

async fn member_flooding_past_the_hourly_cap_is_not_relayed(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    stage.set_relay(None, Some(2));
    for _ in 0..3 {
        stage.post(None).await;
    }
    settled(&stage.alpha).await;
    assert_eq!(announces(&stage.masto).len(), 2);
    assert_eq!(announces(&stage.lemmy).len(), 2);
    assert!(
        object_id_announce(&announces(&stage.masto), &stage.member_host.url("/notes/3")).is_none()
    );
    // `none`: nothing at all.
    stage.set_relay(Some("none"), Some(0));
    stage.post(None).await;
    settled(&stage.alpha).await;
    assert_eq!(announces(&stage.masto).len(), 2);
}

on_both_databases!(
    member_flooding_past_the_hourly_cap_is_not_relayed,
    member_flooding_past_the_hourly_cap_is_not_relayed_sqlite,
    member_flooding_past_the_hourly_cap_is_not_relayed_postgres
);

/// `--relay` and `--relay-cap` on the command line: set, shown, changed;
/// bad values refused in one line with nothing changed.
async fn relay_settings_from_the_cli(backend: Backend) {
    let dir = temp_dir();
    let db = new_database(backend, dir.path(), "cli").await;
    let ok = |args: &[&str]| {
        let out = kuvend_cli(&db, args);
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{args:?}: {err}");
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    ok(&["admin", "org", "create", "ngo", "--name", "Our NGO"]);
    let create = |name: &'static str| {
        [
            "admin",
            "coalition",
            "create",
            name,
            "--name",
            "C",
            "--by",
            "ngo",
        ]
    };
    ok(&create("plain"));
    let show = ok(&["admin", "coalition", "show", "plain"]);
    assert!(show.contains("relay: top-level\n"), "the default: {show}");
    assert!(
        show.contains("relay cap: 20 per member and hour\n"),
        "{show}"
    );
    ok(&[
        &create("climate")[..],
        &["--relay", "none", "--relay-cap", "5"],
    ]
    .concat());
    let show = ok(&["admin", "coalition", "show", "climate"]);
    assert!(show.contains("relay: none\n"), "{show}");
    assert!(
        show.contains("relay cap: 5 per member and hour\n"),
        "{show}"
    );

    cli_refused(
        &db,
        &[&create("loud")[..], &["--relay", "everything"]].concat(),
        "not one of all, top-level, none",
    );
    cli_refused(
        &db,
        &[&create("loud")[..], &["--relay-cap", "lots"]].concat(),
        "whole number from 0",
    );
    assert!(
        !ok(&["admin", "coalition", "list"]).contains("@loud@"),
        "nothing was created"
    );
    let update = ["admin", "coalition", "update", "climate"];
    cli_refused(
        &db,
        &[&update[..], &["--relay", "sometimes", "--relay-cap", "3"]].concat(),
        "not one of all, top-level, none",
    );
    cli_refused(
        &db,
        &[&update[..], &["--relay", "all", "--relay-cap", "1000001"]].concat(),
        "whole number from 0",
    );
    let show = ok(&["admin", "coalition", "show", "climate"]);
    assert!(
        show.contains("relay: none\n") && show.contains("relay cap: 5 per"),
        "nothing changed: {show}"
    );
    ok(&[&update[..], &["--relay", "all", "--relay-cap", "0"]].concat());
    let show = ok(&["admin", "coalition", "show", "climate"]);
    assert!(show.contains("relay: all\n"), "{show}");
    assert!(
        show.contains("relay cap: 0 per member and hour (no cap)"),
        "{show}"
    );
}

on_both_databases!(
    relay_settings_from_the_cli,
    relay_settings_from_the_cli_sqlite,
    relay_settings_from_the_cli_postgres
);

/// The coalition entity shows the relay settings; an admin organisation's
/// owner changes them, a bad value is refused (422) and changes nothing,
/// a stranger learns nothing (404).
async fn relay_settings_in_the_api(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("lead", false).await;
    alpha.create_org("stranger", false).await;
    let climate = alpha.create_coalition("climate", "lead", false).await;
    let base = alpha.base_url();
    for (email, org) in [
        ("owner@lead.example", "lead"),
        ("owner@stranger.example", "stranger"),
    ] {
        kuvend::service::auth::create_user(alpha.ctx(), email, PASSWORD, Some((org, "owner")))
            .await
            .unwrap();
    }
    let lead = Api::login(&base, "owner@lead.example", PASSWORD).await;
    let stranger = Api::login(&base, "owner@stranger.example", PASSWORD).await;
    let path = format!("/api/v1/kuvend/coalitions/{}", climate.id);
    let (status, shown) = lead.get(&path).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["coalition"]["relay"], "top-level");
    assert_eq!(shown["coalition"]["relay_cap"], 20);

    let (status, body) = patch(&lead, &path, json!({"relay": "everything"})).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("all, top-level, none"),
        "{body}"
    );
    let (status, body) = patch(&lead, &path, json!({"relay": "all", "relay_cap": -1})).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = patch(&stranger, &path, json!({"relay": "none"})).await;
    assert_eq!(status, 404, "{body}");
    // A valid relay setting with an invalid name: the whole change is
    // refused, the relay setting included.
    let long_name = "n".repeat(101);
    let (status, body) = patch(
        &lead,
        &path,
        json!({"relay": "none", "relay_cap": 7, "display_name": long_name}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (_, shown) = lead.get(&path).await;
    assert_eq!(shown["coalition"]["relay"], "top-level", "nothing changed");
    assert_eq!(shown["coalition"]["relay_cap"], 20);

    let (status, updated) = patch(&lead, &path, json!({"relay": "all", "relay_cap": 3})).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["coalition"]["relay"], "all");
    assert_eq!(updated["coalition"]["relay_cap"], 3);
    let mut conn = alpha.ctx().db.conn().await.unwrap();
    assert_eq!(
        conn.q().relay_settings(climate.id).await.unwrap(),
        Some(("all".to_string(), 3))
    );
}

async fn patch(api: &Api, path: &str, body: Value) -> (u16, Value) {
    api.send(reqwest::Method::PATCH, path, Some(body)).await
}

on_both_databases!(
    relay_settings_in_the_api,
    relay_settings_in_the_api_sqlite,
    relay_settings_in_the_api_postgres
);

/// GET as ActivityPub, unsigned.
/// A GET signed by `instance`'s instance actor (authorized fetch is on).
async fn fetch_json(instance: &TestInstance, url: &str) -> (u16, Value) {
    let signer = instance.instance_actor_row().await;
    let response = crate::common::signed_get(&signer, url)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Research pitfall 3: our `Create` ids dereference (Mastodon and Lemmy
/// fetch them), with the object's visibility: public and unlisted to any
/// signed fetch, a followers-only one not to a server it is not addressed
/// to, a deleted one 410.
async fn create_ids_dereference_with_the_objects_visibility(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("ngo", false).await;
    let post = |text: &str, visibility| {
        let data = alpha.data();
        let text = text.to_string();
        async move {
            kuvend::service::posts::create_post(
                &data,
                "ngo",
                kuvend::service::posts::NewPost {
                    text,
                    visibility,
                    in_reply_to: None,
                    spoiler: None,
                    language: None,
                },
            )
            .await
            .unwrap()
        }
    };
    let public = post("Open letter", kuvend::model::Visibility::Public).await;
    let (status, create) = fetch_json(&alpha, &format!("{}/activity", public.ap_id)).await;
    assert_eq!(status, 200, "{create}");
    assert_eq!(create["type"], "Create");
    assert_eq!(create["id"], format!("{}/activity", public.ap_id));
    assert_eq!(create["object"]["id"], public.ap_id.as_str());
    assert!(create["@context"].is_string() || create["@context"].is_array());
    let sent = alpha
        .sent_activity(&format!("{}/activity", public.ap_id))
        .await;
    assert_eq!(create["object"]["content"], sent["object"]["content"]);

    let private = post("Staff only", kuvend::model::Visibility::Followers).await;
    let (status, body) = fetch_json(&alpha, &format!("{}/activity", private.ap_id)).await;
    assert_eq!(status, 404, "{body}");
    assert!(body.get("object").is_none());

    kuvend::service::posts::delete_post(alpha.ctx(), &public.ap_id)
        .await
        .unwrap();
    let (status, _) = fetch_json(&alpha, &format!("{}/activity", public.ap_id)).await;
    assert_eq!(status, 410);
}

on_both_databases!(
    create_ids_dereference_with_the_objects_visibility,
    create_ids_dereference_with_the_objects_visibility_sqlite,
    create_ids_dereference_with_the_objects_visibility_postgres
);

/// A local member organisation's public post that mentions the coalition
/// is relayed in the post's own transaction: the Mastodon-like follower
/// gets the object shape, the Lemmy one our `Create` unchanged.
async fn local_member_post_is_relayed(backend: Backend) {
    let stage = Stage::start(backend).await;
    let post = kuvend::service::posts::create_post(
        &stage.alpha.data(),
        "lead",
        kuvend::service::posts::NewPost {
            text: "Our statement, for the coalition @climate".into(),
            visibility: kuvend::model::Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: None,
        },
    )
    .await
    .expect("post");
    settled(&stage.alpha).await;
    let masto = announces(&stage.masto);
    assert!(
        object_id_announce(&masto, &post.ap_id).is_some(),
        "mastodon-like follower got the object shape: {masto:?}"
    );
    let lemmy = announces(&stage.lemmy);
    assert!(
        lemmy
            .iter()
            .any(|a| a["object"]["type"] == "Create" && a["object"]["object"]["id"] == post.ap_id),
        "lemmy follower got the Create: {lemmy:?}"
    );

    // Its edit and deletion follow the relay: Announce{Update} and
    // Announce{Delete} to the Lemmy-like, Undo{Announce} to the Mastodon-like.
    kuvend::service::posts::edit_post(
        &stage.alpha.data(),
        &post.ap_id,
        "Our statement, revised @climate",
    )
    .await
    .expect("edit");
    kuvend::service::posts::delete_post(stage.alpha.ctx(), &post.ap_id)
        .await
        .expect("delete");
    settled(&stage.alpha).await;
    let lemmy = announces(&stage.lemmy);
    for kind in ["Update", "Delete"] {
        assert!(
            lemmy.iter().any(|a| a["object"]["type"] == kind),
            "lemmy follower got the {kind}: {lemmy:?}"
        );
    }
    let undone = stage.masto.received().into_iter().any(|a| {
        a["type"] == "Undo" && a["object"].as_str().is_some_and(|o| o.ends_with("/object"))
    });
    assert!(undone, "mastodon-like follower got the Undo");
}

on_both_databases!(
    local_member_post_is_relayed,
    local_member_post_to_the_coalition_is_relayed_sqlite,
    local_member_post_to_the_coalition_is_relayed_postgres
);
