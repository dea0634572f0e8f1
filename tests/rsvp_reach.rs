//! Participants reached (issue 12 item 3): whoever answered an event of ours
//! going, maybe, pending or waitlisted hears of every change to it (and of
//! its deletion), follower of the organisation or not, without the
//! activity's addressing revealing who else takes part. The participants
//! are actors of a stand-in server (tests/common/remote.rs) who join over
//! HTTP; what the instance delivers is what the stand-in received.

use crate::common::{Backend, TestInstance, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::{
    service::{
        acting::Acting,
        events::{self, EventInput},
    },
    storage::models::ActorRow,
};
use serde_json::{Value, json};
use std::time::Duration;

struct Stage {
    _dir: tempfile::TempDir,
    kuvend: TestInstance,
    org: ActorRow,
    remote: Remote,
}

impl Stage {
    async fn start(backend: Backend) -> Stage {
        let dir = temp_dir();
        let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
        let org = kuvend.create_org("ngo", false).await;
        Stage {
            _dir: dir,
            kuvend,
            org,
            remote: Remote::start("events.test").await,
        }
    }

    fn acting(&self) -> Acting {
        Acting::admin(self.org.clone())
    }

    /// A public event of `ngo` starting at `start` (wall time in Tirana).
    async fn event(&self, start: &str) -> String {
        let input = EventInput {
            name: Some("Forum on water".into()),
            start: Some(start.into()),
            timezone: Some("Europe/Tirane".into()),
            join_mode: Some("free".into()),
            ..EventInput::default()
        };
        events::create_event(&self.kuvend.data(), &self.acting(), input)
            .await
            .unwrap()
            .post
            .ap_id
    }

    /// A stand-in person at `path` who joins `event` (without following the
    /// organisation); returns the person's id once the join is stored.
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

    async fn settled(&self) {
        eventually("deliveries done", Duration::from_secs(20), || async {
            self.kuvend.pending_deliveries().await == 0
        })
        .await;
    }

    /// The activities of `kind` the stand-in received whose object is (or
    /// is the id of) `event`.
    fn received(&self, kind: &str, event: &str) -> Vec<Value> {
        self.remote
            .received()
            .into_iter()
            .filter(|a| a["type"] == kind && (a["object"]["id"] == event || a["object"] == event))
            .collect()
    }

    /// Waits for `count` activities of `kind` about `event`.
    async fn wait_for(&self, kind: &str, event: &str, count: usize) -> Vec<Value> {
        eventually(
            &format!("{count} {kind} of {event}"),
            Duration::from_secs(20),
            || {
                let n = self.received(kind, event).len();
                async move { n >= count }
            },
        )
        .await;
        self.received(kind, event)
    }
}

/// Neither participant appears in the addressing of `activity`.
fn reveals_nobody(activity: &Value, participants: &[&str]) {
    for field in ["to", "cc", "bto", "bcc", "audience"] {
        let text = activity[field].to_string();
        for p in participants {
            assert!(!text.contains(p), "{field} names {p}: {activity}");
        }
    }
    if let Some(object) = activity["object"].as_object() {
        for field in ["to", "cc", "bto", "bcc", "audience"] {
            let text = object.get(field).map(|v| v.to_string()).unwrap_or_default();
            for p in participants {
                assert!(!text.contains(p), "object.{field} names {p}: {activity}");
            }
        }
    }
}

async fn changes_reach_participants_who_do_not_follow(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let event = stage.event("2099-12-10T18:00").await;
    let ana = stage.join("/users/ana", &event).await;
    let ben = stage.join("/users/ben", &event).await;
    // Deliveries before the change (the Accepts) are out of the way.
    stage.settled().await;
    let data = stage.kuvend.data();

    // A reschedule.
    events::update_event(
        &data,
        &stage.acting(),
        &event,
        EventInput {
            start: Some("2099-12-11T18:00".into()),
            ..EventInput::default()
        },
    )
    .await
    .unwrap();
    // Both share the stand-in's host but each has its own inbox (no shared
    // inbox), so each gets one copy.
    let updates = stage.wait_for("Update", &event, 2).await;
    assert_eq!(updates.len(), 2, "one copy per participant's inbox");
    assert_eq!(
        updates[0]["object"]["eventStatus"], "https://schema.org/EventRescheduled",
        "{}",
        updates[0]
    );
    for u in &updates {
        reveals_nobody(u, &[&ana, &ben]);
    }

    // A cancellation.
    events::cancel_event(&data, &stage.acting(), &event, Some("rain".into()))
        .await
        .unwrap();
    let updates = stage.wait_for("Update", &event, 4).await;
    let cancelled: Vec<&Value> = updates
        .iter()
        .filter(|u| u["object"]["eventStatus"] == "https://schema.org/EventCancelled")
        .collect();
    assert_eq!(cancelled.len(), 2, "{updates:?}");
    for u in &cancelled {
        reveals_nobody(u, &[&ana, &ben]);
    }

    // The deletion.
    events::delete_event(&data, &stage.acting(), &event)
        .await
        .unwrap();
    let deletes = stage.wait_for("Delete", &event, 2).await;
    assert_eq!(deletes.len(), 2);
    for d in &deletes {
        reveals_nobody(d, &[&ana, &ben]);
    }
}
on_both_databases!(
    changes_reach_participants_who_do_not_follow,
    changes_reach_participants_who_do_not_follow_sqlite,
    changes_reach_participants_who_do_not_follow_postgres
);

/// Someone who answered not going (a Friendica-style Reject of the Event)
/// hears nothing more.
async fn participants_not_going_are_not_reached(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let event = stage.event("2099-12-10T18:00").await;
    let ana = stage.join("/users/ana", &event).await;
    let leave = json!({
        "@context": ["https://www.w3.org/ns/activitystreams"],
        "id": format!("{ana}/reject/1"),
        "type": "Reject",
        "actor": ana,
        "object": event,
    });
    let (status, reply) = stage.remote.send(&ana, &stage.org.inbox_url, &leave).await;
    assert_eq!(status, 202, "{reply}");
    stage.settled().await;
    events::cancel_event(&stage.kuvend.data(), &stage.acting(), &event, None)
        .await
        .unwrap();
    stage.settled().await;
    assert!(stage.received("Update", &event).is_empty());
}
on_both_databases!(
    participants_not_going_are_not_reached,
    participants_not_going_are_not_reached_sqlite,
    participants_not_going_are_not_reached_postgres
);
