//! Each verb's `apply`, on a real instance context over a fresh SQLite
//! database: an activity is parsed, made ready by `prepare` and applied in a
//! transaction as the inbox's group commit does it, and the database is read
//! back. Signatures and the group commit itself are tested elsewhere
//! (tests/inbox_security.rs); here the sender is taken as authenticated.
//!
//! Nothing touches the network: every object is embedded, and no note
//! replies to a post that is not stored.

use super::*;
use crate::{
    app::Prepared,
    config::Settings,
    federation::protocol::note::NoteJson,
    model::{FollowState, Page, ReactionKind, Visibility},
    service::{
        orgs::{self, NewOrganization},
        posts::{self, NewPost},
    },
    storage::{
        Conn,
        models::{FollowRow, PostRow},
        now,
    },
};
use serde_json::{Value, json};

const PUBLIC: &str = crate::federation::protocol::note::PUBLIC;

/// One instance, `http://cso.example`, on its own database file.
struct Instance {
    prepared: Prepared,
    /// Holds the database file for as long as the test runs.
    _dir: tempfile::TempDir,
}

impl Instance {
    async fn new() -> Instance {
        let dir = tempfile::tempdir().unwrap();
        let env = [
            (
                "KUVEND_DATABASE__URL",
                format!("sqlite://{}/k.db", dir.path().display()),
            ),
            ("KUVEND_INSTANCE__DOMAIN", "cso.example".into()),
            ("KUVEND_INSTANCE__HTTPS", "false".into()),
            // Nothing here should fetch; if something does, it fails fast.
            ("KUVEND_FEDERATION__REQUEST_TIMEOUT_SECS", "2".into()),
        ]
        .map(|(k, v)| (k.to_string(), v));
        let settings = Settings::load_with_env(None, env).unwrap();
        Instance {
            prepared: crate::app::prepare(settings).await.unwrap(),
            _dir: dir,
        }
    }

    fn data(&self) -> FedData {
        self.prepared.data()
    }

    async fn conn(&self) -> Conn {
        self.prepared.ctx.db.conn().await.unwrap()
    }

    /// A local organisation, made through the service layer.
    async fn org(&self, username: &str, manual: bool) -> ActorRow {
        orgs::create_organization(
            &self.prepared.ctx,
            NewOrganization {
                username: username.into(),
                display_name: format!("The {username} organisation"),
                summary: String::new(),
                manually_approves_followers: manual,
            },
        )
        .await
        .unwrap()
    }

    /// A remote person `http://{host}/users/{username}`, stored as if fetched.
    async fn remote(&self, username: &str, host: &str) -> ActorRow {
        let id = format!("http://{host}/users/{username}");
        let now = now();
        self.conn()
            .await
            .q()
            .upsert_remote_actor(&NewActor {
                ap_id: id.clone(),
                kind: "person".into(),
                ap_type: "Person".into(),
                username: username.into(),
                username_key: username.into(),
                domain: host.into(),
                local: false,
                display_name: username.into(),
                summary: String::new(),
                profile_url: None,
                icon_url: None,
                inbox_url: format!("{id}/inbox"),
                shared_inbox_url: None,
                outbox_url: None,
                followers_url: Some(format!("{id}/followers")),
                following_url: None,
                public_key_id: format!("{id}#main-key"),
                public_key_pem: "unused: the sender counts as authenticated".into(),
                private_key_pem: None,
                manually_approves_followers: false,
                discoverable: false,
                published_at: now,
                fetched_at: Some(now),
                created_at: now,
                updated_at: now,
                image_url: None,
                fields_json: "[]".into(),
            })
            .await
            .unwrap()
    }

    /// One activity from `sender` through the inbox, after authentication:
    /// `prepare` outside the transaction, `apply` inside it, as
    /// `apply_queued` runs them (an error rolls back what it wrote).
    async fn receive(&self, sender: &ActorRow, activity: Value) -> ServiceResult<InboxOutcome> {
        let data = self.data();
        let raw = activity.to_string().into_boxed_str();
        let activity: IncomingActivity = serde_json::from_value(activity).unwrap();
        let ready = prepare(&data, &activity).await?;
        let envelope = Envelope { activity, raw };
        transaction!(data.db, ServiceError, |q| {
            apply(&data, &mut q, sender, &envelope, &ready).await
        })
    }

