//! Read-only documents: actor documents, WebFinger, NodeInfo, collections and
//! what the profile page shows.

use super::{ServiceError, ServiceResult, instance::instance_actor_username, posts};
use crate::model::{ActorKind, Visibility};
use crate::{
    context::Kuvend,
    federation::{
        actors::local_actor_json,
        protocol::{
            actor::ActorJson,
            collections::{OrderedCollectionJson, OrderedCollectionPageJson},
            nodeinfo::*,
        },
    },
    storage::models::{ActorRow, PostRow},
};
use serde_json::json;
use url::Url;

/// Items per collection page.
pub const PAGE_SIZE: i64 = 40;

/// A local actor that can be looked up by user name (not the instance actor).
/// A suspended one is gone (410, as Mastodon answers for its actor
/// document), and with it its page, feeds, calendar and collections
/// (issue 15); unsuspending brings them back.
pub async fn local_actor(ctx: &Kuvend, username: &str) -> ServiceResult<ActorRow> {
    let mut conn = ctx.db.conn().await?;
    let actor = conn
        .q()
        .local_actor_by_username(username)
        .await?
        .filter(|a| a.kind() != ActorKind::Application)
        .ok_or_else(|| ServiceError::NotFound(format!("no actor {username:?} on this instance")))?;
    if actor.suspended_at.is_some() {
        return Err(ServiceError::Gone(format!(
            "the account {username} is suspended"
        )));
    }
    Ok(actor)
}

pub async fn actor_document(ctx: &Kuvend, username: &str) -> ServiceResult<ActorJson> {
    let actor = local_actor(ctx, username).await?;
    let mut conn = ctx.db.conn().await?;
    super::coalitions::actor_document(&mut conn.q(), &ctx.urls, &actor).await
}

pub async fn instance_actor_document(ctx: &Kuvend) -> ServiceResult<ActorJson> {
    let mut conn = ctx.db.conn().await?;
    let row = conn
        .q()
        .actor_by_ap_id(ctx.urls.instance_actor().as_str())
        .await?
        .ok_or_else(|| ServiceError::NotFound("no instance actor".into()))?;
    Ok(local_actor_json(&row, &ctx.urls))
}

/// What WebFinger answers for a resource.
pub struct WebfingerTarget {
    pub subject: String,
    pub actor_id: String,
    pub profile_url: Option<String>,
    /// The instance actor is marked as an Application (FEP-2677).
    pub is_application: bool,
}

/// Resolves `acct:user@domain` (the domain must be ours, port included) or an
/// actor URL of ours.
pub async fn webfinger(ctx: &Kuvend, resource: &str) -> ServiceResult<WebfingerTarget> {
    let domain = ctx.settings.instance.domain.to_lowercase();
    let username = if let Some(acct) = resource.strip_prefix("acct:") {
        let (user, host) = acct
            .trim_start_matches('@')
            .rsplit_once('@')
            .ok_or_else(|| ServiceError::BadRequest(format!("{resource:?} is not user@domain")))?;
        if host.to_lowercase() != domain {
            return Err(ServiceError::NotFound(format!(
                "{host} is not this instance"
            )));
        }
        user.to_string()
    } else if let Ok(url) = Url::parse(resource) {
        let actor_prefix = format!("{}/users/", ctx.urls.base());
        let profile_prefix = format!("{}/@", ctx.urls.base());
        if url == ctx.urls.instance_actor() {
            instance_actor_username(&domain)
        } else if let Some(user) = resource
            .strip_prefix(&actor_prefix)
            .or_else(|| resource.strip_prefix(&profile_prefix))
        {
            user.to_string()
        } else {
            return Err(ServiceError::NotFound(format!(
                "{resource} is not an actor here"
            )));
        }
    } else {
        return Err(ServiceError::BadRequest(format!(
            "resource {resource:?} is neither acct:user@domain nor a URL"
        )));
    };
    let mut conn = ctx.db.conn().await?;
    let actor = conn
        .q()
        .local_actor_by_username(&username)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no actor {username:?} on this instance")))?;
    // Gone, as its actor document is ([`local_actor`]; issue 15).
    if actor.suspended_at.is_some() {
        return Err(ServiceError::Gone(format!(
            "the account {username} is suspended"
        )));
    }
    Ok(WebfingerTarget {
        subject: format!("acct:{}@{domain}", actor.username),
        actor_id: actor.ap_id.clone(),
        profile_url: actor.profile_url.clone(),
        is_application: actor.kind() == ActorKind::Application,
    })
}

