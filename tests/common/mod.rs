//! Test harness: real kuvend instances over real HTTP on loopback, each with
//! its own host name (alpha.test, beta.test, …) resolved to 127.0.0.1 by the
//! instances' own resolver, on real SQLite files and a real PostgreSQL.
#![allow(dead_code)]

pub mod remote;

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use kuvend::{
    app::{self, Prepared, RunningServer},
    config::Settings,
    context::Kuvend,
    federation::FedData,
    storage::{activities::RowCounts, models::ActorRow},
};
use std::{
    collections::BTreeMap,
    future::Future,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};
use tokio::net::TcpListener;

/// Test host names, all resolved to 127.0.0.1 by the instances: three for
/// kuvend instances, the others for stand-ins of other software.
pub const NAMES: [&str; 7] = [
    "alpha.test",
    "beta.test",
    "gamma.test",
    "mobilizon.test",
    "gancio.test",
    "events.test",
    // A subdomain of events.test, for domain blocks covering subdomains.
    "sub.events.test",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The admin URL of the throwaway PostgreSQL that `scripts/test` starts.
/// Without it, PostgreSQL cases are skipped with a notice, unless
/// KUVEND_REQUIRE_POSTGRES is set (as `scripts/test` and CI do).
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("KUVEND_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            if std::env::var("KUVEND_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("KUVEND_REQUIRE_POSTGRES=1 but KUVEND_TEST_POSTGRES_URL is not set");
            }
            None
        }
    }
}

/// True if a test needing `backends` can run; prints a visible notice if not.
pub fn available(test: &str, backends: &[Backend]) -> bool {
    if backends.contains(&Backend::Postgres) && postgres_admin_url().is_none() {
        // Written to stderr directly, not with eprintln!, which the test harness
        // captures: the notice must show even when the test passes.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: {test} SKIPPED: no PostgreSQL (set KUVEND_TEST_POSTGRES_URL, or run scripts/test)"
        );
        return false;
    }
    true
}

/// A fresh, empty database of the given backend.
pub async fn new_database(backend: Backend, dir: &Path, name: &str) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite://{}/{name}.db", dir.display()),
        Backend::Postgres => {
            let admin = postgres_admin_url().expect("PostgreSQL required");
            let db = format!(
                "kuvend_{}_{}",
                name.replace(['.', '-'], "_"),
                uuid::Uuid::new_v4().simple()
            );
            let mut conn = AsyncPgConnection::establish(&admin)
                .await
                .expect("connect to test PostgreSQL");
            conn.batch_execute(&format!("CREATE DATABASE {db}"))
                .await
                .expect("create test database");
            let mut url = url::Url::parse(&admin).expect("admin URL");
            url.set_path(&format!("/{db}"));
            url.to_string()
        }
    }
}

/// Settings for a test instance: plain http, loopback allowed, test names resolved locally.
pub fn test_settings(domain: &str, db_url: &str, bind: SocketAddr) -> Settings {
    let env = vec![
        ("KUVEND_INSTANCE__DOMAIN".to_string(), domain.to_string()),
        ("KUVEND_INSTANCE__HTTPS".into(), "false".into()),
        ("KUVEND_HTTP__BIND".into(), bind.to_string()),
        ("KUVEND_DATABASE__URL".into(), db_url.to_string()),
        (
            "KUVEND_FEDERATION__ALLOW_PRIVATE_ADDRESSES".into(),
            "true".into(),
        ),
        ("KUVEND_FEDERATION__REQUEST_TIMEOUT_SECS".into(), "5".into()),
        // Media blobs in the system's temporary directory, one per instance
        // (the domain carries the port), never in the working tree.
        (
            "KUVEND_MEDIA__PATH".into(),
            std::env::temp_dir()
                .join("kuvend-test-media")
                .join(domain.replace(':', "_"))
                .to_string_lossy()
                .into_owned(),
        ),
    ];
    let mut settings = Settings::load_with_env(None, env).expect("test settings");
    settings.federation.host_overrides = host_overrides();
    settings
}

pub fn host_overrides() -> BTreeMap<String, IpAddr> {
    NAMES
        .iter()
        .map(|n| (n.to_string(), IpAddr::V4(Ipv4Addr::LOCALHOST)))
        .collect()
}

/// A kuvend instance running in this test process.
pub struct TestInstance {
    pub name: String,
    pub domain: String,
    pub port: u16,
    pub db_url: String,
    pub server: Option<RunningServer>,
    pub prepared: Prepared,
}

