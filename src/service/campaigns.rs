//! Campaigns (issue 14 item 5): a coalition names hashtags; its members'
//! public posts with one are relayed like posts addressed to it
//! ([`super::relay::relay_campaign`]) and shown on the campaign page and
//! feed. docs/coalitions.md "Campaigns".
//!
//! To hear its remote members' public posts at all, a coalition with a
//! campaign follows each remote member organisation: Mastodon and kuvend
//! deliver public posts to followers only, and there is no cheaper way
//! that works with every member's software. The follows are sent when a
//! campaign is added (adding one again follows members that joined since)
//! and undone when the last campaign is removed.

use super::{
    ServiceError, ServiceResult,
    acting::Acting,
    coalitions::{self, Coalition},
    outbox::{Audience, Outbox},
};
use crate::{
    context::Kuvend,
    federation::{outgoing, urls::Urls},
    model::FollowState,
    storage::{
        Q,
        models::{ActorRow, PostRow},
    },
    transaction,
};
use chrono::{NaiveDate, NaiveDateTime};
use std::collections::BTreeMap;

/// Posts on one page of a campaign (HTML and Atom).
pub const PAGE_SIZE: i64 = 40;

fn internal(error: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(anyhow::anyhow!("{error}"))
}

/// A campaign tag as stored: the hashtag rule of local posts and remote
/// `Hashtag`s ([`crate::sanitize::hashtag`]: lower case, `#` optional).
pub fn normalise(tag: &str) -> ServiceResult<String> {
    crate::sanitize::hashtag(tag.trim()).ok_or_else(|| {
        ServiceError::Unprocessable(format!(
            "{:?} is not a hashtag (letters, digits and _, at least one letter)",
            tag.trim()
        ))
    })
}

/// Names a campaign tag (command line: the operator). `false` when the
/// coalition had it already (nothing sent).
pub async fn add(ctx: &Kuvend, coalition: &ActorRow, tag: &str) -> ServiceResult<(String, bool)> {
    let tag = normalise(tag)?;
    let mut outbox = Outbox::default();
    let added = transaction!(ctx.db, ServiceError, |q| {
        let added = q.add_campaign(coalition.id, &tag).await?;
        // Every time, not only for a new tag: adding a campaign again is
        // how members that joined since are followed.
        let members = q.coalition_members(coalition.id, None).await?;
        for (_, member) in &members {
            follow_member(&ctx.urls, &mut q, &mut outbox, coalition, member).await?;
        }
        Ok::<_, ServiceError>(added)
    })?;
    outbox.committed(ctx);
    Ok((tag, added))
}

/// Removes a campaign tag; `false` when it was not one. When no campaign
/// is left, the coalition stops following its remote members.
pub async fn remove(
    ctx: &Kuvend,
    coalition: &ActorRow,
    tag: &str,
) -> ServiceResult<(String, bool)> {
    let tag = normalise(tag)?;
    let mut outbox = Outbox::default();
    let removed = transaction!(ctx.db, ServiceError, |q| {
        let removed = q.remove_campaign(coalition.id, &tag).await?;
        if removed && q.campaigns_of(coalition.id).await?.is_empty() {
            let members = q.coalition_members(coalition.id, None).await?;
            for (_, member) in &members {
                unfollow_member(&ctx.urls, &mut q, &mut outbox, coalition, member).await?;
            }
        }
        Ok::<_, ServiceError>(removed)
    })?;
    outbox.committed(ctx);
    Ok((tag, removed))
}

/// A coalition's campaigns `(tag, since)`, oldest first.
pub async fn list(
    ctx: &Kuvend,
    coalition: &ActorRow,
) -> ServiceResult<Vec<(String, NaiveDateTime)>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().campaigns_of(coalition.id).await?)
}

/// [`add`] for an admin organisation's owner (the API).
pub async fn add_as(
    ctx: &Kuvend,
    acting: &Acting,
    coalition: &Coalition,
    tag: &str,
) -> ServiceResult<(String, bool)> {
    coalitions::require_admin(ctx, acting, coalition).await?;
    add(ctx, &coalition.actor, tag).await
}

