//! Outgoing fetches: signed by the instance actor with our own signer (and
//! verifiable by our own verifier, query string included), checked like
//! activitypub_federation checked them, and limited so that hostile requests
//! cannot turn the instance into a flood towards one host.
//!
//! The remote side is a fake server of the test's own on 127.0.0.1, under
//! the name `evil.test` in the instance's `federation.host_overrides`; it
//! records every request it gets.

use crate::common::{Backend, TestInstance, available, client, deliver, temp_dir};
use futures::StreamExt;
use kuvend::{
    config::Settings,
    federation::{
        fetch::{self, Budget, FetchError},
        signatures,
    },
    storage::models::ActorRow,
};
use serde_json::json;
use std::{
    net::{IpAddr, Ipv4Addr},
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};
use url::Url;

const EVIL: &str = "evil.test";

/// A request the fake server got.
#[derive(Debug, Clone)]
struct Seen {
    path_and_query: String,
    headers: http::HeaderMap,
}

/// A hostile (or just broken) remote server. What it answers depends on the
/// path:
/// - `/users/NAME`: an actor document (with a real key, not the one the
///   test's forged requests claim to be signed with);
/// - `/down/...`: 503; `/missing/...`: 404; `/gone`: 410;
/// - `/html`: an actor document served as `text/html` (an upload, say);
/// - `/elsewhere`: a document whose id is on another host;
/// - `/alias`: a document whose id is `/users/alias` on this host;
/// - `/big`: 2 MiB of JSON; `/redirect` → `/users/moved`; `/loop` → `/redirect`;
/// - `/q?...`: a document whose id is the URL asked, query included;
/// - `/.well-known/webfinger?resource=acct:NAME@HOST`: a link to `/users/NAME`.
#[derive(Clone)]
struct FakeRemote {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl FakeRemote {
    async fn start() -> FakeRemote {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let public_key = signatures::generate_keypair().unwrap().public_key;
        let record = seen.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
                let record = record.clone();
                let public_key = public_key.clone();
                async move {
                    let path_and_query = uri
                        .path_and_query()
                        .map(|p| p.as_str().to_string())
                        .unwrap_or_default();
                    record.lock().unwrap().push(Seen {
                        path_and_query: path_and_query.clone(),
                        headers: headers.clone(),
                    });
                    let host = headers
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    answer(&host, uri.path(), &path_and_query, &public_key)
                }
            },
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeRemote { port, seen }
    }

    fn base(&self) -> String {
        format!("http://{EVIL}:{}", self.port)
    }

    fn url(&self, path: &str) -> Url {
        Url::parse(&format!("{}{path}", self.base())).unwrap()
    }

