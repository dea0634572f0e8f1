//! Account suspension (issue 15 item 6): `kuvend admin suspend|unsuspend`
//! hides a remote account's content from every path, refuses its
//! activities, and unsuspending restores it.

use crate::common::{Backend, TestInstance, client, kuvend_cli, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::model::Visibility;
use kuvend::service::posts::{self, NewPost};
use serde_json::{Value, json};

const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// A public `Create{Note}` with the hashtag #water, optionally a reply.
fn note(remote: &Remote, actor: &str, n: &str, text: &str, in_reply_to: Option<&str>) -> Value {
    let mut object = json!({
        "id": remote.url(&format!("/notes/{n}")),
        "type": "Note",
        "attributedTo": actor,
        "content": format!("<p>{text} #water</p>"),
        "to": [PUBLIC],
        "cc": [],
        "published": "2026-11-30T10:00:00Z",
        "tag": [{"type": "Hashtag", "name": "#water", "href": remote.url("/tags/water")}],
    });
    if let Some(parent) = in_reply_to {
        object["inReplyTo"] = json!(parent);
    }
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": remote.url(&format!("/activities/create-{n}")),
        "type": "Create",
        "actor": actor,
        "to": [PUBLIC],
        "cc": [],
        "object": object,
    })
}

async fn get_text(url: String) -> String {
    client()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Every public path that shows posts: the public and tag timelines, the
/// tag page, the org's post page with its replies, the status context, and
/// the account lookup; concatenated.
async fn every_path(kuvend: &TestInstance, post_id: i64, handle: &str) -> String {
    let base = kuvend.base_url();
    let mut all = String::new();
    for url in [
        format!("{base}/api/v1/timelines/public?limit=40"),
        format!("{base}/api/v1/timelines/tag/water"),
        format!("{base}/tags/water"),
        format!("{base}/@parks/{post_id}"),
        format!("{base}/api/v1/statuses/{post_id}/context"),
        format!("{base}/api/v1/accounts/lookup?acct={handle}"),
    ] {
        all.push_str(&get_text(url).await);
        all.push('\n');
    }
    all
}

async fn suspended_remote_account_gone_from_every_path(backend: Backend) {
    let dir = temp_dir();
    let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let parks = kuvend.create_org("parks", false).await;
    let mine = posts::create_post(
        &kuvend.data(),
        "parks",
        NewPost {
            text: "our call #water".into(),
            visibility: Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: Some("en".into()),
        },
    )
    .await
    .unwrap();
    let mut remote = Remote::start("events.test").await;
    let troll = remote.actor("/u/troll", "Person", None);
    for (n, text, parent) in [
        ("1", "trollpost", Some(mine.ap_id.as_str())),
        ("2", "trollreply", Some(mine.ap_id.as_str())),
    ] {
        let (status, body) = remote
            .send(
                &troll,
                &parks.inbox_url,
                &note(&remote, &troll, n, text, parent),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    // The remote listens on a port, which is part of its handle.
    let host = url::Url::parse(&troll).unwrap();
    let handle = format!(
        "troll@{}:{}",
        host.host_str().unwrap(),
        host.port().unwrap()
    );
    let handle = handle.as_str();
    let before = every_path(&kuvend, mine.id, handle).await;
    for word in ["trollpost", "trollreply", "\"username\":\"troll\""] {
        assert!(before.contains(word), "{word} missing before: {before}");
    }

    let out = kuvend_cli(&kuvend.db_url, &["admin", "suspend", handle]);
    assert!(out.status.success(), "{out:?}");
    let during = every_path(&kuvend, mine.id, handle).await;
    assert!(during.contains("our call"), "{during}");
    for word in ["trollpost", "trollreply", "\"username\":\"troll\""] {
        assert!(
            !during.contains(word),
            "{word} shown while suspended: {during}"
        );
    }
    // Its activities are refused.
    let (status, body) = remote
        .send(
            &troll,
            &parks.inbox_url,
            &note(&remote, &troll, "3", "trollagain", None),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": remote.url("/activities/follow-1"),
        "type": "Follow",
        "actor": troll,
        "object": parks.ap_id,
    });
    let (status, body) = remote.send(&troll, &parks.inbox_url, &follow).await;
    assert_eq!(status, 403, "{body}");

    let out = kuvend_cli(&kuvend.db_url, &["admin", "unsuspend", handle]);
    assert!(out.status.success(), "{out:?}");
    let after = every_path(&kuvend, mine.id, handle).await;
    for word in ["trollpost", "trollreply", "\"username\":\"troll\""] {
        assert!(
            after.contains(word),
            "{word} missing after unsuspend: {after}"
        );
    }
}

on_both_databases!(
    suspended_remote_account_gone_from_every_path,
    suspended_remote_account_gone_from_every_path_sqlite,
    suspended_remote_account_gone_from_every_path_postgres
);
