//! Mastodon client API entities, as JSON, and their construction from
//! kuvend's rows. Field names follow docs.joinmastodon.org/entities; dates are
//! ISO 8601 strings with millisecond precision in UTC, as Mastodon sends them.

use crate::model::ActorKind;
use crate::service::{ActorRow, PostRow};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The Mastodon API version kuvend claims to be compatible with.
pub const MASTODON_COMPAT_VERSION: &str = "4.3.0";

/// The `version` string of the instance entities, e.g.
/// `4.3.0 (compatible; kuvend 0.1.0)`, which clients parse for features.
pub fn version_string() -> String {
    format!(
        "{MASTODON_COMPAT_VERSION} (compatible; kuvend {})",
        env!("CARGO_PKG_VERSION")
    )
}

/// A timestamp as Mastodon writes it: `2016-03-16T14:34:26.392Z`.
pub fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A day as Mastodon writes account creation: `2016-03-16T00:00:00.000Z`.
fn iso_midnight(t: NaiveDateTime) -> String {
    format!("{}T00:00:00.000Z", t.format("%Y-%m-%d"))
}

// ---------------------------------------------------------------------------
// Accounts

/// A custom emoji used in display names, bios and posts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CustomEmoji {
    /// The name, without colons.
    pub shortcode: String,
    /// URL of the image.
    pub url: String,
    /// URL of a non-animated copy.
    pub static_url: String,
    /// Whether it is offered in the emoji picker.
    pub visible_in_picker: bool,
    /// Picker category, if any.
    pub category: Option<String>,
}

/// A profile metadata field.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountField {
    /// The label.
    pub name: String,
    /// The value, as HTML.
    pub value: String,
    /// When a link in `value` was verified (rel=me), if it was.
    pub verified_at: Option<String>,
}

/// A user of the network and their profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    /// Database id, as a string.
    pub id: String,
    /// The username, without domain.
    pub username: String,
    /// `username` for local accounts, `username@domain` for remote ones.
    pub acct: String,
    /// The profile's display name.
    pub display_name: String,
    /// Whether follows need approval.
    pub locked: bool,
    /// Whether the account is automated (Application or Service actor).
    pub bot: bool,
    /// Whether the account may be featured in the directory.
    pub discoverable: bool,
    /// Whether public posts may be indexed for search.
    pub indexable: bool,
    /// Whether the account is a group (a coalition, in kuvend).
    pub group: bool,
    /// The day the account was created, at midnight UTC.
    pub created_at: String,
    /// The bio, as HTML.
    pub note: String,
    /// The profile page.
    pub url: String,
    /// The ActivityPub actor id.
    pub uri: String,
    /// Avatar image URL.
    pub avatar: String,
    /// Non-animated avatar image URL.
    pub avatar_static: String,
    /// Header image URL.
    pub header: String,
    /// Non-animated header image URL.
    pub header_static: String,
    /// Number of followers.
    pub followers_count: i64,
    /// Number of accounts followed.
    pub following_count: i64,
    /// Number of posts.
    pub statuses_count: i64,
    /// Day of the last post (`YYYY-MM-DD`), if any.
    pub last_status_at: Option<String>,
    /// Custom emoji in the display name and bio.
    pub emojis: Vec<CustomEmoji>,
    /// Profile metadata fields.
    pub fields: Vec<AccountField>,
    /// Whether the follower and following lists are hidden.
    pub hide_collections: Option<bool>,
    /// Whether the account opted out of search engine indexing (local only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noindex: Option<bool>,
    /// Displayed roles.
    #[serde(default)]
    pub roles: Vec<Value>,
}

/// Defaults for new posts and the bio as typed, for the signed-in account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountSource {
    /// Default visibility of new posts.
    pub privacy: String,
    /// Whether new posts are marked sensitive by default.
    pub sensitive: bool,
    /// Default language of new posts.
    pub language: Option<String>,
    /// The bio as plain text.
    pub note: String,
    /// Profile fields as plain text.
    pub fields: Vec<AccountField>,
    /// Number of pending follow requests.
    pub follow_requests_count: i64,
}

/// The signed-in user's own account, from `verify_credentials`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CredentialAccount {
    /// The public account.
    #[serde(flatten)]
    pub account: Account,
    /// Defaults and raw profile text.
    pub source: AccountSource,
}

/// Counts shown on an account, computed by the caller.
#[derive(Debug, Clone, Copy, Default)]
pub struct AccountCounts {
    /// Number of accepted followers.
    pub followers: i64,
    /// Number of accounts followed.
    pub following: i64,
    /// Number of posts.
    pub statuses: i64,
    /// When the latest post was published.
    pub last_status_at: Option<NaiveDateTime>,
}

