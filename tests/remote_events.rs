//! Events from other servers, as they send them: Mobilizon (a person's
//! event; a group's event sent by a member, or announced by the group),
//! Gancio, and FEP-8a8e's example. A stand-in server on loopback plays the
//! sender: it serves the actors' documents (and a group's members) over
//! HTTP and signs its activities, whose bodies are the fixtures under
//! tests/fixtures/{mobilizon,gancio,fep-8a8e} with the host changed. A real
//! instance receives them and stores each as a post with its event row;
//! a malformed one is refused with a JSON reason and stores nothing.

use crate::common::{Backend, TestInstance, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::storage::models::{ActorRow, EventRow, PostRow};
use serde_json::{Value, json};
use std::time::Duration;

/// An instance with an organisation that follows actors of a [`Remote`].
struct Stage {
    _dir: tempfile::TempDir,
    kuvend: TestInstance,
    org: ActorRow,
    remote: Remote,
}

impl Stage {
    async fn start(backend: Backend, remote_name: &str) -> Stage {
        let dir = temp_dir();
        let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
        let org = kuvend.create_org("parks", false).await;
        Stage {
            _dir: dir,
            kuvend,
            org,
            remote: Remote::start(remote_name).await,
        }
    }

    /// The organisation follows `actor` and the actor accepts, as Mastodon
    /// shapes an `Accept`.
    async fn follow(&self, actor: &str) {
        kuvend::service::follows::follow(&self.kuvend.data(), "parks", actor)
            .await
            .unwrap();
        let received = self.remote.served.received.clone();
        let follow = {
            let actor = actor.to_string();
            let mut found = None;
            eventually("the Follow arrives", Duration::from_secs(20), || {
                let hit = received
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|a| a["type"] == "Follow" && a["object"] == actor.as_str())
                    .cloned();
                found = hit.clone();
                async move { hit.is_some() }
            })
            .await;
            found.unwrap()
        };
        let accept = json!({
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": format!("{actor}#accepts/{}", self.org.id),
            "type": "Accept",
            "actor": actor,
            "object": follow,
        });
        let (status, reply) = self.remote.send(actor, &self.org.inbox_url, &accept).await;
        assert_eq!(status, 202, "{reply}");
        assert_eq!(
            self.kuvend
                .follow_state(&self.org.ap_id, actor)
                .await
                .as_deref(),
            Some("accepted")
        );
    }

    async fn stored(&self, ap_id: &str) -> Option<(PostRow, EventRow)> {
        Some((
            self.kuvend.post(ap_id).await?,
            self.kuvend.event(ap_id).await?,
        ))
    }

    async fn author_of(&self, post: &PostRow) -> String {
        let mut conn = self.kuvend.ctx().db.conn().await.unwrap();
        conn.q().actor_by_id(post.author_id).await.unwrap().ap_id
    }
}

fn utc(text: &str) -> chrono::NaiveDateTime {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .naive_utc()
}

