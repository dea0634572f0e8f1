//! Two kuvend processes on one PostgreSQL database drain one delivery queue:
//! every delivery is sent exactly once, and both answer requests alike.

use crate::common::{
    Backend, Sink, add_sink_followers, available, client, eventually, new_database,
    sink_host_overrides, temp_dir, test_settings,
};
use kuvend::model::Visibility;
use kuvend::{app, service::posts};
use std::time::Duration;
use tokio::net::TcpListener;

const FOLLOWERS: usize = 200;
const HOSTS: usize = 50;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_one_queue() {
    if !available("two_processes_share_one_queue", &[Backend::Postgres]) {
        return;
    }
    let dir = temp_dir();
    let db_url = new_database(Backend::Postgres, dir.path(), "shared").await;
    let first = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = TcpListener::bind("127.0.0.1:0").await.unwrap();
    // Both processes are one instance: the same domain, behind one address.
    let domain = format!("alpha.test:{}", first.local_addr().unwrap().port());
    let mut processes = Vec::new();
    for listener in [first, second] {
        let mut settings = test_settings(&domain, &db_url, listener.local_addr().unwrap());
        settings.federation.host_overrides = sink_host_overrides(HOSTS);
        settings.federation.delivery_concurrency = 4;
        let prepared = app::prepare(settings).await.unwrap();
        processes.push(app::start(prepared, listener).await.unwrap());
    }
    let ctx = processes[0].prepared.ctx.clone();
    let ngo = kuvend::service::orgs::create_organization(
        &ctx,
        kuvend::service::orgs::NewOrganization {
            username: "ngo".into(),
            display_name: "NGO".into(),
            summary: String::new(),
            manually_approves_followers: false,
        },
    )
    .await
    .unwrap();
    let sink = Sink::start(Duration::from_millis(20)).await;
    add_sink_followers(&ctx.db, ngo.id, FOLLOWERS, HOSTS, sink.port).await;

    let post = posts::create_post(
        &processes[0].prepared.data(),
        "ngo",
        posts::NewPost {
            text: "One statement, two hundred inboxes".into(),
            visibility: Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: None,
        },
    )
    .await
    .unwrap();
    let create_id = format!("{}/activity", post.ap_id);
    eventually(
        "every follower inbox is reached",
        Duration::from_secs(60),
        || async {
            let paths: std::collections::BTreeSet<String> = sink
                .receipts()
                .iter()
                .filter(|r| r.activity_id == create_id)
                .map(|r| format!("{}{}", r.host, r.path))
                .collect();
            paths.len() == FOLLOWERS
        },
    )
    .await;
    // Exactly once: no inbox received it twice.
    let receipts: Vec<_> = sink
        .receipts()
        .into_iter()
        .filter(|r| r.activity_id == create_id)
        .collect();
    assert_eq!(
        receipts.len(),
        FOLLOWERS,
        "some inbox received the post twice"
    );

    // Either process answers the API alike.
    for process in &processes {
        let response = client()
            .get(format!(
                "http://alpha.test:{}/users/ngo",
                process.addr.port()
            ))
            .header("accept", "application/activity+json")
            .send()
            .await
            .unwrap();
        let actor: serde_json::Value = response.json().await.unwrap();
        assert_eq!(actor["id"], ngo.ap_id.as_str());
    }
    for process in processes {
        process.stop().await;
    }
}
