//! Posts: organisations write them (CLI now, the client API later); remote
//! posts, replies and reactions arrive through the inbox.

use super::acting::Acting;
use super::{
    ServiceError, ServiceResult,
    follows::resolve_remote_actor,
    orgs::local_account,
    outbox::{Audience, Outbox},
    text::{self, MentionTarget},
};
use crate::config::LimitSettings;
use crate::model::{ActorKind, ReactionKind, Role, Visibility};
use crate::{
    context::Kuvend,
    federation::{
        FedData,
        actors::{actor_by_url, authority},
        events::{group_lists_member, local_event_json, remote_event_row},
        notes::{
            addressing, clean_remote_note, fetch_post, local_note_json, remote_post_row, wrap,
        },
        outgoing::{self, NoteParts},
        protocol::{
            activities::{NoteOrId, PostObject},
            event::{IncomingEventJson, PostJson},
            note::{NoteJson, ObjectActivityJson},
        },
    },
    storage::{
        Q,
        models::{ActorRow, EventRow, PostRow},
        now,
        posts::{PostEdit, new_post_id},
    },
    transaction,
};
use url::Url;

/// The longest post, in characters (Mastodon's default is 500; organisations
/// write statements).
pub const MAX_POST_CHARS: usize = 5000;

/// The longest Idempotency-Key kept (apps send UUIDs or similar).
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;

/// How far up a thread missing parents are fetched, and how many at most.
const MAX_PARENT_FETCHES: usize = 5;

/// What an organisation posts.
#[derive(Debug, Clone)]
pub struct NewPost {
    pub text: String,
    pub visibility: Visibility,
    /// The post replied to: its URL, or the id of a post stored here.
    pub in_reply_to: Option<String>,
    pub spoiler: Option<String>,
    pub language: Option<String>,
}

fn internal(e: impl Into<anyhow::Error>) -> ServiceError {
    ServiceError::Internal(e.into())
}

fn validate_text(text: &str) -> ServiceResult<()> {
    if text.trim().is_empty() {
        return Err(ServiceError::Unprocessable("text must not be empty".into()));
    }
    let chars = text.chars().count();
    if chars > MAX_POST_CHARS {
        return Err(ServiceError::Unprocessable(format!(
            "text is {chars} characters long; at most {MAX_POST_CHARS} are allowed"
        )));
    }
    Ok(())
}

pub(crate) fn validate_language(language: &Option<String>) -> ServiceResult<()> {
    if let Some(lang) = language {
        let ok = (2..=8).contains(&lang.len())
            && lang.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            return Err(ServiceError::Unprocessable(format!(
                "{lang:?} is not a language code like \"en\" or \"sq\""
            )));
        }
    }
    Ok(())
}

/// Resolves the mentions written in a text; unknown ones stay plain text.
pub(crate) async fn resolve_mentions(
    data: &FedData,
    text: &str,
    author: &ActorRow,
) -> ServiceResult<(Vec<String>, Vec<ActorRow>, Vec<MentionTarget>)> {
    let (tags, refs) = text::scan(text);
    let our_domain = data.settings.instance.domain.to_lowercase();
    let mut actors: Vec<ActorRow> = Vec::new();
    let mut targets = Vec::new();
    for mention in refs {
        let found = match &mention.domain {
            None => local_actor(data, &mention.username).await?,
            Some(domain) if *domain == our_domain => local_actor(data, &mention.username).await?,
            Some(domain) => {
                match resolve_remote_actor(data, &format!("{}@{domain}", mention.username)).await {
                    Ok(actor) => Some(actor),
                    Err(error) => {
                        tracing::info!(%error, "mention @{}@{domain} not resolved", mention.username);
                        None
                    }
                }
            }
        };
        if let Some(actor) = found {
            targets.push(MentionTarget {
                mention,
                href: actor
                    .profile_url
                    .clone()
                    .unwrap_or_else(|| actor.ap_id.clone()),
            });
            if actor.id != author.id && !actors.iter().any(|a| a.id == actor.id) {
                actors.push(actor);
            }
        }
    }
    Ok((tags, actors, targets))
}

async fn local_actor(ctx: &Kuvend, username: &str) -> ServiceResult<Option<ActorRow>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .local_actor_by_username(username)
        .await?
        .filter(|a| a.kind() != ActorKind::Application))
}

/// The inboxes a post of `author` with `visibility` goes to: followers (one
/// per shared inbox) unless direct, and every mentioned remote actor.
/// Who receives a post (and its edits and deletion): followers unless it
/// is direct, and the actors it mentions.
pub(crate) fn audience<'a>(
    visibility: Visibility,
    author: &'a ActorRow,
    mentions: &'a [ActorRow],
) -> Vec<Audience<'a>> {
    let mut audience = vec![Audience::Actors(mentions)];
    if visibility != Visibility::Direct {
        audience.push(Audience::FollowersOf(author));
    }
    audience
}

/// A stored post by URL (its id or page), or a remote one fetched and stored.
pub async fn find_or_fetch_post(
    data: &FedData,
    reference: &str,
) -> ServiceResult<(PostRow, ActorRow)> {
    if let Some(found) = find_stored_post(data, reference).await? {
        return Ok(found);
    }
    let url = Url::parse(reference.trim())
        .map_err(|_| ServiceError::NotFound(format!("no post {reference:?} here")))?;
    let post = fetch_post(&url, data)
        .await
        .map_err(|e| ServiceError::Unprocessable(format!("cannot fetch {url}: {e}")))?;
    store_remote_note(data, post, 0)
        .await?
        .ok_or_else(|| ServiceError::Unprocessable(format!("{url} cannot be stored")))
}

/// A stored post by numeric id, id URL or page URL.
pub async fn find_stored_post(
    ctx: &Kuvend,
    reference: &str,
) -> ServiceResult<Option<(PostRow, ActorRow)>> {
    let reference = reference.trim();
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let post = if let Ok(id) = reference.parse::<i64>() {
        q.post_by_id(id).await?
    } else if let Some(post) = q.post_by_ap_id(reference).await? {
        Some(post)
    } else {
        // A local page URL, /@user/ID.
        let page_prefix = format!("{}/@", ctx.urls.base());
        match reference
            .strip_prefix(&page_prefix)
            .and_then(|rest| rest.split_once('/'))
        {
            Some((_, id)) => match id.parse::<i64>() {
                Ok(id) => q.post_by_id(id).await?.filter(|p| p.local),
                Err(_) => None,
            },
            None => None,
        }
    };
    let Some(post) = post.filter(|p| p.deleted_at.is_none()) else {
        return Ok(None);
    };
    let author = q.actor_by_id(post.author_id).await?;
    Ok(Some((post, author)))
}

async fn find_local_post(ctx: &Kuvend, reference: &str) -> ServiceResult<(PostRow, ActorRow)> {
    find_stored_post(ctx, reference)
        .await?
        .filter(|(p, _)| p.local)
        .ok_or_else(|| ServiceError::NotFound(format!("no post {reference:?} on this instance")))
}

