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

/// Staff administration from the command line: each command says what it
/// did in one line, and a mistake is one line on stderr with exit 1.
#[test]
fn staff_can_be_removed_disabled_revoked_and_given_a_new_password() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| kuvend(dir.path(), &[], args);
    let password = dir.path().join("password");
    std::fs::write(&password, "first password\n").unwrap();
    let password_arg = password.to_str().unwrap();
    assert!(
        run(&["admin", "org", "create", "ngo", "--name", "NGO"])
            .status
            .success()
    );
    let out = run(&[
        "admin",
        "user",
        "create",
        "staff@ngo.example",
        "--password-file",
        password_arg,
        "--org",
        "ngo",
        "--role",
        "editor",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = run(&["admin", "user", "revoke-tokens", "staff@ngo.example"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "revoked 0 token(s) of staff@ngo.example"
    );
    std::fs::write(&password, "second password\n").unwrap();
    let out = run(&[
        "admin",
        "user",
        "set-password",
        "staff@ngo.example",
        "--password-file",
        password_arg,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&[
        "admin",
        "user",
        "remove-from-org",
        "staff@ngo.example",
        "ngo",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "staff@ngo.example is no longer on the staff of ngo"
    );
    let out = run(&["admin", "user", "disable", "staff@ngo.example"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["admin", "user", "list"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "staff@ngo.example\tdisabled",
        "disabled, and on no organisation's staff"
    );

    // Mistakes: one line, exit 1, nothing changed.
    for (args, expected) in [
        (
            vec![
                "admin",
                "user",
                "remove-from-org",
                "staff@ngo.example",
                "ngo",
            ],
            "error: staff@ngo.example is not on the staff of ngo",
        ),
        (
            vec!["admin", "user", "disable", "nobody@ngo.example"],
            "error: no login nobody@ngo.example",
        ),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&out), expected, "{args:?}");
    }
    std::fs::write(&password, "short\n").unwrap();
    let out = run(&[
        "admin",
        "user",
        "set-password",
        "staff@ngo.example",
        "--password-file",
        password_arg,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: password must have at least 8 characters"
    );
}
