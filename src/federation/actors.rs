//! Actor rows ↔ actor documents, and fetching remote actors.

use super::{
    FederationError,
    fetch::{self, Budget},
    protocol::actor::{ActorJson, EndpointsJson, ImageJson, PropertyValueJson, PublicKeyJson},
    urls::Urls,
};
use crate::context::Kuvend;
use crate::model::ActorKind;
use crate::sanitize;
use crate::storage::{
    models::{ActorRow, NewActor},
    now,
};
use chrono::{DateTime, Utc};
use url::Url;

/// How long a stored remote actor is used as it is; after that its document
/// is fetched again when it is next needed (activitypub_federation's
/// interval, which it shortened to 20 s in debug builds; we do not).
pub const ACTOR_REFRESH: chrono::TimeDelta = chrono::TimeDelta::hours(24);

/// The wire type for a kind of actor.
pub fn ap_type(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::Organization => "Organization",
        ActorKind::Coalition => "Group",
        ActorKind::Person => "Person",
        ActorKind::Application => "Application",
        ActorKind::Service => "Service",
    }
}

fn kind_of_type(ap_type: &str) -> ActorKind {
    match ap_type {
        "Organization" => ActorKind::Organization,
        "Group" => ActorKind::Coalition,
        "Application" => ActorKind::Application,
        "Service" => ActorKind::Service,
        _ => ActorKind::Person,
    }
}

fn parse(url: &str) -> Option<Url> {
    Url::parse(url).ok()
}

/// The document of a local actor.
pub fn local_actor_json(row: &ActorRow, urls: &Urls) -> ActorJson {
    let is_instance = row.kind() == ActorKind::Application;
    ActorJson {
        id: parse(&row.ap_id).unwrap_or_else(|| urls.actor(&row.username)),
        kind: row.ap_type.clone(),
        preferred_username: row.username.clone(),
        name: Some(row.display_name.clone()),
        summary: Some(row.summary.clone()),
        url: row.profile_url.as_deref().and_then(parse),
        icon: row.icon_url.as_deref().and_then(image_json),
        image: row.image_url.as_deref().and_then(image_json),
        inbox: parse(&row.inbox_url).unwrap_or_else(|| urls.inbox(&row.username)),
        outbox: row.outbox_url.as_deref().and_then(parse),
        followers: row.followers_url.as_deref().and_then(parse),
        following: row.following_url.as_deref().and_then(parse),
        featured: (!is_instance).then(|| urls.featured(&row.username)),
        endpoints: Some(EndpointsJson {
            shared_inbox: Some(urls.shared_inbox()),
            members: None,
        }),
        manually_approves_followers: row.manually_approves_followers,
        discoverable: Some(row.discoverable),
        indexable: Some(row.discoverable),
        published: Some(DateTime::<Utc>::from_naive_utc_and_offset(
            row.published_at,
            Utc,
        )),
        attachment: super::fields::fields_of(row)
            .into_iter()
            .map(|f| PropertyValueJson {
                kind: "PropertyValue".into(),
                name: f.name,
                value: f.value_html,
            })
            .collect(),
        members: None,
        moderators: None,
        attributed_to: None,
        openness: None,
        member_count: None,
        posting_restricted_to_mods: None,
        public_key: PublicKeyJson {
            id: row.public_key_id.clone(),
            owner: parse(&row.ap_id).unwrap_or_else(|| urls.actor(&row.username)),
            public_key_pem: row.public_key_pem.clone(),
        },
    }
}

/// An `Image` for a local actor's avatar or header. Our uploads are stored
/// under names we chose, ending in the extension of the format we wrote, so
/// the media type follows from it.
fn image_json(url: &str) -> Option<ImageJson> {
    let url = parse(url)?;
    let media_type = match url.path().rsplit('.').next().map(str::to_ascii_lowercase) {
        Some(ext) if ext == "png" => Some("image/png"),
        Some(ext) if ext == "jpg" || ext == "jpeg" => Some("image/jpeg"),
        Some(ext) if ext == "gif" => Some("image/gif"),
        Some(ext) if ext == "webp" => Some("image/webp"),
        _ => None,
    };
    Some(ImageJson {
        kind: "Image".into(),
        media_type: media_type.map(String::from),
        url,
    })
}

