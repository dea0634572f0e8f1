//! HTML pages for people: the instance's front page, organisation
//! profiles, posts and events, and the instance's upcoming events.

use super::{
    activity_json,
    error::{ApiError, ApiResult},
    wants_activity_json,
};
use crate::{
    federation::{
        FedData,
        protocol::{WithContext, actor_context_for},
    },
    model::{CoalitionRole, EventCategory, EventStatus},
    service::{ActorRow, PostRow, attachments::PageImage},
    service::{
        ServiceError, campaigns, coalition_feed, coalitions, documents,
        events::{self, EventView},
        feeds, orgs,
        posts::{self, PostView},
        profile, text,
    },
};
use axum::{
    Json,
    extract::{OriginalUri, Path, Query},
    http::{HeaderMap, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use minijinja::{Environment, context};
use serde::Deserialize;
use serde_json::json;
use std::sync::OnceLock;

fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // Templates are compiled into the binary; a broken one fails the tests.
        for (name, source) in [
            ("base.html", include_str!("../../templates/base.html")),
            ("index.html", include_str!("../../templates/index.html")),
            ("profile.html", include_str!("../../templates/profile.html")),
            ("post.html", include_str!("../../templates/post.html")),
            (
                "post_card.html",
                include_str!("../../templates/post_card.html"),
            ),
            ("tag.html", include_str!("../../templates/tag.html")),
            (
                "campaign.html",
                include_str!("../../templates/campaign.html"),
            ),
            ("event.html", include_str!("../../templates/event.html")),
            (
                "event_card.html",
                include_str!("../../templates/event_card.html"),
            ),
            ("events.html", include_str!("../../templates/events.html")),
            (
                "authorize.html",
                include_str!("../../templates/authorize.html"),
            ),
            (
                "choose_account.html",
                include_str!("../../templates/choose_account.html"),
            ),
            (
                "authorized.html",
                include_str!("../../templates/authorized.html"),
            ),
        ] {
            if let Err(error) = env.add_template(name, source) {
                tracing::error!(%error, name, "template does not compile");
            }
        }
        env
    })
}

pub fn render(name: &str, ctx: minijinja::Value) -> Result<Html<String>, ServiceError> {
    templates()
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map(Html)
        .map_err(|e| ServiceError::Internal(e.into()))
}

pub async fn index(data: FedData) -> ApiResult<Html<String>> {
    let organisations: Vec<_> = orgs::list_organizations(&data)
        .await?
        .into_iter()
        .map(|o| {
            json!({
                "username": o.username,
                "name": o.display_name,
                "handle": format!("@{}@{}", o.username, data.settings.instance.domain),
            })
        })
        .collect();
    Ok(render(
        "index.html",
        context! {
            instance => json!({
                "name": data.settings.instance.name,
                "description": data.settings.instance.description,
                "domain": data.settings.instance.domain,
            }),
            source_url => data.settings.instance.source_url,
            organisations => organisations,
            og => Og {
                kind: "website",
                title: data.settings.instance.name.clone(),
                description_html: &crate::service::escape_html(&data.settings.instance.description),
                image: None,
                image_alt: String::new(),
                path: "/".into(),
                large: false,
            }
            .json(&data),
        },
    )?)
}

#[derive(Deserialize)]
pub struct PageQuery {
    max_id: Option<i64>,
}

/// A post as the templates show it.
fn post_card(post: &PostRow, author: &ActorRow, domain: &str) -> minijinja::Value {
    let name = if author.display_name.is_empty() {
        author.username.clone()
    } else {
        text::strip_html(&author.display_name)
    };
    context! {
        id => post.id,
        url => post.url.clone().unwrap_or_else(|| post.ap_id.clone()),
        author_name => name,
        author_handle => format!("@{}@{}", author.username, if author.local { domain } else { &author.domain }),
        author_url => author.profile_url.clone().unwrap_or_else(|| author.ap_id.clone()),
        summary => post.summary,
        // Local posts are rendered from escaped text; remote ones were sanitised on arrival.
        content => minijinja::Value::from_safe_string(post.content.clone()),
        published => post.published_at.format("%Y-%m-%d %H:%M UTC").to_string(),
        edited => post.edited_at.is_some(),
        replies => post.replies_count,
        likes => post.likes_count,
        boosts => post.boosts_count,
    }
}

