//! What software another instance runs (issue 13, item 3 groundwork): read
//! from its NodeInfo, cached on its `instances` row, "unknown" whenever the
//! answer is missing, hostile or garbage, and never a failure of the instance.

use crate::common::{Backend, TestInstance, available, new_database, remote::Remote, temp_dir};
use kuvend::{
    federation::nodeinfo::Software,
    service::software::{instance_software, understands_invite},
    storage::instances::InstanceRow,
};
use serde_json::json;

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// Serves a discovery document linking `links` (schema minor version, href).
fn serve_links(remote: &Remote, links: &[(&str, String)]) {
    let links: Vec<_> = links
        .iter()
        .map(|(minor, href)| {
            json!({
                "rel": format!("http://nodeinfo.diaspora.software/ns/schema/{minor}"),
                "href": href,
            })
        })
        .collect();
    remote.put("/.well-known/nodeinfo", json!({ "links": links }));
}

fn nodeinfo(name: &str, version: &str) -> serde_json::Value {
    json!({
        "version": "2.1",
        "software": { "name": name, "version": version },
        "protocols": ["activitypub"],
        "usage": { "users": { "total": 10 } },
        "openRegistrations": false,
        "metadata": {},
    })
}

async fn row(instance: &TestInstance, domain: &str) -> Option<InstanceRow> {
    let mut conn = instance.ctx().db.conn().await.unwrap();
    conn.q().instance(domain).await.unwrap()
}

async fn software(instance: &TestInstance, domain: &str) -> Option<Software> {
    instance_software(instance.ctx(), domain).await.unwrap()
}

/// The instance's row exists (the answer was cached) and is not failing.
async fn assert_cached_and_healthy(instance: &TestInstance, domain: &str) {
    let row = row(instance, domain).await.expect("instance row");
    assert!(row.software_checked_at.is_some(), "{domain} not cached");
    assert_eq!(row.failing_since, None, "{domain} marked failing");
    assert!(!row.unavailable, "{domain} marked unavailable");
}

#[tokio::test]
async fn mastodon_nodeinfo_is_read_once_and_cached() {
    if !available("mastodon_nodeinfo_is_read_once_and_cached", &BACKENDS) {
        return;
    }
    for backend in BACKENDS {
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let mastodon = Remote::start("gamma.test").await;
        serve_links(
            &mastodon,
            &[
                ("2.0", mastodon.url("/nodeinfo/2.0")),
                ("2.1", mastodon.url("/nodeinfo/2.1")),
            ],
        );
        mastodon.put("/nodeinfo/2.0", nodeinfo("not-the-newest", "1"));
        // Capitalised, as Mobilizon does: compared lowercased.
        mastodon.put("/nodeinfo/2.1", nodeinfo("Mastodon", "4.3.2+glitch"));
        let domain = mastodon.domain().to_string();

        let first = software(&alpha, &domain).await;
        assert_eq!(
            first,
            Some(Software {
                name: "mastodon".into(),
                version: Some("4.3.2+glitch".into()),
            }),
            "{backend:?}"
        );
        assert_eq!(
            mastodon.gets(),
            vec!["/.well-known/nodeinfo", "/nodeinfo/2.1"],
            "{backend:?}: the highest schema is read"
        );
        assert_cached_and_healthy(&alpha, &domain).await;
        let stored = row(&alpha, &domain).await.unwrap();
        assert_eq!(stored.software.as_deref(), Some("mastodon"));
        assert_eq!(stored.software_version.as_deref(), Some("4.3.2+glitch"));

        // Within the TTL the cache answers, even after the server changed.
        mastodon.put("/nodeinfo/2.1", nodeinfo("mobilizon", "5"));
        let second = software(&alpha, &domain).await;
        assert_eq!(second, first, "{backend:?}");
        assert_eq!(mastodon.gets().len(), 2, "{backend:?}: asked again");
        assert_eq!(
            understands_invite(second.as_ref().map(|s| s.name.as_str())),
            Some(false)
        );
    }
}

