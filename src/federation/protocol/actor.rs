//! Actor documents, as kuvend serves them and as other servers send them.

use super::{deserialize_first_url, deserialize_lenient};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// An ActivityPub actor (`Organization`, `Group`, `Person`, `Service`, `Application`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActorJson {
    /// The actor's id, which is also where its document is fetched.
    pub id: Url,
    /// The ActivityStreams type; Mastodon shows `Group` as a group and
    /// `Service`/`Application` as bots.
    #[serde(rename = "type")]
    pub kind: String,
    /// The user name part of the handle (`ngo` in `@ngo@cso.example`).
    pub preferred_username: String,
    /// The display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The biography, as HTML.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The HTML profile page.
    #[serde(
        default,
        deserialize_with = "deserialize_first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
    /// The avatar.
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub icon: Option<ImageJson>,
    /// The header image.
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub image: Option<ImageJson>,
    /// Where activities for this actor are POSTed.
    pub inbox: Url,
    /// The actor's published activities.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<Url>,
    /// The collection of the actor's followers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub followers: Option<Url>,
    /// The collection of actors this actor follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<Url>,
    /// Pinned posts (Mastodon's `toot:featured`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub featured: Option<Url>,
    /// Extra endpoints; kuvend reads and sends `sharedInbox`.
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub endpoints: Option<EndpointsJson>,
    /// Whether follow requests wait for the actor's approval.
    #[serde(default)]
    pub manually_approves_followers: bool,
    /// Whether the actor may be listed in directories.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discoverable: Option<bool>,
    /// Whether the actor's public posts may be indexed for search.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub indexable: Option<bool>,
    /// When the actor was created.
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<DateTime<Utc>>,
    /// Profile fields (`PropertyValue`s).
    #[serde(default, deserialize_with = "deserialize_property_values")]
    pub attachment: Vec<PropertyValueJson>,
    /// A group's members collection (Smithereen, Mobilizon's own output;
    /// Mobilizon reads `endpoints.members` instead). Coalitions only.
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub members: Option<Url>,
    /// A group's admins (FEP-1b12 `moderators`, read by Lemmy and PieFed).
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub moderators: Option<Url>,
    /// For a group, the same URL as `moderators` (Lemmy and PieFed publish
    /// both and read either).
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub attributed_to: Option<Url>,
    /// How a group is joined, Mobilizon's vocabulary in lowercase:
    /// `invite_only`, `moderated` or `open`.
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub openness: Option<String>,
    /// How many members a group has (Mobilizon's `memberCount`), shown
    /// even when the list itself is not.
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub member_count: Option<i64>,
    /// Whether only the group's moderators post as it (FEP-1b12, Lemmy).
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub posting_restricted_to_mods: Option<bool>,
    /// The key that verifies the actor's HTTP signatures.
    pub public_key: PublicKeyJson,
}

fn deserialize_property_values<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Vec<PropertyValueJson>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    let items = match value {
        serde_json::Value::Array(items) => items,
        other => vec![other],
    };
    // Other attachment types (e.g. IdentityProof) are skipped, not errors.
    Ok(items
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect())
}

/// An image (avatar, header).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageJson {
    /// Always `Image`.
    #[serde(rename = "type", default = "image_type")]
    pub kind: String,
    /// The image's MIME type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Where the image is.
    #[serde(deserialize_with = "deserialize_required_url")]
    pub url: Url,
}

fn image_type() -> String {
    "Image".into()
}

fn deserialize_required_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    deserialize_first_url(d)?.ok_or_else(|| serde::de::Error::custom("no url"))
}

/// `endpoints` of an actor.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointsJson {
    /// The instance's shared inbox: one delivery per instance instead of per follower.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_inbox: Option<Url>,
    /// A group's members collection: where Mobilizon looks for it.
    #[serde(
        default,
        deserialize_with = "super::deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub members: Option<Url>,
}

/// A profile field, as Mastodon shows it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PropertyValueJson {
    /// Always `PropertyValue`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The field's label.
    pub name: String,
    /// The field's value, as HTML.
    pub value: String,
}

/// An actor's public key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyJson {
    /// The key's id, which signatures name as `keyId` (`<actor>#main-key`).
    pub id: String,
    /// The actor that owns the key.
    pub owner: Url,
    /// The RSA public key, PEM-encoded (SubjectPublicKeyInfo).
    pub public_key_pem: String,
}