    fn requests(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    fn last(&self) -> Seen {
        self.seen.lock().unwrap().last().cloned().unwrap()
    }
}

fn actor_document(id: &str, public_key: &str) -> serde_json::Value {
    json!({
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": id,
        "type": "Person",
        "preferredUsername": id.rsplit('/').next().unwrap(),
        "inbox": format!("{id}/inbox"),
        "publicKey": {"id": format!("{id}#main-key"), "owner": id, "publicKeyPem": public_key},
    })
}

fn answer(
    host: &str,
    path: &str,
    path_and_query: &str,
    public_key: &str,
) -> axum::response::Response {
    use axum::{http::StatusCode, response::IntoResponse};
    let activity = |status: StatusCode, body: serde_json::Value| {
        (
            status,
            [("content-type", "application/activity+json")],
            body.to_string(),
        )
            .into_response()
    };
    let base = format!("http://{host}");
    if path.starts_with("/users/") {
        return activity(
            StatusCode::OK,
            actor_document(&format!("{base}{path}"), public_key),
        );
    }
    if path.starts_with("/down/") {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if path.starts_with("/missing/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    match path {
        "/gone" => StatusCode::GONE.into_response(),
        "/html" => (
            [("content-type", "text/html")],
            actor_document(&format!("{base}/html"), public_key).to_string(),
        )
            .into_response(),
        "/elsewhere" => activity(
            StatusCode::OK,
            actor_document("http://beta.test/users/victim", public_key),
        ),
        "/alias" => activity(
            StatusCode::OK,
            actor_document(&format!("{base}/users/alias"), public_key),
        ),
        "/big" => activity(
            StatusCode::OK,
            json!({"id": format!("{base}/big"), "padding": "x".repeat(2 * 1024 * 1024)}),
        ),
        "/redirect" => (StatusCode::FOUND, [("location", "/users/moved")]).into_response(),
        "/loop" => (StatusCode::FOUND, [("location", "/redirect")]).into_response(),
        "/q" => activity(
            StatusCode::OK,
            json!({"id": format!("{base}{path_and_query}"), "type": "Note"}),
        ),
        "/.well-known/webfinger" => {
            let resource = url::form_urlencoded::parse(
                path_and_query
                    .split_once('?')
                    .map_or("", |(_, q)| q)
                    .as_bytes(),
            )
            .find(|(k, _)| k == "resource")
            .map(|(_, v)| v.to_string())
            .unwrap_or_default();
            let user = resource
                .trim_start_matches("acct:")
                .split('@')
                .next()
                .unwrap_or_default()
                .to_string();
            (
                [("content-type", "application/jrd+json")],
                json!({
                    "subject": resource,
                    "links": [
                        {"rel": "http://webfinger.net/rel/profile-page", "type": "text/html", "href": format!("{base}/@{user}")},
                        {"rel": "self", "type": "application/activity+json", "href": format!("{base}/users/{user}")},
                    ],
                })
                .to_string(),
            )
                .into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `evil.test` resolves to loopback for the instance, and its limits are set.
fn configure(fetches_per_host: u32, failure_cache_secs: u64) -> impl FnOnce(&mut Settings) {
    move |settings: &mut Settings| {
        settings
            .federation
            .host_overrides
            .insert(EVIL.into(), IpAddr::V4(Ipv4Addr::LOCALHOST));
        settings.limits.fetches_per_host_per_minute = fetches_per_host;
        settings.limits.fetch_failure_cache_secs = failure_cache_secs;
    }
}

async fn start(
    backend: Backend,
    dir: &std::path::Path,
    configure: impl FnOnce(&mut Settings),
) -> TestInstance {
    let db_url = crate::common::new_database(backend, dir, "alpha.test").await;
    TestInstance::start_configured("alpha.test", &db_url, 0, configure).await
}

/// A Follow "from" `actor`, with every header the inbox checks before it
/// looks for the signer (Date, a Digest of the body, the signed host) and a
/// signature that is well-formed but forged.
async fn forged_follow(
    http: &reqwest::Client,
    inbox: &Url,
    actor: &str,
    n: usize,
    target: &ActorRow,
) -> reqwest::Response {
    let origin = Url::parse(actor).unwrap();
    let body = serde_json::to_vec(&json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{}://{}/activities/{n}", origin.scheme(), origin.authority()),
        "type": "Follow",
        "actor": actor,
        "object": target.ap_id,
    }))
    .unwrap();
    let signature = format!(
        "keyId=\"{actor}#main-key\",algorithm=\"rsa-sha256\",headers=\"(request-target) host date digest\",signature=\"{}\"",
        "QUFB".repeat(86)
    );
    http.post(inbox.clone())
        .header("content-type", "application/activity+json")
        .header("date", httpdate::fmt_http_date(SystemTime::now()))
        .header(
            "digest",
            format!("SHA-256={}", signatures::sha256_base64(&body)),
        )
        .header("signature", signature)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A Follow signed for real by a local actor of another instance.
async fn signed_follow(inbox: &Url, sender: &ActorRow, target: &ActorRow, id: &str) -> u16 {
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": id,
        "type": "Follow",
        "actor": sender.ap_id,
        "object": target.ap_id,
    });
    deliver(sender, inbox, &follow).await.0
}

const LIMIT: u32 = 20;

/// Whether a fetch failed the way a case expects.
type IsExpected = fn(&FetchError) -> bool;

/// 1,000 inbox POSTs whose signatures name 1,000 different unknown actors on
/// one host: at most the per-host limit of fetches reach that host, every
/// POST is answered (401 after a fetch, 429 with Retry-After past the
/// limit), and a properly signed activity from another host is accepted
/// meanwhile.
async fn flood_scenario(backend: Backend) {
    let dir = temp_dir();
    let evil = FakeRemote::start().await;
    let alpha = start(backend, dir.path(), configure(LIMIT, 60)).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    let target = alpha.create_org("target", false).await;
    let sender = beta.create_org("sender", false).await;
    let inbox = Url::parse(&format!("{}/inbox", alpha.base_url())).unwrap();
    let before = alpha.counts().await;

    let started = std::time::Instant::now();
    let flood = {
        let (inbox, target, base) = (inbox.clone(), target.clone(), evil.base());
        // One client (one connection pool) for the whole flood, as an attacker would.
        let http = client();
        tokio::spawn(async move {
            futures::stream::iter(0..1000)
                .map(|n| {
                    let (inbox, target, base) = (inbox.clone(), target.clone(), base.clone());
                    let http = http.clone();
                    async move {
                        let actor = format!("{base}/users/a{n}");
                        let response = forged_follow(&http, &inbox, &actor, n, &target).await;
                        let retry_after = response.headers().get("retry-after").cloned();
                        (response.status().as_u16(), retry_after)
                    }
                })
                .buffer_unordered(32)
                .collect::<Vec<_>>()
                .await
        })
    };
    // Meanwhile, an honest server's Follow.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let honest = signed_follow(
        &inbox,
        &sender,
        &target,
        &format!("{}/activities/honest", beta.base_url()),
    )
    .await;
    let answers = flood.await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(
        honest, 202,
        "the honest Follow was not accepted during the flood"
    );

    assert_eq!(answers.len(), 1000);
    // The limit allows a burst of LIMIT, then one more every 60/LIMIT s.
    let allowed =
        LIMIT as usize + (elapsed.as_secs_f64() * f64::from(LIMIT) / 60.0).ceil() as usize;
    let fetched = evil.requests();
    assert!(
        (1..=allowed).contains(&fetched),
        "{fetched} fetches reached {EVIL} in {elapsed:?}, limit {LIMIT} a minute"
    );
    let limited = answers.iter().filter(|(s, _)| *s == 429).count();
    let refused = answers.iter().filter(|(s, _)| *s == 401).count();
    assert_eq!(
        limited + refused,
        1000,
        "every POST is answered 401 or 429: {answers:?}"
    );
    assert!(limited >= 1000 - allowed, "only {limited} answered 429");
    for (status, retry_after) in &answers {
        if *status == 429 {
            let seconds: u64 = retry_after
                .as_ref()
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
                .expect("429 without Retry-After");
            assert!((1..=60).contains(&seconds), "Retry-After {seconds}");
        }
    }
    let after = alpha.counts().await;
    assert_eq!(
        after.actors,
        before.actors + 1,
        "only the honest sender is stored"
    );
    assert_eq!(after.follows, before.follows + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_of_unknown_actors_on_one_host_is_rate_limited_sqlite() {
    flood_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_of_unknown_actors_on_one_host_is_rate_limited_postgres() {
    if available(
        "flood_of_unknown_actors_on_one_host_is_rate_limited_postgres",
        &[Backend::Postgres],
    ) {
        flood_scenario(Backend::Postgres).await;
    }
}

/// A host that fails (503) is not asked again, for any URL on it, until
/// `fetch_failure_cache_secs` have passed; a document that fails (404) is
/// not asked again either, but other documents on its host are.
async fn negative_cache_scenario(backend: Backend) {
    let dir = temp_dir();
    let evil = FakeRemote::start().await;
    // No per-host limit here: only the negative cache may hold fetches back.
    let alpha = start(backend, dir.path(), configure(0, 3)).await;
    let target = alpha.create_org("target", false).await;
    let inbox = Url::parse(&format!("{}/inbox", alpha.base_url())).unwrap();
    let http = client();
    let post = |path: &str, n: usize| {
        let (inbox, target, actor) = (inbox.clone(), target.clone(), evil.url(path).to_string());
        let http = http.clone();
        async move {
            let response = forged_follow(&http, &inbox, &actor, n, &target).await;
            let status = response.status().as_u16();
            let body: serde_json::Value = response.json().await.unwrap();
            (
                status,
                body["error"].as_str().unwrap_or_default().to_string(),
            )
        }
    };

    let (status, error) = post("/down/a1", 1).await;
    assert_eq!(status, 401, "{error}");
    assert!(error.contains("503"), "{error}");
    assert_eq!(evil.requests(), 1);
    // The same actor, another on the same path, and a healthy-looking one:
    // the host is down, none is asked.
    for (n, path) in ["/down/a1", "/down/a2", "/users/b1"]
        .into_iter()
        .enumerate()
    {
        let (status, error) = post(path, 10 + n).await;
        assert_eq!(status, 401, "{path}: {error}");
        assert!(error.contains("failed recently"), "{path}: {error}");
    }
    assert_eq!(
        evil.requests(),
        1,
        "a failing host was asked again within the cache time"
    );

    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (status, _) = post("/users/b1", 20).await;
    assert_eq!(status, 401, "the forged signature still fails");
    assert_eq!(
        evil.requests(),
        2,
        "after the cache time the host is asked again"
    );

    // A missing document is remembered on its own.
    let (status, error) = post("/missing/c1", 30).await;
    assert_eq!((status, evil.requests()), (401, 3), "{error}");
    let (_, error) = post("/missing/c1", 31).await;
    assert!(error.contains("failed recently"), "{error}");
    assert_eq!(evil.requests(), 3);
    post("/users/c2", 32).await;
    assert_eq!(
        evil.requests(),
        4,
        "a 404 does not hold back the rest of the host"
    );
    // So is a document that fails the checks after it arrived (its id is
    // on another host).
    post("/elsewhere", 40).await;
    assert_eq!(evil.requests(), 5);
    let (_, error) = post("/elsewhere", 41).await;
    assert!(error.contains("failed recently"), "{error}");
    assert_eq!(evil.requests(), 5);

    // A failure provoked on a closed port of the host (anyone can name one)
    // does not hold back the server on its real port.
    let mut closed = evil.url("/users/d1");
    closed.set_port(Some(crate::common::free_port())).unwrap();
    let refused = forged_follow(&http, &inbox, closed.as_str(), 50, &target).await;
    assert_eq!(refused.status().as_u16(), 401);
    post("/users/d2", 51).await;
    assert_eq!(
        evil.requests(),
        6,
        "a closed port of the host held back its real port"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_host_is_not_asked_again_within_the_negative_cache_time_sqlite() {
    negative_cache_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_host_is_not_asked_again_within_the_negative_cache_time_postgres() {
    if available(
        "failing_host_is_not_asked_again_within_the_negative_cache_time_postgres",
        &[Backend::Postgres],
    ) {
        negative_cache_scenario(Backend::Postgres).await;
    }
}

/// Checks a GET the fake server got with our own verifier: covered headers,
/// Date, the signed host, and the signature by the instance actor's key over
/// the path and query as sent.
async fn assert_signed_by_instance_actor(alpha: &TestInstance, seen: &Seen) {
    let sig = signatures::parse_signature_header(&seen.headers).unwrap();
    assert_eq!(sig.headers, ["(request-target)", "host", "date"]);
    let signing_string = signatures::check_request(
        &sig,
        "GET",
        &seen.path_and_query,
        &seen.headers,
        None,
        SystemTime::now(),
    )
    .unwrap();
    let signer = {
        let mut conn = alpha.ctx().db.conn().await.unwrap();
        conn.q()
            .actor_by_key_id(&sig.key_id)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(signer.ap_id, alpha.ctx().urls.instance_actor().to_string());
    let key = signatures::parse_public_key(&signer.public_key_pem).unwrap();
    signatures::verify(&key, &signing_string, &sig.signature).unwrap();
    // The query string is part of what is signed: without it, no match.
    let path = seen.path_and_query.split('?').next().unwrap();
    if path != seen.path_and_query {
        let without =
            signatures::check_request(&sig, "GET", path, &seen.headers, None, SystemTime::now())
                .unwrap();
        assert!(signatures::verify(&key, &without, &sig.signature).is_err());
    }
}

/// Our fetches are signed by the instance actor in a way our own verifier
/// (and so Mastodon's rules) accepts, the query string included, and the
/// document rules of activitypub_federation hold: ActivityPub content type,
/// id on the host that served it (one same-host hop allowed), one redirect,
/// 410 as gone, a bounded body, no fetching of our own URLs.
async fn signed_fetch_scenario(backend: Backend) {
    let dir = temp_dir();
    let evil = FakeRemote::start().await;
    let alpha = start(backend, dir.path(), configure(0, 0)).await;
    let ctx = alpha.ctx();

    // A query string, signed inside (request-target).
    let url = evil.url("/q?page=2&min_id=7");
    let fetched = fetch::fetch_object::<serde_json::Value>(ctx, &url, Budget::Unlimited)
        .await
        .unwrap();
    assert_eq!(fetched.object["id"], url.as_str());
    let seen = evil.last();
    assert_eq!(seen.path_and_query, "/q?page=2&min_id=7");
    assert!(
        seen.headers["accept"]
            .to_str()
            .unwrap()
            .starts_with("application/activity+json"),
        "{:?}",
        seen.headers
    );
    assert_eq!(
        seen.headers["host"].to_str().unwrap(),
        format!("{EVIL}:{}", evil.port)
    );
    assert_signed_by_instance_actor(&alpha, &seen).await;

    // WebFinger, with its query, then the actor it names.
    let handle = format!("someone@{EVIL}:{}", evil.port);
    let actor_url = fetch::webfinger(ctx, &handle).await.unwrap();
    assert_eq!(actor_url, evil.url("/users/someone"));
    let seen = evil.last();
    assert!(
        seen.path_and_query
            .starts_with("/.well-known/webfinger?resource=acct%3Asomeone%40evil.test"),
        "{}",
        seen.path_and_query
    );
    assert_eq!(
        seen.headers["accept"].to_str().unwrap(),
        "application/jrd+json, application/json"
    );
    assert_signed_by_instance_actor(&alpha, &seen).await;
    let resolved = kuvend::service::follows::resolve_remote_actor(&alpha.data(), &handle)
        .await
        .unwrap();
    assert_eq!(resolved.ap_id, actor_url.as_str());
    assert_signed_by_instance_actor(&alpha, &evil.last()).await;

    // A redirect is followed once, and the id must match where it ends.
    let moved =
        fetch::fetch_object::<serde_json::Value>(ctx, &evil.url("/redirect"), Budget::Unlimited)
            .await
            .unwrap();
    assert_eq!(moved.url, evil.url("/users/moved"));
    // An id elsewhere on the same host is fetched from there.
    let alias =
        fetch::fetch_object::<serde_json::Value>(ctx, &evil.url("/alias"), Budget::Unlimited)
            .await
            .unwrap();
    assert_eq!(alias.url, evil.url("/users/alias"));

    let refusals: [(&str, IsExpected); 6] = [
        ("/elsewhere", |e| matches!(e, FetchError::WrongId { .. })),
        ("/html", |e| matches!(e, FetchError::ContentType { .. })),
        ("/big", |e| matches!(e, FetchError::TooLarge { .. })),
        ("/gone", |e| matches!(e, FetchError::Gone(_))),
        ("/loop", |e| matches!(e, FetchError::Refused { .. })),
        ("/missing/x", |e| {
            matches!(e, FetchError::Status { status: 404, .. })
        }),
    ];
    for (path, expected) in refusals {
        let error =
            fetch::fetch_object::<serde_json::Value>(ctx, &evil.url(path), Budget::Unlimited)
                .await
                .unwrap_err();
        assert!(expected(&error), "{path}: {error:?}");
    }
    // Our own URLs are never fetched (they are in the database).
    let before = evil.requests();
    let own = Url::parse(&format!("{}/users/target", alpha.base_url())).unwrap();
    let error = fetch::fetch_object::<serde_json::Value>(ctx, &own, Budget::Unlimited)
        .await
        .unwrap_err();
    assert!(matches!(error, FetchError::Local(_)), "{error:?}");
    assert_eq!(evil.requests(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_fetch_verifies_with_our_verifier_and_hostile_documents_are_refused_sqlite() {
    signed_fetch_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_fetch_verifies_with_our_verifier_and_hostile_documents_are_refused_postgres() {
    if available(
        "signed_fetch_verifies_with_our_verifier_and_hostile_documents_are_refused_postgres",
        &[Backend::Postgres],
    ) {
        signed_fetch_scenario(Backend::Postgres).await;
    }
}

/// Other implementations (the `rsa` crate here, which activitypub_federation
/// and others use) read the keys we generate.
#[test]
fn generated_keys_are_read_by_the_rsa_crate() {
    use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
    let pair = signatures::generate_keypair().unwrap();
    rsa::RsaPrivateKey::from_pkcs8_pem(&pair.private_key).unwrap();
    rsa::RsaPublicKey::from_public_key_pem(&pair.public_key).unwrap();
}
