//! Posts across three real instances over HTTP: visibility, one delivery per
//! shared inbox, edits, deletes, replies, likes and boosts.

use crate::common::{Backend, TestInstance, available, client, eventually, signed_get, temp_dir};
use kuvend::model::{ReactionKind, Visibility};
use kuvend::service::posts::{self, NewPost};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

fn new_post(text: &str, visibility: Visibility) -> NewPost {
    NewPost {
        text: text.into(),
        visibility,
        in_reply_to: None,
        spoiler: None,
        language: Some("en".into()),
    }
}

async fn posts_scenario(alpha_db: Backend, beta_db: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", alpha_db, dir.path()).await;
    let beta = TestInstance::start("beta.test", beta_db, dir.path()).await;
    let gamma = TestInstance::start("gamma.test", Backend::Sqlite, dir.path()).await;
    alpha.create_org("ngo", false).await;
    beta.create_org("b1", false).await;
    beta.create_org("b2", false).await;
    let g1 = gamma.create_org("g1", false).await;
    let g2 = gamma.create_org("g2", false).await;
    let b1 = beta
        .actor(&format!("{}/users/b1", beta.base_url()))
        .await
        .unwrap();
    beta.follow_and_wait("b1", &alpha, "ngo").await;
    beta.follow_and_wait("b2", &alpha, "ngo").await;
    gamma.follow_and_wait("g1", &alpha, "ngo").await;
    let beta_inbox = format!("{}/inbox", beta.base_url());
    let gamma_inbox = format!("{}/inbox", gamma.base_url());

    // A public post reaches both instances, one request per shared inbox.
    let text = format!("Join the #NAD campaign day, @g1@{}!", gamma.domain);
    let public = posts::create_post(&alpha.data(), "ngo", new_post(&text, Visibility::Public))
        .await
        .unwrap();
    let create_id = format!("{}/activity", public.ap_id);
    assert_eq!(
        alpha.delivery_inboxes(&create_id).await,
        vec![beta_inbox.clone(), gamma_inbox.clone()]
    );
    eventually("beta and gamma store the public post", WAIT, || async {
        beta.post(&public.ap_id).await.is_some() && gamma.post(&public.ap_id).await.is_some()
    })
    .await;
    let on_beta = beta.post(&public.ap_id).await.unwrap();
    assert_eq!(on_beta.visibility, "public");
    assert!(
        on_beta.content.contains("class=\"mention hashtag\""),
        "{}",
        on_beta.content
    );
    let create = alpha.sent_activity(&create_id).await;
    assert_eq!(
        create["to"][0],
        "https://www.w3.org/ns/activitystreams#Public"
    );
    let tags = create["object"]["tag"].as_array().unwrap();
    assert!(
        tags.iter()
            .any(|t| t["type"] == "Mention" && t["href"] == g1.ap_id.as_str())
    );
    assert!(
        tags.iter()
            .any(|t| t["type"] == "Hashtag" && t["name"] == "#nad")
    );

    // Unlisted: followers in `to`, Public in `cc`, as Mastodon does it.
    let unlisted = posts::create_post(
        &alpha.data(),
        "ngo",
        new_post("Quiet update", Visibility::Unlisted),
    )
    .await
    .unwrap();
    // Signed as beta's instance actor: authorized fetch is on.
    let reader = beta.instance_actor_row().await;
    let document: serde_json::Value = signed_get(&reader, &unlisted.ap_id)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        document["to"],
        serde_json::json!([format!("{}/users/ngo/followers", alpha.base_url())])
    );
    assert_eq!(
        document["cc"],
        serde_json::json!(["https://www.w3.org/ns/activitystreams#Public"])
    );
    eventually(
        "beta stores the unlisted post as unlisted",
        WAIT,
        || async {
            beta.post(&unlisted.ap_id)
                .await
                .is_some_and(|p| p.visibility == "unlisted")
        },
    )
    .await;

    // Followers-only: delivered to followers, refused to everyone else.
    let private = posts::create_post(
        &alpha.data(),
        "ngo",
        new_post("For our members only", Visibility::Followers),
    )
    .await
    .unwrap();
    eventually(
        "followers receive the followers-only post",
        WAIT,
        || async {
            beta.post(&private.ap_id)
                .await
                .is_some_and(|p| p.visibility == "followers")
                && gamma.post(&private.ap_id).await.is_some()
        },
    )
    .await;
    let anonymous = client()
        .get(&private.ap_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap();
    assert_eq!(
        anonymous.status().as_u16(),
        401,
        "unsigned fetch of a followers-only post (authorized fetch)"
    );
    let stranger = signed_get(&g2, &private.ap_id).send().await.unwrap();
    assert_eq!(
        stranger.status().as_u16(),
        404,
        "a non-follower's signed fetch"
    );
    let follower = signed_get(&b1, &private.ap_id).send().await.unwrap();
    assert_eq!(follower.status().as_u16(), 200, "a follower's signed fetch");
    let page = client()
        .get(private.url.clone().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status().as_u16(),
        404,
        "no HTML page for followers-only posts"
    );
    let html = client()
        .get(format!("{}/@ngo", alpha.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("Join the")
            && !html.contains("members only")
            && !html.contains("Quiet update")
    );

    // Direct: only the mentioned actor's instance gets it.
    let direct = posts::create_post(
        &alpha.data(),
        "ngo",
        new_post(
            &format!("@b1@{} a word in private", beta.domain),
            Visibility::Direct,
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        alpha
            .delivery_inboxes(&format!("{}/activity", direct.ap_id))
            .await,
        vec![beta_inbox.clone()]
    );
    eventually("beta stores the direct post", WAIT, || async {
        beta.post(&direct.ap_id)
            .await
            .is_some_and(|p| p.visibility == "direct")
    })
    .await;
    assert!(gamma.post(&direct.ap_id).await.is_none());

    // A reply from gamma appears in the thread on alpha.
    let reply = posts::create_post(
        &gamma.data(),
        "g1",
        NewPost {
            in_reply_to: Some(public.ap_id.clone()),
            ..new_post("We will be there!", Visibility::Public)
        },
    )
    .await
    .unwrap();
    eventually("alpha stores the reply in the thread", WAIT, || async {
        alpha
            .post(&reply.ap_id)
            .await
            .is_some_and(|r| r.in_reply_to_id == Some(public.id))
    })
    .await;
    assert_eq!(alpha.post(&public.ap_id).await.unwrap().replies_count, 1);
    let thread = client()
        .get(public.url.clone().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(thread.contains("We will be there!"), "{thread}");

    // Likes and boosts are counted, and undone.
    posts::react(&beta.data(), "b1", &unlisted.ap_id, ReactionKind::Like)
        .await
        .unwrap();
    posts::react(&beta.data(), "b2", &public.ap_id, ReactionKind::Announce)
        .await
        .unwrap();
    eventually("the like and the boost are counted", WAIT, || async {
        alpha.post(&unlisted.ap_id).await.unwrap().likes_count == 1
            && alpha.post(&public.ap_id).await.unwrap().boosts_count == 1
    })
    .await;
    posts::unreact(&beta.data(), "b1", &unlisted.ap_id, ReactionKind::Like)
        .await
        .unwrap();
    posts::unreact(&beta.data(), "b2", &public.ap_id, ReactionKind::Announce)
        .await
        .unwrap();
    eventually("the like and the boost are undone", WAIT, || async {
        alpha.post(&unlisted.ap_id).await.unwrap().likes_count == 0
            && alpha.post(&public.ap_id).await.unwrap().boosts_count == 0
    })
    .await;

    // Edits arrive as Update; deletes as Delete, after which the id answers 410.
    posts::edit_post(
        &alpha.data(),
        &public.ap_id,
        "Join the #NAD campaign day (new time: 10:00)",
    )
    .await
    .unwrap();
    eventually("beta applies the edit", WAIT, || async {
        beta.post(&public.ap_id)
            .await
            .is_some_and(|p| p.content.contains("new time") && p.edited_at.is_some())
    })
    .await;
    posts::delete_post(alpha.ctx(), &public.ap_id)
        .await
        .unwrap();
    eventually("beta and gamma apply the delete", WAIT, || async {
        beta.post(&public.ap_id)
            .await
            .is_some_and(|p| p.deleted_at.is_some())
            && gamma
                .post(&public.ap_id)
                .await
                .is_some_and(|p| p.deleted_at.is_some())
    })
    .await;
    let reader = beta.instance_actor_row().await;
    let gone = signed_get(&reader, &public.ap_id).send().await.unwrap();
    assert_eq!(gone.status().as_u16(), 410);
    let tombstone: serde_json::Value = gone.json().await.unwrap();
    assert_eq!(tombstone["type"], "Tombstone");

    eventually("every queue drains", WAIT, || async {
        alpha.pending_deliveries().await == 0
            && beta.pending_deliveries().await == 0
            && gamma.pending_deliveries().await == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_sqlite_and_postgres() {
    if available("posts_sqlite_and_postgres", &[Backend::Postgres]) {
        posts_scenario(Backend::Sqlite, Backend::Postgres).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_postgres_and_sqlite() {
    if available("posts_postgres_and_sqlite", &[Backend::Postgres]) {
        posts_scenario(Backend::Postgres, Backend::Sqlite).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_sqlite_only() {
    posts_scenario(Backend::Sqlite, Backend::Sqlite).await;
}
