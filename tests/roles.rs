//! Staff roles, enforced at every request: an editor writes, an owner also
//! decides for the organisation; a login taken off the staff, disabled, or
//! whose tokens were revoked is refused on its next request.

use crate::common::{Api, Backend, TestInstance, available, temp_dir};
use kuvend::service::{auth, follows};
use reqwest::Method;
use serde_json::json;
use std::time::Duration;

const PASSWORD: &str = "correct horse";

async fn roles_scenario(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    alpha.create_org("ngo", true).await;
    beta.create_org("friend", false).await;
    for (email, role) in [
        ("owner@ngo.example", "owner"),
        ("editor@ngo.example", "editor"),
        ("removed@ngo.example", "editor"),
        ("disabled@ngo.example", "editor"),
        ("revoked@ngo.example", "owner"),
    ] {
        auth::create_user(alpha.ctx(), email, PASSWORD, Some(("ngo", role)))
            .await
            .unwrap();
    }
    let base = alpha.base_url();
    let owner = Api::login(&base, "owner@ngo.example", PASSWORD).await;
    let editor = Api::login(&base, "editor@ngo.example", PASSWORD).await;

    // A follow request waits for approval (ngo approves by hand).
    follows::follow(&beta.data(), "friend", &format!("ngo@{}", alpha.domain))
        .await
        .unwrap();
    let requester = eventually_request(&owner).await;

    // The editor writes and reacts...
    let (status, post) = editor
        .post(
            "/api/v1/statuses",
            json!({"status": "Written by an editor"}),
        )
        .await;
    assert_eq!(status, 200, "{post}");
    let post_id = post["id"].as_str().unwrap();
    let (status, _) = editor
        .post(&format!("/api/v1/statuses/{post_id}/favourite"), json!({}))
        .await;
    assert_eq!(status, 200);
    // ...but does not decide for the organisation: a 403 with the reason.
    let forbidden = "only an owner of @ngo can do this";
    for (method, path, body) in [
        (
            Method::PATCH,
            "/api/v1/accounts/update_credentials".to_string(),
            json!({"display_name": "Hijacked"}),
        ),
        (
            Method::POST,
            format!("/api/v1/follow_requests/{requester}/authorize"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/follow_requests/{requester}/reject"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/accounts/{requester}/follow"),
            json!({}),
        ),
    ] {
        let (status, error) = editor.send(method, &path, Some(body)).await;
        assert_eq!(status, 403, "{path}: {error}");
        assert_eq!(error["error"], forbidden, "{path}");
    }
    let (_, me) = owner.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(
        me["display_name"], "The ngo organisation",
        "nothing the editor tried changed"
    );

    // The owner may do all of it.
    let (status, account) = owner
        .send(
            Method::PATCH,
            "/api/v1/accounts/update_credentials",
            Some(json!({"display_name": "Civic Voices"})),
        )
        .await;
    assert_eq!(status, 200, "{account}");
    assert_eq!(account["display_name"], "Civic Voices");
    let (status, relationship) = owner
        .post(
            &format!("/api/v1/follow_requests/{requester}/authorize"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{relationship}");
    assert_eq!(relationship["followed_by"], true);

    // Taken off the staff, disabled, tokens revoked: 401 on the next request.
    let removed = Api::login(&base, "removed@ngo.example", PASSWORD).await;
    let disabled = Api::login(&base, "disabled@ngo.example", PASSWORD).await;
    let revoked = Api::login(&base, "revoked@ngo.example", PASSWORD).await;
    for api in [&removed, &disabled, &revoked] {
        assert_eq!(api.get("/api/v1/accounts/verify_credentials").await.0, 200);
    }
    auth::remove_membership(alpha.ctx(), "removed@ngo.example", "ngo")
        .await
        .unwrap();
    auth::disable_user(alpha.ctx(), "disabled@ngo.example")
        .await
        .unwrap();
    assert_eq!(
        auth::revoke_tokens(alpha.ctx(), "revoked@ngo.example")
            .await
            .unwrap(),
        1
    );
    for api in [&removed, &disabled, &revoked] {
        let (status, error) = api
            .post("/api/v1/statuses", json!({"status": "still here?"}))
            .await;
        assert_eq!(status, 401, "{error}");
        assert_eq!(api.get("/api/v1/accounts/verify_credentials").await.0, 401);
    }
    // A disabled login cannot log in again; a revoked one can.
    assert!(
        auth::login(alpha.ctx(), None, "disabled@ngo.example", PASSWORD)
            .await
            .is_err()
    );
    let again = Api::login(&base, "revoked@ngo.example", PASSWORD).await;
    assert_eq!(
        again.get("/api/v1/accounts/verify_credentials").await.0,
        200
    );

    // A new password revokes the old tokens; the new one logs in.
    assert_eq!(
        auth::set_password(alpha.ctx(), "owner@ngo.example", "a new long password")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        owner.get("/api/v1/accounts/verify_credentials").await.0,
        401
    );
    assert!(
        auth::login(alpha.ctx(), None, "owner@ngo.example", PASSWORD)
            .await
            .is_err()
    );
    let renewed = Api::login(&base, "owner@ngo.example", "a new long password").await;
    assert_eq!(
        renewed.get("/api/v1/accounts/verify_credentials").await.0,
        200
    );
    // Nothing an editor wrote went with its login.
    assert_eq!(
        renewed.get(&format!("/api/v1/statuses/{post_id}")).await.0,
        200
    );
}

/// The id of the first pending follow request, once it has arrived.
async fn eventually_request(owner: &Api) -> String {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        let (_, requests) = owner.get("/api/v1/follow_requests").await;
        if let Some(id) = requests[0]["id"].as_str() {
            return id.to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the follow request did not arrive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_sqlite() {
    roles_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_postgres() {
    if available("roles_postgres", &[Backend::Postgres]) {
        roles_scenario(Backend::Postgres).await;
    }
}
