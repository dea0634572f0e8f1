//! An organisation's blocks and mutes (issue 15 item 1, organisation half):
//! a real instance over HTTP, stand-ins for remote servers signing with
//! real keys, the Mastodon API and the command line, on both databases.

use crate::common::{
    Api, Backend, TestInstance, cli_refused, client, eventually, kuvend_cli, remote::Remote,
    temp_dir,
};
use crate::on_both_databases;
use kuvend::model::Visibility;
use kuvend::service::{blocks, posts::NewPost};
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const PASSWORD: &str = "correct horse battery";

/// An instance with the organisation `ngo` (an owner and an editor login),
/// and a Mastodon-like server with two people, `troll` and `friend`.
struct Stage {
    alpha: TestInstance,
    ngo: kuvend::service::ActorRow,
    masto: Remote,
    troll: String,
    friend: String,
    _dir: tempfile::TempDir,
}

async fn stage(backend: Backend, send_blocks: bool) -> Stage {
    let dir = temp_dir();
    let db_url = crate::common::new_database(backend, dir.path(), "alpha.test").await;
    let alpha = TestInstance::start_configured("alpha.test", &db_url, 0, |s| {
        s.federation.send_blocks = send_blocks;
    })
    .await;
    let ngo = alpha.create_org("ngo", false).await;
    for (email, role) in [
        ("owner@ngo.example", "owner"),
        ("editor@ngo.example", "editor"),
    ] {
        kuvend::service::auth::create_user(alpha.ctx(), email, PASSWORD, Some(("ngo", role)))
            .await
            .unwrap();
    }
    let mut masto = Remote::start("events.test").await;
    masto.serve_nodeinfo("mastodon");
    let troll = masto.actor("/users/troll", "Person", None);
    let friend = masto.actor("/users/friend", "Person", None);
    Stage {
        alpha,
        ngo,
        masto,
        troll,
        friend,
        _dir: dir,
    }
}

impl Stage {
    async fn post(&self, text: &str) -> kuvend::service::PostRow {
        kuvend::service::posts::create_post(
            &self.alpha.data(),
            "ngo",
            NewPost {
                text: text.into(),
                visibility: Visibility::Public,
                in_reply_to: None,
                spoiler: None,
                language: None,
            },
        )
        .await
        .unwrap()
    }

    /// `actor` (on `remote`) follows `ngo`; the inbox's answer.
    async fn follow(&self, remote: &Remote, actor: &str, n: u32) -> u16 {
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}/follows/{n}"),
            "type": "Follow",
            "actor": actor,
            "object": self.ngo.ap_id,
        });
        remote.send(actor, &self.ngo.inbox_url, &follow).await.0
    }

    /// `actor` replies to `parent`, mentioning `ngo`.
    async fn reply(&self, remote: &Remote, actor: &str, n: u32, parent: &str, text: &str) {
        let id = format!("{actor}/statuses/{n}");
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{id}/activity"),
            "type": "Create",
            "actor": actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {
                "id": id,
                "type": "Note",
                "attributedTo": actor,
                "inReplyTo": parent,
                "content": text,
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "cc": [self.ngo.ap_id],
                "tag": [{"type": "Mention", "href": self.ngo.ap_id, "name": "@ngo"}],
                "published": "2026-12-01T10:00:00Z",
            },
        });
        let (status, body) = remote.send(actor, &self.ngo.inbox_url, &create).await;
        assert_eq!(status, 202, "{body}");
        eventually("the reply is stored", WAIT, || async {
            self.alpha.post(&id).await.is_some()
        })
        .await;
    }

    async fn page(&self, post_id: i64) -> String {
        client()
            .get(format!("{}/@ngo/{post_id}", self.alpha.base_url()))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    async fn owner(&self) -> Api {
        Api::login(&self.alpha.base_url(), "owner@ngo.example", PASSWORD).await
    }

    async fn account_id(&self, ap_id: &str) -> String {
        self.alpha
            .actor(ap_id)
            .await
            .expect("known actor")
            .id
            .to_string()
    }
}

