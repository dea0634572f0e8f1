//! Issue 15 item 7: `kuvend admin instances` lists other instances'
//! health, `instances clear` gives an unavailable one another chance (its
//! queued delivery is tried at once), and pruning deletes only finished
//! queue rows and received ids older than the cut-off.

use crate::common::{
    Backend, TestInstance, cli_refused, eventually, kuvend_cli, new_database, remote::Remote,
    temp_dir, test_settings,
};
use crate::on_both_databases;
use axum::http::StatusCode;
use kuvend::{service::maintenance, storage::now, transaction};
use std::time::Duration;

fn cli_out(db: &str, args: &[&str]) -> String {
    let out = kuvend_cli(db, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn line_of<'a>(listing: &'a str, domain: &str) -> Option<&'a str> {
    listing
        .lines()
        .find(|l| l.split('\t').next() == Some(domain))
}

async fn instances_list_and_clear(backend: Backend) {
    let dir = temp_dir();
    let alpha = TestInstance::start("alpha.test", backend, dir.path()).await;
    alpha.create_org("ngo", false).await;
    let mut dead = Remote::start("events.test").await;
    let friend = dead.actor("/users/friend", "Person", None);
    *dead.served.post_status.lock().unwrap() = Some(StatusCode::SERVICE_UNAVAILABLE);
    let domain = dead.domain().to_string();
    kuvend::service::follows::follow(&alpha.data(), "ngo", &friend)
        .await
        .unwrap();
    eventually(
        "the first attempt fails",
        Duration::from_secs(20),
        || async {
            let mut conn = alpha.ctx().db.conn().await.unwrap();
            conn.q()
                .instance(&domain)
                .await
                .unwrap()
                .is_some_and(|i| i.failing_since.is_some())
        },
    )
    .await;
    let attempts = dead.received().len();
    // Days of failures, compressed: the instance becomes unavailable, and
    // its delivery's next attempt is an hour away.
    transaction!(alpha.ctx().db, |q| {
        q.record_instance_failure(&domain, chrono::Duration::zero())
            .await?;
        q.record_instance_software("healthy.test", Some("mastodon"), Some("4.3.0"), now())
            .await?;
        let pending = q
            .list_deliveries(Some(kuvend::model::DeliveryState::Pending), 10)
            .await?;
        assert_eq!(pending.len(), 1);
        q.record_failed_attempt(
            pending[0].delivery.id,
            Some(503),
            "HTTP 503",
            now() + chrono::Duration::hours(1),
            false,
        )
        .await
    })
    .unwrap();

    let unavailable = cli_out(&alpha.db_url, &["admin", "instances", "--unavailable"]);
    let line = line_of(&unavailable, &domain).unwrap_or_else(|| panic!("{unavailable}"));
    assert!(line.contains("\tunavailable\t"), "{line}");
    assert!(line.contains("queued 1"), "{line}");
    assert!(line.contains("last success -"), "{line}");
    assert!(
        line_of(&unavailable, "healthy.test").is_none(),
        "{unavailable}"
    );
    let all = cli_out(&alpha.db_url, &["admin", "instances"]);
    let healthy = line_of(&all, "healthy.test").unwrap_or_else(|| panic!("{all}"));
    assert!(healthy.contains("mastodon 4.3.0"), "{healthy}");
    assert!(healthy.contains("\tavailable\t"), "{healthy}");
    assert!(line_of(&all, &domain).is_some(), "{all}");

    // It is back: cleared, its delivery is tried at once, not in an hour.
    *dead.served.post_status.lock().unwrap() = None;
    let cleared = cli_out(&alpha.db_url, &["admin", "instances", "clear", &domain]);
    assert!(
        cleared.contains("1 queued deliveries are due now"),
        "{cleared}"
    );
    eventually(
        "the Follow is tried again",
        Duration::from_secs(5),
        || async { dead.received().len() > attempts && alpha.pending_deliveries().await == 0 },
    )
    .await;
    let after = cli_out(&alpha.db_url, &["admin", "instances"]);
    let line = line_of(&after, &domain).unwrap();
    assert!(line.contains("\tavailable\t"), "{line}");
    assert!(line.contains("queued 0"), "{line}");
    assert!(!line.contains("last success -"), "{line}");
    cli_refused(
        &alpha.db_url,
        &["admin", "instances", "clear", "nowhere.test"],
        "no known instance nowhere.test",
    );
}

on_both_databases!(
    instances_list_and_clear,
    instances_list_and_clear_sqlite,
    instances_list_and_clear_postgres
);

