//! What a coalition sends when it relays a member's post (issue 14 item 1;
//! FEDERATION.md, "Coalition relays"): which shape each follower's software
//! reads, and the activities themselves.

use super::{FederationError, outgoing::Outgoing, protocol::note::PUBLIC};
use crate::storage::models::ActorRow;
use serde::Serialize;
use url::Url;

/// What one instance is sent for a relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// FEP-1b12: `Announce{<the member's activity, unchanged>}`.
    Activity,
    /// Mastodon's boost: `Announce{"<object id>"}`.
    Object,
    /// Both (software we do not know: Lemmy's own choice for everyone).
    Both,
}

impl Shape {
    pub fn activity(self) -> bool {
        matches!(self, Shape::Activity | Shape::Both)
    }
    pub fn object(self) -> bool {
        matches!(self, Shape::Object | Shape::Both)
    }
}

/// The shape an instance reads, from its NodeInfo `software.name`
/// (docs/research/relaying.md §2.2). Compared lowercased (Mobilizon sends
/// `Mobilizon`); unknown names get both (pitfall 17).
pub fn shape_for(software: Option<&str>) -> Shape {
    let Some(name) = software else {
        return Shape::Both;
    };
    match name.to_ascii_lowercase().as_str() {
        // FEP-1b12 readers: Lemmy refuses a bare object; Friendica unwraps
        // the activity into one reshare.
        "kuvend" | "lemmy" | "piefed" | "friendica" => Shape::Activity,
        // Read only Announce{Object} (Mastodon also fetches a Create, and
        // so boosts replies: the string keeps them under our control).
        "mastodon" | "glitch-soc" | "hometown" | "gotosocial" | "misskey" | "sharkey"
        | "firefish" | "iceshrimp" | "iceshrimp.net" | "cherrypick" | "pleroma" | "akkoma"
        | "mobilizon" => Shape::Object,
        _ => Shape::Both,
    }
}

/// Whether the software shows threads as a forum does, so that a reply
/// relayed under `top-level` lands in its thread rather than as a boost
/// in a timeline (research §6).
pub fn shows_threads(software: Option<&str>) -> bool {
    matches!(
        software.map(str::to_ascii_lowercase).as_deref(),
        Some("lemmy" | "piefed" | "mbin" | "kbin")
    )
}

/// Whether the software understands a group's `Reject` of a post sent to
/// it (the docs say so for kuvend, Lemmy, PieFed and Mbin).
pub fn understands_reject(software: Option<&str>) -> bool {
    matches!(
        software.map(str::to_ascii_lowercase).as_deref(),
        Some("kuvend" | "lemmy" | "piefed" | "mbin")
    )
}

/// A coalition's `Announce` of a member's activity or object.
#[derive(Serialize)]
struct RelayAnnounceJson<'a, O: Serialize> {
    /// Stable per relay and shape, so retries and a later `Undo` agree.
    id: &'a Url,
    /// `Announce`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The coalition.
    actor: &'a str,
    /// The member's activity (unchanged) or the object's id.
    object: O,
    /// Public for a public post; for an unlisted one, the followers.
    to: Vec<&'a str>,
    /// The followers and the post's author (Public for an unlisted post).
    cc: Vec<&'a str>,
    /// FEP-1b12: the group.
    audience: &'a str,
    /// The time of the relay, not of the post (Mastodon's real-time window).
    published: String,
}

/// `to`/`cc` of a relay: like a Mastodon boost of a public or unlisted post.
fn addressing<'a>(
    coalition: &'a ActorRow,
    author: &'a str,
    public: bool,
) -> (Vec<&'a str>, Vec<&'a str>) {
    let followers = coalition
        .followers_url
        .as_deref()
        .unwrap_or(&coalition.ap_id);
    if public {
        (vec![PUBLIC], vec![followers, author])
    } else {
        (vec![followers], vec![PUBLIC, author])
    }
}

/// `Announce{<activity>}` (FEP-1b12) or `Announce{"<id>"}` (Mastodon).
pub fn announce<O: Serialize>(
    coalition: &ActorRow,
    id: Url,
    object: O,
    author: &str,
    public: bool,
) -> Result<Outgoing, FederationError> {
    let (to, cc) = addressing(coalition, author, public);
    let json = RelayAnnounceJson {
        id: &id,
        kind: "Announce",
        actor: &coalition.ap_id,
        object,
        to,
        cc,
        audience: &coalition.ap_id,
        published: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    };
    Outgoing::from_body(id.clone(), "Announce", &json)
}

