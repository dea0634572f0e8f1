//! Accounts on the same instance follow each other (at once, or after
//! approval), and mentions, replies, likes, boosts and follows between them
//! notify, by the same rules as between instances, with nothing sent over
//! HTTP.

use crate::common::{Api, Backend, TestInstance, available, temp_dir};
use kuvend::service::auth;
use serde_json::{Value, json};

/// The notification types an account has, oldest first.
async fn notification_types(api: &Api) -> Vec<String> {
    let (status, list) = api.get("/api/v1/notifications").await;
    assert_eq!(status, 200, "{list}");
    let mut types: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap().to_string())
        .collect();
    types.reverse();
    types
}

async fn relationship(api: &Api, id: i64) -> Value {
    let (_, found) = api
        .get(&format!("/api/v1/accounts/relationships?id[]={id}"))
        .await;
    found[0].clone()
}

async fn local_scenario(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    let safe = alpha.create_org("safe", true).await;
    for (email, org) in [("staff@ngo.example", "ngo"), ("staff@safe.example", "safe")] {
        auth::create_user(alpha.ctx(), email, "correct horse", Some((org, "owner")))
            .await
            .unwrap();
    }
    let base = alpha.base_url();
    let ngo_api = Api::login(&base, "staff@ngo.example", "correct horse").await;
    let safe_api = Api::login(&base, "staff@safe.example", "correct horse").await;

    // ngo asks to follow safe, which approves by hand.
    let (status, r) = ngo_api
        .post(&format!("/api/v1/accounts/{}/follow", safe.id), json!({}))
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (r["following"].clone(), r["requested"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(notification_types(&safe_api).await, ["follow_request"]);
    let (_, requests) = safe_api.get("/api/v1/follow_requests").await;
    assert_eq!(requests[0]["username"], "ngo", "{requests}");
    let (status, r) = safe_api
        .post(
            &format!("/api/v1/follow_requests/{}/authorize", ngo.id),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(relationship(&ngo_api, safe.id).await["following"], true);

    // safe follows ngo, which accepts at once.
    let (_, r) = safe_api
        .post(&format!("/api/v1/accounts/{}/follow", ngo.id), json!({}))
        .await;
    assert_eq!(r["following"], true, "{r}");
    assert_eq!(notification_types(&ngo_api).await, ["follow"]);

    // ngo mentions safe: a mention, and the post in safe's home timeline.
    let (_, post) = ngo_api
        .post(
            "/api/v1/statuses",
            json!({"status": "Thank you @safe for the forum"}),
        )
        .await;
    let post_id = post["id"].as_str().unwrap().to_string();
    assert_eq!(
        notification_types(&safe_api).await,
        ["follow_request", "mention"]
    );
    let (_, home) = safe_api.get("/api/v1/timelines/home").await;
    assert!(
        home.as_array()
            .unwrap()
            .iter()
            .any(|s| s["id"] == post_id.as_str()),
        "{home}"
    );

    // safe likes, boosts and replies: three notifications for ngo.
    for action in ["favourite", "reblog"] {
        let (status, s) = safe_api
            .post(&format!("/api/v1/statuses/{post_id}/{action}"), json!({}))
            .await;
        assert_eq!(status, 200, "{s}");
    }
    let (status, reply) = safe_api
        .post(
            "/api/v1/statuses",
            json!({"status": "Glad to be there", "in_reply_to_id": post_id}),
        )
        .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        notification_types(&ngo_api).await,
        ["follow", "favourite", "reblog", "mention"]
    );
    let (_, status) = ngo_api.get(&format!("/api/v1/statuses/{post_id}")).await;
    assert_eq!(
        (
            status["favourites_count"].clone(),
            status["reblogs_count"].clone()
        ),
        (json!(1), json!(1))
    );
    // Nobody's own actions notify themselves.
    assert!(
        !notification_types(&safe_api)
            .await
            .contains(&"favourite".to_string())
    );

    // Nothing of it went over HTTP.
    assert_eq!(alpha.pending_deliveries().await, 0);

    // ngo stops following safe.
    let (_, r) = ngo_api
        .post(&format!("/api/v1/accounts/{}/unfollow", safe.id), json!({}))
        .await;
    assert_eq!(r["following"], false, "{r}");
    assert_eq!(relationship(&safe_api, ngo.id).await["followed_by"], false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_accounts_follow_and_notify_sqlite() {
    local_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_accounts_follow_and_notify_postgres() {
    if available(
        "local_accounts_follow_and_notify_postgres",
        &[Backend::Postgres],
    ) {
        local_scenario(Backend::Postgres).await;
    }
}
