//! Subscribed block lists (issue 15 item 3): a CSV in Mastodon's export
//! format served by a stand-in remote (`Remote::put_raw`) or read from a
//! file, applied as blocks or suggestions, and retracted, only its own.

use crate::common::{Backend, TestInstance, cli_refused, kuvend_cli, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::federation::domain_policy::Severity;
use kuvend::service::{
    blocklists::{self, Mode},
    domain_policy::{self, BlockRequest},
};

const HEADER: &str = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n";

/// Every block as (domain, severity, added by a list).
async fn blocks(kuvend: &TestInstance) -> Vec<(String, String, Option<i64>)> {
    domain_policy::blocks(kuvend.ctx())
        .await
        .unwrap()
        .into_iter()
        .map(|b| (b.domain, b.severity, b.source))
        .collect()
}

fn csv(rows: &[&str]) -> String {
    format!("{HEADER}{}\n", rows.join("\n"))
}

async fn subscribed_list_applies_then_retracts_only_its_own(backend: Backend) {
    let dir = temp_dir();
    let mut kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let lists = Remote::start("gancio.test").await;
    // Blocked by hand before the list arrives.
    domain_policy::block(
        kuvend.ctx(),
        BlockRequest {
            domain: "manual.example",
            severity: Severity::Silence,
            reject_media: false,
            reason: Some("ours"),
            private: false,
        },
    )
    .await
    .unwrap();
    lists.put_raw(
        "/blocklist.csv",
        "text/csv",
        csv(&[
            "spam.example,suspend,false,false,spam,false",
            "loud.example,silence,true,false,,false",
            "manual.example,suspend,false,false,theirs,false",
            "hidd**.example,suspend,false,false,,true",
            "alpha.test,suspend,false,false,,false",
        ]),
    );
    let url = lists.url("/blocklist.csv");
    let done = blocklists::subscribe(kuvend.ctx(), &url, Mode::Auto)
        .await
        .expect("subscribe");
    assert_eq!((done.added, done.kept_manual), (2, 1));
    assert_eq!(
        (done.obfuscated, done.invalid),
        (1, 1),
        "obfuscated and own domain skipped"
    );
    let id = done.id;
    assert_eq!(
        blocks(&kuvend).await,
        vec![
            ("loud.example".into(), "silence".into(), Some(id)),
            ("manual.example".into(), "silence".into(), None),
            ("spam.example".into(), "suspend".into(), Some(id)),
        ],
        "the hand-made block is left as it was"
    );
    let policy = kuvend.ctx().policy().await;
    assert!(!policy.federates("spam.example"));
    assert!(!policy.federates("sub.spam.example"));
    assert!(policy.silenced("loud.example"));
    assert!(policy.federates("alpha.test"));

    // The list drops two entries (its own and the hand-made one) and
    // changes the severity of the third.
    lists.put_raw(
        "/blocklist.csv",
        "text/csv",
        csv(&["spam.example,silence,false,false,spam,false"]),
    );
    let done = blocklists::refresh(kuvend.ctx(), id)
        .await
        .expect("refresh");
    assert_eq!((done.updated, done.removed), (1, 1));
    assert_eq!(
        blocks(&kuvend).await,
        vec![
            ("manual.example".into(), "silence".into(), None),
            ("spam.example".into(), "silence".into(), Some(id)),
        ]
    );
    let policy = kuvend.ctx().policy().await;
    assert!(policy.federates("loud.example") && !policy.silenced("loud.example"));
    assert!(policy.silenced("manual.example"));

    // Unsubscribing removes what is left of its blocks, not the admin's.
    assert_eq!(
        blocklists::unsubscribe(kuvend.ctx(), id, false)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        blocks(&kuvend).await,
        vec![("manual.example".into(), "silence".into(), None)]
    );
    kuvend.stop().await;
}

on_both_databases!(
    subscribed_list_applies_then_retracts_only_its_own,
    subscribed_list_applies_then_retracts_only_its_own_sqlite,
    subscribed_list_applies_then_retracts_only_its_own_postgres
);

async fn review_mode_suggests(backend: Backend) {
    let dir = temp_dir();
    let mut kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let lists = Remote::start("gancio.test").await;
    // A list without a header: one domain a line, each a suspension.
    lists.put_raw(
        "/plain.txt",
        "text/plain",
        "spam.example\nloud.example\nmore.example\n".into(),
    );
    let done = blocklists::subscribe(kuvend.ctx(), &lists.url("/plain.txt"), Mode::Review)
        .await
        .expect("subscribe");
    assert_eq!((done.added, done.suggested), (0, 3));
    assert!(
        blocks(&kuvend).await.is_empty(),
        "review mode blocks nothing"
    );
    let pending = |kuvend: &TestInstance| {
        let ctx = kuvend.ctx().clone();
        async move {
            blocklists::suggestions(&ctx)
                .await
                .unwrap()
                .into_iter()
                .map(|s| (s.domain, s.severity))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        pending(&kuvend).await,
        vec![
            ("loud.example".to_string(), "suspend".to_string()),
            ("more.example".into(), "suspend".into()),
            ("spam.example".into(), "suspend".into()),
        ]
    );

    assert_eq!(
        blocklists::accept(kuvend.ctx(), Some("SPAM.example."))
            .await
            .unwrap(),
        vec!["spam.example".to_string()]
    );
    blocklists::dismiss(kuvend.ctx(), "loud.example")
        .await
        .unwrap();
    assert_eq!(
        pending(&kuvend).await,
        vec![("more.example".to_string(), "suspend".to_string())]
    );
    assert_eq!(
        blocks(&kuvend).await,
        vec![("spam.example".into(), "suspend".into(), Some(done.id))]
    );
    assert!(!kuvend.ctx().policy().await.federates("spam.example"));

    // A re-read does not offer the dismissed one again; when the list
    // drops the accepted entry and another, both go.
    blocklists::refresh(kuvend.ctx(), done.id).await.unwrap();
    assert_eq!(pending(&kuvend).await.len(), 1);
    lists.put_raw("/plain.txt", "text/plain", "loud.example\n".into());
    let again = blocklists::refresh(kuvend.ctx(), done.id).await.unwrap();
    assert_eq!((again.removed, again.unsuggested), (1, 1));
    assert!(blocks(&kuvend).await.is_empty());
    assert!(
        pending(&kuvend).await.is_empty(),
        "loud.example stays dismissed"
    );
    kuvend.stop().await;
}

on_both_databases!(
    review_mode_suggests,
    review_mode_suggests_sqlite,
    review_mode_suggests_postgres
);

async fn bad_list_changes_nothing(backend: Backend) {
    let dir = temp_dir();
    let mut kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let lists = Remote::start("gancio.test").await;
    lists.put_raw(
        "/list.csv",
        "text/csv",
        csv(&["spam.example,suspend,false,false,,false"]),
    );
    let done = blocklists::subscribe(kuvend.ctx(), &lists.url("/list.csv"), Mode::Auto)
        .await
        .unwrap();
    let before = blocks(&kuvend).await;
    assert_eq!(before.len(), 1);

    // Over the row bound: refused whole, the error recorded.
    let huge: String = (0..=blocklists::MAX_LIST_ROWS)
        .map(|i| format!("d{i}.example\n"))
        .collect();
    lists.put_raw("/list.csv", "text/csv", huge);
    let err = blocklists::refresh(kuvend.ctx(), done.id)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("more than"), "{err}");
    assert_eq!(blocks(&kuvend).await, before);
    let row = &blocklists::subscriptions(kuvend.ctx()).await.unwrap()[0];
    assert!(
        row.last_error
            .as_deref()
            .unwrap_or_default()
            .contains("more than")
    );
    assert_eq!(row.entries, 1);

    // A list that cannot be fetched: nothing subscribed.
    let err = blocklists::subscribe(kuvend.ctx(), &lists.url("/missing.csv"), Mode::Auto)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("404"), "{err}");
    // Only http(s) URLs or files.
    let err = blocklists::subscribe(kuvend.ctx(), "ftp://lists.test/list.csv", Mode::Auto)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only http(s)"), "{err}");
    // A URL an address literal points to (SSRF): refused by the fetcher.
    let err = blocklists::subscribe(kuvend.ctx(), "http://127.0.0.1:9/list.csv", Mode::Auto)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not an address"), "{err}");
    assert_eq!(
        blocklists::subscriptions(kuvend.ctx()).await.unwrap().len(),
        1
    );
    assert_eq!(blocks(&kuvend).await, before);
    kuvend.stop().await;
}