async fn prune_removes_only_old_finished_rows(backend: Backend) {
    let dir = temp_dir();
    let db_url = new_database(backend, dir.path(), "alpha.test").await;
    // Prepared, not started: no worker sends (and changes) the queue rows.
    let settings = test_settings("alpha.test", &db_url, "127.0.0.1:9".parse().unwrap());
    let prepared = kuvend::app::prepare(settings).await.unwrap();
    let ctx = &prepared.ctx;
    let org = kuvend::service::orgs::create_organization(
        ctx,
        kuvend::service::orgs::NewOrganization {
            username: "ngo".into(),
            display_name: "NGO".into(),
            summary: String::new(),
            manually_approves_followers: false,
        },
    )
    .await
    .unwrap();
    // One delivered, one given up, one pending, and one received id, made
    // in `generation` (old, then new).
    let make = |generation: &'static str| {
        let ctx = ctx.clone();
        let org = org.clone();
        async move {
            transaction!(ctx.db, |q| {
                let mut ids = Vec::new();
                for state in ["delivered", "failed", "pending"] {
                    let activity = q
                        .enqueue_activity(
                            &format!("http://alpha.test/activities/{generation}-{state}"),
                            "Create",
                            org.id,
                            "{}",
                            &[format!("http://beta.test/{generation}/{state}/inbox")],
                        )
                        .await?;
                    let delivery = q
                        .list_deliveries(None, 1)
                        .await?
                        .pop()
                        .filter(|d| d.delivery.activity_id == activity.id)
                        .expect("its delivery");
                    ids.push(delivery.delivery.id);
                    match state {
                        "delivered" => q.mark_delivered(delivery.delivery.id, 202).await?,
                        "failed" => {
                            q.record_failed_attempt(
                                delivery.delivery.id,
                                Some(410),
                                "gone",
                                now(),
                                true,
                            )
                            .await?
                        }
                        _ => {}
                    }
                }
                q.record_received_activity(
                    &format!("http://beta.test/activities/{generation}"),
                    "Like",
                    org.id,
                )
                .await?;
                Ok::<_, kuvend::storage::StorageError>(ids)
            })
            .unwrap()
        }
    };
    let old = make("old").await;
    // Timestamps have microseconds; the cut-off must fall strictly between.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let cutoff = now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let new = make("new").await;

    // The CLI with its defaults (a week, two weeks) removes nothing new.
    let out = cli_out(&db_url, &["admin", "prune"]);
    assert_eq!(
        out.trim(),
        "pruned 0 finished deliveries and 0 received activity ids"
    );

    let pruned = maintenance::prune_before(ctx, Some(cutoff), Some(cutoff))
        .await
        .unwrap();
    assert_eq!((pruned.deliveries, pruned.received), (2, 1));
    let mut conn = ctx.db.conn().await.unwrap();
    let left: Vec<i64> = conn
        .q()
        .list_deliveries(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.delivery.id)
        .collect();
    // The old pending delivery stays; every new row stays.
    assert!(left.contains(&old[2]), "{left:?}");
    assert!(
        !left.contains(&old[0]) && !left.contains(&old[1]),
        "{left:?}"
    );
    for id in &new {
        assert!(left.contains(id), "{left:?}");
    }
    let received = |id: &str| {
        let id = id.to_string();
        let ctx = ctx.clone();
        async move {
            let mut conn = ctx.db.conn().await.unwrap();
            conn.q().activity_by_ap_id(&id).await.unwrap().is_some()
        }
    };
    assert!(!received("http://beta.test/activities/old").await);
    assert!(received("http://beta.test/activities/new").await);
    // Our own activities are not received ids: kept.
    assert!(received("http://alpha.test/activities/old-delivered").await);
    // Nothing left to prune before the cut-off.
    let again = maintenance::prune_before(ctx, Some(cutoff), Some(cutoff))
        .await
        .unwrap();
    assert_eq!((again.deliveries, again.received), (0, 0));
}

on_both_databases!(
    prune_removes_only_old_finished_rows,
    prune_removes_only_old_finished_rows_sqlite,
    prune_removes_only_old_finished_rows_postgres
);

/// `kuvend admin instances --blocked`: only the known instances a domain
/// block (here or on a parent domain) covers, each with the severity.
async fn instances_blocked_listed_with_severity(backend: Backend) {
    let dir = temp_dir();
    let db_url = new_database(backend, dir.path(), "alpha.test").await;
    let settings = test_settings("alpha.test", &db_url, "127.0.0.1:9".parse().unwrap());
    let prepared = kuvend::app::prepare(settings).await.unwrap();
    let ctx = &prepared.ctx;
    transaction!(ctx.db, |q| {
        for domain in ["fine.test", "hushed.test", "sub.gone.test", "other.test"] {
            q.record_delivered_to(domain).await?;
        }
        Ok(())
    })
    .unwrap();
    for args in [
        ["hushed.test", "silence", "--reject-media"],
        ["gone.test", "suspend", "--private"],
        ["other.test", "noop", "--private"],
    ] {
        cli_out(
            &db_url,
            &[
                "admin",
                "domain-block",
                "add",
                args[0],
                "--severity",
                args[1],
                args[2],
            ],
        );
    }
    cli_out(&db_url, &["admin", "domain-block", "remove", "other.test"]);
    let blocked = cli_out(&db_url, &["admin", "instances", "--blocked"]);
    assert_eq!(blocked.lines().count(), 2, "{blocked}");
    let hushed = line_of(&blocked, "hushed.test").unwrap_or_else(|| panic!("{blocked}"));
    assert!(hushed.ends_with("\tsilence, reject-media"), "{hushed}");
    let gone = line_of(&blocked, "sub.gone.test").unwrap_or_else(|| panic!("{blocked}"));
    assert!(gone.ends_with("\tsuspend"), "{gone}");
    assert!(gone.contains("\tavailable\t"), "{gone}");
    // Without the filter, every known instance, no severity column.
    let all = cli_out(&db_url, &["admin", "instances"]);
    assert_eq!(all.lines().count(), 4, "{all}");
    assert!(
        line_of(&all, "fine.test").is_some_and(|l| l.ends_with("queued 0")),
        "{all}"
    );
}

on_both_databases!(
    instances_blocked_listed_with_severity,
    instances_blocked_listed_with_severity_sqlite,
    instances_blocked_listed_with_severity_postgres
);