/// An actor row as a Mastodon account. `default_avatar` and
/// `default_header` are full URLs used where the actor has no image.
pub fn account(
    row: &ActorRow,
    counts: AccountCounts,
    local_domain: &str,
    default_avatar: &str,
    default_header: &str,
) -> Account {
    let local = row.local || row.domain.eq_ignore_ascii_case(local_domain);
    let kind = row.kind();
    let avatar = row
        .icon_url
        .clone()
        .unwrap_or_else(|| default_avatar.to_string());
    Account {
        id: row.id.to_string(),
        username: row.username.clone(),
        acct: if local {
            row.username.clone()
        } else {
            row.handle()
        },
        display_name: row.display_name.clone(),
        locked: row.manually_approves_followers,
        bot: matches!(kind, ActorKind::Application | ActorKind::Service),
        discoverable: row.discoverable,
        indexable: row.discoverable,
        group: kind == ActorKind::Coalition,
        created_at: iso_midnight(row.published_at),
        note: row.summary.clone(),
        url: row.profile_url.clone().unwrap_or_else(|| row.ap_id.clone()),
        uri: row.ap_id.clone(),
        avatar_static: avatar.clone(),
        avatar,
        header: default_header.to_string(),
        header_static: default_header.to_string(),
        followers_count: counts.followers,
        following_count: counts.following,
        statuses_count: counts.statuses,
        last_status_at: counts
            .last_status_at
            .map(|t| t.format("%Y-%m-%d").to_string()),
        emojis: Vec::new(),
        fields: Vec::new(),
        hide_collections: None,
        noindex: local.then_some(!row.discoverable),
        roles: Vec::new(),
    }
}

// ---------------------------------------------------------------------------
// Statuses

/// The application a post was made with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusApplication {
    /// The application's name.
    pub name: String,
    /// The application's website, if any.
    pub website: Option<String>,
}

/// An account mentioned in a post.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusMention {
    /// The mentioned account's id.
    pub id: String,
    /// Its username.
    pub username: String,
    /// Its profile page.
    pub url: String,
    /// Its `acct` (`username` if local, else `username@domain`).
    pub acct: String,
}

/// A hashtag used in a post.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusTag {
    /// The tag, without `#`.
    pub name: String,
    /// The tag's page on this server.
    pub url: String,
}

/// A post.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Status {
    /// Database id, as a string.
    pub id: String,
    /// The ActivityPub object id.
    pub uri: String,
    /// When it was published.
    pub created_at: String,
    /// When it was last edited, if ever.
    pub edited_at: Option<String>,
    /// The author.
    pub account: Account,
    /// The body, as HTML.
    pub content: String,
    /// `public`, `unlisted`, `private` or `direct`.
    pub visibility: String,
    /// Whether media is marked sensitive.
    pub sensitive: bool,
    /// Content warning; empty if none.
    pub spoiler_text: String,
    /// Attached media.
    pub media_attachments: Vec<Value>,
    /// The posting application, when shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<StatusApplication>,
    /// Mentioned accounts.
    pub mentions: Vec<StatusMention>,
    /// Hashtags used.
    pub tags: Vec<StatusTag>,
    /// Custom emoji used.
    pub emojis: Vec<CustomEmoji>,
    /// Number of boosts.
    pub reblogs_count: i64,
    /// Number of favourites.
    pub favourites_count: i64,
    /// Number of replies.
    pub replies_count: i64,
    /// The post's HTML page.
    pub url: Option<String>,
    /// Id of the post replied to.
    pub in_reply_to_id: Option<String>,
    /// Id of the author of the post replied to.
    pub in_reply_to_account_id: Option<String>,
    /// The boosted post, if this is a boost.
    pub reblog: Option<Box<Status>>,
    /// The poll, if any.
    pub poll: Option<Value>,
    /// The link preview card, if any.
    pub card: Option<Value>,
    /// ISO 639 language code, if known.
    pub language: Option<String>,
    /// The source text, only when asked for (delete and redraft).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Whether the viewer favourited it.
    #[serde(default)]
    pub favourited: bool,
    /// Whether the viewer boosted it.
    #[serde(default)]
    pub reblogged: bool,
    /// Whether the viewer muted the conversation.
    #[serde(default)]
    pub muted: bool,
    /// Whether the viewer bookmarked it.
    #[serde(default)]
    pub bookmarked: bool,
    /// Whether the author pinned it (the viewer's own posts only).
    #[serde(default)]
    pub pinned: bool,
    /// Filters the post matched for the viewer.
    #[serde(default)]
    pub filtered: Vec<Value>,
}

