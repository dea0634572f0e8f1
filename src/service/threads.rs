//! Members-only threads (issue 14 item 3). A member's followers-only or
//! direct post that addresses a local coalition (a Mastodon user's direct
//! mention of it is the usual case) is re-sent by the coalition as ITS OWN
//! post: a Mastodon direct post carries no LD signature, so it cannot be
//! forwarded, and Mastodon refuses to boost a non-public post
//! (docs/research/relaying.md §4.5, pitfalls 5 and 6). The copy is addressed
//! to the members collection and every member by id, never to the public or
//! the coalition's followers (pitfall 8), mentions every member (so each is
//! notified), is stored as a direct post with those mentions (so the one
//! visibility rule lets members, and only them, read it), and goes to each
//! remote member's personal inbox (pitfall 7: Mastodon grants a shared-inbox
//! delivery only to the actors named in it).
//!
//! Replies to a copy, or to an original, by a member travel the same way:
//! the coalition writes its copy of the reply under the parent's copy.

use super::{
    ServiceError, ServiceResult, escape_html,
    outbox::{Audience, Outbox},
    posts::{LocalPost, new_local_post, notify_mentioned},
};
use crate::{
    context::Kuvend,
    federation::outgoing::{self, NoteParts},
    model::{ActorKind, Visibility},
    service::acting::Acting,
    storage::{
        Q,
        models::{ActorRow, PostRow},
        now,
        posts::PostEdit,
        threads::ThreadRow,
    },
};

/// After a note from another instance was stored in the inbox transaction:
/// the coalitions it is a members-only thread for re-send it. The inbox
/// wakes the delivery worker once its batch has committed.
pub(crate) async fn after_incoming(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    note_id: &str,
    local_mentions: &[i64],
) -> ServiceResult<()> {
    let Some(post) = q.post_by_ap_id(note_id).await? else {
        return Ok(());
    };
    let author = q.actor_by_id(post.author_id).await?;
    let mut outbox = Outbox::default();
    resend(ctx, q, &mut outbox, &author, &post, local_mentions).await
}

/// After a local post was written, in its own transaction (`outbox` is that
/// transaction's; its caller wakes the worker after the commit).
pub(crate) async fn after_local(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    author: &ActorRow,
    post: &PostRow,
    mentions: &[ActorRow],
) -> ServiceResult<()> {
    let ids: Vec<i64> = mentions.iter().filter(|m| m.local).map(|m| m.id).collect();
    resend(ctx, q, outbox, author, post, &ids).await
}

/// The coalitions `post` is a members-only thread for, each with the copy
/// its copy replies to: the thread of the parent (the parent is a copy, or
/// an original a coalition copied), then the coalitions it addresses.
async fn threads_for(
    q: &mut Q<'_>,
    post: &PostRow,
    addressed: &[i64],
) -> ServiceResult<Vec<(ActorRow, Option<PostRow>)>> {
    let mut found: Vec<(ActorRow, Option<PostRow>)> = Vec::new();
    if let Some(parent_id) = post.in_reply_to_id {
        let mut parents: Vec<ThreadRow> = q.thread_by_copy(parent_id).await?.into_iter().collect();
        // A reply to an original goes under the coalitions' copies of it.
        parents.extend(q.threads_of_original(parent_id).await?);
        for thread in parents {
            // Only when the reply itself addresses the coalition: a private
            // reply to an original (which mentions only its author) stays
            // between them. A reply to a copy mentions the coalition anyway.
            if !addressed.contains(&thread.coalition_id)
                || found.iter().any(|(c, _)| c.id == thread.coalition_id)
            {
                continue;
            }
            let coalition = q.actor_by_id(thread.coalition_id).await?;
            let parent_copy = q.post_by_id(thread.copy_post_id).await?;
            found.push((coalition, parent_copy));
        }
    }
    for coalition in super::coalitions::addressed_coalitions(q, addressed).await? {
        if !found.iter().any(|(c, _)| c.id == coalition.id) {
            found.push((coalition, None));
        }
    }
    Ok(found)
}

async fn resend(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    author: &ActorRow,
    post: &PostRow,
    addressed: &[i64],
) -> ServiceResult<()> {
    // Public and unlisted posts are relayed (item 1), not threads; a
    // coalition's own posts (its copies among them) are never copied again.
    if !matches!(
        post.visibility(),
        Visibility::Followers | Visibility::Direct
    ) || author.kind() == ActorKind::Coalition
        || post.deleted_at.is_some()
    {
        return Ok(());
    }
    for (coalition, parent_copy) in threads_for(q, post, addressed).await? {
        if q.coalition_membership(coalition.id, author.id)
            .await?
            .is_none()
        {
            // It stays a private message to the coalition.
            tracing::info!(
                post = %post.ap_id, author = %author.ap_id, coalition = %coalition.ap_id,
                "members-only thread not re-sent: the author is not a member"
            );
            continue;
        }
        let copied = q.threads_of_original(post.id).await?;
        if copied.iter().any(|t| t.coalition_id == coalition.id) {
            continue;
        }
        let hour_ago = now() - chrono::Duration::hours(1);
        let recent = q
            .count_copies_of_author_since(coalition.id, author.id, hour_ago)
            .await?;
        if recent >= COPIES_PER_MEMBER_HOUR {
            // One member must not turn the coalition into a mass mailer.
            tracing::warn!(
                post = %post.ap_id, author = %author.ap_id, coalition = %coalition.ap_id,
                "members-only thread not re-sent: the member's hourly cap is reached"
            );
            continue;
        }
        write_copy(
            ctx,
            q,
            outbox,
            &coalition,
            author,
            post,
            parent_copy.as_ref(),
        )
        .await?;
    }
    Ok(())
}