    async fn follow(&self, follower: &ActorRow, followee: &ActorRow) -> Option<FollowRow> {
        let mut conn = self.conn().await;
        conn.q()
            .follow_between(follower.id, followee.id)
            .await
            .unwrap()
    }

    async fn follow_state(&self, follower: &ActorRow, followee: &ActorRow) -> Option<FollowState> {
        self.follow(follower, followee).await.map(|f| f.state())
    }

    /// A follow stored directly, as if it had been made earlier.
    async fn put_follow(
        &self,
        follower: &ActorRow,
        followee: &ActorRow,
        state: FollowState,
        id: &str,
    ) {
        let mut conn = self.conn().await;
        conn.q()
            .put_follow(follower.id, followee.id, state, id)
            .await
            .unwrap();
    }

    async fn post(&self, ap_id: &str) -> Option<PostRow> {
        self.conn().await.q().post_by_ap_id(ap_id).await.unwrap()
    }

    async fn actor(&self, ap_id: &str) -> Option<ActorRow> {
        self.conn().await.q().actor_by_ap_id(ap_id).await.unwrap()
    }

    /// `recipient`'s notifications as (kind, from, post), newest first.
    async fn notifications(&self, recipient: &ActorRow) -> Vec<(String, i64, Option<i64>)> {
        let page = Page {
            limit: 100,
            ..Page::default()
        };
        let mut conn = self.conn().await;
        conn.q()
            .notifications(recipient.id, page)
            .await
            .unwrap()
            .into_iter()
            .map(|n| (n.kind, n.from_actor_id, n.post_id))
            .collect()
    }

    /// Queued deliveries of activities of `kind`, as (inbox, activity body).
    async fn deliveries(&self, kind: &str) -> Vec<(String, Value)> {
        let mut conn = self.conn().await;
        let mut q = conn.q();
        let mut found = Vec::new();
        for d in q.list_deliveries(None, 1000).await.unwrap() {
            if d.activity_kind == kind {
                let row = q
                    .activity_by_ap_id(&d.activity_ap_id)
                    .await
                    .unwrap()
                    .unwrap();
                let body = serde_json::from_str(&row.body.unwrap()).unwrap();
                found.push((d.delivery.inbox_url, body));
            }
        }
        found
    }

    /// A post by a local organisation, through the service layer.
    async fn local_post(&self, org: &ActorRow, visibility: Visibility) -> PostRow {
        let new = NewPost {
            text: "Our statement.".into(),
            visibility,
            in_reply_to: None,
            spoiler: None,
            language: None,
        };
        posts::create_post(&self.data(), &org.username, new)
            .await
            .unwrap()
    }

    /// A public note by a remote actor, stored directly (as an earlier
    /// `Create` would have), so that the verb under test is the only one run.
    async fn remote_post(&self, author: &ActorRow, n: u32) -> PostRow {
        let note = note(author, n, "<p>First version</p>", json!([]));
        let note: NoteJson = serde_json::from_value(note).unwrap();
        let row = crate::federation::notes::remote_post_row(&note, author, None).unwrap();
        self.conn()
            .await
            .q()
            .insert_post(&row, &[], &[])
            .await
            .unwrap();
        row
    }
}

/// A public note by `author` (its followers in cc), with the given tags.
fn note(author: &ActorRow, n: u32, content: &str, tag: Value) -> Value {
    json!({
        "id": format!("{}/statuses/{n}", author.ap_id),
        "type": "Note",
        "attributedTo": author.ap_id,
        "content": content,
        "to": [PUBLIC],
        "cc": [author.followers_url],
        "tag": tag,
    })
}

/// `{type}` by `actor` of `object`, with a fresh id on the actor's host.
fn activity(kind: &str, actor: &ActorRow, object: Value) -> Value {
    json!({
        "id": format!("{}/activities/{}", actor.ap_id, uuid::Uuid::new_v4()),
        "type": kind,
        "actor": actor.ap_id,
        "to": [PUBLIC],
        "object": object,
    })
}