pub async fn nodeinfo(ctx: &Kuvend) -> ServiceResult<NodeInfoJson> {
    let mut conn = ctx.db.conn().await?;
    let organisations = conn.q().count_local_actors(ActorKind::Organization).await?;
    let local_posts = conn.q().count_local_posts().await?;
    Ok(NodeInfoJson {
        version: "2.1",
        software: NodeInfoSoftwareJson {
            name: crate::federation::nodeinfo::SOFTWARE_NAME,
            version: env!("CARGO_PKG_VERSION"),
            repository: ctx.settings.instance.source_url.clone(),
            homepage: ctx.settings.instance.source_url.clone(),
        },
        protocols: vec!["activitypub"],
        services: NodeInfoServicesJson {
            inbound: vec![],
            outbound: vec![],
        },
        open_registrations: false,
        usage: NodeInfoUsageJson {
            users: NodeInfoUsersJson {
                total: organisations,
            },
            local_posts,
        },
        metadata: json!({
            "nodeName": ctx.settings.instance.name,
            "nodeDescription": ctx.settings.instance.description,
        }),
    })
}

pub fn nodeinfo_links(ctx: &Kuvend) -> NodeInfoLinksJson {
    NodeInfoLinksJson {
        links: vec![
            NodeInfoLinkJson {
                rel: "http://nodeinfo.diaspora.software/ns/schema/2.1".into(),
                href: ctx.urls.nodeinfo().to_string(),
            },
            NodeInfoLinkJson {
                rel: "https://www.w3.org/ns/activitystreams#Application".into(),
                href: ctx.urls.instance_actor().to_string(),
            },
        ],
    }
}

/// Which collection of an actor.
#[derive(Debug, Clone, Copy)]
pub enum CollectionKind {
    Followers,
    Following,
}

/// A collection, or one page of it (`page` counts from 1).
pub enum CollectionDocument {
    Collection(OrderedCollectionJson),
    Page(OrderedCollectionPageJson<serde_json::Value>),
}

pub async fn collection(
    ctx: &Kuvend,
    username: &str,
    kind: CollectionKind,
    page: Option<i64>,
) -> ServiceResult<CollectionDocument> {
    let actor = local_actor(ctx, username).await?;
    let id = match kind {
        CollectionKind::Followers => ctx.urls.followers(&actor.username),
        CollectionKind::Following => ctx.urls.following(&actor.username),
    };
    let mut conn = ctx.db.conn().await?;
    let total = match kind {
        CollectionKind::Followers => conn.q().count_followers(actor.id).await?,
        CollectionKind::Following => conn.q().count_following(actor.id).await?,
    };
    let page_url = |n: i64| {
        let mut url = id.clone();
        url.set_query(Some(&format!("page={n}")));
        url
    };
    let Some(page) = page else {
        return Ok(CollectionDocument::Collection(OrderedCollectionJson {
            id: id.clone(),
            kind: "OrderedCollection",
            total_items: total,
            first: Some(page_url(1)),
        }));
    };
    if page < 1 {
        return Err(ServiceError::BadRequest("page counts from 1".into()));
    }
    let offset = (page - 1).saturating_mul(PAGE_SIZE);
    let items: Vec<String> = match kind {
        CollectionKind::Followers => {
            conn.q()
                .follower_ids_page(actor.id, offset, PAGE_SIZE)
                .await?
        }
        CollectionKind::Following => {
            conn.q()
                .following_ids_page(actor.id, offset, PAGE_SIZE)
                .await?
        }
    };
    Ok(CollectionDocument::Page(OrderedCollectionPageJson {
        id: page_url(page),
        kind: "OrderedCollectionPage",
        part_of: id.clone(),
        total_items: total,
        next: (offset + PAGE_SIZE < total).then(|| page_url(page + 1)),
        prev: (page > 1).then(|| page_url(page - 1)),
        ordered_items: items.into_iter().map(serde_json::Value::String).collect(),
    }))
}

/// The outbox: `Create` of the actor's public and unlisted posts, newest
/// first, paged by `max_id` (Mastodon's form).
pub async fn outbox(
    ctx: &Kuvend,
    username: &str,
    page: bool,
    max_id: Option<i64>,
) -> ServiceResult<serde_json::Value> {
    let actor = local_actor(ctx, username).await?;
    let id = ctx.urls.outbox(&actor.username);
    let visible = [Visibility::Public, Visibility::Unlisted];
    let total = {
        let mut conn = ctx.db.conn().await?;
        conn.q().count_posts_by_author(actor.id, &visible).await?
    };
    if !page {
        return Ok(json!({
            "id": id,
            "type": "OrderedCollection",
            "totalItems": total,
            "first": format!("{id}?page=true"),
        }));
    }
    let (items, last_id) = posts::outbox_items(ctx, &actor, max_id, PAGE_SIZE).await?;
    let this = match max_id {
        Some(max) => format!("{id}?page=true&max_id={max}"),
        None => format!("{id}?page=true"),
    };
    let mut document = json!({
        "id": this,
        "type": "OrderedCollectionPage",
        "partOf": id,
        "totalItems": total,
        "orderedItems": items,
    });
    if let (Some(last), true) = (last_id, items.len() as i64 == PAGE_SIZE) {
        document["next"] = json!(format!("{id}?page=true&max_id={last}"));
    }
    Ok(document)
}

