//! The delivery queue survives SIGKILL: the built binary queues an Accept for
//! an inbox that is down, is killed, restarts, and delivers it once the inbox
//! is back.

use crate::common::{
    Backend, TestInstance, available, client, eventually, free_port, new_database, temp_dir,
};
use kuvend::service::follows;
use std::{
    path::Path,
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

fn write_config(dir: &Path, port: u16, db_url: &str) -> std::path::PathBuf {
    let path = dir.join("alpha.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[instance]
domain = "alpha.test:{port}"
https = false

[http]
bind = "127.0.0.1:{port}"

[database]
url = "{db_url}"

[federation]
allow_private_addresses = true
host_overrides = {{ "alpha.test" = "127.0.0.1", "beta.test" = "127.0.0.1" }}
request_timeout_secs = 3
"#,
        ),
    )
    .unwrap();
    path
}

fn kuvend(config: &Path, args: &[&str]) -> Output {
    let output = Command::new(env!("CARGO_BIN_EXE_kuvend"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "kuvend {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn serve(config: &Path, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    Command::new(env!("CARGO_BIN_EXE_kuvend"))
        .arg("--config")
        .arg(config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

async fn wait_until_up(port: u16) {
    eventually("alpha answers", Duration::from_secs(20), || async move {
        client()
            .get(format!("http://alpha.test:{port}/.well-known/nodeinfo"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_accept_survives_sigkill_sqlite() {
    crash_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_accept_survives_sigkill_postgres() {
    if available(
        "queued_accept_survives_sigkill_postgres",
        &[Backend::Postgres],
    ) {
        crash_scenario(Backend::Postgres).await;
    }
}

async fn crash_scenario(alpha_db: Backend) {
    let dir = temp_dir();
    let port = free_port();
    let db_url = new_database(alpha_db, dir.path(), "alpha").await;
    let config = write_config(dir.path(), port, &db_url);
    kuvend(
        &config,
        &[
            "admin",
            "org",
            "create",
            "ngo",
            "--name",
            "The NGO",
            "--manual-approval",
        ],
    );
    let mut alpha = serve(&config, &dir.path().join("alpha-1.log"));
    wait_until_up(port).await;

    let mut beta = TestInstance::start("beta.test", Backend::Sqlite, dir.path()).await;
    let supporter = beta.create_org("supporter", false).await;
    let alpha_ngo = format!("http://alpha.test:{port}/users/ngo");
    follows::follow(&beta.data(), "supporter", &format!("ngo@alpha.test:{port}"))
        .await
        .unwrap();
    eventually(
        "alpha holds the follow request",
        Duration::from_secs(20),
        || {
            let config = config.clone();
            async move {
                let out = kuvend(&config, &["admin", "followers", "ngo", "--pending"]);
                String::from_utf8_lossy(&out.stdout).contains("supporter@beta.test")
            }
        },
    )
    .await;

    // The follower's inbox goes down; the Accept is queued and cannot be sent.
    beta.stop().await;
    let beta_port = beta.port;
    kuvend(
        &config,
        &["admin", "followers", "approve", "ngo", &supporter.ap_id],
    );
    eventually(
        "alpha tried and failed once",
        Duration::from_secs(20),
        || {
            let config = config.clone();
            async move {
                let out = kuvend(&config, &["admin", "deliveries"]);
                let text = String::from_utf8_lossy(&out.stdout).to_string();
                text.lines().any(|l| {
                    l.contains("Accept") && l.contains("pending") && l.contains("attempts=1")
                })
            }
        },
    )
    .await;

    // SIGKILL: no chance to flush or clean up.
    alpha.kill().unwrap();
    alpha.wait().unwrap();
    let mut alpha = serve(&config, &dir.path().join("alpha-2.log"));
    wait_until_up(port).await;

    // The inbox comes back on the same address, with the same database.
    let beta = TestInstance::start_on("beta.test", &beta.db_url.clone(), beta_port).await;
    eventually(
        "the Accept arrives after the restart",
        Duration::from_secs(90),
        || async {
            beta.follow_state(&supporter.ap_id, &alpha_ngo)
                .await
                .as_deref()
                == Some("accepted")
        },
    )
    .await;
    let out = kuvend(&config, &["admin", "deliveries"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        text.lines()
            .any(|l| l.contains("Accept") && l.contains("delivered")),
        "{text}"
    );
    alpha.kill().unwrap();
    alpha.wait().unwrap();
}
