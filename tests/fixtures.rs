//! Actor and activity documents as other servers send them (Mastodon,
//! GoToSocial, Pleroma; shapes from their documentation and test data) parse,
//! pass kuvend's checks, and fail them when tampered with.

use kuvend::federation::{
    actors::remote_actor_row,
    protocol::{
        activities::{InboxActivity, IncomingActivity},
        actor::ActorJson,
    },
};
use url::Url;

fn fixture(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn actor(path: &str) -> ActorJson {
    serde_json::from_value(fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn mastodon_actor_is_read_fully() {
    let json = actor("mastodon/actor.json");
    let row = remote_actor_row(&json, &json.id).unwrap();
    assert_eq!(row.username, "Gargron");
    assert_eq!(row.username_key, "gargron");
    assert_eq!(row.domain, "mastodon.social");
    assert_eq!(row.kind, "person");
    assert_eq!(
        row.shared_inbox_url.as_deref(),
        Some("https://mastodon.social/inbox")
    );
    assert_eq!(
        row.public_key_id,
        "https://mastodon.social/users/Gargron#main-key"
    );
    assert_eq!(
        row.profile_url.as_deref(),
        Some("https://mastodon.social/@Gargron")
    );
    assert!(row.icon_url.as_deref().unwrap().ends_with(".jpg"));
    assert!(row.discoverable);
    assert_eq!(json.attachment.len(), 2);
    assert_eq!(json.attachment[1].name, "GitHub");
}

#[test]
fn gotosocial_actor_with_path_key_id_is_accepted() {
    let json = actor("gotosocial/actor.json");
    let row = remote_actor_row(&json, &json.id).unwrap();
    assert_eq!(
        row.public_key_id,
        "https://gts.example/users/the_mighty_zork/main-key"
    );
    assert_eq!(row.shared_inbox_url, None);
}

#[test]
fn pleroma_actor_with_extra_endpoints_is_accepted() {
    let json = actor("pleroma/actor.json");
    let row = remote_actor_row(&json, &json.id).unwrap();
    assert_eq!(
        row.shared_inbox_url.as_deref(),
        Some("https://pleroma.example/inbox")
    );
    assert_eq!(row.display_name, "lain");
}

#[test]
fn actors_that_point_elsewhere_are_refused() {
    let original = fixture("mastodon/actor.json");
    let tampered = |pointer: &str, value: &str| {
        let mut doc = original.clone();
        *doc.pointer_mut(pointer).unwrap() = serde_json::Value::String(value.into());
        let json: ActorJson = serde_json::from_value(doc).unwrap();
        remote_actor_row(&json, &json.id)
    };
    assert!(tampered("/inbox", "https://evil.example/inbox").is_err());
    assert!(tampered("/endpoints/sharedInbox", "https://evil.example/inbox").is_err());
    assert!(tampered("/outbox", "https://evil.example/outbox").is_err());
    assert!(
        tampered(
            "/publicKey/owner",
            "https://mastodon.social/users/someone_else"
        )
        .is_err()
    );
    assert!(
        tampered(
            "/publicKey/id",
            "https://evil.example/users/Gargron#main-key"
        )
        .is_err()
    );
    // A document served from another host than its id.
    let json = actor("mastodon/actor.json");
    assert!(
        remote_actor_row(
            &json,
            &Url::parse("https://evil.example/users/Gargron").unwrap()
        )
        .is_err()
    );
}

#[test]
fn mastodon_follow_accept_and_undo_parse() {
    let follow: IncomingActivity = serde_json::from_value(fixture("mastodon/follow.json")).unwrap();
    assert_eq!(follow.kind, "Follow");
    assert_eq!(
        follow.object_id().unwrap().as_str(),
        "https://cso.example/users/ngo"
    );

    let accept: IncomingActivity = serde_json::from_value(fixture("mastodon/accept.json")).unwrap();
    assert_eq!(accept.kind, "Accept");
    assert_eq!(accept.object_type(), Some("Follow"));
    assert_eq!(
        accept.object_id().unwrap().as_str(),
        "https://cso.example/activities/0f9e9b0e-1c34-4c50-9d7c-1c3b8fbc1a11"
    );
    let InboxActivity::Accept(embedded) = accept.parse().unwrap() else {
        panic!("not read as an Accept");
    };
    assert_eq!(embedded.kind.as_deref(), Some("Follow"));
    assert_eq!(
        embedded.actor.unwrap().as_str(),
        "https://cso.example/users/ngo"
    );

    let undo: IncomingActivity =
        serde_json::from_value(fixture("mastodon/undo_follow.json")).unwrap();
    assert_eq!(undo.object_type(), Some("Follow"));
    let InboxActivity::Undo(withdrawn) = undo.parse().unwrap() else {
        panic!("not read as an Undo");
    };
    assert_eq!(
        withdrawn.object.unwrap().as_str(),
        "https://cso.example/users/ngo"
    );
}

#[test]
fn mastodon_create_note_is_read_and_sanitised() {
    use kuvend::federation::{
        notes::{clean_remote_note, remote_post_row},
        protocol::note::NoteJson,
    };
    let create: IncomingActivity =
        serde_json::from_value(fixture("mastodon/create_note.json")).unwrap();
    assert_eq!(create.kind, "Create");
    let note: NoteJson = serde_json::from_value(create.object.clone()).unwrap();
    assert_eq!(note.attributed_to, create.actor);
    assert_eq!(
        note.in_reply_to.as_ref().unwrap().as_str(),
        "https://cso.example/users/ngo/statuses/117693300823464801"
    );
    // Emoji tags are skipped; Mention and Hashtag kept.
    let kinds: Vec<&str> = note.tag.iter().map(|t| t.kind.as_str()).collect();
    assert_eq!(kinds, ["Mention", "Hashtag"]);

    let json = actor("mastodon/actor.json");
    let mut author = kuvend::storage::models::ActorRow {
        id: 7,
        ap_id: json.id.to_string(),
        kind: "person".into(),
        ap_type: "Person".into(),
        username: "Gargron".into(),
        username_key: "gargron".into(),
        domain: "mastodon.social".into(),
        local: false,
        display_name: String::new(),
        summary: String::new(),
        profile_url: None,
        icon_url: None,
        inbox_url: json.inbox.to_string(),
        shared_inbox_url: None,
        outbox_url: None,
        followers_url: Some("https://mastodon.social/users/Gargron/followers".into()),
        following_url: None,
        public_key_id: json.public_key.id.clone(),
        public_key_pem: json.public_key.public_key_pem.clone(),
        private_key_pem: None,
        manually_approves_followers: false,
        discoverable: true,
        published_at: chrono::Utc::now().naive_utc(),
        fetched_at: None,
        created_at: chrono::Utc::now().naive_utc(),
        updated_at: chrono::Utc::now().naive_utc(),
        suspended_at: None,
        image_url: None,
        avatar_media_id: None,
        header_media_id: None,
        fields_json: "[]".into(),
    };
    let note = clean_remote_note(note).unwrap();
    let row = remote_post_row(&note, &author, None).unwrap();
    assert_eq!(row.visibility, "public");
    assert_eq!(row.language.as_deref(), Some("en"));
    assert_eq!(row.author_id, 7);
    assert!(row.content.contains("Count me in for"));
    assert!(row.content.contains("class=\"mention hashtag\""));
    assert!(
        !row.content.contains("<script")
            && !row.content.contains("onerror")
            && !row.content.contains("<img")
    );
    assert!(
        !row.content.contains("translate="),
        "attributes off the allow-list are dropped"
    );

    // The same note claimed by another actor is refused.
    author.ap_id = "https://mastodon.social/users/someone_else".into();
    assert!(remote_post_row(&note, &author, None).is_err());
}
