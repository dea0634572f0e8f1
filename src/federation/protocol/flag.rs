//! `Flag`: a report, sent to the reported account's instance by our
//! instance actor and received from other instances' (issue 15 item 5).

use serde::Serialize;
use serde_json::Value;
use url::Url;

/// The most objects read from an incoming `Flag`: the account and its
/// posts; more is not a report anyone reads.
pub const MAX_FLAG_OBJECTS: usize = 100;

/// A `Flag` as kuvend sends it (Mastodon's shape).
#[derive(Debug, Clone, Serialize)]
pub struct FlagJson {
    /// The activity's id.
    pub id: Url,
    /// Always `Flag`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Our instance actor: the reporter stays anonymous.
    pub actor: Url,
    /// The reporter's comment, plain text (may be empty).
    pub content: String,
    /// The reported account, then the reported posts.
    pub object: Vec<Url>,
    /// The reported account.
    pub to: Vec<Url>,
}

/// What an incoming `Flag` says, besides its id and actor.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagReceived {
    /// The objects named (account and posts), in order, at most
    /// [`MAX_FLAG_OBJECTS`]; entries that are not URLs are skipped.
    pub objects: Vec<Url>,
    /// The comment, as sent (the service makes it plain and bounded).
    pub content: Option<String>,
}

impl FlagReceived {
    /// Reads `object` (one id, a list of ids, or of objects with ids:
    /// Mastodon, GoToSocial and Misskey send lists) and `content`.
    pub fn from_parts(object: &Value, content: &Value) -> FlagReceived {
        let id = |v: &Value| match v {
            Value::String(s) => Url::parse(s).ok(),
            Value::Object(map) => map
                .get("id")
                .and_then(Value::as_str)
                .and_then(|s| Url::parse(s).ok()),
            _ => None,
        };
        let objects = match object {
            Value::Array(items) => items.iter().take(MAX_FLAG_OBJECTS).filter_map(id).collect(),
            other => id(other).into_iter().collect(),
        };
        FlagReceived {
            objects,
            content: content.as_str().map(str::to_string),
        }
    }
}
