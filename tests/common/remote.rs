//! A stand-in for another server (Mobilizon, Gancio, Friendica...) on
//! loopback: it serves actor documents with fresh keys, signs the
//! activities it sends, and records every body POSTed to any of its inboxes.

use super::signed_post;
use axum::{
    Json, Router,
    extract::State,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use kuvend::federation::signatures::{self, Keypair};
use serde_json::{Value, json};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};
use url::Url;

/// A binary body and its content type.
pub type TypedBytes = (String, Vec<u8>);

/// Documents served by path, and the bodies posted to any inbox.
#[derive(Clone, Default)]
pub struct Served {
    pub documents: Arc<Mutex<HashMap<String, Value>>>,
    pub received: Arc<Mutex<Vec<Value>>>,
    /// The same bodies as sent, byte for byte.
    pub received_bodies: Arc<Mutex<Vec<String>>>,
    /// Paths (with query) asked with GET, in order.
    pub gets: Arc<Mutex<Vec<String>>>,
    /// Bodies served verbatim by path, with their content type (for
    /// documents that are not JSON values: garbage, oversized ones).
    pub raw: Arc<Mutex<HashMap<String, (String, String)>>>,
    /// Binary bodies served verbatim by path, with their content type
    /// (images for the media proxy).
    pub raw_bytes: Arc<Mutex<HashMap<String, TypedBytes>>>,
    /// What every POST is answered with instead of 202, when set (an inbox
    /// that keeps failing).
    pub post_status: Arc<Mutex<Option<StatusCode>>>,
    /// Every POST's path and headers, in order (to check who signed it).
    pub posts: Arc<Mutex<Vec<(String, HeaderMap)>>>,
}

