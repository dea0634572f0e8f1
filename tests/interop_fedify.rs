//! Interoperability with real third-party software: the Fedify framework
//! (npm `@fedify/fedify` 1.5.9) follows a kuvend organisation. Fedify fetches
//! the actor over WebFinger, signs its Follow its own way, and verifies
//! kuvend's signed Accept.

use crate::common::{Backend, TestInstance, available, temp_dir};
use std::{path::PathBuf, process::Command};

fn fedify_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/fedify")
}

/// Whether the pinned packages are installed (`scripts/test` runs `npm ci`
/// before the suite, so that parallel tests never install concurrently).
fn prepare_fedify() -> Result<(), String> {
    if Command::new("node").arg("--version").output().is_err() {
        return Err("node is not installed".into());
    }
    if fedify_dir().join("node_modules/@fedify/fedify").exists() {
        Ok(())
    } else {
        Err("run `npm ci` in tests/interop/fedify (scripts/test does)".into())
    }
}

async fn fedify_follows(backend: Backend) {
    if let Err(why) = prepare_fedify() {
        // On CI the toolchain is there; locally a missing Node is a visible skip.
        assert!(
            std::env::var("CI").is_err(),
            "Fedify interop cannot run on CI: {why}"
        );
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "NOTICE: Fedify interop SKIPPED: {why}");
        return;
    }
    let dir = temp_dir();
    // Node resolves only real names, so this instance is "localhost".
    let kuvend = TestInstance::start("localhost", backend, dir.path()).await;
    let ngo = kuvend.create_org("ngo", false).await;
    let base = kuvend.base_url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("follow.mjs")
            .arg(&base)
            .arg("ngo")
            .current_dir(fedify_dir())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    let report: serde_json::Value = serde_json::from_str(last).unwrap_or_else(|_| {
        panic!(
            "no JSON report; stdout: {stdout}; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["actorType"], "Organization", "{report}");
    assert_eq!(
        report["accepted"], true,
        "Fedify did not accept kuvend's Accept: {report}"
    );
    assert_eq!(report["httpSignatureVerified"], true, "{report}");
    let follower = report["followerId"].as_str().unwrap();
    assert_eq!(
        kuvend.follow_state(follower, &ngo.ap_id).await.as_deref(),
        Some("accepted")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fedify_follows_sqlite() {
    fedify_follows(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fedify_follows_postgres() {
    if available("fedify_follows_postgres", &[Backend::Postgres]) {
        fedify_follows(Backend::Postgres).await;
    }
}