/// The account ids behind the owner's notifications.
async fn notified_by(api: &Api) -> Vec<String> {
    let (status, list) = api.get("/api/v1/notifications").await;
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| n["account"]["id"].as_str().unwrap().to_string())
        .collect()
}

async fn hides_replies_and_notifications(backend: Backend) {
    let s = stage(backend, false).await;
    assert_eq!(s.follow(&s.masto, &s.troll, 1).await, 202);
    eventually("the troll follows", WAIT, || async {
        s.alpha
            .follow_state(&s.troll, &s.ngo.ap_id)
            .await
            .as_deref()
            == Some("accepted")
    })
    .await;
    let post = s.post("Our statement on the budget").await;
    s.reply(&s.masto, &s.troll, 1, &post.ap_id, "TROLL-BEFORE")
        .await;
    s.reply(&s.masto, &s.friend, 2, &post.ap_id, "FRIEND-REPLY")
        .await;
    let owner = s.owner().await;
    let troll_id = s.account_id(&s.troll).await;
    let page = s.page(post.id).await;
    assert!(page.contains("TROLL-BEFORE") && page.contains("FRIEND-REPLY"));
    assert!(notified_by(&owner).await.contains(&troll_id));

    blocks::block(&s.alpha.data(), "ngo", &s.troll)
        .await
        .unwrap();
    assert_eq!(
        s.alpha.follow_state(&s.troll, &s.ngo.ap_id).await,
        None,
        "the blocked actor's follow is removed"
    );
    s.reply(&s.masto, &s.troll, 3, &post.ap_id, "TROLL-AFTER")
        .await;
    let page = s.page(post.id).await;
    assert!(page.contains("FRIEND-REPLY"), "others' replies stay");
    assert!(
        !page.contains("TROLL-BEFORE") && !page.contains("TROLL-AFTER"),
        "the blocked actor's replies are not on the page"
    );
    let notified = notified_by(&owner).await;
    assert!(!notified.contains(&troll_id), "{notified:?}");
    assert!(notified.contains(&s.account_id(&s.friend).await));
    // Nor in the thread the client API shows.
    let (_, context) = owner
        .get(&format!("/api/v1/statuses/{}/context", post.id))
        .await;
    let text = context.to_string();
    assert!(
        text.contains("FRIEND-REPLY") && !text.contains("TROLL-"),
        "{text}"
    );
}
on_both_databases!(
    hides_replies_and_notifications,
    org_block_hides_replies_and_notifications_sqlite,
    org_block_hides_replies_and_notifications_postgres
);

async fn refuses_follow_and_fetch(backend: Backend) {
    let s = stage(backend, false).await;
    let post = s.post("Members only in spirit").await;
    blocks::block(&s.alpha.data(), "ngo", &s.troll)
        .await
        .unwrap();
    assert_eq!(s.follow(&s.masto, &s.troll, 7).await, 202);
    eventually("the follow is answered with Reject", WAIT, || async {
        s.masto
            .received()
            .iter()
            .any(|a| a["type"] == "Reject" && a["object"]["id"] == format!("{}/follows/7", s.troll))
    })
    .await;
    assert_eq!(s.alpha.follow_state(&s.troll, &s.ngo.ap_id).await, None);
    let (status, body) = s.masto.signed_get(&s.troll, &post.ap_id).await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().is_some(), "{body}");
    let outbox = format!("{}/users/ngo/outbox", s.alpha.base_url());
    assert_eq!(s.masto.signed_get(&s.troll, &outbox).await.0, 403);
    let followers = format!("{}/users/ngo/followers", s.alpha.base_url());
    assert_eq!(s.masto.signed_get(&s.troll, &followers).await.0, 403);
    // Other signers, and unsigned readers, are served as before.
    assert_eq!(s.masto.signed_get(&s.friend, &post.ap_id).await.0, 200);
    assert_eq!(s.masto.signed_get(&s.friend, &outbox).await.0, 200);
    assert_eq!(s.follow(&s.masto, &s.friend, 8).await, 202);
    eventually("another actor's follow is accepted", WAIT, || async {
        s.alpha
            .follow_state(&s.friend, &s.ngo.ap_id)
            .await
            .as_deref()
            == Some("accepted")
    })
    .await;
}
on_both_databases!(
    refuses_follow_and_fetch,
    org_block_refuses_follow_and_fetch_sqlite,
    org_block_refuses_follow_and_fetch_postgres
);

