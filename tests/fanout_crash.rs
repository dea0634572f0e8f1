//! A post to followers on 20 inboxes, two of them failing for a while, with
//! the server killed (SIGKILL) in the middle of the fan-out: after a restart
//! every inbox gets the post, and nothing is sent for a post whose
//! transaction never committed.

use crate::common::{
    Backend, Sink, add_sink_followers, available, eventually, free_port, new_database, temp_dir,
};
use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

const SINKS: usize = 20;
const CONCURRENCY: usize = 2;

fn write_config(dir: &Path, port: u16, db_url: &str) -> PathBuf {
    let mut overrides = String::from("\"alpha.test\" = \"127.0.0.1\"");
    for n in 1..=SINKS {
        overrides.push_str(&format!(", \"sink{n}.test\" = \"127.0.0.1\""));
    }
    let path = dir.join("alpha.toml");
    std::fs::write(
        &path,
        format!(
            "[instance]\ndomain = \"alpha.test:{port}\"\nhttps = false\n\n[http]\nbind = \"127.0.0.1:{port}\"\n\n\
             [database]\nurl = \"{db_url}\"\n\n[federation]\nallow_private_addresses = true\n\
             host_overrides = {{ {overrides} }}\ndelivery_concurrency = {CONCURRENCY}\nrequest_timeout_secs = 5\n"
        ),
    )
    .unwrap();
    path
}

fn kuvend(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kuvend"))
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

fn serve(config: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kuvend"))
        .arg("--config")
        .arg(config)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn fanout_scenario(backend: Backend) {
    let dir = temp_dir();
    let port = free_port();
    let db_url = new_database(backend, dir.path(), "alpha").await;
    let config = write_config(dir.path(), port, &db_url);
    let out = kuvend(&config, &["admin", "org", "create", "ngo", "--name", "NGO"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Each delivery takes a while, so the kill lands in the middle of the fan-out.
    let sink = Sink::start(Duration::from_millis(300)).await;
    {
        let settings = crate::common::test_settings(
            &format!("alpha.test:{port}"),
            &db_url,
            "127.0.0.1:0".parse().unwrap(),
        );
        let db = kuvend::storage::Db::open(&settings.database).await.unwrap();
        let mut conn = db.conn().await.unwrap();
        let ngo = conn
            .q()
            .local_actor_by_username("ngo")
            .await
            .unwrap()
            .unwrap();
        drop(conn);
        add_sink_followers(&db, ngo.id, SINKS, SINKS, sink.port).await;
    }
    sink.failing_hosts
        .lock()
        .unwrap()
        .extend(["sink1.test".to_string(), "sink2.test".to_string()]);

    // A post whose transaction fails (too long) queues nothing.
    let too_long = "x".repeat(6000);
    let out = kuvend(&config, &["admin", "post", "ngo", &too_long]);
    assert_eq!(out.status.code(), Some(1));
    let out = kuvend(&config, &["admin", "deliveries"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).trim().is_empty(),
        "nothing was queued"
    );

    let out = kuvend(
        &config,
        &["admin", "post", "ngo", "Statement on the new NGO law"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let post_id = page.rsplit('/').next().unwrap().to_string();
    let create_id = format!("http://alpha.test:{port}/users/ngo/statuses/{post_id}/activity");

    let mut server = serve(&config);
    eventually(
        "a few deliveries went out",
        Duration::from_secs(30),
        || async { sink.successes(&create_id).len() >= 4 },
    )
    .await;
    server.kill().unwrap();
    server.wait().unwrap();
    let before_restart = sink.successes(&create_id).len();
    assert!(
        before_restart < SINKS - 2,
        "the kill came after the fan-out ({before_restart} done)"
    );

    let mut server = serve(&config);
    tokio::time::sleep(Duration::from_secs(2)).await;
    sink.failing_hosts.lock().unwrap().clear();
    eventually(
        "every inbox has the post",
        Duration::from_secs(90),
        || async { sink.successes(&create_id).len() == SINKS },
    )
    .await;
    server.kill().unwrap();
    server.wait().unwrap();

    let successes = sink.successes(&create_id);
    // At least once to every inbox; a second copy only where a request was in
    // flight when the process died (answered, but not yet recorded).
    let duplicates: usize = successes.values().map(|n| n - 1).sum();
    assert!(duplicates <= CONCURRENCY, "{successes:?}");
    // The two failing inboxes were retried until they answered.
    for host in ["sink1.test", "sink2.test"] {
        assert!(
            sink.receipts()
                .iter()
                .any(|r| r.host == host && r.status == 500),
            "{host} failed at first"
        );
    }
    // Nothing but this post's Create was ever sent.
    assert!(sink.receipts().iter().all(|r| r.activity_id == create_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_survives_sigkill_sqlite() {
    fanout_scenario(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fanout_survives_sigkill_postgres() {
    if available("fanout_survives_sigkill_postgres", &[Backend::Postgres]) {
        fanout_scenario(Backend::Postgres).await;
    }
}