async fn mobilizon_person_event(backend: Backend) {
    let mut stage = Stage::start(backend, "mobilizon.test").await;
    let tcit = stage.remote.actor("/@tcit", "Person", None);
    stage.follow(&tcit).await;
    let create = stage
        .remote
        .fixture("mobilizon/create_event.json", "mobilizon.example");
    let event_id = create["object"]["id"].as_str().unwrap().to_string();
    let (status, reply) = stage
        .remote
        .send(&tcit, &stage.org.inbox_url, &create)
        .await;
    assert_eq!(status, 202, "{reply}");

    let (post, event) = stage.stored(&event_id).await.expect("the event is stored");
    assert_eq!(post.ap_type, "Event");
    assert_eq!(post.visibility, "public");
    assert!(post.content.contains("<strong>organisations</strong>"));
    assert!(!post.content.contains("script"), "{}", post.content);
    assert_eq!(event.name, "Community forum on the river park");
    // Paragraphs and line breaks stay lines; the markup goes.
    assert_eq!(
        event.description,
        "Residents and organisations discuss the park plan.\nBring your ideas\nand your neighbours."
    );
    // 10:00 in Tirana (UTC+1 in December) is 09:00 UTC; the wall time stays.
    assert_eq!(event.starts_at, utc("2026-12-12T09:00:00Z"));
    assert_eq!(event.ends_at, Some(utc("2026-12-12T12:00:00Z")));
    assert_eq!(event.timezone, "Europe/Tirane");
    assert_eq!(event.start_local, "2026-12-12T10:00");
    assert_eq!(event.end_local.as_deref(), Some("2026-12-12T13:00"));
    assert_eq!(event.place_name.as_deref(), Some("Youth Centre"));
    assert_eq!(event.street_address.as_deref(), Some("Rruga e Kavajës 12"));
    assert_eq!(event.locality.as_deref(), Some("Tirana"));
    // Mobilizon sends the country's name, not its code: kept as sent.
    assert_eq!(event.country.as_deref(), Some("Albania"));
    assert_eq!(event.latitude, Some(41.3275));
    assert_eq!(event.longitude, Some(19.8187));
    assert_eq!(
        event.online_url.as_deref(),
        Some("https://meet.example/forum")
    );
    assert_eq!(event.capacity, Some(80));
    assert_eq!(event.participant_count, 5);
    assert_eq!(event.join_mode, "restricted");
    assert_eq!(event.category.as_deref(), Some("COMMUNITY"));
    assert_eq!(event.status, "scheduled");

    // Cancelled the Mobilizon way: an Update whose status says so.
    let mut object = create["object"].clone();
    object["status"] = json!("CANCELLED");
    object["ical:status"] = json!("CANCELLED");
    object["name"] = json!("Community forum (cancelled)");
    object["updated"] = json!("2026-11-25T10:00:00Z");
    let update = json!({
        "@context": create["@context"],
        "id": format!("{event_id}/update/1"),
        "type": "Update",
        "actor": tcit,
        "to": create["to"],
        "cc": create["cc"],
        "object": object,
    });
    let (status, reply) = stage
        .remote
        .send(&tcit, &stage.org.inbox_url, &update)
        .await;
    assert_eq!(status, 202, "{reply}");
    let (_, event) = stage.stored(&event_id).await.unwrap();
    assert_eq!(event.status, "cancelled");
    assert_eq!(event.name, "Community forum (cancelled)");
    assert_eq!(event.capacity, Some(80), "the other fields stay");

    let delete = json!({
        "id": format!("{event_id}/delete"),
        "type": "Delete",
        "actor": tcit,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": event_id,
    });
    let (status, reply) = stage
        .remote
        .send(&tcit, &stage.org.inbox_url, &delete)
        .await;
    assert_eq!(status, 202, "{reply}");
    assert!(
        stage
            .kuvend
            .post(&event_id)
            .await
            .unwrap()
            .deleted_at
            .is_some(),
        "the event is deleted"
    );
}

