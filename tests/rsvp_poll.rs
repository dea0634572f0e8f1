//! Mastodon users answer an event with a poll (issue 12 item 2). A stand-in
//! server (tests/common/remote.rs) plays a Mastodon account: it sends a
//! reply and a vote shaped as Mastodon's serializers write them
//! (tests/fixtures/rsvp/mastodon_reply.json, mastodon_vote.json) and
//! records what the organisation sends back.

use crate::common::{Backend, TestInstance, eventually, remote::Remote, temp_dir};
use crate::on_both_databases;
use kuvend::{
    service::{
        acting::Acting,
        events::{self, EventInput},
        polls, posts,
    },
    storage::models::ActorRow,
};
use serde_json::Value;
use std::time::Duration;

struct Stage {
    _dir: tempfile::TempDir,
    kuvend: TestInstance,
    org: ActorRow,
    remote: Remote,
    bob: String,
    eve: String,
}

impl Stage {
    async fn start(backend: Backend) -> Stage {
        let dir = temp_dir();
        let kuvend = TestInstance::start("alpha.test", backend, dir.path()).await;
        let org = kuvend.create_org("ngo", false).await;
        let mut remote = Remote::start("events.test").await;
        let bob = remote.actor("/users/bob", "Person", None);
        let eve = remote.actor("/users/eve", "Person", None);
        Stage {
            _dir: dir,
            kuvend,
            org,
            remote,
            bob,
            eve,
        }
    }

    async fn event(&self, join_mode: &str, language: Option<&str>) -> String {
        let input = EventInput {
            name: Some("Forum on water".into()),
            start: Some("2099-12-10T18:00".into()),
            end: Some("2099-12-10T20:00".into()),
            timezone: Some("Europe/Tirane".into()),
            join_mode: Some(join_mode.into()),
            external_url: (join_mode == "external")
                .then(|| "https://tickets.example/forum".to_string()),
            language: language.map(String::from),
            ..EventInput::default()
        };
        events::create_event(&self.kuvend.data(), &Acting::admin(self.org.clone()), input)
            .await
            .unwrap()
            .post
            .ap_id
    }