/// What a post looks like to a particular viewer, beyond its row.
#[derive(Debug, Clone, Default)]
pub struct StatusExtras {
    /// Mentioned accounts.
    pub mentions: Vec<StatusMention>,
    /// Hashtags used.
    pub tags: Vec<StatusTag>,
    /// Author of the post replied to, if known.
    pub in_reply_to_account_id: Option<String>,
    /// Whether the viewer favourited it.
    pub favourited: bool,
    /// Whether the viewer boosted it.
    pub reblogged: bool,
    /// Whether the viewer bookmarked it.
    pub bookmarked: bool,
    /// The boosted post, for a boost.
    pub reblog: Option<Box<Status>>,
    /// The posting application, when shown.
    pub application: Option<StatusApplication>,
}

/// Mastodon's name for a visibility: kuvend's `followers` is `private`.
fn mastodon_visibility(post: &PostRow) -> &'static str {
    match post.visibility().as_str() {
        "followers" => "private",
        other => other,
    }
}

/// A post row, with its author as an account, as a Mastodon status.
pub fn status(post: &PostRow, account: Account, view: StatusExtras) -> Status {
    Status {
        id: post.id.to_string(),
        uri: post.ap_id.clone(),
        created_at: iso(post.published_at),
        edited_at: post.edited_at.map(iso),
        account,
        content: post.content.clone(),
        visibility: mastodon_visibility(post).to_string(),
        sensitive: post.sensitive,
        spoiler_text: post.summary.clone().unwrap_or_default(),
        media_attachments: Vec::new(),
        application: view.application,
        mentions: view.mentions,
        tags: view.tags,
        emojis: Vec::new(),
        reblogs_count: post.boosts_count,
        favourites_count: post.likes_count,
        replies_count: post.replies_count,
        url: Some(post.url.clone().unwrap_or_else(|| post.ap_id.clone())),
        in_reply_to_id: post.in_reply_to_id.map(|id| id.to_string()),
        in_reply_to_account_id: view.in_reply_to_account_id,
        reblog: view.reblog,
        poll: None,
        card: None,
        language: post.language.clone(),
        text: post.source.clone(),
        favourited: view.favourited,
        reblogged: view.reblogged,
        muted: false,
        bookmarked: view.bookmarked,
        pinned: false,
        filtered: Vec::new(),
    }
}

/// One revision of a post, from its edit history.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusEdit {
    /// The body at this revision, as HTML.
    pub content: String,
    /// The content warning at this revision.
    pub spoiler_text: String,
    /// Whether media was marked sensitive.
    pub sensitive: bool,
    /// When this revision was made.
    pub created_at: String,
    /// The author.
    pub account: Account,
    /// Media at this revision.
    pub media_attachments: Vec<Value>,
    /// Custom emoji at this revision.
    pub emojis: Vec<CustomEmoji>,
}

/// A post as its author typed it, for editing.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusSource {
    /// The post's id.
    pub id: String,
    /// The plain text.
    pub text: String,
    /// The content warning.
    pub spoiler_text: String,
}

/// The thread around a post.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Context {
    /// Posts above, oldest first.
    pub ancestors: Vec<Status>,
    /// Replies below, in thread order.
    pub descendants: Vec<Status>,
}

// ---------------------------------------------------------------------------
// Relationships, notifications, markers, search

/// How the viewer and another account relate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Relationship {
    /// The other account's id.
    pub id: String,
    /// Whether the viewer follows it.
    pub following: bool,
    /// Whether its boosts show in the viewer's home timeline.
    pub showing_reblogs: bool,
    /// Whether the viewer is notified of its posts.
    pub notifying: bool,
    /// Languages the viewer follows it in, if restricted.
    pub languages: Option<Vec<String>>,
    /// Whether it follows the viewer.
    pub followed_by: bool,
    /// Whether the viewer blocks it.
    pub blocking: bool,
    /// Whether it blocks the viewer.
    pub blocked_by: bool,
    /// Whether the viewer mutes it.
    pub muting: bool,
    /// Whether the viewer mutes its notifications.
    pub muting_notifications: bool,
    /// Whether the viewer's follow request is pending.
    pub requested: bool,
    /// Whether its follow request to the viewer is pending.
    pub requested_by: bool,
    /// Whether the viewer blocks its domain.
    pub domain_blocking: bool,
    /// Whether the viewer features it on their profile.
    pub endorsed: bool,
    /// The viewer's private note on it.
    pub note: String,
}