async fn mobilizon_group_event(backend: Backend) {
    let mut stage = Stage::start(backend, "mobilizon.test").await;
    let tcit = stage.remote.actor("/@tcit", "Person", None);
    let invited = stage.remote.actor("/@invited", "Person", None);
    let group_doc = stage
        .remote
        .fixture("mobilizon/group.json", "mobilizon.example");
    let group = stage
        .remote
        .actor("/@parks_coalition", "Group", Some(group_doc));
    let members = stage
        .remote
        .fixture("mobilizon/members.json", "mobilizon.example");
    stage.remote.put("/@parks_coalition/members", members);
    stage.follow(&group).await;
    let before = stage.kuvend.counts().await;

    // A member makes an event in the group: attributed to the group, sent
    // by the member (Mobilizon's `actor` on the event names them).
    let mut create = stage
        .remote
        .fixture("mobilizon/create_event.json", "mobilizon.example");
    create["object"]["attributedTo"] = json!(group);
    create["cc"] = json!([format!("{group}/followers")]);
    create["object"]["cc"] = create["cc"].clone();
    let event_id = create["object"]["id"].as_str().unwrap().to_string();

    // Someone only invited to the group is not a member: refused, with the
    // reason, and nothing is stored.
    let mut from_invited = create.clone();
    from_invited["actor"] = json!(invited);
    from_invited["object"]["actor"] = json!(invited);
    from_invited["id"] = json!(format!("{event_id}/activity-invited"));
    let (status, reply) = stage
        .remote
        .send(&invited, &stage.org.inbox_url, &from_invited)
        .await;
    assert_eq!(status, 401, "{reply}");
    assert!(
        reply["error"]
            .as_str()
            .is_some_and(|e| e.contains("does not list it as a member")),
        "{reply}"
    );
    assert!(stage.kuvend.post(&event_id).await.is_none());
    assert_eq!(stage.kuvend.counts().await, before);

    // The administrator, listed as a member: stored as the group's event.
    let (status, reply) = stage
        .remote
        .send(&tcit, &stage.org.inbox_url, &create)
        .await;
    assert_eq!(status, 202, "{reply}");
    let (post, event) = stage.stored(&event_id).await.expect("stored");
    assert_eq!(stage.author_of(&post).await, group);
    assert_eq!(event.name, "Community forum on the river park");

    // The group announces another member's event (Mobilizon relays the
    // object embedded): the group vouches for it, so it is stored too.
    let mut second = create["object"].clone();
    let second_id = format!(
        "{}/events/8d1e0f4b-2f5c-4f7e-9a61-3c2b1a0d9e88",
        stage.remote.base
    );
    second["id"] = json!(second_id);
    second["url"] = json!(second_id);
    second["actor"] = json!(invited);
    second["name"] = json!("Tree planting day");
    let announce = json!({
        "@context": create["@context"],
        "id": format!("{}/announces/5b0b7c1e", stage.remote.base),
        "type": "Announce",
        "actor": group,
        "attributedTo": group,
        "to": [format!("{group}/followers"), group],
        "cc": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": second,
    });
    let (status, reply) = stage
        .remote
        .send(&group, &stage.org.inbox_url, &announce)
        .await;
    assert_eq!(status, 202, "{reply}");
    let (post, event) = stage
        .stored(&second_id)
        .await
        .expect("announced event stored");
    assert_eq!(stage.author_of(&post).await, group);
    assert_eq!(event.name, "Tree planting day");

    // The member edits it (cancels it); Mobilizon's group relays the edited
    // event the same way, and the stored copy follows.
    let mut edited = announce.clone();
    edited["id"] = json!(format!("{}/announces/9c4d2e0a", stage.remote.base));
    edited["object"]["status"] = json!("CANCELLED");
    edited["object"]["name"] = json!("Tree planting day (cancelled)");
    let (status, reply) = stage
        .remote
        .send(&group, &stage.org.inbox_url, &edited)
        .await;
    assert_eq!(status, 202, "{reply}");
    let (_, event) = stage.stored(&second_id).await.unwrap();
    assert_eq!(event.status, "cancelled");
    assert_eq!(event.name, "Tree planting day (cancelled)");
}

