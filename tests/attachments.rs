//! Issue 16 item 2: media on statuses and events. Uploads attached with
//! `media_ids` (form and JSON) reach other servers as `Document`s with
//! their alt text; remote posts' attachments are stored as rows pointing
//! at the remote file and shown through our proxy; Mobilizon's banners are
//! read in Mobilizon's order; event banners set from the CLI are sent as
//! `image` and as the first `Document`; edits keep every version's media.

use crate::common::{Api, Backend, TestInstance, client, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::service::{acting::Acting, auth, media};
use kuvend::storage::models::ActorRow;
use serde_json::{Value, json};
use std::time::Duration;

const PASSWORD: &str = "correct horse battery";
const WAIT: Duration = Duration::from_secs(20);

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/media/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// An instance with an organisation `ngo` that a login may act as.
struct Stage {
    _dir: tempfile::TempDir,
    kuvend: TestInstance,
    ngo: ActorRow,
    api: Api,
}

impl Stage {
    async fn start(backend: Backend) -> Stage {
        let dir = temp_dir();
        let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
        let ngo = kuvend.create_org("ngo", false).await;
        auth::create_user(
            kuvend.ctx(),
            "owner@ngo.example",
            PASSWORD,
            Some(("ngo", "owner")),
        )
        .await
        .unwrap();
        let api = Api::login(&kuvend.base_url(), "owner@ngo.example", PASSWORD).await;
        Stage {
            _dir: dir,
            kuvend,
            ngo,
            api,
        }
    }

    /// An upload of `account`'s, with alt text and a focal point.
    async fn upload(&self, account: &ActorRow, alt: &str) -> i64 {
        media::upload(
            self.kuvend.ctx(),
            &Acting::admin(account.clone()),
            media::MediaPurpose::Attachment,
            media::Upload {
                bytes: fixture("gps_rot6.jpg"),
                description: Some(alt.into()),
                focus: Some("-0.5,0.25".into()),
            },
        )
        .await
        .unwrap()
        .id
    }

    /// A remote actor that follows `ngo` (accepted at once).
    async fn remote_follower(&self, remote: &mut Remote) -> String {
        let friend = remote.actor("/users/friend", "Person", None);
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": remote.url("/follows/1"),
            "type": "Follow",
            "actor": friend,
            "object": self.ngo.ap_id,
        });
        let (status, body) = remote.send(&friend, &self.ngo.inbox_url, &follow).await;
        assert_eq!(status, 202, "{body}");
        let (kuvend, ngo, who) = (&self.kuvend, &self.ngo.ap_id, friend.clone());
        eventually("the follow is accepted", WAIT, || async {
            kuvend.follow_state(&who, ngo).await.as_deref() == Some("accepted")
        })
        .await;
        friend
    }

    /// `ngo` follows a remote actor, which accepts as Mastodon does.
    async fn follow_remote(&self, remote: &Remote, actor: &str) {
        kuvend::service::follows::follow(&self.kuvend.data(), "ngo", actor)
            .await
            .unwrap();
        let mut found = None;
        eventually("the Follow arrives", WAIT, || {
            let hit = remote
                .received()
                .into_iter()
                .find(|a| a["type"] == "Follow" && a["object"] == actor);
            found = hit.clone();
            async move { hit.is_some() }
        })
        .await;
        let accept = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}#accepts/1"),
            "type": "Accept",
            "actor": actor,
            "object": found.unwrap(),
        });
        let (status, reply) = remote.send(actor, &self.ngo.inbox_url, &accept).await;
        assert_eq!(status, 202, "{reply}");
    }

    async fn status_of(&self, ap_id: &str) -> Value {
        let post = self.kuvend.post(ap_id).await.expect("the post is stored");
        let (status, body) = self.api.get(&format!("/api/v1/statuses/{}", post.id)).await;
        assert_eq!(status, 200, "{body}");
        body
    }
}

/// A Create received by the remote, for the object `ap_id`.
fn received_create(remote: &Remote, ap_id: &str) -> Option<Value> {
    remote
        .received()
        .into_iter()
        .find(|a| a["type"] == "Create" && a["object"]["id"] == ap_id)
}