/// A local post that `acting` may edit or delete: its account's own, and
/// the login writes for it.
pub(crate) async fn own_post(
    ctx: &Kuvend,
    acting: &Acting,
    reference: &str,
) -> ServiceResult<(PostRow, ActorRow)> {
    let account = acting.require(Role::Editor)?;
    let (post, author) = find_local_post(ctx, reference).await?;
    if author.id != account.id {
        return Err(ServiceError::Forbidden("This action is not allowed".into()));
    }
    Ok((post, author))
}

/// Stores a post just fetched from its origin (a group's relay of it, issue
/// 14), as [`store_remote_note`] does; None when its author cannot be fetched.
pub(crate) async fn store_fetched_post(
    data: &FedData,
    post: PostObject,
) -> ServiceResult<Option<(PostRow, ActorRow)>> {
    store_remote_note(data, post, 0).await
}

/// Stores a fetched remote post, with its event row if it is an event (and,
/// up to a bound, the posts it replies to). Returns None when its author
/// cannot be fetched.
fn store_remote_note<'a>(
    data: &'a FedData,
    post: PostObject,
    depth: usize,
) -> futures::future::BoxFuture<'a, ServiceResult<Option<(PostRow, ActorRow)>>> {
    Box::pin(async move {
        if let Some(found) = find_stored_post(data, post.note.id.as_str()).await? {
            return Ok(Some(found));
        }
        let (note, event) = clean_post(&data.settings.limits, post)?;
        let author = match actor_by_url(data, &note.attributed_to).await {
            Ok(author) => author,
            Err(error) => {
                tracing::info!(%error, "author of {} not fetched", note.id);
                return Ok(None);
            }
        };
        let parent = match &note.in_reply_to {
            Some(parent_url) => match find_stored_post(data, parent_url.as_str()).await? {
                Some((parent, _)) => Some(parent),
                None if depth < MAX_PARENT_FETCHES => match fetch_post(parent_url, data).await {
                    Ok(parent_note) => {
                        match store_remote_note(data, parent_note, depth + 1).await {
                            Ok(stored) => stored.map(|(p, _)| p),
                            Err(error) => {
                                tracing::info!(%error, "parent {parent_url} not stored");
                                None
                            }
                        }
                    }
                    Err(error) => {
                        tracing::info!(%error, "parent {parent_url} not fetched");
                        None
                    }
                },
                None => None,
            },
            None => None,
        };
        let row = remote_post_row(&note, &author, parent.as_ref())?;
        let tags = hashtags_of(&note);
        let groups = addressed_remote_groups(data, &note).await?;
        let stored = transaction!(data.db, |q| {
            if q.post_by_ap_id(&row.ap_id).await?.is_none() {
                q.insert_post(&row, &tags, &[]).await?;
                q.index_group_posts(row.id, &groups).await?;
                let media =
                    super::attachments::store_remote_media(&mut q, row.id, author.id, &note)
                        .await?;
                if let Some(event) = &event {
                    q.put_event(row.id, event).await?;
                    // Its banner was put first (`attachments::put_banner_first`).
                    q.set_event_banner(row.id, media.first().copied()).await?;
                }
                q.adopt_replies(&row).await?;
            }
            Ok(())
        });
        match stored {
            Ok(()) => Ok(Some((row, author))),
            // Stored meanwhile by a concurrent request: use that copy.
            Err(crate::storage::StorageError::Conflict(_)) => {
                find_stored_post(data, note.id.as_str()).await
            }
            Err(e) => Err(e.into()),
        }
    })
}