/// An activity of the coalition about one object (`Undo{Announce}` of a
/// relay, `Reject` of a non-member's `Create`).
#[derive(Serialize)]
struct CoalitionAnswerJson<'a> {
    /// Its id.
    id: &'a Url,
    /// `Undo` or `Reject`.
    #[serde(rename = "type")]
    kind: &'static str,
    /// The coalition.
    actor: &'a str,
    /// The id of what is undone or rejected.
    object: &'a str,
    /// Who it concerns (Public for an `Undo` of a public relay).
    to: Vec<&'a str>,
    /// The coalition's followers for an `Undo`; empty for a `Reject`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cc: Vec<&'a str>,
}

/// `Undo{Announce}` of an object-shape relay, with the id it was sent with.
pub fn undo_announce(coalition: &ActorRow, announce_id: &Url) -> Result<Outgoing, FederationError> {
    let id = Url::parse(&format!("{announce_id}/undo"))
        .map_err(|e| FederationError::Invalid(e.to_string()))?;
    let followers = coalition
        .followers_url
        .as_deref()
        .unwrap_or(&coalition.ap_id);
    let json = CoalitionAnswerJson {
        id: &id,
        kind: "Undo",
        actor: &coalition.ap_id,
        object: announce_id.as_str(),
        to: vec![PUBLIC],
        cc: vec![followers],
    };
    Outgoing::from_body(id.clone(), "Undo", &json)
}

/// `Reject{<the Create's id>}`: a non-member's post is not relayed.
pub fn reject(
    coalition: &ActorRow,
    create_id: &Url,
    author: &str,
) -> Result<Outgoing, FederationError> {
    let id = Url::parse(&format!(
        "{}/rejects/{}",
        coalition.ap_id,
        uuid::Uuid::new_v4().simple()
    ))
    .map_err(|e| FederationError::Invalid(e.to_string()))?;
    let json = CoalitionAnswerJson {
        id: &id,
        kind: "Reject",
        actor: &coalition.ap_id,
        object: create_id.as_str(),
        to: vec![author],
        cc: Vec::new(),
    };
    Outgoing::from_body(id.clone(), "Reject", &json)
}

/// The ids of a relay's two `Announce`s: derived from the relay, so a
/// retry or an `Undo` uses the same one (pitfall 13).
pub fn relay_ids(coalition: &ActorRow, relay_id: i64) -> Result<(Url, Url), FederationError> {
    let base = format!("{}/relays/{relay_id}", coalition.ap_id);
    let parse = |s: String| Url::parse(&s).map_err(|e| FederationError::Invalid(e.to_string()));
    Ok((
        parse(format!("{base}/activity"))?,
        parse(format!("{base}/object"))?,
    ))
}

/// The id of an `Announce{<later activity>}` of a relay (an Update, a
/// Delete, a Like). A fresh one: a redelivery of the inner activity is a
/// duplicate in our inbox and is announced no second time.
pub fn later_id(coalition: &ActorRow, relay_id: i64) -> Result<Url, FederationError> {
    Url::parse(&format!(
        "{}/relays/{relay_id}/{}",
        coalition.ap_id,
        uuid::Uuid::new_v4().simple()
    ))
    .map_err(|e| FederationError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shape_per_software() {
        let table: &[(Option<&str>, Shape, bool)] = &[
            (Some("kuvend"), Shape::Activity, false),
            (Some("lemmy"), Shape::Activity, true),
            (Some("piefed"), Shape::Activity, true),
            (Some("friendica"), Shape::Activity, false),
            (Some("mastodon"), Shape::Object, false),
            (Some("glitch-soc"), Shape::Object, false),
            (Some("gotosocial"), Shape::Object, false),
            (Some("misskey"), Shape::Object, false),
            (Some("sharkey"), Shape::Object, false),
            (Some("pleroma"), Shape::Object, false),
            (Some("akkoma"), Shape::Object, false),
            (Some("Mobilizon"), Shape::Object, false),
            (Some("mbin"), Shape::Both, true),
            (Some("kbin"), Shape::Both, true),
            (Some("smithereen"), Shape::Both, false),
            (Some("peertube"), Shape::Both, false),
            (None, Shape::Both, false),
        ];
        for (software, shape, threads) in table {
            assert_eq!(shape_for(*software), *shape, "{software:?}");
            assert_eq!(shows_threads(*software), *threads, "{software:?}");
        }
        assert!(understands_reject(Some("lemmy")));
        assert!(!understands_reject(Some("mastodon")));
        assert!(!understands_reject(None));
    }
}