async fn gancio_event(backend: Backend) {
    let mut stage = Stage::start(backend, "gancio.test").await;
    let gancio = stage
        .remote
        .actor("/federation/u/gancio", "Application", None);
    stage.follow(&gancio).await;
    let create = stage
        .remote
        .fixture("gancio/create_event.json", "gancio.example");
    let event_id = create["object"]["id"].as_str().unwrap().to_string();
    let (status, reply) = stage
        .remote
        .send(&gancio, &stage.org.inbox_url, &create)
        .await;
    assert_eq!(status, 202, "{reply}");
    let (post, event) = stage.stored(&event_id).await.expect("stored");
    assert_eq!(event.name, "Demo event");
    // No zone named: the sender's offset (+02:00) keeps the wall time.
    assert_eq!(event.timezone, "Etc/GMT-2");
    assert_eq!(event.start_local, "2026-12-14T17:30");
    assert_eq!(event.starts_at, utc("2026-12-14T15:30:00Z"));
    assert_eq!(event.place_name.as_deref(), Some("Colosseo"));
    assert_eq!(event.join_mode, "free");
    // Gancio's relative hashtag link is dropped, not the event.
    assert!(post.content.contains("Colosseo"));
    // The client API lists it among Gancio's events (an `Application` actor
    // is an account like another), to a reader without a token.
    let account = stage.kuvend.actor(&gancio).await.unwrap();
    let listed: Value = crate::common::client()
        .get(format!(
            "{}/api/v1/kuvend/accounts/{}/events",
            stage.kuvend.base_url(),
            account.id
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["name"], "Demo event", "{listed}");
    assert_eq!(listed[0]["timezone"], "Etc/GMT-2", "{listed}");
}

async fn fep_8a8e_event(backend: Backend) {
    let mut stage = Stage::start(backend, "events.test").await;
    let organiser = stage.remote.actor("/actors/organiser", "Person", None);
    stage.follow(&organiser).await;
    let object = stage
        .remote
        .fixture("fep-8a8e/event.json", "events.example");
    let event_id = object["id"].as_str().unwrap().to_string();
    let create = json!({
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": format!("{event_id}#create"),
        "type": "Create",
        "actor": organiser,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": object,
    });
    let (status, reply) = stage
        .remote
        .send(&organiser, &stage.org.inbox_url, &create)
        .await;
    assert_eq!(status, 202, "{reply}");
    let (_, event) = stage.stored(&event_id).await.expect("stored");
    assert_eq!(event.status, "rescheduled");
    assert_eq!(event.previous_start, Some(utc("2026-12-31T07:00:00Z")));
    assert_eq!(event.starts_at, utc("2027-01-01T07:00:00Z"));
    assert_eq!(event.timezone, "Etc/GMT+8");
    assert_eq!(event.start_local, "2026-12-31T23:00");
    assert_eq!(event.place_name.as_deref(), Some("Fediverse University"));
    assert_eq!(
        event.street_address.as_deref(),
        Some("15 Fediverse Street, 1337 Fediverse Town, Fediverse Country")
    );
    assert_eq!(
        event.online_url.as_deref(),
        Some("https://bbb.example.com/meeting-room-1")
    );
    assert_eq!(event.join_mode, "external");
    assert_eq!(
        event.external_url,
        Some(format!("{}/new-year-party#register", stage.remote.base))
    );
}

/// What is wrong, the reason the answer must give, and how to spoil a good event.
type Case = (&'static str, &'static str, fn(&mut Value));

async fn malformed_events(backend: Backend) {
    let mut stage = Stage::start(backend, "events.test").await;
    let organiser = stage.remote.actor("/actors/organiser", "Person", None);
    stage.follow(&organiser).await;
    let good = stage
        .remote
        .fixture("fep-8a8e/event.json", "events.example");
    let before = stage.kuvend.counts().await;
    let cases: [Case; 4] = [
        ("no start", "startTime", |o| {
            o.as_object_mut().unwrap().remove("startTime");
        }),
        ("a start that is no date", "startTime", |o| {
            o["startTime"] = json!("next Tuesday")
        }),
        (
            "an end before the start",
            "endTime is not after startTime",
            |o| o["endTime"] = json!("2026-12-01T00:00:00Z"),
        ),
        ("no name", "no name", |o| o["name"] = json!("  <b></b> ")),
    ];
    for (n, (what, reason, spoil)) in cases.into_iter().enumerate() {
        let mut object = good.clone();
        spoil(&mut object);
        let create = json!({
            "id": format!("{}#create-{n}", object["id"].as_str().unwrap()),
            "type": "Create",
            "actor": organiser,
            "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": object,
        });
        let (status, reply) = stage
            .remote
            .send(&organiser, &stage.org.inbox_url, &create)
            .await;
        assert_eq!(status, 422, "{what}: {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| e.contains(reason)),
            "{what}: {reply}"
        );
        assert_eq!(
            stage.kuvend.counts().await,
            before,
            "{what} stored something"
        );
        assert!(
            stage
                .kuvend
                .post(good["id"].as_str().unwrap())
                .await
                .is_none(),
            "{what} stored the event"
        );
    }
}

on_both_databases!(
    mobilizon_person_event,
    mobilizon_person_event_is_stored_updated_and_deleted_sqlite,
    mobilizon_person_event_is_stored_updated_and_deleted_postgres
);
on_both_databases!(
    mobilizon_group_event,
    mobilizon_group_event_needs_a_member_or_the_groups_announce_sqlite,
    mobilizon_group_event_needs_a_member_or_the_groups_announce_postgres
);
on_both_databases!(
    gancio_event,
    gancio_event_keeps_its_wall_time_sqlite,
    gancio_event_keeps_its_wall_time_postgres
);
on_both_databases!(
    fep_8a8e_event,
    fep_8a8e_hybrid_rescheduled_event_is_stored_sqlite,
    fep_8a8e_hybrid_rescheduled_event_is_stored_postgres
);
on_both_databases!(
    malformed_events,
    malformed_remote_events_are_refused_with_a_reason_sqlite,
    malformed_remote_events_are_refused_with_a_reason_postgres
);