#[tokio::test]
async fn stale_software_is_asked_again() {
    if !available("stale_software_is_asked_again", &BACKENDS) {
        return;
    }
    for backend in BACKENDS {
        let dir = temp_dir();
        let db = new_database(backend, dir.path(), "alpha.test").await;
        let alpha = TestInstance::start_configured("alpha.test", &db, 0, |s| {
            s.federation.software_cache_hours = 0;
        })
        .await;
        let remote = Remote::start("mobilizon.test").await;
        serve_links(&remote, &[("2.0", remote.url("/nodeinfo/2.0"))]);
        remote.put("/nodeinfo/2.0", nodeinfo("mastodon", "4"));
        let domain = remote.domain().to_string();
        assert_eq!(
            software(&alpha, &domain).await.map(|s| s.name).as_deref(),
            Some("mastodon")
        );
        remote.put("/nodeinfo/2.0", nodeinfo("Mobilizon", "5.1"));
        assert_eq!(
            software(&alpha, &domain).await.map(|s| s.name).as_deref(),
            Some("mobilizon"),
            "{backend:?}"
        );
        assert_eq!(remote.gets().len(), 4, "{backend:?}");
    }
}

#[tokio::test]
async fn nodeinfo_link_to_another_host_is_refused() {
    if !available("nodeinfo_link_to_another_host_is_refused", &BACKENDS) {
        return;
    }
    for backend in BACKENDS {
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let liar = Remote::start("events.test").await;
        let elsewhere = Remote::start("gancio.test").await;
        elsewhere.put("/nodeinfo/2.1", nodeinfo("kuvend", "1"));
        serve_links(&liar, &[("2.1", elsewhere.url("/nodeinfo/2.1"))]);
        let domain = liar.domain().to_string();

        assert_eq!(software(&alpha, &domain).await, None, "{backend:?}");
        assert!(
            elsewhere.gets().is_empty(),
            "{backend:?}: the other host was asked"
        );
        assert_cached_and_healthy(&alpha, &domain).await;
        let stored = row(&alpha, &domain).await.unwrap();
        assert_eq!(stored.software, None);

        // Unknown is cached too: not asked again at once.
        assert_eq!(software(&alpha, &domain).await, None);
        assert_eq!(liar.gets().len(), 1, "{backend:?}");
    }
}

#[tokio::test]
async fn garbage_oversized_or_missing_nodeinfo_is_unknown_not_a_failure() {
    if !available(
        "garbage_oversized_or_missing_nodeinfo_is_unknown_not_a_failure",
        &BACKENDS,
    ) {
        return;
    }
    for backend in BACKENDS {
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;

        // Two megabytes of NodeInfo, over the 1 MiB bound of every fetch.
        let huge = Remote::start("gamma.test").await;
        serve_links(&huge, &[("2.1", huge.url("/nodeinfo/2.1"))]);
        huge.put_raw(
            "/nodeinfo/2.1",
            "application/json",
            format!(
                r#"{{"software":{{"name":"mastodon","version":"{}"}}}}"#,
                "9".repeat(2 * 1024 * 1024)
            ),
        );
        // Not JSON at all.
        let garbage = Remote::start("mobilizon.test").await;
        garbage.put_raw(
            "/.well-known/nodeinfo",
            "application/json",
            "<html>not nodeinfo".into(),
        );
        // A name that is markup, not a name.
        let markup = Remote::start("events.test").await;
        serve_links(&markup, &[("2.0", markup.url("/nodeinfo/2.0"))]);
        markup.put("/nodeinfo/2.0", nodeinfo("<script>alert(1)</script>", "1"));
        // No NodeInfo (404).
        let missing = Remote::start("gancio.test").await;
        // Nothing listening.
        let dead = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            drop(listener);
            format!("beta.test:{port}")
        };

        for domain in [
            huge.domain(),
            garbage.domain(),
            markup.domain(),
            missing.domain(),
            dead.as_str(),
        ] {
            assert_eq!(software(&alpha, domain).await, None, "{backend:?} {domain}");
            assert_cached_and_healthy(&alpha, domain).await;
        }
        assert_eq!(
            huge.gets(),
            vec!["/.well-known/nodeinfo", "/nodeinfo/2.1"],
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn a_second_kuvend_instance_says_kuvend() {
    if !available("a_second_kuvend_instance_says_kuvend", &BACKENDS) {
        return;
    }
    for backend in BACKENDS {
        let dir = temp_dir();
        let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
        let beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
        let found = software(&alpha, &beta.domain).await;
        assert_eq!(
            found,
            Some(Software {
                name: "kuvend".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            "{backend:?}"
        );
        assert_eq!(understands_invite(Some("kuvend")), Some(true));
        // Our own domain is not asked over the network.
        assert_eq!(
            software(&alpha, &alpha.domain).await.map(|s| s.name),
            Some("kuvend".into())
        );
    }
}
