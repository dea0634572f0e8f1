//! The whole benchmark at toy sizes: `kuvend-bench` starts a kuvend server
//! process, sinks and load on its own, and every inbox request and delivery
//! must succeed. It measures the `kuvend` binary beside it, which the
//! workspace's test build (`scripts/test`) builds too.
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn bench_runs_every_part_and_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let work = dir.path().join("work");
    let out = Command::new(env!("CARGO_BIN_EXE_kuvend-bench"))
        .current_dir(dir.path())
        .args([
            "--seconds",
            "1",
            "--statuses",
            "300",
            "--actors",
            "8",
            "--followers",
            "40",
            "--inbox-requests",
            "60",
            "--settle-seconds",
            "0",
            // A debug build beside the other tests takes far less than 500/s.
            "--timeline-inbox-rate",
            "20",
            "--dir",
            work.to_str().unwrap(),
            "--json",
            json.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("verify, aws-lc-rs parsed key (kuvend)"),
        "{table}"
    );
    assert!(table.contains("[b. fan-out]"), "{table}");
    assert!(table.contains("[b. relay]"), "{table}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let rates = report["crypto"].as_array().unwrap();
    assert_eq!(rates.len(), 6);
    assert!(
        rates
            .iter()
            .all(|r| r["per_second"].as_f64().unwrap() > 0.0)
    );
    let backends = report["backends"].as_array().unwrap();
    assert_eq!(backends[0]["backend"], "SQLite");
    if std::env::var_os("KUVEND_REQUIRE_POSTGRES").is_some() {
        assert_eq!(backends.len(), 2, "the bench ran on PostgreSQL too");
    }
    for backend in backends {
        // Notes record failed requests and inboxes not reached.
        assert_eq!(backend["notes"], serde_json::json!([]), "{backend}");
        let value = |name: &str| {
            backend["measures"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["name"].as_str().unwrap().starts_with(name))
                .unwrap_or_else(|| panic!("no {name} in {backend}"))["value"]
                .as_f64()
                .unwrap()
        };
        assert!(value("Create{Note} 2 KiB from 8 actors") > 0.0);
        assert!(value("40 separate inboxes: wall time") > 0.0);
        // The relay reached every inbox (else a note above), in finite time,
        // beside a measured signing floor.
        for scenario in [
            "40 followers on 40 instances (shared inboxes)",
            "40 separate inboxes",
        ] {
            let wall = value(&format!("{scenario}: member's post to last relay 2xx"));
            assert!(wall.is_finite() && wall > 0.0, "{scenario}: {wall}");
            assert!(value(&format!("{scenario}: floor, 40 signatures")) > 0.0);
            assert!(value(&format!("{scenario}: wall time / floor")).is_finite());
        }
        assert!(value("home, following 10, no other load: p50") > 0.0);
        assert!(value("home, following 1000, 20 inbox activities/s alongside: p99") > 0.0);
        assert!(value("RSS idle") > 1.0);
        assert!(value("database MB per 100,000") > 0.0);
    }
}

/// Without a server to measure, it says so in one line and fails.
#[test]
fn bench_without_a_server_binary_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-kuvend");
    let out = Command::new(env!("CARGO_BIN_EXE_kuvend-bench"))
        .current_dir(dir.path())
        .env_remove("KUVEND_TEST_POSTGRES_URL")
        .args(["--parts", "inbox", "--statuses", "0", "--actors", "1"])
        .args(["--inbox-requests", "1", "--settle-seconds", "0"])
        .arg("--server")
        .arg(&missing)
        .arg("--dir")
        .arg(dir.path().join("work"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("kuvend serve"), "{stderr}");
}
