//! One visibility rule for every list: an account's statuses page holds only
//! what the viewer may see, filtered before the limit, so every page is full.

use crate::common::{Api, Backend, TestInstance, available, client, temp_dir};
use kuvend::{
    model::Visibility,
    service::{
        auth,
        posts::{self, NewPost},
    },
};
use serde_json::Value;

fn new_post(text: String, visibility: Visibility) -> NewPost {
    NewPost {
        text,
        visibility,
        in_reply_to: None,
        spoiler: None,
        language: Some("en".into()),
    }
}

/// The visibilities of a page of statuses, newest first.
fn levels(statuses: &Value) -> Vec<String> {
    statuses
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["visibility"].as_str().unwrap().to_string())
        .collect()
}

async fn full_pages_scenario(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    alpha.create_org("reader", false).await;
    for (email, org) in [
        ("staff@ngo.example", "ngo"),
        ("staff@reader.example", "reader"),
    ] {
        auth::create_user(alpha.ctx(), email, "correct horse", Some((org, "owner")))
            .await
            .unwrap();
    }
    // 30 posts, newest last: public, followers-only, direct to @reader, ...
    for i in 0..30 {
        let (text, visibility) = match i % 3 {
            0 => (format!("public {i}"), Visibility::Public),
            1 => (format!("followers {i}"), Visibility::Followers),
            _ => (format!("@reader direct {i}"), Visibility::Direct),
        };
        posts::create_post(&alpha.data(), "ngo", new_post(text, visibility))
            .await
            .unwrap();
    }
    let base = alpha.base_url();
    let path = format!("/api/v1/accounts/{}/statuses?limit=4", ngo.id);

    // A stranger, not signed in: pages of 4 public posts, then the rest.
    let mut seen = Vec::new();
    let mut next = path.clone();
    for expected in [4, 4, 2, 0] {
        let page: Value = client()
            .get(format!("{base}{next}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(levels(&page), vec!["public"; expected], "{next}: {page}");
        if let Some(last) = page.as_array().unwrap().last() {
            next = format!("{path}&max_id={}", last["id"].as_str().unwrap());
        }
        seen.extend(levels(&page));
    }
    assert_eq!(seen.len(), 10, "every public post, once");

    // The mentioned account sees the public posts and the direct ones that
    // mention it, not the followers-only ones (it does not follow).
    let reader = Api::login(&base, "staff@reader.example", "correct horse").await;
    let (_, page) = reader
        .get(&format!("/api/v1/accounts/{}/statuses?limit=20", ngo.id))
        .await;
    let page_levels = levels(&page);
    assert_eq!(page_levels.len(), 20, "{page}");
    assert!(!page_levels.iter().any(|l| l == "private"), "{page}");
    assert_eq!(page_levels.iter().filter(|l| *l == "direct").count(), 10);

    // The author sees everything.
    let author = Api::login(&base, "staff@ngo.example", "correct horse").await;
    let (_, page) = author
        .get(&format!("/api/v1/accounts/{}/statuses?limit=40", ngo.id))
        .await;
    assert_eq!(levels(&page).len(), 30, "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_statuses_pages_are_full_sqlite() {
    full_pages_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_statuses_pages_are_full_postgres() {
    if available(
        "account_statuses_pages_are_full_postgres",
        &[Backend::Postgres],
    ) {
        full_pages_scenario(Backend::Postgres).await;
    }
}

/// A token without `read:statuses` reads statuses as anyone would: its
/// account's followers-only post is not found, though the same login with a
/// reading token sees it.
async fn write_only_scenario(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("ngo", false).await;
    auth::create_user(
        alpha.ctx(),
        "staff@ngo.example",
        "correct horse",
        Some(("ngo", "owner")),
    )
    .await
    .unwrap();
    let post = posts::create_post(
        &alpha.data(),
        "ngo",
        new_post("For our followers".into(), Visibility::Followers),
    )
    .await
    .unwrap();
    let base = alpha.base_url();
    let writer = Api::login_with_scope(
        &base,
        "staff@ngo.example",
        "correct horse",
        "write:statuses",
    )
    .await;
    let path = format!("/api/v1/statuses/{}", post.id);
    assert_eq!(writer.get(&path).await.0, 404, "write-only token");
    for part in ["context", "history"] {
        let (status, _) = writer.get(&format!("{path}/{part}")).await;
        assert_eq!(status, 404, "write-only token, {part}");
    }
    let (status, refused) = writer.get(&format!("{path}/source")).await;
    assert_eq!(status, 403, "write-only token, source: {refused}");
    // Nor does acting on the post answer with it.
    let (status, body) = writer
        .post(&format!("{path}/favourite"), serde_json::json!({}))
        .await;
    assert_eq!(status, 404, "write-only token, favourite: {body}");
    let reply = serde_json::json!({"status": "a reply", "in_reply_to_id": post.id.to_string()});
    let (status, body) = writer.post("/api/v1/statuses", reply).await;
    assert_eq!(status, 404, "write-only token, reply: {body}");
    let (_, page) = writer
        .get(&format!("/api/v1/accounts/{}/statuses", post.author_id))
        .await;
    assert_eq!(levels(&page), Vec::<String>::new(), "{page}");
    let reader = Api::login(&base, "staff@ngo.example", "correct horse").await;
    assert_eq!(reader.get(&path).await.0, 200, "reading token");
    for part in ["context", "history", "source"] {
        let (status, body) = reader.get(&format!("{path}/{part}")).await;
        assert_eq!(status, 200, "reading token, {part}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_only_token_reads_no_followers_only_status_sqlite() {
    write_only_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_only_token_reads_no_followers_only_status_postgres() {
    if available(
        "write_only_token_reads_no_followers_only_status_postgres",
        &[Backend::Postgres],
    ) {
        write_only_scenario(Backend::Postgres).await;
    }
}
