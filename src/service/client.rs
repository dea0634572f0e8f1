//! What the Mastodon client API shows: accounts with their counts, posts as
//! a viewer sees them, relationships, timelines and notifications.

use super::{ServiceError, ServiceResult, visibility};
use crate::model::{FollowState, Page, ReactionKind, Visibility};
use crate::{
    context::Kuvend,
    storage::{
        Q,
        accounts::NotificationRow,
        models::{ActorRow, EventRow, PostRow},
    },
};
use std::collections::{HashMap, HashSet};

/// Counts shown on an account.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub followers: i64,
    pub following: i64,
    pub statuses: i64,
    pub last_status_at: Option<chrono::NaiveDateTime>,
}

/// An account and its counts.
#[derive(Debug, Clone)]
pub struct AccountData {
    pub actor: ActorRow,
    pub counts: Counts,
}

/// A post as one viewer sees it.
#[derive(Debug, Clone)]
pub struct StatusData {
    pub post: PostRow,
    pub author: AccountData,
    pub mentions: Vec<ActorRow>,
    pub tags: Vec<String>,
    pub in_reply_to_account_id: Option<i64>,
    pub favourited: bool,
    pub reblogged: bool,
    pub bookmarked: bool,
    /// The event's fields, when the post is an event (clients that know
    /// events show them; the others read the post's content).
    pub event: Option<EventRow>,
    /// The viewer's own participation in the event, when it answered and
    /// has not left (`not_going` is shown as none).
    pub join_state: Option<crate::model::ParticipantState>,
    /// For a boost (`post.reblog_of_id`): the boosted post as the viewer
    /// sees it (Mastodon's `reblog`).
    pub reblog: Option<Box<StatusData>>,
    /// Its media attachments, in order (issue 16).
    pub media: Vec<super::media::MediaRow>,
}

/// A relationship from the viewer to another account.
#[derive(Debug, Clone)]
pub struct RelationshipData {
    pub id: i64,
    pub following: bool,
    pub requested: bool,
    pub followed_by: bool,
    pub requested_by: bool,
    /// What the viewer blocks or mutes of it (service::blocks).
    pub decided: super::blocks::Decided,
}

pub struct NotificationData {
    pub row: NotificationRow,
    pub from: AccountData,
    pub status: Option<StatusData>,
    /// For a participation or a request: the message that came with it, as
    /// it is now (staff only ever see their own events' notifications).
    pub participation_message: Option<String>,
    /// For `admin.report`: the report, and its target as an account.
    pub report: Option<(super::reports::ReportView, AccountData)>,
}

/// Whether a notification is about someone taking part in an event.
fn is_participation(kind: &str) -> bool {
    kind == super::participation::REQUEST_NOTIFICATION
        || kind == super::participation::PARTICIPATION_NOTIFICATION
}

/// The counts of several accounts at once, by actor id.
async fn counts_of(q: &mut Q<'_>, ids: &[i64]) -> ServiceResult<HashMap<i64, Counts>> {
    let visible = [Visibility::Public, Visibility::Unlisted];
    let mut counts: HashMap<i64, Counts> = ids.iter().map(|id| (*id, Counts::default())).collect();
    for (id, n) in q.follower_counts(ids).await? {
        counts.entry(id).or_default().followers = n;
    }
    for (id, n) in q.following_counts(ids).await? {
        counts.entry(id).or_default().following = n;
    }
    for (id, n, latest) in q.post_counts(ids, &visible).await? {
        let entry = counts.entry(id).or_default();
        entry.statuses = n;
        entry.last_status_at = latest;
    }
    Ok(counts)
}

async fn counts(q: &mut Q<'_>, actor: &ActorRow) -> ServiceResult<Counts> {
    Ok(counts_of(q, &[actor.id])
        .await?
        .remove(&actor.id)
        .unwrap_or_default())
}

pub async fn account_data(ctx: &Kuvend, mut actor: ActorRow) -> ServiceResult<AccountData> {
    // A domain whose media is rejected (issue 15): its avatar is not
    // shown (the placeholder is, as for an actor without one).
    if !actor.local && ctx.policy().await.rejects_media(&actor.domain) {
        actor.icon_url = None;
        actor.image_url = None;
    }
    // A suspended account counts nothing (issue 15), as on Mastodon.
    if actor.suspended_at.is_some() {
        return Ok(AccountData {
            actor,
            counts: Counts::default(),
        });
    }
    let mut conn = ctx.db.conn().await?;
    let counts = counts(&mut conn.q(), &actor).await?;
    Ok(AccountData { actor, counts })
}