fn instance_json(data: &FedData) -> serde_json::Value {
    json!({
        "name": data.settings.instance.name,
        "domain": data.settings.instance.domain,
    })
}

/// `/@username/ID`: a public post and its thread's public replies.
pub async fn post(
    data: FedData,
    Path((segment, id)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (Some(username), Ok(id)) = (segment.strip_prefix('@'), id.parse::<i64>()) else {
        return Ok(not_found().await);
    };
    if wants_activity_json(&headers) {
        return super::activitypub::post(
            data,
            Path((username.to_string(), id)),
            OriginalUri(uri),
            headers,
        )
        .await;
    }
    let view = posts::local_post_for(&data, username, id, None).await?;
    if view.post.deleted_at.is_some() {
        return Err(ApiError::new(StatusCode::GONE, "this post was deleted"));
    }
    if view.post.ap_type == "Event" {
        return event_page(&data, view).await;
    }
    let domain = &data.settings.instance.domain;
    let (shown, hidden) = posts::replies_shown(&data, view.post.id).await?;
    let replies: Vec<_> = shown
        .iter()
        .filter(|(p, _)| p.is_public())
        .map(|(p, a)| post_card(p, a, domain))
        .collect();
    // Replies by blocked actors are neither shown nor counted.
    let mut post = view.post.clone();
    post.replies_count = (post.replies_count - hidden).max(0);
    let images = crate::service::attachments::page_images(&data, post.id).await?;
    Ok(render(
        "post.html",
        context! {
            instance => instance_json(&data),
            source_url => data.settings.instance.source_url,
            post => post_card(&post, &view.author, domain),
            replies => replies,
            og => Og {
                kind: "article",
                title: format!("{} (@{})", display_name_of(&view.author), view.author.username),
                description_html: &post.content,
                path: format!("/@{}/{}", view.author.username, post.id),
                ..Og::picture(&images, &view.author)
            }
            .json(&data),
            images => images,
        },
    )?
    .into_response())
}

/// `/tags/TAG`: public posts with a hashtag, local and remote.
pub async fn tag(
    data: FedData,
    Path(tag): Path<String>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Html<String>> {
    let domain = &data.settings.instance.domain;
    let posts: Vec<_> = documents::tagged(&data, &tag, q.max_id)
        .await?
        .iter()
        .map(|(p, a)| post_card(p, a, domain))
        .collect();
    Ok(render(
        "tag.html",
        context! {
            instance => instance_json(&data),
            source_url => data.settings.instance.source_url,
            tag => tag.to_lowercase(),
            posts => posts,
        },
    )?)
}

/// `/@username`: the profile page, or the actor document for ActivityPub clients.
pub async fn profile(
    data: FedData,
    Path(segment): Path<String>,
    Query(q): Query<PageQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let Some(username) = segment.strip_prefix('@') else {
        return Ok(not_found().await);
    };
    // `/@username.rss`, as Mastodon names its feeds (one path segment, so
    // this route's).
    if let Some(username) = username.strip_suffix(".rss") {
        let body = feeds::organisation_rss(&data, username).await?;
        return Ok(feed_response("application/rss+xml; charset=utf-8", body));
    }
    if wants_activity_json(&headers) {
        let document = documents::actor_document(&data, username).await?;
        return Ok(activity_json(&WithContext::new(
            actor_context_for(&document.kind),
            document,
        )));
    }
    let view = documents::profile(&data, username, q.max_id).await?;
    let domain = &data.settings.instance.domain;
    let posts: Vec<_> = view
        .posts
        .iter()
        .map(|p| post_card(p, &view.actor, domain))
        .collect();
    // Upcoming events head the first page only; older pages are for posts.
    let events: Vec<_> = if q.max_id.is_none() && coalition_feed::is_local_coalition(&view.actor) {
        // Issue 14 item 4: a coalition's own events and its members' it
        // relayed, each naming its organisation.
        coalition_feed::upcoming_events(&data, &view.actor, PROFILE_EVENTS)
            .await?
            .iter()
            .map(|(e, author)| event_card(e, Some(author), domain))
            .collect()
    } else if q.max_id.is_none() {
        events::upcoming_visible_events(&data, &view.actor, PROFILE_EVENTS)
            .await?
            .iter()
            .map(|e| event_card(e, None, domain))
            .collect()
    } else {
        Vec::new()
    };
    // A coalition lists its members when the list is public, and only how
    // many otherwise.
    let coalition = coalitions::public_members(&data, &view.actor)
        .await?
        .map(|m| {
            json!({
                "count": m.count,
                "members": m.members.map(|list| list
                    .into_iter()
                    .map(|v| json!({
                        "name": v.name,
                        "handle": format!("@{}", v.handle),
                        "url": v.url,
                        "admin": v.role == CoalitionRole::Admin,
                    }))
                    .collect::<Vec<_>>()),
            })
        });
    // Issue 14 item 5: a coalition links its campaign pages.
    let campaigns: Vec<_> = if coalition.is_some() && view.actor.local {
        campaigns::list(&data, &view.actor)
            .await?
            .into_iter()
            .map(|(tag, _)| {
                json!({
                    "url": campaign_path(&view.actor.username, &tag),
                    "tag": tag,
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let next = (posts.len() as i64 == documents::PAGE_SIZE)
        .then(|| {
            view.posts
                .last()
                .map(|p| format!("/@{}?max_id={}", view.actor.username, p.id))
        })
        .flatten();
    Ok(render(
        "profile.html",
        context! {
            instance => json!({
                "name": data.settings.instance.name,
                "domain": data.settings.instance.domain,
            }),
            source_url => data.settings.instance.source_url,
            name => if view.actor.display_name.is_empty() { view.actor.username.clone() } else { view.actor.display_name.clone() },
            // Local summaries are built from escaped text (service::text_to_html).
            summary_html => minijinja::Value::from_safe_string(view.actor.summary.clone()),
            handle => view.handle,
            followers => view.followers,
            manual_approval => view.actor.manually_approves_followers,
            coalition => coalition,
            campaigns => campaigns,
            events => events,
            posts => posts,
            next => next,
            feeds => feed_links(&data, &view.actor.username),
            avatar => view.actor.icon_url,
            // Local values are rendered from escaped text, remote ones were
            // sanitised on arrival (service::profile).
            fields => profile::fields_of(&view.actor)
                .into_iter()
                .map(|f| context! {
                    name => f.name,
                    value_html => minijinja::Value::from_safe_string(f.value_html),
                    verified => f.verified_at.is_some(),
                })
                .collect::<Vec<_>>(),
            og => Og {
                kind: "profile",
                title: format!("{} ({})", display_name_of(&view.actor), view.handle),
                description_html: &view.actor.summary,
                image: view.actor.icon_url.clone(),
                image_alt: display_name_of(&view.actor),
                path: format!("/@{}", view.actor.username),
                large: false,
            }
            .json(&data),
        },
    )?
    .into_response())
}

/// How many upcoming events a profile lists.
const PROFILE_EVENTS: i64 = 20;
/// How many upcoming events `/events` lists.
const INSTANCE_EVENTS: i64 = 200;

/// An organisation as event pages name it.
fn org_json(author: &ActorRow, domain: &str) -> serde_json::Value {
    // A member on another server (a coalition's relayed event) links to its
    // own page there, and only over http(s): the URL is the remote's word.
    let (domain, url) = if author.local {
        (domain, format!("/@{}", author.username))
    } else {
        let url = author.profile_url.as_deref().unwrap_or(&author.ap_id);
        let url = if url.starts_with("https://") || url.starts_with("http://") {
            url.to_string()
        } else {
            author.ap_id.clone()
        };
        (author.domain.as_str(), url)
    };
    json!({
        "name": if author.display_name.is_empty() {
            author.username.clone()
        } else {
            text::strip_html(&author.display_name)
        },
        "handle": format!("@{}@{domain}", author.username),
        "url": url,
    })
}

fn when_json(when: &events::EventWhen) -> serde_json::Value {
    json!({
        "local": when.local,
        "zone": when.zone,
        "offset": when.offset,
        "start_utc": when.start_utc,
        "end_utc": when.end_utc,
    })
}

/// An event in a list (profile, `/events`): title, status, time in its
/// zone, place; `author` names the organisation where lists mix them.
fn event_card(view: &EventView, author: Option<&ActorRow>, domain: &str) -> serde_json::Value {
    json!({
        "org": author.map(|a| org_json(a, domain)),
        // A relayed event's `url` is another server's word: http(s) only.
        "url": view.post.url.clone().filter(|u| u.starts_with("https://") || u.starts_with("http://")).unwrap_or_else(|| view.post.ap_id.clone()),
        "name": view.event.name,
        "status": view.event.status,
        "when": when_json(&events::when(&view.event)),
        "place": events::place_lines(&view.event),
        "online_url": view.event.online_url,
    })
}

/// Mobilizon's English names of FEP-8a8e's categories.
fn category_label(category: EventCategory) -> &'static str {
    match category {
        EventCategory::Arts => "Arts",
        EventCategory::BookClubs => "Book clubs",
        EventCategory::Business => "Business",
        EventCategory::Causes => "Causes",
        EventCategory::Comedy => "Comedy",
        EventCategory::Crafts => "Crafts",
        EventCategory::Food => "Food & drink",
        EventCategory::Health => "Health",
        EventCategory::Music => "Music",
        EventCategory::Auto => "Auto, boat & air",
        EventCategory::Community => "Community",
        EventCategory::Family => "Family & education",
        EventCategory::Fashion => "Fashion & beauty",
        EventCategory::Film => "Film & media",
        EventCategory::Games => "Games",
        EventCategory::Language => "Language & culture",
        EventCategory::Learning => "Learning",
        EventCategory::Lgbtq => "LGBTQ",
        EventCategory::Movements => "Movements & politics",
        EventCategory::Networking => "Networking",
        EventCategory::Party => "Party",
        EventCategory::PerformingArts => "Performing & visual arts",
        EventCategory::Pets => "Pets",
        EventCategory::Photography => "Photography",
        EventCategory::Outdoors => "Outdoors & adventure",
        EventCategory::Spirituality => "Spirituality, religion & beliefs",
        EventCategory::Science => "Science & tech",
        EventCategory::Sports => "Sports",
        EventCategory::Theatre => "Theatre",
        EventCategory::Meeting => "Meeting",
    }
}

/// An event's page. Every field from the row goes through the template's
/// auto-escaping; only the description, rendered from escaped plain text,
/// is marked safe. The page loads our local-time script ([`OwnScript`]).
async fn event_page(data: &FedData, view: PostView) -> ApiResult<Response> {
    let images = crate::service::attachments::page_images(data, view.post.id).await?;
    let page = events::event_page(data, view).await?;
    let domain = &data.settings.instance.domain;
    let event = &page.event;
    let post = &page.post;
    let status = EventStatus::parse(&event.status).unwrap_or(EventStatus::Scheduled);
    let mut response = render(
        "event.html",
        context! {
            instance => instance_json(data),
            source_url => data.settings.instance.source_url,
            org => org_json(&page.author, domain),
            when => when_json(&events::when(event)),
            event => context! {
                name => event.name,
                url => post.url.clone().unwrap_or_else(|| post.ap_id.clone()),
                ap_id => post.ap_id,
                status => status.as_str(),
                reason => event.status_reason,
                previous_start => event.previous_start.map(|t| events::wall_text(event, t)),
                place => events::place_lines(event),
                map_url => events::map_url(event),
                online_url => event.online_url,
                join_mode => event.join_mode,
                external_url => event.external_url,
                capacity => event.capacity,
                category => event
                    .category
                    .as_deref()
                    .and_then(EventCategory::parse)
                    .map(category_label),
                description_html => minijinja::Value::from_safe_string(page.description_html.clone()),
                published => post.published_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                edited => post.edited_at.is_some(),
                replies => post.replies_count,
                likes => post.likes_count,
                boosts => post.boosts_count,
                ics => format!("/api/v1/pleroma/events/{}/ics", post.id),
            },
            feeds => feed_links(data, &page.author.username),
            // The event's banner (first of its images), else the organiser's logo.
            og => Og {
                kind: "article",
                title: event.name.clone(),
                description_html: &page.description_html,
                path: format!("/@{}/{}", page.author.username, post.id),
                ..Og::picture(&images, &page.author)
            }
            .json(data),
            images => images,
        },
    )?
    .into_response();
    response.extensions_mut().insert(super::OwnScript);
    Ok(response)
}

/// `/events`: upcoming public events of every organisation here, soonest
/// first by the instant they start.
pub async fn events(data: FedData) -> ApiResult<Html<String>> {
    let domain = &data.settings.instance.domain;
    let events: Vec<_> = events::upcoming_public_events(&data, INSTANCE_EVENTS)
        .await?
        .iter()
        .map(|(view, author)| event_card(view, Some(author), domain))
        .collect();
    Ok(render(
        "events.html",
        context! {
            instance => instance_json(&data),
            source_url => data.settings.instance.source_url,
            events => events,
            calendar => calendar_links(&data, "/events.ics"),
        },
    )?)
}

/// A calendar's two addresses: `webcal://` (calendar apps subscribe to
/// it and refresh it) and the plain one (a download, or for pasting into
/// a web calendar's "from URL").
fn calendar_links(data: &FedData, path: &str) -> serde_json::Value {
    let https = format!("{}{path}", data.urls.base().trim_end_matches('/'));
    let host = https
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(&https);
    json!({"webcal": format!("webcal://{host}"), "https": https})
}

/// An organisation's calendar and RSS feed, as profile and event pages link
/// them.
fn feed_links(data: &FedData, username: &str) -> serde_json::Value {
    json!({
        "calendar": calendar_links(data, &format!("/@{username}/events.ics")),
        "rss": format!("/@{username}.rss"),
    })
}

/// A calendar or feed: its type, and cacheable for a minute as Mastodon
/// serves its feeds (readers poll them).
fn feed_response(content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=60"),
        ],
        body,
    )
        .into_response()
}

/// `/@username/events.ics`: the organisation's public events.
pub async fn organisation_calendar(
    data: FedData,
    Path(segment): Path<String>,
) -> ApiResult<Response> {
    let Some(username) = segment.strip_prefix('@') else {
        return Ok(not_found().await);
    };
    let body = feeds::organisation_calendar(&data, username).await?;
    Ok(feed_response("text/calendar; charset=utf-8", body))
}

/// `/events.ics`: every local organisation's upcoming public events.
pub async fn instance_calendar(data: FedData) -> ApiResult<Response> {
    let body = feeds::instance_calendar(&data).await?;
    Ok(feed_response("text/calendar; charset=utf-8", body))
}

/// The script that writes an event's time in the reader's zone.
const LOCAL_TIME_JS: &str = include_str!("../../static/local-time.js");

/// `/static/local-time.js`, served by us so event pages need no inline or
/// third-party script. JavaScript content type, since `nosniff` makes
/// browsers refuse a script served as anything else.
pub async fn local_time_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        LOCAL_TIME_JS,
    )
        .into_response()
}

pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": "not found"}))).into_response()
}

/// `/@<coalition>/campaigns/<tag>`, the tag percent-encoded (tags may be
/// any letters).
fn campaign_path(username: &str, tag: &str) -> String {
    let tag: String = url::form_urlencoded::byte_serialize(tag.as_bytes()).collect();
    format!("/@{username}/campaigns/{tag}")
}

/// `/@<coalition>/campaigns/<tag>` (HTML) and `…/<tag>.atom` (issue 14
/// item 5): the members' public posts with a campaign tag, with counts per
/// organisation and per day. 404 for an unknown coalition or campaign.
pub async fn campaign(
    data: FedData,
    Path((segment, tag)): Path<(String, String)>,
    Query(q): Query<PageQuery>,
) -> ApiResult<Response> {
    let Some(username) = segment.strip_prefix('@') else {
        return Ok(not_found().await);
    };
    let (tag, atom) = match tag.strip_suffix(".atom") {
        Some(tag) => (tag.to_string(), true),
        None => (tag, false),
    };
    let domain = &data.settings.instance.domain;
    let view = if atom {
        campaigns::campaign_feed(&data, username, &tag).await?
    } else {
        campaigns::campaign(&data, username, &tag, q.max_id).await?
    };
    let page = campaign_path(&view.coalition.username, &view.tag);
    let base = data.settings.base_url();
    if atom {
        let body = campaigns::atom(
            &view,
            &format!("{base}{page}.atom"),
            &format!("{base}{page}"),
            domain,
        )?;
        return Ok(feed_response("application/atom+xml; charset=utf-8", body));
    }
    let posts: Vec<_> = view
        .posts
        .iter()
        .map(|(p, a)| post_card(p, a, domain))
        .collect();
    let per_org: Vec<_> = view
        .per_org
        .iter()
        .map(|(actor, count)| {
            json!({
                "name": if actor.display_name.is_empty() { actor.username.clone() } else { text::strip_html(&actor.display_name) },
                "handle": format!("@{}@{}", actor.username, if actor.local { domain } else { &actor.domain }),
                "url": actor.profile_url.clone().unwrap_or_else(|| actor.ap_id.clone()),
                "count": count,
            })
        })
        .collect();
    let per_day: Vec<_> = view
        .per_day
        .iter()
        .map(|(day, count)| json!({"day": day.format("%Y-%m-%d").to_string(), "count": count}))
        .collect();
    let next = view.next_max_id.map(|id| format!("{page}?max_id={id}"));
    Ok(render(
        "campaign.html",
        context! {
            instance => instance_json(&data),
            source_url => data.settings.instance.source_url,
            tag => view.tag,
            coalition_username => view.coalition.username,
            coalition_name => if view.coalition.display_name.is_empty() { view.coalition.username.clone() } else { text::strip_html(&view.coalition.display_name) },
            feed => format!("{page}.atom"),
            total => view.total,
            per_org => per_org,
            per_org_hidden => view.per_org_hidden,
            per_day => per_day,
            posts => posts,
            next => next,
            og => Og {
                kind: "website",
                title: format!("#{} · {}", view.tag, display_name_of(&view.coalition)),
                description_html: &crate::service::escape_html(&format!(
                    "{} posts with #{} by the members of {}",
                    view.total,
                    view.tag,
                    display_name_of(&view.coalition)
                )),
                image: view.coalition.icon_url.clone(),
                image_alt: display_name_of(&view.coalition),
                path: page.clone(),
                large: false,
            }
            .json(&data),
        },
    )?
    .into_response())
}

/// Characters of `og:description` (plain text).
const OG_DESCRIPTION_LIMIT: usize = 200;

/// What a page says about itself to link previews (Open Graph and Twitter
/// cards, issue 16): chat apps and other sites show these when the page's
/// link is shared.
struct Og<'a> {
    /// `profile`, `article` or `website`.
    kind: &'static str,
    title: String,
    /// HTML, shown as plain text of at most 200 characters.
    description_html: &'a str,
    /// An absolute image URL (our own uploads only).
    image: Option<String>,
    image_alt: String,
    /// The page's path on this instance.
    path: String,
    /// A large image (a post's picture or an event's banner), not a logo.
    large: bool,
}