fn id_of(activity: &Value) -> String {
    activity["id"].as_str().unwrap().to_string()
}

fn is_ignored(outcome: &ServiceResult<InboxOutcome>) -> bool {
    matches!(outcome, Ok(InboxOutcome::Ignored(_)))
}

fn is_unauthorized(outcome: &ServiceResult<InboxOutcome>) -> bool {
    matches!(outcome, Err(ServiceError::Unauthorized(_)))
}

// --- Follow -----------------------------------------------------------------

#[tokio::test]
async fn follow_of_an_open_org_is_accepted_and_answered() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;

    let follow = activity("Follow", &alice, json!(org.ap_id));
    let outcome = t.receive(&alice, follow.clone()).await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    let stored = t.follow(&alice, &org).await.unwrap();
    assert_eq!(stored.state(), FollowState::Accepted);
    assert_eq!(stored.follow_ap_id, id_of(&follow));
    // The Accept goes to the follower and names its Follow.
    let accepts = t.deliveries("Accept").await;
    assert_eq!(accepts.len(), 1, "{accepts:?}");
    assert_eq!(accepts[0].0, alice.inbox_url);
    assert_eq!(accepts[0].1["actor"], json!(org.ap_id));
    assert_eq!(accepts[0].1["object"]["id"], json!(id_of(&follow)));
    assert_eq!(
        t.notifications(&org).await,
        [("follow".to_string(), alice.id, None)]
    );
}

#[tokio::test]
async fn follow_of_a_manually_approving_org_waits_for_approval() {
    let t = Instance::new().await;
    let org = t.org("ngo", true).await;
    let alice = t.remote("alice", "remote.example").await;

    let outcome = t
        .receive(&alice, activity("Follow", &alice, json!(org.ap_id)))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    assert_eq!(
        t.follow_state(&alice, &org).await,
        Some(FollowState::Pending)
    );
    assert!(t.deliveries("Accept").await.is_empty());
    assert_eq!(
        t.notifications(&org).await,
        [("follow_request".to_string(), alice.id, None)]
    );
}

#[tokio::test]
async fn follow_of_an_actor_not_ours_is_not_found_and_stores_nothing() {
    let t = Instance::new().await;
    let _org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let bob = t.remote("bob", "other.example").await;
    let before = t.conn().await.q().row_counts().await.unwrap();

    // A remote actor we know, and one nobody knows.
    for object in [bob.ap_id.clone(), "http://cso.example/users/nobody".into()] {
        let outcome = t
            .receive(&alice, activity("Follow", &alice, json!(object)))
            .await;
        assert!(
            matches!(outcome, Err(ServiceError::NotFound(_))),
            "{outcome:?}"
        );
    }

    assert_eq!(t.conn().await.q().row_counts().await.unwrap(), before);
}

// --- Accept -----------------------------------------------------------------

/// Our organisation's follow of a remote actor, waiting for its answer.
const OUR_FOLLOW: &str = "http://cso.example/activities/our-follow";

#[tokio::test]
async fn accept_by_the_follow_id_accepts_our_follow() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let bob = t.remote("bob", "remote.example").await;
    t.put_follow(&org, &bob, FollowState::Pending, OUR_FOLLOW)
        .await;

    let outcome = t
        .receive(&bob, activity("Accept", &bob, json!(OUR_FOLLOW)))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    assert_eq!(
        t.follow_state(&org, &bob).await,
        Some(FollowState::Accepted)
    );
}

#[tokio::test]
async fn accept_of_an_embedded_follow_without_a_known_id_accepts_by_actor_and_object() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let other = t.org("other", false).await;
    let bob = t.remote("bob", "remote.example").await;
    t.put_follow(&org, &bob, FollowState::Pending, OUR_FOLLOW)
        .await;
    t.put_follow(
        &other,
        &bob,
        FollowState::Pending,
        "http://cso.example/activities/other-follow",
    )
    .await;

    // Without an id at all, and with an id we never gave out.
    let no_id = json!({"type": "Follow", "actor": org.ap_id, "object": bob.ap_id});
    let outcome = t.receive(&bob, activity("Accept", &bob, no_id)).await;
    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    assert_eq!(
        t.follow_state(&org, &bob).await,
        Some(FollowState::Accepted)
    );
    assert_eq!(
        t.follow_state(&other, &bob).await,
        Some(FollowState::Pending),
        "only the follow the Accept names"
    );

    let unknown_id = json!({
        "id": "http://remote.example/rewritten/1", "type": "Follow",
        "actor": other.ap_id, "object": bob.ap_id,
    });
    let outcome = t.receive(&bob, activity("Accept", &bob, unknown_id)).await;
    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    assert_eq!(
        t.follow_state(&other, &bob).await,
        Some(FollowState::Accepted)
    );
}