async fn domain_block_covers_subdomains(backend: Backend) {
    let s = stage(backend, false).await;
    let mut sub = Remote::start("sub.events.test").await;
    let neighbour = sub.actor("/users/neighbour", "Person", None);
    let mut other = Remote::start("gancio.test").await;
    let outsider = other.actor("/users/outsider", "Person", None);
    assert_eq!(s.follow(&sub, &neighbour, 1).await, 202);
    eventually("the subdomain's actor follows", WAIT, || async {
        s.alpha
            .follow_state(&neighbour, &s.ngo.ap_id)
            .await
            .as_deref()
            == Some("accepted")
    })
    .await;
    let post = s.post("Open letter").await;
    blocks::block(&s.alpha.data(), "ngo", "events.test")
        .await
        .unwrap();
    assert_eq!(
        s.alpha.follow_state(&neighbour, &s.ngo.ap_id).await,
        None,
        "a follower on a subdomain is removed"
    );
    assert_eq!(sub.signed_get(&neighbour, &post.ap_id).await.0, 403);
    assert_eq!(s.masto.signed_get(&s.troll, &post.ap_id).await.0, 403);
    assert_eq!(other.signed_get(&outsider, &post.ap_id).await.0, 200);
    assert_eq!(s.follow(&sub, &neighbour, 2).await, 202);
    eventually("the subdomain's new follow is rejected", WAIT, || async {
        sub.received().iter().any(|a| a["type"] == "Reject")
    })
    .await;
    assert_eq!(s.alpha.follow_state(&neighbour, &s.ngo.ap_id).await, None);
    // A domain that merely ends the same way is not covered.
    assert!(!kuvend::storage::blocks::domain_covers(
        "events.test",
        "otherevents.test"
    ));
    assert!(kuvend::storage::blocks::domain_covers(
        "events.test",
        "a.sub.events.test:8080"
    ));
}
on_both_databases!(
    domain_block_covers_subdomains,
    org_domain_block_covers_subdomains_sqlite,
    org_domain_block_covers_subdomains_postgres
);