impl TestInstance {
    /// Starts an instance named `name` (e.g. "alpha.test") on a fresh database.
    pub async fn start(name: &str, backend: Backend, dir: &Path) -> TestInstance {
        let db_url = new_database(backend, dir, name).await;
        Self::start_on(name, &db_url, 0).await
    }

    /// Starts an instance on an existing database, on `port` (0: any free port).
    pub async fn start_on(name: &str, db_url: &str, port: u16) -> TestInstance {
        Self::start_configured(name, db_url, port, |_| {}).await
    }

    /// Like [`TestInstance::start_on`], with settings changed by `configure`.
    pub async fn start_configured(
        name: &str,
        db_url: &str,
        port: u16,
        configure: impl FnOnce(&mut Settings),
    ) -> TestInstance {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let domain = format!("{name}:{port}");
        let mut settings = test_settings(&domain, db_url, listener.local_addr().expect("addr"));
        configure(&mut settings);
        let prepared = app::prepare(settings).await.expect("prepare instance");
        let server = app::start(prepared.clone(), listener).await.expect("start");
        TestInstance {
            name: name.to_string(),
            domain,
            port,
            db_url: db_url.to_string(),
            server: Some(server),
            prepared,
        }
    }

    pub fn ctx(&self) -> &Kuvend {
        &self.prepared.ctx
    }

    pub fn data(&self) -> FedData {
        self.prepared.data()
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.domain)
    }

    /// Stops the HTTP server and the worker; the database stays.
    pub async fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await;
        }
    }

    pub async fn create_org(&self, username: &str, manual: bool) -> ActorRow {
        kuvend::service::orgs::create_organization(
            self.ctx(),
            kuvend::service::orgs::NewOrganization {
                username: username.into(),
                display_name: format!("The {username} organisation"),
                summary: format!("{username} works for the common good."),
                manually_approves_followers: manual,
            },
        )
        .await
        .expect("create organisation")
    }

    /// A coalition founded by the organisation `by`, its members public;
    /// `manual`: joining by request (and follows) need an admin.
    pub async fn create_coalition(&self, username: &str, by: &str, manual: bool) -> ActorRow {
        kuvend::service::coalitions::create(
            self.ctx(),
            kuvend::service::coalitions::NewCoalition {
                username: username.into(),
                display_name: format!("The {username} coalition"),
                summary: String::new(),
                manually_approves_followers: manual,
                members_visible: "public".into(),
                relay: None,
                relay_cap: None,
                by: by.into(),
            },
        )
        .await
        .expect("create coalition")
        .actor
    }

    /// This instance's instance actor, to sign GETs of its own documents
    /// with (authorized fetch is on by default): a reader that sees what any
    /// server may see, and nothing addressed to someone.
    pub async fn instance_actor_row(&self) -> ActorRow {
        self.actor(&format!("{}/actor", self.base_url()))
            .await
            .expect("instance actor")
    }

    pub async fn actor(&self, ap_id: &str) -> Option<ActorRow> {
        let mut conn = self.ctx().db.conn().await.expect("conn");
        conn.q().actor_by_ap_id(ap_id).await.expect("query")
    }

    pub async fn counts(&self) -> RowCounts {
        let mut conn = self.ctx().db.conn().await.expect("conn");
        conn.q().row_counts().await.expect("counts")
    }

    /// The state of the follow from `follower` to `followee` (ids), if any.
    pub async fn follow_state(&self, follower: &str, followee: &str) -> Option<String> {
        let mut conn = self.ctx().db.conn().await.expect("conn");
        let mut q = conn.q();
        let follower = q.actor_by_ap_id(follower).await.expect("query")?;
        let followee = q.actor_by_ap_id(followee).await.expect("query")?;
        q.follow_between(follower.id, followee.id)
            .await
            .expect("query")
            .map(|f| f.state)
    }

    pub async fn pending_deliveries(&self) -> i64 {
        let mut conn = self.ctx().db.conn().await.expect("conn");
        conn.q().count_pending_deliveries().await.expect("count")
    }

    /// Makes the actor at `member_ap_id` (fetched if need be) a member of
    /// `coalition` directly in storage, as an accepted invitation would, for
    /// tests about what members do rather than how they join.
    pub async fn insert_member(&self, coalition: &ActorRow, member_ap_id: &str) -> ActorRow {
        let member = kuvend::federation::actors::actor_by_url(
            &self.data(),
            &url::Url::parse(member_ap_id).unwrap(),
        )
        .await
        .unwrap();
        let mut conn = self.ctx().db.conn().await.unwrap();
        let now = kuvend::storage::now();
        conn.q()
            .insert_coalition_member(&kuvend::storage::coalitions::NewCoalitionMember {
                coalition_id: coalition.id,
                member_id: member.id,
                role: "member".into(),
                ap_id: format!("{}/members/{}", coalition.ap_id, member.id),
                created_at: now,
                updated_at: now,
            })
            .await
            .unwrap();
        member
    }

    /// Waits until this instance has read `domain`'s NodeInfo (after a
    /// follow from it is accepted), so its software decides what it is sent.
    pub async fn wait_software_learnt(&self, domain: &str) {
        eventually(
            &format!("the software of {domain} is learnt"),
            std::time::Duration::from_secs(20),
            || async {
                let mut conn = self.ctx().db.conn().await.unwrap();
                conn.q()
                    .instance(domain)
                    .await
                    .unwrap()
                    .is_some_and(|i| i.software_checked_at.is_some())
            },
        )
        .await;
    }
}

