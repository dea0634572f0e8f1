//! Rows as stored, and the small enums stored as text in them.

use super::schema::{activities, actors, deliveries, follows, posts};
use chrono::NaiveDateTime;
use diesel::prelude::*;

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What an actor is to kuvend, whatever its wire type.
    ActorKind {
        Organization = "organization",
        Coalition = "coalition",
        Person = "person",
        Application = "application",
        Service = "service",
    }
);

text_enum!(
    /// A follow is pending until the followee's `Accept`, then accepted.
    FollowState {
        Pending = "pending",
        Accepted = "accepted",
    }
);

text_enum!(
    /// Who may see a post, in Mastodon's four levels.
    Visibility {
        Public = "public",
        Unlisted = "unlisted",
        Followers = "followers",
        Direct = "direct",
    }
);

text_enum!(
    /// A reaction to a post.
    ReactionKind {
        Like = "like",
        Announce = "announce",
    }
);

text_enum!(
    /// Where a delivery stands in the queue.
    DeliveryState {
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
);

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = actors)]
pub struct ActorRow {
    pub id: i64,
    pub ap_id: String,
    pub kind: String,
    pub ap_type: String,
    pub username: String,
    pub username_key: String,
    pub domain: String,
    pub local: bool,
    pub display_name: String,
    pub summary: String,
    pub profile_url: Option<String>,
    pub icon_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub published_at: NaiveDateTime,
    pub fetched_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ActorRow {
    pub fn kind(&self) -> ActorKind {
        ActorKind::parse(&self.kind).unwrap_or(ActorKind::Person)
    }

    /// `user@domain`, as shown to people.
    pub fn handle(&self) -> String {
        format!("{}@{}", self.username, self.domain)
    }
}

/// An actor to insert, or the new state of a remote actor to upsert.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = actors)]
pub struct NewActor {
    pub ap_id: String,
    pub kind: String,
    pub ap_type: String,
    pub username: String,
    pub username_key: String,
    pub domain: String,
    pub local: bool,
    pub display_name: String,
    pub summary: String,
    pub profile_url: Option<String>,
    pub icon_url: Option<String>,
    pub inbox_url: String,
    pub shared_inbox_url: Option<String>,
    pub outbox_url: Option<String>,
    pub followers_url: Option<String>,
    pub following_url: Option<String>,
    pub public_key_id: String,
    pub public_key_pem: String,
    pub private_key_pem: Option<String>,
    pub manually_approves_followers: bool,
    pub discoverable: bool,
    pub published_at: NaiveDateTime,
    pub fetched_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = follows)]
pub struct FollowRow {
    pub id: i64,
    pub follower_id: i64,
    pub followee_id: i64,
    pub state: String,
    pub follow_ap_id: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl FollowRow {
    pub fn state(&self) -> FollowState {
        FollowState::parse(&self.state).unwrap_or(FollowState::Pending)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = follows)]
pub struct NewFollow {
    pub follower_id: i64,
    pub followee_id: i64,
    pub state: String,
    pub follow_ap_id: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = activities)]
pub struct ActivityRow {
    pub id: i64,
    pub ap_id: String,
    pub kind: String,
    pub actor_id: i64,
    pub local: bool,
    pub body: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = activities)]
pub struct NewActivity {
    pub ap_id: String,
    pub kind: String,
    pub actor_id: i64,
    pub local: bool,
    pub body: Option<String>,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub activity_id: i64,
    pub inbox_url: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = deliveries)]
pub struct NewDelivery {
    pub activity_id: i64,
    pub inbox_url: String,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Insertable)]
#[diesel(table_name = posts)]
pub struct PostRow {
    pub id: i64,
    pub ap_id: String,
    pub ap_type: String,
    pub author_id: i64,
    pub local: bool,
    pub visibility: String,
    /// Sanitised HTML.
    pub content: String,
    /// What the author typed, for local posts (edits start from it).
    pub source: Option<String>,
    /// Content warning.
    pub summary: Option<String>,
    pub sensitive: bool,
    pub language: Option<String>,
    pub url: Option<String>,
    pub in_reply_to_ap_id: Option<String>,
    pub in_reply_to_id: Option<i64>,
    /// Addressing as sent or received (JSON arrays of URLs).
    pub to_json: String,
    pub cc_json: String,
    pub replies_count: i64,
    pub likes_count: i64,
    pub boosts_count: i64,
    pub published_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub deleted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The staff member who wrote a local post; never federated.
    pub written_by_user_id: Option<i64>,
}

impl PostRow {
    pub fn visibility(&self) -> Visibility {
        Visibility::parse(&self.visibility).unwrap_or(Visibility::Direct)
    }

    /// Whether anyone, signed in or not, may read it.
    pub fn is_public(&self) -> bool {
        matches!(self.visibility(), Visibility::Public | Visibility::Unlisted)
    }
}