    fn fixture(&self, name: &str, fill: &[(&str, &str)]) -> Value {
        let mut text = std::fs::read_to_string(format!(
            "{}/tests/fixtures/rsvp/{name}",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
        .replace("{{ORGANISER}}", &self.org.ap_id)
        .replace("{{ORGANISER_HOST}}", &self.kuvend.domain)
        .replace("https://masto.example", &self.remote.base);
        for (key, value) in fill {
            text = text.replace(&format!("{{{{{key}}}}}"), value);
        }
        serde_json::from_str(&text).unwrap()
    }

    /// Mastodon's reply to `event`, by `actor` (bob unless another is named).
    fn reply(&self, event: &str, n: &str) -> Value {
        self.fixture("mastodon_reply.json", &[("EVENT", event), ("N", n)])
    }

    fn vote(&self, poll: &str, option: &str, n: &str) -> Value {
        self.fixture(
            "mastodon_vote.json",
            &[("POLL", poll), ("OPTION", option), ("N", n)],
        )
    }

    async fn send(&self, activity: &Value) {
        let actor = activity["actor"].as_str().unwrap();
        let (status, reply) = self.remote.send(actor, &self.org.inbox_url, activity).await;
        assert_eq!(status, 202, "{activity}: {reply}");
    }

    async fn settled(&self) {
        eventually("deliveries done", Duration::from_secs(20), || async {
            self.kuvend.pending_deliveries().await == 0
        })
        .await;
    }

    /// Every `Create{Question}` the stand-in received.
    fn questions(&self) -> Vec<Value> {
        self.remote
            .received()
            .into_iter()
            .filter(|a| a["type"] == "Create" && a["object"]["type"] == "Question")
            .collect()
    }

    async fn state(&self, event: &str, actor: &str) -> Option<String> {
        let post = self.kuvend.post(event).await?;
        let actor = self.kuvend.actor(actor).await?;
        let mut conn = self.kuvend.ctx().db.conn().await.unwrap();
        conn.q()
            .participant_of(post.id, actor.id)
            .await
            .unwrap()
            .map(|p| p.state)
    }

    /// A document signed by the instance's instance actor (authorized fetch
    /// is on): a reader no poll is addressed to.
    async fn document(&self, url: &str) -> reqwest::Response {
        let reader = self.kuvend.instance_actor_row().await;
        crate::common::signed_get(&reader, url)
            .send()
            .await
            .unwrap()
    }
}

fn names(question: &Value) -> Vec<String> {
    question["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap().to_string())
        .collect()
}

async fn reply_poll_vote(backend: Backend) {
    let stage = Stage::start(backend).await;
    let event = stage.event("free", None).await;

    // A reply mentioning the organisation gets exactly one direct Question.
    stage.send(&stage.reply(&event, "1001")).await;
    stage.settled().await;
    let questions = stage.questions();
    assert_eq!(questions.len(), 1, "{questions:?}");
    let create = &questions[0];
    let question = &create["object"];
    assert_eq!(create["actor"], stage.org.ap_id.as_str());
    assert_eq!(question["attributedTo"], stage.org.ap_id.as_str());
    assert_eq!(names(question), ["Going", "Maybe", "Not going"]);
    for option in question["oneOf"].as_array().unwrap() {
        assert_eq!(option["type"], "Note");
        assert_eq!(option["replies"]["type"], "Collection");
        assert_eq!(option["replies"]["totalItems"], 0);
    }
    assert_eq!(question["votersCount"], 0);
    assert_eq!(question["endTime"], "2099-12-10T17:00:00Z");
    assert_eq!(question["to"], serde_json::json!([stage.bob]), "{question}");
    assert_eq!(create["to"], serde_json::json!([stage.bob]));
    assert!(question["cc"].as_array().is_none_or(|cc| cc.is_empty()));
    assert_eq!(question["tag"][0]["type"], "Mention");
    assert_eq!(question["tag"][0]["href"], stage.bob.as_str());
    let reply_id = stage.url_of_status("1001");
    assert_eq!(question["inReplyTo"], reply_id.as_str());
    let content = question["content"].as_str().unwrap();
    assert!(content.contains("Forum on water"), "{content}");
    assert!(content.contains("2099"), "{content}");
    let poll = question["id"].as_str().unwrap().to_string();
    // The Create's id dereferences, to the poll's recipient, as sent.
    let create_id = create["id"].as_str().unwrap();
    let (status, fetched) = stage.remote.signed_get(&stage.bob, create_id).await;
    assert_eq!(status, 200, "{fetched}");
    assert_eq!(fetched["type"], "Create", "{fetched}");
    assert_eq!(fetched["object"]["id"], poll.as_str(), "{fetched}");
    assert_eq!(fetched["object"]["type"], "Question", "{fetched}");
    assert_eq!(fetched["object"]["oneOf"], question["oneOf"], "{fetched}");
    assert!(fetched["@context"].to_string().contains("votersCount"));

    // A second reply gets no second poll.
    stage.send(&stage.reply(&event, "1002")).await;
    stage.settled().await;
    assert_eq!(stage.questions().len(), 1);

    // A vote from someone the poll was not sent to changes nothing.
    let mut forged = stage.vote(&poll, "Going", "7");
    let eve = stage.eve.clone();
    forged["actor"] = eve.as_str().into();
    forged["id"] = format!("{eve}#votes/7/activity").into();
    forged["object"]["id"] = format!("{eve}#votes/7").into();
    forged["object"]["attributedTo"] = eve.as_str().into();
    stage.send(&forged).await;
    assert_eq!(stage.state(&event, &eve).await, None);
    // Nor does an option the poll does not have.
    stage.send(&stage.vote(&poll, "going", "8")).await;
    stage.send(&stage.vote(&poll, "Yes", "9")).await;
    assert_eq!(stage.state(&event, &stage.bob).await, None);

    // The real vote records "going", and a confirmation arrives.
    let vote = stage.vote(&poll, "Going", "10");
    stage.send(&vote).await;
    assert_eq!(
        stage.state(&event, &stage.bob).await.as_deref(),
        Some("going")
    );
    let doc: Value = stage.document(&event).await.json().await.unwrap();
    assert_eq!(doc["participantCount"], 1, "{doc}");
    stage.settled().await;
    let confirmations: Vec<Value> = stage
        .remote
        .received()
        .into_iter()
        .filter(|a| a["type"] == "Create" && a["object"]["type"] == "Note")
        .collect();
    assert_eq!(confirmations.len(), 1, "{confirmations:?}");
    let note = &confirmations[0]["object"];
    assert_eq!(note["to"], serde_json::json!([stage.bob]));
    assert_eq!(note["inReplyTo"], poll.as_str());
    assert!(
        note["content"]
            .as_str()
            .unwrap()
            .contains("you are going to Forum on water"),
        "{note}"
    );
    // No Accept: a vote is not a Join.
    assert!(
        stage
            .remote
            .received()
            .iter()
            .all(|a| a["type"] != "Accept")
    );

    // The vote is not a post: not stored, not among the replies.
    for id in [
        vote["object"]["id"].as_str().unwrap(),
        forged["object"]["id"].as_str().unwrap(),
    ] {
        assert!(stage.kuvend.post(id).await.is_none(), "{id} stored");
    }
    let poll_row = stage.kuvend.post(&poll).await.unwrap();
    assert_eq!(poll_row.ap_type, "Question");
    assert_eq!(poll_row.visibility, "direct");
    let replies = posts::public_replies(&stage.kuvend.data(), poll_row.id)
        .await
        .unwrap();
    assert!(replies.is_empty());

    // The Question is served to its recipient with the tally; to anyone
    // else (unsigned) it does not exist.
    let bob = stage.kuvend.actor(&stage.bob).await.unwrap();
    let view = posts::local_post_for(&stage.kuvend.data(), "ngo", poll_row.id, Some(&bob))
        .await
        .unwrap();
    let served = polls::question_document(&stage.kuvend.data(), &view)
        .await
        .unwrap();
    let served = serde_json::to_value(served).unwrap();
    assert_eq!(served["votersCount"], 1);
    assert_eq!(served["oneOf"][0]["replies"]["totalItems"], 1);
    assert_eq!(served["oneOf"][1]["replies"]["totalItems"], 0);
    assert_eq!(stage.document(&poll).await.status(), 404);
}

on_both_databases!(
    reply_poll_vote,
    mastodon_reply_gets_one_poll_and_vote_records_rsvp_sqlite,
    mastodon_reply_gets_one_poll_and_vote_records_rsvp_postgres
);

impl Stage {
    fn url_of_status(&self, n: &str) -> String {
        self.remote.url(&format!("/users/bob/statuses/{n}"))
    }
}

async fn who_did_not_ask(backend: Backend) {
    let stage = Stage::start(backend).await;
    let event = stage.event("restricted", Some("sq")).await;
    let closed = stage.event("external", None).await;

    // The event's content ends with the invitation line, in its language;
    // an event that takes no answers here has none.
    let doc: Value = stage.document(&event).await.json().await.unwrap();
    let content = doc["content"].as_str().unwrap();
    let last = content.rsplit("<p>").next().unwrap();
    assert!(
        last.starts_with("Përgjigjuni këtij postimi duke përmendur"),
        "{content}"
    );
    assert!(last.contains("ngo"), "{last}");
    assert!(
        doc["tag"]
            .as_array()
            .is_none_or(|t| t.iter().all(|t| t["href"] != stage.org.ap_id.as_str()))
    );
    let closed_doc: Value = stage.document(&closed).await.json().await.unwrap();
    let closed_content = closed_doc["content"].as_str().unwrap();
    assert!(!closed_content.contains("mentioning"), "{closed_content}");

    // A reply without the mention gets no poll, though it addresses the
    // organisation (as every Mastodon reply addresses the author of what it
    // answers).
    let mut unmentioned = stage.reply(&event, "2001");
    let followers =
        serde_json::json!([format!("{}/followers", stage.bob), stage.org.ap_id.as_str()]);
    unmentioned["cc"] = followers.clone();
    unmentioned["object"]["cc"] = followers;
    unmentioned["object"]["tag"] = serde_json::json!([]);
    stage.send(&unmentioned).await;
    // A mention that replies to something else gets none either.
    let mut elsewhere = stage.reply(&event, "2002");
    elsewhere["object"]["inReplyTo"] = Value::Null;
    stage.send(&elsewhere).await;
    // Nor does a reply to an event that takes no answers here.
    stage.send(&stage.reply(&closed, "2003")).await;
    stage.settled().await;
    assert!(stage.questions().is_empty(), "{:?}", stage.questions());

    // Restricted: the Albanian poll, and a vote makes the person pending.
    stage.send(&stage.reply(&event, "2004")).await;
    stage.settled().await;
    let questions = stage.questions();
    assert_eq!(questions.len(), 1);
    let question = &questions[0]["object"];
    assert_eq!(names(question), ["Po vij", "Ndoshta", "Nuk vij"]);
    let poll = question["id"].as_str().unwrap();
    stage.send(&stage.vote(poll, "Po vij", "11")).await;
    assert_eq!(
        stage.state(&event, &stage.bob).await.as_deref(),
        Some("pending")
    );
    stage.settled().await;
    let confirmation = stage
        .remote
        .received()
        .into_iter()
        .find(|a| a["object"]["type"] == "Note")
        .expect("a confirmation");
    assert!(
        confirmation["object"]["content"]
            .as_str()
            .unwrap()
            .contains("pret miratimin"),
        "{confirmation}"
    );
}

on_both_databases!(
    who_did_not_ask,
    poll_only_for_who_asked_sqlite,
    poll_only_for_who_asked_postgres
);