#[tokio::test]
async fn accept_of_something_unknown_is_ignored_and_changes_nothing() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let bob = t.remote("bob", "remote.example").await;
    t.put_follow(&org, &bob, FollowState::Pending, OUR_FOLLOW)
        .await;
    let before = t.conn().await.q().row_counts().await.unwrap();

    let unknown = [
        json!("http://remote.example/activities/never-seen"),
        json!({"id": "http://remote.example/activities/never-seen", "type": "Follow"}),
        // An embedded Follow between actors with no follow between them.
        json!({"type": "Follow", "actor": bob.ap_id, "object": org.ap_id}),
    ];
    for object in unknown {
        let outcome = t.receive(&bob, activity("Accept", &bob, object)).await;
        assert!(is_ignored(&outcome), "{outcome:?}");
    }

    assert_eq!(t.follow_state(&org, &bob).await, Some(FollowState::Pending));
    assert_eq!(t.conn().await.q().row_counts().await.unwrap(), before);
}

#[tokio::test]
async fn accept_of_a_like_is_ignored_and_leaves_the_follow_pending() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let bob = t.remote("bob", "remote.example").await;
    let post = t.local_post(&org, Visibility::Public).await;
    t.put_follow(&org, &bob, FollowState::Pending, OUR_FOLLOW)
        .await;
    let like = activity("Like", &bob, json!(post.ap_id));
    assert_eq!(
        t.receive(&bob, like.clone()).await.unwrap(),
        InboxOutcome::Applied
    );

    // The referent is found, and is a reaction: not something to accept.
    let outcome = t
        .receive(&bob, activity("Accept", &bob, json!(id_of(&like))))
        .await;

    assert!(is_ignored(&outcome), "{outcome:?}");
    assert_eq!(t.follow_state(&org, &bob).await, Some(FollowState::Pending));
    assert_eq!(t.post(&post.ap_id).await.unwrap().likes_count, 1);
}

#[tokio::test]
async fn accept_from_someone_other_than_the_followee_is_unauthorized() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let bob = t.remote("bob", "remote.example").await;
    let mallory = t.remote("mallory", "evil.example").await;
    t.put_follow(&org, &bob, FollowState::Pending, OUR_FOLLOW)
        .await;

    let by_id = t
        .receive(&mallory, activity("Accept", &mallory, json!(OUR_FOLLOW)))
        .await;
    let embedded = json!({"type": "Follow", "actor": org.ap_id, "object": bob.ap_id});
    let by_embedding = t
        .receive(&mallory, activity("Accept", &mallory, embedded))
        .await;

    assert!(is_unauthorized(&by_id), "{by_id:?}");
    assert!(is_unauthorized(&by_embedding), "{by_embedding:?}");
    assert_eq!(t.follow_state(&org, &bob).await, Some(FollowState::Pending));
}

// --- Reject -----------------------------------------------------------------

#[tokio::test]
async fn reject_deletes_our_follow() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let bob = t.remote("bob", "remote.example").await;
    t.put_follow(&org, &bob, FollowState::Pending, OUR_FOLLOW)
        .await;

    let outcome = t
        .receive(&bob, activity("Reject", &bob, json!(OUR_FOLLOW)))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    assert_eq!(t.follow(&org, &bob).await.map(|f| f.id), None);
}

// --- Undo -------------------------------------------------------------------

/// A remote actor's accepted follow of our organisation.
const THEIR_FOLLOW: &str = "http://remote.example/users/alice/follows/1";