/// [`remove`] for an admin organisation's owner (the API).
pub async fn remove_as(
    ctx: &Kuvend,
    acting: &Acting,
    coalition: &Coalition,
    tag: &str,
) -> ServiceResult<(String, bool)> {
    coalitions::require_admin(ctx, acting, coalition).await?;
    remove(ctx, &coalition.actor, tag).await
}

/// `Follow` of a remote member the coalition does not follow yet. Local
/// members' posts are seen in their own transaction: nothing to follow.
async fn follow_member(
    urls: &Urls,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    coalition: &ActorRow,
    member: &ActorRow,
) -> ServiceResult<()> {
    if member.local || q.follow_between(coalition.id, member.id).await?.is_some() {
        return Ok(());
    }
    let follow = outgoing::follow(urls, coalition, member).map_err(internal)?;
    q.put_follow(
        coalition.id,
        member.id,
        FollowState::Pending,
        follow.id.as_str(),
    )
    .await?;
    outbox
        .queue(q, coalition, &follow, &[Audience::InboxOf(member)])
        .await?;
    Ok(())
}

async fn unfollow_member(
    urls: &Urls,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    coalition: &ActorRow,
    member: &ActorRow,
) -> ServiceResult<()> {
    if member.local {
        return Ok(());
    }
    let Some(existing) = q.follow_between(coalition.id, member.id).await? else {
        return Ok(());
    };
    let undo =
        outgoing::undo_follow(urls, coalition, member, &existing.follow_ap_id).map_err(internal)?;
    q.delete_follow(existing.id).await?;
    q.clear_home_feed_of(coalition.id, member.id).await?;
    outbox
        .queue(q, coalition, &undo, &[Audience::InboxOf(member)])
        .await?;
    Ok(())
}

/// One page of a campaign, with its counts.
pub struct CampaignView {
    pub coalition: ActorRow,
    pub tag: String,
    /// Newest first, at most [`PAGE_SIZE`].
    pub posts: Vec<(PostRow, ActorRow)>,
    /// Where the next page starts (`max_id`), if there may be one.
    pub next_max_id: Option<i64>,
    /// Posts per organisation, most first (then by handle).
    pub per_org: Vec<(ActorRow, i64)>,
    /// Posts per day (UTC), newest day first.
    pub per_day: Vec<(NaiveDate, i64)>,
    pub total: i64,
}

/// A local coalition's campaign: 404 when the coalition or the campaign is
/// unknown. The counts cover every member post with the tag (up to
/// [`crate::storage::campaigns::CAMPAIGN_COUNT_MAX`]), not one page.
pub async fn campaign(
    ctx: &Kuvend,
    coalition_name: &str,
    tag: &str,
    max_id: Option<i64>,
) -> ServiceResult<CampaignView> {
    let coalition = coalitions::coalition(ctx, coalition_name).await?.actor;
    let unknown = || ServiceError::NotFound(format!("no campaign #{tag} here"));
    let tag = crate::sanitize::hashtag(tag).ok_or_else(unknown)?;
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    if !q
        .campaigns_of(coalition.id)
        .await?
        .iter()
        .any(|(t, _)| *t == tag)
    {
        return Err(unknown());
    }
    let posts = q
        .campaign_posts(coalition.id, &tag, max_id, PAGE_SIZE)
        .await?;
    let next_max_id = (posts.len() as i64 == PAGE_SIZE)
        .then(|| posts.last().map(|(p, _)| p.id))
        .flatten();
    let times = q.campaign_post_times(coalition.id, &tag).await?;
    let mut by_author: BTreeMap<i64, i64> = BTreeMap::new();
    let mut by_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
    for (author, at) in &times {
        *by_author.entry(*author).or_default() += 1;
        *by_day.entry(at.date()).or_default() += 1;
    }
    let mut per_org = Vec::with_capacity(by_author.len());
    for (author, count) in by_author {
        per_org.push((q.actor_by_id(author).await?, count));
    }
    per_org.sort_by(|(a, x), (b, y)| y.cmp(x).then_with(|| a.handle().cmp(&b.handle())));
    Ok(CampaignView {
        coalition,
        tag,
        posts,
        next_max_id,
        per_org,
        per_day: by_day.into_iter().rev().collect(),
        total: times.len() as i64,
    })
}