/// The hashtags of a cleaned note ([`clean_remote_note`] applied the
/// hashtag rule and left `#name`), as stored: each once, without the `#`.
fn hashtags_of(note: &NoteJson) -> Vec<String> {
    let mut tags: Vec<String> = note
        .tag
        .iter()
        .filter(|t| t.kind == "Hashtag")
        .map(|t| t.name.trim_start_matches('#').to_string())
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Posts as an organisation: stores the post and queues `Create{Note}` to its
/// audience in one transaction.
pub async fn create_post(
    data: &FedData,
    org_username: &str,
    new: NewPost,
) -> ServiceResult<PostRow> {
    create_post_addressed(data, org_username, new, None).await
}

/// As [`create_post`], addressed to a local coalition (`kuvend admin post
/// --coalition`; see [`create_post_to`]).
pub async fn create_post_addressed(
    data: &FedData,
    org_username: &str,
    new: NewPost,
    coalition: Option<&str>,
) -> ServiceResult<PostRow> {
    let org = local_account(data, org_username).await?;
    create_post_to(data, &Acting::admin(org), new, None, coalition).await
}

/// As [`create_post`], at most once per Idempotency-Key and account: the key
/// is recorded in the post's own transaction, so a request repeated (or sent
/// twice at the same instant) gets the post the first one made.
pub async fn create_post_once(
    data: &FedData,
    acting: &Acting,
    new: NewPost,
    idempotency_key: Option<&str>,
) -> ServiceResult<PostRow> {
    create_post_to(data, acting, new, idempotency_key, None).await
}

/// As [`create_post_once`], addressed to a local coalition the account
/// belongs to (issue 14 item 1: `kuvend admin post --coalition`, the API's
/// `audience`; see [`super::coalitions::audience_for`] for what names one
/// and what is refused).
pub async fn create_post_to(
    data: &FedData,
    acting: &Acting,
    new: NewPost,
    idempotency_key: Option<&str>,
    coalition: Option<&str>,
) -> ServiceResult<PostRow> {
    let media = super::attachments::PostMedia::default();
    create_post_with_media(data, acting, new, &media, idempotency_key, coalition).await
}

/// As [`create_post_to`], with media attachments (issue 16): the uploads
/// must be the account's own, processed and unattached, at most
/// `media.max_attachments` (422 otherwise); they are attached in the
/// transaction of the post and its `Create`, whose Note carries them as
/// `Document`s. With media, the text may be empty (as on Mastodon).
pub async fn create_post_with_media(
    data: &FedData,
    acting: &Acting,
    new: NewPost,
    media: &super::attachments::PostMedia,
    idempotency_key: Option<&str>,
    coalition: Option<&str>,
) -> ServiceResult<PostRow> {
    let org = acting.require(Role::Editor)?.clone();
    if let Some(key) = idempotency_key {
        // Stored with the post: a client must not make us store megabytes.
        if key.len() > MAX_IDEMPOTENCY_KEY_BYTES {
            return Err(ServiceError::Unprocessable(format!(
                "Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY_BYTES} bytes"
            )));
        }
        if let Some(post) = post_for_key(data, &org, key).await? {
            return Ok(post);
        }
    }
    if media.ids.is_empty() || !new.text.trim().is_empty() {
        validate_text(&new.text)?;
    }
    validate_language(&new.language)?;
    let media_rows = super::attachments::checked_media(data, org.id, &media.ids, None).await?;
    let coalition = match coalition {
        Some(reference) => Some(addressed_coalition(data, &org, reference, new.visibility).await?),
        None => None,
    };
    let parent = match &new.in_reply_to {
        Some(reference) => Some(find_or_fetch_post(data, reference).await?),
        None => None,
    };
    if let (Some((parent, _)), Some(reference)) = (&parent, &new.in_reply_to) {
        // A post this account may not read (a members-only thread among
        // them) is answered as an unknown one.
        let mut conn = data.db.conn().await?;
        if !super::visibility::may_see(&mut conn.q(), parent, Some(&org)).await? {
            return Err(ServiceError::NotFound(format!(
                "no post {reference:?} here"
            )));
        }
    }
    let (tags, mut mentions, targets) = resolve_mentions(data, &new.text, &org).await?;
    if let Some((_, parent_author)) = &parent {
        if parent_author.id != org.id && !mentions.iter().any(|m| m.id == parent_author.id) {
            mentions.push(parent_author.clone());
        }
    }
    let urls = &data.urls;
    let content = text::render(&new.text, &targets, |tag| urls.tag(tag).to_string());
    // The content warning is plain text, like a remote one: no markup.
    let spoiler = new
        .spoiler
        .as_deref()
        .map(crate::sanitize::plain)
        .filter(|s| !s.trim().is_empty());
    let mut row = new_local_post(
        urls,
        acting,
        LocalPost {
            ap_type: "Note",
            visibility: new.visibility,
            content,
            source: new.text.clone(),
            summary: spoiler,
            language: new.language.clone(),
            parent: parent.as_ref().map(|(p, _)| p),
            mentions: &mentions,
        },
    )?;
    if let Some(coalition) = &coalition {
        address_coalition(&mut row, coalition)?;
    }
    row.sensitive = row.sensitive || (media.sensitive && !media_rows.is_empty());
    let documents: Vec<_> = media_rows
        .iter()
        .filter_map(|m| super::attachments::document_of(data, m))
        .collect();
    let create = outgoing::create_note_with_media(
        urls,
        &NoteParts {
            post: &row,
            author: &org,
            tags: &tags,
            mentions: &mentions,
        },
        documents,
    )
    .map_err(internal)?;
    let mut outbox = Outbox::default();
    let written = transaction!(data.db, ServiceError, |q| {
        insert_local_post(&mut q, &row, &tags, &mentions).await?;
        super::attachments::attach(&mut q, org.id, row.id, &media_rows).await?;
        if let Some(key) = idempotency_key {
            q.remember_idempotency_key(org.id, key, row.id).await?;
        }
        outbox
            .queue(
                &mut q,
                &org,
                &create,
                &audience(new.visibility, &org, &mentions),
            )
            .await?;
        // Issue 14 item 3: a member's members-only thread is re-sent.
        super::threads::after_local(data, &mut q, &mut outbox, &org, &row, &mentions).await?;
        // Issue 14 items 1 and 5: a member's public post to a local
        // coalition, or with its campaign tag, is relayed.
        let addressed = coalition.as_ref();
        super::relay::relay_local(&mut q, &mut outbox, &org, &create, &mentions, addressed).await
    });
    match (written, idempotency_key) {
        (Ok(()), _) => {
            outbox.committed(data);
            Ok(row)
        }
        // Another request with the key committed first: nothing of this one
        // was written; answer with the post that one made.
        (Err(ServiceError::Conflict(what)), Some(key)) => post_for_key(data, &org, key)
            .await?
            .ok_or(ServiceError::Conflict(what)),
        (Err(error), _) => Err(error),
    }
}

/// The coalition a new post or event is addressed to, checked: a local
/// coalition the author belongs to, and a post it relays (public or
/// unlisted: a followers-only or direct post to a coalition is a
/// members-only thread, which mentions it instead).
pub(crate) async fn addressed_coalition(
    ctx: &Kuvend,
    author: &ActorRow,
    reference: &str,
    visibility: Visibility,
) -> ServiceResult<ActorRow> {
    if !matches!(visibility, Visibility::Public | Visibility::Unlisted) {
        return Err(ServiceError::Unprocessable(
            "audience: a coalition relays public and unlisted posts; for a members-only \
             thread, mention the coalition in a direct post"
                .into(),
        ));
    }
    super::coalitions::audience_for(ctx, author, reference).await
}

/// Addresses a new local post to a coalition: FEP-1b12 `audience`, and the
/// coalition in `cc` (where Mastodon-likes and Lemmy also look, research
/// "Addressing"), unless `to`/`cc` already name it.
pub(crate) fn address_coalition(row: &mut PostRow, coalition: &ActorRow) -> ServiceResult<()> {
    let to: Vec<String> = serde_json::from_str(&row.to_json).map_err(internal)?;
    let mut cc: Vec<String> = serde_json::from_str(&row.cc_json).map_err(internal)?;
    if !to.iter().chain(&cc).any(|a| a == &coalition.ap_id) {
        cc.push(coalition.ap_id.clone());
        row.cc_json = serde_json::to_string(&cc).map_err(internal)?;
    }
    row.audience = Some(coalition.ap_id.clone());
    Ok(())
}

/// What a new local post (a note or an event) is made of.
pub(crate) struct LocalPost<'a> {
    pub ap_type: &'static str,
    pub visibility: Visibility,
    /// Rendered HTML.
    pub content: String,
    /// The text as written.
    pub source: String,
    /// The content warning, plain text.
    pub summary: Option<String>,
    pub language: Option<String>,
    pub parent: Option<&'a PostRow>,
    pub mentions: &'a [ActorRow],
}

/// The row of a new local post of the acting account: a fresh id, its ids
/// and page URL, and its addressing by visibility and mentions.
pub(crate) fn new_local_post(
    urls: &crate::federation::urls::Urls,
    acting: &Acting,
    post: LocalPost<'_>,
) -> ServiceResult<PostRow> {
    let org = &acting.account;
    let id = new_post_id();
    let mention_ids: Vec<String> = post.mentions.iter().map(|m| m.ap_id.clone()).collect();
    let followers = org.followers_url.clone().unwrap_or_default();
    let (to, cc) = addressing(post.visibility, &followers, &mention_ids);
    let now = now();
    Ok(PostRow {
        id,
        ap_id: urls.post(&org.username, id).to_string(),
        ap_type: post.ap_type.into(),
        author_id: org.id,
        local: true,
        visibility: post.visibility.as_str().into(),
        content: post.content,
        source: Some(post.source),
        sensitive: post.summary.is_some(),
        summary: post.summary,
        language: post.language,
        url: Some(urls.post_page(&org.username, id).to_string()),
        in_reply_to_ap_id: post.parent.map(|p| p.ap_id.clone()),
        in_reply_to_id: post.parent.map(|p| p.id),
        to_json: serde_json::to_string(&to).map_err(internal)?,
        cc_json: serde_json::to_string(&cc).map_err(internal)?,
        replies_count: 0,
        likes_count: 0,
        boosts_count: 0,
        published_at: now,
        edited_at: None,
        deleted_at: None,
        created_at: now,
        updated_at: now,
        written_by_user_id: acting.user_id,
        reblog_of_id: None,
        audience: None,
    })
}