#[tokio::test]
async fn undo_of_a_follow_by_its_follower_deletes_it() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    t.put_follow(&alice, &org, FollowState::Accepted, THEIR_FOLLOW)
        .await;

    let follow =
        json!({"id": THEIR_FOLLOW, "type": "Follow", "actor": alice.ap_id, "object": org.ap_id});
    let outcome = t.receive(&alice, activity("Undo", &alice, follow)).await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    assert_eq!(t.follow_state(&alice, &org).await, None);
}

#[tokio::test]
async fn undo_of_a_follow_by_someone_else_is_unauthorized() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let mallory = t.remote("mallory", "evil.example").await;
    t.put_follow(&alice, &org, FollowState::Accepted, THEIR_FOLLOW)
        .await;

    let by_id = t
        .receive(&mallory, activity("Undo", &mallory, json!(THEIR_FOLLOW)))
        .await;
    let embedded = json!({"type": "Follow", "actor": alice.ap_id, "object": org.ap_id});
    let by_embedding = t
        .receive(&mallory, activity("Undo", &mallory, embedded))
        .await;

    assert!(is_unauthorized(&by_id), "{by_id:?}");
    assert!(is_unauthorized(&by_embedding), "{by_embedding:?}");
    assert_eq!(
        t.follow_state(&alice, &org).await,
        Some(FollowState::Accepted)
    );
}

#[tokio::test]
async fn undo_naming_only_a_like_id_removes_the_like() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let post = t.local_post(&org, Visibility::Public).await;
    let like = activity("Like", &alice, json!(post.ap_id));
    t.receive(&alice, like.clone()).await.unwrap();
    assert_eq!(t.post(&post.ap_id).await.unwrap().likes_count, 1);

    let outcome = t
        .receive(&alice, activity("Undo", &alice, json!(id_of(&like))))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    assert_eq!(t.post(&post.ap_id).await.unwrap().likes_count, 0);
    let mut conn = t.conn().await;
    let reaction = conn.q().reaction_by_activity(&id_of(&like)).await.unwrap();
    assert_eq!(reaction, None);
}

#[tokio::test]
async fn undo_of_an_embedded_announce_without_its_id_removes_the_boost() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let post = t.local_post(&org, Visibility::Public).await;
    t.receive(&alice, activity("Announce", &alice, json!(post.ap_id)))
        .await
        .unwrap();
    assert_eq!(t.post(&post.ap_id).await.unwrap().boosts_count, 1);

    // Found by its actor and object, as the referent's second way.
    let announce = json!({"type": "Announce", "actor": alice.ap_id, "object": post.ap_id});
    let outcome = t.receive(&alice, activity("Undo", &alice, announce)).await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    assert_eq!(t.post(&post.ap_id).await.unwrap().boosts_count, 0);
}

#[tokio::test]
async fn undo_of_something_unknown_is_ignored() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let post = t.local_post(&org, Visibility::Public).await;
    t.put_follow(&alice, &org, FollowState::Accepted, THEIR_FOLLOW)
        .await;
    let before = t.conn().await.q().row_counts().await.unwrap();

    let unknown = [
        json!("http://remote.example/users/alice/follows/2"),
        json!({"id": "http://remote.example/users/alice/likes/9", "type": "Like",
               "actor": alice.ap_id, "object": post.ap_id}),
    ];
    for object in unknown {
        let outcome = t.receive(&alice, activity("Undo", &alice, object)).await;
        assert!(is_ignored(&outcome), "{outcome:?}");
    }

    assert_eq!(t.conn().await.q().row_counts().await.unwrap(), before);
    assert_eq!(
        t.follow_state(&alice, &org).await,
        Some(FollowState::Accepted)
    );
}

// --- Create -----------------------------------------------------------------

#[tokio::test]
async fn create_of_a_note_mentioning_an_org_is_stored_and_notified() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let mention = json!([{"type": "Mention", "href": org.ap_id, "name": "@ngo@cso.example"}]);
    let note = note(&alice, 1, "<p>Hello @ngo</p>", mention);

    let outcome = t
        .receive(&alice, activity("Create", &alice, note.clone()))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    let post = t.post(note["id"].as_str().unwrap()).await.unwrap();
    assert_eq!(post.author_id, alice.id);
    assert_eq!(post.content, "<p>Hello @ngo</p>");
    assert_eq!(
        t.notifications(&org).await,
        [("mention".to_string(), alice.id, Some(post.id))]
    );
}

