//! Mastodon polls as kuvend uses them for RSVPs (issue 12 item 2): the
//! direct `Question` an organisation sends, and the vote (`Create{Note}`
//! with a `name` and no content) that Mastodon sends back.

use super::note::NoteJson;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

/// The context of a `Question`: ActivityStreams plus Mastodon's
/// `votersCount`, as Mastodon declares it.
pub fn question_context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        {"votersCount": "http://joinmastodon.org/ns#votersCount"}
    ])
}

/// A single-choice poll, as Mastodon sends and reads one.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuestionJson {
    /// What every post has (id, `type` = `Question`, author, `content` with
    /// the question, `inReplyTo`, addressing, the recipient's `Mention` tag).
    #[serde(flatten)]
    pub post: NoteJson,
    /// The options; `oneOf` because one answer is possible.
    pub one_of: Vec<PollOptionJson>,
    /// When the poll closes: the event's start. Mastodon takes no vote after it.
    pub end_time: DateTime<Utc>,
    /// Set once `endTime` has passed (Mastodon's `closed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<DateTime<Utc>>,
    /// How many have voted (0 or 1: the poll has one recipient).
    pub voters_count: i64,
}

/// One option of a poll.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PollOptionJson {
    /// Always `Note`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The option's text; a vote names it exactly.
    pub name: String,
    /// Its tally.
    pub replies: TallyJson,
}

/// An option's tally, as Mastodon writes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TallyJson {
    /// Always `Collection`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many voted for the option.
    pub total_items: i64,
}

/// A Mastodon vote: the object of a `Create`, a `Note` with a `name` (the
/// option's text), `inReplyTo` the poll, and no content.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VoteJson {
    /// `<account>#votes/<n>`.
    pub id: Url,
    /// `Note`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The option chosen, exactly as the poll named it.
    pub name: String,
    /// The poll.
    pub in_reply_to: Url,
    /// Absent in a vote; a note with text is a reply, not a vote.
    #[serde(default)]
    pub content: Option<String>,
}

impl VoteJson {
    /// Reads a `Create`'s object as a vote, if it has a vote's shape: a
    /// `Note` with a non-empty `name`, an `inReplyTo`, and no content.
    pub fn from_object(object: &Value) -> Option<VoteJson> {
        let vote: VoteJson = serde_json::from_value(object.clone()).ok()?;
        let no_content = vote.content.as_deref().is_none_or(|c| c.trim().is_empty());
        (vote.kind == "Note" && !vote.name.trim().is_empty() && no_content).then_some(vote)
    }
}

impl AsRef<NoteJson> for QuestionJson {
    fn as_ref(&self) -> &NoteJson {
        &self.post
    }
}