/// Stores a new local post in the caller's transaction: the row with its
/// hashtags and mentions, the mentioned accounts' notifications, and (unless
/// it is direct) the home feeds of its author and local followers.
pub(crate) async fn insert_local_post(
    q: &mut Q<'_>,
    post: &PostRow,
    tags: &[String],
    mentions: &[ActorRow],
) -> crate::storage::StorageResult<()> {
    let mention_ids: Vec<i64> = mentions.iter().map(|m| m.id).collect();
    q.insert_post(post, tags, &mention_ids).await?;
    // Issue 14: a remote group's timeline lists the posts that mention it.
    let groups: Vec<i64> = mentions
        .iter()
        .filter(|m| !m.local && m.ap_type == "Group")
        .map(|m| m.id)
        .collect();
    q.index_group_posts(post.id, &groups).await?;
    notify_mentioned(q, post, mentions).await?;
    if post.visibility() != Visibility::Direct {
        let mut owners = q.local_follower_ids(post.author_id).await?;
        owners.push(post.author_id);
        q.add_to_home_feeds(post.id, &owners).await?;
    }
    Ok(())
}

/// The post an Idempotency-Key of this account already made.
async fn post_for_key(data: &FedData, org: &ActorRow, key: &str) -> ServiceResult<Option<PostRow>> {
    let mut conn = data.db.conn().await?;
    let mut q = conn.q();
    Ok(match q.idempotent_post(org.id, key).await? {
        Some(id) => q.post_by_id(id).await?,
        None => None,
    })
}

/// Replaces a local post's text; queues `Update{Note}` (with `updated`).
pub async fn edit_post(data: &FedData, reference: &str, new_text: &str) -> ServiceResult<PostRow> {
    let (_, author) = find_local_post(data, reference).await?;
    edit_post_as(data, &Acting::admin(author), reference, new_text).await
}

/// As [`edit_post`], for whoever acts: an editor or owner of its author.
pub async fn edit_post_as(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    new_text: &str,
) -> ServiceResult<PostRow> {
    edit_post_with_media(data, acting, reference, new_text, None, &[]).await
}

/// As [`edit_post_as`], changing the media too (issue 16): `media`, when
/// given, is the new list (the uploads checked as for a new post, those
/// already on the post allowed); `attributes` change alt text and focal
/// points of the post's attachments. The version before is kept
/// (`GET /api/v1/statuses/:id/history`).
pub async fn edit_post_with_media(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    new_text: &str,
    media: Option<&super::attachments::PostMedia>,
    attributes: &[super::attachments::MediaAttributes],
) -> ServiceResult<PostRow> {
    let (post, author) = own_post(data, acting, reference).await?;
    let media_ids: Vec<i64> = match media {
        Some(m) => m.ids.clone(),
        None => {
            let mut conn = data.db.conn().await?;
            let rows = conn.q().media_of_posts(&[post.id]).await?;
            rows.iter().map(|r| r.id).collect()
        }
    };
    if media_ids.is_empty() || !new_text.trim().is_empty() {
        validate_text(new_text)?;
    }
    let mut media_rows =
        super::attachments::checked_media(data, author.id, &media_ids, Some(post.id)).await?;
    let attributes = super::attachments::checked_attributes(data, &media_rows, attributes)?;
    for row in &mut media_rows {
        if let Some((_, description, focus)) = attributes.iter().find(|a| a.0 == row.id) {
            row.description = description.clone();
            row.focus_x = focus.map(|f| f.0);
            row.focus_y = focus.map(|f| f.1);
        }
    }
    if post.ap_type == "Event" {
        // Its content is the readable form built from the event's fields;
        // a text edit would make it disagree with them.
        return Err(ServiceError::Unprocessable(
            "an event is changed through its fields (kuvend admin event update)".into(),
        ));
    }
    let (tags, mut mentions, targets) = resolve_mentions(data, new_text, &author).await?;
    {
        // Whoever the post first addressed keeps receiving it.
        let mut conn = data.db.conn().await?;
        for earlier in conn.q().post_mentions(post.id).await? {
            if !mentions.iter().any(|m| m.id == earlier.id) {
                mentions.push(earlier);
            }
        }
    }
    let urls = &data.urls;
    let edit = PostEdit {
        content: text::render(new_text, &targets, |tag| urls.tag(tag).to_string()),
        source: Some(new_text.to_string()),
        summary: post.summary.clone(),
        sensitive: match media {
            Some(m) => post.summary.is_some() || (m.sensitive && !media_rows.is_empty()),
            None => post.sensitive,
        },
        edited_at: now(),
    };
    let mut edited = post.clone();
    edited.content = edit.content.clone();
    edited.source = edit.source.clone();
    edited.sensitive = edit.sensitive;
    edited.edited_at = Some(edit.edited_at);
    let documents: Vec<_> = media_rows
        .iter()
        .filter_map(|m| super::attachments::document_of(data, m))
        .collect();
    let update = outgoing::update_note_with_media(
        urls,
        &NoteParts {
            post: &edited,
            author: &author,
            tags: &tags,
            mentions: &mentions,
        },
        documents,
    )
    .map_err(internal)?;
    let mut outbox = Outbox::default();
    transaction!(data.db, ServiceError, |q| {
        super::attachments::keep_version(&mut q, &post).await?;
        q.edit_post(post.id, &edit, &tags).await?;
        q.detach_media(post.id).await?;
        super::attachments::attach(&mut q, author.id, post.id, &media_rows).await?;
        for (id, description, focus) in &attributes {
            q.update_media_meta(*id, description.as_deref(), *focus)
                .await?;
        }
        outbox
            .queue(
                &mut q,
                &author,
                &update,
                &audience(post.visibility(), &author, &mentions),
            )
            .await?;
        // Issue 14 item 1: a local coalition's relay of it follows.
        let later = super::relay::Later::Update;
        super::relay::relay_later(
            &mut q,
            &mut outbox,
            &post.ap_id,
            &author,
            &update.body,
            later,
        )
        .await?;
        // Issue 14 item 3: a coalition's copy of it follows.
        let change = super::threads::Change::Edited;
        super::threads::after_change(data, &mut q, &mut outbox, post.id, change).await
    })?;
    outbox.committed(data);
    Ok(edited)
}

/// Deletes a local post: it answers 410 from now on, and `Delete{Tombstone}`
/// is queued to everyone who received it.
pub async fn delete_post(ctx: &Kuvend, reference: &str) -> ServiceResult<PostRow> {
    let (_, author) = find_local_post(ctx, reference).await?;
    delete_post_as(ctx, &Acting::admin(author), reference).await
}

