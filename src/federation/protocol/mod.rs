//! Wire formats: serde structs only, one doc comment per field. Rows live in
//! `storage::models`, logic in `service`.

pub mod activities;
pub mod actor;
pub mod collections;
pub mod event;
pub mod flag;
pub mod media;
pub mod nodeinfo;
pub mod note;
pub mod question;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Value, json};
use url::Url;

/// The JSON-LD context of actor documents: ActivityStreams, the security
/// vocabulary (for `publicKey`) and the extensions Mastodon reads.
pub fn actor_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "toot": "http://joinmastodon.org/ns#",
            "discoverable": "toot:discoverable",
            "indexable": "toot:indexable",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value"
        }
    ])
}

/// The context of an actor document of this `type`: a `Group` (a
/// coalition) adds the Mobilizon and Lemmy terms of its collections.
pub fn actor_context_for(ap_type: &str) -> Value {
    let mut context = actor_context();
    if ap_type == "Group"
        && let Some(terms) = context.get_mut(2).and_then(Value::as_object_mut)
    {
        for (term, definition) in [
            ("mz", json!("https://joinmobilizon.org/ns#")),
            ("members", json!({"@id": "mz:members", "@type": "@id"})),
            ("openness", json!({"@id": "mz:openness", "@type": "@id"})),
            ("memberCount", json!("mz:memberCount")),
            ("lemmy", json!("https://join-lemmy.org/ns#")),
            (
                "moderators",
                json!({"@id": "lemmy:moderators", "@type": "@id"}),
            ),
            (
                "postingRestrictedToMods",
                json!("lemmy:postingRestrictedToMods"),
            ),
        ] {
            terms.insert(term.into(), definition);
        }
    }
    context
}

/// The context of activities and collections.
pub fn activity_context() -> Value {
    json!("https://www.w3.org/ns/activitystreams")
}

/// The context of a note, or an activity carrying one, that has media
/// attachments: ActivityStreams plus [`media_context_terms`]. (Documents
/// without media keep the plain context, as before.)
pub fn media_activity_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        media_context_terms()
    ])
}

/// `context` with [`media_context_terms`] added: into its last object of
/// terms if it has one, else as a new one.
pub fn with_media_terms(context: Value) -> Value {
    let mut items = match context {
        Value::Array(items) => items,
        other => vec![other],
    };
    match items.last_mut().and_then(Value::as_object_mut) {
        Some(terms) => {
            if let Value::Object(media) = media_context_terms() {
                for (term, definition) in media {
                    terms.entry(term).or_insert(definition);
                }
            }
        }
        None => items.push(media_context_terms()),
    }
    Value::Array(items)
}

/// The terms of Mastodon's attachment fields (`blurhash`, `focalPoint`),
/// used by notes and events.
pub fn media_context_terms() -> Value {
    json!({
        "toot": "http://joinmastodon.org/ns#",
        "blurhash": "toot:blurhash",
        "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"}
    })
}

/// An outgoing activity as the JSON body that is stored and delivered.
pub fn activity_body<T: Serialize>(activity: &T) -> serde_json::Result<String> {
    serde_json::to_string(&WithContext::new(activity_context(), activity))
}

/// A document with its `@context` first.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WithContext<T> {
    /// JSON-LD context; on incoming documents we read but do not expand it.
    #[serde(rename = "@context", default)]
    pub context: Value,
    /// The document itself.
    #[serde(flatten)]
    pub inner: T,
}

impl<T> WithContext<T> {
    pub fn new(context: Value, inner: T) -> Self {
        WithContext { context, inner }
    }
}

/// Reads a field that may be a URL, an object with an `id` (or `href`), or an
/// array of those, keeping the first URL. Servers differ here (e.g. `url`).
pub fn deserialize_first_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Url>, D::Error> {
    fn first(value: &Value) -> Option<Url> {
        match value {
            Value::String(s) => Url::parse(s).ok(),
            Value::Object(map) => map
                .get("href")
                .or_else(|| map.get("id"))
                .and_then(Value::as_str)
                .and_then(|s| Url::parse(s).ok()),
            Value::Array(items) => items.iter().find_map(first),
            _ => None,
        }
    }
    Ok(first(&Value::deserialize(d)?))
}

/// Reads a field that should hold a `T` but is sometimes malformed on the
/// wire; a malformed value counts as absent instead of failing the document.
pub fn deserialize_lenient<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    Ok(serde_json::from_value(Value::deserialize(d)?).ok())
}