#[tokio::test]
async fn create_of_a_note_concerning_no_one_here_is_ignored() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    // No local follower of alice, no mention, no reply to a local post.
    let note = note(&alice, 1, "<p>Hello world</p>", json!([]));

    let outcome = t
        .receive(&alice, activity("Create", &alice, note.clone()))
        .await;

    assert!(is_ignored(&outcome), "{outcome:?}");
    assert!(t.post(note["id"].as_str().unwrap()).await.is_none());
    assert!(t.notifications(&org).await.is_empty());
}

#[tokio::test]
async fn create_of_a_note_attributed_to_another_actor_is_unauthorized() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let mallory = t.remote("mallory", "remote.example").await;
    let mention = json!([{"type": "Mention", "href": org.ap_id, "name": "@ngo@cso.example"}]);
    // Relevant (it mentions us), but mallory passes it off as alice's.
    let note = note(&alice, 1, "<p>I, alice, resign</p>", mention);

    let outcome = t
        .receive(&mallory, activity("Create", &mallory, note.clone()))
        .await;

    assert!(is_unauthorized(&outcome), "{outcome:?}");
    assert!(t.post(note["id"].as_str().unwrap()).await.is_none());
    assert!(t.notifications(&org).await.is_empty());
}

// --- Update -----------------------------------------------------------------

/// `actor`'s own document, with a new name and summary.
fn actor_document(actor: &ActorRow, name: &str, summary: &str) -> Value {
    json!({
        "id": actor.ap_id,
        "type": "Person",
        "preferredUsername": actor.username,
        "name": name,
        "summary": summary,
        "inbox": actor.inbox_url,
        "followers": actor.followers_url,
        "publicKey": {
            "id": actor.public_key_id,
            "owner": actor.ap_id,
            "publicKeyPem": actor.public_key_pem,
        },
    })
}

#[tokio::test]
async fn update_of_the_actor_itself_replaces_its_profile() {
    let t = Instance::new().await;
    let alice = t.remote("alice", "remote.example").await;
    assert_eq!(alice.display_name, "alice");

    let document = actor_document(&alice, "Alice Liddell", "<p>Down the hole</p>");
    let outcome = t
        .receive(&alice, activity("Update", &alice, document))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    let stored = t.actor(&alice.ap_id).await.unwrap();
    assert_eq!(stored.id, alice.id);
    assert_eq!(stored.display_name, "Alice Liddell");
    assert_eq!(stored.summary, "<p>Down the hole</p>");
}

/// `name` is plain text (ActivityStreams: "HTML markup MUST NOT be
/// included"): markup is stripped where it enters, the text kept unescaped
/// (whatever shows it escapes it).
#[tokio::test]
async fn update_of_the_actor_keeps_its_name_as_plain_text() {
    let t = Instance::new().await;
    let alice = t.remote("alice", "remote.example").await;
    let name = r#"<b>Alice</b> & <img src=x onerror="alert(1)">"#;

    let document = actor_document(&alice, name, "");
    let outcome = t
        .receive(&alice, activity("Update", &alice, document))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    let stored = t.actor(&alice.ap_id).await.unwrap();
    assert_eq!(
        stored.display_name, "Alice & ",
        "markup stripped, text kept"
    );
}

/// FEDERATION.md: "Remote HTML (`content`, `summary`) is cleaned". An
/// actor's summary is HTML too, and goes unchanged to apps as the
/// account's `note` (http/mastodon/entities.rs), which apps render as HTML.
#[tokio::test]
async fn update_of_the_actor_sanitises_its_summary() {
    let t = Instance::new().await;
    let alice = t.remote("alice", "remote.example").await;

    let summary = r#"<p>Hi</p><script>alert(1)</script><img src=x onerror="alert(2)">"#;
    let document = actor_document(&alice, "Alice", summary);
    t.receive(&alice, activity("Update", &alice, document))
        .await
        .unwrap();

    let stored = t.actor(&alice.ap_id).await.unwrap();
    assert_eq!(stored.summary, crate::service::text::sanitize_html(summary));
    assert!(!stored.summary.contains("<script"), "{}", stored.summary);
    assert!(!stored.summary.contains("onerror"), "{}", stored.summary);
}