/// An account by id (any actor kuvend knows, but not the instance actor);
/// 404 for anything else.
pub async fn actor_by_account_id(ctx: &Kuvend, id: &str) -> ServiceResult<ActorRow> {
    let not_found = || ServiceError::NotFound("Record not found".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let mut conn = ctx.db.conn().await?;
    let actor = match conn.q().actor_by_id(id).await {
        Ok(actor) => actor,
        Err(crate::storage::StorageError::NotFound) => return Err(not_found()),
        // A database failure is not "no such account".
        Err(error) => return Err(error.into()),
    };
    // The instance actor is not an account; another server's `Application`
    // (Gancio's, whose events an organisation follows) is.
    if actor.local && actor.kind() == crate::model::ActorKind::Application {
        return Err(not_found());
    }
    Ok(actor)
}

/// [`actor_by_account_id`] with the counts an Account entity shows.
pub async fn account_by_id(ctx: &Kuvend, id: &str) -> ServiceResult<AccountData> {
    let actor = actor_by_account_id(ctx, id).await?;
    account_data(ctx, actor).await
}

/// Posts as `viewer` sees them, dropping those it may not see. A page costs
/// the same few queries whatever its length (see `storage::views`).
pub async fn statuses(
    ctx: &Kuvend,
    posts: Vec<PostRow>,
    viewer: Option<&ActorRow>,
) -> ServiceResult<Vec<StatusData>> {
    // The posts boosted on this page, as the viewer sees them, before this
    // call takes its connection; a boost of a post it may not see is left out.
    let boosted_ids: Vec<i64> = posts.iter().filter_map(|p| p.reblog_of_id).collect();
    let originals: HashMap<i64, StatusData> = if boosted_ids.is_empty() {
        HashMap::new()
    } else {
        let rows = {
            let mut conn = ctx.db.conn().await?;
            conn.q().posts_by_ids(&boosted_ids).await?
        };
        // A boost of a boost is never stored; this keeps the recursion one deep.
        let rows: Vec<PostRow> = rows
            .into_iter()
            .filter(|p| p.reblog_of_id.is_none())
            .collect();
        Box::pin(statuses(ctx, rows, viewer))
            .await?
            .into_iter()
            .map(|s| (s.post.id, s))
            .collect()
    };
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let posts: Vec<PostRow> = posts
        .into_iter()
        .filter(|p| p.deleted_at.is_none())
        .collect();
    if posts.is_empty() {
        return Ok(Vec::new());
    }
    // The authors first, in one query: a suspended one's posts are seen by
    // nobody (issue 15), checked on the rows rather than by `may_see`'s
    // query per post.
    let mut author_ids: Vec<i64> = posts.iter().map(|p| p.author_id).collect();
    author_ids.sort_unstable();
    author_ids.dedup();
    let authors: HashMap<i64, ActorRow> = q
        .actors_by_ids(&author_ids)
        .await?
        .into_iter()
        .filter(|a| a.suspended_at.is_none())
        .map(|a| (a.id, a))
        .collect();
    let mut visible = Vec::with_capacity(posts.len());
    for post in posts {
        if authors.contains_key(&post.author_id)
            && visibility::may_see_by_unsuspended(&mut q, &post, viewer).await?
        {
            visible.push(post);
        }
    }
    if visible.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = visible.iter().map(|p| p.id).collect();
    author_ids.retain(|id| authors.contains_key(id));
    let counts = counts_of(&mut q, &author_ids).await?;
    let parent_ids: Vec<i64> = visible.iter().filter_map(|p| p.in_reply_to_id).collect();
    let parent_authors: HashMap<i64, i64> = if parent_ids.is_empty() {
        HashMap::new()
    } else {
        q.posts_by_ids(&parent_ids)
            .await?
            .into_iter()
            .map(|p| (p.id, p.author_id))
            .collect()
    };
    let (liked, boosted, bookmarked): (HashSet<i64>, HashSet<i64>, HashSet<i64>) = match viewer {
        Some(v) => (
            q.reacted_among(ReactionKind::Like, v.id, &ids)
                .await?
                .into_iter()
                .collect(),
            q.reacted_among(ReactionKind::Announce, v.id, &ids)
                .await?
                .into_iter()
                .collect(),
            q.bookmarked_among(v.id, &ids).await?.into_iter().collect(),
        ),
        None => Default::default(),
    };
    let mut mentions: HashMap<i64, Vec<ActorRow>> = HashMap::new();
    for (post_id, actor) in q.mentions_of(&ids).await? {
        mentions.entry(post_id).or_default().push(actor);
    }
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    for (post_id, tag) in q.tags_of(&ids).await? {
        tags.entry(post_id).or_default().push(tag);
    }
    let event_ids: Vec<i64> = visible
        .iter()
        .filter(|p| p.ap_type == "Event")
        .map(|p| p.id)
        .collect();
    let mut events: HashMap<i64, EventRow> = q
        .events_by_posts(&event_ids)
        .await?
        .into_iter()
        .map(|e| (e.post_id, e))
        .collect();
    let mut joined: HashMap<i64, crate::model::ParticipantState> = match viewer {
        Some(v) => q
            .participations_among(v.id, &event_ids)
            .await?
            .into_iter()
            .filter_map(|(id, state)| {
                crate::model::ParticipantState::parse(&state)
                    .filter(|s| *s != crate::model::ParticipantState::NotGoing)
                    .map(|s| (id, s))
            })
            .collect(),
        None => HashMap::new(),
    };
    let mut media: HashMap<i64, Vec<super::media::MediaRow>> = HashMap::new();
    for row in q.media_of_posts(&ids).await? {
        if let Some(post_id) = row.post_id {
            media.entry(post_id).or_default().push(row);
        }
    }
    let mut out = Vec::with_capacity(visible.len());
    for post in visible {
        let Some(author) = authors.get(&post.author_id).cloned() else {
            continue;
        };
        let reblog = match post.reblog_of_id {
            Some(original) => match originals.get(&original) {
                Some(shown) => Some(Box::new(shown.clone())),
                None => continue,
            },
            None => None,
        };
        out.push(StatusData {
            reblog,
            mentions: mentions.remove(&post.id).unwrap_or_default(),
            tags: tags.remove(&post.id).unwrap_or_default(),
            author: AccountData {
                counts: counts.get(&author.id).copied().unwrap_or_default(),
                actor: author,
            },
            in_reply_to_account_id: post
                .in_reply_to_id
                .and_then(|parent| parent_authors.get(&parent).copied()),
            favourited: liked.contains(&post.id),
            reblogged: boosted.contains(&post.id),
            bookmarked: bookmarked.contains(&post.id),
            event: events.remove(&post.id),
            join_state: joined.remove(&post.id),
            media: media.remove(&post.id).unwrap_or_default(),
            post,
        });
    }
    Ok(out)
}

/// One post by id, if `viewer` may see it (404 otherwise).
/// The status an action (favourite, boost, bookmark) applies to: a boost's
/// original, as Mastodon acts on the boosted status, never on the boost.
pub async fn status_acted_on(
    ctx: &Kuvend,
    id: &str,
    viewer: Option<&ActorRow>,
) -> ServiceResult<StatusData> {
    let status = status(ctx, id, viewer).await?;
    Ok(match status.reblog {
        Some(original) => *original,
        None => status,
    })
}

pub async fn status(
    ctx: &Kuvend,
    id: &str,
    viewer: Option<&ActorRow>,
) -> ServiceResult<StatusData> {
    let not_found = || ServiceError::NotFound("Record not found".into());
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let post = {
        let mut conn = ctx.db.conn().await?;
        conn.q().post_by_id(id).await?
    }
    .ok_or_else(not_found)?;
    statuses(ctx, vec![post], viewer)
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// Ancestors (oldest first) and direct and deeper replies of a post.
pub async fn context(
    ctx: &Kuvend,
    post: &PostRow,
    viewer: Option<&ActorRow>,
) -> ServiceResult<(Vec<StatusData>, Vec<StatusData>)> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let mut ancestors = Vec::new();
    let mut parent = post.in_reply_to_id;
    while let Some(id) = parent {
        if ancestors.len() >= 40 {
            break;
        }
        match q.post_by_id(id).await? {
            Some(p) => {
                parent = p.in_reply_to_id;
                ancestors.push(p);
            }
            None => break,
        }
    }
    ancestors.reverse();
    let mut descendants = Vec::new();
    let mut frontier = vec![post.id];
    // The thread is its root author's: replies by actors that author blocks
    // (by name or domain) are left out, with whatever answers them.
    let root_author = ancestors.first().map_or(post.author_id, |p| p.author_id);
    let left_out = super::posts::RepliesLeftOut::of(ctx, &mut q, root_author).await?;
    while let Some(id) = frontier.pop() {
        if descendants.len() >= 200 {
            break;
        }
        for (reply, author) in q.replies(id).await? {
            if left_out.hides(&author) {
                continue;
            }
            frontier.push(reply.id);
            descendants.push(reply);
        }
    }
    descendants.sort_by_key(|p| p.id);
    drop(conn);
    Ok((
        statuses(ctx, ancestors, viewer).await?,
        statuses(ctx, descendants, viewer).await?,
    ))
}

pub async fn relationships(
    ctx: &Kuvend,
    viewer: &ActorRow,
    ids: &[String],
) -> ServiceResult<Vec<RelationshipData>> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let mut out = Vec::new();
    for id in ids {
        let Ok(id) = id.parse::<i64>() else { continue };
        let outgoing = q.follow_between(viewer.id, id).await?;
        let incoming = q.follow_between(id, viewer.id).await?;
        let decided = match q.actor_by_id(id).await {
            Ok(actor) => super::blocks::decided(&mut q, viewer.id, &actor).await?,
            Err(_) => super::blocks::Decided::default(),
        };
        out.push(RelationshipData {
            decided,
            id,
            following: outgoing
                .as_ref()
                .is_some_and(|f| f.state() == FollowState::Accepted),
            requested: outgoing
                .as_ref()
                .is_some_and(|f| f.state() == FollowState::Pending),
            followed_by: incoming
                .as_ref()
                .is_some_and(|f| f.state() == FollowState::Accepted),
            requested_by: incoming
                .as_ref()
                .is_some_and(|f| f.state() == FollowState::Pending),
        });
    }
    Ok(out)
}