/// The campaign's Atom feed (RFC 4287): the newest [`PAGE_SIZE`] posts of
/// the first page, each an entry with its id URL, page link, author and
/// sanitised HTML content. `self_url` and `page_url` are the feed's and the
/// page's addresses.
pub fn atom(
    view: &CampaignView,
    self_url: &str,
    page_url: &str,
    domain: &str,
) -> ServiceResult<String> {
    use quick_xml::{Writer, events::BytesText};
    let stamp = |t: NaiveDateTime| {
        t.and_utc()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let updated = view
        .posts
        .iter()
        .map(|(p, _)| p.edited_at.unwrap_or(p.published_at))
        .max()
        .unwrap_or(view.coalition.updated_at);
    let coalition_name = if view.coalition.display_name.is_empty() {
        view.coalition.username.clone()
    } else {
        super::text::strip_html(&view.coalition.display_name)
    };
    let mut writer = Writer::new(Vec::new());
    writer
        .get_mut()
        .extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    writer
        .create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            w.create_element("id")
                .write_text_content(BytesText::new(self_url))?;
            w.create_element("title")
                .write_text_content(BytesText::new(&format!("#{} — {coalition_name}", view.tag)))?;
            w.create_element("updated")
                .write_text_content(BytesText::new(&stamp(updated)))?;
            w.create_element("link")
                .with_attributes([("rel", "self"), ("href", self_url)])
                .write_empty()?;
            w.create_element("link")
                .with_attributes([
                    ("rel", "alternate"),
                    ("type", "text/html"),
                    ("href", page_url),
                ])
                .write_empty()?;
            for (post, author) in &view.posts {
                let name = if author.display_name.is_empty() {
                    author.username.clone()
                } else {
                    super::text::strip_html(&author.display_name)
                };
                let host = if author.local { domain } else { &author.domain };
                let link = post.url.as_deref().unwrap_or(&post.ap_id);
                w.create_element("entry").write_inner_content(|w| {
                    w.create_element("id")
                        .write_text_content(BytesText::new(&post.ap_id))?;
                    w.create_element("title")
                        .write_text_content(BytesText::new(&format!(
                            "{name} (@{}@{host})",
                            author.username
                        )))?;
                    w.create_element("published")
                        .write_text_content(BytesText::new(&stamp(post.published_at)))?;
                    w.create_element("updated")
                        .write_text_content(BytesText::new(&stamp(
                            post.edited_at.unwrap_or(post.published_at),
                        )))?;
                    w.create_element("link")
                        .with_attributes([("rel", "alternate"), ("href", link)])
                        .write_empty()?;
                    w.create_element("author").write_inner_content(|w| {
                        w.create_element("name")
                            .write_text_content(BytesText::new(&name))?;
                        if let Some(uri) = &author.profile_url {
                            w.create_element("uri")
                                .write_text_content(BytesText::new(uri))?;
                        }
                        Ok(())
                    })?;
                    // Stored content is sanitised HTML; Atom carries it escaped.
                    w.create_element("content")
                        .with_attribute(("type", "html"))
                        .write_text_content(BytesText::new(&post.content))?;
                    Ok(())
                })?;
            }
            Ok(())
        })
        .map_err(internal)?;
    String::from_utf8(writer.into_inner()).map_err(internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_normalised_like_local_tags() {
        assert_eq!(normalise("#NAD").ok().as_deref(), Some("nad"));
        assert_eq!(normalise(" nad ").ok().as_deref(), Some("nad"));
        assert_eq!(
            normalise("Ditë_e_Veprimit").ok().as_deref(),
            Some("ditë_e_veprimit")
        );
        for bad in ["", "#", "123", "na d", "<b>", "#nad#x"] {
            assert!(normalise(bad).is_err(), "{bad:?}");
        }
    }
}
