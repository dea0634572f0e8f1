//! The admin command line: clear one-line errors and exit codes.

use std::process::{Command, Output};

fn kuvend(dir: &std::path::Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kuvend"));
    command
        .current_dir(dir)
        .env(
            "KUVEND_DATABASE__URL",
            format!("sqlite://{}/k.db", dir.display()),
        )
        .env("KUVEND_INSTANCE__DOMAIN", "cso.example");
    for (k, v) in env {
        command.env(k, v);
    }
    command.args(args).output().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_string()
}

#[test]
fn organisations_are_created_listed_and_shown() {
    let dir = tempfile::tempdir().unwrap();
    let out = kuvend(
        dir.path(),
        &[],
        &[
            "admin",
            "org",
            "create",
            "ngo",
            "--name",
            "Our NGO",
            "--manual-approval",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("@ngo@cso.example"));
    let out = kuvend(dir.path(), &[], &["admin", "org", "list"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "@ngo@cso.example\tOur NGO"
    );
    let out = kuvend(dir.path(), &[], &["admin", "org", "show", "NGO"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("manual approval: yes"), "{text}");
    assert!(text.contains("id: https://cso.example/users/ngo"), "{text}");
}

#[test]
fn bad_names_and_duplicates_are_refused_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(
        kuvend(
            dir.path(),
            &[],
            &["admin", "org", "create", "ngo", "--name", "A"]
        )
        .status
        .success()
    );
    for (name, expected) in [
        ("NGO", "already taken"),
        ("with-dash", "only letters"),
        ("a_name_that_is_much_longer_than_thirty", "longer than 30"),
    ] {
        let out = kuvend(
            dir.path(),
            &[],
            &["admin", "org", "create", name, "--name", "B"],
        );
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("error: ") && err.contains(expected),
            "{err}"
        );
    }
    let out = kuvend(dir.path(), &[], &["admin", "org", "list"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

#[test]
fn bad_configuration_exits_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = kuvend(
        dir.path(),
        &[("KUVEND_INSTANCE__HTTPS", "maybe")],
        &["admin", "org", "list"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("instance.https"), "{}", stderr(&out));
    assert_eq!(stderr(&out).lines().count(), 1);

    let out = kuvend(
        dir.path(),
        &[("KUVEND_INSTANCE__DOMAIN", "10.0.0.1")],
        &["admin", "org", "list"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("instance.domain"), "{}", stderr(&out));

    let out = kuvend(
        dir.path(),
        &[],
        &[
            "--config",
            "/nonexistent/kuvend.toml",
            "admin",
            "org",
            "list",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("/nonexistent/kuvend.toml"),
        "{}",
        stderr(&out)
    );

    std::fs::write(dir.path().join("bad.toml"), "[http]\nbind = 8080\n").unwrap();
    let out = kuvend(
        dir.path(),
        &[],
        &["--config", "bad.toml", "admin", "org", "list"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("http.bind"), "{}", stderr(&out));
}

#[test]
fn unopenable_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), "").unwrap();
    let url = format!("sqlite://{}/file/sub/k.db", dir.path().display());
    let out = kuvend(
        dir.path(),
        &[("KUVEND_DATABASE__URL", &url)],
        &["admin", "org", "list"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot open database") && err.contains("file/sub/k.db"),
        "{err}"
    );
}

#[test]
fn default_database_is_created_in_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kuvend"))
        .current_dir(dir.path())
        .env_remove("KUVEND_DATABASE__URL")
        .args(["admin", "org", "list"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("data/kuvend.db").exists());
}

/// The whole benchmark at toy sizes: it starts a server process, sinks and
/// load on its own, and every inbox request and delivery must succeed.
#[test]
fn bench_runs_every_part_and_writes_json() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("bench.json");
    let work = dir.path().join("work");
    let out = kuvend(
        dir.path(),
        &[],
        &[
            "bench",
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
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("verify, aws-lc-rs parsed key (kuvend)"),
        "{table}"
    );
    assert!(table.contains("[b. fan-out]"), "{table}");
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
        assert!(value("home, following 10, no other load: p50") > 0.0);
        assert!(value("home, following 1000, 20 inbox activities/s alongside: p99") > 0.0);
        assert!(value("RSS idle") > 1.0);
        assert!(value("database MB per 100,000") > 0.0);
    }
}