/// Something that happened to the viewer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notification {
    /// Database id, as a string.
    pub id: String,
    /// `mention`, `status`, `reblog`, `follow`, `follow_request`,
    /// `favourite`, `poll`, `update`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened.
    pub created_at: String,
    /// Who caused it.
    pub account: Account,
    /// The post concerned, for post-related types.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
}

/// The viewer's position in a timeline.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Marker {
    /// Id of the last item read.
    pub last_read_id: String,
    /// Incremented on each update, for conflict detection.
    pub version: i64,
    /// When the marker was last set.
    pub updated_at: String,
}

/// Results of `/api/v2/search`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SearchResults {
    /// Matching accounts.
    pub accounts: Vec<Account>,
    /// Matching posts.
    pub statuses: Vec<Status>,
    /// Matching hashtags.
    pub hashtags: Vec<Value>,
}

// ---------------------------------------------------------------------------
// Applications, tokens, preferences, errors

/// A registered client application.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Application {
    /// The application's name.
    pub name: String,
    /// The application's website, if any.
    pub website: Option<String>,
    /// Scopes it may request.
    pub scopes: Vec<String>,
    /// Redirect URIs, newline-separated (deprecated form).
    pub redirect_uri: String,
    /// Redirect URIs.
    pub redirect_uris: Vec<String>,
    /// OAuth client id, on registration only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// OAuth client secret, on registration only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Web Push VAPID public key (deprecated here), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vapid_key: Option<String>,
}

/// An OAuth access token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    /// The bearer token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// When it was issued, as a Unix timestamp.
    pub created_at: i64,
}

/// The viewer's preferences, with Mastodon's colon-separated keys.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Preferences {
    /// Default visibility of new posts.
    #[serde(rename = "posting:default:visibility")]
    pub posting_default_visibility: String,
    /// Whether new posts are sensitive by default.
    #[serde(rename = "posting:default:sensitive")]
    pub posting_default_sensitive: bool,
    /// Default language of new posts.
    #[serde(rename = "posting:default:language")]
    pub posting_default_language: Option<String>,
    /// `default`, `show_all` or `hide_all`.
    #[serde(rename = "reading:expand:media")]
    pub reading_expand_media: String,
    /// Whether content warnings are expanded.
    #[serde(rename = "reading:expand:spoilers")]
    pub reading_expand_spoilers: bool,
}

/// An error body, as Mastodon sends them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ApiError {
    /// What went wrong.
    pub error: String,
    /// More detail (OAuth errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
}

impl ApiError {
    /// An error with only a message.
    pub fn new(error: impl Into<String>) -> Self {
        ApiError {
            error: error.into(),
            error_description: None,
        }
    }
}

// ---------------------------------------------------------------------------
// Instance

/// Limits on posts.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusesConfiguration {
    /// Maximum characters in a post.
    pub max_characters: i64,
    /// Maximum media attachments on a post.
    pub max_media_attachments: i64,
    /// Characters each URL counts as.
    pub characters_reserved_per_url: i64,
}

/// Limits on media uploads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MediaAttachmentsConfiguration {
    /// MIME types that can be uploaded.
    pub supported_mime_types: Vec<String>,
    /// Maximum image size, in bytes.
    pub image_size_limit: i64,
    /// Maximum image pixels (width times height).
    pub image_matrix_limit: i64,
    /// Maximum video size, in bytes.
    pub video_size_limit: i64,
    /// Maximum video frame rate.
    pub video_frame_rate_limit: i64,
    /// Maximum video pixels (width times height).
    pub video_matrix_limit: i64,
}

/// Limits on polls.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PollsConfiguration {
    /// Maximum options in a poll.
    pub max_options: i64,
    /// Maximum characters in an option.
    pub max_characters_per_option: i64,
    /// Shortest duration, in seconds.
    pub min_expiration: i64,
    /// Longest duration, in seconds.
    pub max_expiration: i64,
}

/// Streaming URLs in `/api/v1/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV1Urls {
    /// The WebSocket streaming endpoint.
    pub streaming_api: String,
}

/// Totals in `/api/v1/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV1Stats {
    /// Local users.
    pub user_count: i64,
    /// Local posts.
    pub status_count: i64,
    /// Known domains.
    pub domain_count: i64,
}

/// Account limits in `/api/v1/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV1Accounts {
    /// Maximum featured hashtags.
    pub max_featured_tags: i64,
}

/// Limits in `/api/v1/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV1Configuration {
    /// Post limits.
    pub statuses: StatusesConfiguration,
    /// Media limits.
    pub media_attachments: MediaAttachmentsConfiguration,
    /// Poll limits.
    pub polls: PollsConfiguration,
    /// Account limits.
    pub accounts: InstanceV1Accounts,
}

