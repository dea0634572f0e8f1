//! Notes (posts) and the activities that carry them.

use super::{deserialize_first_url, deserialize_lenient};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use url::Url;

/// The ActivityStreams public collection, and the short forms some servers use.
pub const PUBLIC: &str = "https://www.w3.org/ns/activitystreams#Public";

/// Whether an addressing entry means "public".
pub fn is_public(url: &str) -> bool {
    url == PUBLIC || url == "as:Public" || url == "Public"
}

/// A `Note`: a post.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoteJson {
    /// The post's id; fetching it gives this document (or a Tombstone and 410).
    pub id: Url,
    /// `Note` (other object types are read the same way where they fit).
    #[serde(rename = "type")]
    pub kind: String,
    /// The author.
    #[serde(deserialize_with = "deserialize_author")]
    pub attributed_to: Url,
    /// The post's text, as HTML.
    #[serde(default)]
    pub content: String,
    /// The same text keyed by language, as Mastodon sends it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_lenient"
    )]
    pub content_map: Option<serde_json::Map<String, Value>>,
    /// The content warning (Mastodon shows it as a spoiler).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "deserialize_lenient"
    )]
    pub summary: Option<String>,
    /// Whether the content is hidden behind the warning.
    #[serde(default, deserialize_with = "deserialize_bool_lenient")]
    pub sensitive: bool,
    /// The post this one replies to.
    #[serde(
        default,
        deserialize_with = "deserialize_first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub in_reply_to: Option<Url>,
    /// When it was published.
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub published: Option<DateTime<Utc>>,
    /// When it was last edited; present on edits (Update).
    #[serde(
        default,
        deserialize_with = "deserialize_lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated: Option<DateTime<Utc>>,
    /// Its HTML page.
    #[serde(
        default,
        deserialize_with = "deserialize_first_url",
        skip_serializing_if = "Option::is_none"
    )]
    pub url: Option<Url>,
    /// Primary audience: see the visibility mapping in FEDERATION.md.
    #[serde(default, deserialize_with = "deserialize_urls")]
    pub to: Vec<String>,
    /// Secondary audience.
    #[serde(default, deserialize_with = "deserialize_urls")]
    pub cc: Vec<String>,
    /// FEP-1b12: the group the object was posted to (Lemmy, PieFed and
    /// kuvend name a coalition here, and also in `to`/`cc`).
    #[serde(
        default,
        deserialize_with = "deserialize_urls",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub audience: Vec<String>,
    /// Hashtags and mentions.
    #[serde(default, deserialize_with = "deserialize_tags")]
    pub tag: Vec<TagJson>,
    /// Media (`Document`s with alt text in `name`); on input, media types
    /// only, at most 16, each bounded (see `protocol::media`).
    #[serde(
        default,
        deserialize_with = "super::media::deserialize_documents",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub attachment: Vec<super::media::DocumentJson>,
}

impl AsRef<NoteJson> for NoteJson {
    fn as_ref(&self) -> &NoteJson {
        self
    }
}

/// A `Hashtag` or `Mention` tag (others, such as `Emoji`, are skipped on input).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TagJson {
    /// `Hashtag` or `Mention`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The tag page, or the mentioned actor's id.
    pub href: Url,
    /// `#tag` or `@user@host`.
    pub name: String,
}

/// `Create`, `Update` or `Delete` of a post; `Announce` and `Like` of one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ObjectActivityJson<T> {
    /// The activity's id.
    pub id: Url,
    /// The activity type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Who does it.
    pub actor: Url,
    /// When (Create, Announce).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<DateTime<Utc>>,
    /// Primary audience (the object's, for Create and Update).
    #[serde(default)]
    pub to: Vec<String>,
    /// Secondary audience.
    #[serde(default)]
    pub cc: Vec<String>,
    /// The note, its Tombstone, or (Like, Announce) its id.
    pub object: T,
}

/// What a deleted post answers: a `Tombstone`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TombstoneJson {
    /// The deleted post's id.
    pub id: Url,
    /// Always `Tombstone`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The type it had (`Note`), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub former_type: Option<String>,
}

fn deserialize_author<'de, D: Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    deserialize_first_url(d)?.ok_or_else(|| serde::de::Error::custom("attributedTo is required"))
}

fn deserialize_bool_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Value::deserialize(d)?.as_bool().unwrap_or(false))
}

/// `to`/`cc`: a string or an array of strings (objects with ids accepted).
pub fn deserialize_urls<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    fn one(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Object(m) => m.get("id").and_then(Value::as_str).map(str::to_string),
            _ => None,
        }
    }
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(&other).into_iter().collect(),
    })
}

fn deserialize_tags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<TagJson>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items
            .into_iter()
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect(),
        Value::Null => Vec::new(),
        single => serde_json::from_value(single).ok().into_iter().collect(),
    })
}