pub async fn home_timeline(
    ctx: &Kuvend,
    viewer: &ActorRow,
    page: Page,
) -> ServiceResult<Vec<StatusData>> {
    let posts = {
        let mut conn = ctx.db.conn().await?;
        conn.q().home_timeline(viewer.id, page).await?
    };
    statuses(ctx, posts, Some(viewer)).await
}

pub async fn public_timeline(
    ctx: &Kuvend,
    viewer: Option<&ActorRow>,
    local: Option<bool>,
    tag: Option<&str>,
    page: Page,
) -> ServiceResult<Vec<StatusData>> {
    let posts = {
        let mut conn = ctx.db.conn().await?;
        let mut q = conn.q();
        // Silenced and no longer federated domains are left out in the
        // query, before its limit (issue 15).
        let authors = super::domain_policy::public_authors(ctx, &mut q).await?;
        q.public_timeline(local, tag.map(str::to_lowercase).as_deref(), &authors, page)
            .await?
    };
    statuses(ctx, posts, viewer).await
}

/// Whether a notification from a remote actor is shown under the domain
/// policy (issue 15): from a silenced domain only when the viewer follows
/// the sender; to an organisation that takes followers from the allow-list
/// only, only from allow-listed domains. Filtered as listed (stored is fine).
async fn notified_by_policy(
    ctx: &Kuvend,
    viewer: &ActorRow,
    from: &ActorRow,
) -> ServiceResult<bool> {
    let policy = ctx.policy().await;
    if !from.local && !policy.federates(&from.domain) {
        return Ok(false);
    }
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    if policy.silenced(&from.domain) {
        let follows = q
            .follow_between(viewer.id, from.id)
            .await?
            .is_some_and(|f| f.state == "accepted");
        if !follows {
            return Ok(false);
        }
    }
    if q.followers_from(viewer.id).await?.as_deref() == Some("allowlist")
        && !policy.allowed(&from.domain)
    {
        return Ok(false);
    }
    Ok(true)
}

