//! Remote media through kuvend's proxy (issue 16, part D): a real instance
//! fetches images from a `Remote` over loopback, re-encodes and caches them,
//! and serves them under its own origin; bad MACs, domains rejecting media,
//! HTML and oversize files are refused; `admin media prune` frees the cache
//! and a later view fetches again. On both databases.

use crate::common::{Backend, TestInstance, client, new_database, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::federation::domain_policy::Severity;
use kuvend::service::{
    domain_policy::{self, BlockRequest},
    media,
};
use std::path::PathBuf;
use std::time::Instant;

/// `media.remote_max_bytes` of these instances: above the fixture JPEG
/// (1816 bytes), below the padded one.
const CAP: usize = 8192;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/media")
            .join(name),
    )
    .unwrap()
}

async fn stage(backend: Backend, dir: &tempfile::TempDir) -> (TestInstance, Remote) {
    let db_url = new_database(backend, dir.path(), "alpha").await;
    let alpha = TestInstance::start_configured("alpha.test", &db_url, 0, |s| {
        s.media.remote_max_bytes = CAP;
    })
    .await;
    let remote = Remote::start("mobilizon.test").await;
    (alpha, remote)
}

/// A GET as a browser does it (no signature): status, content type, body.
async fn view(url: &str) -> (u16, String, Vec<u8>) {
    let response = client().get(url).send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (
        status,
        content_type,
        response.bytes().await.unwrap().to_vec(),
    )
}

/// GETs of `path` the remote answered.
fn asked(remote: &Remote, path: &str) -> usize {
    remote.gets().iter().filter(|p| *p == path).count()
}

