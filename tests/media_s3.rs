//! Media on S3 (issue 16, part D): an instance with `media.backend = "s3"`
//! against a real S3 server (moto, started by tests/interop/media/s3.py
//! from the venv scripts/test makes), on both databases. The bucket is read
//! with boto3, not through kuvend: an upload lands there with its content
//! type, kuvend serves it, the remote cache writes there too and the prune
//! deletes from it. Moto does not check request signatures.

use crate::common::{Api, Backend, TestInstance, client, new_database, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::config::MediaBackend;
use kuvend::service::{media, media_proxy};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const PASSWORD: &str = "correct horse battery";
const BUCKET: &str = "kuvend-media";

fn media_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/media")
}

/// The venv's Python, or None (with a notice) when scripts/test did not
/// make it; on CI its absence is a failure.
fn python() -> Option<PathBuf> {
    let python = media_dir().join(".venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    assert!(
        std::env::var("CI").is_err(),
        "moto is not installed on CI (scripts/test installs it)"
    );
    eprintln!(
        "NOTICE: S3 test SKIPPED: run scripts/test to create {}",
        python.display()
    );
    None
}

/// The moto server; it stops when its stdin closes (on drop).
struct Moto {
    child: Child,
    port: u16,
    python: PathBuf,
}

impl Moto {
    fn start(python: PathBuf) -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new(&python)
            .arg(media_dir().join("s3.py"))
            .arg(port.to_string())
            .arg(BUCKET)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "moto did not start");
        Moto {
            child,
            port,
            python,
        }
    }

    /// The bucket's objects as boto3 sees them: (key, size, content type).
    fn objects(&self) -> Vec<(String, u64, String)> {
        let out = Command::new(&self.python)
            .arg(media_dir().join("s3_list.py"))
            .arg(self.port.to_string())
            .arg(BUCKET)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                let mut parts = l.split_whitespace();
                (
                    parts.next().unwrap().to_string(),
                    parts.next().unwrap().parse().unwrap(),
                    parts.next().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

async fn s3_backend_roundtrip(backend: Backend) {
    let Some(python) = python() else {
        return;
    };
    let started = Instant::now();
    let moto = Moto::start(python);
    let dir = temp_dir();
    let db_url = new_database(backend, dir.path(), "alpha").await;
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let alpha = TestInstance::start_configured("alpha.test", &db_url, 0, |s| {
        s.media.backend = MediaBackend::S3;
        s.media.s3_endpoint = endpoint.clone();
        s.media.s3_bucket = BUCKET.into();
        s.media.s3_region = "us-east-1".into();
        s.media.s3_access_key = "test".into();
        s.media.s3_secret_key = "test".into();
    })
    .await;
    alpha.create_org("ngo", false).await;
    kuvend::service::auth::create_user(
        alpha.ctx(),
        "editor@ngo.example",
        PASSWORD,
        Some(("ngo", "editor")),
    )
    .await
    .unwrap();
    let api = Api::login(&alpha.base_url(), "editor@ngo.example", PASSWORD).await;
    let jpeg = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/media/gps_rot6.jpg"),
    )
    .unwrap();

    // An upload: its blobs are in the bucket, typed, and kuvend serves them.
    let part = reqwest::multipart::Part::bytes(jpeg.clone())
        .file_name("photo.jpg")
        .mime_str("image/jpeg")
        .unwrap();
    let response = client()
        .post(format!("{}/api/v2/media", api.base))
        .bearer_auth(&api.token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let uploaded: serde_json::Value = response.json().await.unwrap();
    let url = uploaded["url"].as_str().unwrap().to_string();
    let key = url.split("/media/").nth(1).unwrap().to_string();
    let objects = moto.objects();
    let (_, size, content_type) = objects
        .iter()
        .find(|(k, _, _)| *k == key)
        .unwrap_or_else(|| panic!("{key} not in the bucket: {objects:?}"));
    assert_eq!(content_type, "image/jpeg");
    assert_eq!(
        objects.len(),
        2,
        "the original and its preview: {objects:?}"
    );
    let served = client().get(&url).send().await.unwrap();
    assert_eq!(served.status().as_u16(), 200);
    assert_eq!(served.bytes().await.unwrap().len() as u64, *size);

    // The remote cache writes to the bucket, and the prune deletes there.
    let remote = Remote::start("mobilizon.test").await;
    remote.put_bytes("/files/photo.jpg", "image/jpeg", jpeg);
    let proxied = media::proxied(alpha.ctx(), &remote.url("/files/photo.jpg"));
    let shown = client().get(&proxied).send().await.unwrap();
    assert_eq!(shown.status().as_u16(), 200);
    let cached: Vec<_> = moto
        .objects()
        .into_iter()
        .filter(|(k, _, _)| k.starts_with("cache/"))
        .collect();
    assert_eq!(cached.len(), 2, "{cached:?}");
    let pruned = media_proxy::prune(alpha.ctx(), Some(0)).await.unwrap();
    assert_eq!(pruned.files, 2);
    let left = moto.objects();
    assert!(
        left.iter().all(|(k, _, _)| !k.starts_with("cache/")),
        "{left:?}"
    );
    assert!(
        left.iter().any(|(k, _, _)| *k == key),
        "uploads stay: {left:?}"
    );
    eprintln!(
        "MEASURED S3 test ({backend:?}), moto start-up included: {} ms",
        started.elapsed().as_millis()
    );
}

on_both_databases!(
    s3_backend_roundtrip,
    s3_backend_roundtrip_sqlite,
    s3_backend_roundtrip_postgres
);
