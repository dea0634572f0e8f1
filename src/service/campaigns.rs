//! Campaigns (issue 14 item 5): a coalition names hashtags; its members'
//! public posts with one are relayed like posts addressed to it
//! ([`super::relay::relay_campaign`]) and shown on the campaign page and
//! feed. docs/coalitions.md "Campaigns".
//!
//! To hear its remote members' public posts at all, a coalition with a
//! campaign follows each remote member organisation: Mastodon and kuvend
//! deliver public posts to followers only, and there is no cheaper way
//! that works with every member's software. The follows are sent when a
//! campaign is added, and to a member that joins while one runs
//! ([`member_changed`]); each is marked as the campaigns' (`follows.
//! by_campaign`), and only those are undone: when the member leaves or is
//! removed, and when the coalition's last campaign is removed. A follow
//! the coalition had before, or that an operator asks for again, is left
//! alone.

use super::{
    ServiceError, ServiceResult,
    acting::Acting,
    coalitions::{self, Coalition},
    outbox::{Audience, Outbox},
};
use crate::{
    context::Kuvend,
    federation::{outgoing, urls::Urls},
    model::{ActorKind, FollowState, MembersVisible},
    storage::{
        Q,
        models::{ActorRow, FollowRow, PostRow},
    },
    transaction,
};
use chrono::{NaiveDate, NaiveDateTime};

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
        // Every time, not only for a new tag: cheap, and it mends a
        // membership that changed by a path that does not tell us.
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
            // Only the campaigns' own follows, of members and of anyone
            // who stopped being one meanwhile.
            for (follow, member) in q.campaign_follows(coalition.id, None).await? {
                unfollow(&ctx.urls, &mut q, &mut outbox, coalition, &member, &follow).await?;
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

/// A membership of `coalition_id` changed (joined, left, removed),
/// in the transaction that changed it: a remote member that is one now
/// while a campaign runs is followed; the campaigns' follow of one that is
/// not a member any more is undone. Anything else (a remote coalition, a
/// local member) is left alone, so callers need not check.
pub async fn member_changed(
    urls: &Urls,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    coalition_id: i64,
    member_id: i64,
) -> ServiceResult<()> {
    let coalition = q.actor_by_id(coalition_id).await?;
    if !coalition.local || coalition.kind() != ActorKind::Coalition {
        return Ok(());
    }
    let member = q.actor_by_id(member_id).await?;
    if member.local {
        return Ok(());
    }
    let is_member = q
        .coalition_membership(coalition_id, member_id)
        .await?
        .is_some();
    if is_member && !q.campaigns_of(coalition_id).await?.is_empty() {
        return follow_member(urls, q, outbox, &coalition, &member).await;
    }
    if !is_member {
        for (follow, member) in q.campaign_follows(coalition_id, Some(member_id)).await? {
            unfollow(urls, q, outbox, &coalition, &member, &follow).await?;
        }
    }
    Ok(())
}

/// `Follow` of a remote member the coalition does not follow yet, marked
/// as the campaigns'. Local members' posts are seen in their own
/// transaction: nothing to follow. A follow that exists stays whose it is.
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
    let row = q
        .put_follow(
            coalition.id,
            member.id,
            FollowState::Pending,
            follow.id.as_str(),
        )
        .await?;
    q.mark_campaign_follow(row.id).await?;
    outbox
        .queue(q, coalition, &follow, &[Audience::InboxOf(member)])
        .await?;
    Ok(())
}

/// `Undo{Follow}` of a follow the campaigns made.
async fn unfollow(
    urls: &Urls,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    coalition: &ActorRow,
    member: &ActorRow,
    follow: &FollowRow,
) -> ServiceResult<()> {
    let undo =
        outgoing::undo_follow(urls, coalition, member, &follow.follow_ap_id).map_err(internal)?;
    q.delete_follow(follow.id).await?;
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
    /// Posts per organisation, most first (then by handle). Empty when
    /// not counted, or when the coalition shows its members to members
    /// only ([`Self::per_org_hidden`]).
    pub per_org: Vec<(ActorRow, i64)>,
    /// The coalition's members are not public: no list per organisation.
    pub per_org_hidden: bool,
    /// Posts per day (UTC), newest day first.
    pub per_day: Vec<(NaiveDate, i64)>,
    pub total: i64,
}

/// A local coalition's campaign page: 404 when the coalition or the
/// campaign is unknown. The counts cover every member post with the tag
/// since the campaign began, not one page, and are counted by the database.
pub async fn campaign(
    ctx: &Kuvend,
    coalition_name: &str,
    tag: &str,
    max_id: Option<i64>,
) -> ServiceResult<CampaignView> {
    view(ctx, coalition_name, tag, max_id, true).await
}

/// The first page of a campaign for its Atom feed: no counts (a feed
/// shows none, and readers poll it often).
pub async fn campaign_feed(
    ctx: &Kuvend,
    coalition_name: &str,
    tag: &str,
) -> ServiceResult<CampaignView> {
    view(ctx, coalition_name, tag, None, false).await
}