async fn block_mute_endpoints(backend: Backend) {
    let s = stage(backend, false).await;
    // Known to the instance through a follow each.
    assert_eq!(s.follow(&s.masto, &s.troll, 1).await, 202);
    assert_eq!(s.follow(&s.masto, &s.friend, 2).await, 202);
    eventually("both follow", WAIT, || async {
        s.alpha
            .follow_state(&s.friend, &s.ngo.ap_id)
            .await
            .is_some()
            && s.alpha.follow_state(&s.troll, &s.ngo.ap_id).await.is_some()
    })
    .await;
    let (troll_id, friend_id) = (s.account_id(&s.troll).await, s.account_id(&s.friend).await);
    let owner = s.owner().await;

    let (status, rel) = owner
        .post(&format!("/api/v1/accounts/{troll_id}/block"), json!({}))
        .await;
    assert_eq!(status, 200, "{rel}");
    assert_eq!(rel["id"], troll_id.as_str());
    assert_eq!(rel["blocking"], true);
    assert_eq!(rel["followed_by"], false, "the block removed its follow");
    let (_, list) = owner.get("/api/v1/blocks").await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [troll_id.as_str()]);

    let (status, rel) = owner
        .post(
            &format!("/api/v1/accounts/{friend_id}/mute"),
            json!({"notifications": false, "duration": 3600}),
        )
        .await;
    assert_eq!(status, 200, "{rel}");
    assert_eq!(rel["muting"], true);
    assert_eq!(rel["muting_notifications"], false);
    assert_eq!(rel["blocking"], false);
    let (_, list) = owner.get("/api/v1/mutes").await;
    assert_eq!(list[0]["id"], friend_id.as_str(), "{list}");

    let (status, body) = owner
        .post(
            "/api/v1/domain_blocks",
            json!({"domain": "Sub.Events.Test"}),
        )
        .await;
    assert_eq!((status, body), (200, json!({})));
    let (_, domains) = owner.get("/api/v1/domain_blocks").await;
    assert_eq!(domains, json!(["sub.events.test"]));
    let (status, body) = owner
        .post("/api/v1/domain_blocks", json!({"domain": "not a domain/x"}))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"].is_string());

    // The Relationship endpoint agrees.
    let (_, rels) = owner
        .get(&format!("/api/v1/accounts/relationships?id[]={troll_id}"))
        .await;
    assert_eq!(rels[0]["blocking"], true, "{rels}");

    // An editor is staff, not an owner: 403 with the reason.
    let editor = Api::login(&s.alpha.base_url(), "editor@ngo.example", PASSWORD).await;
    let (status, body) = editor
        .post(&format!("/api/v1/accounts/{friend_id}/block"), json!({}))
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(body["error"].as_str().unwrap().contains("owner"), "{body}");
    let (status, _) = editor
        .post("/api/v1/domain_blocks", json!({"domain": "gancio.test"}))
        .await;
    assert_eq!(status, 403);

    // Lifted again.
    let (_, rel) = owner
        .post(&format!("/api/v1/accounts/{troll_id}/unblock"), json!({}))
        .await;
    assert_eq!(rel["blocking"], false);
    let (_, rel) = owner
        .post(&format!("/api/v1/accounts/{friend_id}/unmute"), json!({}))
        .await;
    assert_eq!(rel["muting"], false);
    let (status, _) = owner
        .send(
            reqwest::Method::DELETE,
            "/api/v1/domain_blocks",
            Some(json!({"domain": "sub.events.test"})),
        )
        .await;
    assert_eq!(status, 200);
    let (_, domains) = owner.get("/api/v1/domain_blocks").await;
    assert_eq!(domains, json!([]));
}
on_both_databases!(
    block_mute_endpoints,
    mastodon_block_mute_endpoints_sqlite,
    mastodon_block_mute_endpoints_postgres
);

fn blocks_sent(remote: &Remote) -> Vec<Value> {
    remote
        .received()
        .into_iter()
        .filter(|a| a["type"] == "Block" || (a["type"] == "Undo" && a["object"]["type"] == "Block"))
        .collect()
}

async fn send_blocks(backend: Backend) {
    // Off (the default): nothing tells the blocked party.
    let quiet = stage(backend, false).await;
    blocks::block(&quiet.alpha.data(), "ngo", &quiet.troll)
        .await
        .unwrap();
    eventually("deliveries settle", WAIT, || async {
        quiet.alpha.pending_deliveries().await == 0
    })
    .await;
    assert!(blocks_sent(&quiet.masto).is_empty());

    // On: Block, then Undo{Block} on unblock.
    let loud = stage(backend, true).await;
    blocks::block(&loud.alpha.data(), "ngo", &loud.troll)
        .await
        .unwrap();
    eventually("the Block arrives", WAIT, || async {
        blocks_sent(&loud.masto)
            .iter()
            .any(|a| a["type"] == "Block" && a["object"] == loud.troll.as_str())
    })
    .await;
    blocks::unblock(&loud.alpha.data(), "ngo", &loud.troll)
        .await
        .unwrap();
    eventually("the Undo{Block} arrives", WAIT, || async {
        blocks_sent(&loud.masto).iter().any(|a| a["type"] == "Undo")
    })
    .await;
}
on_both_databases!(
    send_blocks,
    send_blocks_setting_sqlite,
    send_blocks_setting_postgres
);

