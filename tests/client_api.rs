//! The Mastodon client API driven as an app drives it: register, log in
//! through the HTML form (with PKCE and an organisation choice), post, read
//! timelines, find and follow an organisation on another instance, and get
//! notifications of what that instance sends.

use crate::common::{Backend, TestInstance, available, client, eventually, temp_dir};
use base64::Engine;
use kuvend::model::{ReactionKind, Visibility};
use kuvend::service::{auth, posts, posts::NewPost};

use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);

struct App {
    base: String,
    token: String,
}

impl App {
    async fn get(&self, path: &str) -> (u16, Value) {
        let r = client()
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = client()
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

fn capture(html: &str, pattern: &str) -> Vec<String> {
    regex::Regex::new(pattern)
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].to_string())
        .collect()
}

async fn client_api_scenario(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    alpha.create_org("ngo", false).await;
    let other = alpha.create_org("network", false).await;
    let friend = beta.create_org("friend", false).await;
    auth::create_user(
        alpha.ctx(),
        "staff@ngo.example",
        "correct horse",
        Some(("ngo", "owner")),
    )
    .await
    .unwrap();
    auth::add_membership(alpha.ctx(), "staff@ngo.example", "network", "editor")
        .await
        .unwrap();
    let base = alpha.base_url();

    // Register an app.
    let app: Value = client()
        .post(format!("{base}/api/v1/apps"))
        .form(&[
            ("client_name", "Test app"),
            ("redirect_uris", "http://app.example/cb"),
            ("scopes", "read write follow"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = app["client_id"].as_str().unwrap().to_string();
    let client_secret = app["client_secret"].as_str().unwrap().to_string();

    // Log in through the HTML form, with PKCE, and choose the organisation.
    let verifier = "a-long-random-verifier-string-for-pkce-0123456789";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes()),
    );
    let params = [
        ("client_id", client_id.as_str()),
        ("redirect_uri", "http://app.example/cb"),
        ("scope", "read write follow"),
        ("response_type", "code"),
        ("state", "xyz"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    let page = client()
        .get(format!("{base}/oauth/authorize"))
        .query(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.unwrap().contains("Test app"));
    let mut form: Vec<(&str, &str)> = params.to_vec();
    form.push(("email", "staff@ngo.example"));
    form.push(("password", "wrong password"));
    let refused = client()
        .post(format!("{base}/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("wrong e-mail or password")
    );
    form.pop();
    form.push(("password", "correct horse"));
    let choose = client()
        .post(format!("{base}/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let ticket = capture(&choose, r#"name="ticket" value="([^"]+)""#)
        .pop()
        .expect("a ticket");
    let choices = capture(&choose, r#"name="actor_id" value="(\d+)""#);
    assert_eq!(choices.len(), 2, "both organisations are offered: {choose}");
    let other_id = other.id.to_string();
    let mut form: Vec<(&str, &str)> = params.to_vec();
    form.push(("ticket", &ticket));
    form.push(("actor_id", &other_id));
    let redirect = client()
        .post(format!("{base}/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(redirect.status().as_u16(), 303);
    let location = url::Url::parse(redirect.headers()["location"].to_str().unwrap()).unwrap();
    let query: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "xyz");
    let token: Value = client()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &query["code"]),
            ("client_id", &client_id),
            ("redirect_uri", "http://app.example/cb"),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let app = App {
        base: base.clone(),
        token: token["access_token"].as_str().expect("token").to_string(),
    };
    // A code works once.
    let again = client()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &query["code"]),
            ("client_id", &client_id),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 400);

    // The token acts as the organisation chosen.
    let (status, me) = app.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["username"], "network");

    // Post, with an Idempotency-Key: the repeat returns the same status.
    let post = |key: &'static str| {
        let base = base.clone();
        let token = app.token.clone();
        async move {
            let r = client()
                .post(format!("{base}/api/v1/statuses"))
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(&json!({"status": "Our #NAD statement", "visibility": "public"}))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, first) = post("k1").await;
    assert_eq!(status, 200, "{first}");
    let (_, second) = post("k1").await;
    assert_eq!(first["id"], second["id"]);
    let (_, home) = app.get("/api/v1/timelines/home").await;
    assert_eq!(
        home.as_array()
            .unwrap()
            .iter()
            .filter(|s| s["id"] == first["id"])
            .count(),
        1
    );
    assert!(first["content"].as_str().unwrap().contains("NAD"));

    // Find an organisation on another instance, follow it, see its posts.
    let handle = format!("friend@{}", beta.domain);
    let (_, found) = app
        .get(&format!(
            "/api/v2/search?q={handle}&resolve=true&type=accounts"
        ))
        .await;
    let account = &found["accounts"][0];
    assert_eq!(account["acct"], handle.as_str());
    let id = account["id"].as_str().unwrap().to_string();
    // Following is the organisation's decision: an editor may not, an owner
    // may, and a changed role counts from the next request on.
    let (status, refused) = app
        .post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .await;
    assert_eq!(status, 403, "{refused}");
    assert_eq!(refused["error"], "only an owner of @network can do this");
    auth::add_membership(alpha.ctx(), "staff@ngo.example", "network", "owner")
        .await
        .unwrap();
    let (status, relationship) = app
        .post(&format!("/api/v1/accounts/{id}/follow"), json!({}))
        .await;
    assert_eq!(status, 200, "{relationship}");
    auth::add_membership(alpha.ctx(), "staff@ngo.example", "network", "editor")
        .await
        .unwrap();
    eventually("the follow is accepted", WAIT, || async {
        let (_, r) = app
            .get(&format!("/api/v1/accounts/relationships?id[]={id}"))
            .await;
        r[0]["following"] == true
    })
    .await;
    let remote = posts::create_post(
        &beta.data(),
        "friend",
        NewPost {
            text: format!("Hello @network@{}, welcome!", alpha.domain),
            visibility: Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: None,
        },
    )
    .await
    .unwrap();
    eventually(
        "the remote post reaches the home timeline",
        WAIT,
        || async {
            let (_, home) = app.get("/api/v1/timelines/home").await;
            home.as_array()
                .unwrap()
                .iter()
                .any(|s| s["uri"] == remote.ap_id.as_str())
        },
    )
    .await;

    // Notifications of what the other instance does.
    beta.follow_and_wait("friend", &alpha, "network").await;
    let mine = posts::find_or_fetch_post(&beta.data(), first["uri"].as_str().unwrap())
        .await
        .unwrap();
    posts::react(&beta.data(), "friend", &mine.0.ap_id, ReactionKind::Like)
        .await
        .unwrap();
    eventually(
        "follow, mention and favourite notifications",
        WAIT,
        || async {
            let (_, list) = app.get("/api/v1/notifications").await;
            let kinds: Vec<&str> = list
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["account"]["acct"] == handle.as_str())
                .filter_map(|n| n["type"].as_str())
                .collect();
            kinds.contains(&"follow") && kinds.contains(&"mention") && kinds.contains(&"favourite")
        },
    )
    .await;
    let _ = friend;

    // Markers are kept per login.
    let (status, _) = app
        .post(
            "/api/v1/markers",
            json!({"home": {"last_read_id": first["id"]}}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, markers) = app.get("/api/v1/markers?timeline[]=home").await;
    assert_eq!(markers["home"]["last_read_id"], first["id"]);
    // Account search finds local organisations by name.
    let (_, found) = app.get("/api/v1/accounts/search?q=netw").await;
    assert_eq!(found[0]["username"], "network");
    // The organisation's owners see which staff member wrote a post; editors do not.
    let (_, shown) = app
        .get(&format!(
            "/api/v1/statuses/{}",
            first["id"].as_str().unwrap()
        ))
        .await;
    assert!(
        shown.get("kuvend_written_by").is_none(),
        "an editor of network: {shown}"
    );
    let owner_token: Value = client()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "staff@ngo.example"),
            ("password", "correct horse"),
            ("client_id", &client_id),
            ("client_secret", &client_secret),
            ("scope", "read write"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let owner = App {
        base: base.clone(),
        token: owner_token["access_token"].as_str().unwrap().to_string(),
    };
    let (_, me) = owner.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(
        me["username"], "ngo",
        "the password grant acts as the first organisation"
    );
    let (_, by_owner) = owner
        .post("/api/v1/statuses", json!({"status": "Written by staff"}))
        .await;
    let (_, shown) = owner
        .get(&format!(
            "/api/v1/statuses/{}",
            by_owner["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(shown["kuvend_written_by"]["email"], "staff@ngo.example");
    let (_, federated) = client()
        .get(shown["uri"].as_str().unwrap())
        .header("accept", "application/activity+json")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .map(|v| (0, v))
        .unwrap();
    assert!(
        !federated.to_string().contains("staff@ngo.example"),
        "never federated"
    );

    // Errors as Mastodon gives them.
    let bad = App {
        base: base.clone(),
        token: "nonsense".into(),
    };
    assert_eq!(bad.get("/api/v1/accounts/verify_credentials").await.0, 401);
    assert_eq!(app.get("/api/v1/statuses/999999").await.0, 404);
    assert_eq!(app.get("/api/v1/accounts/999999").await.0, 404);
    let (status, error) = app
        .post(
            "/api/v1/statuses",
            json!({"status": "x", "visibility": "everyone"}),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        error["error"].as_str().unwrap().contains("visibility"),
        "{error}"
    );
    assert_eq!(
        app.post("/api/v1/statuses", json!({"status": ""})).await.0,
        422
    );
    // A read-only token cannot post.
    let read_only: Value = client()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "password"),
            ("username", "staff@ngo.example"),
            ("password", "correct horse"),
            ("client_id", &client_id),
            ("client_secret", &client_secret),
            ("scope", "read"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let reader = App {
        base: base.clone(),
        token: read_only["access_token"].as_str().unwrap().to_string(),
    };
    assert_eq!(
        reader.get("/api/v1/accounts/verify_credentials").await.0,
        200
    );
    assert_eq!(
        reader
            .post("/api/v1/statuses", json!({"status": "nope"}))
            .await
            .0,
        403
    );
    // A revoked token is refused.
    let revoked = client()
        .post(format!("{base}/oauth/revoke"))
        .form(&[
            ("client_id", client_id.as_str()),
            ("client_secret", &client_secret),
            ("token", &reader.token),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status().as_u16(), 200);
    assert_eq!(
        reader.get("/api/v1/accounts/verify_credentials").await.0,
        401
    );
}

async fn app_token(base: &str, scopes: &str) -> (String, String, String) {
    let app: Value = client()
        .post(format!("{base}/api/v1/apps"))
        .form(&[
            ("client_name", "Supporter app"),
            ("redirect_uris", "urn:ietf:wg:oauth:2.0:oob"),
            ("scopes", scopes),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, secret) = (
        app["client_id"].as_str().unwrap().to_string(),
        app["client_secret"].as_str().unwrap().to_string(),
    );
    let token: Value = client()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", scopes),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (
        id,
        secret,
        token["access_token"].as_str().unwrap().to_string(),
    )
}

async fn registration_scenario(backend: Backend) {
    use kuvend::config::Registrations;
    let dir = temp_dir();
    let open_db = crate::common::new_database(backend, dir.path(), "open").await;
    let open = TestInstance::start_configured("alpha.test", &open_db, 0, |s| {
        s.instance.registrations = Registrations::Open
    })
    .await;
    let base = open.base_url();
    let (_, _, token) = app_token(&base, "read write follow").await;
    let app = App {
        base: base.clone(),
        token,
    };
    // The app token alone is not an account.
    assert_eq!(app.get("/api/v1/accounts/verify_credentials").await.0, 422);
    let (status, refused) = app.post("/api/v1/accounts", json!({"username": "bad name", "email": "a@b.example", "password": "long enough", "agreement": true})).await;
    assert_eq!(status, 422, "{refused}");
    let (status, token) = app.post("/api/v1/accounts", json!({"username": "supporter", "email": "s@people.example", "password": "long enough", "agreement": true})).await;
    assert_eq!(status, 200, "{token}");
    let me = App {
        base: base.clone(),
        token: token["access_token"].as_str().unwrap().to_string(),
    };
    let (_, account) = me.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(account["username"], "supporter");
    // Registration takes the app's own token with write:accounts: neither a
    // login's token nor a read-only app token creates accounts.
    let another = json!({"username": "another", "email": "a@people.example", "password": "long enough", "agreement": true});
    let (status, refused) = me.post("/api/v1/accounts", another.clone()).await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("app's own token"),
        "{refused}"
    );
    let (_, _, read_only) = app_token(&base, "read").await;
    let read_only = App {
        base: base.clone(),
        token: read_only,
    };
    let (status, refused) = read_only.post("/api/v1/accounts", another).await;
    assert_eq!(status, 403, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .unwrap()
            .contains("write:accounts"),
        "{refused}"
    );
    assert_eq!(account["group"], false);
    // Supporters post, edit and change their profile like on Mastodon.
    let (_, status) = me
        .post("/api/v1/statuses", json!({"status": "first words"}))
        .await;
    let id = status["id"].as_str().unwrap().to_string();
    let r = client()
        .put(format!("{base}/api/v1/statuses/{id}"))
        .bearer_auth(&me.token)
        .json(&json!({"status": "better words"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let edited: Value = r.json().await.unwrap();
    assert!(edited["content"].as_str().unwrap().contains("better words"));
    assert!(edited["edited_at"].is_string());
    assert_eq!(
        me.get(&format!("/api/v1/statuses/{id}/history")).await.0,
        200
    );
    let (_, source) = me.get(&format!("/api/v1/statuses/{id}/source")).await;
    assert_eq!(source["text"], "better words");
    let r = client()
        .patch(format!("{base}/api/v1/accounts/update_credentials"))
        .bearer_auth(&me.token)
        .json(&json!({"display_name": "A Supporter", "note": "I care."}))
        .send()
        .await
        .unwrap();
    let updated: Value = r.json().await.unwrap();
    assert_eq!(updated["display_name"], "A Supporter");
    assert_eq!(updated["note"], "<p>I care.</p>");
    let account_id = updated["id"].as_str().unwrap();
    assert_eq!(
        me.get(&format!("/api/v1/accounts/{account_id}/followers"))
            .await
            .0,
        200
    );
    assert_eq!(
        me.get(&format!("/api/v1/accounts/{account_id}/following"))
            .await
            .0,
        200
    );

    // Closed and approval-only instances.
    let closed_db = crate::common::new_database(backend, dir.path(), "closed").await;
    let closed = TestInstance::start_configured("beta.test", &closed_db, 0, |_| {}).await;
    let (_, _, token) = app_token(&closed.base_url(), "read write").await;
    let closed_app = App {
        base: closed.base_url(),
        token,
    };
    let (status, _) = closed_app.post("/api/v1/accounts", json!({"username": "x", "email": "x@y.example", "password": "long enough", "agreement": true})).await;
    assert_eq!(status, 403);
    let approval_db = crate::common::new_database(backend, dir.path(), "approval").await;
    let approval = TestInstance::start_configured("gamma.test", &approval_db, 0, |s| {
        s.instance.registrations = Registrations::Approval
    })
    .await;
    let (_, _, token) = app_token(&approval.base_url(), "read write").await;
    let approval_app = App {
        base: approval.base_url(),
        token,
    };
    let (status, token) = approval_app.post("/api/v1/accounts", json!({"username": "waiting", "email": "w@y.example", "password": "long enough", "agreement": "true"})).await;
    assert_eq!(status, 200, "{token}");
    let waiting = App {
        base: approval.base_url(),
        token: token["access_token"].as_str().unwrap().to_string(),
    };
    assert_eq!(
        waiting.get("/api/v1/accounts/verify_credentials").await.0,
        403
    );
    auth::approve_user(approval.ctx(), "w@y.example")
        .await
        .unwrap();
    assert_eq!(
        waiting.get("/api/v1/accounts/verify_credentials").await.0,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_sqlite() {
    registration_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_postgres() {
    if available("registration_postgres", &[Backend::Postgres]) {
        registration_scenario(Backend::Postgres).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_api_sqlite() {
    client_api_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_api_postgres() {
    if available("client_api_postgres", &[Backend::Postgres]) {
        client_api_scenario(Backend::Postgres).await;
    }
}
