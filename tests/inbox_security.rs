//! The inbox refuses what it must refuse, with a 4xx and a JSON reason, and a
//! refused request changes nothing in the database.

use crate::common::{Backend, TestInstance, available, client, temp_dir};
use kuvend::{federation::signatures, storage::models::ActorRow};
use serde_json::json;
use std::time::{Duration, SystemTime};
use url::Url;

/// A request as the test will send it.
struct Post {
    body: Vec<u8>,
    headers: Vec<(&'static str, String)>,
}

/// Signs `body` as `signer` would, for `inbox`, at time `at`.
fn signed(signer: &ActorRow, inbox: &Url, body: &[u8], at: SystemTime) -> Post {
    let key = signatures::parse_private_key(signer.private_key_pem.as_deref().unwrap()).unwrap();
    let out = signatures::sign(&key, &signer.public_key_id, "POST", inbox, Some(body), at).unwrap();
    Post {
        body: body.to_vec(),
        headers: vec![
            ("content-type", "application/activity+json".into()),
            ("date", out.date),
            ("digest", out.digest.unwrap()),
            ("signature", out.signature),
        ],
    }
}

async fn send(inbox: &Url, post: Post) -> (u16, serde_json::Value) {
    let mut request = client().post(inbox.clone()).body(post.body);
    for (name, value) in post.headers {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}

fn follow_body(id: &str, actor: &ActorRow, object: &ActorRow) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Follow",
        "actor": actor.ap_id,
        "object": object.ap_id,
    }))
    .unwrap()
}

async fn inbox_scenario(target_db: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", target_db, dir.path()).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    let target = alpha.create_org("target", false).await;
    let sender = beta.create_org("sender", false).await;
    let other = beta.create_org("other", false).await;
    let inbox = Url::parse(&target.inbox_url).unwrap();
    let shared_inbox = Url::parse(&format!("{}/inbox", alpha.base_url())).unwrap();
    let now = SystemTime::now();
    let body = follow_body(
        &format!("{}/activities/f1", beta.base_url()),
        &sender,
        &target,
    );
    let before = alpha.counts().await;

    let mut cases: Vec<(&str, Url, Post, u16)> = Vec::new();
    cases.push((
        "unsigned",
        inbox.clone(),
        Post {
            body: body.clone(),
            headers: vec![("content-type", "application/activity+json".into())],
        },
        401,
    ));
    let mut bad = signed(&sender, &inbox, &body, now);
    let sig = bad.headers[3].1.clone();
    let start = sig.find("signature=\"").unwrap() + "signature=\"".len();
    let mut forged = sig.clone();
    forged.replace_range(start..start + 8, "AAAAAAAA");
    bad.headers[3].1 = forged;
    cases.push(("bad signature", inbox.clone(), bad, 401));
    let mut tampered = signed(&sender, &inbox, &body, now);
    tampered.body = String::from_utf8(body.clone())
        .unwrap()
        .replace("f1", "f2")
        .into_bytes();
    cases.push(("body changed after signing", inbox.clone(), tampered, 401));
    cases.push((
        "signed by another actor's key",
        inbox.clone(),
        signed(&other, &inbox, &body, now),
        401,
    ));
    cases.push((
        "Date two hours old",
        inbox.clone(),
        signed(&sender, &inbox, &body, now - Duration::from_secs(7200)),
        401,
    ));
    cases.push((
        "Date two hours ahead",
        inbox.clone(),
        signed(&sender, &inbox, &body, now + Duration::from_secs(7200)),
        401,
    ));
    cases.push((
        "signed for another path",
        shared_inbox.clone(),
        signed(&sender, &inbox, &body, now),
        401,
    ));
    let huge = vec![b' '; 2 * 1024 * 1024];
    cases.push((
        "oversized body",
        inbox.clone(),
        signed(&sender, &inbox, &huge, now),
        413,
    ));
    let malformed = b"{\"id\": \"http://beta.test/x\", \"type\": \"Follow\",".to_vec();
    cases.push((
        "malformed JSON",
        inbox.clone(),
        signed(&sender, &inbox, &malformed, now),
        400,
    ));
    let mut wrong_type = signed(&sender, &inbox, &body, now);
    wrong_type.headers[0].1 = "text/plain".into();
    cases.push(("wrong content type", inbox.clone(), wrong_type, 415));
    let impostor = follow_body("http://evil.test/activities/1", &sender, &target);
    cases.push((
        "activity id on another host",
        inbox.clone(),
        signed(&sender, &inbox, &impostor, now),
        401,
    ));

    for (name, url, post, expected) in cases {
        let (status, reply) = send(&url, post).await;
        assert_eq!(status, expected, "{name}: {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{name}: no JSON reason in {reply}"
        );
        assert_eq!(alpha.counts().await, before, "{name} changed the database");
    }

    // The same Follow, properly signed, is accepted and applied once.
    let (status, _) = send(&inbox, signed(&sender, &inbox, &body, now)).await;
    assert_eq!(status, 202);
    let after = alpha.counts().await;
    assert_eq!(after.follows, before.follows + 1);
    assert_eq!(
        after.actors,
        before.actors + 1,
        "the sender is stored with its first activity"
    );
    assert_eq!(
        after.deliveries,
        before.deliveries + 1,
        "an Accept is queued"
    );
    assert_eq!(
        alpha
            .follow_state(&sender.ap_id, &target.ap_id)
            .await
            .as_deref(),
        Some("accepted")
    );
    // A repeated delivery of the same id is acknowledged and changes nothing.
    let (status, _) = send(&shared_inbox, signed(&sender, &shared_inbox, &body, now)).await;
    assert_eq!(status, 202);
    assert_eq!(alpha.counts().await, after);
    // A known sender signing with its key, but for someone else, is still refused.
    let (status, _) = send(
        &inbox,
        signed(
            &other,
            &inbox,
            &follow_body(
                &format!("{}/activities/f3", beta.base_url()),
                &sender,
                &target,
            ),
            now,
        ),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(alpha.counts().await, after);
    // A signature that fails makes kuvend fetch the actor again (the key may
    // have been rotated), at most once a minute: the request above, signed
    // with another key, used that fetch, so this forged one is refused
    // without another.
    let mut forged = signed(
        &sender,
        &inbox,
        &follow_body(
            &format!("{}/activities/f4", beta.base_url()),
            &sender,
            &target,
        ),
        now,
    );
    let sig = forged.headers[3].1.clone();
    let start = sig.find("signature=\"").unwrap() + "signature=\"".len();
    forged.headers[3]
        .1
        .replace_range(start..start + 8, "AAAAAAAA");
    let (status, reply) = send(&inbox, forged).await;
    assert_eq!(status, 401);
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("re-fetched less than 60 s ago"),
        "{reply}"
    );
    assert_eq!(alpha.counts().await, after);
}

