//! Authorized fetch (issue 15 item 4, `federation.authorized_fetch`, on by
//! default): our ActivityPub documents need a signed GET; actors, the
//! instance actor, discovery documents, pages and feeds do not.

use crate::common::{Backend, TestInstance, client, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::{
    federation::fetch::{self, Budget},
    model::Visibility,
    service::{
        acting::Acting,
        events::{self, EventInput},
        posts::{self, NewPost},
    },
};
use serde_json::Value;

const AP: &str = "application/activity+json";

/// An instance with an organisation, a public post and a public event; the
/// URLs of the documents that need a signature with authorized fetch on.
async fn instance_with_documents(
    backend: Backend,
    dir: &std::path::Path,
    authorized_fetch: bool,
) -> (TestInstance, Vec<String>) {
    let db_url = crate::common::new_database(backend, dir, "alpha.test").await;
    let alpha = TestInstance::start_configured("alpha.test", &db_url, 0, |s| {
        s.federation.authorized_fetch = authorized_fetch;
    })
    .await;
    let org = alpha.create_org("ngo", false).await;
    let post = posts::create_post(
        &alpha.data(),
        "ngo",
        NewPost {
            text: "A public statement".into(),
            visibility: Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: Some("en".into()),
        },
    )
    .await
    .unwrap();
    let event = events::create_event(
        &alpha.data(),
        &Acting::admin(org.clone()),
        EventInput {
            name: Some("Open forum".into()),
            start: Some("2030-07-01T18:00".into()),
            timezone: Some("Europe/Tirane".into()),
            ..EventInput::default()
        },
    )
    .await
    .unwrap();
    let documents = vec![
        post.ap_id.clone(),
        format!("{}/activity", post.ap_id),
        event.post.ap_id.clone(),
        format!("{}/outbox", org.ap_id),
        format!("{}/outbox?page=true", org.ap_id),
        format!("{}/followers", org.ap_id),
        format!("{}/following", org.ap_id),
        format!("{}/collections/featured", org.ap_id),
    ];
    (alpha, documents)
}

async fn get(url: &str, accept: &str) -> (u16, String, String) {
    let response = client()
        .get(url)
        .header("accept", accept)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, response.text().await.unwrap())
}

