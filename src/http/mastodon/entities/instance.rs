//! The server, as `/api/v1/instance` and `/api/v2/instance` describe it.

use super::Account;
use serde::Serialize;
use serde_json::Value;

/// Limits on posts.
#[derive(Debug, Clone, Serialize)]
pub struct StatusesConfiguration {
    /// Maximum characters in a post.
    pub max_characters: usize,
    /// Maximum media attachments on a post.
    pub max_media_attachments: i64,
    /// Characters each URL counts as.
    pub characters_reserved_per_url: i64,
}

/// Limits on media uploads.
#[derive(Debug, Clone, Serialize)]
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
    /// Maximum characters of alt text.
    pub description_limit: i64,
}

/// Limits on polls.
#[derive(Debug, Clone, Serialize)]
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

/// Limits on accounts.
#[derive(Debug, Clone, Serialize)]
pub struct AccountsConfiguration {
    /// Maximum featured hashtags.
    pub max_featured_tags: i64,
    /// Maximum pinned posts.
    pub max_pinned_statuses: i64,
    /// Maximum profile fields.
    pub max_profile_fields: i64,
    /// Maximum characters of a profile field's name.
    pub profile_field_name_limit: i64,
    /// Maximum characters of a profile field's value.
    pub profile_field_value_limit: i64,
}

/// URLs in the configuration.
#[derive(Debug, Clone, Serialize)]
pub struct UrlsConfiguration {
    /// The WebSocket streaming endpoint, if any.
    pub streaming: Option<String>,
}

/// Translation support.
#[derive(Debug, Clone, Serialize)]
pub struct TranslationConfiguration {
    /// Whether posts can be translated.
    pub enabled: bool,
}

/// Limits and URLs. Both instance entities carry the same one, in
/// `/api/v2/instance`'s form, which is a superset of v1's.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceConfiguration {
    /// Post limits.
    pub statuses: StatusesConfiguration,
    /// Media limits.
    pub media_attachments: MediaAttachmentsConfiguration,
    /// Poll limits.
    pub polls: PollsConfiguration,
    /// Account limits.
    pub accounts: AccountsConfiguration,
    /// Useful URLs.
    pub urls: UrlsConfiguration,
    /// Translation support.
    pub translation: TranslationConfiguration,
}

/// Streaming URLs in `/api/v1/instance`.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceV1Urls {
    /// The WebSocket streaming endpoint, if any.
    pub streaming_api: Option<String>,
}

/// Totals in `/api/v1/instance`.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceV1Stats {
    /// Local users.
    pub user_count: i64,
    /// Local posts.
    pub status_count: i64,
    /// Known domains.
    pub domain_count: i64,
}

/// The server, as `/api/v1/instance` describes it (deprecated form).
#[derive(Debug, Clone, Serialize)]
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
    /// Mastodon-compatible version, see [`super::version_string`].
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
    pub configuration: InstanceConfiguration,
    /// The contact account, if any.
    pub contact_account: Option<Account>,
    /// Server rules: none yet.
    pub rules: Vec<Value>,
}

/// Active users in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceV2Users {
    /// Users active in the last 30 days.
    pub active_month: i64,
}

/// Usage in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceV2Usage {
    /// User activity.
    pub users: InstanceV2Users,
}

/// Banner image in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceV2Thumbnail {
    /// The image URL.
    pub url: String,
}

/// Registration in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceV2Registrations {
    /// Whether registration is open.
    pub enabled: bool,
    /// Whether registrations need approval.
    pub approval_required: bool,
    /// A message shown when registration is closed, if any (HTML).
    pub message: Option<String>,
}

/// Contact in `/api/v2/instance`.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceV2Contact {
    /// Contact email.
    pub email: String,
    /// The contact account, if any.
    pub account: Option<Account>,
}

/// API versions in `/api/v2/instance`, which clients check for features.
#[derive(Debug, Clone, Serialize)]
pub struct ApiVersions {
    /// The Mastodon API version.
    pub mastodon: i64,
    /// Rebased's events API (`/api/v1/pleroma/events`), version 1: pl-api
    /// turns on its `events` feature when this key is at least 1 (it maps
    /// Pleroma's `metadata.features` into the same keys).
    #[serde(rename = "events.pleroma.pl-api")]
    pub pleroma_events: i64,
    /// pl-api's groups API (`/api/v1/groups`), version 1, under the key
    /// the newer pl-api reads.
    #[serde(rename = "groups.pleroma.pl-api")]
    pub groups: i64,
    /// The same, under the key the older pl-api (pl-fe 2024) reads.
    #[serde(rename = "pleroma:groups.pleroma.pl-api")]
    pub pleroma_groups: i64,
}

/// The server, as `/api/v2/instance` describes it.
#[derive(Debug, Clone, Serialize)]
pub struct InstanceV2 {
    /// The domain.
    pub domain: String,
    /// The server's name.
    pub title: String,
    /// Mastodon-compatible version, see [`super::version_string`].
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
    pub configuration: InstanceConfiguration,
    /// Registration.
    pub registrations: InstanceV2Registrations,
    /// Contact.
    pub contact: InstanceV2Contact,
    /// Server rules: none yet.
    pub rules: Vec<Value>,
    /// API versions.
    pub api_versions: ApiVersions,
}

/// One of the instance's domain blocks, as `GET /api/v1/instance/domain_blocks`
/// shows it (Mastodon's `DomainBlock` entity).
#[derive(Debug, Clone, Serialize)]
pub struct DomainBlock {
    /// The blocked domain (covers its subdomains).
    pub domain: String,
    /// SHA-256 of the domain, lower-case hex.
    pub digest: String,
    /// `silence` or `suspend`.
    pub severity: &'static str,
    /// The public reason; absent when there is none or it is private.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}