/// An Update of a stored note, by `sender`, with new content.
fn note_update(sender: &ActorRow, post: &PostRow, author: &ActorRow, content: &str) -> Value {
    let mut note: Value = note(author, 0, content, json!([]));
    note["id"] = json!(post.ap_id);
    note["updated"] = json!("2030-01-02T03:04:05Z");
    activity("Update", sender, note)
}

#[tokio::test]
async fn update_of_its_note_replaces_the_content() {
    let t = Instance::new().await;
    let alice = t.remote("alice", "remote.example").await;
    let post = t.remote_post(&alice, 1).await;

    let update = note_update(&alice, &post, &alice, "<p>Second version</p>");
    let outcome = t.receive(&alice, update).await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    let stored = t.post(&post.ap_id).await.unwrap();
    assert_eq!(stored.content, "<p>Second version</p>");
    assert!(stored.edited_at.is_some());
}

#[tokio::test]
async fn update_of_a_note_by_someone_else_is_unauthorized() {
    let t = Instance::new().await;
    let alice = t.remote("alice", "remote.example").await;
    let mallory = t.remote("mallory", "evil.example").await;
    let post = t.remote_post(&alice, 1).await;

    // The note still says alice wrote it; the sender is mallory.
    let update = note_update(&mallory, &post, &alice, "<p>Forged</p>");
    let outcome = t.receive(&mallory, update).await;

    assert!(is_unauthorized(&outcome), "{outcome:?}");
    let stored = t.post(&post.ap_id).await.unwrap();
    assert_eq!(stored.content, "<p>First version</p>");
    assert_eq!(stored.edited_at, None);
}

// --- Delete -----------------------------------------------------------------

#[tokio::test]
async fn delete_of_its_post_marks_it_deleted() {
    let t = Instance::new().await;
    let alice = t.remote("alice", "remote.example").await;
    let post = t.remote_post(&alice, 1).await;
    let other = t.remote_post(&alice, 2).await;

    let tombstone = json!({"id": post.ap_id, "type": "Tombstone"});
    let outcome = t
        .receive(&alice, activity("Delete", &alice, tombstone))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    let stored = t.post(&post.ap_id).await.unwrap();
    assert!(stored.deleted_at.is_some());
    assert_eq!(stored.content, "");
    assert_eq!(t.post(&other.ap_id).await.unwrap().deleted_at, None);
}

#[tokio::test]
async fn delete_of_the_actor_itself_removes_it_and_its_posts() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let bob = t.remote("bob", "remote.example").await;
    let posts = [
        t.remote_post(&alice, 1).await,
        t.remote_post(&alice, 2).await,
    ];
    let bobs = t.remote_post(&bob, 1).await;
    t.put_follow(&alice, &org, FollowState::Accepted, THEIR_FOLLOW)
        .await;

    let outcome = t
        .receive(&alice, activity("Delete", &alice, json!(alice.ap_id)))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    assert!(t.actor(&alice.ap_id).await.is_none());
    for post in &posts {
        assert!(t.post(&post.ap_id).await.is_none(), "{}", post.ap_id);
    }
    assert_eq!(t.follow_state(&alice, &org).await, None);
    assert!(t.post(&bobs.ap_id).await.is_some(), "only alice's posts");
    assert!(t.actor(&bob.ap_id).await.is_some());
}

/// FEDERATION.md: the deleted actor's "likes and boosts" go with it. The
/// rows go (ON DELETE CASCADE) but the counts on the posts they were on stay.
#[tokio::test]
async fn delete_of_the_actor_lowers_the_counts_of_its_reactions() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let post = t.local_post(&org, Visibility::Public).await;
    for kind in ["Like", "Announce"] {
        let reaction = activity(kind, &alice, json!(post.ap_id));
        t.receive(&alice, reaction).await.unwrap();
    }
    let before = t.post(&post.ap_id).await.unwrap();
    assert_eq!((before.likes_count, before.boosts_count), (1, 1));

    t.receive(&alice, activity("Delete", &alice, json!(alice.ap_id)))
        .await
        .unwrap();

    let after = t.post(&post.ap_id).await.unwrap();
    assert_eq!((after.likes_count, after.boosts_count), (0, 0));
}

