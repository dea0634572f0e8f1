//! Limits on what clients and other servers may ask of an instance
//! (`[limits]`): password attempts, registrations, slow requests, and the
//! size of incoming notes. Each test is named after the attack it refuses.

use crate::common::{Backend, TestInstance, available, client, deliver, register_app, temp_dir};
use kuvend::{
    config::{Registrations, Settings},
    model::Visibility,
    service::{auth, posts},
    storage::models::ActorRow,
};
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
const PASSWORD: &str = "the right password";

/// Every rate limit off: a test turns on the one it is about.
fn no_rate_limits(settings: &mut Settings) {
    let limits = &mut settings.limits;
    limits.login_attempts_per_ip_per_minute = 0;
    limits.login_attempts_per_account_per_hour = 0;
    limits.registrations_per_ip_per_hour = 0;
}

async fn start(
    name: &str,
    backend: Backend,
    dir: &std::path::Path,
    configure: impl FnOnce(&mut Settings),
) -> TestInstance {
    let db = crate::common::new_database(backend, dir, name).await;
    TestInstance::start_configured(name, &db, 0, |s| {
        no_rate_limits(s);
        configure(s);
    })
    .await
}

/// An organisation with an owner who logs in as `email`.
async fn with_login(instance: &TestInstance, email: &str) {
    instance.create_org("ngo", false).await;
    auth::create_user(instance.ctx(), email, PASSWORD, Some(("ngo", "owner")))
        .await
        .unwrap();
}