async fn cli(backend: Backend) {
    let s = stage(backend, false).await;
    let db = s.alpha.db_url.clone();
    cli_refused(
        &db,
        &["admin", "block", "nosuch", "events.test"],
        "no account",
    );
    cli_refused(
        &db,
        &["admin", "block", "ngo", "not a domain!"],
        "neither a handle",
    );
    cli_refused(&db, &["admin", "block", "ngo", "cso.example"], "own domain");
    cli_refused(
        &db,
        &["admin", "block", "ngo", "ngo@cso.example"],
        "on this instance",
    );
    cli_refused(
        &db,
        &["admin", "unblock", "ngo", "gancio.test"],
        "does not block",
    );
    let out = kuvend_cli(&db, &["admin", "block", "ngo", "Gancio.Test"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kuvend_cli(&db, &["admin", "blocks", "ngo"]);
    let listed = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(listed.contains("domain_block\tgancio.test"), "{listed}");
    let out = kuvend_cli(&db, &["admin", "unblock", "ngo", "gancio.test"]);
    assert!(out.status.success());
    let out = kuvend_cli(&db, &["admin", "blocks", "ngo"]);
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
}
on_both_databases!(
    cli,
    org_block_cli_refusals_sqlite,
    org_block_cli_refusals_postgres
);

/// `GET /api/v1/accounts/:id/followers` and `/following` come in pages as
/// Mastodon's do (`limit`, `max_id`, `since_id`, `min_id` by follow id, a
/// `Link` to the next page), without suspended accounts.
async fn followers_and_following_paged(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    let mut follow_ids = Vec::new();
    for name in ["f1", "f2", "f3", "f4", "f5", "g1"] {
        let org = alpha.create_org(name, false).await;
        let mut conn = alpha.ctx().db.conn().await.unwrap();
        let (follower, followee) = if name == "g1" {
            (ngo.id, org.id)
        } else {
            (org.id, ngo.id)
        };
        let follow = conn
            .q()
            .put_follow(
                follower,
                followee,
                kuvend::model::FollowState::Accepted,
                &format!("{}/follows/{name}", alpha.base_url()),
            )
            .await
            .unwrap();
        follow_ids.push(follow.id);
    }
    kuvend::service::suspension::set(&alpha.data(), "f3", true)
        .await
        .unwrap();
    let base = alpha.base_url();
    let base = base.as_str();
    let get = |path: String| async move {
        let response = client().get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let link = response
            .headers()
            .get("link")
            .map(|v| v.to_str().unwrap().to_string());
        let names: Vec<String> = response
            .json::<Value>()
            .await
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["username"].as_str().unwrap().to_string())
            .collect();
        (names, link)
    };
    let followers = format!("/api/v1/accounts/{}/followers", ngo.id);
    let (names, link) = get(format!("{followers}?limit=2")).await;
    assert_eq!(names, ["f5", "f4"]);
    let link = link.expect("a Link header");
    let next = format!("{followers}?max_id={}", follow_ids[3]);
    assert!(link.contains(&format!("{next}>; rel=\"next\"")), "{link}");
    // The suspended f3 is left out.
    let (names, _) = get(format!("{next}&limit=2")).await;
    assert_eq!(names, ["f2", "f1"]);
    let (names, link) = get(format!("{followers}?max_id={}", follow_ids[0])).await;
    assert!(names.is_empty() && link.is_none(), "{names:?} {link:?}");
    let (names, _) = get(format!("{followers}?since_id={}&limit=2", follow_ids[0])).await;
    assert_eq!(names, ["f5", "f4"]);
    let (names, _) = get(format!("{followers}?min_id={}&limit=2", follow_ids[0])).await;
    assert_eq!(names, ["f4", "f2"]);
    let (names, _) = get(format!("{followers}?limit=0")).await;
    assert_eq!(names, ["f5"], "the limit is at least 1");
    let (names, _) = get(format!("/api/v1/accounts/{}/following", ngo.id)).await;
    assert_eq!(names, ["g1"]);
}

on_both_databases!(
    followers_and_following_paged,
    followers_and_following_paged_sqlite,
    followers_and_following_paged_postgres
);