/// An HTTP client for the test itself, resolving the test names to loopback.
pub fn client() -> reqwest::Client {
    let mut builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    for name in NAMES {
        builder = builder.resolve(name, SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0));
    }
    builder.build().expect("client")
}

/// Polls `check` until it returns true, or panics after `timeout`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < timeout {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {timeout:?} waiting for: {what}");
}

/// A port nothing listens on right now.
/// Runs the `kuvend` binary on a database, for the instance `cso.example`,
/// as an operator would.
pub fn kuvend_cli(db_url: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_kuvend"))
        .env("KUVEND_DATABASE__URL", db_url)
        .env("KUVEND_INSTANCE__DOMAIN", "cso.example")
        .args(args)
        .output()
        .unwrap()
}

/// Runs a command that must be refused: exit 1 and exactly one line on
/// stderr, saying `says`.
pub fn cli_refused(db_url: &str, args: &[&str], says: &str) {
    let out = kuvend_cli(db_url, args);
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: one line, got {err:?}");
    assert!(err.contains(says), "{args:?}: {err:?} should say {says:?}");
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

pub fn temp_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().to_path_buf()
}

impl TestInstance {
    pub async fn post(&self, ap_id: &str) -> Option<kuvend::storage::models::PostRow> {
        let mut conn = self.ctx().db.conn().await.expect("conn");
        conn.q().post_by_ap_id(ap_id).await.expect("query")
    }

    /// The event row of the post with this id, if it is a stored event.
    pub async fn event(&self, ap_id: &str) -> Option<kuvend::storage::models::EventRow> {
        let post = self.post(ap_id).await?;
        let mut conn = self.ctx().db.conn().await.expect("conn");
        conn.q().event_by_post(post.id).await.expect("query")
    }

    /// Inboxes an activity of this instance was queued for.
    pub async fn delivery_inboxes(&self, activity_ap_id: &str) -> Vec<String> {
        let mut conn = self.ctx().db.conn().await.expect("conn");
        let mut inboxes: Vec<String> = conn
            .q()
            .list_deliveries(None, 10_000)
            .await
            .expect("deliveries")
            .into_iter()
            .filter(|d| d.activity_ap_id == activity_ap_id)
            .map(|d| d.delivery.inbox_url)
            .collect();
        inboxes.sort();
        inboxes
    }

    /// The body of an activity this instance sent.
    pub async fn sent_activity(&self, ap_id: &str) -> serde_json::Value {
        let mut conn = self.ctx().db.conn().await.expect("conn");
        let row = conn
            .q()
            .activity_by_ap_id(ap_id)
            .await
            .expect("query")
            .expect("activity");
        serde_json::from_str(row.body.as_deref().expect("body")).expect("json")
    }

    /// Makes `follower` (an organisation here) follow `followee` on `other`
    /// and waits until the follow is accepted on both sides.
    pub async fn follow_and_wait(&self, follower: &str, other: &TestInstance, followee: &str) {
        let handle = format!("{followee}@{}", other.domain);
        kuvend::service::follows::follow(&self.data(), follower, &handle)
            .await
            .expect("follow");
        let follower_id = format!("{}/users/{follower}", self.base_url());
        let followee_id = format!("{}/users/{followee}", other.base_url());
        eventually("follow accepted", Duration::from_secs(20), || async {
            self.follow_state(&follower_id, &followee_id)
                .await
                .as_deref()
                == Some("accepted")
        })
        .await;
    }
}