async fn alt_text_reaches_remote(backend: Backend) {
    let stage = Stage::start(backend).await;
    let mut remote = Remote::start("events.test").await;
    stage.remote_follower(&mut remote).await;
    let media_id = stage.upload(&stage.ngo, "Volunteers planting trees").await;

    // Mastodon.py's shape: form-encoded, `media_ids[]` repeated.
    let response = client()
        .post(format!("{}/api/v1/statuses", stage.kuvend.base_url()))
        .bearer_auth(&stage.api.token)
        .form(&[
            ("status", "Our spring planting"),
            ("media_ids[]", &media_id.to_string()),
            ("sensitive", "true"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let status: Value = response.json().await.unwrap();
    assert_eq!(status["sensitive"], true, "{status}");
    let attached = &status["media_attachments"];
    assert_eq!(attached.as_array().map(Vec::len), Some(1), "{status}");
    assert_eq!(attached[0]["id"], media_id.to_string());
    assert_eq!(attached[0]["description"], "Volunteers planting trees");

    let ap_id = status["uri"].as_str().unwrap().to_string();
    eventually("the Create arrives", WAIT, || {
        let found = received_create(&remote, &ap_id).is_some();
        async move { found }
    })
    .await;
    let create = received_create(&remote, &ap_id).unwrap();
    let document = &create["object"]["attachment"][0];
    assert_eq!(document["type"], "Document", "{create}");
    assert_eq!(document["name"], "Volunteers planting trees");
    assert_eq!(document["mediaType"], "image/jpeg");
    // The fixture is 40×20 with EXIF orientation 6: stored upright, 20×40.
    assert_eq!(
        (document["width"].clone(), document["height"].clone()),
        (json!(20), json!(40))
    );
    assert!(
        document["blurhash"].as_str().is_some_and(|b| b.len() >= 6),
        "{document}"
    );
    assert_eq!(document["focalPoint"], json!([-0.5, 0.25]));
    assert!(
        document["url"]
            .as_str()
            .is_some_and(|u| u.starts_with(&stage.kuvend.base_url())),
        "{document}"
    );
    assert_eq!(create["object"]["sensitive"], true);
    // The context defines the terms Mastodon reads.
    let context = create["@context"].to_string();
    assert!(
        context.contains("toot:blurhash") && context.contains("toot:focalPoint"),
        "{context}"
    );

    // A JSON body (`media_ids` as an array) works the same way.
    let second = stage.upload(&stage.ngo, "A second picture").await;
    let (code, body) = stage
        .api
        .post(
            "/api/v1/statuses",
            json!({"status": "", "media_ids": [second.to_string()]}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        body["media_attachments"][0]["description"],
        "A second picture"
    );
}

async fn media_refused(backend: Backend) {
    let stage = Stage::start(backend).await;
    let other = stage.kuvend.create_org("other", false).await;
    let theirs = stage.upload(&other, "not yours").await;
    let (code, body) = stage
        .api
        .post(
            "/api/v1/statuses",
            json!({"status": "x", "media_ids": [theirs.to_string()]}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("not found"),
        "{body}"
    );

    let mut five = Vec::new();
    for n in 0..5 {
        five.push(
            stage
                .upload(&stage.ngo, &format!("picture {n}"))
                .await
                .to_string(),
        );
    }
    let (code, body) = stage
        .api
        .post(
            "/api/v1/statuses",
            json!({"status": "x", "media_ids": five}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("at most 4"),
        "{body}"
    );

    // Attached once, an upload cannot be attached to a second post.
    let (code, body) = stage
        .api
        .post(
            "/api/v1/statuses",
            json!({"status": "x", "media_ids": [five[0]]}),
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let (code, body) = stage
        .api
        .post(
            "/api/v1/statuses",
            json!({"status": "y", "media_ids": [five[0]]}),
        )
        .await;
    assert_eq!(code, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("another post"),
        "{body}"
    );
    // Nothing was posted by the refused requests.
    let (_, statuses) = stage
        .api
        .get(&format!("/api/v1/accounts/{}/statuses", stage.ngo.id))
        .await;
    assert_eq!(statuses.as_array().map(Vec::len), Some(1), "{statuses}");
}

async fn remote_attachment_shown_via_proxy(backend: Backend) {
    let stage = Stage::start(backend).await;
    let mut remote = Remote::start("events.test").await;
    let alice = remote.actor("/users/alice", "Person", None);
    stage.follow_remote(&remote, &alice).await;
    let note_id = remote.url("/users/alice/statuses/1");
    let image = remote.url("/system/media_attachments/files/1/original/photo.jpg");
    // As Mastodon 4.x sends a post with an image.
    let create = json!({
        "@context": ["https://www.w3.org/ns/activitystreams", {
            "toot": "http://joinmastodon.org/ns#", "blurhash": "toot:blurhash",
            "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"}}],
        "id": format!("{note_id}/activity"),
        "type": "Create",
        "actor": alice,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [format!("{alice}/followers")],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": alice,
            "content": "<p>The river today</p>",
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "cc": [format!("{alice}/followers")],
            "attachment": [{
                "type": "Document",
                "mediaType": "image/jpeg",
                "url": image,
                "name": "The river <b>at dawn</b>",
                "blurhash": "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}",
                "focalPoint": [0.1, -0.2],
                "width": 640,
                "height": 480
            }, {
                "type": "Document",
                "mediaType": "image/png",
                "url": "javascript:alert(1)"
            }]
        }
    });
    let (status, reply) = remote.send(&alice, &stage.ngo.inbox_url, &create).await;
    assert_eq!(status, 202, "{reply}");
    let shown = stage.status_of(&note_id).await;
    let media = shown["media_attachments"].as_array().unwrap();
    assert_eq!(media.len(), 1, "{shown}");
    let url = media[0]["url"].as_str().unwrap();
    // On our host, through the proxy; the remote's address is not shown.
    assert!(url.starts_with(&stage.kuvend.base_url()), "{url}");
    assert!(url.contains("/media/proxy/"), "{url}");
    assert!(!url.contains("events.test"), "{url}");
    assert_eq!(media[0]["remote_url"], Value::Null);
    assert_eq!(media[0]["description"], "The river at dawn");
    assert_eq!(media[0]["blurhash"], "UFBWY:8_0Jxv4mx]t8t64.%M-:IUWGWAt6M}");
    // Nothing was fetched on receipt.
    assert!(
        !remote
            .gets()
            .iter()
            .any(|p| p.contains("media_attachments")),
        "{:?}",
        remote.gets()
    );
}

async fn mobilizon_banner_stored(backend: Backend) {
    let stage = Stage::start(backend).await;
    let mut remote = Remote::start("mobilizon.test").await;
    let tcit = remote.actor("/@tcit", "Person", None);
    stage.follow_remote(&remote, &tcit).await;
    let mut create = remote.fixture("mobilizon/create_event.json", "mobilizon.example");
    let banner = remote.url("/media/banner.jpg");
    let other = remote.url("/media/other.jpg");
    // Mobilizon's shape: the banner is the Document named "Banner",
    // after another picture and beside the Website link.
    let attachment = create["object"]["attachment"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut items =
        vec![json!({"type": "Document", "mediaType": "image/jpeg", "url": other, "name": "A map"})];
    items.extend(attachment);
    items.push(
        json!({"type": "Document", "mediaType": "image/jpeg", "url": banner, "name": "Banner"}),
    );
    create["object"]["attachment"] = Value::Array(items);
    let event_id = create["object"]["id"].as_str().unwrap().to_string();
    let (status, reply) = remote.send(&tcit, &stage.ngo.inbox_url, &create).await;
    assert_eq!(status, 202, "{reply}");

    let post = stage
        .kuvend
        .post(&event_id)
        .await
        .expect("the event is stored");
    let mut conn = stage.kuvend.ctx().db.conn().await.unwrap();
    let mut q = conn.q();
    let rows = q.media_of_posts(&[post.id]).await.unwrap();
    let banner_id = q.event_banner(post.id).await.unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    // The banner is first, and "Banner" is a label, not alt text.
    assert_eq!(rows[0].remote_url.as_deref(), Some(banner.as_str()));
    assert_eq!(rows[0].description, None);
    assert_eq!(banner_id, Some(rows[0].id));
    assert_eq!(rows[1].description.as_deref(), Some("A map"));
    // The online link is still read from the Website Link.
    let event = stage.kuvend.event(&event_id).await.unwrap();
    assert_eq!(
        event.online_url.as_deref(),
        Some("https://meet.example/forum")
    );
}

/// The `kuvend` binary on the instance's database, domain and media
/// directory, as its operator runs it.
fn cli(kuvend: &TestInstance, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kuvend"))
        .env("KUVEND_DATABASE__URL", &kuvend.db_url)
        .env("KUVEND_INSTANCE__DOMAIN", &kuvend.domain)
        .env("KUVEND_INSTANCE__HTTPS", "false")
        .env("KUVEND_MEDIA__PATH", &kuvend.ctx().settings.media.path)
        .args(args)
        .output()
        .unwrap()
}

async fn event_banner_cli_and_federated(backend: Backend) {
    let stage = Stage::start(backend).await;
    let mut remote = Remote::start("mobilizon.test").await;
    let friend = stage.remote_follower(&mut remote).await;
    let file = format!(
        "{}/tests/fixtures/media/gps_rot6.jpg",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = cli(
        &stage.kuvend,
        &[
            "admin",
            "event",
            "create",
            "ngo",
            "--name",
            "Tree planting",
            "--start",
            "2099-04-10T10:00",
            "--timezone",
            "Europe/Tirane",
            "--banner",
            &file,
            "--banner-alt",
            "Saplings in a row",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let post_id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let post = {
        let mut conn = stage.kuvend.ctx().db.conn().await.unwrap();
        conn.q().post_by_id(post_id).await.unwrap().unwrap()
    };
    eventually("the Create{Event} arrives", WAIT, || {
        let found = received_create(&remote, &post.ap_id).is_some();
        async move { found }
    })
    .await;
    let create = received_create(&remote, &post.ap_id).unwrap();
    let event = &create["object"];
    // Mobilizon reads `image`; Mastodon shows the first Document, alt text and all.
    assert_eq!(event["image"]["type"], "Image", "{event}");
    assert_eq!(event["image"]["name"], "Saplings in a row");
    assert_eq!(event["attachment"][0]["type"], "Document");
    assert_eq!(event["attachment"][0]["name"], "Saplings in a row");
    assert_eq!(event["attachment"][0]["url"], event["image"]["url"]);
    assert!(create["@context"].to_string().contains("toot:blurhash"));
    // The event's document says the same to a signed fetch.
    let (code, document) = remote.signed_get(&friend, &post.ap_id).await;
    assert_eq!(code, 200, "{document}");
    assert_eq!(document["image"]["url"], event["image"]["url"]);
    // Its page shows the banner with its alt text.
    let html = client()
        .get(&page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("alt=\"Saplings in a row\""), "{html}");
}

async fn edit_history_keeps_media(backend: Backend) {
    let stage = Stage::start(backend).await;
    let first = stage.upload(&stage.ngo, "First picture").await;
    let (code, posted) = stage
        .api
        .post(
            "/api/v1/statuses",
            json!({"status": "Version one", "media_ids": [first.to_string()]}),
        )
        .await;
    assert_eq!(code, 200, "{posted}");
    let id = posted["id"].as_str().unwrap().to_string();
    let second = stage.upload(&stage.ngo, "Second picture").await;
    let (code, edited) = stage
        .api
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/statuses/{id}"),
            Some(json!({
                "status": "Version two",
                "media_ids": [first.to_string(), second.to_string()],
                "media_attributes": [{"id": first.to_string(), "description": "First, described again"}]
            })),
        )
        .await;
    assert_eq!(code, 200, "{edited}");
    let descriptions = |status: &Value| -> Vec<String> {
        status["media_attachments"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["description"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(
        descriptions(&edited),
        ["First, described again", "Second picture"]
    );
    // A third version without media: `media_ids[]=` (a JSON `[]` leaves no
    // key in the parsed form, so it reads as "not given").
    let response = client()
        .put(format!("{}/api/v1/statuses/{id}", stage.kuvend.base_url()))
        .bearer_auth(&stage.api.token)
        .form(&[("status", "Version three"), ("media_ids[]", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let (code, history) = stage
        .api
        .get(&format!("/api/v1/statuses/{id}/history"))
        .await;
    assert_eq!(code, 200, "{history}");
    let versions = history.as_array().unwrap();
    assert_eq!(versions.len(), 3, "{history}");
    assert!(
        versions[0]["content"]
            .as_str()
            .unwrap()
            .contains("Version one")
    );
    assert_eq!(descriptions(&versions[0]), ["First picture"]);
    assert_eq!(
        descriptions(&versions[1]),
        ["First, described again", "Second picture"]
    );
    assert!(descriptions(&versions[2]).is_empty());
    assert!(
        versions[2]["content"]
            .as_str()
            .unwrap()
            .contains("Version three")
    );
}

on_both_databases!(
    alt_text_reaches_remote,
    alt_text_reaches_remote_sqlite,
    alt_text_reaches_remote_postgres
);
on_both_databases!(
    media_refused,
    media_of_another_or_more_than_four_refused_sqlite,
    media_of_another_or_more_than_four_refused_postgres
);
on_both_databases!(
    remote_attachment_shown_via_proxy,
    remote_attachment_shown_via_proxy_sqlite,
    remote_attachment_shown_via_proxy_postgres
);
on_both_databases!(
    mobilizon_banner_stored,
    mobilizon_banner_stored_sqlite,
    mobilizon_banner_stored_postgres
);
on_both_databases!(
    event_banner_cli_and_federated,
    event_banner_cli_and_federated_sqlite,
    event_banner_cli_and_federated_postgres
);
on_both_databases!(
    edit_history_keeps_media,
    edit_history_keeps_media_sqlite,
    edit_history_keeps_media_postgres
);