/// A password-grant attempt: status, `Retry-After`, body.
async fn password_grant(
    http: &reqwest::Client,
    base: &str,
    app: &(String, String),
    email: &str,
    password: &str,
) -> (u16, Option<u64>, Value) {
    let response = http
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", email),
            ("password", password),
            ("client_id", &app.0),
            ("client_secret", &app.1),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// A login through the HTML form of the authorization flow.
async fn login_form(
    http: &reqwest::Client,
    base: &str,
    app: &(String, String),
    email: &str,
    password: &str,
) -> (u16, Option<u64>, String) {
    let response = http
        .post(format!("{base}/oauth/authorize"))
        .form(&[
            ("client_id", app.0.as_str()),
            ("redirect_uri", "urn:ietf:wg:oauth:2.0:oob"),
            ("scope", "read"),
            ("response_type", "code"),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let retry = retry_after(&response);
    (status, retry, response.text().await.unwrap())
}

fn retry_after(response: &reqwest::Response) -> Option<u64> {
    response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().parse().unwrap())
}

async fn answer(response: reqwest::Response) -> (u16, Option<u64>, Value) {
    let status = response.status().as_u16();
    let retry = retry_after(&response);
    (status, retry, response.json().await.unwrap_or(Value::Null))
}

/// The test process's resident memory in bytes (the instances run in it).
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .unwrap()
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap();
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_passwords_are_all_answered_and_memory_stays_bounded() {
    if !available(
        "parallel_wrong_passwords_are_all_answered_and_memory_stays_bounded",
        &BACKENDS,
    ) {
        return;
    }
    for backend in BACKENDS {
        let dir = temp_dir();
        // Rate limits off: every attempt reaches the password check, so what
        // bounds memory here is the cap on hashes at once alone.
        let alpha = start("alpha.test", backend, dir.path(), |_| {}).await;
        with_login(&alpha, "owner@ngo.example").await;
        let base = alpha.base_url();
        let app = register_app(&base, "read").await;
        // One client for every attempt, as an attacker would: what is
        // measured is the server, not the test's clients.
        let http = client();
        // One right login first, so that what is measured is the attack.
        let (status, _, body) =
            password_grant(&http, &base, &app, "owner@ngo.example", PASSWORD).await;
        assert_eq!(status, 200, "{body}");
        let idle = rss();

        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let sampler = {
            let done = done.clone();
            tokio::spawn(async move {
                let mut peak = 0;
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    peak = peak.max(rss());
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                peak
            })
        };
        let started = Instant::now();
        let attempts = (0..200).map(|i| {
            let (http, base, app) = (http.clone(), base.clone(), app.clone());
            tokio::spawn(async move {
                let wrong = format!("wrong password {i}");
                if i % 2 == 0 {
                    password_grant(&http, &base, &app, "owner@ngo.example", &wrong)
                        .await
                        .0
                } else {
                    login_form(&http, &base, &app, "owner@ngo.example", &wrong)
                        .await
                        .0
                }
            })
        });
        let statuses = futures::future::join_all(attempts).await;
        let took = started.elapsed();
        // Then 200 more that hang up after 50 ms, before their answer:
        // the hashes already running keep their permits until they end, so
        // hanging up does not let more run at once.
        let impatient = reqwest::Client::builder()
            .timeout(Duration::from_millis(50))
            .build()
            .unwrap();
        let direct = format!("http://127.0.0.1:{}", alpha.port);
        let hang_ups = (0..200).map(|i| {
            let (http, base, app) = (impatient.clone(), direct.clone(), app.clone());
            tokio::spawn(async move {
                let _ = http
                    .post(format!("{base}/oauth/token"))
                    .form(&[
                        ("grant_type", "password"),
                        ("username", "owner@ngo.example"),
                        ("password", &format!("hang up {i}")),
                        ("client_id", &app.0),
                        ("client_secret", &app.1),
                    ])
                    .send()
                    .await;
            })
        });
        futures::future::join_all(hang_ups).await;
        let permits = &alpha.ctx().client_limits.password_checks;
        let cap = alpha.ctx().settings.limits.password_checks_concurrent;
        crate::common::eventually(
            "hashes of hung-up attempts end",
            Duration::from_secs(60),
            || async {
                // Idle for half a second, not only between two hashes.
                if permits.available_permits() != cap {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                permits.available_permits() == cap
            },
        )
        .await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let peak = sampler.await.unwrap().max(rss());
        for status in statuses {
            // A wrong password is 400 invalid_grant on the password grant
            // (as Mastodon answers) and 401 on the form.
            let status = status.unwrap();
            assert!(
                [400, 401, 429].contains(&status),
                "a wrong password answered {status}"
            );
        }
        let grown = peak.saturating_sub(idle);
        eprintln!(
            "{backend:?}: 200 parallel wrong passwords answered in {took:?} (then 200 hung up); \
             RSS idle {} MiB, peak {} MiB (+{} MiB), after {} MiB",
            idle >> 20,
            peak >> 20,
            grown >> 20,
            rss() >> 20
        );
        assert!(
            grown < 100 << 20,
            "memory grew by {} MiB under 200 parallel wrong passwords",
            grown >> 20
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attempts_past_the_per_account_limit_get_429() {
    if !available("attempts_past_the_per_account_limit_get_429", &BACKENDS) {
        return;
    }
    for backend in BACKENDS {
        let dir = temp_dir();
        let alpha = start("alpha.test", backend, dir.path(), |s| {
            s.limits.login_attempts_per_account_per_hour = 5;
        })
        .await;
        with_login(&alpha, "owner@ngo.example").await;
        let base = alpha.base_url();
        let app = register_app(&base, "read").await;
        // One client for every attempt, as an attacker would: what is
        // measured is the server, not the test's clients.
        let http = client();
        for i in 0..5 {
            let (status, _, body) = password_grant(
                &http,
                &base,
                &app,
                " Owner@NGO.example",
                &format!("guess {i}"),
            )
            .await;
            assert_eq!(status, 400, "attempt {i}: {body}");
        }
        // The sixth attempt on the account, even with the right password
        // and spelled differently, is refused before any hash is computed.
        let (status, retry, body) =
            password_grant(&http, &base, &app, "owner@ngo.example", PASSWORD).await;
        assert_eq!(status, 429, "{body}");
        assert!(retry.is_some_and(|s| (1..=3600).contains(&s)), "{retry:?}");
        assert!(body["error"].as_str().unwrap().contains("this account"));
        // The login form counts against the same account.
        let (status, retry, page) =
            login_form(&http, &base, &app, "owner@ngo.example", PASSWORD).await;
        assert_eq!(status, 429, "{page}");
        assert!(retry.is_some());
        assert!(page.contains("too many login attempts"));
        // An account that does not exist is limited alike: the answer
        // does not tell which accounts exist.
        for _ in 0..5 {
            let (status, _, _) =
                password_grant(&http, &base, &app, "nobody@ngo.example", "x").await;
            assert_eq!(status, 400);
        }
        let (status, retry, _) =
            password_grant(&http, &base, &app, "nobody@ngo.example", "x").await;
        assert_eq!((status, retry.is_some()), (429, true));
        // Other accounts are not affected.
        let (status, _, _) = password_grant(&http, &base, &app, "other@ngo.example", "x").await;
        assert_eq!(status, 400);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn attempts_past_the_per_address_limit_get_429() {
    if !available("attempts_past_the_per_address_limit_get_429", &BACKENDS) {
        return;
    }
    for backend in BACKENDS {
        let dir = temp_dir();
        let alpha = start("alpha.test", backend, dir.path(), |s| {
            s.limits.login_attempts_per_ip_per_minute = 4;
        })
        .await;
        with_login(&alpha, "owner@ngo.example").await;
        let base = alpha.base_url();
        let app = register_app(&base, "read").await;
        // One client for every attempt, as an attacker would: what is
        // measured is the server, not the test's clients.
        let http = client();
        // Each attempt names another account: only the address repeats.
        for i in 0..2 {
            let (status, _, body) =
                password_grant(&http, &base, &app, &format!("a{i}@ngo.example"), "guess").await;
            assert_eq!(status, 400, "{body}");
            let (status, _, _) =
                login_form(&http, &base, &app, &format!("b{i}@ngo.example"), "guess").await;
            assert_eq!(status, 401);
        }
        let (status, retry, body) =
            password_grant(&http, &base, &app, "owner@ngo.example", PASSWORD).await;
        assert_eq!(status, 429, "{body}");
        // 4 a minute: one more in about 15 s.
        assert!(retry.is_some_and(|s| (1..=15).contains(&s)), "{retry:?}");
        assert!(body["error"].as_str().unwrap().contains("this address"));
        let (status, retry, _) =
            login_form(&http, &base, &app, "owner@ngo.example", PASSWORD).await;
        assert_eq!((status, retry.is_some()), (429, true));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_past_the_per_address_limit_get_429() {
    if !available(
        "registrations_past_the_per_address_limit_get_429",
        &BACKENDS,
    ) {
        return;
    }
    for backend in BACKENDS {
        let dir = temp_dir();
        let alpha = start("alpha.test", backend, dir.path(), |s| {
            s.instance.registrations = Registrations::Open;
            s.limits.registrations_per_ip_per_hour = 2;
        })
        .await;
        let base = alpha.base_url();
        let (id, secret) = register_app(&base, "read write").await;
        let token: Value = client()
            .post(format!("{base}/oauth/token"))
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", &secret),
                ("scope", "read write"),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = token["access_token"].as_str().unwrap().to_string();
        let register = |n: u32| {
            let (base, token) = (base.clone(), token.clone());
            async move {
                let response = client()
                    .post(format!("{base}/api/v1/accounts"))
                    .bearer_auth(token)
                    .json(&json!({
                        "username": format!("supporter{n}"),
                        "email": format!("s{n}@people.example"),
                        "password": "long enough",
                        "agreement": true,
                    }))
                    .send()
                    .await
                    .unwrap();
                answer(response).await
            }
        };
        for n in 0..2 {
            let (status, _, body) = register(n).await;
            assert_eq!(status, 200, "{body}");
        }
        let (status, retry, body) = register(2).await;
        assert_eq!(status, 429, "{body}");
        assert!(retry.is_some_and(|s| (1..=1800).contains(&s)), "{retry:?}");
        assert!(body["error"].as_str().unwrap().contains("registrations"));
        let mut conn = alpha.ctx().db.conn().await.unwrap();
        assert!(
            conn.q()
                .user_by_email("s2@people.example")
                .await
                .unwrap()
                .is_none()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn client_that_stalls_sending_headers_or_body_is_disconnected() {
    if !available(
        "client_that_stalls_sending_headers_or_body_is_disconnected",
        &[Backend::Sqlite],
    ) {
        return;
    }
    let dir = temp_dir();
    let alpha = start("alpha.test", Backend::Sqlite, dir.path(), |s| {
        s.limits.request_header_timeout_secs = 1;
        s.limits.request_body_timeout_secs = 1;
    })
    .await;
    let addr = format!("127.0.0.1:{}", alpha.port);

    // Half the headers, then nothing: the server closes the connection.
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(b"GET /nodeinfo/2.1 HTTP/1.1\r\nHost: alpha.test\r\nAccept: ")
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut buf)).await;
    let waited = started.elapsed();
    assert!(
        read.is_ok(),
        "the connection was still open after 10 s of half-sent headers"
    );
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(5),
        "closed after {waited:?}, with a 1 s header timeout"
    );

    // Headers, then a body that stops: the request fails, soon.
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    stream
        .write_all(
            b"POST /inbox HTTP/1.1\r\nHost: alpha.test\r\n\
              Content-Type: application/activity+json\r\nContent-Length: 1000\r\n\r\n{\"id\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut buf = vec![0; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await;
    let waited = started.elapsed();
    let read = read.expect("no answer after 10 s of a stalled body");
    let text = String::from_utf8_lossy(&buf[..read.unwrap_or(0)]).to_string();
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "a stalled body was answered {text:?}"
    );
    assert!(
        waited < Duration::from_secs(5),
        "answered after {waited:?}, with a 1 s body timeout"
    );

    // A whole request is still served.
    let response = client()
        .get(format!("{}/nodeinfo/2.1", alpha.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

// --- Incoming notes -----------------------------------------------------

/// `Create{Note}` by `author` with the given note fields.
fn create(author: &ActorRow, n: &str, note: Value) -> Value {
    let id = format!("{}/statuses/{n}", author.ap_id);
    let mut object = json!({
        "id": id,
        "type": "Note",
        "attributedTo": author.ap_id,
        "content": "<p>Hello</p>",
        "published": "2026-01-01T00:00:00Z",
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [],
    });
    for (key, value) in note.as_object().unwrap() {
        object[key] = value.clone();
    }
    json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{id}/activity"),
        "type": "Create",
        "actor": author.ap_id,
        "to": object["to"],
        "cc": object["cc"],
        "object": object,
    })
}

async fn post_tags_and_mentions(instance: &TestInstance, ap_id: &str) -> (usize, Vec<String>) {
    let post = instance.post(ap_id).await.expect("the note was stored");
    let mut conn = instance.ctx().db.conn().await.unwrap();
    let tags = conn.q().post_tags(post.id).await.unwrap();
    let mentions = conn.q().post_mentions(post.id).await.unwrap();
    (tags.len(), mentions.into_iter().map(|a| a.ap_id).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn note_with_10000_mentions_or_hashtags_is_bounded() {
    if !available("note_with_10000_mentions_or_hashtags_is_bounded", &BACKENDS) {
        return;
    }
    for backend in BACKENDS {
        let dir = temp_dir();
        let alpha = start("alpha.test", backend, dir.path(), |_| {}).await;
        let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
        let limits = alpha.ctx().settings.limits.clone();
        let target = alpha.create_org("target", false).await;
        let sender = beta.create_org("sender", false).await;
        let other = beta.create_org("other", false).await;
        let inbox = Url::parse(&format!("{}/inbox", alpha.base_url())).unwrap();

        // 10,000 mentions of addresses on this instance (one of them the
        // target, the others nobody), sent while another actor follows.
        let mut tags = vec![json!({"type": "Mention", "href": target.ap_id, "name": "@target"})];
        tags.extend((0..9_999).map(|i| {
            json!({"type": "Mention", "href": format!("{}/users/n{i}", alpha.base_url()), "name": "@n"})
        }));
        let mentions = create(
            &sender,
            "mentions",
            json!({"to": [target.ap_id], "tag": tags}),
        );
        let follow = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{}/follows/1", other.ap_id),
            "type": "Follow",
            "actor": other.ap_id,
            "object": target.ap_id,
        });
        let big = deliver(&sender, &inbox, &mentions);
        let small = async {
            let started = Instant::now();
            let answer = deliver(&other, &inbox, &follow).await;
            (answer, started.elapsed())
        };
        let ((status, body), ((follow_status, follow_body), follow_took)) =
            tokio::join!(big, small);
        assert_eq!(status, 202, "{body}");
        assert_eq!(follow_status, 202, "{follow_body}");
        eprintln!(
            "{backend:?}: a Follow sent beside the 10,000 mentions answered in {follow_took:?}"
        );
        assert!(follow_took < Duration::from_secs(10), "{follow_took:?}");
        let (_, mentioned) =
            post_tags_and_mentions(&alpha, mentions["object"]["id"].as_str().unwrap()).await;
        assert_eq!(mentioned, vec![target.ap_id.clone()]);

        // 10,000 hashtags: the first `note_tags_max` are kept.
        let hashtags: Vec<Value> = (0..10_000)
            .map(|i| json!({"type": "Hashtag", "href": "https://beta.test/t", "name": format!("#t{i}")}))
            .collect();
        let note = create(
            &sender,
            "hashtags",
            json!({"to": [target.ap_id], "tag": hashtags}),
        );
        let (status, body) = deliver(&sender, &inbox, &note).await;
        assert_eq!(status, 202, "{body}");
        let (kept, _) =
            post_tags_and_mentions(&alpha, note["object"]["id"].as_str().unwrap()).await;
        assert_eq!(kept, limits.note_tags_max);

        // A post on beta for the next notes to reply to.
        let parent = posts::create_post(
            &beta.data(),
            "sender",
            posts::NewPost {
                text: "The thread starts here".into(),
                visibility: Visibility::Public,
                in_reply_to: None,
                spoiler: None,
                language: None,
            },
        )
        .await
        .unwrap();

        // Content beyond the limit: 413 with a reason; neither the note nor
        // the post it replies to is stored.
        let oversized = create(
            &sender,
            "oversized",
            json!({
                "to": [target.ap_id],
                "inReplyTo": parent.ap_id,
                "content": "a".repeat(limits.note_content_max_bytes + 1),
            }),
        );
        let (status, body) = deliver(&sender, &inbox, &oversized).await;
        assert_eq!(status, 413, "{body}");
        assert!(body["error"].as_str().unwrap().contains("bytes of content"));
        assert!(
            alpha
                .post(oversized["object"]["id"].as_str().unwrap())
                .await
                .is_none()
        );
        assert!(alpha.post(&parent.ap_id).await.is_none());

        // More addressees than the limit: 422 with a reason, nothing stored.
        let mut to = vec![Value::String(target.ap_id.clone())];
        to.extend(
            (0..limits.note_recipients_max).map(|i| json!(format!("https://beta.test/u/{i}"))),
        );
        let crowded = create(
            &sender,
            "crowded",
            json!({"to": to, "inReplyTo": parent.ap_id}),
        );
        let (status, body) = deliver(&sender, &inbox, &crowded).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"].as_str().unwrap().contains("addressees"));
        assert!(
            alpha
                .post(crowded["object"]["id"].as_str().unwrap())
                .await
                .is_none()
        );
        assert!(alpha.post(&parent.ap_id).await.is_none());

        // A reply that concerns no one here is not stored, nor its parent.
        let unrelated = create(&sender, "unrelated", json!({"inReplyTo": parent.ap_id}));
        let (status, body) = deliver(&sender, &inbox, &unrelated).await;
        assert_eq!(status, 202, "{body}");
        assert!(
            alpha
                .post(unrelated["object"]["id"].as_str().unwrap())
                .await
                .is_none()
        );
        assert!(alpha.post(&parent.ap_id).await.is_none());

        // The same reply mentioning the target: stored, with its parent.
        let reply = create(
            &sender,
            "reply",
            json!({"to": [target.ap_id], "inReplyTo": parent.ap_id}),
        );
        let (status, body) = deliver(&sender, &inbox, &reply).await;
        assert_eq!(status, 202, "{body}");
        assert!(
            alpha
                .post(reply["object"]["id"].as_str().unwrap())
                .await
                .is_some()
        );
        assert!(alpha.post(&parent.ap_id).await.is_some());
    }
}
