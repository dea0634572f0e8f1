//! Activities kuvend sends and accepts so far: Follow, Accept, Reject, Undo.

use super::deserialize_first_url;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

/// `Follow`: `actor` asks to follow `object`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FollowJson {
    /// The Follow's id; the answer (`Accept`/`Reject`) and an `Undo` refer to it.
    pub id: Url,
    /// Always `Follow`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Who wants to follow.
    #[serde(deserialize_with = "deserialize_actor_ref")]
    pub actor: Url,
    /// Whom they want to follow.
    #[serde(deserialize_with = "deserialize_actor_ref")]
    pub object: Url,
}

/// `Accept` or `Reject` of a `Follow`, and `Undo` of one: an activity whose
/// object is the Follow, embedded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FollowResponseJson {
    /// The activity's id.
    pub id: Url,
    /// `Accept`, `Reject` or `Undo`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Who answers (the followee) or withdraws (the follower).
    pub actor: Url,
    /// The Follow concerned, embedded as Mastodon does it.
    pub object: FollowJson,
}

fn deserialize_actor_ref<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Url, D::Error> {
    deserialize_first_url(d)?.ok_or_else(|| serde::de::Error::custom("expected an actor id"))
}

/// What the inbox reads of any activity before it knows which kind it is.
#[derive(Debug, Clone, Deserialize)]
pub struct IncomingActivity {
    /// The activity's id: repeated deliveries of one id change nothing.
    pub id: Url,
    /// The activity type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The actor; must be the owner of the key that signed the request.
    #[serde(deserialize_with = "deserialize_actor_ref")]
    pub actor: Url,
    /// The object, inline or by id; interpreted per activity type.
    #[serde(default)]
    pub object: Value,
}

impl IncomingActivity {
    /// The object's id, whether it is given inline or as a bare id.
    pub fn object_id(&self) -> Option<Url> {
        match &self.object {
            Value::String(s) => Url::parse(s).ok(),
            Value::Object(map) => map
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| Url::parse(s).ok()),
            _ => None,
        }
    }

    /// The object's `type` when it is inline.
    pub fn object_type(&self) -> Option<&str> {
        self.object.get("type").and_then(Value::as_str)
    }

    /// The inline object as a Follow, if it is one.
    pub fn object_as_follow(&self) -> Option<FollowJson> {
        serde_json::from_value(self.object.clone()).ok()
    }
}