#[tokio::test]
async fn delete_of_something_unknown_is_ignored() {
    let t = Instance::new().await;
    let alice = t.remote("alice", "remote.example").await;
    let post = t.remote_post(&alice, 1).await;

    let unknown = "http://remote.example/users/alice/statuses/404";
    let outcome = t
        .receive(&alice, activity("Delete", &alice, json!(unknown)))
        .await;

    assert!(is_ignored(&outcome), "{outcome:?}");
    assert_eq!(t.post(&post.ap_id).await.unwrap().deleted_at, None);
    assert!(t.actor(&alice.ap_id).await.is_some());
}

// --- Like and Announce ------------------------------------------------------

#[tokio::test]
async fn like_of_a_local_public_post_is_counted_and_notified() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let post = t.local_post(&org, Visibility::Public).await;
    assert_eq!(post.likes_count, 0);

    let outcome = t
        .receive(&alice, activity("Like", &alice, json!(post.ap_id)))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    let stored = t.post(&post.ap_id).await.unwrap();
    assert_eq!((stored.likes_count, stored.boosts_count), (1, 0));
    assert_eq!(
        t.notifications(&org).await,
        [("favourite".to_string(), alice.id, Some(post.id))]
    );
}

#[tokio::test]
async fn announce_of_a_local_public_post_is_counted_and_notified() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let post = t.local_post(&org, Visibility::Public).await;
    assert_eq!(post.boosts_count, 0);

    let outcome = t
        .receive(&alice, activity("Announce", &alice, json!(post.ap_id)))
        .await;

    assert_eq!(outcome.unwrap(), InboxOutcome::Applied);
    let stored = t.post(&post.ap_id).await.unwrap();
    assert_eq!((stored.likes_count, stored.boosts_count), (0, 1));
    assert_eq!(
        t.notifications(&org).await,
        [("reblog".to_string(), alice.id, Some(post.id))]
    );
    let mut conn = t.conn().await;
    let recorded = conn
        .q()
        .reaction_activity(ReactionKind::Announce, alice.id, post.id)
        .await
        .unwrap();
    assert!(recorded.is_some());
}

#[tokio::test]
async fn like_and_announce_of_an_unknown_object_are_ignored() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    let before = t.conn().await.q().row_counts().await.unwrap();

    for kind in ["Like", "Announce"] {
        let object = json!("http://cso.example/users/ngo/statuses/404");
        let outcome = t.receive(&alice, activity(kind, &alice, object)).await;
        assert!(is_ignored(&outcome), "{kind}: {outcome:?}");
    }

    assert!(t.notifications(&org).await.is_empty());
    assert_eq!(t.conn().await.q().row_counts().await.unwrap(), before);
}

#[tokio::test]
async fn announce_of_a_followers_only_post_is_ignored() {
    let t = Instance::new().await;
    let org = t.org("ngo", false).await;
    let alice = t.remote("alice", "remote.example").await;
    // An accepted follower may see the post (and could like it), so only
    // the rule that followers-only posts are not boosted stops the Announce.
    t.put_follow(&alice, &org, FollowState::Accepted, THEIR_FOLLOW)
        .await;
    let post = t.local_post(&org, Visibility::Followers).await;

    let outcome = t
        .receive(&alice, activity("Announce", &alice, json!(post.ap_id)))
        .await;

    assert!(is_ignored(&outcome), "{outcome:?}");
    assert_eq!(t.post(&post.ap_id).await.unwrap().boosts_count, 0);
    assert!(t.notifications(&org).await.is_empty());
    // The same follower's Like of it counts: the post was visible to her.
    let like = t
        .receive(&alice, activity("Like", &alice, json!(post.ap_id)))
        .await;
    assert_eq!(like.unwrap(), InboxOutcome::Applied);
}