async fn view(
    ctx: &Kuvend,
    coalition_name: &str,
    tag: &str,
    max_id: Option<i64>,
    counts: bool,
) -> ServiceResult<CampaignView> {
    let found = coalitions::coalition(ctx, coalition_name).await?;
    let per_org_hidden = found.settings.members_visible() != MembersVisible::Public;
    let coalition = found.actor;
    let unknown = || ServiceError::NotFound(format!("no campaign #{tag} here"));
    let tag = crate::sanitize::hashtag(tag).ok_or_else(unknown)?;
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let since = q
        .campaigns_of(coalition.id)
        .await?
        .into_iter()
        .find_map(|(t, since)| (t == tag).then_some(since))
        .ok_or_else(unknown)?;
    let posts = q
        .campaign_posts(coalition.id, &tag, since, max_id, PAGE_SIZE)
        .await?;
    let next_max_id = (posts.len() as i64 == PAGE_SIZE)
        .then(|| posts.last().map(|(p, _)| p.id))
        .flatten();
    let mut view = CampaignView {
        coalition,
        tag,
        posts,
        next_max_id,
        per_org: Vec::new(),
        per_org_hidden,
        per_day: Vec::new(),
        total: 0,
    };
    if !counts {
        return Ok(view);
    }
    let per_author = q
        .campaign_counts_per_author(view.coalition.id, &view.tag, since)
        .await?;
    view.total = per_author.iter().map(|(_, n)| n).sum();
    if !per_org_hidden {
        for (author, count) in per_author {
            view.per_org.push((q.actor_by_id(author).await?, count));
        }
        view.per_org
            .sort_by(|(a, x), (b, y)| y.cmp(x).then_with(|| a.handle().cmp(&b.handle())));
    }
    for (day, count) in q
        .campaign_counts_per_day(view.coalition.id, &view.tag, since)
        .await?
    {
        let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d")
            .map_err(|e| internal(format!("day {day:?} from the database: {e}")))?;
        view.per_day.push((day, count));
    }
    view.per_day.sort_by(|a, b| b.cmp(a));
    Ok(view)
}

/// Text as XML 1.0 may carry it: without the C0 control characters other
/// than tab, line feed and carriage return, and without U+FFFE and U+FFFF
/// (XML 1.0 `Char`). A remote post or name can carry any of them, and one
/// would make the whole feed unreadable to a conforming parser.
pub fn xml_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let forbidden = |c: char| {
        (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if text.contains(forbidden) {
        text.replace(forbidden, "").into()
    } else {
        text.into()
    }
}

/// The campaign's Atom feed (RFC 4287): the newest [`PAGE_SIZE`] posts of
/// the first page, each an entry with its id URL, page link, author,
/// content warning (`<summary>`) and sanitised HTML content. `self_url`
/// and `page_url` are the feed's and the page's addresses. Every text and
/// attribute goes through [`xml_safe`].
pub fn atom(
    view: &CampaignView,
    self_url: &str,
    page_url: &str,
    domain: &str,
) -> ServiceResult<String> {
    use quick_xml::{Writer, events::BytesText};
    let text = |s: &str| BytesText::new(&xml_safe(s)).into_owned();
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
    let (self_url, page_url) = (xml_safe(self_url), xml_safe(page_url));
    let mut writer = Writer::new(Vec::new());
    writer
        .get_mut()
        .extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    writer
        .create_element("feed")
        .with_attribute(("xmlns", "http://www.w3.org/2005/Atom"))
        .write_inner_content(|w| {
            w.create_element("id").write_text_content(text(&self_url))?;
            w.create_element("title")
                .write_text_content(text(&format!("#{} — {coalition_name}", view.tag)))?;
            w.create_element("updated")
                .write_text_content(text(&stamp(updated)))?;
            w.create_element("link")
                .with_attributes([("rel", "self"), ("href", &*self_url)])
                .write_empty()?;
            w.create_element("link")
                .with_attributes([
                    ("rel", "alternate"),
                    ("type", "text/html"),
                    ("href", &*page_url),
                ])
                .write_empty()?;
            for (post, author) in &view.posts {
                let name = if author.display_name.is_empty() {
                    author.username.clone()
                } else {
                    super::text::strip_html(&author.display_name)
                };
                let host = if author.local { domain } else { &author.domain };
                let link = xml_safe(post.url.as_deref().unwrap_or(&post.ap_id));
                w.create_element("entry").write_inner_content(|w| {
                    w.create_element("id")
                        .write_text_content(text(&post.ap_id))?;
                    w.create_element("title").write_text_content(text(&format!(
                        "{name} (@{}@{host})",
                        author.username
                    )))?;
                    w.create_element("published")
                        .write_text_content(text(&stamp(post.published_at)))?;
                    w.create_element("updated").write_text_content(text(&stamp(
                        post.edited_at.unwrap_or(post.published_at),
                    )))?;
                    w.create_element("link")
                        .with_attributes([("rel", "alternate"), ("href", &*link)])
                        .write_empty()?;
                    w.create_element("author").write_inner_content(|w| {
                        w.create_element("name").write_text_content(text(&name))?;
                        if let Some(uri) = &author.profile_url {
                            w.create_element("uri").write_text_content(text(uri))?;
                        }
                        Ok(())
                    })?;
                    // The content warning, as Mastodon's spoiler text: a
                    // reader shows the summary, as an app shows the warning.
                    if let Some(warning) = post.summary.as_deref().filter(|s| !s.is_empty()) {
                        w.create_element("summary")
                            .with_attribute(("type", "text"))
                            .write_text_content(text(warning))?;
                    }
                    // Stored content is sanitised HTML; Atom carries it escaped.
                    w.create_element("content")
                        .with_attribute(("type", "html"))
                        .write_text_content(text(&post.content))?;
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

    #[test]
    fn xml_safe_drops_what_xml_forbids_and_keeps_the_rest() {
        assert_eq!(xml_safe("a\u{0}b\u{8}c\u{1b}d\u{1f}"), "abcd");
        assert_eq!(xml_safe("tab\tnl\ncr\r"), "tab\tnl\ncr\r");
        assert_eq!(xml_safe("x\u{FFFE}\u{FFFF}y"), "xy");
        assert_eq!(xml_safe("ë — 🙂 \u{7f}\u{85}"), "ë — 🙂 \u{7f}\u{85}");
        assert!(matches!(xml_safe("plain"), std::borrow::Cow::Borrowed(_)));
    }
}
