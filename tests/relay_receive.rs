//! Relays from remote groups (issue 14 item 2): a group that an
//! organisation here follows announces a member's post, in the shapes
//! Lemmy (`Announce{Create{Page}}`), Mobilizon (`Announce{Event}`,
//! `Announce{Note}`) and Friendica (`Announce{"<url>"}`) send
//! (tests/fixtures/relays/). Stand-ins on loopback play the group (it signs
//! the Announces and accepts the follow) and the member's origin (it serves
//! the post at its id, with a different text than the one embedded, so the
//! timeline proves that the origin's copy was stored). The organisation's
//! home timeline, through the client API, shows each relay once, as the
//! group's boost.

use crate::common::{
    Api, Backend, TestInstance, eventually,
    remote::{Remote, filled},
    temp_dir,
};
use crate::on_both_databases;
use kuvend::storage::models::ActorRow;
use serde_json::{Value, json};
use std::time::Duration;

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// An instance whose organisation `parks` follows a remote group, the
/// group's server, and the member's server (the posts' origin).
struct Stage {
    _dir: tempfile::TempDir,
    kuvend: TestInstance,
    org: ActorRow,
    api: Api,
    group_host: Remote,
    group: String,
    origin: Remote,
    member: String,
}

impl Stage {
    async fn start(backend: Backend) -> Stage {
        let dir = temp_dir();
        let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
        let org = kuvend.create_org("parks", false).await;
        kuvend::service::auth::create_user(
            kuvend.ctx(),
            "staff@parks.example",
            "correct horse",
            Some(("parks", "owner")),
        )
        .await
        .unwrap();
        let api = Api::login(&kuvend.base_url(), "staff@parks.example", "correct horse").await;
        let mut group_host = Remote::start("mobilizon.test").await;
        let group = group_host.actor("/c/climate", "Group", None);
        let mut origin = Remote::start("events.test").await;
        let member = origin.actor("/u/ngo", "Person", None);
        let stage = Stage {
            _dir: dir,
            kuvend,
            org,
            api,
            group_host,
            group,
            origin,
            member,
        };
        stage.follow_group().await;
        stage
    }