async fn serve(
    State(served): State<Served>,
    method: Method,
    uri: Uri,
    request_headers: HeaderMap,
    body: String,
) -> Response {
    if method == Method::POST {
        served
            .posts
            .lock()
            .unwrap()
            .push((uri.path().to_string(), request_headers));
        if let Ok(activity) = serde_json::from_str(&body) {
            served.received.lock().unwrap().push(activity);
        }
        served.received_bodies.lock().unwrap().push(body);
        let status = *served.post_status.lock().unwrap();
        return status.unwrap_or(StatusCode::ACCEPTED).into_response();
    }
    let key = uri
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    served.gets.lock().unwrap().push(key.clone());
    if let Some((content_type, body)) = served.raw_bytes.lock().unwrap().get(&key) {
        return ([(header::CONTENT_TYPE, content_type.clone())], body.clone()).into_response();
    }
    if let Some((content_type, body)) = served.raw.lock().unwrap().get(&key) {
        return ([(header::CONTENT_TYPE, content_type.clone())], body.clone()).into_response();
    }
    match served.documents.lock().unwrap().get(&key) {
        Some(doc) => {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::CONTENT_TYPE,
                "application/activity+json".parse().unwrap(),
            );
            (headers, Json(doc.clone())).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Another server (Mobilizon, Gancio…) on loopback, under a test name.
pub struct Remote {
    /// `http://mobilizon.test:PORT`.
    pub base: String,
    pub served: Served,
    pub keys: HashMap<String, Keypair>,
}

impl Remote {
    pub async fn start(name: &str) -> Remote {
        let served = Served::default();
        let app = Router::new().fallback(serve).with_state(served.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Remote {
            base: format!("http://{name}:{port}"),
            served,
            keys: HashMap::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn put(&self, path: &str, doc: Value) {
        self.served
            .documents
            .lock()
            .unwrap()
            .insert(path.to_string(), doc);
    }

    /// Serves `body` verbatim at `path` with `content_type`.
    pub fn put_raw(&self, path: &str, content_type: &str, body: String) {
        self.served
            .raw
            .lock()
            .unwrap()
            .insert(path.to_string(), (content_type.to_string(), body));
    }

    /// Serves `body` (binary) verbatim at `path` with `content_type`.
    pub fn put_bytes(&self, path: &str, content_type: &str, body: Vec<u8>) {
        self.served
            .raw_bytes
            .lock()
            .unwrap()
            .insert(path.to_string(), (content_type.to_string(), body));
    }

    /// The paths asked with GET so far.
    pub fn gets(&self) -> Vec<String> {
        self.served.gets.lock().unwrap().clone()
    }

    /// The host and port (`mobilizon.test:PORT`), as an instance domain.
    pub fn domain(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    /// A fixture with its host (`https://<host>`) replaced by this server's.
    pub fn fixture(&self, path: &str, host: &str) -> Value {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/{path}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        serde_json::from_str(&text.replace(&format!("https://{host}"), &self.base)).unwrap()
    }

    /// Serves an actor at `path` (a `Person` unless `doc` is given) with a
    /// fresh key; returns its id.
    pub fn actor(&mut self, path: &str, kind: &str, doc: Option<Value>) -> String {
        let id = self.url(path);
        let pair = signatures::generate_keypair().unwrap();
        let mut doc = doc.unwrap_or_else(|| {
            json!({
                "@context": ["https://www.w3.org/ns/activitystreams"],
                "id": id,
                "type": kind,
                "preferredUsername": path.rsplit(['/', '@']).next().unwrap(),
                "name": "Someone elsewhere",
                "inbox": format!("{id}/inbox"),
                "outbox": format!("{id}/outbox"),
                "followers": format!("{id}/followers"),
            })
        });
        doc["publicKey"] = json!({
            "id": format!("{id}#main-key"),
            "owner": id,
            "publicKeyPem": pair.public_key,
        });
        self.put(path, doc);
        self.keys.insert(id.clone(), pair);
        id
    }

    /// Sends `activity` to `inbox`, signed by `actor` (one of ours).
    pub async fn send(&self, actor: &str, inbox: &str, activity: &Value) -> (u16, Value) {
        self.send_body(actor, inbox, serde_json::to_vec(activity).unwrap())
            .await
    }

    /// A GET of `url` signed by `actor` (one of ours), answered as JSON.
    pub async fn signed_get(&self, actor: &str, url: &str) -> (u16, Value) {
        let pair = &self.keys[actor];
        let response = super::signed_get_with(&pair.private_key, &format!("{actor}#main-key"), url)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Signs and POSTs `body` as it is (for bodies laid out by hand).
    pub async fn send_body(&self, actor: &str, inbox: &str, body: Vec<u8>) -> (u16, Value) {
        let pair = &self.keys[actor];
        let response = signed_post(
            &pair.private_key,
            &format!("{actor}#main-key"),
            &Url::parse(inbox).unwrap(),
            body,
        )
        .send()
        .await
        .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

impl Remote {
    /// Serves a NodeInfo 2.1 naming `software`, as another instance's would.
    pub fn serve_nodeinfo(&self, software: &str) {
        self.put(
            "/.well-known/nodeinfo",
            json!({ "links": [{
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": self.url("/nodeinfo/2.1"),
            }]}),
        );
        self.put(
            "/nodeinfo/2.1",
            json!({
                "version": "2.1",
                "software": { "name": software, "version": "1.0" },
                "protocols": ["activitypub"],
                "usage": { "users": {} },
                "openRegistrations": false,
                "metadata": {},
            }),
        );
    }

    /// The bodies POSTed to this server's inboxes so far.
    pub fn received(&self) -> Vec<Value> {
        self.served.received.lock().unwrap().clone()
    }

    /// The same bodies, byte for byte as they arrived.
    pub fn received_bodies(&self) -> Vec<String> {
        self.served.received_bodies.lock().unwrap().clone()
    }
}

/// A fixture with its placeholders (whole JSON strings such as `"INVITEE"`)
/// replaced.
pub fn filled(activity: Value, pairs: &[(&str, &str)]) -> Value {
    let mut text = activity.to_string();
    for (from, to) in pairs {
        text = text.replace(&format!("\"{from}\""), &format!("\"{to}\""));
    }
    serde_json::from_str(&text).unwrap()
}
