//! Rows as stored. The small enums stored as text in them are the shared
//! vocabulary of [`crate::model`].

use super::schema::{activities, actors, deliveries, events, follows, posts};
use crate::model::{ActorKind, FollowState, Visibility};
use chrono::NaiveDateTime;
use diesel::prelude::*;

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
    /// When an admin suspended the account (issue 15); None when not suspended.
    pub suspended_at: Option<NaiveDateTime>,
    /// A remote actor's header image (issue 16); local actors use `header_media_id`.
    pub image_url: Option<String>,
    /// A local actor's avatar upload (`media_attachments.id`).
    pub avatar_media_id: Option<i64>,
    /// A local actor's header upload (`media_attachments.id`).
    pub header_media_id: Option<i64>,
    /// Profile fields: `[{name, value_text, value_html, verified_at}]`
    /// (`service::profile::Field`).
    pub fields_json: String,
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
    /// A remote actor's header image (None for local actors).
    pub image_url: Option<String>,
    /// Profile fields as JSON (`[]` for a new local actor).
    pub fields_json: String,
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
    /// For a boost (ap_type `Announce`): the boosted post. A boost is a row
    /// of its own, as in Mastodon, with empty content; it is never listed as
    /// content (timelines, pages, feeds), only as the booster's boost.
    pub reblog_of_id: Option<i64>,
    /// FEP-1b12 `audience`: the coalition (a Group's ap id) the post was
    /// addressed to (issue 14 item 1), sent on our Note/Event when set.
    pub audience: Option<String>,
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

/// The event side of a post whose `ap_type` is `Event`. The enums (join
/// mode, status) are stored as text; `crate::model` names them.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = events, primary_key(post_id))]
#[diesel(treat_none_as_null = true)]
pub struct EventRow {
    pub post_id: i64,
    pub name: String,
    /// Plain text as typed; the post's content is the rendered form.
    pub description: String,
    /// UTC.
    pub starts_at: NaiveDateTime,
    /// UTC.
    pub ends_at: Option<NaiveDateTime>,
    /// IANA zone name, e.g. `Europe/Tirane`.
    pub timezone: String,
    /// The wall time as typed (`2026-12-10T18:00`), in `timezone`.
    pub start_local: String,
    pub end_local: Option<String>,
    pub place_name: Option<String>,
    pub street_address: Option<String>,
    pub locality: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub online_url: Option<String>,
    /// One of FEP-8a8e's categories.
    pub category: Option<String>,
    pub capacity: Option<i64>,
    pub join_mode: String,
    pub external_url: Option<String>,
    pub status: String,
    /// UTC start before a reschedule or postponement.
    pub previous_start: Option<NaiveDateTime>,
    /// Why it was cancelled or postponed, as the organiser wrote it.
    pub status_reason: Option<String>,
    /// Participants (RSVPs arrive with issue 12).
    pub participant_count: i64,
    pub updated_at: NaiveDateTime,
    /// The iCalendar `SEQUENCE`: one more at every change.
    pub sequence: i64,
    /// Minutes before the start that participants get a reminder; 0 is
    /// none. Only local events are reminded of.
    pub reminder_minutes: i64,
    /// When the reminder was claimed and written. Never written by
    /// `update_event` (a change read before the sender claimed it must not
    /// clear the claim): only by `claim_reminder` and `rearm_reminder`.
    #[diesel(skip_update)]
    pub reminder_sent_at: Option<NaiveDateTime>,
}

/// Someone's answer to an event of ours (issue 12), in any dialect.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = super::schema::participants)]
pub struct ParticipantRow {
    pub id: i64,
    pub event_post_id: i64,
    pub actor_id: i64,
    /// A [`crate::model::ParticipantState`].
    pub state: String,
    /// The answering activity's id as its sender gave it.
    pub activity_ap_id: String,
    /// Its type as received (`Join`, `TentativeJoin`, `Accept`...).
    pub activity_kind: String,
    /// The participation message, plain text.
    pub message: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ParticipantRow {
    pub fn state(&self) -> crate::model::ParticipantState {
        crate::model::ParticipantState::parse(&self.state)
            .unwrap_or(crate::model::ParticipantState::Pending)
    }
}

/// A participant row to write: a new answer, or one replacing the actor's
/// earlier answer to the same event.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = super::schema::participants)]
pub struct NewParticipant {
    pub event_post_id: i64,
    pub actor_id: i64,
    pub state: String,
    pub activity_ap_id: String,
    pub activity_kind: String,
    pub message: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
