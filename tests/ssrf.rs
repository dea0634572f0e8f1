//! Server-side request forgery, with the server configured as in production
//! (`https = true`, private addresses not allowed): names an attacker
//! controls point at a listener of the test's own on 127.0.0.2, and every
//! way a request can make the server reach out (key fetches for inbox POSTs
//! and signed GETs, searches that resolve, mentions, follows, deliveries)
//! is tried. The listener must see no connection at all. Loopback only.

use crate::common::{
    Api, Backend, TestInstance, add_sink_followers, available, client, eventually, new_database,
    signed_post, temp_dir,
};
use kuvend::{
    federation::signatures,
    model::Visibility,
    service::{auth, posts, posts::NewPost},
};
use serde_json::json;
use std::{
    net::{IpAddr, Ipv4Addr},
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, SystemTime},
};
use url::Url;

/// A TCP listener that only counts the connections it is offered.
async fn counting_listener() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::new(127, 0, 0, 2), 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(AtomicUsize::new(0));
    let counter = seen.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, seen)
}

/// A POST of `body` to `inbox`, validly signed by a key whose id is
/// `key_id`: the server must fetch that key to check it.
async fn post_signed(inbox: &Url, key_id: &str, body: &serde_json::Value) -> u16 {
    let pair = signatures::generate_keypair().unwrap();
    let body = serde_json::to_vec(body).unwrap();
    signed_post(&pair.private_key, key_id, inbox, body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn production_ssrf(backend: Backend) {
    let dir = temp_dir();
    let (port, seen) = counting_listener().await;
    let victim = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let db = new_database(backend, dir.path(), "alpha").await;
    let alpha = TestInstance::start_configured("alpha.test", &db, 0, |s| {
        s.instance.https = true;
        s.federation.allow_private_addresses = false;
        s.federation.request_timeout_secs = 2;
        s.federation.host_overrides = [
            ("victim.test".to_string(), victim),
            ("sink1.test".to_string(), victim),
        ]
        .into();
    })
    .await;
    let org = alpha.create_org("ngo", false).await;
    auth::create_user(
        alpha.ctx(),
        "staff@ngo.example",
        "correct horse",
        Some(("ngo", "owner")),
    )
    .await
    .unwrap();
    let base = alpha.base_url();
    let remote = format!("https://victim.test:{port}/users/x");

    // Key fetches: inbox POSTs signed with keys on attacker-chosen hosts,
    // named by host name and by address literals.
    let inbox = Url::parse(&format!("{base}/inbox")).unwrap();
    for key_owner in [
        remote.clone(),
        format!("https://127.0.0.2:{port}/users/x"),
        format!("https://[::ffff:127.0.0.2]:{port}/users/x"),
        format!("http://[::127.0.0.2]:{port}/users/x"),
    ] {
        let create = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{key_owner}/activities/1"),
            "type": "Create",
            "actor": key_owner,
            "object": {
                "id": format!("{key_owner}/notes/1"),
                "type": "Note",
                "attributedTo": key_owner,
                "content": "hello",
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
                "inReplyTo": format!("https://victim.test:{port}/notes/parent"),
            },
        });
        let status = post_signed(&inbox, &format!("{key_owner}#main-key"), &create).await;
        assert!((400..500).contains(&status), "{key_owner}: {status}");
    }
    // A signed GET of a followers-only post, whose key lives on the
    // attacker's host: the server must fetch the key to decide.
    let hidden = posts::create_post(
        &alpha.data(),
        "ngo",
        NewPost {
            text: "followers only".into(),
            visibility: Visibility::Followers,
            in_reply_to: None,
            spoiler: None,
            language: None,
        },
    )
    .await
    .unwrap();
    let hidden = Url::parse(&hidden.ap_id).unwrap();
    let hidden = Url::parse(&format!("{base}{}", hidden.path())).unwrap();
    let pair = signatures::generate_keypair().unwrap();
    let key = signatures::parse_private_key(&pair.private_key).unwrap();
    let out = signatures::sign(
        &key,
        &format!("{remote}#main-key"),
        "GET",
        &hidden,
        None,
        SystemTime::now(),
    )
    .unwrap();
    let answer = client()
        .get(hidden)
        .header("accept", "application/activity+json")
        .header("date", out.date)
        .header("signature", out.signature)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_client_error(), "{}", answer.status());

    // Client API: searches that resolve, a mention, a follow.
    let api = Api::login(&base, "staff@ngo.example", "correct horse").await;
    for q in [format!("@x@victim.test:{port}"), remote.clone()] {
        let path = format!("/api/v2/search?resolve=true&q={}", urlencode(&q));
        let (status, found) = api.get(&path).await;
        assert_eq!(status, 200, "{q}: {found}");
        assert_eq!(found["accounts"], json!([]), "{q}: {found}");
    }
    let (status, body) = api
        .post(
            "/api/v1/statuses",
            json!({"status": format!("hello @x@victim.test:{port}")}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let follow =
        kuvend::service::follows::follow(&alpha.data(), "ngo", &format!("x@victim.test:{port}"))
            .await;
    assert!(follow.is_err(), "a follow of an unreachable account fails");

    // Deliveries: a follower whose inbox is on the attacker's host.
    add_sink_followers(&alpha.ctx().db, org.id, 1, 1, port).await;
    let (status, post) = api
        .post("/api/v1/statuses", json!({"status": "for followers"}))
        .await;
    assert_eq!(status, 200, "{post}");
    eventually(
        "the delivery was tried and refused",
        Duration::from_secs(20),
        || async {
            let mut conn = alpha.ctx().db.conn().await.unwrap();
            conn.q()
                .list_deliveries(None, 100)
                .await
                .unwrap()
                .iter()
                .any(|d| {
                    d.delivery.inbox_url.contains("sink1.test") && d.delivery.last_error.is_some()
                })
        },
    )
    .await;

    assert_eq!(
        seen.load(Ordering::SeqCst),
        0,
        "the listener saw a connection ({backend:?})"
    );
    // The listener does count: the assertion above could have failed.
    tokio::net::TcpStream::connect((victim, port))
        .await
        .unwrap();
    eventually("the listener counts", Duration::from_secs(5), || async {
        seen.load(Ordering::SeqCst) == 1
    })
    .await;
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_server_reaches_no_private_address() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if available("production_server_reaches_no_private_address", &[backend]) {
            production_ssrf(backend).await;
        }
    }
}