/// What the HTML profile page shows.
pub struct ProfileView {
    pub actor: ActorRow,
    pub handle: String,
    pub followers: i64,
    /// Public posts, newest first (one page).
    pub posts: Vec<PostRow>,
}

pub async fn profile(
    ctx: &Kuvend,
    username: &str,
    max_id: Option<i64>,
) -> ServiceResult<ProfileView> {
    let actor = local_actor(ctx, username).await?;
    let mut conn = ctx.db.conn().await?;
    let followers = conn.q().count_followers(actor.id).await?;
    let posts = conn
        .q()
        .posts_by_author(
            actor.id,
            &[Visibility::Public],
            None,
            max_id,
            PAGE_SIZE,
            false,
        )
        .await?;
    Ok(ProfileView {
        handle: format!("@{}@{}", actor.username, ctx.settings.instance.domain),
        actor,
        followers,
        posts,
    })
}

/// Public posts with a hashtag, local and remote, with their authors,
/// newest first.
pub async fn tagged(
    ctx: &Kuvend,
    tag: &str,
    max_id: Option<i64>,
) -> ServiceResult<Vec<(PostRow, ActorRow)>> {
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    // Silenced (and no longer federated) domains stay off the instance's
    // public pages (issue 15), left out in the query so a page is full.
    let authors = super::domain_policy::public_authors(ctx, &mut q).await?;
    Ok(
        q.public_posts_with_tag(&tag.to_lowercase(), &authors, max_id, PAGE_SIZE)
            .await?,
    )
}

/// The `Create` of a local post at its id (`<post>/activity`; research
/// pitfall 3: Lemmy-style readers and Mastodon fetch it), rebuilt from the
/// post as it is now so a fetch never shows text edited away. The caller
/// has checked the viewer may see the post ([`posts::local_post_for`]);
/// a poll has no `Create` document here (`None`).
pub async fn create_document(
    ctx: &Kuvend,
    view: &posts::PostView,
) -> ServiceResult<Option<serde_json::Value>> {
    use crate::federation::notes::wrap;
    let post_id = Url::parse(&view.post.ap_id).map_err(|e| ServiceError::Internal(e.into()))?;
    let id = ctx.urls.create_activity(&post_id);
    let author = &view.author;
    let create = match view.post.ap_type.as_str() {
        "Note" => serde_json::to_value(wrap(
            "Create",
            id,
            author,
            posts::note_document(ctx, view).await?,
        )?),
        "Event" => serde_json::to_value(wrap(
            "Create",
            id,
            author,
            super::events::event_document(ctx, view).await?,
        )?),
        "Question" => serde_json::to_value(wrap(
            "Create",
            id,
            author,
            super::polls::question_document(ctx, view).await?,
        )?),
        _ => return Ok(None),
    };
    Ok(Some(create.map_err(|e| ServiceError::Internal(e.into()))?))
}

/// A coalition's relay `Announce` at its id (`<coalition>/relays/<n>/…`),
/// as it was sent; 404 when it was never sent (no instance got that shape)
/// or when the relayed post is gone (its `Undo` went out). Relays are of
/// public and unlisted posts only, so anyone may read them.
pub async fn relay_document(
    ctx: &Kuvend,
    username: &str,
    relay_id: i64,
    url: &Url,
) -> ServiceResult<serde_json::Value> {
    let gone = || ServiceError::NotFound("Record not found".into());
    let coalition = local_actor(ctx, username).await?;
    let mut conn = ctx.db.conn().await?;
    let mut q = conn.q();
    let relay = q
        .relay_by_id(relay_id)
        .await?
        .filter(|r| r.coalition_id == coalition.id)
        .ok_or_else(gone)?;
    let live = q
        .post_by_id(relay.post_id)
        .await?
        .is_some_and(|p| p.deleted_at.is_none());
    if !live {
        return Err(gone());
    }
    let activity = q
        .activity_by_ap_id(url.as_str())
        .await?
        .filter(|a| a.actor_id == coalition.id && a.kind == "Announce")
        .ok_or_else(gone)?;
    let body = activity.body.ok_or_else(gone)?;
    let mut json: serde_json::Value =
        serde_json::from_str(&body).map_err(|e| ServiceError::Internal(e.into()))?;
    if let Some(map) = json.as_object_mut() {
        // A fetched document carries its own context.
        map.entry("@context")
            .or_insert_with(|| json!("https://www.w3.org/ns/activitystreams"));
    }
    Ok(json)
}