/// As [`delete_post`], for whoever acts: an editor or owner of its author.
pub async fn delete_post_as(
    ctx: &Kuvend,
    acting: &Acting,
    reference: &str,
) -> ServiceResult<PostRow> {
    let (post, author) = own_post(ctx, acting, reference).await?;
    let mentions = {
        let mut conn = ctx.db.conn().await?;
        conn.q().post_mentions(post.id).await?
    };
    let delete = outgoing::delete_note(&ctx.urls, &post, &author).map_err(internal)?;
    let mut outbox = Outbox::default();
    transaction!(ctx.db, ServiceError, |q| {
        q.mark_post_deleted(post.id).await?;
        outbox
            .queue(
                &mut q,
                &author,
                &delete,
                &audience(post.visibility(), &author, &mentions),
            )
            .await?;
        // Issue 14 item 1: a local coalition's relay of it is withdrawn.
        let later = super::relay::Later::Delete;
        super::relay::relay_later(
            &mut q,
            &mut outbox,
            &post.ap_id,
            &author,
            &delete.body,
            later,
        )
        .await?;
        // Issue 14 item 3: a coalition's copy of it goes too.
        let change = super::threads::Change::Deleted;
        super::threads::after_change(ctx, &mut q, &mut outbox, post.id, change).await
    })?;
    outbox.committed(ctx);
    Ok(post)
}

/// An organisation likes or boosts a post (anywhere): records the reaction
/// and queues `Like` (to the author) or `Announce` (to followers and author).
pub async fn react(
    data: &FedData,
    org_username: &str,
    reference: &str,
    kind: ReactionKind,
) -> ServiceResult<PostRow> {
    let org = local_account(data, org_username).await?;
    react_as(data, &Acting::admin(org), reference, kind).await
}

/// As [`react`], for whoever acts (editors may).
pub async fn react_as(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    kind: ReactionKind,
) -> ServiceResult<PostRow> {
    let org = acting.require(Role::Editor)?.clone();
    let (post, author) = find_or_fetch_post(data, reference).await?;
    if kind == ReactionKind::Announce && !post.is_public() {
        return Err(ServiceError::Unprocessable(
            "only public and unlisted posts can be boosted".into(),
        ));
    }
    let activity = outgoing::react(&data.urls, kind, &org, &post, &author).map_err(internal)?;
    let mut outbox = Outbox::default();
    transaction!(data.db, |q| {
        if !q
            .add_reaction(kind, org.id, post.id, activity.id.as_str())
            .await?
        {
            return Ok(());
        }
        notify_reaction(&mut q, kind, &post, &org).await?;
        outbox
            .queue(
                &mut q,
                &org,
                &activity,
                &reaction_audience(kind, &org, &author),
            )
            .await
    })?;
    outbox.committed(data);
    find_stored_post(data, &post.ap_id)
        .await?
        .map(|(p, _)| p)
        .ok_or_else(|| ServiceError::NotFound("post vanished".into()))
}

/// Withdraws a like or boost: `Undo` of it, to the same audience.
pub async fn unreact(
    data: &FedData,
    org_username: &str,
    reference: &str,
    kind: ReactionKind,
) -> ServiceResult<PostRow> {
    let org = local_account(data, org_username).await?;
    unreact_as(data, &Acting::admin(org), reference, kind).await
}

/// As [`unreact`], for whoever acts (editors may).
pub async fn unreact_as(
    data: &FedData,
    acting: &Acting,
    reference: &str,
    kind: ReactionKind,
) -> ServiceResult<PostRow> {
    let org = acting.require(Role::Editor)?.clone();
    let (post, author) = find_stored_post(data, reference)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no post {reference:?} here")))?;
    let earlier = {
        let mut conn = data.db.conn().await?;
        conn.q().reaction_activity(kind, org.id, post.id).await?
    }
    .ok_or_else(|| ServiceError::NotFound("there is nothing to undo".into()))?;
    let undo =
        outgoing::undo_reaction(&data.urls, kind, &org, &earlier, &post).map_err(internal)?;
    let mut outbox = Outbox::default();
    transaction!(data.db, |q| {
        q.remove_reaction(kind, org.id, Some(&earlier), Some(post.id))
            .await?;
        outbox
            .queue(&mut q, &org, &undo, &reaction_audience(kind, &org, &author))
            .await
    })?;
    outbox.committed(data);
    find_stored_post(data, &post.ap_id)
        .await?
        .map(|(p, _)| p)
        .ok_or_else(|| ServiceError::NotFound("post vanished".into()))
}

/// Who hears of a like (its post's author) or a boost (also the booster's
/// followers).
fn reaction_audience<'a>(
    kind: ReactionKind,
    actor: &'a ActorRow,
    author: &'a ActorRow,
) -> Vec<Audience<'a>> {
    let mut audience = vec![Audience::Actors(std::slice::from_ref(author))];
    if kind == ReactionKind::Announce {
        audience.push(Audience::FollowersOf(actor));
    }
    audience
}

/// Tells a local post's author of a like or boost by someone else, whether
/// it came from another instance or from this one.
pub(crate) async fn notify_reaction(
    q: &mut Q<'_>,
    kind: ReactionKind,
    post: &PostRow,
    actor: &ActorRow,
) -> crate::storage::StorageResult<()> {
    if !post.local || post.author_id == actor.id {
        return Ok(());
    }
    let what = match kind {
        ReactionKind::Like => "favourite",
        ReactionKind::Announce => "reblog",
    };
    q.notify(post.author_id, what, actor.id, Some(post.id))
        .await
}

/// Tells the local actors a post mentions (a reply mentions the author it
/// answers), whether it came from another instance or from this one.
pub(crate) async fn notify_mentioned(
    q: &mut Q<'_>,
    post: &PostRow,
    mentioned: &[ActorRow],
) -> crate::storage::StorageResult<()> {
    for actor in mentioned
        .iter()
        .filter(|a| a.local && a.id != post.author_id)
    {
        q.notify(actor.id, "mention", post.author_id, Some(post.id))
            .await?;
    }
    Ok(())
}

/// Bounds what one incoming note may carry (`[limits]`): content beyond
/// `note_content_max_bytes` is refused (413), more addressees than
/// `note_recipients_max` (`to`, `cc` and `audience` together) are refused
/// (422); hashtags beyond `note_tags_max`
/// and mentions beyond `note_mentions_max` are dropped, in the order they
/// came (a dropped mention is neither stored nor notified).
fn bound_incoming_note(limits: &LimitSettings, note: &mut NoteJson) -> ServiceResult<()> {
    // `contentMap` counts too: its text stands in for an empty `content`.
    let longest = note
        .content_map
        .iter()
        .flat_map(|map| map.values().filter_map(serde_json::Value::as_str))
        .chain([
            note.content.as_str(),
            note.summary.as_deref().unwrap_or_default(),
        ])
        .map(str::len)
        .max()
        .unwrap_or_default();
    if longest > limits.note_content_max_bytes {
        return Err(ServiceError::PayloadTooLarge(format!(
            "note {} has {longest} bytes of content; this instance accepts at most {}",
            note.id, limits.note_content_max_bytes
        )));
    }
    // FEP-1b12 `audience` (issue 14) is addressing too, and each entry on
    // this host is looked up: counted with `to` and `cc`.
    check_recipients(limits, &[&note.to, &note.cc, &note.audience])?;
    let (mut hashtags, mut mentions) = (0, 0);
    note.tag.retain(|tag| match tag.kind.as_str() {
        "Hashtag" => {
            hashtags += 1;
            hashtags <= limits.note_tags_max
        }
        "Mention" => {
            mentions += 1;
            mentions <= limits.note_mentions_max
        }
        // Other tags are not counted; the cleaner drops them.
        _ => true,
    });
    if hashtags > limits.note_tags_max || mentions > limits.note_mentions_max {
        tracing::info!(
            note = %note.id, hashtags, mentions,
            "tags beyond the limits dropped"
        );
    }
    Ok(())
}

