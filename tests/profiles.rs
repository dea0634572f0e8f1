//! Profiles (issue 16 item 1): profile fields as `PropertyValue`s in the
//! actor document and the `Update` followers get, their limits, rel=me
//! verification, remote actors' fields and headers, the CLI, and Open Graph
//! tags on public pages.

use crate::common::{
    Api, Backend, TestInstance, client, eventually, kuvend_cli, remote::Remote, temp_dir,
};
use crate::on_both_databases;
use serde_json::{Value, json};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(20);
const PASSWORD: &str = "correct horse battery staple";

struct Stage {
    _dir: tempfile::TempDir,
    alpha: TestInstance,
    ngo: kuvend::service::ActorRow,
    api: Api,
}

async fn stage(backend: Backend) -> Stage {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    kuvend::service::auth::create_user(
        alpha.ctx(),
        "owner@ngo.example",
        PASSWORD,
        Some(("ngo", "owner")),
    )
    .await
    .unwrap();
    let api = Api::login(&alpha.base_url(), "owner@ngo.example", PASSWORD).await;
    Stage {
        _dir: dir,
        alpha,
        ngo,
        api,
    }
}

/// `PATCH update_credentials` as a form, as Mastodon's web app sends it.
async fn patch_form(api: &Api, pairs: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .patch(format!("{}/api/v1/accounts/update_credentials", api.base))
        .bearer_auth(&api.token)
        .form(pairs)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// A remote `Person` follows `ngo` (accepted at once).
async fn remote_follower(stage: &Stage, remote: &mut Remote) -> String {
    let actor = remote.actor("/users/fan", "Person", None);
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": remote.url("/follows/1"),
        "type": "Follow",
        "actor": actor,
        "object": stage.ngo.ap_id,
    });
    let (status, body) = remote.send(&actor, &stage.ngo.inbox_url, &follow).await;
    assert!(status < 300, "{status} {body}");
    eventually("the follow is accepted", WAIT, || async {
        stage
            .alpha
            .follow_state(&actor, &stage.ngo.ap_id)
            .await
            .as_deref()
            == Some("accepted")
    })
    .await;
    actor
}

