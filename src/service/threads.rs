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
    posts::{LocalPost, insert_local_post, new_local_post},
};
use crate::{
    federation::{
        outgoing::{self, NoteParts},
        urls::Urls,
    },
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
    urls: &Urls,
    q: &mut Q<'_>,
    note_id: &str,
    local_mentions: &[i64],
) -> ServiceResult<()> {
    let Some(post) = q.post_by_ap_id(note_id).await? else {
        return Ok(());
    };
    let author = q.actor_by_id(post.author_id).await?;
    let mut outbox = Outbox::default();
    resend(urls, q, &mut outbox, &author, &post, local_mentions).await
}

/// After a local post was written, in its own transaction (`outbox` is that
/// transaction's; its caller wakes the worker after the commit).
pub(crate) async fn after_local(
    urls: &Urls,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    author: &ActorRow,
    post: &PostRow,
    mentions: &[ActorRow],
) -> ServiceResult<()> {
    let ids: Vec<i64> = mentions.iter().filter(|m| m.local).map(|m| m.id).collect();
    resend(urls, q, outbox, author, post, &ids).await
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
            if found.iter().any(|(c, _)| c.id == thread.coalition_id) {
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
    urls: &Urls,
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
        write_copy(
            urls,
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

/// The coalition's own post quoting `original`, to its members only.
async fn write_copy(
    urls: &Urls,
    q: &mut Q<'_>,
    outbox: &mut Outbox,
    coalition: &ActorRow,
    author: &ActorRow,
    original: &PostRow,
    parent_copy: Option<&PostRow>,
) -> ServiceResult<()> {
    let members: Vec<ActorRow> = q
        .coalition_members(coalition.id, None)
        .await?
        .into_iter()
        .map(|(_, actor)| actor)
        .collect();
    let content = quoted(author, original);
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
            mentions: &members,
        },
    )?;
    // The members collection and every member by id; nothing in cc: never
    // the public nor the coalition's followers.
    let mut to = vec![urls.members(&coalition.username).to_string()];
    to.extend(members.iter().map(|m| m.ap_id.clone()));
    row.to_json = serde_json::to_string(&to).map_err(|e| ServiceError::Internal(e.into()))?;
    row.cc_json = "[]".into();
    let create = outgoing::create_note(
        urls,
        &NoteParts {
            post: &row,
            author: coalition,
            tags: &[],
            mentions: &members,
        },
    )?;
    insert_local_post(q, &row, &[], &members).await?;
    q.insert_coalition_thread(&ThreadRow {
        coalition_id: coalition.id,
        original_post_id: original.id,
        copy_post_id: row.id,
        created_at: now(),
    })
    .await?;
    // Each member's personal inbox (not the shared one).
    let audience: Vec<Audience<'_>> = members.iter().map(Audience::InboxOf).collect();
    outbox.queue(q, coalition, &create, &audience).await?;
    tracing::info!(
        original = %original.ap_id, copy = %row.ap_id, coalition = %coalition.ap_id,
        members = members.len(), "members-only thread re-sent"
    );
    Ok(())
}

/// The copy's content: who wrote it (a link to their profile), then the
/// original's HTML, cleaned again as a whole.
fn quoted(author: &ActorRow, original: &PostRow) -> String {
    let profile = author
        .profile_url
        .clone()
        .or_else(|| original.url.clone())
        .unwrap_or_else(|| author.ap_id.clone());
    crate::sanitize::html(&format!(
        "<p><span class=\"h-card\"><a href=\"{}\" class=\"u-url mention\">@{}@{}</a></span> wrote:</p>{}",
        escape_html(&profile),
        escape_html(&author.username),
        escape_html(&author.domain),
        original.content
    ))
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
    urls: &Urls,
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
    for thread in threads {
        let Some(copy) = q
            .post_by_id(thread.copy_post_id)
            .await?
            .filter(|c| c.deleted_at.is_none())
        else {
            continue;
        };
        let coalition = q.actor_by_id(thread.coalition_id).await?;
        let members = q.post_mentions(copy.id).await?;
        let activity = match change {
            Change::Deleted => {
                q.mark_post_deleted(copy.id).await?;
                outgoing::delete_note(urls, &copy, &coalition)?
            }
            Change::Edited => {
                let edit = PostEdit {
                    content: quoted(&author, &original),
                    source: copy.source.clone(),
                    summary: original.summary.clone(),
                    sensitive: original.sensitive,
                    edited_at: now(),
                };
                q.edit_post(copy.id, &edit, &[]).await?;
                let mut edited = copy.clone();
                edited.content = edit.content;
                edited.summary = edit.summary;
                edited.sensitive = edit.sensitive;
                edited.edited_at = Some(edit.edited_at);
                outgoing::update_note(
                    urls,
                    &NoteParts {
                        post: &edited,
                        author: &coalition,
                        tags: &[],
                        mentions: &members,
                    },
                )?
            }
        };
        let audience: Vec<Audience<'_>> = members.iter().map(Audience::InboxOf).collect();
        outbox.queue(q, &coalition, &activity, &audience).await?;
    }
    Ok(())
}