/// Refuses an activity or object with more addressees (`to`, `cc` and a
/// note's `audience`, together) than `note_recipients_max`.
pub(crate) fn check_recipients(limits: &LimitSettings, lists: &[&[String]]) -> ServiceResult<()> {
    let count: usize = lists.iter().map(|list| list.len()).sum();
    if count > limits.note_recipients_max {
        return Err(ServiceError::Unprocessable(format!(
            "{count} addressees; this instance accepts at most {}",
            limits.note_recipients_max
        )));
    }
    Ok(())
}

/// An incoming note made ready for the inbox transaction.
#[derive(Debug)]
pub(crate) struct IncomingNote {
    /// Bounded and sanitised.
    pub note: NoteJson,
    /// Its event row when it is an `Event` (the post id is set on storing).
    pub event: Option<EventRow>,
    /// The group an event is attributed to, when a member of it sent the
    /// `Create` (Mobilizon): the post's author. Otherwise the sender is.
    pub group: Option<ActorRow>,
    /// Whether a copy already stored is updated with this one: the author
    /// announcing its own post again (a Mobilizon group relaying an edited
    /// event) rather than creating it.
    pub update_if_stored: bool,
    /// The local actors it mentions or addresses, looked up before the
    /// transaction so that the writer does no lookups on their behalf.
    pub local_mentions: Vec<i64>,
    /// The known remote groups it addresses or mentions (issue 14: their
    /// timelines list it), looked up before the transaction too.
    pub groups: Vec<i64>,
}

/// A Create's note, fetched if only its id came, bounded, its HTML
/// sanitised, its local mentions looked up, and, when the note concerns
/// someone here, its missing parents fetched and stored. Done before the
/// inbox transaction, as it may use the network. None for a group's event
/// that no one here follows.
pub(crate) async fn prepare_incoming_note(
    data: &FedData,
    actor: &Url,
    object: NoteOrId,
    update_if_stored: bool,
) -> ServiceResult<Option<IncomingNote>> {
    let post: PostObject = match object {
        // Only a note on the sender's own host is fetched: anyone with a key
        // could otherwise make this instance fetch any URL of any server.
        NoteOrId::Id(url) if authority(&url) != authority(actor) => {
            return Err(ServiceError::Unauthorized(format!(
                "note {url} is not on its author's host"
            )));
        }
        NoteOrId::Id(url) => fetch_post(&url, data)
            .await
            .map_err(|e| ServiceError::Unprocessable(e.to_string()))?,
        NoteOrId::Note(post) => *post,
    };
    if authority(&post.note.id) != authority(actor) {
        return Err(ServiceError::Unauthorized(format!(
            "note {} is not on its author's host",
            post.note.id
        )));
    }
    let group_event = &post.note.attributed_to != actor;
    let sent_by_organiser = |e: &IncomingEventJson| e.actor.as_ref() == Some(actor);
    if group_event && !post.event.as_deref().is_some_and(sent_by_organiser) {
        return Err(ServiceError::Unauthorized(format!(
            "{actor} cannot create a note attributed to {}",
            post.note.attributed_to
        )));
    }
    // Before anything is looked up, fetched or stored for it. Sanitising is
    // the costliest step of storing a note: done here, it stays out of the
    // transaction (and out of SQLite's single writer).
    let (note, event) = clean_post(&data.settings.limits, post)?;
    let group = if group_event {
        match event_group(data, actor, &note).await? {
            Some(group) => Some(group),
            None => return Ok(None),
        }
    } else {
        None
    };

    // Only ids on this instance's host can be local actors: the public
    // collection and remote followers collections need no lookup. At most
    // `note_mentions_max` of them are looked up, addressees included.
    let local_prefix = format!("{}/", data.settings.base_url());
    let mut candidates: Vec<&str> = Vec::new();
    for id in note
        .tag
        .iter()
        .filter(|t| t.kind == "Mention")
        .map(|t| t.href.as_str())
        .chain(
            note.to
                .iter()
                .chain(&note.cc)
                .chain(&note.audience)
                .map(String::as_str),
        )
        .filter(|id| id.starts_with(&local_prefix))
    {
        if candidates.len() >= data.settings.limits.note_mentions_max {
            break;
        }
        if !candidates.contains(&id) {
            candidates.push(id);
        }
    }
    let mut local_mentions = Vec::new();
    if !candidates.is_empty() {
        let mut conn = data.db.conn().await?;
        let mut q = conn.q();
        for id in candidates {
            if let Some(found) = q.actor_by_ap_id(id).await? {
                if found.local && !local_mentions.contains(&found.id) {
                    local_mentions.push(found.id);
                }
            }
        }
    }
    if let Some(parent) = &note.in_reply_to {
        // A parent not stored here is not a local post: the note concerns
        // someone here if it mentions them or its author has followers here
        // (the transaction decides again). Only then are parents fetched, so
        // that a note that will not be stored leaves none behind.
        if find_stored_post(data, parent.as_str()).await?.is_none()
            && (!local_mentions.is_empty() || has_local_followers(data, actor).await?)
        {
            match fetch_post(parent, data).await {
                Ok(parent_note) => {
                    // The reply is stored either way; the thread link follows
                    // when the parent arrives.
                    if let Err(error) = store_remote_note(data, parent_note, 1).await {
                        tracing::info!(%error, "parent {parent} not stored");
                    }
                }
                Err(error) => tracing::info!(%error, "parent {parent} not fetched"),
            }
        }
    }
    let groups = addressed_remote_groups(data, &note).await?;
    Ok(Some(IncomingNote {
        note,
        event,
        group,
        local_mentions,
        groups,
        update_if_stored,
    }))
}

/// The known remote groups a remote note addresses (`to`, `cc`, FEP-1b12
/// `audience`) or mentions, looked up before any transaction (one indexed
/// query, on at most `note_recipients_max` plus `note_mentions_max` ids,
/// which the note was bounded to): the writer only inserts the index rows.
async fn addressed_remote_groups(data: &FedData, note: &NoteJson) -> ServiceResult<Vec<i64>> {
    let local_prefix = format!("{}/", data.settings.base_url());
    let ids: Vec<&str> = note
        .to
        .iter()
        .chain(&note.cc)
        .chain(&note.audience)
        .map(String::as_str)
        .chain(
            note.tag
                .iter()
                .filter(|t| t.kind == "Mention")
                .map(|t| t.href.as_str()),
        )
        .filter(|id| {
            *id != crate::federation::protocol::note::PUBLIC && !id.starts_with(&local_prefix)
        })
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut conn = data.db.conn().await?;
    Ok(conn.q().remote_group_ids(&ids).await?)
}