impl Og<'_> {
    /// A post's or event's first image as a large card, else the author's
    /// logo; the fields not about the image are left for the caller.
    fn picture(images: &[PageImage], author: &ActorRow) -> Self {
        let (image, image_alt, large) = match images.first() {
            Some(first) => (Some(first.url.clone()), first.alt.clone(), true),
            None => (author.icon_url.clone(), display_name_of(author), false),
        };
        Og {
            kind: "article",
            title: String::new(),
            description_html: "",
            image,
            image_alt,
            path: String::new(),
            large,
        }
    }

    fn json(self, data: &FedData) -> serde_json::Value {
        let base = data.settings.base_url();
        let description = profile::excerpt(self.description_html, OG_DESCRIPTION_LIMIT);
        json!({
            "site_name": data.settings.instance.name,
            "type": self.kind,
            "title": self.title,
            "description": description,
            "url": format!("{}{}", base.trim_end_matches('/'), self.path),
            "card": if self.large && self.image.is_some() { "summary_large_image" } else { "summary" },
            "image_alt": self.image_alt,
            "image": self.image,
        })
    }
}

/// An actor's display name as text, or its user name when it has none.
fn display_name_of(actor: &ActorRow) -> String {
    if actor.display_name.is_empty() {
        actor.username.clone()
    } else {
        text::strip_html(&actor.display_name)
    }
}
