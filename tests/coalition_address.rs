//! Issue 14, "Addressing a coalition": a local member addresses a post or
//! an event to a local coalition (`--coalition` in the CLI, `audience` in
//! the API); it carries FEP-1b12 `audience`, names the coalition in `cc`,
//! and the coalition relays it (once) to its followers, here stand-ins
//! ([`Remote`]) serving NodeInfo as Mastodon and as Lemmy. An incoming
//! note's `audience` is bounded with `to`/`cc` and stored.

use crate::common::{
    Api, Backend, TestInstance, cli_refused, eventually, remote::Remote, temp_dir,
};
use crate::on_both_databases;
use kuvend::service::{acting::Acting, events};
use kuvend::storage::models::ActorRow;
use serde_json::{Value, json};
use std::time::Duration;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";
const PASSWORD: &str = "correct horse battery";

struct Stage {
    _dir: tempfile::TempDir,
    alpha: TestInstance,
    climate: ActorRow,
    lead: ActorRow,
    masto: Remote,
    lemmy: Remote,
}

impl Stage {
    /// Alpha with the coalition `climate` founded by the organisation
    /// `lead` (so a member), followed by a Mastodon-like and a Lemmy-like
    /// stand-in; `outsider` is a local organisation that is not a member.
    async fn start(backend: Backend) -> Stage {
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let lead = alpha.create_org("lead", false).await;
        alpha.create_org("outsider", false).await;
        let climate = alpha.create_coalition("climate", "lead", false).await;
        for (email, org) in [
            ("owner@lead.example", "lead"),
            ("owner@outsider.example", "outsider"),
        ] {
            kuvend::service::auth::create_user(alpha.ctx(), email, PASSWORD, Some((org, "owner")))
                .await
                .unwrap();
        }
        let mut masto = Remote::start("events.test").await;
        masto.serve_nodeinfo("mastodon");
        let mut lemmy = Remote::start("mobilizon.test").await;
        lemmy.serve_nodeinfo("lemmy");
        for remote in [&mut masto, &mut lemmy] {
            let follower = remote.actor("/users/reader", "Person", None);
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
        for remote in [&masto, &lemmy] {
            alpha.wait_software_learnt(remote.domain()).await;
        }
        Stage {
            _dir: dir,
            alpha,
            climate,
            lead,
            masto,
            lemmy,
        }
    }

    /// `kuvend <args>` against alpha's database, as alpha (its domain, so
    /// what it writes has alpha's ids; alpha's worker delivers it).
    fn cli(&self, args: &[&str]) -> String {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_kuvend"))
            .env("KUVEND_DATABASE__URL", &self.alpha.db_url)
            .env("KUVEND_INSTANCE__DOMAIN", &self.alpha.domain)
            .env("KUVEND_INSTANCE__HTTPS", "false")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    async fn local_posts(&self) -> i64 {
        let mut conn = self.alpha.ctx().db.conn().await.unwrap();
        conn.q().count_local_posts().await.unwrap()
    }

    async fn relays_of(&self, ap_id: &str) -> usize {
        let post = self.alpha.post(ap_id).await.expect("stored");
        let mut conn = self.alpha.ctx().db.conn().await.unwrap();
        conn.q().relays_of_post(post.id).await.unwrap().len()
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

/// Announces of the object's id (the shape Mastodon shows as a boost).
fn object_announces(remote: &Remote, object: &str) -> usize {
    announces(remote)
        .iter()
        .filter(|a| a["object"] == object)
        .count()
}

/// FEP-1b12 Announces of an activity of `kind` about `object`.
fn activity_announces(remote: &Remote, kind: &str, object: &str) -> Vec<Value> {
    announces(remote)
        .into_iter()
        .filter(|a| {
            a["object"]["type"] == kind
                && (a["object"]["object"]["id"] == object || a["object"]["object"] == object)
        })
        .collect()
}

async fn settled(alpha: &TestInstance) {
    eventually("no delivery pending", Duration::from_secs(30), || async {
        alpha.pending_deliveries().await == 0
    })
    .await;
}

async fn calendar(alpha: &TestInstance, path: &str) -> String {
    let response = crate::common::client()
        .get(format!("{}{path}", alpha.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.unwrap()
}

/// A local member's event created with `--coalition` is relayed as its
/// posts are: the Mastodon-like follower gets the coalition's boost of the
/// Event, the Lemmy-like our `Create{Event}` (with `audience` and the
/// coalition in `cc`), and it is on the coalition's calendar; its update,
/// cancellation and deletion follow the relay.
async fn local_member_event_addressed_to_coalition_is_relayed(backend: Backend) {
    let stage = Stage::start(backend).await;
    let page = stage.cli(&[
        "admin",
        "event",
        "create",
        "lead",
        "--name",
        "Water forum",
        "--start",
        "2099-12-10T18:00",
        "--timezone",
        "Europe/Tirane",
        "--coalition",
        "climate",
    ]);
    let (view, _) = events::find_event(stage.alpha.ctx(), &page)
        .await
        .expect("the event");
    let event_id = view.post.ap_id.clone();
    assert_eq!(
        view.post.audience.as_deref(),
        Some(stage.climate.ap_id.as_str())
    );
    settled(&stage.alpha).await;

    assert_eq!(
        object_announces(&stage.masto, &event_id),
        1,
        "mastodon-like follower got the coalition's boost once: {:?}",
        announces(&stage.masto)
    );
    let creates = activity_announces(&stage.lemmy, "Create", &event_id);
    assert_eq!(creates.len(), 1, "lemmy: {:?}", announces(&stage.lemmy));
    let event = &creates[0]["object"]["object"];
    assert_eq!(event["type"], "Event");
    assert_eq!(event["audience"], json!([stage.climate.ap_id]));
    assert!(
        event["cc"]
            .as_array()
            .unwrap()
            .contains(&json!(stage.climate.ap_id)),
        "{event}"
    );
    let ics = calendar(&stage.alpha, "/@climate/events.ics").await;
    assert!(ics.contains("Water forum"), "{ics}");

    // The update and the cancellation (an Update too) follow the relay.
    let acting = Acting::admin(stage.lead.clone());
    events::update_event(
        &stage.alpha.data(),
        &acting,
        &event_id,
        events::EventInput {
            place: Some("Town hall".into()),
            ..events::EventInput::default()
        },
    )
    .await
    .expect("update");
    events::cancel_event(&stage.alpha.data(), &acting, &event_id, None)
        .await
        .expect("cancel");
    settled(&stage.alpha).await;
    let updates = activity_announces(&stage.lemmy, "Update", &event_id);
    assert_eq!(updates.len(), 2, "lemmy: {:?}", announces(&stage.lemmy));
    assert!(
        updates
            .iter()
            .any(|a| a["object"]["object"]["location"]["name"] == "Town hall"),
        "{updates:?}"
    );

    // Its coalition cannot be changed afterwards; named again unchanged
    // (clients that send every field), it is no change.
    let with_coalition = |name: &str| events::EventInput {
        coalition: Some(name.into()),
        ..events::EventInput::default()
    };
    let data = stage.alpha.data();
    let changed =
        events::update_event(&data, &acting, &event_id, with_coalition("elsewhere")).await;
    assert!(changed.is_err(), "the coalition of an event cannot change");
    let same = events::update_event(&data, &acting, &event_id, with_coalition("@climate")).await;
    assert!(same.is_ok(), "the same coalition again: {:?}", same.err());

    events::delete_event(stage.alpha.ctx(), &acting, &event_id)
        .await
        .expect("delete");
    settled(&stage.alpha).await;
    assert_eq!(
        activity_announces(&stage.lemmy, "Delete", &event_id).len(),
        1,
        "lemmy: {:?}",
        announces(&stage.lemmy)
    );
    let undone = stage.masto.received().into_iter().any(|a| {
        a["type"] == "Undo" && a["object"].as_str().is_some_and(|o| o.ends_with("/object"))
    });
    assert!(undone, "mastodon-like follower got the Undo of the boost");
    let ics = calendar(&stage.alpha, "/@climate/events.ics").await;
    assert!(!ics.contains("Water forum"), "{ics}");
}

on_both_databases!(
    local_member_event_addressed_to_coalition_is_relayed,
    local_member_event_addressed_to_coalition_is_relayed_sqlite,
    local_member_event_addressed_to_coalition_is_relayed_postgres
);

/// `kuvend admin post --coalition` relays the post once, also when its text
/// mentions the coalition as well; a non-member is refused and nothing is
/// written.
async fn admin_post_to_coalition_relays_once(backend: Backend) {
    let stage = Stage::start(backend).await;
    let page = stage.cli(&[
        "admin",
        "post",
        "lead",
        "Our statement with @climate",
        "--coalition",
        "@climate",
    ]);
    let (post, _) = kuvend::service::posts::find_stored_post(stage.alpha.ctx(), &page)
        .await
        .unwrap()
        .expect("the post");
    assert_eq!(post.audience.as_deref(), Some(stage.climate.ap_id.as_str()));
    settled(&stage.alpha).await;
    assert_eq!(stage.relays_of(&post.ap_id).await, 1);
    assert_eq!(
        object_announces(&stage.masto, &post.ap_id),
        1,
        "{:?}",
        announces(&stage.masto)
    );
    let creates = activity_announces(&stage.lemmy, "Create", &post.ap_id);
    assert_eq!(creates.len(), 1, "{:?}", announces(&stage.lemmy));
    let note = &creates[0]["object"]["object"];
    assert_eq!(note["audience"], json!([stage.climate.ap_id]));
    // Named once in cc, though both mentioned and addressed.
    let cc = note["cc"].as_array().unwrap();
    assert_eq!(
        cc.iter()
            .filter(|a| **a == json!(stage.climate.ap_id))
            .count(),
        1,
        "{note}"
    );

    let before = stage.local_posts().await;
    cli_refused(
        &stage.alpha.db_url,
        &[
            "admin",
            "post",
            "outsider",
            "Not ours",
            "--coalition",
            "climate",
        ],
        "not a member",
    );
    cli_refused(
        &stage.alpha.db_url,
        &["admin", "post", "lead", "Nowhere", "--coalition", "nobody"],
        "no coalition",
    );
    assert_eq!(stage.local_posts().await, before);
}

on_both_databases!(
    admin_post_to_coalition_relays_once,
    admin_post_to_coalition_relays_once_sqlite,
    admin_post_to_coalition_relays_once_postgres
);

/// The statuses API's `audience` (the coalition's account id, handle or ap
/// id) relays the post; an unknown coalition, a coalition the account is not
/// a member of, and a direct post get 422 with the reason, and nothing is
/// written.
async fn api_audience_relays_and_refuses_unknown_or_non_member(backend: Backend) {
    let stage = Stage::start(backend).await;
    let lead = Api::login(&stage.alpha.base_url(), "owner@lead.example", PASSWORD).await;
    let (status, body) = lead
        .post(
            "/api/v1/statuses",
            json!({"status": "For the coalition", "audience": stage.climate.id.to_string()}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let uri = body["uri"].as_str().unwrap().to_string();
    let (status, body) = lead
        .post(
            "/api/v1/statuses",
            json!({"status": "By its ap id", "audience": stage.climate.ap_id}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let by_ap_id = body["uri"].as_str().unwrap().to_string();
    settled(&stage.alpha).await;
    for post in [&uri, &by_ap_id] {
        assert_eq!(object_announces(&stage.masto, post), 1, "{post}");
        assert_eq!(
            activity_announces(&stage.lemmy, "Create", post).len(),
            1,
            "{post}"
        );
    }

    let before = (stage.local_posts().await, stage.alpha.counts().await);
    let refused = [
        (
            &lead,
            json!({"status": "x", "audience": "nobody"}),
            "no coalition",
        ),
        (
            &lead,
            json!({"status": "x", "audience": "climate", "visibility": "direct"}),
            "members-only thread",
        ),
    ];
    let outsider = Api::login(&stage.alpha.base_url(), "owner@outsider.example", PASSWORD).await;
    let not_member = (
        &outsider,
        json!({"status": "x", "audience": "@climate"}),
        "not a member",
    );
    for (api, body, says) in refused.into_iter().chain([not_member]) {
        let (status, answer) = api.post("/api/v1/statuses", body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        let reason = answer["error"].as_str().unwrap_or_default();
        assert!(reason.contains(says), "{body}: {answer}");
    }
    let after = (stage.local_posts().await, stage.alpha.counts().await);
    assert_eq!(before.0, after.0, "no post written");
    assert_eq!(
        before.1.activities, after.1.activities,
        "no activity written"
    );
}

on_both_databases!(
    api_audience_relays_and_refuses_unknown_or_non_member,
    api_audience_relays_and_refuses_unknown_or_non_member_sqlite,
    api_audience_relays_and_refuses_unknown_or_non_member_postgres
);

/// An incoming note's `audience` counts with `to`/`cc` under
/// `note_recipients_max`: one past it is refused (422) and nothing stored;
/// a note naming the coalition in `audience` is stored with it.
async fn note_with_too_many_audience_entries_is_refused(backend: Backend) {
    let stage = Stage::start(backend).await;
    let mut sender = Remote::start("gancio.test").await;
    let actor = sender.actor("/users/ngo", "Organization", None);
    let max = stage.alpha.ctx().settings.limits.note_recipients_max;
    let note = |n: u32, audience: Value| {
        json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": sender.url(&format!("/notes/{n}/activity")),
            "type": "Create",
            "actor": actor,
            "to": [PUBLIC],
            "object": {
                "id": sender.url(&format!("/notes/{n}")),
                "type": "Note",
                "attributedTo": actor,
                "content": "<p>To the coalition</p>",
                "to": [PUBLIC],
                "cc": [stage.climate.ap_id],
                "audience": audience,
            },
        })
    };
    // `to` and `cc` hold two: max - 1 more audience entries make max + 1.
    let flood: Vec<String> = (0..max - 1)
        .map(|i| format!("https://groups.example/g/{i}"))
        .collect();
    let (status, body) = sender
        .send(&actor, &stage.climate.inbox_url, &note(1, json!(flood)))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        stage.alpha.post(&sender.url("/notes/1")).await.is_none(),
        "nothing stored"
    );

    let (status, body) = sender
        .send(
            &actor,
            &stage.climate.inbox_url,
            &note(2, json!(["not a url", stage.climate.ap_id])),
        )
        .await;
    assert!(status < 300, "{status} {body}");
    let ap_id = sender.url("/notes/2");
    let alpha = &stage.alpha;
    eventually("the note is stored", Duration::from_secs(10), || async {
        alpha.post(&ap_id).await.is_some()
    })
    .await;
    let stored = alpha.post(&ap_id).await.unwrap();
    assert_eq!(
        stored.audience.as_deref(),
        Some(stage.climate.ap_id.as_str())
    );
}

on_both_databases!(
    note_with_too_many_audience_entries_is_refused,
    note_with_too_many_audience_entries_is_refused_sqlite,
    note_with_too_many_audience_entries_is_refused_postgres
);