/// Signs a GET as `signer` (a local actor row with its private key).
pub fn signed_get(signer: &ActorRow, url: &str) -> reqwest::RequestBuilder {
    signed_get_with(
        signer.private_key_pem.as_deref().expect("local actor"),
        &signer.public_key_id,
        url,
    )
}

/// A GET of `url` signed draft-cavage with `key_pem` under `key_id`.
pub fn signed_get_with(key_pem: &str, key_id: &str, url: &str) -> reqwest::RequestBuilder {
    let url = url::Url::parse(url).expect("url");
    let key = kuvend::federation::signatures::parse_private_key(key_pem).expect("key");
    let out = kuvend::federation::signatures::sign(
        &key,
        key_id,
        "GET",
        &url,
        None,
        std::time::SystemTime::now(),
    )
    .expect("sign");
    client()
        .get(url)
        .header("accept", "application/activity+json")
        .header("date", out.date)
        .header("signature", out.signature)
}

/// A POST of `body` to `inbox`, signed draft-cavage with the private key
/// `key_pem` under `key_id`, as a remote server sends an activity.
pub fn signed_post(
    key_pem: &str,
    key_id: &str,
    inbox: &url::Url,
    body: Vec<u8>,
) -> reqwest::RequestBuilder {
    let key = kuvend::federation::signatures::parse_private_key(key_pem).expect("key");
    let out = kuvend::federation::signatures::sign(
        &key,
        key_id,
        "POST",
        inbox,
        Some(&body),
        std::time::SystemTime::now(),
    )
    .expect("sign");
    client()
        .post(inbox.clone())
        .header("content-type", "application/activity+json")
        .header("date", out.date)
        .header("digest", out.digest.expect("digest"))
        .header("signature", out.signature)
        .body(body)
}

/// Delivers `activity` to `inbox`, signed by `signer` (an actor of another
/// test instance): the status and the JSON answer.
pub async fn deliver(
    signer: &ActorRow,
    inbox: &url::Url,
    activity: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let body = serde_json::to_vec(activity).expect("json");
    let pem = signer.private_key_pem.as_deref().expect("local actor");
    let response = signed_post(pem, &signer.public_key_id, inbox, body)
        .send()
        .await
        .expect("send");
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

/// What a sink inbox was sent.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The Host header: which test instance the request was for.
    pub host: String,
    pub path: String,
    pub activity_id: String,
    /// What the sink answered.
    pub status: u16,
}

/// A stand-in for many remote inboxes: one HTTP server on loopback that
/// answers for every host name pointed at it, records each request, and can
/// fail (HTTP 500) for chosen hosts until told to recover.
#[derive(Clone)]
pub struct Sink {
    pub port: u16,
    pub receipts: std::sync::Arc<std::sync::Mutex<Vec<Receipt>>>,
    pub failing_hosts: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub delay: Duration,
}

impl Sink {
    pub async fn start(delay: Duration) -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let sink = Sink {
            port: listener.local_addr().expect("addr").port(),
            receipts: Default::default(),
            failing_hosts: Default::default(),
            delay,
        };
        let state = sink.clone();
        let app = axum::Router::new().fallback(axum::routing::post(
            move |headers: axum::http::HeaderMap, uri: axum::http::Uri, body: axum::body::Bytes| {
                let state = state.clone();
                async move {
                    tokio::time::sleep(state.delay).await;
                    let host = headers
                        .get("host")
                        .and_then(|h| h.to_str().ok())
                        .unwrap_or_default()
                        .split(':')
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    let activity_id = serde_json::from_slice::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v["id"].as_str().map(str::to_string))
                        .unwrap_or_default();
                    let failing = state.failing_hosts.lock().unwrap().contains(&host);
                    let status = if failing { 500 } else { 202 };
                    state.receipts.lock().unwrap().push(Receipt {
                        host,
                        path: uri.path().to_string(),
                        activity_id,
                        status,
                    });
                    axum::http::StatusCode::from_u16(status).unwrap()
                }
            },
        ));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        sink
    }

    pub fn receipts(&self) -> Vec<Receipt> {
        self.receipts.lock().unwrap().clone()
    }

    /// Hosts that answered 2xx for `activity_id`, with how many times.
    pub fn successes(&self, activity_id: &str) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for r in self
            .receipts()
            .iter()
            .filter(|r| r.activity_id == activity_id && r.status < 300)
        {
            *counts.entry(r.host.clone()).or_insert(0) += 1;
        }
        counts
    }
}

