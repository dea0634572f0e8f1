//! A coalition relays its members' public posts to its followers (issue 14
//! item 1; docs/coalitions.md "Relaying", FEDERATION.md "Coalition relays").
//!
//! Everything here runs inside the transaction that stores what a member
//! sent, so the relay and its deliveries exist exactly when the post does.

use super::{ServiceResult, coalitions, outbox::Audience, outbox::Outbox};
use crate::{
    federation::{
        protocol::note::{NoteJson, is_public},
        relay::{self, Shape},
    },
    model::Visibility,
    storage::{
        Q,
        models::{ActorRow, PostRow},
        relays::{FollowerInbox, NewRelay, RelayRow},
    },
};
use url::Url;

/// A coalition's `relay` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayMode {
    /// Posts and replies, to every follower.
    All,
    /// Posts to every follower; replies only to forum software.
    TopLevel,
    /// Nothing.
    None,
}

impl RelayMode {
    pub fn parse(text: &str) -> Option<RelayMode> {
        match text {
            "all" => Some(RelayMode::All),
            "top-level" => Some(RelayMode::TopLevel),
            "none" => Some(RelayMode::None),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            RelayMode::All => "all",
            RelayMode::TopLevel => "top-level",
            RelayMode::None => "none",
        }
    }
}

/// What a member sent, as the relay needs it.
pub(crate) struct Relayed<'a> {
    /// The member (the post's author).
    pub member: &'a ActorRow,
    /// The member's activity's id and its body exactly as received.
    pub activity_id: &'a Url,
    pub raw: &'a str,
    pub note: &'a NoteJson,
    /// The local actors the note addresses (coalitions among them).
    pub local_mentions: &'a [i64],
}

/// Public (`Some(true)`), unlisted (`Some(false)`) or neither (`None`:
/// never relayed as a boost, research pitfall 6).
fn publicity(note: &NoteJson) -> Option<bool> {
    if note.to.iter().any(|a| is_public(a)) {
        Some(true)
    } else if note.cc.iter().any(|a| is_public(a)) {
        Some(false)
    } else {
        None
    }
}

/// Relays a stored member's `Create` to every local coalition it addresses.
/// A non-member is refused (logged, and `Reject`ed where its software reads
/// it); settings and the hourly cap may hold a relay back.
async fn relay_create(q: &mut Q<'_>, outbox: &mut Outbox, sent: &Relayed<'_>) -> ServiceResult<()> {
    let coalitions = coalitions::addressed_coalitions(q, sent.local_mentions).await?;
    if coalitions.is_empty() {
        return Ok(());
    }
    let Some(public) = publicity(sent.note) else {
        return Ok(());
    };
    let Some(post) = q.post_by_ap_id(sent.note.id.as_str()).await? else {
        return Ok(());
    };
    for coalition in &coalitions {
        if q.coalition_membership(coalition.id, sent.member.id)
            .await?
            .is_none()
        {
            tracing::info!(
                coalition = %coalition.ap_id, sender = %sent.member.ap_id, post = %sent.note.id,
                "not relayed: the sender is not a member"
            );
            let software = super::software::cached_software_of(q, sent.member).await?;
            if relay::understands_reject(software.as_deref()) {
                let reject = relay::reject(coalition, sent.activity_id, &sent.member.ap_id)?;
                outbox
                    .queue(q, coalition, &reject, &[Audience::InboxOf(sent.member)])
                    .await?;
            }
            continue;
        }
        relay_one(q, outbox, coalition, sent, &post, public).await?;
    }
    Ok(())
}