/// How many copies a coalition makes of one member's posts in an hour (a
/// constant until coalitions have a configurable relay cap).
const COPIES_PER_MEMBER_HOUR: i64 = 30;

/// The coalition's current members.
async fn members_of(q: &mut Q<'_>, coalition_id: i64) -> ServiceResult<Vec<ActorRow>> {
    Ok(q.coalition_members(coalition_id, None)
        .await?
        .into_iter()
        .map(|(_, actor)| actor)
        .collect())
}

/// The actors `post` itself reached: its `to`, `cc` and mentions.
async fn addressed_by(q: &mut Q<'_>, post: &PostRow) -> ServiceResult<Vec<String>> {
    let mut ids: Vec<String> = Vec::new();
    for json in [&post.to_json, &post.cc_json] {
        ids.extend(serde_json::from_str::<Vec<String>>(json).unwrap_or_default());
    }
    ids.extend(q.post_mentions(post.id).await?.into_iter().map(|m| m.ap_id));
    Ok(ids)
}

/// The coalition's own post quoting `original`, to its members only.
async fn write_copy(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    coalition: &ActorRow,
    author: &ActorRow,
    original: &PostRow,
    parent_copy: Option<&PostRow>,
) -> ServiceResult<()> {
    let urls = &ctx.urls;
    let limits = &ctx.settings.limits;
    let members = members_of(q, coalition.id).await?;
    // The author has the original: named in `to` (it is theirs), but not
    // mentioned (no notification of their own words) nor sent the copy.
    let mentioned: Vec<ActorRow> = members
        .iter()
        .filter(|m| m.id != author.id)
        .cloned()
        .collect();
    // Above the mention limit a receiver would refuse the note (ours and
    // Mastodon's bound it): address the members collection only and rely
    // on the personal-inbox delivery (research pitfall 7). The mentions are
    // still stored, so that members, and only they, may read it here.
    let on_wire: &[ActorRow] = if mentioned.len() > limits.note_mentions_max {
        &[]
    } else {
        &mentioned
    };
    let content = quoted(author, original, limits.note_content_max_bytes);
    let mut row = new_local_post(
        urls,
        &Acting::admin(coalition.clone()),
        LocalPost {
            ap_type: "Note",
            visibility: Visibility::Direct,
            source: crate::sanitize::plain(&content),
            content,
            summary: original.summary.clone(),
            language: original.language.clone(),
            parent: parent_copy,
            mentions: on_wire,
        },
    )?;
    // Sensitive as the original is (an edit keeps it so, see `after_change`).
    row.sensitive = original.sensitive;
    // The members collection and every member by id; nothing in cc: never
    // the public nor the coalition's followers.
    let mut to = vec![urls.members(&coalition.username).to_string()];
    if on_wire.len() == mentioned.len() {
        to.extend(members.iter().map(|m| m.ap_id.clone()));
    }
    row.to_json = serde_json::to_string(&to).map_err(|e| ServiceError::Internal(e.into()))?;
    row.cc_json = "[]".into();
    let create = outgoing::create_note(
        urls,
        &NoteParts {
            post: &row,
            author: coalition,
            tags: &[],
            mentions: on_wire,
        },
    )?;
    // Stored with every member as a mention, the author too, so that all
    // of them (and only they) may read it, the author when fetching a
    // reply's parent; notified are those it mentions on the wire.
    let readers: Vec<i64> = members.iter().map(|m| m.id).collect();
    q.insert_post(&row, &[], &readers).await?;
    notify_mentioned(q, &row, &mentioned).await?;
    q.insert_coalition_thread(&ThreadRow {
        coalition_id: coalition.id,
        original_post_id: original.id,
        copy_post_id: row.id,
        created_at: now(),
    })
    .await?;
    // Each member's personal inbox (not the shared one), except those the
    // original reached already (Mastodon sends a reply to everyone the
    // parent mentioned): they would get it twice.
    let reached = addressed_by(q, original).await?;
    let audience: Vec<Audience<'_>> = mentioned
        .iter()
        .filter(|m| !reached.contains(&m.ap_id))
        .map(Audience::InboxOf)
        .collect();
    outbox.queue(q, coalition, &create, &audience).await?;
    tracing::info!(
        original = %original.ap_id, copy = %row.ap_id, coalition = %coalition.ap_id,
        members = members.len(), "members-only thread re-sent"
    );
    Ok(())
}