async fn unsigned_document_get_refused(backend: Backend) {
    let dir = temp_dir();
    let (_alpha, documents) = instance_with_documents(backend, dir.path(), true).await;
    for url in &documents {
        let (status, _, body) = get(url, AP).await;
        assert_eq!(status, 401, "{url}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["error"], "Request not signed", "{url}");
    }
    // The post at its page URL, asked for as ActivityPub, is the document too.
    let page = documents[0].replace("/users/ngo/statuses/", "/@ngo/");
    let (status, _, _) = get(&page, AP).await;
    assert_eq!(status, 401, "{page}");
    let (status, _, body) = get(&page, "text/html").await;
    assert_eq!(status, 200, "{page} as HTML: {body}");
    // A signature that does not verify stays 401 (with its own reason).
    let mut reader = Remote::start("events.test").await;
    let actor = reader.actor("/users/reader", "Person", None);
    let other = kuvend::federation::signatures::generate_keypair().unwrap();
    let response = crate::common::signed_get_with(
        &other.private_key,
        &format!("{actor}#main-key"),
        &documents[0],
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 401);
}

on_both_databases!(
    unsigned_document_get_refused,
    unsigned_document_get_refused_sqlite,
    unsigned_document_get_refused_postgres
);

async fn actor_and_discovery_served_unsigned(backend: Backend) {
    let dir = temp_dir();
    let (alpha, documents) = instance_with_documents(backend, dir.path(), true).await;
    let base = alpha.base_url();
    let (status, content_type, body) = get(&format!("{base}/users/ngo"), AP).await;
    assert_eq!(status, 200, "{body}");
    assert!(content_type.starts_with("application/activity+json"));
    let actor: Value = serde_json::from_str(&body).unwrap();
    assert!(
        actor["publicKey"]["publicKeyPem"]
            .as_str()
            .unwrap()
            .contains("PUBLIC KEY")
    );
    let (status, _, body) = get(&format!("{base}/@ngo"), AP).await;
    assert_eq!(status, 200, "the profile URL as ActivityPub: {body}");
    let (status, _, body) = get(&format!("{base}/actor"), AP).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("publicKeyPem"));
    let webfinger = format!(
        "{base}/.well-known/webfinger?resource=acct:ngo@{}",
        alpha.domain
    );
    for (url, accept) in [
        (webfinger.as_str(), "application/jrd+json"),
        (&format!("{base}/.well-known/nodeinfo"), "application/json"),
        (&format!("{base}/nodeinfo/2.1"), "application/json"),
        (&format!("{base}/.well-known/host-meta"), "*/*"),
        (&format!("{base}/@ngo.rss"), "*/*"),
        (&format!("{base}/@ngo/events.ics"), "*/*"),
        (&format!("{base}/events.ics"), "*/*"),
    ] {
        let (status, _, body) = get(url, accept).await;
        assert_eq!(status, 200, "{url}: {body}");
    }
    // The post's own URL asked for as HTML sends to its page, public as ever.
    let response = client()
        .get(&documents[0])
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let page = format!("{base}{}", response.headers()["location"].to_str().unwrap());
    assert_eq!(page, documents[0].replace("/users/ngo/statuses/", "/@ngo/"));
    let (status, content_type, body) = get(&page, "text/html").await;
    assert_eq!(status, 200, "{body}");
    assert!(content_type.starts_with("text/html"), "{content_type}");
    assert!(body.contains("A public statement"));
    let (status, _, _) = get(&format!("{base}/@ngo"), "text/html").await;
    assert_eq!(status, 200);
}

on_both_databases!(
    actor_and_discovery_served_unsigned,
    actor_and_discovery_served_unsigned_sqlite,
    actor_and_discovery_served_unsigned_postgres
);

async fn signed_get_served(backend: Backend) {
    let dir = temp_dir();
    let (alpha, documents) = instance_with_documents(backend, dir.path(), true).await;
    let mut reader = Remote::start("events.test").await;
    let actor = reader.actor("/users/reader", "Person", None);
    for url in &documents {
        let (status, body) = reader.signed_get(&actor, url).await;
        assert_eq!(status, 200, "{url}: {body}");
    }
    let (_, post) = reader.signed_get(&actor, &documents[0]).await;
    assert_eq!(post["type"], "Note");
    assert!(
        post["content"]
            .as_str()
            .unwrap()
            .contains("A public statement")
    );
    let (_, event) = reader.signed_get(&actor, &documents[2]).await;
    assert_eq!(event["type"], "Event");
    // Another kuvend instance reads them with its own fetcher, which signs
    // every fetch as its instance actor.
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    for url in &documents[..3] {
        let fetched = fetch::fetch_object::<Value>(
            beta.ctx(),
            &url::Url::parse(url).unwrap(),
            Budget::Unlimited,
        )
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(fetched.object["id"], url.as_str());
    }
    drop(alpha);
}

on_both_databases!(
    signed_get_served,
    signed_get_served_sqlite,
    signed_get_served_postgres
);

async fn authorized_fetch_off_serves_unsigned(backend: Backend) {
    let dir = temp_dir();
    let (_alpha, documents) = instance_with_documents(backend, dir.path(), false).await;
    for url in &documents {
        let (status, _, body) = get(url, AP).await;
        assert_eq!(status, 200, "{url}: {body}");
    }
}

on_both_databases!(
    authorized_fetch_off_serves_unsigned,
    authorized_fetch_off_serves_unsigned_sqlite,
    authorized_fetch_off_serves_unsigned_postgres
);