/// Issue 14 item 5: a member's **public** post (Mastodon's rule for tag
/// timelines) whose hashtags include a campaign tag of a local coalition
/// it belongs to is relayed as if it addressed the coalition: same shapes,
/// mode and hourly cap, once per coalition and post (a post that also
/// addresses the coalition was relayed by [`relay_create`] already). The
/// tags are the stored ones, read from the note's `Hashtag` tags for a
/// remote post (research pitfall 16), never from its text.
async fn relay_campaign(
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    sent: &Relayed<'_>,
) -> ServiceResult<()> {
    if publicity(sent.note) != Some(true) {
        return Ok(());
    }
    let Some(post) = q.post_by_ap_id(sent.note.id.as_str()).await? else {
        return Ok(());
    };
    let tags = q.post_tags(post.id).await?;
    let coalitions = q.campaigning_coalitions(sent.member.id, &tags).await?;
    if coalitions.is_empty() {
        return Ok(());
    }
    let done: Vec<i64> = q
        .relays_of_post(post.id)
        .await?
        .iter()
        .map(|r| r.coalition_id)
        .collect();
    for coalition_id in coalitions {
        if done.contains(&coalition_id) {
            continue;
        }
        let coalition = q.actor_by_id(coalition_id).await?;
        if !coalition.local {
            continue;
        }
        relay_one(q, outbox, &coalition, sent, &post, true).await?;
    }
    Ok(())
}

/// [`relay_create`] and [`relay_campaign`] for a local organisation's new
/// post, in the post's own transaction: a local coalition it mentions, or
/// whose campaign tag it carries, relays it as it would a remote member's
/// (and refuses a non-member's). The relayed activity is our own `Create`,
/// as sent. `audience`: the coalition the post or event names in FEP-1b12
/// `audience` (issue 14, "Addressing a coalition"); counted with the
/// mentions, once, so a post that also mentions it is relayed once.
pub(crate) async fn relay_local(
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    author: &ActorRow,
    create: &crate::federation::outgoing::Outgoing,
    mentions: &[ActorRow],
    audience: Option<&ActorRow>,
) -> ServiceResult<()> {
    let internal = |e: serde_json::Error| {
        super::ServiceError::Internal(anyhow::anyhow!("our own Create does not parse: {e}"))
    };
    let activity: serde_json::Value = serde_json::from_str(&create.body).map_err(internal)?;
    let Some(object) = activity.get("object") else {
        return Ok(());
    };
    let note: NoteJson = serde_json::from_value(object.clone()).map_err(internal)?;
    let mut mentioned: Vec<i64> = mentions.iter().filter(|m| m.local).map(|m| m.id).collect();
    if let Some(coalition) = audience.filter(|c| c.local) {
        if !mentioned.contains(&coalition.id) {
            mentioned.push(coalition.id);
        }
    }
    let sent = Relayed {
        member: author,
        activity_id: &create.id,
        raw: &create.body,
        note: &note,
        local_mentions: &mentioned,
    };
    relay_new(q, outbox, &sent).await
}

/// A new post, remote or local: relayed by the coalitions it addresses,
/// then by those whose campaign tag it carries (once per coalition: a relay
/// is recorded once per coalition and post).
pub(crate) async fn relay_new(
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    sent: &Relayed<'_>,
) -> ServiceResult<()> {
    relay_create(q, outbox, sent).await?;
    relay_campaign(q, outbox, sent).await
}