/// The document of a local coalition: a `Group` with the collections and
/// words group-aware servers read (docs/coalitions.md). `member_count` is
/// shown whatever the member list's visibility (Mobilizon does the same).
pub fn coalition_actor_json(row: &ActorRow, urls: &Urls, member_count: i64) -> ActorJson {
    let mut json = local_actor_json(row, urls);
    let members = urls.members(&row.username);
    let moderators = urls.moderators(&row.username);
    if let Some(endpoints) = json.endpoints.as_mut() {
        endpoints.members = Some(members.clone());
    }
    json.members = Some(members);
    json.attributed_to = Some(moderators.clone());
    json.moderators = Some(moderators);
    // With manual approval a coalition takes join requests (`Join`,
    // decided by its admins); otherwise organisations come in by
    // invitation only. Follows stay follows either way (pitfall 15).
    json.openness = Some(
        if row.manually_approves_followers {
            "moderated"
        } else {
            "invite_only"
        }
        .into(),
    );
    json.member_count = Some(member_count);
    // Only admins will speak as the coalition (relaying is the next issue).
    json.posting_restricted_to_mods = Some(true);
    json
}

/// `host[:port]` of a URL, the form domains are stored and compared in.
pub fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{}:{port}", host.to_ascii_lowercase()),
        (Some(host), None) => host.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Checks a fetched actor document and turns it into a row to store. Every
/// URL the document names for itself must be on the host it came from, and
/// the key must be the actor's own: otherwise one server could speak for
/// another (a lesson several servers learned through advisories).
pub fn remote_actor_row(json: &ActorJson, fetched_from: &Url) -> Result<NewActor, FederationError> {
    // The id becomes a link in apps and pages (a `javascript://host/…` id
    // has a host like any other).
    if sanitize::http_url(&json.id).is_none() {
        return Err(FederationError::Invalid(format!(
            "actor id {} is not an http(s) URL",
            json.id
        )));
    }
    let host = authority(&json.id);
    if json.id != *fetched_from && authority(fetched_from) != host {
        return Err(FederationError::Invalid(format!(
            "actor {} was served by {}",
            json.id,
            authority(fetched_from)
        )));
    }
    let same_host = |what: &str, url: &Url| {
        if authority(url) == host {
            Ok(())
        } else {
            Err(FederationError::Invalid(format!(
                "{what} {url} is not on {host}"
            )))
        }
    };
    same_host("inbox", &json.inbox)?;
    if let Some(url) = json.outbox.as_ref() {
        same_host("outbox", url)?;
    }
    if let Some(shared) = json
        .endpoints
        .as_ref()
        .and_then(|e| e.shared_inbox.as_ref())
    {
        same_host("shared inbox", shared)?;
    }
    if json.public_key.owner != json.id {
        return Err(FederationError::Invalid(format!(
            "key {} is owned by {}, not by {}",
            json.public_key.id, json.public_key.owner, json.id
        )));
    }
    let key_id = Url::parse(&json.public_key.id)
        .map_err(|_| FederationError::Invalid("publicKey.id is not a URL".into()))?;
    same_host("key", &key_id)?;
    // The user name is shown in handles everywhere: letters, digits and
    // `_`, `.`, `-` (Mastodon allows fewer), never markup or separators.
    if json.preferred_username.is_empty()
        || json.preferred_username.len() > 255
        || !json
            .preferred_username
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(FederationError::Invalid("bad preferredUsername".into()));
    }
    let now = now();
    let kind = kind_of_type(&json.kind);
    Ok(NewActor {
        ap_id: json.id.to_string(),
        kind: kind.as_str().to_string(),
        ap_type: json.kind.clone(),
        username: json.preferred_username.clone(),
        username_key: json.preferred_username.to_lowercase(),
        domain: host,
        local: false,
        // Every field of another server's document is hostile: the name is
        // text, the summary goes through the same allow-list as notes, and
        // links are http(s) only (a `javascript:` url or icon is dropped).
        display_name: json
            .name
            .as_deref()
            .map(sanitize::plain)
            .unwrap_or_default(),
        summary: json
            .summary
            .as_deref()
            .map(sanitize::html)
            .unwrap_or_default(),
        profile_url: json
            .url
            .as_ref()
            .and_then(sanitize::http_url)
            .map(String::from),
        icon_url: json
            .icon
            .as_ref()
            .and_then(|i| sanitize::http_url(&i.url))
            .map(String::from),
        inbox_url: json.inbox.to_string(),
        shared_inbox_url: json
            .endpoints
            .as_ref()
            .and_then(|e| e.shared_inbox.as_ref())
            .map(Url::to_string),
        outbox_url: json.outbox.as_ref().map(Url::to_string),
        followers_url: json.followers.as_ref().map(Url::to_string),
        following_url: json.following.as_ref().map(Url::to_string),
        public_key_id: json.public_key.id.clone(),
        public_key_pem: json.public_key.public_key_pem.clone(),
        private_key_pem: None,
        image_url: json
            .image
            .as_ref()
            .and_then(|i| sanitize::http_url(&i.url))
            .map(String::from),
        // Fields are hostile HTML: bounded in number and length, cleaned.
        fields_json: super::fields::fields_json(&super::fields::remote_fields(
            json.attachment
                .iter()
                .map(|p| (p.name.as_str(), p.value.as_str())),
        )),
        manually_approves_followers: json.manually_approves_followers,
        discoverable: json.discoverable.unwrap_or(false),
        published_at: json.published.map(|p| p.naive_utc()).unwrap_or(now),
        fetched_at: Some(now),
        created_at: now,
        updated_at: now,
    })
}