/// The group an event is attributed to, when one of its members sends it
/// (Mobilizon: `attributedTo` is the group, `actor` the organiser): accepted
/// when the group lists the sender as a member. The group must be on the
/// event's host, the one that speaks for the event's id. None when no one
/// here follows the group: the event concerns no one, and nothing is fetched
/// for it.
async fn event_group(
    data: &FedData,
    sender: &Url,
    note: &NoteJson,
) -> ServiceResult<Option<ActorRow>> {
    let group = &note.attributed_to;
    if authority(group) != authority(&note.id) {
        return Err(ServiceError::Unprocessable(format!(
            "event {} is attributed to {group}, on another host; only the group's own events are accepted",
            note.id
        )));
    }
    let stored = {
        let mut conn = data.db.conn().await?;
        let mut q = conn.q();
        match q.actor_by_ap_id(group.as_str()).await? {
            Some(row) if !q.local_follower_ids(row.id).await?.is_empty() => Some(row),
            _ => None,
        }
    };
    let Some(stored) = stored else {
        return Ok(None);
    };
    // A failed fetch is the group's server's trouble (busy, down, over its
    // budget): its own error (429, 502) lets the sender try again later.
    if group_lists_member(data, group, sender).await? {
        Ok(Some(stored))
    } else {
        Err(ServiceError::Unauthorized(format!(
            "{sender} cannot create an event attributed to {group}: the group does not list it as a member; the group's Announce of it is accepted"
        )))
    }
}

/// Whether a remote actor (by id) is followed by anyone here.
async fn has_local_followers(ctx: &Kuvend, actor: &Url) -> ServiceResult<bool> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    Ok(match q.actor_by_ap_id(actor.as_str()).await? {
        Some(author) => !q.local_follower_ids(author.id).await?.is_empty(),
        None => false,
    })
}

/// Stores an incoming note (prepared by [`prepare_incoming_note`]) if it
/// concerns this instance: its author is followed here, it replies to a local
/// post, or it mentions a local actor.
pub(crate) async fn receive_note(
    q: &mut Q<'_>,
    author: &ActorRow,
    incoming: &IncomingNote,
) -> ServiceResult<bool> {
    let IncomingNote {
        note,
        event,
        group,
        local_mentions,
        groups,
        update_if_stored,
    } = incoming;
    let author = group.as_ref().unwrap_or(author);
    if q.post_by_ap_id(note.id.as_str()).await?.is_some() {
        return match update_if_stored {
            true => receive_note_update(q, author, note, event.as_ref()).await,
            false => Ok(false),
        };
    }
    let parent = match &note.in_reply_to {
        Some(url) => q.post_by_ap_id(url.as_str()).await?,
        None => None,
    };
    let followers = q.local_follower_ids(author.id).await?;
    let relevant = parent.as_ref().is_some_and(|p| p.local)
        || !local_mentions.is_empty()
        || !followers.is_empty();
    if !relevant {
        return Ok(false);
    }
    // Cleaned by prepare_incoming_note.
    let row = remote_post_row(note, author, parent.as_ref())
        .map_err(|e| ServiceError::Unprocessable(e.to_string()))?;
    q.insert_post(&row, &hashtags_of(note), local_mentions)
        .await?;
    q.index_group_posts(row.id, groups).await?;
    // Issue 16: its attachments, as rows pointing at the remote files.
    let media = super::attachments::store_remote_media(q, row.id, author.id, note).await?;
    if let Some(event) = event {
        q.put_event(row.id, event).await?;
        // Its banner was put first (`attachments::put_banner_first`).
        q.set_event_banner(row.id, media.first().copied()).await?;
    }
    if row.visibility() != Visibility::Direct {
        q.add_to_home_feeds(row.id, &followers).await?;
    }
    q.adopt_replies(&row).await?;
    for mentioned in local_mentions {
        q.notify(*mentioned, "mention", author.id, Some(row.id))
            .await?;
    }
    Ok(true)
}

/// Applies an `Update` of a note by its author (cleaned by
/// [`bound_and_clean`]).
pub(crate) async fn receive_note_update(
    q: &mut Q<'_>,
    author: &ActorRow,
    note: &NoteJson,
    event: Option<&EventRow>,
) -> ServiceResult<bool> {
    let Some(post) = q.post_by_ap_id(note.id.as_str()).await? else {
        return Ok(false);
    };
    // A deleted post stays deleted, whatever arrives after the Delete.
    if post.deleted_at.is_some() {
        return Ok(false);
    }
    if post.author_id != author.id || note.attributed_to.as_str() != author.ap_id {
        return Err(ServiceError::Unauthorized(
            "only the author can update a post".into(),
        ));
    }
    let edit = PostEdit {
        content: note.content.clone(),
        source: None,
        summary: note.summary.clone(),
        sensitive: note.sensitive,
        edited_at: note.updated.map(|u| u.naive_utc()).unwrap_or_else(now),
    };
    super::attachments::keep_version(q, &post).await?;
    q.edit_post(post.id, &edit, &hashtags_of(note)).await?;
    if let Some(event) = event {
        q.put_event(post.id, event).await?;
    }
    super::attachments::replace_remote_media(q, &post, note).await?;
    Ok(true)
}

/// Every remote note, however it came (a `Create`, an `Update`, a fetch),
/// is bounded ([`bound_incoming_note`]) and then made safe
/// ([`clean_remote_note`]) here, before anything is stored for it.
pub(crate) fn bound_and_clean(
    limits: &LimitSettings,
    mut note: NoteJson,
) -> ServiceResult<NoteJson> {
    bound_incoming_note(limits, &mut note)?;
    clean_remote_note(note).map_err(|e| ServiceError::Unprocessable(e.to_string()))
}

/// A remote post bounded and cleaned ([`bound_and_clean`]), with its event
/// row when it is an `Event` (the post id is set when it is stored). A
/// malformed event is refused with the reason.
pub(crate) fn clean_post(
    limits: &LimitSettings,
    post: PostObject,
) -> ServiceResult<(NoteJson, Option<EventRow>)> {
    let mut note = bound_and_clean(limits, post.note)?;
    if let Some(fields) = post.event.as_ref().filter(|_| note.kind == "Event") {
        super::attachments::put_banner_first(&mut note, fields.image.as_ref());
    }
    let event = match post.event {
        Some(fields) if note.kind == "Event" => Some(
            remote_event_row(&fields, &note, 0, now())
                .map_err(|e| ServiceError::Unprocessable(e.to_string()))?,
        ),
        _ => None,
    };
    Ok((note, event))
}

/// Applies a `Delete`: of the sending actor itself (its content goes), or of
/// one of its posts.
pub(crate) async fn receive_delete(
    q: &mut Q<'_>,
    actor: &ActorRow,
    object: &Url,
) -> ServiceResult<bool> {
    if object.as_str() == actor.ap_id {
        q.delete_actor(actor.id).await?;
        return Ok(true);
    }
    let Some(post) = q.post_by_ap_id(object.as_str()).await? else {
        return Ok(false);
    };
    if post.author_id != actor.id {
        return Err(ServiceError::Unauthorized(
            "only the author can delete a post".into(),
        ));
    }
    if let Some(original_id) = post.reblog_of_id {
        // The `Delete` of a group's relay (the `Announce`) is its undo.
        super::boosts::withdraw(q, actor.id, original_id).await?;
        return Ok(true);
    }
    q.mark_post_deleted(post.id).await?;
    Ok(true)
}