    /// `parks` follows the group, which accepts.
    async fn follow_group(&self) {
        kuvend::service::follows::follow(&self.kuvend.data(), "parks", &self.group)
            .await
            .unwrap();
        let received = self.group_host.served.received.clone();
        let group = self.group.clone();
        let mut follow = None;
        eventually("the Follow arrives", Duration::from_secs(20), || {
            let hit = received
                .lock()
                .unwrap()
                .iter()
                .find(|a| a["type"] == "Follow" && a["object"] == group.as_str())
                .cloned();
            follow = hit.clone();
            async move { hit.is_some() }
        })
        .await;
        let accept = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}#accepts/{}", self.group, self.org.id),
            "type": "Accept",
            "actor": self.group,
            "object": follow.unwrap(),
        });
        let (status, reply) = self
            .group_host
            .send(&self.group, &self.org.inbox_url, &accept)
            .await;
        assert_eq!(status, 202, "{reply}");
    }

    /// The origin serves a post of the member at `path`: a Note, Page or
    /// Event with `text`; returns its id.
    fn serve_post(&self, path: &str, kind: &str, text: &str) -> String {
        let id = self.origin.url(path);
        let mut doc = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": id,
            "type": kind,
            "attributedTo": self.member,
            "content": format!("<p>{text}</p>"),
            "to": [PUBLIC, self.group],
            "cc": [format!("{}/followers", self.member)],
            "audience": self.group,
            "published": "2026-11-20T10:00:00Z",
        });
        if kind == "Page" {
            doc["name"] = json!("post 4");
        }
        if kind == "Event" {
            doc["name"] = json!("Clean-up of the river bank");
            doc["startTime"] = json!("2031-05-04T09:00:00Z");
            doc["endTime"] = json!("2031-05-04T12:00:00Z");
            doc["timezone"] = json!("Europe/Paris");
        }
        self.origin.put(path, doc);
        id
    }

    /// A relay fixture filled in for this post, under `announce` (a path on
    /// the group's host).
    fn relay(&self, fixture: &str, post: &str, announce: &str) -> Value {
        let raw = std::fs::read_to_string(format!(
            "{}/tests/fixtures/relays/{fixture}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let announce_id = self.group_host.url(announce);
        let create_id = self.origin.url(&format!("/activities/create{announce}"));
        let group_followers = format!("{}/followers", self.group);
        let member_followers = format!("{}/followers", self.member);
        filled(
            serde_json::from_str(&raw).unwrap(),
            &[
                ("GROUP", &self.group),
                ("GROUP_FOLLOWERS", &group_followers),
                ("MEMBER", &self.member),
                ("MEMBER_FOLLOWERS", &member_followers),
                ("POST", post),
                ("CREATE_ID", &create_id),
                ("ANNOUNCE_ID", &announce_id),
            ],
        )
    }

    async fn send(&self, activity: &Value) -> (u16, Value) {
        self.group_host
            .send(&self.group, &self.org.inbox_url, activity)
            .await
    }

    /// The home timeline's statuses that show `post` (itself or a boost of it).
    async fn home_showing(&self, post: &str) -> Vec<Value> {
        let (status, home) = self.api.get("/api/v1/timelines/home?limit=40").await;
        assert_eq!(status, 200, "{home}");
        home.as_array()
            .unwrap()
            .iter()
            .filter(|s| s["uri"] == post || s["reblog"]["uri"] == post)
            .cloned()
            .collect()
    }

    /// Whether a post or activity is stored here under `ap_id`.
    async fn stored(&self, ap_id: &str) -> bool {
        self.kuvend.post(ap_id).await.is_some()
    }

    fn fetched_from_origin(&self, path: &str) -> bool {
        self.origin.gets().iter().any(|g| g == path)
    }
}

/// The one status showing `post` is the group's boost of the origin's copy.
fn assert_group_boost(shown: &[Value], post: &str, origin_text: &str, what: &str) {
    assert_eq!(shown.len(), 1, "{what}: {shown:?}");
    let boost = &shown[0];
    assert!(
        boost["account"]["acct"]
            .as_str()
            .is_some_and(|a| a.starts_with("climate@")),
        "{what}: the boost is the group's: {boost}"
    );
    assert_eq!(boost["content"], "", "{what}");
    assert_eq!(boost["reblog"]["uri"], post, "{what}");
    assert!(
        boost["reblog"]["account"]["acct"]
            .as_str()
            .is_some_and(|a| a.starts_with("ngo@")),
        "{what}: the original is the member's: {boost}"
    );
    let content = boost["reblog"]["content"].as_str().unwrap_or_default();
    assert!(content.contains(origin_text), "{what}: {content}");
    assert!(!content.contains("embedded copy"), "{what}: {content}");
    assert_ne!(boost["id"], boost["reblog"]["id"], "{what}");
    assert!(
        boost["uri"]
            .as_str()
            .is_some_and(|u| u.contains("/announces/")),
        "{what}: the boost's uri is the Announce's id: {boost}"
    );
}

async fn fixtures_shown_as_group_boosts(backend: Backend) {
    let stage = Stage::start(backend).await;
    let cases = [
        ("lemmy_announce_create_page.json", "Page", "/post/7"),
        ("mobilizon_announce_event.json", "Event", "/events/river"),
        ("mobilizon_announce_note.json", "Note", "/notes/1"),
        ("friendica_announce_url.json", "Note", "/display/abc"),
    ];
    for (n, (fixture, kind, path)) in cases.iter().enumerate() {
        let text = format!("From the origin, number {n}");
        let post = stage.serve_post(path, kind, &text);
        let relay = stage.relay(fixture, &post, &format!("/announces/{n}"));
        let (status, reply) = stage.send(&relay).await;
        assert_eq!(status, 202, "{fixture}: {reply}");
        assert!(stage.fetched_from_origin(path), "{fixture}: not fetched");
        let shown = stage.home_showing(&post).await;
        assert_group_boost(&shown, &post, &text, fixture);
    }

    // The same post relayed again in another shape, and the same Announce
    // again: still one boost.
    let post = stage.origin.url("/post/7");
    let again = stage.relay("friendica_announce_url.json", &post, "/announces/again");
    let (status, reply) = stage.send(&again).await;
    assert_eq!(status, 202, "{reply}");
    let first = stage.relay("lemmy_announce_create_page.json", &post, "/announces/0");
    let (status, reply) = stage.send(&first).await;
    assert_eq!(status, 202, "{reply}");
    assert_eq!(stage.home_showing(&post).await.len(), 1);
    assert!(
        !stage
            .stored(&stage.group_host.url("/announces/again"))
            .await
    );

    // The boost, by its own id, carries the original.
    let boost = &stage.home_showing(&post).await[0];
    let (status, single) = stage
        .api
        .get(&format!(
            "/api/v1/statuses/{}",
            boost["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200, "{single}");
    assert_eq!(single["reblog"]["uri"], post.as_str());

    // The group's statuses list its boosts, unless excluded.
    let group_id = boost["account"]["id"].as_str().unwrap().to_string();
    let (_, listed) = stage
        .api
        .get(&format!("/api/v1/accounts/{group_id}/statuses"))
        .await;
    assert_eq!(listed.as_array().unwrap().len(), 4, "{listed}");
    let (_, without) = stage
        .api
        .get(&format!(
            "/api/v1/accounts/{group_id}/statuses?exclude_reblogs=true"
        ))
        .await;
    assert_eq!(without.as_array().unwrap().len(), 0, "{without}");

    // Boosts are not content: the public timeline shows each original once
    // and no boost.
    let (status, public) = stage.api.get("/api/v1/timelines/public?limit=40").await;
    assert_eq!(status, 200);
    let public = public.as_array().unwrap();
    assert!(public.iter().all(|s| s["reblog"].is_null()), "{public:?}");
    assert_eq!(
        public.iter().filter(|s| s["uri"] == post.as_str()).count(),
        1
    );
}

async fn boost_rows_stay_off_pages_and_outboxes(backend: Backend) {
    let stage = Stage::start(backend).await;
    let post = stage.serve_post("/notes/page", "Note", "Only the member wrote this");
    let relay = stage.relay("friendica_announce_url.json", &post, "/announces/p");
    let (status, reply) = stage.send(&relay).await;
    assert_eq!(status, 202, "{reply}");
    // A boost by the local organisation itself (as a later local reblog
    // would be stored): not on its page, its outbox or the public timeline.
    let original = stage.kuvend.post(&post).await.unwrap();
    {
        let mut conn = stage.kuvend.ctx().db.conn().await.unwrap();
        let announce = url::Url::parse(&format!("{}/boosts/1", stage.org.ap_id)).unwrap();
        let stored = kuvend::service::boosts::record(
            &mut conn.q(),
            &stage.org,
            &original,
            &announce,
            kuvend::model::Visibility::Public,
        )
        .await
        .unwrap();
        assert!(stored.is_some());
    }
    let base = stage.kuvend.base_url();
    let page = crate::common::client()
        .get(format!("{base}/@parks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Only the member wrote this"), "{page}");
    let reader = stage.kuvend.instance_actor_row().await;
    let outbox: Value =
        crate::common::signed_get(&reader, stage.org.outbox_url.as_deref().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(outbox["totalItems"], 0, "{outbox}");
    let (_, public) = stage
        .api
        .get("/api/v1/timelines/public?local=true&limit=40")
        .await;
    assert_eq!(public.as_array().unwrap().len(), 0, "{public}");
}

async fn forged_inner_object_on_another_host_is_refused(backend: Backend) {
    let stage = Stage::start(backend).await;
    let mut other = Remote::start("gancio.test").await;
    let stranger = other.actor("/u/stranger", "Person", None);
    let elsewhere = other.url("/notes/1");
    other.put(
        "/notes/1",
        json!({"id": elsewhere, "type": "Note", "attributedTo": stranger, "content": "x", "to": [PUBLIC]}),
    );
    // A Create by the member (host B) of a Note whose id is on host C.
    let mut create = stage.relay(
        "lemmy_announce_create_page.json",
        &elsewhere,
        "/announces/f1",
    );
    create["object"]["object"]["attributedTo"] = json!(stage.member);
    // An embedded Note on host C attributed to the member on host B.
    let embedded = stage.relay("mobilizon_announce_note.json", &elsewhere, "/announces/f2");
    for (what, forged, says) in [
        (
            "Create on another host",
            create,
            "another host than its actor",
        ),
        (
            "embedded note",
            embedded,
            "another host than its attributedTo",
        ),
    ] {
        let (status, reply) = stage.send(&forged).await;
        assert!((400..500).contains(&status), "{what}: {status} {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| e.contains(says)),
            "{what}: {reply}"
        );
        assert!(!stage.stored(&elsewhere).await, "{what}");
        assert!(
            !stage.stored(forged["id"].as_str().unwrap()).await,
            "{what}"
        );
    }
    assert!(
        other.gets().is_empty(),
        "fetched from the wrong host: {:?}",
        other.gets()
    );
    assert!(
        !stage.origin.gets().iter().any(|g| g.starts_with("/notes")),
        "{:?}",
        stage.origin.gets()
    );
}

async fn relay_from_a_group_no_one_follows_is_ignored(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let stranger_group = stage.group_host.actor("/c/unknown", "Group", None);
    let post = stage.serve_post("/notes/unfollowed", "Note", "Nobody here asked");
    let mut relay = stage.relay("lemmy_announce_create_page.json", &post, "/announces/u");
    relay["actor"] = json!(stranger_group);
    let (status, reply) = stage
        .group_host
        .send(&stranger_group, &stage.org.inbox_url, &relay)
        .await;
    assert_eq!(status, 202, "{reply}");
    assert!(!stage.fetched_from_origin("/notes/unfollowed"));
    assert!(!stage.stored(&post).await);
    assert!(stage.home_showing(&post).await.is_empty());
}

async fn relayed_edit_and_delete_follow_the_origin(backend: Backend) {
    let stage = Stage::start(backend).await;
    let post = stage.serve_post("/notes/e", "Note", "First words");
    let relay = stage.relay("lemmy_announce_create_page.json", &post, "/announces/e1");
    let (status, reply) = stage.send(&relay).await;
    assert_eq!(status, 202, "{reply}");
    assert_eq!(stage.home_showing(&post).await.len(), 1);

    // An edit: the embedded text is not trusted, the origin's is shown.
    stage.serve_post("/notes/e", "Note", "Second words");
    let update = json!({
        "id": stage.group_host.url("/announces/e2"),
        "type": "Announce",
        "actor": stage.group,
        "to": [PUBLIC],
        "object": {
            "id": stage.origin.url("/activities/update/e"),
            "type": "Update",
            "actor": stage.member,
            "object": {"id": post, "type": "Note", "attributedTo": stage.member, "content": "embedded copy"},
        },
    });
    let (status, reply) = stage.send(&update).await;
    assert_eq!(status, 202, "{reply}");
    let shown = stage.home_showing(&post).await;
    assert_group_boost(&shown, &post, "Second words", "after the Update");

    // A Delete while the origin still serves the post changes nothing.
    let delete = |n: &str| {
        json!({
            "id": stage.group_host.url(&format!("/announces/d{n}")),
            "type": "Announce",
            "actor": stage.group,
            "to": [PUBLIC],
            "object": {
                "id": stage.origin.url(&format!("/activities/delete/{n}")),
                "type": "Delete",
                "actor": stage.member,
                "object": {"id": post, "type": "Tombstone"},
            },
        })
    };
    let (status, reply) = stage.send(&delete("1")).await;
    assert_eq!(status, 202, "{reply}");
    assert_eq!(stage.home_showing(&post).await.len(), 1);

    // Gone at the origin: gone here.
    stage
        .origin
        .served
        .documents
        .lock()
        .unwrap()
        .remove("/notes/e");
    let (status, reply) = stage.send(&delete("2")).await;
    assert_eq!(status, 202, "{reply}");
    assert!(stage.home_showing(&post).await.is_empty());

    // A relayed Like is ignored.
    let like = json!({
        "id": stage.group_host.url("/announces/l"),
        "type": "Announce",
        "actor": stage.group,
        "to": [PUBLIC],
        "object": {"id": stage.origin.url("/likes/1"), "type": "Like", "actor": stage.member, "object": post},
    });
    let (status, reply) = stage.send(&like).await;
    assert_eq!(status, 202, "{reply}");
}

on_both_databases!(
    fixtures_shown_as_group_boosts,
    lemmy_mobilizon_friendica_relays_show_once_as_the_groups_boost_sqlite,
    lemmy_mobilizon_friendica_relays_show_once_as_the_groups_boost_postgres
);
on_both_databases!(
    boost_rows_stay_off_pages_and_outboxes,
    boost_rows_stay_off_pages_outboxes_and_public_timelines_sqlite,
    boost_rows_stay_off_pages_outboxes_and_public_timelines_postgres
);
on_both_databases!(
    forged_inner_object_on_another_host_is_refused,
    relayed_object_on_another_host_than_it_claims_is_refused_sqlite,
    relayed_object_on_another_host_than_it_claims_is_refused_postgres
);
on_both_databases!(
    relay_from_a_group_no_one_follows_is_ignored,
    relay_from_a_group_no_one_follows_is_ignored_and_nothing_fetched_sqlite,
    relay_from_a_group_no_one_follows_is_ignored_and_nothing_fetched_postgres
);
on_both_databases!(
    relayed_edit_and_delete_follow_the_origin,
    relayed_edit_and_delete_are_read_from_the_origin_sqlite,
    relayed_edit_and_delete_are_read_from_the_origin_postgres
);

/// Favouriting a boost favourites its original (Mastodon acts on the
/// boosted status), and the group's `Undo{Announce}` takes its boost out of
/// the timeline, so that a later relay of the same post shows again.
async fn boost_actions_and_undo(backend: Backend) {
    let stage = Stage::start(backend).await;
    let post = stage.serve_post("/notes/undo", "Note", "Relayed, then undone");
    let announce = stage.group_host.url("/announces/u1");
    let relay = stage.relay("friendica_announce_url.json", &post, "/announces/u1");
    let (status, reply) = stage.send(&relay).await;
    assert_eq!(status, 202, "{reply}");
    let shown = stage.home_showing(&post).await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    let boost_id = shown[0]["id"].as_str().unwrap().to_string();
    let original_id = shown[0]["reblog"]["id"].as_str().unwrap().to_string();

    let (status, favourited) = stage
        .api
        .post(&format!("/api/v1/statuses/{boost_id}/favourite"), json!({}))
        .await;
    assert_eq!(status, 200, "{favourited}");
    assert_eq!(favourited["id"], original_id.as_str(), "{favourited}");
    assert_eq!(favourited["favourited"], true, "{favourited}");
    assert_eq!(favourited["favourites_count"], 1, "{favourited}");

    let undo = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{announce}/undo"),
        "type": "Undo",
        "actor": stage.group,
        "object": {"id": announce, "type": "Announce", "actor": stage.group, "object": post},
    });
    let (status, reply) = stage.send(&undo).await;
    assert_eq!(status, 202, "{reply}");
    assert!(
        stage.home_showing(&post).await.is_empty(),
        "the undone boost is gone"
    );
    let again = stage.relay("friendica_announce_url.json", &post, "/announces/u2");
    let (status, reply) = stage.send(&again).await;
    assert_eq!(status, 202, "{reply}");
    assert_eq!(stage.home_showing(&post).await.len(), 1, "relayed again");
    let reblogs = async || {
        let path = format!("/api/v1/statuses/{original_id}");
        let (status, shown) = stage.api.get(&path).await;
        assert_eq!(status, 200, "{shown}");
        shown["reblogs_count"].clone()
    };
    assert_eq!(reblogs().await, 1, "the relay counts as a boost");

    // Mastodon reads the `Delete` of an `Announce` as its undo: the boost
    // leaves the timeline and the count.
    let delete = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}#delete", stage.group_host.url("/announces/u2")),
        "type": "Delete",
        "actor": stage.group,
        "object": stage.group_host.url("/announces/u2"),
    });
    let (status, reply) = stage.send(&delete).await;
    assert_eq!(status, 202, "{reply}");
    assert!(
        stage.home_showing(&post).await.is_empty(),
        "deleted boost gone"
    );
    assert_eq!(reblogs().await, 0, "and no longer counted");
}

on_both_databases!(
    boost_actions_and_undo,
    favouriting_a_boost_acts_on_its_original_and_undo_removes_the_boost_sqlite,
    favouriting_a_boost_acts_on_its_original_and_undo_removes_the_boost_postgres
);
