//! Reminders (issue 12 item 3): a participant going or maybe going gets
//! one direct note from the organisation, its lead time before the start,
//! addressed to them alone; nobody else, never twice (a restart included),
//! and none when the organiser turned it off. The participants are actors
//! of the stand-in server (tests/common/remote.rs) who join over HTTP.

use crate::common::{Backend, TestInstance, eventually, new_database, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::{
    service::{
        acting::Acting,
        events::{self, EventInput},
    },
    storage::models::ActorRow,
};
use serde_json::{Value, json};
use std::process::Command;
use std::time::Duration;

struct Stage {
    _dir: tempfile::TempDir,
    db_url: String,
    kuvend: TestInstance,
    org: ActorRow,
    remote: Remote,
}

/// Looks for due reminders every second.
async fn instance(db_url: &str, port: u16) -> TestInstance {
    TestInstance::start_configured("alpha.test", db_url, port, |s| {
        s.events.reminder_check_seconds = 1;
    })
    .await
}

impl Stage {
    async fn start(backend: Backend) -> Stage {
        let dir = temp_dir();
        let db_url = new_database(backend, dir.path(), "alpha.test").await;
        let kuvend = instance(&db_url, 0).await;
        let org = kuvend.create_org("ngo", false).await;
        Stage {
            _dir: dir,
            db_url,
            kuvend,
            org,
            remote: Remote::start("events.test").await,
        }
    }

    fn acting(&self) -> Acting {
        Acting::admin(self.org.clone())
    }

    /// A public event of `ngo` starting in ten minutes, with no reminder
    /// yet (so none goes out before the participants have joined).
    async fn event_soon(&self) -> (String, String) {
        let start = (chrono::Utc::now() + chrono::Duration::minutes(10))
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        let input = EventInput {
            name: Some("Forum on water".into()),
            start: Some(start),
            timezone: Some("UTC".into()),
            join_mode: Some("free".into()),
            place: Some("Tirana Youth Center".into()),
            reminder_minutes: Some(0),
            ..EventInput::default()
        };
        let view = events::create_event(&self.kuvend.data(), &self.acting(), input)
            .await
            .unwrap();
        assert_eq!(view.event.reminder_minutes, 0);
        (view.post.ap_id, view.post.url.unwrap())
    }

    async fn set_reminder(&self, event: &str, minutes: i64) {
        let view = events::update_event(
            &self.kuvend.data(),
            &self.acting(),
            event,
            EventInput {
                reminder_minutes: Some(minutes),
                ..EventInput::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(view.event.reminder_minutes, minutes);
    }

    /// A stand-in person at `path` who joins `event`.
    async fn join(&mut self, path: &str, event: &str) -> String {
        let actor = self.remote.actor(path, "Person", None);
        let join = json!({
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": format!("{actor}/join/1"),
            "type": "Join",
            "actor": actor,
            "object": event,
        });
        let (status, reply) = self.remote.send(&actor, &self.org.inbox_url, &join).await;
        assert_eq!(status, 202, "{reply}");
        actor
    }

    /// `actor` says not going (a Friendica-style Reject of the Event).
    async fn not_going(&self, actor: &str, event: &str) {
        let reject = json!({
            "@context": ["https://www.w3.org/ns/activitystreams"],
            "id": format!("{actor}/reject/1"),
            "type": "Reject",
            "actor": actor,
            "object": event,
        });
        let (status, reply) = self.remote.send(actor, &self.org.inbox_url, &reject).await;
        assert_eq!(status, 202, "{reply}");
    }

    async fn settled(&self) {
        eventually("deliveries done", Duration::from_secs(20), || async {
            self.kuvend.pending_deliveries().await == 0
        })
        .await;
    }

    /// The `Create{Note}`s the stand-in received that name `actor`
    /// anywhere in their addressing.
    fn notes_to(&self, actor: &str) -> Vec<Value> {
        self.remote
            .received()
            .into_iter()
            .filter(|a| a["type"] == "Create" && a["object"]["type"] == "Note")
            .filter(|a| {
                ["to", "cc"].iter().any(|f| {
                    a[f].to_string().contains(actor) || a["object"][f].to_string().contains(actor)
                })
            })
            .collect()
    }

    /// Every `Create{Note}` the stand-in received.
    fn notes(&self) -> Vec<Value> {
        self.remote
            .received()
            .into_iter()
            .filter(|a| a["type"] == "Create" && a["object"]["type"] == "Note")
            .collect()
    }
}

/// Lets the reminder task look a few more times (it looks every second).
async fn a_few_ticks() {
    tokio::time::sleep(Duration::from_secs(4)).await;
}

async fn going_participant_is_reminded_once_and_alone(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let (event, page) = stage.event_soon().await;
    let ana = stage.join("/users/ana", &event).await;
    let ben = stage.join("/users/ben", &event).await;
    stage.not_going(&ben, &event).await;
    stage.settled().await;
    assert!(stage.notes().is_empty(), "no reminder while it is off");

    // Ten minutes ahead with a lead time of an hour: due at once.
    stage.set_reminder(&event, 60).await;
    eventually("ana's reminder", Duration::from_secs(20), || {
        let n = stage.notes_to(&ana).len();
        async move { n >= 1 }
    })
    .await;
    stage.settled().await;
    a_few_ticks().await;
    stage.settled().await;

    let to_ana = stage.notes_to(&ana);
    assert_eq!(to_ana.len(), 1, "{to_ana:?}");
    let note = &to_ana[0];
    // Addressed to Ana alone: no public, no followers, nobody else.
    assert_eq!(note["to"], json!([ana]), "{note}");
    assert_eq!(note["object"]["to"], json!([ana]), "{note}");
    for field in ["cc", "bto", "bcc"] {
        for doc in [&note[field], &note["object"][field]] {
            assert!(
                doc.is_null() || doc == &json!([]),
                "{field} is {doc}: {note}"
            );
        }
    }
    let text = note["object"].to_string();
    assert!(!text.contains(&ben), "names Ben: {note}");
    assert!(!text.contains("ActivityStreams#Public"), "{note}");
    let content = note["object"]["content"].as_str().unwrap();
    assert!(content.contains(&page), "no event URL: {content}");
    assert!(content.contains("Forum on water"), "{content}");
    assert!(content.contains("Tirana Youth Center"), "{content}");
    // A Mention tag, so Mastodon notifies Ana.
    let tags = note["object"]["tag"].as_array().unwrap();
    assert!(
        tags.iter()
            .any(|t| t["type"] == "Mention" && t["href"] == ana),
        "{note}"
    );
    assert!(stage.notes_to(&ben).is_empty(), "Ben said not going");
    assert_eq!(stage.notes().len(), 1, "{:?}", stage.notes());

    // A restart on the same database and port: still one.
    let port = stage.kuvend.port;
    stage.kuvend.stop().await;
    stage.kuvend = instance(&stage.db_url, port).await;
    a_few_ticks().await;
    stage.settled().await;
    assert_eq!(stage.notes_to(&ana).len(), 1, "{:?}", stage.notes());
    assert_eq!(stage.notes().len(), 1, "{:?}", stage.notes());
}
on_both_databases!(
    going_participant_is_reminded_once_and_alone,
    going_participant_is_reminded_once_and_alone_sqlite,
    going_participant_is_reminded_once_and_alone_postgres
);

async fn reminder_zero_sends_none(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let (event, _) = stage.event_soon().await;
    let ana = stage.join("/users/ana", &event).await;
    stage.settled().await;
    // Off, and changed while off (a reschedule within the hour): still off.
    events::update_event(
        &stage.kuvend.data(),
        &stage.acting(),
        &event,
        EventInput {
            name: Some("Forum on water, renamed".into()),
            ..EventInput::default()
        },
    )
    .await
    .unwrap();
    a_few_ticks().await;
    stage.settled().await;
    assert!(stage.notes_to(&ana).is_empty(), "{:?}", stage.notes());
    let row = stage.kuvend.event(&event).await.unwrap();
    assert_eq!(row.reminder_minutes, 0);
    assert_eq!(row.reminder_sent_at, None);
}
on_both_databases!(
    reminder_zero_sends_none,
    reminder_zero_sends_none_sqlite,
    reminder_zero_sends_none_postgres
);

/// The command line: `--reminder` is stored; a negative or absurd one is
/// one line on stderr and exit 1.
#[test]
fn cli_refuses_a_negative_or_absurd_reminder() {
    let dir = tempfile::tempdir().unwrap();
    let kuvend = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kuvend"))
            .current_dir(dir.path())
            .env(
                "KUVEND_DATABASE__URL",
                format!("sqlite://{}/k.db", dir.path().display()),
            )
            .env("KUVEND_INSTANCE__DOMAIN", "cso.example")
            .args(args)
            .output()
            .unwrap()
    };
    let out = kuvend(&["admin", "org", "create", "ngo", "--name", "NGO"]);
    assert!(out.status.success(), "{out:?}");
    let create = |reminder: &str| {
        kuvend(&[
            "admin",
            "event",
            "create",
            "ngo",
            "--name",
            "Forum",
            "--start",
            "2099-12-10T18:00",
            "--timezone",
            "Europe/Tirane",
            "--reminder",
            reminder,
        ])
    };
    for bad in ["-5", "43201"] {
        let out = create(bad);
        assert_eq!(out.status.code(), Some(1), "{bad}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains("reminder"), "{err}");
    }
    let out = create("0");
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let out = kuvend(&["admin", "event", "update", &page, "--reminder", "-5"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim().lines().count(),
        1
    );
    let out = kuvend(&["admin", "event", "update", &page, "--reminder", "90"]);
    assert!(out.status.success(), "{out:?}");
}

/// An event found due and then changed before it is claimed (rescheduled
/// to later, or cancelled) is not claimed: the claim checks the event is
/// still as it was found, so no reminder goes out early or for a
/// cancelled event.
async fn change_between_due_and_claim(backend: Backend) {
    let dir = temp_dir();
    let db_url = new_database(backend, dir.path(), "alpha.test").await;
    // The task looks once at start and then not for an hour: the test
    // plays it, step by step.
    let kuvend = TestInstance::start_configured("alpha.test", &db_url, 0, |s| {
        s.events.reminder_check_seconds = 3600;
    })
    .await;
    let org = kuvend.create_org("ngo", false).await;
    let acting = Acting::admin(org.clone());
    let soon = |minutes: i64| {
        (chrono::Utc::now() + chrono::Duration::minutes(minutes))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    };
    let mut events_made = Vec::new();
    for name in ["Rescheduled", "Cancelled"] {
        let view = events::create_event(
            &kuvend.data(),
            &acting,
            EventInput {
                name: Some(name.into()),
                start: Some(soon(10)),
                timezone: Some("UTC".into()),
                reminder_minutes: Some(60),
                ..EventInput::default()
            },
        )
        .await
        .unwrap();
        events_made.push(view.post);
    }
    let now = chrono::Utc::now().naive_utc();
    let due = {
        let mut conn = kuvend.ctx().db.conn().await.unwrap();
        conn.q()
            .due_reminders(now, events::MAX_REMINDER_MINUTES, 50)
            .await
            .unwrap()
    };
    assert_eq!(due.len(), 2, "{due:?}");

    events::update_event(
        &kuvend.data(),
        &acting,
        &events_made[0].id.to_string(),
        EventInput {
            start: Some(soon(300)),
            ..EventInput::default()
        },
    )
    .await
    .unwrap();
    events::cancel_event(
        &kuvend.data(),
        &acting,
        &events_made[1].id.to_string(),
        None,
    )
    .await
    .unwrap();

    let mut conn = kuvend.ctx().db.conn().await.unwrap();
    for found in &due {
        assert!(
            !conn.q().claim_reminder(found, now).await.unwrap(),
            "{found:?} claimed after it changed"
        );
    }
    // The rescheduled one is armed for its new time, not lost.
    let row = conn
        .q()
        .event_by_post(events_made[0].id)
        .await
        .unwrap()
        .unwrap();
    assert!(row.reminder_sent_at.is_none());
}
on_both_databases!(
    change_between_due_and_claim,
    reminder_found_due_then_changed_is_not_claimed_sqlite,
    reminder_found_due_then_changed_is_not_claimed_postgres
);
