//! Snapshots of the documents other servers read: actor, instance actor,
//! WebFinger, NodeInfo, host-meta and collections. Both backends must produce
//! the same documents, so they share one snapshot per document.

use crate::common::{Backend, TestInstance, available, client, temp_dir};
use serde_json::Value;

/// Fetches `path` and returns its JSON with the instance's domain (which has a
/// random port) replaced by `kuvend.test`. ActivityPub documents are asked
/// for signed (by the instance actor), as authorized fetch wants.
async fn fetch(instance: &TestInstance, path: &str, accept: &str) -> (String, Value) {
    let url = format!("{}{path}", instance.base_url());
    let request = if accept == AP {
        crate::common::signed_get(&instance.instance_actor_row().await, &url)
    } else {
        client().get(url).header("accept", accept)
    };
    let response = request.send().await.unwrap();
    assert!(
        response.status().is_success(),
        "{path}: {}",
        response.status()
    );
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = response
        .text()
        .await
        .unwrap()
        .replace(&instance.domain, "kuvend.test");
    (
        content_type,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

const AP: &str = "application/activity+json";

async fn documents_scenario(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    alpha.create_org("ngo", true).await;
    beta.create_org("friend", false).await;
    kuvend::service::follows::follow(&beta.data(), "friend", &format!("ngo@{}", alpha.domain))
        .await
        .unwrap();
    crate::common::eventually(
        "the request arrives",
        std::time::Duration::from_secs(20),
        || async {
            !kuvend::service::follows::followers(alpha.ctx(), "ngo", true)
                .await
                .unwrap()
                .is_empty()
        },
    )
    .await;
    kuvend::service::follows::approve(alpha.ctx(), "ngo", &format!("friend@{}", beta.domain))
        .await
        .unwrap();

    let (content_type, actor) = fetch(&alpha, "/users/ngo", AP).await;
    assert_eq!(content_type, "application/activity+json; charset=utf-8");
    insta::assert_json_snapshot!("actor", actor, {
        ".publicKey.publicKeyPem" => "[pem]",
        ".published" => "[published]",
    });
    // Mastodon also asks for the profile URL with an ActivityPub Accept header.
    let (_, same) = fetch(
        &alpha,
        "/@ngo",
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
    )
    .await;
    assert_eq!(same, actor);

    let (_, instance_actor) = fetch(&alpha, "/actor", "*/*").await;
    insta::assert_json_snapshot!("instance_actor", instance_actor, {
        ".publicKey.publicKeyPem" => "[pem]",
        ".published" => "[published]",
    });

    let (content_type, webfinger) = fetch(
        &alpha,
        &format!("/.well-known/webfinger?resource=acct:ngo@{}", alpha.domain),
        "*/*",
    )
    .await;
    assert!(content_type.starts_with("application/jrd+json"));
    insta::assert_json_snapshot!("webfinger", webfinger);
    // Mastodon's round trip: resolving the actor URL gives the same subject.
    let (_, by_url) = fetch(
        &alpha,
        &format!(
            "/.well-known/webfinger?resource={}/users/ngo",
            alpha.base_url()
        ),
        "*/*",
    )
    .await;
    assert_eq!(by_url["subject"], webfinger["subject"]);

    let (_, links) = fetch(&alpha, "/.well-known/nodeinfo", "*/*").await;
    insta::assert_json_snapshot!("nodeinfo_links", links);
    let (_, nodeinfo) = fetch(&alpha, "/nodeinfo/2.1", "*/*").await;
    insta::assert_json_snapshot!("nodeinfo", nodeinfo);

    let (_, followers) = fetch(&alpha, "/users/ngo/followers", AP).await;
    insta::assert_json_snapshot!("followers", followers);
    let (_, page) = fetch(&alpha, "/users/ngo/followers?page=1", AP).await;
    let page = serde_json::to_string(&page)
        .unwrap()
        .replace(&beta.domain, "beta.test");
    insta::assert_json_snapshot!(
        "followers_page",
        serde_json::from_str::<Value>(&page).unwrap()
    );
    let (_, outbox) = fetch(&alpha, "/users/ngo/outbox", AP).await;
    insta::assert_json_snapshot!("outbox", outbox);

    // A post: the Note as served, and the Create, Update and Delete as sent.
    let post = kuvend::service::posts::create_post(
        &alpha.data(),
        "ngo",
        kuvend::service::posts::NewPost {
            text: format!(
                "Welcome @friend@{} to the #NAD coalition: https://example.org/nad",
                beta.domain
            ),
            visibility: kuvend::model::Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: Some("en".into()),
        },
    )
    .await
    .unwrap();
    let stable = |value: Value| -> Value {
        let text = serde_json::to_string(&value)
            .unwrap()
            .replace(&post.id.to_string(), "POST_ID")
            .replace(&alpha.domain, "kuvend.test")
            .replace(&beta.domain, "beta.test");
        serde_json::from_str(&text).unwrap()
    };
    let dates = |mut value: Value| -> Value {
        for pointer in [
            "/published",
            "/object/published",
            "/object/updated",
            "/updated",
        ] {
            if let Some(v) = value.pointer_mut(pointer) {
                *v = Value::String("[date]".into());
            }
        }
        value
    };
    let (_, note) = fetch(&alpha, &format!("/users/ngo/statuses/{}", post.id), AP).await;
    insta::assert_json_snapshot!("note", dates(stable(note)));
    let create = alpha
        .sent_activity(&format!("{}/activity", post.ap_id))
        .await;
    insta::assert_json_snapshot!("create", dates(stable(create)));
    let edited = kuvend::service::posts::edit_post(
        &alpha.data(),
        &post.ap_id,
        "Welcome to the #NAD coalition!",
    )
    .await
    .unwrap();
    let update_id = format!(
        "{}#updates/{}",
        post.ap_id,
        edited.edited_at.unwrap().and_utc().timestamp_millis()
    );
    let update = alpha.sent_activity(&update_id).await;
    let update = serde_json::to_string(&update)
        .unwrap()
        .replace(&update_id, "UPDATE_ID");
    insta::assert_json_snapshot!(
        "update",
        dates(stable(serde_json::from_str(&update).unwrap()))
    );
    kuvend::service::posts::delete_post(alpha.ctx(), &post.ap_id)
        .await
        .unwrap();
    let delete = alpha.sent_activity(&format!("{}#delete", post.ap_id)).await;
    insta::assert_json_snapshot!("delete", dates(stable(delete)));

    let (_, host_meta) = fetch(&alpha, "/.well-known/host-meta", "*/*").await;
    insta::assert_snapshot!("host_meta", host_meta.as_str().unwrap());

    // People get a page, with the handle to copy.
    let page = client()
        .get(format!("{}/@ngo", alpha.base_url()))
        .send()
        .await
        .unwrap();
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("@ngo@{}", alpha.domain)));
    assert!(html.contains("<strong>1</strong> follower"));
    // A browser asking for the actor id is sent to the page.
    let redirect = client()
        .get(format!("{}/users/ngo", alpha.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status().as_u16(), 303);
    assert_eq!(redirect.headers()["location"], "/@ngo");
    // Unknown names are a 404 with a JSON reason.
    let missing = client()
        .get(format!(
            "{}/.well-known/webfinger?resource=acct:nobody@{}",
            alpha.base_url(),
            alpha.domain
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    let reason: Value = missing.json().await.unwrap();
    assert!(reason["error"].as_str().unwrap().contains("nobody"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_sqlite() {
    documents_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documents_postgres() {
    if available("documents_postgres", &[Backend::Postgres]) {
        documents_scenario(Backend::Postgres).await;
    }
}
