//! Mastodon's Idempotency-Key: an app that retries a post (or sends it twice
//! at once) makes one post. The key is recorded in the post's transaction.

use crate::common::{Api, Backend, TestInstance, available, client, temp_dir};
use kuvend::service::auth;
use serde_json::{Value, json};

async fn idempotency_scenario(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    auth::create_user(
        alpha.ctx(),
        "staff@ngo.example",
        "correct horse",
        Some(("ngo", "editor")),
    )
    .await
    .unwrap();
    let api = Api::login(&alpha.base_url(), "staff@ngo.example", "correct horse").await;
    let post = |key: &'static str| {
        let url = format!("{}/api/v1/statuses", api.base);
        let token = api.token.clone();
        async move {
            let response = client()
                .post(url)
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&json!({"status": "Our statement, sent twice"}))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let before = alpha.counts().await;
    // Several rounds of two requests at the same instant, each round its own key.
    for key in ["k1", "k2", "k3", "k4", "k5"] {
        let ((status_a, a), (status_b, b)) = tokio::join!(post(key), post(key));
        assert_eq!((status_a, status_b), (200, 200), "{a} {b}");
        assert_eq!(a["id"], b["id"], "one post for key {key}");
    }
    // A key longer than any app sends is refused, and stores nothing.
    let response = client()
        .post(format!("{}/api/v1/statuses", api.base))
        .bearer_auth(&api.token)
        .header("Idempotency-Key", "k".repeat(256))
        .json(&json!({"status": "Our statement"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let error: Value = response.json().await.unwrap();
    assert_eq!(
        error["error"],
        "Validation failed: Idempotency-Key is longer than 255 bytes"
    );
    // And a later retry gets the same post again.
    let (_, again) = post("k1").await;
    let (_, statuses) = api
        .get(&format!("/api/v1/accounts/{}/statuses?limit=40", ngo.id))
        .await;
    let ids: Vec<&Value> = statuses
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["id"])
        .collect();
    assert_eq!(ids.len(), 5, "five keys, five posts: {statuses}");
    assert!(ids.contains(&&again["id"]));
    // One Create each went to the delivery queue, not two.
    let after = alpha.counts().await;
    assert_eq!(after.activities - before.activities, 5, "{after:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotency_key_makes_one_post_sqlite() {
    idempotency_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotency_key_makes_one_post_postgres() {
    if available(
        "idempotency_key_makes_one_post_postgres",
        &[Backend::Postgres],
    ) {
        idempotency_scenario(Backend::Postgres).await;
    }
}