/// Records a `Like` or `Announce` of a post stored here.
pub(crate) async fn receive_reaction(
    q: &mut Q<'_>,
    actor: &ActorRow,
    activity_id: &Url,
    object: &Url,
    kind: ReactionKind,
) -> ServiceResult<bool> {
    let Some(post) = q.post_by_ap_id(object.as_str()).await? else {
        return Ok(false);
    };
    if post.deleted_at.is_some() || (kind == ReactionKind::Announce && !post.is_public()) {
        return Ok(false);
    }
    if !super::visibility::may_see(q, &post, Some(actor)).await? {
        return Ok(false);
    }
    let added = q
        .add_reaction(kind, actor.id, post.id, activity_id.as_str())
        .await?;
    if added {
        notify_reaction(q, kind, &post, actor).await?;
    }
    Ok(added)
}

/// What the post page and the ActivityPub document of a post need.
pub struct PostView {
    pub post: PostRow,
    pub author: ActorRow,
    pub tags: Vec<String>,
    pub mentions: Vec<ActorRow>,
}

/// A local post for `viewer` (None: anonymous). Non-public posts are only for
/// the followers or mentioned actors they are addressed to; everyone else gets
/// "not found", so their existence does not leak.
pub async fn local_post_for(
    ctx: &Kuvend,
    username: &str,
    id: i64,
    viewer: Option<&ActorRow>,
) -> ServiceResult<PostView> {
    let not_found = || ServiceError::NotFound("no such post".into());
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let post = q
        .post_by_id(id)
        .await?
        .filter(|p| p.local)
        .ok_or_else(not_found)?;
    let author = q.actor_by_id(post.author_id).await?;
    if author.username_key != username.to_lowercase() {
        return Err(not_found());
    }
    if let Some(viewer) = viewer {
        // A signed fetch by an actor the author blocks (by name or by
        // domain): refused outright, whatever the post's visibility.
        if super::blocks::blocks(&mut q, author.id, viewer).await? {
            return Err(super::blocks::refused_fetch());
        }
    }
    if !super::visibility::may_see(&mut q, &post, viewer).await? {
        return Err(not_found());
    }
    let tags = q.post_tags(post.id).await?;
    let mentions = q.post_mentions(post.id).await?;
    Ok(PostView {
        post,
        author,
        tags,
        mentions,
    })
}

/// The Note document of a post view.
pub async fn note_document(ctx: &Kuvend, view: &PostView) -> ServiceResult<NoteJson> {
    let mut note = local_note_json(
        &view.post,
        &view.author,
        &view.tags,
        &view.mentions,
        &ctx.urls,
    )?;
    let mut conn = ctx.db.conn().await?;
    note.attachment =
        super::attachments::documents_of_post(ctx, &mut conn.q(), view.post.id).await?;
    Ok(note)
}

/// The public replies to a post, oldest first, as shown on its page.
pub async fn public_replies(ctx: &Kuvend, post_id: i64) -> ServiceResult<Vec<(PostRow, ActorRow)>> {
    Ok(replies_shown(ctx, post_id)
        .await?
        .0
        .into_iter()
        .filter(|(p, _)| p.is_public())
        .collect())
}

/// A post's direct replies less those left off its page, and how many were
/// left off, for the reply count shown beside it.
pub async fn replies_shown(
    ctx: &Kuvend,
    post_id: i64,
) -> ServiceResult<(Vec<(PostRow, ActorRow)>, i64)> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let Some(post) = q.post_by_id(post_id).await? else {
        return Ok((Vec::new(), 0));
    };
    let left_out = RepliesLeftOut::of(ctx, &mut q, post.author_id).await?;
    let (hidden_replies, shown): (Vec<_>, Vec<_>) = q
        .replies(post_id)
        .await?
        .into_iter()
        .partition(|(_, author)| left_out.hides(author));
    Ok((shown, hidden_replies.len() as i64))
}

/// Which replies a thread's author does not get under its posts, on its
/// pages and in the client API's context alike (issue 15): by actors the
/// author blocks (by name or domain), from silenced domains or domains no
/// longer federated with, and, when the author takes followers from the
/// allow-list only, from domains not on it. They are stored, never shown.
pub(crate) struct RepliesLeftOut {
    blocked: super::blocks::Hidden,
    allowlist_only: bool,
    policy: std::sync::Arc<crate::federation::domain_policy::Snapshot>,
}

impl RepliesLeftOut {
    pub(crate) async fn of(ctx: &Kuvend, q: &mut Q<'_>, author_id: i64) -> ServiceResult<Self> {
        Ok(RepliesLeftOut {
            blocked: super::blocks::Hidden::of(q, author_id).await?,
            allowlist_only: q.followers_from(author_id).await?.as_deref() == Some("allowlist"),
            policy: ctx.policy().await,
        })
    }

    pub(crate) fn hides(&self, author: &ActorRow) -> bool {
        !author.local
            && (self.blocked.hides(author)
                || !self.policy.shown_publicly(&author.domain)
                || (self.allowlist_only && !self.policy.allowed(&author.domain)))
    }
}

/// An organisation's outbox page: `Create` of its public and unlisted posts
/// (an event with its fields), and the id of the last one, for the next page.
pub async fn outbox_items(
    ctx: &Kuvend,
    author: &ActorRow,
    max_id: Option<i64>,
    limit: i64,
) -> ServiceResult<(Vec<ObjectActivityJson<PostJson>>, Option<i64>)> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let posts = q
        .posts_by_author(
            author.id,
            &[Visibility::Public, Visibility::Unlisted],
            None,
            max_id,
            limit,
            false,
        )
        .await?;
    let last_id = posts.last().map(|p| p.id);
    let mut items = Vec::new();
    for post in posts {
        let tags = q.post_tags(post.id).await?;
        let mentions = q.post_mentions(post.id).await?;
        let event = match post.ap_type.as_str() {
            "Event" => q.event_by_post(post.id).await?,
            _ => None,
        };
        let object = match event {
            Some(event) => {
                let mut json =
                    local_event_json(&post, author, &tags, &mentions, &event, &ctx.urls)?;
                let (banner, others) =
                    super::attachments::event_media(ctx, &mut q, post.id).await?;
                crate::federation::events::add_event_media(&mut json, banner, others);
                PostJson::Event(Box::new(json))
            }
            None => {
                let mut json = local_note_json(&post, author, &tags, &mentions, &ctx.urls)?;
                json.attachment =
                    super::attachments::documents_of_post(ctx, &mut q, post.id).await?;
                PostJson::Note(Box::new(json))
            }
        };
        let id = ctx
            .urls
            .create_activity(&Url::parse(&post.ap_id).map_err(internal)?);
        items.push(wrap("Create", id, author, object)?);
    }
    Ok((items, last_id))
}