/// The server, as `/api/v1/instance` describes it (deprecated form).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV1 {
    /// The domain.
    pub uri: String,
    /// The server's name.
    pub title: String,
    /// A short description.
    pub short_description: String,
    /// A longer description (HTML allowed).
    pub description: String,
    /// Contact email.
    pub email: String,
    /// Mastodon-compatible version, see [`version_string`].
    pub version: String,
    /// Streaming URLs.
    pub urls: InstanceV1Urls,
    /// Totals.
    pub stats: InstanceV1Stats,
    /// Banner image URL, if any.
    pub thumbnail: Option<String>,
    /// Primary languages (ISO 639-1).
    pub languages: Vec<String>,
    /// Whether registration is open.
    pub registrations: bool,
    /// Whether registrations need approval.
    pub approval_required: bool,
    /// Whether invites are enabled.
    pub invites_enabled: bool,
    /// Limits.
    pub configuration: InstanceV1Configuration,
    /// The contact account, if any.
    pub contact_account: Option<Account>,
    /// Server rules.
    pub rules: Vec<Value>,
}

/// Active users in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV2Users {
    /// Users active in the last 30 days.
    pub active_month: i64,
}

/// Usage in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV2Usage {
    /// User activity.
    pub users: InstanceV2Users,
}

/// Banner image in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV2Thumbnail {
    /// The image URL.
    pub url: String,
}

/// URLs in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV2Urls {
    /// The WebSocket streaming endpoint.
    pub streaming: String,
}

/// Account limits in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV2Accounts {
    /// Maximum featured hashtags.
    pub max_featured_tags: i64,
    /// Maximum pinned posts.
    pub max_pinned_statuses: i64,
}

/// Translation support in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV2Translation {
    /// Whether posts can be translated (never, in kuvend).
    pub enabled: bool,
}

/// Configuration in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV2Configuration {
    /// Useful URLs.
    pub urls: InstanceV2Urls,
    /// Account limits.
    pub accounts: InstanceV2Accounts,
    /// Post limits.
    pub statuses: StatusesConfiguration,
    /// Media limits.
    pub media_attachments: MediaAttachmentsConfiguration,
    /// Poll limits.
    pub polls: PollsConfiguration,
    /// Translation support.
    pub translation: InstanceV2Translation,
}

/// Registration in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV2Registrations {
    /// Whether registration is open.
    pub enabled: bool,
    /// Whether registrations need approval.
    pub approval_required: bool,
    /// A message shown when registration is closed, if any (HTML).
    pub message: Option<String>,
}

/// Contact in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV2Contact {
    /// Contact email.
    pub email: String,
    /// The contact account, if any.
    pub account: Option<Account>,
}

/// The server, as `/api/v2/instance` describes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InstanceV2 {
    /// The domain.
    pub domain: String,
    /// The server's name.
    pub title: String,
    /// Mastodon-compatible version, see [`version_string`].
    pub version: String,
    /// Where the source code is (AGPL).
    pub source_url: String,
    /// A short description.
    pub description: String,
    /// Usage figures.
    pub usage: InstanceV2Usage,
    /// Banner image.
    pub thumbnail: InstanceV2Thumbnail,
    /// Primary languages (ISO 639-1).
    pub languages: Vec<String>,
    /// Limits and URLs.
    pub configuration: InstanceV2Configuration,
    /// Registration.
    pub registrations: InstanceV2Registrations,
    /// Contact.
    pub contact: InstanceV2Contact,
    /// Server rules.
    pub rules: Vec<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Option<NaiveDateTime> {
        NaiveDate::from_ymd_opt(y, m, d)?.and_hms_milli_opt(h, mi, s, ms)
    }

    #[test]
    fn dates_look_like_mastodons() {
        let Some(t) = at(2016, 3, 16, 14, 34, 26, 392) else {
            panic!("bad date");
        };
        assert_eq!(iso(t), "2016-03-16T14:34:26.392Z");
        assert_eq!(iso_midnight(t), "2016-03-16T00:00:00.000Z");
    }

    #[test]
    fn preferences_use_dotted_keys() {
        let prefs = Preferences {
            posting_default_visibility: "public".into(),
            posting_default_sensitive: false,
            posting_default_language: None,
            reading_expand_media: "default".into(),
            reading_expand_spoilers: false,
        };
        let json = serde_json::to_value(&prefs).unwrap_or_default();
        assert_eq!(json["posting:default:visibility"], "public");
        assert!(json["posting:default:language"].is_null());
    }
}