/// The copy's content: who wrote it (a link to their profile), then the
/// original's HTML, cleaned again as a whole, and cut (with "…") so that it
/// stays within `max` bytes, the limit a receiver applies to notes.
fn quoted(author: &ActorRow, original: &PostRow, max: usize) -> String {
    let profile = author
        .profile_url
        .clone()
        .or_else(|| original.url.clone())
        .unwrap_or_else(|| author.ap_id.clone());
    let head = format!(
        "<p><span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@{}@{}</a></span> wrote:</p>",
        escape_html(&profile),
        escape_html(&author.username),
        escape_html(&author.domain),
    );
    let mut budget = original.content.len();
    loop {
        let body = cut(&original.content, budget);
        let html = crate::sanitize::html(&format!("{head}{body}"));
        if html.len() <= max || budget == 0 {
            return html;
        }
        // Cleaning may close tags the cut left open: shrink by the excess
        // (at least one byte) until it fits.
        budget = budget.saturating_sub((html.len() - max).max(1));
    }
}

/// `text` cut to at most `budget` bytes at a character boundary, with "…"
/// when anything was cut.
fn cut(text: &str, budget: usize) -> String {
    if text.len() <= budget {
        return text.to_string();
    }
    let mut end = budget;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// What became of an original a coalition copied.
pub(crate) enum Change {
    Edited,
    Deleted,
}

/// After an original was edited or deleted by its author (in that
/// transaction): each coalition's copy follows, and its members are sent
/// `Update{Note}` or `Delete{Tombstone}` at their personal inboxes.
pub(crate) async fn after_change(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    original_id: i64,
    change: Change,
) -> ServiceResult<()> {
    let threads = q.threads_of_original(original_id).await?;
    if threads.is_empty() {
        return Ok(());
    }
    let original = q
        .post_by_id(original_id)
        .await?
        .ok_or(ServiceError::NotFound("the original of a thread".into()))?;
    let author = q.actor_by_id(original.author_id).await?;
    let urls = &ctx.urls;
    for thread in threads {
        let Some(copy) = q
            .post_by_id(thread.copy_post_id)
            .await?
            .filter(|c| c.deleted_at.is_none())
        else {
            continue;
        };
        let coalition = q.actor_by_id(thread.coalition_id).await?;
        // Those who got the copy (its readers but the original's author).
        let mut members = q.post_mentions(copy.id).await?;
        members.retain(|m| m.id != author.id);
        let activity = match change {
            // A Delete may reach a former member: it only takes away.
            Change::Deleted => {
                q.mark_post_deleted(copy.id).await?;
                outgoing::delete_note(urls, &copy, &coalition)?
            }
            Change::Edited => {
                let sent = members.clone();
                // New words only to those still members.
                let current = members_of(q, coalition.id).await?;
                members.retain(|m| current.iter().any(|c| c.id == m.id));
                let content = quoted(
                    &author,
                    &original,
                    ctx.settings.limits.note_content_max_bytes,
                );
                let edit = PostEdit {
                    // As when the copy was written: its text is its content.
                    source: Some(crate::sanitize::plain(&content)),
                    content,
                    summary: original.summary.clone(),
                    sensitive: original.sensitive,
                    edited_at: now(),
                };
                q.edit_post(copy.id, &edit, &[]).await?;
                let mut edited = copy.clone();
                edited.content = edit.content;
                edited.source = edit.source;
                edited.summary = edit.summary;
                edited.sensitive = edit.sensitive;
                edited.edited_at = Some(edit.edited_at);
                // The copy's Mention tags as sent with the Create.
                let on_wire: &[ActorRow] = if sent.len() > ctx.settings.limits.note_mentions_max {
                    &[]
                } else {
                    &sent
                };
                outgoing::update_note(
                    urls,
                    &NoteParts {
                        post: &edited,
                        author: &coalition,
                        tags: &[],
                        mentions: on_wire,
                    },
                )?
            }
        };
        let audience: Vec<Audience<'_>> = members.iter().map(Audience::InboxOf).collect();
        outbox.queue(q, &coalition, &activity, &audience).await?;
    }
    Ok(())
}

/// Before an account is deleted (in that transaction): every coalition copy
/// of its posts is deleted as if the author had deleted each post.
pub(crate) async fn after_author_deleted(
    ctx: &Kuvend,
    q: &mut Q<'_>,
    author_id: i64,
) -> ServiceResult<()> {
    let mut originals: Vec<i64> = q
        .threads_of_author(author_id)
        .await?
        .into_iter()
        .map(|t| t.original_post_id)
        .collect();
    originals.sort_unstable();
    originals.dedup();
    let mut outbox = Outbox::default();
    for original in originals {
        after_change(ctx, q, &mut outbox, original, Change::Deleted).await?;
    }
    Ok(())
}