/// Fetches a remote actor document (signed by the instance actor) and checks
/// it, without storing anything.
pub async fn fetch_remote_actor(
    ctx: &Kuvend,
    url: &Url,
    budget: Budget,
) -> Result<NewActor, FederationError> {
    let fetched = fetch::fetch_object::<ActorJson>(ctx, url, budget).await?;
    remote_actor_row(&fetched.object, &fetched.url)
}

/// The actor with this id: as stored, or fetched, checked and stored; what
/// activitypub_federation's `ObjectId::dereference` did. A local id is only
/// looked up. A stored remote actor older than [`ACTOR_REFRESH`] is fetched
/// again, and kept as it is if that fails (410 Gone included: a Delete
/// removes actors, not a failed refresh). An actor not stored yet counts
/// against the per-host fetch limit.
pub async fn actor_by_url(ctx: &Kuvend, url: &Url) -> Result<ActorRow, FederationError> {
    let stored = {
        let mut conn = ctx.db.conn().await?;
        conn.q().actor_by_ap_id(url.as_str()).await?
    };
    if authority(url) == ctx.settings.instance.domain {
        return stored.ok_or_else(|| FederationError::NotFound(format!("no actor {url} here")));
    }
    let new = match stored {
        Some(row) => {
            let refreshed = row.fetched_at.unwrap_or(row.updated_at);
            if now() - refreshed < ACTOR_REFRESH {
                return Ok(row);
            }
            match fetch_remote_actor(ctx, url, Budget::Unlimited).await {
                Ok(new) => new,
                Err(error) => {
                    tracing::info!(%error, "actor {url} not refreshed; using the stored copy");
                    return Ok(row);
                }
            }
        }
        None => fetch_remote_actor(ctx, url, Budget::PerHost).await?,
    };
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().upsert_remote_actor(&new).await?)
}