/// Activities that arrive together are written together (group commit), each
/// in its own savepoint: one refused inside the transaction is undone alone,
/// and the others it was written with stay applied.
async fn concurrent_scenario(target_db: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", target_db, dir.path()).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    let target = alpha.create_org("target", false).await;
    // Passes every check before the transaction; refused inside it, as the
    // object is not an actor here.
    let mut nobody = target.clone();
    nobody.ap_id = format!("{}/actors/nobody", alpha.base_url());
    let inbox = Url::parse(&format!("{}/inbox", alpha.base_url())).unwrap();
    let mut senders = Vec::new();
    for i in 0..12 {
        senders.push(beta.create_org(&format!("sender{i}"), false).await);
    }
    let before = alpha.counts().await;
    let now = SystemTime::now();
    let mut requests = Vec::new();
    for (i, sender) in senders.iter().enumerate() {
        let good = follow_body(
            &format!("{}/activities/good{i}", beta.base_url()),
            sender,
            &target,
        );
        let bad = follow_body(
            &format!("{}/activities/bad{i}", beta.base_url()),
            sender,
            &nobody,
        );
        requests.push((200..300, signed(sender, &inbox, &good, now)));
        requests.push((404..405, signed(sender, &inbox, &bad, now)));
    }
    let results = futures::future::join_all(requests.into_iter().map(|(expected, post)| {
        let inbox = inbox.clone();
        async move { (expected, send(&inbox, post).await) }
    }))
    .await;
    for (expected, (status, reply)) in &results {
        assert!(expected.contains(status), "{status} {reply}");
    }
    let after = alpha.counts().await;
    assert_eq!(after.follows, before.follows + 12);
    assert_eq!(after.actors, before.actors + 12);

    // The refused ones left no trace: sent again, each is refused again
    // rather than taken for a duplicate.
    let again = follow_body(
        &format!("{}/activities/bad0", beta.base_url()),
        &senders[0],
        &nobody,
    );
    let (status, reply) = send(&inbox, signed(&senders[0], &inbox, &again, now)).await;
    assert_eq!(status, 404, "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_activities_fail_alone_sqlite() {
    concurrent_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_activities_fail_alone_postgres() {
    if available(
        "concurrent_activities_fail_alone_postgres",
        &[Backend::Postgres],
    ) {
        concurrent_scenario(Backend::Postgres).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_refuses_bad_requests_sqlite() {
    inbox_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inbox_refuses_bad_requests_postgres() {
    if available("inbox_refuses_bad_requests_postgres", &[Backend::Postgres]) {
        inbox_scenario(Backend::Postgres).await;
    }
}

/// An actor's own document is hostile like any other content: a script or
/// an event handler in its summary, markup in its name, and `javascript:`
/// links as its url and icon never reach an app.
async fn hostile_actor_scenario(target_db: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", target_db, dir.path()).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    alpha.create_org("target", false).await;
    let sender = beta.create_org("sender", false).await;
    let mut document: serde_json::Value = client()
        .get(&sender.ap_id)
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    document["name"] =
        json!(r#"<b>Sender</b><img src=x onerror="alert(1)"><script>alert(2)</script>"#);
    document["summary"] = json!(
        r#"<p>Hi</p><script>alert(3)</script><img src=x onerror="alert(4)"><a href="javascript:alert(5)">x</a><svg onload="alert(6)"></svg><p style="background:url(javascript:alert(7))">y</p>"#
    );
    document["url"] = json!("javascript:alert(8)");
    document["icon"] = json!({"type": "Image", "url": "javascript:alert(9)"});
    let update = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}/activities/hostile-update", beta.base_url()),
        "type": "Update",
        "actor": sender.ap_id,
        "object": document,
    }))
    .unwrap();
    let inbox = Url::parse(&format!("{}/inbox", alpha.base_url())).unwrap();
    let (status, answer) = send(&inbox, signed(&sender, &inbox, &update, SystemTime::now())).await;
    assert_eq!(status, 202, "{answer}");

    let account: serde_json::Value = client()
        .get(format!(
            "{}/api/v1/accounts/lookup?acct=sender@{}",
            alpha.base_url(),
            beta.domain
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(account["display_name"], "Sender", "{account}");
    let note = account["note"].as_str().unwrap();
    assert!(note.starts_with("<p>Hi</p>"), "{note}");
    for executable in [
        "<script",
        "onerror",
        "onload",
        "javascript:",
        "<svg",
        "style=",
    ] {
        assert!(!note.contains(executable), "{executable} in {note}");
    }
    for field in ["url", "avatar", "avatar_static"] {
        let value = account[field].as_str().unwrap_or_default();
        assert!(
            value.starts_with("http://") || value.starts_with("https://"),
            "{field}: {account}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_actor_fields_are_made_safe_sqlite() {
    hostile_actor_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_actor_fields_are_made_safe_postgres() {
    if available(
        "hostile_actor_fields_are_made_safe_postgres",
        &[Backend::Postgres],
    ) {
        hostile_actor_scenario(Backend::Postgres).await;
    }
}

/// A request signed for another server (captured on its way there) cannot be
/// replayed here: the signed `host` must be this instance's domain, for
/// POSTs to the inbox and for signed GETs alike. The same activity signed
/// for us is accepted, so the key itself is good.
async fn replay_scenario(target_db: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", target_db, dir.path()).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    let target = alpha.create_org("target", false).await;
    let sender = beta.create_org("sender", false).await;
    let inbox = Url::parse(&format!("{}/inbox", alpha.base_url())).unwrap();
    let elsewhere = Url::parse("http://elsewhere.test/inbox").unwrap();
    let body = follow_body(
        &format!("{}/activities/replayed", beta.base_url()),
        &sender,
        &target,
    );
    let before = alpha.counts().await;
    let mut captured = signed(&sender, &elsewhere, &body, SystemTime::now());
    captured.headers.push(("host", "elsewhere.test".into()));
    let (status, error) = send(&inbox, captured).await;
    assert_eq!(status, 401, "{error}");
    assert!(
        error["error"].as_str().unwrap().contains("signed for host"),
        "{error}"
    );
    assert_eq!(
        alpha.counts().await,
        before,
        "a refused request changes nothing"
    );
    let (status, answer) = send(&inbox, signed(&sender, &inbox, &body, SystemTime::now())).await;
    assert_eq!(status, 202, "{answer}");

    // A signed GET captured on its way to another server.
    let post = kuvend::service::posts::create_post(
        &alpha.data(),
        "target",
        kuvend::service::posts::NewPost {
            text: "Public statement".into(),
            visibility: kuvend::model::Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: None,
        },
    )
    .await
    .unwrap();
    let post_url = Url::parse(&post.ap_id).unwrap();
    let mut elsewhere_url = post_url.clone();
    elsewhere_url.set_host(Some("elsewhere.test")).unwrap();
    elsewhere_url.set_port(None).unwrap();
    let key = signatures::parse_private_key(sender.private_key_pem.as_deref().unwrap()).unwrap();
    let out = signatures::sign(
        &key,
        &sender.public_key_id,
        "GET",
        &elsewhere_url,
        None,
        SystemTime::now(),
    )
    .unwrap();
    let replayed = client()
        .get(post_url.clone())
        .header("accept", "application/activity+json")
        .header("host", "elsewhere.test")
        .header("date", out.date)
        .header("signature", out.signature)
        .send()
        .await
        .unwrap();
    assert_eq!(replayed.status().as_u16(), 401);
    let fair = crate::common::signed_get(&sender, post_url.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(fair.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_signature_for_another_host_is_refused_sqlite() {
    replay_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_signature_for_another_host_is_refused_postgres() {
    if available(
        "replayed_signature_for_another_host_is_refused_postgres",
        &[Backend::Postgres],
    ) {
        replay_scenario(Backend::Postgres).await;
    }
}