fn property_values(doc: &Value) -> Vec<(String, String)> {
    doc["attachment"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|p| p["type"] == "PropertyValue")
                .map(|p| {
                    (
                        p["name"].as_str().unwrap_or_default().to_string(),
                        p["value"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn profile_fields_reach_remote(backend: Backend) {
    let stage = stage(backend).await;
    let mut remote = Remote::start("mobilizon.test").await;
    let fan = remote_follower(&stage, &mut remote).await;
    let (status, body) = patch_form(
        &stage.api,
        &[
            ("display_name", "NGO"),
            ("fields_attributes[0][name]", "Website"),
            ("fields_attributes[0][value]", "https://ngo.example/about"),
            ("fields_attributes[1][name]", "Phone"),
            ("fields_attributes[1][value]", "<b>+1 555</b>"),
            ("fields_attributes[2][name]", "City"),
            ("fields_attributes[2][value]", "Tirana"),
            ("fields_attributes[3][name]", "Founded"),
            ("fields_attributes[3][value]", "2001"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["fields"].as_array().unwrap().len(), 4, "{body}");
    assert_eq!(body["fields"][2]["value"], "Tirana");
    // The credential account shows the values as typed.
    let (_, me) = stage.api.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(me["source"]["fields"][1]["value"], "<b>+1 555</b>", "{me}");
    assert_eq!(
        me["fields"][1]["value"], "&lt;b&gt;+1 555&lt;/b&gt;",
        "{me}"
    );

    // The follower gets the actor Update with the four PropertyValues.
    eventually("the Update arrives", WAIT, || async {
        remote
            .received()
            .iter()
            .any(|a| a["type"] == "Update" && property_values(&a["object"]).len() == 4)
    })
    .await;
    // And the document it fetches has them, the link with rel="me".
    let (status, doc) = remote.signed_get(&fan, &stage.ngo.ap_id).await;
    assert_eq!(status, 200, "{doc}");
    let fields = property_values(&doc);
    assert_eq!(fields.len(), 4, "{doc}");
    assert_eq!(fields[0].0, "Website");
    assert!(
        fields[0].1.contains("href=\"https://ngo.example/about\"")
            && fields[0]
                .1
                .contains("rel=\"me nofollow noopener noreferrer\""),
        "{}",
        fields[0].1
    );
    assert!(!fields[1].1.contains("<b>"), "{}", fields[1].1);
}
on_both_databases!(
    profile_fields_reach_remote,
    profile_fields_reach_remote_sqlite,
    profile_fields_reach_remote_postgres
);

async fn too_many_fields_refused(backend: Backend) {
    let stage = stage(backend).await;
    let names: Vec<String> = (0..5)
        .map(|i| format!("fields_attributes[{i}][name]"))
        .collect();
    let values: Vec<String> = (0..5)
        .map(|i| format!("fields_attributes[{i}][value]"))
        .collect();
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for i in 0..5 {
        pairs.push((&names[i], "n"));
        pairs.push((&values[i], "v"));
    }
    let (status, body) = patch_form(&stage.api, &pairs).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("maximum is 4"),
        "{body}"
    );
    // A value of 256 characters too.
    let long = "v".repeat(256);
    let (status, body) = patch_form(
        &stage.api,
        &[
            ("fields_attributes[0][name]", "n"),
            ("fields_attributes[0][value]", &long),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    // Nothing was stored.
    let (_, me) = stage.api.get("/api/v1/accounts/verify_credentials").await;
    assert_eq!(me["fields"], json!([]), "{me}");
}
on_both_databases!(
    too_many_fields_refused,
    too_many_fields_refused_sqlite,
    too_many_fields_refused_postgres
);

async fn rel_me_verified(backend: Backend) {
    let stage = stage(backend).await;
    let remote = Remote::start("events.test").await;
    let profile = format!("{}/@ngo", stage.alpha.base_url());
    remote.put_raw(
        "/about",
        "text/html; charset=utf-8",
        format!(
            "<html><body><a rel=\"me\" href=\"{profile}\">us on the fediverse</a></body></html>"
        ),
    );
    remote.put_raw(
        "/other",
        "text/html",
        format!("<html><body><a href=\"{profile}\">no rel</a></body></html>"),
    );
    let about = remote.url("/about");
    let other = remote.url("/other");
    let (status, body) = patch_form(
        &stage.api,
        &[
            ("fields_attributes[0][name]", "Website"),
            ("fields_attributes[0][value]", &about),
            ("fields_attributes[1][name]", "Blog"),
            ("fields_attributes[1][value]", &other),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let path = format!("/api/v1/accounts/{}", stage.ngo.id);
    eventually("the linked page is checked", WAIT, || async {
        let (_, account) = stage.api.get(&path).await;
        account["fields"][0]["verified_at"].is_string()
    })
    .await;
    let (_, account) = stage.api.get(&path).await;
    assert!(account["fields"][1]["verified_at"].is_null(), "{account}");
    // Both pages were fetched.
    let gets = remote.gets();
    assert!(gets.iter().any(|g| g == "/other"), "{gets:?}");
}
on_both_databases!(
    rel_me_verified,
    rel_me_verified_sqlite,
    rel_me_verified_postgres
);

async fn remote_fields_and_header_stored(backend: Backend) {
    let stage = stage(backend).await;
    let mut remote = Remote::start("mobilizon.test").await;
    let id = remote.url("/users/alice");
    let doc = json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": id,
        "type": "Person",
        "preferredUsername": "alice",
        "name": "Alice",
        "inbox": format!("{id}/inbox"),
        "outbox": format!("{id}/outbox"),
        "followers": format!("{id}/followers"),
        "icon": {"type": "Image", "mediaType": "image/png", "url": remote.url("/a.png")},
        "image": {"type": "Image", "mediaType": "image/jpeg", "url": remote.url("/h.jpg")},
        "attachment": [
            {"type": "PropertyValue", "name": "Site", "value": "<a href=\"https://alice.example\" rel=\"me\">alice.example</a><script>alert(1)</script>"},
            {"type": "PropertyValue", "name": "Bad", "value": "<a href=\"javascript:alert(2)\">x</a>"},
            {"type": "Note", "content": "skipped"},
        ],
    });
    let alice = remote.actor("/users/alice", "Person", Some(doc));
    let follow = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": remote.url("/follows/1"),
        "type": "Follow",
        "actor": alice,
        "object": stage.ngo.ap_id,
    });
    let (status, _) = remote.send(&alice, &stage.ngo.inbox_url, &follow).await;
    assert!(status < 300);
    let lookup = format!("/api/v1/accounts/lookup?acct=alice@{}", remote.domain());
    eventually("alice is stored", WAIT, || async {
        stage.api.get(&lookup).await.0 == 200
    })
    .await;
    let (_, account) = stage.api.get(&lookup).await;
    let fields = account["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2, "{account}");
    assert_eq!(fields[0]["name"], "Site");
    let value = fields[0]["value"].as_str().unwrap();
    assert!(value.contains("https://alice.example"), "{value}");
    assert!(!value.contains("script"), "{value}");
    assert!(
        !fields[1]["value"].as_str().unwrap().contains("javascript"),
        "{account}"
    );
    // The header is stored (shown, through our proxy once media lands).
    let header = account["header"].as_str().unwrap();
    assert!(!header.contains("missing.png"), "{account}");
}
on_both_databases!(
    remote_fields_and_header_stored,
    remote_fields_and_header_stored_sqlite,
    remote_fields_and_header_stored_postgres
);

async fn org_update_fields_cli(backend: Backend) {
    let stage = stage(backend).await;
    let db = stage.alpha.db_url.clone();
    let out = kuvend_cli(
        &db,
        &[
            "admin",
            "org",
            "update",
            "ngo",
            "--name",
            "Our NGO",
            "--field",
            "Website=https://ngo.example",
            "--field",
            "City=Tirana",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let (_, account) = stage
        .api
        .get(&format!("/api/v1/accounts/{}", stage.ngo.id))
        .await;
    assert_eq!(account["display_name"], "Our NGO");
    assert_eq!(account["fields"].as_array().unwrap().len(), 2, "{account}");
    // A field without `=` is refused, one line, non-zero.
    let out = kuvend_cli(
        &db,
        &["admin", "org", "update", "ngo", "--field", "nonsense"],
    );
    assert!(!out.status.success());
    let out = kuvend_cli(&db, &["admin", "org", "update", "ngo", "--clear-fields"]);
    assert!(out.status.success(), "{out:?}");
    let (_, account) = stage
        .api
        .get(&format!("/api/v1/accounts/{}", stage.ngo.id))
        .await;
    assert_eq!(account["fields"], json!([]), "{account}");
}
on_both_databases!(
    org_update_fields_cli,
    org_update_fields_cli_sqlite,
    org_update_fields_cli_postgres
);

async fn og_tags_on_pages(backend: Backend) {
    let stage = stage(backend).await;
    let (status, _) = patch_form(&stage.api, &[("note", "We plant <trees> in Tirana.")]).await;
    assert_eq!(status, 200);
    let page = client()
        .get(format!("{}/@ngo", stage.alpha.base_url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<meta property=\"og:type\" content=\"profile\">"),
        "{page}"
    );
    assert!(
        // minijinja escapes `/` in attributes as `&#x2f;` (the same URL).
        page.contains(&format!(
            "<meta property=\"og:url\" content=\"{}\">",
            format!("{}/@ngo", stage.alpha.base_url()).replace('/', "&#x2f;")
        )),
        "{page}"
    );
    // The description is plain text, escaped once.
    assert!(
        page.contains(
            "<meta property=\"og:description\" content=\"We plant &lt;trees&gt; in Tirana.\">"
        ),
        "{page}"
    );
    assert!(
        page.contains("<meta name=\"twitter:card\" content=\"summary\">"),
        "{page}"
    );
}
on_both_databases!(
    og_tags_on_pages,
    og_tags_on_pages_sqlite,
    og_tags_on_pages_postgres
);