async fn relay_one(
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    coalition: &ActorRow,
    sent: &Relayed<'_>,
    post: &PostRow,
    public: bool,
) -> ServiceResult<()> {
    let Some((mode, cap)) = q.relay_settings(coalition.id).await? else {
        return Ok(());
    };
    // Unknown text relays less, never more.
    let mode = RelayMode::parse(&mode).unwrap_or(RelayMode::None);
    let reply = sent.note.in_reply_to.is_some();
    if mode == RelayMode::None {
        return Ok(());
    }
    if cap > 0 {
        let since = crate::storage::now() - chrono::Duration::hours(1);
        let recent = q
            .count_relays_since(coalition.id, sent.member.id, since)
            .await?;
        if recent >= cap {
            tracing::info!(
                coalition = %coalition.ap_id, member = %sent.member.ap_id, post = %sent.note.id,
                cap, "not relayed: over the member's hourly cap"
            );
            return Ok(());
        }
    }
    let followers = q.follower_inboxes_by_software(coalition.id).await?;
    let only_forums = reply && mode == RelayMode::TopLevel;
    let (activity_inboxes, object_inboxes) = split(&followers, only_forums, &sent.member.domain);
    if only_forums && activity_inboxes.is_empty() {
        // A reply under `top-level` with no forum to show it: not relayed
        // at all (nor listed on the coalition's timeline).
        return Ok(());
    }
    let Some(row) = q
        .insert_relay(&NewRelay {
            coalition_id: coalition.id,
            post_id: post.id,
            member_id: sent.member.id,
            activity_ap_id: sent.activity_id.to_string(),
            object_shape: !object_inboxes.is_empty(),
            created_at: crate::storage::now(),
        })
        .await?
    else {
        return Ok(());
    };
    let (activity_id, object_id) = relay::relay_ids(coalition, row.id)?;
    if !activity_inboxes.is_empty() {
        let inner = inner_activity(sent.raw)?;
        let announce = relay::announce(coalition, activity_id, inner, &sent.member.ap_id, public)?;
        outbox
            .queue(
                q,
                coalition,
                &announce,
                &[Audience::Inboxes(&activity_inboxes)],
            )
            .await?;
    }
    if !object_inboxes.is_empty() {
        let announce = relay::announce(
            coalition,
            object_id.clone(),
            sent.note.id.as_str(),
            &sent.member.ap_id,
            public,
        )?;
        outbox
            .queue(
                q,
                coalition,
                &announce,
                &[Audience::Inboxes(&object_inboxes)],
            )
            .await?;
    }
    if only_forums {
        // Kept out of local timelines too, as out of Mastodon's.
        return Ok(());
    }
    // Local followers see the relay as the coalition's boost, once, and the
    // coalition's statuses list it; the object-shape id names it (the one
    // Mastodon-likes got, and the one that dereferences to this Announce).
    let visibility = if public {
        Visibility::Public
    } else {
        Visibility::Unlisted
    };
    super::boosts::record(q, coalition, post, &object_id, visibility).await?;
    Ok(())
}

/// The member's activity as received, byte for byte (FEP-1b12's
/// "unchanged", `@context` included), checked to be JSON.
fn inner_activity(raw: &str) -> ServiceResult<Box<serde_json::value::RawValue>> {
    serde_json::value::RawValue::from_string(raw.to_string()).map_err(|e| {
        super::ServiceError::Internal(anyhow::anyhow!("a stored activity is not JSON: {e}"))
    })
}

/// The follower inboxes that get each shape. `only_forums`: a reply under
/// `top-level` goes to forum software alone (in the activity shape). The
/// member's own instance is skipped where it runs forum software (it has
/// the post in the community; PieFed skips it so): elsewhere its other
/// users who follow the coalition see the relay as the coalition's boost.
fn split(
    followers: &[FollowerInbox],
    only_forums: bool,
    member_domain: &str,
) -> (Vec<String>, Vec<String>) {
    let mut activity = Vec::new();
    let mut object = Vec::new();
    for follower in followers {
        let software = follower.software.as_deref();
        if follower.domain.eq_ignore_ascii_case(member_domain) && relay::shows_threads(software) {
            continue;
        }
        if only_forums {
            if relay::shows_threads(software) {
                activity.push(follower.inbox.clone());
            }
            continue;
        }
        let shape: Shape = relay::shape_for(software);
        if shape.activity() {
            activity.push(follower.inbox.clone());
        }
        if shape.object() {
            object.push(follower.inbox.clone());
        }
    }
    (activity, object)
}