/// Stores `count` remote followers of `followee` (a local actor of `db`), each
/// on host `sinkN.test` (N = 1..=hosts, round robin) with its own inbox at the
/// sink, and no shared inbox, so each follower is one delivery.
pub async fn add_sink_followers(
    db: &kuvend::storage::Db,
    followee_id: i64,
    count: usize,
    hosts: usize,
    sink_port: u16,
) {
    let mut conn = db.conn().await.expect("conn");
    let now = kuvend::storage::now();
    for i in 0..count {
        let host = format!("sink{}.test", i % hosts + 1);
        let id = format!("http://{host}:{sink_port}/users/f{i}");
        let actor = conn
            .q()
            .upsert_remote_actor(&kuvend::storage::models::NewActor {
                ap_id: id.clone(),
                kind: "person".into(),
                ap_type: "Person".into(),
                username: format!("f{i}"),
                username_key: format!("f{i}"),
                domain: format!("{host}:{sink_port}"),
                local: false,
                display_name: String::new(),
                summary: String::new(),
                profile_url: None,
                icon_url: None,
                inbox_url: format!("{id}/inbox"),
                shared_inbox_url: None,
                outbox_url: None,
                followers_url: None,
                following_url: None,
                public_key_id: format!("{id}#main-key"),
                public_key_pem: "unused".into(),
                private_key_pem: None,
                manually_approves_followers: false,
                discoverable: false,
                published_at: now,
                fetched_at: Some(now),
                created_at: now,
                updated_at: now,
            })
            .await
            .expect("actor");
        conn.q()
            .put_follow(
                actor.id,
                followee_id,
                kuvend::model::FollowState::Accepted,
                &format!("{id}#follow"),
            )
            .await
            .expect("follow");
    }
}

/// Host overrides for `sink1.test` … `sinkN.test` and the instance names.
pub fn sink_host_overrides(hosts: usize) -> BTreeMap<String, IpAddr> {
    let mut map = host_overrides();
    for n in 1..=hosts {
        map.insert(format!("sink{n}.test"), IpAddr::V4(Ipv4Addr::LOCALHOST));
    }
    map
}

/// A Mastodon client: an instance's base URL and a bearer token.
pub struct Api {
    pub base: String,
    pub token: String,
}

impl Api {
    /// Registers an app and logs `email` in with the password grant (it acts
    /// as the login's first organisation).
    pub async fn login(base: &str, email: &str, password: &str) -> Api {
        Api::login_with_scope(base, email, password, "read write follow").await
    }

    /// As [`Api::login`], with a token of only `scope`.
    pub async fn login_with_scope(base: &str, email: &str, password: &str, scope: &str) -> Api {
        let (client_id, client_secret) = register_app(base, "read write follow").await;
        let token: serde_json::Value = client()
            .post(format!("{base}/oauth/token"))
            .form(&[
                ("grant_type", "password"),
                ("username", email),
                ("password", password),
                ("client_id", &client_id),
                ("client_secret", &client_secret),
                ("scope", scope),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        Api {
            base: base.to_string(),
            token: token["access_token"]
                .as_str()
                .unwrap_or_else(|| panic!("no token for {email}: {token}"))
                .to_string(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let mut request = client()
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }

    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
}

/// Registers an app (out-of-band redirect) with `scopes`; its client id and
/// secret.
pub async fn register_app(base: &str, scopes: &str) -> (String, String) {
    let app: serde_json::Value = client()
        .post(format!("{base}/api/v1/apps"))
        .form(&[
            ("client_name", "Test app"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", scopes),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        app["client_id"].as_str().unwrap().to_string(),
        app["client_secret"].as_str().unwrap().to_string(),
    )
}

/// Two tests running `$scenario(backend)`: on SQLite, and on PostgreSQL when
/// one is available.
#[macro_export]
macro_rules! on_both_databases {
    ($scenario:ident, $sqlite:ident, $postgres:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            $scenario($crate::common::Backend::Sqlite).await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            if $crate::common::available(
                stringify!($postgres),
                &[$crate::common::Backend::Postgres],
            ) {
                $scenario($crate::common::Backend::Postgres).await;
            }
        }
    };
}