/// An account's posts, as `viewer` may see them, and its boosts unless
/// `exclude_reblogs` (Mastodon's parameter of the same name).
pub async fn account_statuses(
    ctx: &Kuvend,
    account: &ActorRow,
    viewer: Option<&ActorRow>,
    page: Page,
    exclude_reblogs: bool,
) -> ServiceResult<Vec<StatusData>> {
    let posts = {
        let mut conn = ctx.db.conn().await?;
        let mut q = conn.q();
        let filter = visibility::list_filter(&mut q, account.id, viewer).await?;
        q.posts_by_author(
            account.id,
            &filter.levels,
            filter.mentioning,
            page.max_id,
            page.limit,
            !exclude_reblogs,
        )
        .await?
    };
    statuses(ctx, posts, viewer).await
}

pub async fn notifications(
    ctx: &Kuvend,
    viewer: &ActorRow,
    page: Page,
) -> ServiceResult<Vec<NotificationData>> {
    let rows = {
        let mut conn = ctx.db.conn().await?;
        conn.q().notifications(viewer.id, page).await?
    };
    let mut out = Vec::new();
    for row in rows {
        let from = {
            let mut conn = ctx.db.conn().await?;
            conn.q().actor_by_id(row.from_actor_id).await?
        };
        if !from.local && !notified_by_policy(ctx, viewer, &from).await? {
            continue;
        }
        let status = match row.post_id {
            Some(id) => status(ctx, &id.to_string(), Some(viewer)).await.ok(),
            None => None,
        };
        let participation_message = if is_participation(&row.kind) {
            let mut conn = ctx.db.conn().await?;
            match row.post_id {
                Some(event) => conn
                    .q()
                    .participant_of(event, row.from_actor_id)
                    .await?
                    .and_then(|participant| participant.message),
                None => None,
            }
        } else {
            None
        };
        let report = match row.report_id {
            Some(id) => {
                let view = super::reports::show(ctx, id).await?;
                let target = account_data(ctx, view.target.clone()).await?;
                Some((view, target))
            }
            None => None,
        };
        out.push(NotificationData {
            from: account_data(ctx, from).await?,
            status,
            participation_message,
            report,
            row,
        });
    }
    Ok(out)
}

