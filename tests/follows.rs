//! Follows between two real instances over HTTP: one on SQLite, one on
//! PostgreSQL (both orders), and an all-SQLite pair that needs no server.

use crate::common::{Backend, TestInstance, available, eventually, temp_dir};
use kuvend::service::follows;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

async fn follow_scenario(alpha_db: Backend, beta_db: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", alpha_db, dir.path()).await;
    let beta = TestInstance::start("beta.test", beta_db, dir.path()).await;
    let alpha_ngo = alpha.create_org("alpha_ngo", false).await;
    let alpha_two = alpha.create_org("alpha_two", false).await;
    let beta_ngo = beta.create_org("beta_ngo", false).await;
    let beta_private = beta.create_org("beta_private", true).await;

    // 1. Automatic acceptance, following by handle.
    let handle = format!("beta_ngo@{}", beta.domain);
    let (row, followee) = follows::follow(&alpha.data(), "alpha_ngo", &handle)
        .await
        .unwrap();
    assert_eq!(
        row.state, "pending",
        "a follow is pending until Accept arrives"
    );
    assert_eq!(followee.ap_id, beta_ngo.ap_id);
    eventually("beta records alpha_ngo as follower", WAIT, || async {
        beta.follow_state(&alpha_ngo.ap_id, &beta_ngo.ap_id)
            .await
            .as_deref()
            == Some("accepted")
    })
    .await;
    eventually("alpha sees its follow accepted", WAIT, || async {
        alpha
            .follow_state(&alpha_ngo.ap_id, &beta_ngo.ap_id)
            .await
            .as_deref()
            == Some("accepted")
    })
    .await;
    // The followers collection lists the follower.
    // Signed by alpha's instance actor: authorized fetch is on.
    let reader = alpha.instance_actor_row().await;
    let page: serde_json::Value = crate::common::signed_get(
        &reader,
        &format!("{}/users/beta_ngo/followers?page=1", beta.base_url()),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(page["totalItems"], 1);
    assert_eq!(page["orderedItems"][0], alpha_ngo.ap_id.as_str());

    // 2. Manual approval: pending on both sides, then approved.
    follows::follow(&alpha.data(), "alpha_ngo", &beta_private.ap_id)
        .await
        .unwrap();
    eventually("beta holds a pending request", WAIT, || async {
        beta.follow_state(&alpha_ngo.ap_id, &beta_private.ap_id)
            .await
            .as_deref()
            == Some("pending")
    })
    .await;
    // Nothing is sent back while the request waits.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        alpha
            .follow_state(&alpha_ngo.ap_id, &beta_private.ap_id)
            .await
            .as_deref(),
        Some("pending")
    );
    let pending = follows::followers(beta.ctx(), "beta_private", true)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    follows::approve(
        beta.ctx(),
        "beta_private",
        &format!("alpha_ngo@{}", alpha.domain),
    )
    .await
    .unwrap();
    assert_eq!(
        beta.follow_state(&alpha_ngo.ap_id, &beta_private.ap_id)
            .await
            .as_deref(),
        Some("accepted")
    );
    eventually("alpha sees the approval", WAIT, || async {
        alpha
            .follow_state(&alpha_ngo.ap_id, &beta_private.ap_id)
            .await
            .as_deref()
            == Some("accepted")
    })
    .await;

    // 3. Manual approval, rejected: the follow disappears on both sides.
    follows::follow(
        &alpha.data(),
        "alpha_two",
        &format!("@beta_private@{}", beta.domain),
    )
    .await
    .unwrap();
    eventually("beta holds alpha_two's request", WAIT, || async {
        beta.follow_state(&alpha_two.ap_id, &beta_private.ap_id)
            .await
            .as_deref()
            == Some("pending")
    })
    .await;
    follows::reject(beta.ctx(), "beta_private", &alpha_two.ap_id)
        .await
        .unwrap();
    assert_eq!(
        beta.follow_state(&alpha_two.ap_id, &beta_private.ap_id)
            .await,
        None
    );
    eventually("alpha drops the rejected request", WAIT, || async {
        alpha
            .follow_state(&alpha_two.ap_id, &beta_private.ap_id)
            .await
            .is_none()
    })
    .await;

    // 4. Undo: unfollowing removes the follow on the other side.
    follows::unfollow(alpha.ctx(), "alpha_ngo", &beta_ngo.ap_id)
        .await
        .unwrap();
    assert_eq!(
        alpha.follow_state(&alpha_ngo.ap_id, &beta_ngo.ap_id).await,
        None
    );
    eventually("beta removes the follower after Undo", WAIT, || async {
        beta.follow_state(&alpha_ngo.ap_id, &beta_ngo.ap_id)
            .await
            .is_none()
    })
    .await;

    // Every queued activity was delivered.
    eventually("queues drain", WAIT, || async {
        alpha.pending_deliveries().await == 0 && beta.pending_deliveries().await == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_sqlite_to_postgres() {
    if available("follows_sqlite_to_postgres", &[Backend::Postgres]) {
        follow_scenario(Backend::Sqlite, Backend::Postgres).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_postgres_to_sqlite() {
    if available("follows_postgres_to_sqlite", &[Backend::Postgres]) {
        follow_scenario(Backend::Postgres, Backend::Sqlite).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follows_sqlite_to_sqlite() {
    follow_scenario(Backend::Sqlite, Backend::Sqlite).await;
}
