//! Interoperability with a real Mastodon client library: Mastodon.py 2.3.3
//! (PyPI) registers an app, logs in, posts, searches and follows an
//! organisation on another instance, reads timelines and notifications, and
//! sees an event as a status whose content gives its date, time and zone.

use crate::common::{Backend, TestInstance, available, temp_dir};
use kuvend::model::Visibility;
use kuvend::service::{
    acting::Acting,
    auth,
    events::{self, EventInput},
    posts,
};
use std::{path::PathBuf, process::Stdio};
use tokio::io::{AsyncBufReadExt, BufReader};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/mastodon_py")
}

async fn mastodon_py_flow(backend: Backend) {
    let python = dir().join(".venv/bin/python");
    if !python.exists() {
        assert!(
            std::env::var("CI").is_err(),
            "Mastodon.py is not installed on CI (scripts/test installs it)"
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: Mastodon.py interop SKIPPED: run scripts/test to create {}",
            python.display()
        );
        return;
    }
    let temp = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, temp.path()).await;
    let beta = TestInstance::start("beta.test", Backend::Sqlite, temp.path()).await;
    let ngo = alpha.create_org("ngo", false).await;
    beta.create_org("friend", false).await;
    // An event, which Mastodon apps must see as a status with its date.
    let event = events::create_event(
        &alpha.data(),
        &Acting::admin(ngo),
        EventInput {
            name: Some("Forum on water".into()),
            start: Some("2099-12-10T18:00".into()),
            timezone: Some("Europe/Tirane".into()),
            place: Some("Tirana Youth Center".into()),
            ..EventInput::default()
        },
    )
    .await
    .unwrap();
    let event_id = event.post.id.to_string();
    auth::create_user(
        alpha.ctx(),
        "staff@ngo.example",
        "a good password",
        Some(("ngo", "owner")),
    )
    .await
    .unwrap();
    let handle = format!("friend@{}", beta.domain);
    let mut child = tokio::process::Command::new(&python)
        .arg("flow.py")
        .args([
            "--base",
            &alpha.base_url(),
            "--email",
            "staff@ngo.example",
            "--password",
            "a good password",
        ])
        .args(["--remote-handle", &handle, "--expect-username", "ngo"])
        .args([
            "--event-id",
            &event_id,
            "--event-text",
            "10 December 2099, 18:00 (Europe/Tirane)",
        ])
        .args([
            "--media-fixture",
            &format!(
                "{}/tests/fixtures/media/gps_rot6.jpg",
                env!("CARGO_MANIFEST_DIR")
            ),
        ])
        .args([
            "--resolve",
            "alpha.test:127.0.0.1",
            "--resolve",
            "beta.test:127.0.0.1",
        ])
        .current_dir(dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut last = String::new();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.trim() == "READY_FOR_REMOTE_POST" {
            // The remote organisation posts, and follows back.
            posts::create_post(
                &beta.data(),
                "friend",
                posts::NewPost {
                    text: "News from the other instance".into(),
                    visibility: Visibility::Public,
                    in_reply_to: None,
                    spoiler: None,
                    language: None,
                },
            )
            .await
            .unwrap();
            beta.follow_and_wait("friend", &alpha, "ngo").await;
        }
        last = line;
    }
    let output = child.wait_with_output().await.unwrap();
    let report: serde_json::Value = serde_json::from_str(&last).unwrap_or_else(|_| {
        panic!(
            "no JSON report: {last}\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(
        report["ok"],
        true,
        "{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(report["username"], "ngo");
    // Issue 16: media_post + status_post(media_ids=...) with alt text, and
    // the media URL serves an image; the alt text is the Document's name.
    assert_eq!(
        report["media_description"],
        "Volunteers planting trees by the river"
    );
    assert!(
        report["media_content_type"]
            .as_str()
            .is_some_and(|t| t.starts_with("image/")),
        "{report}"
    );
    let media_status: i64 = report["media_status_id"].as_str().unwrap().parse().unwrap();
    let view = kuvend::service::posts::local_post_for(alpha.ctx(), "ngo", media_status, None)
        .await
        .unwrap();
    let note = kuvend::service::posts::note_document(alpha.ctx(), &view)
        .await
        .unwrap();
    assert_eq!(
        note.attachment[0].name.as_deref(),
        Some("Volunteers planting trees by the river")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_sqlite() {
    mastodon_py_flow(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mastodon_py_postgres() {
    if available("mastodon_py_postgres", &[Backend::Postgres]) {
        mastodon_py_flow(Backend::Postgres).await;
    }
}