pub async fn dismiss_notification(ctx: &Kuvend, viewer: &ActorRow, id: &str) -> ServiceResult<()> {
    let id: i64 = id
        .parse()
        .map_err(|_| ServiceError::NotFound("Record not found".into()))?;
    let mut conn = ctx.db.conn().await?;
    if conn.q().dismiss_notification(viewer.id, id).await? {
        Ok(())
    } else {
        Err(ServiceError::NotFound("Record not found".into()))
    }
}

pub async fn set_bookmark(
    ctx: &Kuvend,
    actor: &ActorRow,
    post_id: i64,
    on: bool,
) -> ServiceResult<()> {
    let mut conn = ctx.db.conn().await?;
    if on {
        conn.q().add_bookmark(actor.id, post_id).await?;
    } else {
        conn.q().remove_bookmark(actor.id, post_id).await?;
    }
    Ok(())
}

/// The accepted followers (or followees) of an account, as far as this
/// instance knows them.
pub async fn relations(
    ctx: &Kuvend,
    actor: &ActorRow,
    followers: bool,
) -> ServiceResult<Vec<ActorRow>> {
    let mut conn = ctx.db.conn().await?;
    let rows = if followers {
        conn.q().followers(actor.id, FollowState::Accepted).await?
    } else {
        conn.q().following(actor.id).await?
    };
    Ok(rows
        .into_iter()
        .filter(|(f, _)| f.state() == FollowState::Accepted)
        // Suspended accounts are not listed (issue 15).
        .filter(|(_, a)| a.suspended_at.is_none())
        .map(|(_, a)| a)
        .collect())
}

/// A page of `actor`'s accepted followers (or followees), newest follow
/// first, each with its follow id (the paging key).
pub async fn relations_page(
    ctx: &Kuvend,
    actor: &ActorRow,
    followers: bool,
    page: crate::model::Page,
) -> ServiceResult<Vec<(i64, ActorRow)>> {
    let mut conn = ctx.db.conn().await?;
    let rows = conn.q().relations_page(actor.id, followers, &page).await?;
    Ok(rows.into_iter().map(|(f, a)| (f.id, a)).collect())
}

pub async fn markers(
    ctx: &Kuvend,
    user_id: i64,
) -> ServiceResult<Vec<(String, String, i32, chrono::NaiveDateTime)>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().markers(user_id).await?)
}

pub async fn set_marker(
    ctx: &Kuvend,
    user_id: i64,
    timeline: &str,
    last_read_id: &str,
) -> ServiceResult<()> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().set_marker(user_id, timeline, last_read_id).await?)
}

pub async fn search_accounts(
    ctx: &Kuvend,
    prefix: &str,
    limit: i64,
) -> ServiceResult<Vec<ActorRow>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().search_actors(prefix, limit).await?)
}

/// The e-mail of the staff member who wrote `post`, if `viewer` is an owner
/// of the organisation that published it.
pub async fn staff_author_for_owner(
    ctx: &Kuvend,
    viewer: &crate::storage::accounts::UserRow,
    post: &PostRow,
) -> ServiceResult<Option<String>> {
    let Some(writer) = post.written_by_user_id else {
        return Ok(None);
    };
    let mut conn = ctx.db.conn().await?;
    let owner = conn
        .q()
        .memberships(viewer.id)
        .await?
        .iter()
        .any(|(org, role)| org.id == post.author_id && role == "owner");
    if !owner {
        return Ok(None);
    }
    Ok(Some(conn.q().user_by_id(writer).await?.email))
}
