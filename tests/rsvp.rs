//! RSVPs to an event of ours in every dialect (issue 12 items 1 and 7): a
//! stand-in server (tests/common/remote.rs) serves the participants' actors
//! and sends the fixtures under tests/fixtures/rsvp/, signed, to a real
//! instance over HTTP. Each test checks the stored state, the counts in the
//! `Event` document and its participants collection, and the `Accept` or
//! `Reject` that came back to the stand-in's inbox (it must embed the Join
//! with the participant's own id, and go to the participant alone).

use crate::common::{Backend, TestInstance, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::{
    model::Visibility,
    service::{
        acting::Acting,
        events::{self, EventInput},
        posts::{self, NewPost},
    },
    storage::models::{ActorRow, ParticipantRow},
};
use serde_json::Value;
use std::time::Duration;

/// An instance with an organisation `ngo` and a stand-in server.
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

    /// A public event of `ngo` far in the future; returns its id.
    async fn event(&self, join_mode: &str, capacity: Option<i64>) -> String {
        let input = EventInput {
            name: Some("Forum on water".into()),
            start: Some("2099-12-10T18:00".into()),
            end: Some("2099-12-10T20:00".into()),
            timezone: Some("Europe/Tirane".into()),
            join_mode: Some(join_mode.into()),
            external_url: (join_mode == "external")
                .then(|| "https://tickets.example/forum".to_string()),
            capacity,
            ..EventInput::default()
        };
        let view =
            events::create_event(&self.kuvend.data(), &Acting::admin(self.org.clone()), input)
                .await
                .unwrap();
        view.post.ap_id
    }

    /// A fixture with the event, the organiser and the stand-in's host put in.
    fn fixture(&self, name: &str, event: &str) -> Value {
        let text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/rsvp/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap();
        let mut text = text
            .replace("{{EVENT}}", event)
            .replace("{{ORGANISER}}", &self.org.ap_id);
        for host in [
            "mz.example",
            "pleroma.example",
            "fr.example",
            "st.example",
            "sm.example",
        ] {
            text = text.replace(&format!("https://{host}"), &self.remote.base);
        }
        serde_json::from_str(&text).unwrap()
    }

    /// Sends `activity`, signed by its actor, to the organisation's inbox,
    /// and expects it accepted.
    async fn send(&self, activity: &Value) {
        let actor = activity["actor"].as_str().unwrap();
        let (status, reply) = self.remote.send(actor, &self.org.inbox_url, activity).await;
        assert_eq!(status, 202, "{activity}: {reply}");
    }

    async fn participant(&self, event: &str, actor: &str) -> Option<ParticipantRow> {
        let post = self.kuvend.post(event).await?;
        let actor = self.kuvend.actor(actor).await?;
        let mut conn = self.kuvend.ctx().db.conn().await.unwrap();
        conn.q().participant_of(post.id, actor.id).await.unwrap()
    }

    async fn state(&self, event: &str, actor: &str) -> Option<String> {
        self.participant(event, actor).await.map(|p| p.state)
    }

    /// The event as another server fetches it.
    /// The event's document, signed by the instance's instance actor
    /// (authorized fetch is on).
    async fn document(&self, event: &str) -> Value {
        let reader = self.kuvend.instance_actor_row().await;
        crate::common::signed_get(&reader, event)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The answer (`Accept`/`Reject`) that reached the stand-in for the
    /// Join `join_id`.
    async fn answer_to(&self, join_id: &str) -> Value {
        let mut found = None;
        eventually(
            &format!("an answer to {join_id}"),
            Duration::from_secs(20),
            || {
                found = self
                    .remote
                    .received()
                    .into_iter()
                    .find(|a| a["object"]["id"] == join_id);
                let done = found.is_some();
                async move { done }
            },
        )
        .await;
        found.unwrap()
    }

    /// Waits until nothing is left to deliver, so that an answer not
    /// received was not sent.
    async fn settled(&self) {
        eventually("deliveries done", Duration::from_secs(20), || async {
            self.kuvend.pending_deliveries().await == 0
        })
        .await;
    }

    fn answers_to(&self, join_id: &str) -> usize {
        self.remote
            .received()
            .iter()
            .filter(|a| a["object"]["id"] == join_id)
            .count()
    }
}

/// The Accept embeds the participant's Join with its id, comes from the
/// organisation, and is addressed to the participant alone.
fn assert_accepts(answer: &Value, join: &Value, org: &ActorRow) {
    assert_eq!(answer["type"], "Accept", "{answer}");
    assert_eq!(answer["actor"], org.ap_id.as_str());
    assert_eq!(answer["object"]["id"], join["id"]);
    assert_eq!(answer["object"]["actor"], join["actor"]);
    assert_eq!(answer["object"]["object"], join["object"]);
    assert_eq!(answer["to"], serde_json::json!([join["actor"]]));
    assert!(answer.get("cc").is_none(), "{answer}");
}

async fn every_dialect(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let event = stage.event("free", Some(10)).await;
    let actors = [
        "/@tcit",
        "/users/mkljczk",
        "/profile/carol",
        "/channel/dave",
        "/users/5",
    ];
    for path in actors {
        stage.remote.actor(path, "Person", None);
    }
    let tcit = stage.remote.url("/@tcit");
    let mk = stage.remote.url("/users/mkljczk");
    let carol = stage.remote.url("/profile/carol");
    let dave = stage.remote.url("/channel/dave");
    let sm = stage.remote.url("/users/5");

    // Mobilizon: Join with a participation message, accepted at once.
    let join = stage.fixture("mobilizon_join.json", &event);
    stage.send(&join).await;
    let row = stage.participant(&event, &tcit).await.expect("stored");
    assert_eq!(row.state, "going");
    assert_eq!(row.activity_ap_id, join["id"].as_str().unwrap());
    // Plain text: the markup is gone, the words stay.
    assert_eq!(
        row.message.as_deref(),
        Some("I'd like to come with my neighbour")
    );
    let accept = stage.answer_to(join["id"].as_str().unwrap()).await;
    assert_accepts(&accept, &join, &stage.org);
    assert_eq!(
        accept["object"]["participationMessage"],
        "I'd like to come with my neighbour"
    );

    // Rebased: Join, then Undo whose object is the Join's id as a string.
    let rebased = stage.fixture("rebased_join.json", &event);
    stage.send(&rebased).await;
    assert_eq!(stage.state(&event, &mk).await.as_deref(), Some("going"));
    let accept = stage.answer_to(rebased["id"].as_str().unwrap()).await;
    assert_accepts(&accept, &rebased, &stage.org);

    // Friendica: Accept of the Event by id is "going"; nothing answers it.
    let friendica = stage.fixture("friendica_accept.json", &event);
    stage.send(&friendica).await;
    assert_eq!(stage.state(&event, &carol).await.as_deref(), Some("going"));

    // Streams: TentativeAccept of an Invite of the Event is "maybe".
    stage
        .send(&stage.fixture("streams_tentative_accept.json", &event))
        .await;
    assert_eq!(stage.state(&event, &dave).await.as_deref(), Some("maybe"));

    // Smithereen: TentativeJoin is "maybe", and is accepted.
    let tentative = stage.fixture("smithereen_tentative_join.json", &event);
    stage.send(&tentative).await;
    assert_eq!(stage.state(&event, &sm).await.as_deref(), Some("maybe"));
    let accept = stage.answer_to(tentative["id"].as_str().unwrap()).await;
    assert_accepts(&accept, &tentative, &stage.org);
    assert_eq!(accept["object"]["type"], "TentativeJoin");

    // Three going (Mobilizon, Rebased, Friendica), two maybe: the Event counts three.
    let doc = stage.document(&event).await;
    assert_eq!(doc["participantCount"], 3, "{doc}");
    assert_eq!(doc["remainingAttendeeCapacity"], 7);
    assert_eq!(doc["maximumAttendeeCapacity"], 10);
    assert_eq!(doc["attendees"], format!("{event}/participants"));

    // Staff were told of each of the five, once, as taking part.
    let notes = {
        let mut conn = stage.kuvend.ctx().db.conn().await.unwrap();
        let page = kuvend::model::Page {
            max_id: None,
            since_id: None,
            min_id: None,
            limit: 40,
        };
        conn.q().notifications(stage.org.id, page).await.unwrap()
    };
    let post_id = stage.kuvend.post(&event).await.unwrap().id;
    assert_eq!(notes.len(), 5);
    assert!(
        notes
            .iter()
            .all(|n| n.kind == "kuvend:participation" && n.post_id == Some(post_id))
    );

    // The collection shows the count and nobody.
    let collection = stage.document(&format!("{event}/participants")).await;
    assert_eq!(collection["type"], "Collection");
    assert_eq!(collection["totalItems"], 3);
    assert!(collection.get("items").is_none(), "{collection}");
    assert!(collection.get("orderedItems").is_none(), "{collection}");
    assert!(collection.get("first").is_none(), "{collection}");
    let text = collection.to_string();
    for actor in [&tcit, &mk, &carol, &dave, &sm] {
        assert!(!text.contains(actor.as_str()), "{text}");
    }

    // Withdrawals in each dialect.
    stage
        .send(&stage.fixture("mobilizon_leave.json", &event))
        .await;
    assert_eq!(stage.state(&event, &tcit).await, None);
    stage
        .send(&stage.fixture("rebased_undo_join.json", &event))
        .await;
    assert_eq!(stage.state(&event, &mk).await, None);
    stage
        .send(&stage.fixture("friendica_undo_accept.json", &event))
        .await;
    assert_eq!(stage.state(&event, &carol).await, None);
    let doc = stage.document(&event).await;
    assert_eq!(doc["participantCount"], 0, "{doc}");
    assert_eq!(doc["remainingAttendeeCapacity"], 10);

    // Friendica's RSVP got no answer (it expects none).
    stage.settled().await;
    assert_eq!(stage.answers_to(friendica["id"].as_str().unwrap()), 0);
}
on_both_databases!(
    every_dialect,
    rsvp_dialects_are_stored_counted_and_answered_sqlite,
    rsvp_dialects_are_stored_counted_and_answered_postgres
);

async fn restricted(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let tcit = stage.remote.actor("/@tcit", "Person", None);
    let event = stage.event("restricted", None).await;
    let join = stage.fixture("mobilizon_join.json", &event);
    stage.send(&join).await;
    assert_eq!(stage.state(&event, &tcit).await.as_deref(), Some("pending"));
    let doc = stage.document(&event).await;
    assert_eq!(doc["participantCount"], 0, "{doc}");
    // Staff decide later: nothing is answered yet.
    stage.settled().await;
    assert_eq!(stage.answers_to(join["id"].as_str().unwrap()), 0);
}
on_both_databases!(
    restricted,
    restricted_join_stays_pending_unanswered_sqlite,
    restricted_join_stays_pending_unanswered_postgres
);

async fn waiting_list(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let tcit = stage.remote.actor("/@tcit", "Person", None);
    let mk = stage.remote.actor("/users/mkljczk", "Person", None);
    let event = stage.event("free", Some(1)).await;
    let first = stage.fixture("mobilizon_join.json", &event);
    stage.send(&first).await;
    stage.answer_to(first["id"].as_str().unwrap()).await;
    let second = stage.fixture("rebased_join.json", &event);
    stage.send(&second).await;
    assert_eq!(stage.state(&event, &tcit).await.as_deref(), Some("going"));
    assert_eq!(
        stage.state(&event, &mk).await.as_deref(),
        Some("waitlisted")
    );
    let doc = stage.document(&event).await;
    assert_eq!(doc["participantCount"], 1, "{doc}");
    assert_eq!(doc["remainingAttendeeCapacity"], 0);
    stage.settled().await;
    assert_eq!(stage.answers_to(second["id"].as_str().unwrap()), 0);

    // A repeated Join from the waitlisted one does not make room for them.
    let mut again = second.clone();
    again["id"] = format!("{}-again", second["id"].as_str().unwrap()).into();
    stage.send(&again).await;
    assert_eq!(
        stage.state(&event, &mk).await.as_deref(),
        Some("waitlisted")
    );

    // The first leaves: the waitlisted one goes, and gets an Accept of
    // the Join they sent last.
    stage
        .send(&stage.fixture("mobilizon_leave.json", &event))
        .await;
    assert_eq!(stage.state(&event, &tcit).await, None);
    assert_eq!(stage.state(&event, &mk).await.as_deref(), Some("going"));
    let accept = stage.answer_to(again["id"].as_str().unwrap()).await;
    assert_accepts(&accept, &again, &stage.org);
    let doc = stage.document(&event).await;
    assert_eq!(doc["participantCount"], 1, "{doc}");
    assert_eq!(doc["remainingAttendeeCapacity"], 0);
}
on_both_databases!(
    waiting_list,
    full_event_waitlists_and_promotes_when_a_place_frees_sqlite,
    full_event_waitlists_and_promotes_when_a_place_frees_postgres
);

async fn refusals(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let tcit = stage.remote.actor("/@tcit", "Person", None);
    let mk = stage.remote.actor("/users/mkljczk", "Person", None);

    // External registration: Reject with where to register; nothing stored.
    let event = stage.event("external", None).await;
    let join = stage.fixture("mobilizon_join.json", &event);
    stage.send(&join).await;
    let reject = stage.answer_to(join["id"].as_str().unwrap()).await;
    assert_eq!(reject["type"], "Reject", "{reject}");
    assert_eq!(reject["object"]["id"], join["id"]);
    assert_eq!(reject["to"], serde_json::json!([tcit]));
    assert!(
        reject["content"]
            .as_str()
            .unwrap()
            .contains("https://tickets.example/forum"),
        "{reject}"
    );
    assert_eq!(stage.state(&event, &tcit).await, None);

    // A Join of a note: Reject, nothing stored.
    let note = posts::create_post(
        &stage.kuvend.data(),
        "ngo",
        NewPost {
            text: "Not an event".into(),
            visibility: Visibility::Public,
            in_reply_to: None,
            spoiler: None,
            language: None,
        },
    )
    .await
    .unwrap();
    let join_note = stage.fixture("rebased_join.json", &note.ap_id);
    stage.send(&join_note).await;
    let reject = stage.answer_to(join_note["id"].as_str().unwrap()).await;
    assert_eq!(reject["type"], "Reject", "{reject}");
    assert_eq!(reject["object"]["object"], note.ap_id.as_str());
    assert_eq!(stage.state(&note.ap_id, &mk).await, None);
    let mut conn = stage.kuvend.ctx().db.conn().await.unwrap();
    assert!(conn.q().event_by_post(note.id).await.unwrap().is_none());
    drop(conn);

    // Streams approves comments with an Accept whose object is the
    // comment's id: that is no RSVP, and nothing is stored or answered.
    let mut approval = stage.fixture("friendica_accept.json", &note.ap_id);
    approval["actor"] = mk.clone().into();
    approval["id"] = format!("{mk}/activity/approval-1").into();
    approval["inReplyTo"] = event.clone().into();
    stage.send(&approval).await;
    assert_eq!(stage.state(&note.ap_id, &mk).await, None);
    assert_eq!(stage.state(&event, &mk).await, None);
    stage.settled().await;
    assert_eq!(stage.answers_to(approval["id"].as_str().unwrap()), 0);
}
on_both_databases!(
    refusals,
    external_mode_and_join_of_a_note_are_rejected_unstored_sqlite,
    external_mode_and_join_of_a_note_are_rejected_unstored_postgres
);

async fn forged_undo(backend: Backend) {
    let mut stage = Stage::start(backend).await;
    let mk = stage.remote.actor("/users/mkljczk", "Person", None);
    let mallory = stage.remote.actor("/users/mallory", "Person", None);
    let event = stage.event("free", None).await;
    let join = stage.fixture("rebased_join.json", &event);
    stage.send(&join).await;
    let mut undo = stage.fixture("rebased_undo_join.json", &event);
    undo["actor"] = mallory.clone().into();
    undo["id"] = format!("{mallory}/undo/1").into();
    let (status, _) = stage
        .remote
        .send(&mallory, &stage.org.inbox_url, &undo)
        .await;
    assert_eq!(status, 401);
    assert_eq!(stage.state(&event, &mk).await.as_deref(), Some("going"));
    assert_eq!(stage.document(&event).await["participantCount"], 1);
}
on_both_databases!(
    forged_undo,
    undo_of_another_actors_join_is_refused_sqlite,
    undo_of_another_actors_join_is_refused_postgres
);