on_both_databases!(
    bad_list_changes_nothing,
    bad_list_changes_nothing_sqlite,
    bad_list_changes_nothing_postgres
);

async fn file_list(backend: Backend) {
    let dir = temp_dir();
    let mut kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    let db_url = kuvend.db_url.clone();
    let file = dir.path().join("list.csv");
    // kuvend_cli runs as cso.example: its own domain is never blocked.
    std::fs::write(
        &file,
        csv(&[
            "spam.example,suspend,false,false,spam,false",
            "cso.example,suspend,false,false,,false",
            "b*d.example,silence,false,false,,true",
        ]),
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let run = |args: &[&str]| {
        let out = kuvend_cli(&db_url, args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let said = run(&["admin", "blocklist", "subscribe", path]);
    assert!(
        said.contains("1 blocked") && said.contains("1 obfuscated"),
        "{said}"
    );
    assert_eq!(
        blocks(&kuvend).await,
        vec![("spam.example".into(), "suspend".into(), Some(1))]
    );
    let listed = run(&["admin", "blocklist", "list"]);
    assert!(
        listed.contains(path) && listed.contains("auto") && listed.contains("1 entries"),
        "{listed}"
    );

    // The file goes away: the refresh fails, says so, and keeps the blocks.
    std::fs::remove_file(&file).unwrap();
    cli_refused(&db_url, &["admin", "blocklist", "refresh", "1"], "list.csv");
    assert_eq!(blocks(&kuvend).await.len(), 1);
    assert!(run(&["admin", "blocklist", "list"]).contains("error:"));

    // --keep-blocks makes them the admin's.
    let said = run(&["admin", "blocklist", "unsubscribe", "1", "--keep-blocks"]);
    assert!(said.contains("1 blocks kept"), "{said}");
    assert_eq!(
        blocks(&kuvend).await,
        vec![("spam.example".into(), "suspend".into(), None)]
    );
    cli_refused(
        &db_url,
        &["admin", "blocklist", "subscribe", path],
        "list.csv",
    );
    kuvend.stop().await;
}

on_both_databases!(file_list, file_list_sqlite, file_list_postgres);

/// A list of the largest size read (100,000 rows) is applied, and half of
/// it retracted, in batches; an admin's own block among them stays. The
/// times are printed for the record (run with `--nocapture`), not asserted.
async fn large_list_in_batches(backend: Backend) {
    let dir = temp_dir();
    let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
    domain_policy::block(
        kuvend.ctx(),
        BlockRequest {
            domain: "d7.example",
            severity: Severity::Silence,
            reject_media: false,
            reason: Some("ours"),
            private: false,
        },
    )
    .await
    .unwrap();
    let file = dir.path().join("big.csv");
    let rows = |n: usize| {
        let mut text = HEADER.to_string();
        for i in 0..n {
            text.push_str(&format!("d{i}.example,suspend,false,false,x,false\n"));
        }
        text
    };
    std::fs::write(&file, rows(blocklists::MAX_LIST_ROWS)).unwrap();
    let path = file.to_str().unwrap();
    let started = std::time::Instant::now();
    let done = blocklists::subscribe(kuvend.ctx(), path, Mode::Auto)
        .await
        .expect("subscribe");
    eprintln!(
        "{backend:?}: 100,000 rows applied in {:?}",
        started.elapsed()
    );
    assert_eq!(done.added, blocklists::MAX_LIST_ROWS - 1);
    assert_eq!(done.kept_manual, 1);
    let all = blocks(&kuvend).await;
    assert_eq!(all.len(), blocklists::MAX_LIST_ROWS);
    assert!(all.contains(&("d7.example".into(), "silence".into(), None)));
    assert!(all.contains(&("d99999.example".into(), "suspend".into(), Some(done.id))));

    std::fs::write(&file, rows(blocklists::MAX_LIST_ROWS / 2)).unwrap();
    let started = std::time::Instant::now();
    let again = blocklists::refresh(kuvend.ctx(), done.id)
        .await
        .expect("refresh");
    eprintln!(
        "{backend:?}: 50,000 rows retracted in {:?}",
        started.elapsed()
    );
    assert_eq!(again.removed, blocklists::MAX_LIST_ROWS / 2);
    assert_eq!(again.added, 0);
    let all = blocks(&kuvend).await;
    assert_eq!(all.len(), blocklists::MAX_LIST_ROWS / 2);
    assert!(all.contains(&("d7.example".into(), "silence".into(), None)));
    assert!(!all.iter().any(|b| b.0 == "d99999.example"));
}

on_both_databases!(
    large_list_in_batches,
    large_list_in_batches_sqlite,
    large_list_in_batches_postgres
);
