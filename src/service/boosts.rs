//! Boosts as rows of their own (Mastodon's model): a remote group's relay
//! of a member's post is stored as the group's boost of it and shown so in
//! its followers' home timelines ([`record`]).

use super::ServiceResult;
use crate::{
    model::Visibility,
    storage::{
        Q,
        models::{ActorRow, PostRow},
        now,
        posts::new_post_id,
    },
};
use url::Url;

/// Stores `booster`'s boost of `original` (from the `Announce` `announce_id`)
/// and puts it into the home feeds of the booster's local followers, except
/// those whose feed shows the original (or a boost of it) already: a post
/// is shown once. Nobody is notified (a relay is not a reaction to anyone's
/// post here). None when nothing was stored: the booster boosted that post
/// already (the same relay again, or in another shape), or the original
/// cannot be boosted (deleted, not public or unlisted, itself a boost).
pub async fn record(
    q: &mut Q<'_>,
    booster: &ActorRow,
    original: &PostRow,
    announce_id: &Url,
    visibility: Visibility,
) -> ServiceResult<Option<PostRow>> {
    // Mastodon boosts only what may be distributed (`announceable?`).
    if original.deleted_at.is_some() || !original.is_public() || original.reblog_of_id.is_some() {
        return Ok(None);
    }
    let visibility = match visibility {
        Visibility::Public => Visibility::Public,
        // A boost is never more than unlisted otherwise: it shows a public
        // post, and nobody may be shown a boost they could not see.
        _ => Visibility::Unlisted,
    };
    let at = now();
    let row = PostRow {
        id: new_post_id(),
        ap_id: announce_id.to_string(),
        ap_type: "Announce".into(),
        author_id: booster.id,
        local: booster.local,
        visibility: visibility.as_str().into(),
        content: String::new(),
        source: None,
        summary: None,
        sensitive: false,
        language: None,
        url: None,
        in_reply_to_ap_id: None,
        in_reply_to_id: None,
        to_json: "[]".into(),
        cc_json: "[]".into(),
        replies_count: 0,
        likes_count: 0,
        boosts_count: 0,
        // When it arrived, not when the original was written: a relay shows
        // at the top of the timeline, as Mastodon shows a boost.
        published_at: at,
        edited_at: None,
        deleted_at: None,
        created_at: at,
        updated_at: at,
        written_by_user_id: None,
        reblog_of_id: Some(original.id),
        audience: None,
    };
    let Some(boost) = q.insert_boost(&row).await? else {
        return Ok(None);
    };
    let followers = q.local_follower_ids(booster.id).await?;
    let showing = q.feeds_showing(&followers, original.id).await?;
    let owners: Vec<i64> = followers
        .into_iter()
        .filter(|owner| !showing.contains(owner))
        .collect();
    q.add_to_home_feeds(boost.id, &owners).await?;
    Ok(Some(boost))
}

/// `booster` takes back its boost of `original_id` (an `Undo{Announce}`, or
/// a `Delete` of the `Announce`, which Mastodon reads the same way): the
/// counted reaction and the boost row both go.
pub(crate) async fn withdraw(
    q: &mut Q<'_>,
    booster_id: i64,
    original_id: i64,
) -> ServiceResult<()> {
    q.remove_reaction(
        crate::model::ReactionKind::Announce,
        booster_id,
        None,
        Some(original_id),
    )
    .await?;
    q.delete_boost(booster_id, original_id).await?;
    Ok(())
}