/// A later activity about a relayed post (an `Update` or `Delete` by its
/// author): announced unchanged to the instances that read FEP-1b12; a
/// `Delete` also undoes the object-shape `Announce` where it went.
pub(crate) async fn relay_later(
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    post_ap_id: &str,
    sender: &ActorRow,
    raw: &str,
    kind: Later,
) -> ServiceResult<()> {
    let Some(post) = q.post_by_ap_id(post_ap_id).await? else {
        return Ok(());
    };
    let relays = q.relays_of_post(post.id).await?;
    for relayed in relays {
        // Only the author's own edit or deletion follows its relay.
        if relayed.member_id != sender.id {
            continue;
        }
        let coalition = q.actor_by_id(relayed.coalition_id).await?;
        announce_later(q, outbox, &coalition, &relayed, &post, raw, kind).await?;
    }
    Ok(())
}

/// Which later activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Later {
    Update,
    Delete,
}

async fn announce_later(
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    coalition: &ActorRow,
    relayed: &RelayRow,
    post: &PostRow,
    raw: &str,
    kind: Later,
) -> ServiceResult<()> {
    // Reaches whom the relay reached, under the coalition's mode now: a
    // reply relayed to forums alone under `top-level` is edited there alone,
    // and nothing follows under `none` (except the Undo of what was sent).
    let mode = q
        .relay_settings(coalition.id)
        .await?
        .and_then(|(mode, _)| RelayMode::parse(&mode))
        .unwrap_or(RelayMode::None);
    let followers = q.follower_inboxes_by_software(coalition.id).await?;
    let member = q.actor_by_id(relayed.member_id).await?;
    let only_forums = post.in_reply_to_ap_id.is_some() && mode == RelayMode::TopLevel;
    let (activity_inboxes, object_inboxes) = split(&followers, only_forums, &member.domain);
    let author = member.ap_id.as_str();
    let public = post.visibility() == crate::model::Visibility::Public;
    if !activity_inboxes.is_empty() && mode != RelayMode::None {
        let inner = inner_activity(raw)?;
        let id = relay::later_id(coalition, relayed.id)?;
        let announce = relay::announce(coalition, id, inner, author, public)?;
        outbox
            .queue(
                q,
                coalition,
                &announce,
                &[Audience::Inboxes(&activity_inboxes)],
            )
            .await?;
    }
    if kind == Later::Delete && relayed.object_shape && !object_inboxes.is_empty() {
        let (_, object_id) = relay::relay_ids(coalition, relayed.id)?;
        let undo = relay::undo_announce(coalition, &object_id)?;
        outbox
            .queue(q, coalition, &undo, &[Audience::Inboxes(&object_inboxes)])
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbox(domain: &str, software: Option<&str>) -> FollowerInbox {
        FollowerInbox {
            inbox: format!("https://{domain}/inbox"),
            domain: domain.into(),
            software: software.map(Into::into),
        }
    }

    #[test]
    fn replies_under_top_level_reach_forums_only() {
        let followers = [
            inbox("m.test", Some("mastodon")),
            inbox("l.test", Some("lemmy")),
            inbox("u.test", None),
            inbox("b.test", Some("kuvend")),
        ];
        let (activity, object) = split(&followers, true, "b.test");
        assert_eq!(activity, vec!["https://l.test/inbox".to_string()]);
        assert!(object.is_empty());
        // The member's own kuvend gets it too: its other users may follow
        // the coalition and not the member.
        let (activity, object) = split(&followers, false, "b.test");
        assert_eq!(
            activity,
            vec![
                "https://l.test/inbox".to_string(),
                "https://u.test/inbox".to_string(),
                "https://b.test/inbox".to_string()
            ]
        );
        assert_eq!(
            object,
            vec![
                "https://m.test/inbox".to_string(),
                "https://u.test/inbox".to_string()
            ]
        );
        // A member on forum software has the post in the community already.
        let (activity, _) = split(&followers, false, "l.test");
        assert!(!activity.contains(&"https://l.test/inbox".to_string()));
    }

    #[test]
    fn relay_modes_parse() {
        for mode in [RelayMode::All, RelayMode::TopLevel, RelayMode::None] {
            assert_eq!(RelayMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(RelayMode::parse("sometimes"), None);
    }
}