/// `kuvend admin media prune ARGS` on the instance's database and store.
fn prune_cli(alpha: &TestInstance, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kuvend"))
        .env("KUVEND_DATABASE__URL", &alpha.db_url)
        .env("KUVEND_INSTANCE__DOMAIN", "cso.example")
        .env("KUVEND_MEDIA__PATH", &alpha.ctx().settings.media.path)
        .args(["admin", "media", "prune"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

async fn remote_proxy_caches_and_prunes(backend: Backend) {
    let dir = temp_dir();
    let (alpha, remote) = stage(backend, &dir).await;
    remote.put_bytes("/files/photo.jpg", "image/jpeg", fixture("gps_rot6.jpg"));
    let original = media::proxied(alpha.ctx(), &remote.url("/files/photo.jpg"));
    let small = media::proxied_variant(alpha.ctx(), &remote.url("/files/photo.jpg"), "small");
    assert!(original.starts_with(&alpha.base_url()), "{original}");

    let started = Instant::now();
    let (status, content_type, first) = view(&original).await;
    let first_ms = started.elapsed().as_millis();
    assert_eq!(status, 200);
    assert_eq!(content_type, "image/jpeg");
    // Re-encoded by us: the remote file's EXIF (GPS, orientation) is gone.
    assert!(first.starts_with(&[0xff, 0xd8]));
    assert!(!first.windows(4).any(|w| w == b"Exif"), "metadata served");
    let started = Instant::now();
    let (status, _, second) = view(&original).await;
    let cached_ms = started.elapsed().as_millis();
    assert_eq!(status, 200);
    assert_eq!(first, second);
    let (status, _, _) = view(&small).await;
    assert_eq!(status, 200);
    assert_eq!(
        asked(&remote, "/files/photo.jpg"),
        1,
        "three views, one request to the remote server"
    );
    eprintln!(
        "MEASURED remote proxy ({backend:?}): first view {first_ms} ms, cached {cached_ms} ms"
    );

    let printed = prune_cli(&alpha, &["--older-than", "0d"]);
    let bytes: u64 = printed
        .split_whitespace()
        .zip(printed.split_whitespace().skip(1))
        .find(|(_, unit)| unit.starts_with("bytes"))
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or(0);
    assert!(printed.contains("2 files"), "{printed}");
    assert_eq!(bytes, first.len() as u64, "{printed}");
    eprintln!("MEASURED prune ({backend:?}): {}", printed.trim());
    // Nothing left to prune.
    assert!(prune_cli(&alpha, &["--older-than", "0d"]).contains("0 files"));

    let (status, _, again) = view(&original).await;
    assert_eq!(status, 200);
    assert_eq!(again.len(), first.len());
    assert_eq!(
        asked(&remote, "/files/photo.jpg"),
        2,
        "fetched again after the prune"
    );

    // A domain whose media we reject: 404 although the file is cached.
    domain_policy::block(
        alpha.ctx(),
        BlockRequest {
            domain: remote.domain(),
            severity: Severity::Noop,
            reject_media: true,
            reason: None,
            private: false,
        },
    )
    .await
    .unwrap();
    let (status, _, _) = view(&original).await;
    assert_eq!(status, 404);
    assert_eq!(asked(&remote, "/files/photo.jpg"), 2);
}

on_both_databases!(
    remote_proxy_caches_and_prunes,
    remote_proxy_caches_and_prunes_sqlite,
    remote_proxy_caches_and_prunes_postgres
);

async fn proxy_refuses(backend: Backend) {
    let dir = temp_dir();
    let (alpha, remote) = stage(backend, &dir).await;
    remote.put_bytes("/files/photo.jpg", "image/jpeg", fixture("gps_rot6.jpg"));
    let photo = remote.url("/files/photo.jpg");

    // A URL we did not sign: no request leaves (we are no open proxy).
    let good = media::proxied(alpha.ctx(), &photo);
    let (prefix, rest) = good.split_once("/media/proxy/").unwrap();
    let mac = &rest[..32];
    let flipped = format!(
        "{}{}",
        if mac.starts_with('0') { '1' } else { '0' },
        &mac[1..]
    );
    let forged = format!("{prefix}/media/proxy/{flipped}{}", &rest[32..]);
    assert_eq!(view(&forged).await.0, 404);
    // Another URL under a valid MAC.
    let other = media::proxied(alpha.ctx(), &remote.url("/files/other.jpg"));
    let other_b64 = other.rsplit('/').nth(1).unwrap();
    let swapped = good.replace(good.rsplit('/').nth(1).unwrap(), other_b64);
    assert_eq!(view(&swapped).await.0, 404);
    assert_eq!(
        view(&format!("{}x", good.trim_end_matches("original")))
            .await
            .0,
        404
    );
    assert!(remote.gets().is_empty(), "{:?}", remote.gets());
    assert_eq!(view(&good).await.0, 200, "the signed URL works");

    // HTML (an XSS attempt on our origin) is never served, and the failure
    // is remembered: a second view does not ask again.
    remote.put_raw(
        "/files/page.jpg",
        "image/jpeg",
        "<html><script>alert(document.cookie)</script></html>".into(),
    );
    let page = media::proxied(alpha.ctx(), &remote.url("/files/page.jpg"));
    let (status, content_type, body) = view(&page).await;
    assert_eq!(status, 404);
    assert!(!content_type.contains("html"), "{content_type}");
    assert!(!String::from_utf8_lossy(&body).contains("<script>"));
    assert_eq!(view(&page).await.0, 404);
    assert_eq!(asked(&remote, "/files/page.jpg"), 1, "failure remembered");

    // A valid image larger than media.remote_max_bytes (a JPEG with padding
    // after its end, which decoders ignore) is refused.
    let mut padded = fixture("gps_rot6.jpg");
    padded.resize(CAP + 4096, 0);
    remote.put_bytes("/files/big.jpg", "image/jpeg", padded);
    let big = media::proxied(alpha.ctx(), &remote.url("/files/big.jpg"));
    assert_eq!(view(&big).await.0, 404);
    assert_eq!(asked(&remote, "/files/big.jpg"), 1);

    // A suspended domain: nothing served, nothing asked.
    domain_policy::block(
        alpha.ctx(),
        BlockRequest {
            domain: remote.domain(),
            severity: Severity::Suspend,
            reject_media: false,
            reason: None,
            private: false,
        },
    )
    .await
    .unwrap();
    let before = remote.gets().len();
    assert_eq!(view(&good).await.0, 404);
    let fresh = media::proxied(alpha.ctx(), &remote.url("/files/new.jpg"));
    assert_eq!(view(&fresh).await.0, 404);
    assert_eq!(remote.gets().len(), before);
}

on_both_databases!(proxy_refuses, proxy_refuses_sqlite, proxy_refuses_postgres);
