//! Every fetch of a remote document (actors, keys, notes, WebFinger) goes
//! through here: a GET signed by the instance actor with aws-lc-rs (the
//! `rsa` crate activitypub_federation signs with carries RUSTSEC-2023-0071),
//! through the checked client of [`super::client`], with a bounded body, a
//! checked content type, and the document's `id` checked against where it
//! came from, as activitypub_federation's `fetch_object_http` did.
//!
//! Fetches are also where a hostile request can make us work for it, so they
//! are limited here: per remote host for fetches that anyone can trigger by
//! naming an unknown actor or key ([`Budget::PerHost`]), a global cap on
//! fetches in flight, and a negative cache so that a failure is not asked
//! again for `limits.fetch_failure_cache_secs`.

use crate::{
    config::Settings,
    context::Kuvend,
    limits::{self, KeyedLimit, RetryAfter},
};
use http::{HeaderValue, StatusCode, header};
use serde::{Deserialize, de::DeserializeOwned};
use std::{
    sync::{Arc, OnceLock},
    time::{Duration, SystemTime},
};
use tokio::sync::Semaphore;
use url::Url;

/// The largest document we read: activitypub_federation's bound too. Actor
/// documents and notes are a few kilobytes; anything near this is hostile.
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;

/// What we ask for when fetching an ActivityPub object (Mastodon sends the same).
pub const ACTIVITY_ACCEPT: &str = r#"application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams""#;

/// What we ask for when fetching a plain JSON document (NodeInfo).
const JSON_ACCEPT: &str = "application/json";

/// What we ask for when fetching a WebFinger document.
const JRD_ACCEPT: &str = "application/jrd+json, application/json";

/// Failures remembered at once; past it, the least used are forgotten first.
const MAX_REMEMBERED_FAILURES: u64 = 10_000;

/// Whether a fetch counts against the per-host limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// An actor or key not known yet, or a known one fetched again because a
    /// signature did not verify: anyone can make us do these by naming a
    /// URL, so each remote host gets `limits.fetches_per_host_per_minute`.
    PerHost,
    /// Fetches only a verified sender or a local user can cause (notes given
    /// by id, parents of a note, refreshing a stored actor): not counted, but
    /// still under the global cap and the negative cache.
    Unlimited,
}

/// Why a fetch did not deliver a usable document. The text is safe to show.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    #[error("too many fetches from {host} just now; try again in {} s", .retry.seconds())]
    RateLimited { host: String, retry: RetryAfter },
    #[error("too many fetches in flight; try again shortly")]
    Busy,
    #[error("{what} failed recently ({reason}); not asked again yet")]
    RecentlyFailed { what: String, reason: Arc<str> },
    #[error("{url} cannot be fetched: {reason}")]
    Refused { url: String, reason: &'static str },
    #[error("{0} is on this instance")]
    Local(String),
    #[error("{0} is gone (HTTP 410)")]
    Gone(String),
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("{url}: {reason}")]
    Network { url: String, reason: String },
    #[error("{url} has content type {content_type:?}, not {expected}")]
    ContentType {
        url: String,
        content_type: String,
        expected: &'static str,
    },
    #[error("{url} is larger than {limit} bytes")]
    TooLarge { url: String, limit: usize },
    #[error("{url} is not a valid document: {reason}")]
    Parse { url: String, reason: String },
    #[error("{url} served a document whose id is {id}")]
    WrongId { url: String, id: String },
    #[error("cannot sign the fetch: {0}")]
    Signing(String),
}

impl FetchError {
    /// What a failure says about the future, for the negative cache: the host
    /// is down or overloaded (every URL on it waits), or this one document is
    /// bad (only it waits), or nothing was asked (nothing to remember).
    fn remembered_as(&self) -> Option<Remembered> {
        match self {
            FetchError::Network { .. } => Some(Remembered::Host),
            FetchError::Status { status, .. } if *status >= 500 || *status == 429 => {
                Some(Remembered::Host)
            }
            FetchError::Status { .. }
            | FetchError::Gone(_)
            | FetchError::ContentType { .. }
            | FetchError::TooLarge { .. }
            | FetchError::Parse { .. }
            | FetchError::WrongId { .. } => Some(Remembered::Url),
            FetchError::RateLimited { .. }
            | FetchError::Busy
            | FetchError::RecentlyFailed { .. }
            | FetchError::Refused { .. }
            | FetchError::Local(_)
            | FetchError::Signing(_) => None,
        }
    }

    /// Over a limit of ours: the caller may try again later (429), as
    /// opposed to a failure of the remote side.
    pub fn retry_after(&self) -> Option<RetryAfter> {
        match self {
            FetchError::RateLimited { retry, .. } => Some(*retry),
            FetchError::Busy => Some(RetryAfter(Duration::from_secs(1))),
            _ => None,
        }
    }
}

enum Remembered {
    Host,
    Url,
}

/// The key the instance signs its fetches with: the instance actor's.
#[derive(Debug, Clone)]
pub struct Signer {
    pub key_id: String,
    pub private_key_pem: String,
}

/// The fetch state of one instance: its limits and what failed recently.
pub struct Fetcher {
    per_host: Option<Arc<KeyedLimit<String>>>,
    /// Hosts (`host:` keys) and documents (`url:` keys) that failed, with the
    /// reason; each entry expires after `fetch_failure_cache_secs`.
    failures: Option<moka::future::Cache<String, Arc<str>>>,
    slots: Semaphore,
    /// How long a fetch waits for a slot before giving up.
    slot_wait: Duration,
    signer: OnceLock<Signer>,
}

impl Fetcher {
    pub fn new(settings: &Settings) -> Fetcher {
        let limits = &settings.limits;
        let failures = (limits.fetch_failure_cache_secs > 0).then(|| {
            moka::future::Cache::builder()
                .max_capacity(MAX_REMEMBERED_FAILURES)
                .time_to_live(Duration::from_secs(limits.fetch_failure_cache_secs))
                .build()
        });
        Fetcher {
            per_host: KeyedLimit::new(limits.fetches_per_host_per_minute, Duration::from_secs(60)),
            failures,
            slots: Semaphore::new(limits.fetches_concurrent),
            slot_wait: Duration::from_secs(settings.federation.request_timeout_secs),
            signer: OnceLock::new(),
        }
    }

    /// Sets the key fetches are signed with (once, at start-up).
    pub fn set_signer(&self, signer: Signer) {
        let _ = self.signer.set(signer);
    }

    async fn recent_failure(&self, url: &Url) -> Result<(), FetchError> {
        let Some(failures) = &self.failures else {
            return Ok(());
        };
        for (key, what) in [
            (host_key(url), host_of(url)),
            (url_key(url), url.to_string()),
        ] {
            if let Some(reason) = failures.get(&key).await {
                return Err(FetchError::RecentlyFailed { what, reason });
            }
        }
        Ok(())
    }

    /// Remembers a failure of the document at `url` itself (a wrong type,
    /// id or shape found after the request), not of its host.
    async fn remember_document(&self, url: &Url, error: &FetchError) {
        if matches!(error.remembered_as(), Some(Remembered::Url)) {
            self.remember(url, error).await;
        }
    }

    async fn remember(&self, url: &Url, error: &FetchError) {
        let (Some(failures), Some(kind)) = (&self.failures, error.remembered_as()) else {
            return;
        };
        let key = match kind {
            Remembered::Host => host_key(url),
            Remembered::Url => url_key(url),
        };
        failures.insert(key, error.to_string().into()).await;
    }
}

fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or_default().to_ascii_lowercase()
}

/// The key of a whole server's failure: host and port, so that a failure
/// an attacker provokes on a closed port of a host (`victim.example:1`) does
/// not hold back fetches from the server on its real port.
fn host_key(url: &Url) -> String {
    format!(
        "host:{}:{}",
        host_of(url),
        url.port_or_known_default().unwrap_or_default()
    )
}

fn url_key(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    format!("url:{url}")
}

/// A fetched document and the URL it was finally served from (after a redirect).
#[derive(Debug, Clone)]
pub struct Fetched<T> {
    pub object: T,
    pub url: Url,
}

/// Fetches an ActivityPub object. Its `id` must be the URL it was served from
/// (after at most one redirect); an `id` elsewhere on the same host is
/// fetched once from there instead, and an `id` on another host is refused:
/// a server speaks only for its own documents.
pub async fn fetch_object<T: DeserializeOwned>(
    ctx: &Kuvend,
    url: &Url,
    budget: Budget,
) -> Result<Fetched<T>, FetchError> {
    let result = fetch_checked(ctx, url, budget).await;
    if let Err(error) = &result {
        ctx.fetcher.remember_document(url, error).await;
    }
    result
}

async fn fetch_checked<T: DeserializeOwned>(
    ctx: &Kuvend,
    url: &Url,
    budget: Budget,
) -> Result<Fetched<T>, FetchError> {
    let raw = get(ctx, url, ACTIVITY_ACCEPT, budget).await?;
    check_activity_content_type(&raw)?;
    let id = document_id(&raw)?;
    if id == raw.url {
        return parse(raw);
    }
    if same_origin(&id, &raw.url) {
        // Mastodon serves an account at /@name with id /users/name, for one.
        let again = get(ctx, &id, ACTIVITY_ACCEPT, Budget::Unlimited).await?;
        check_activity_content_type(&again)?;
        let id = document_id(&again)?;
        if id == again.url {
            return parse(again);
        }
        return Err(FetchError::WrongId {
            url: again.url.to_string(),
            id: id.to_string(),
        });
    }
    Err(FetchError::WrongId {
        url: raw.url.to_string(),
        id: id.to_string(),
    })
}

/// Fetches a plain JSON document that is not an ActivityPub object
/// (NodeInfo and its discovery document): any JSON media type, no `id`
/// check (the caller checks where it came from with [`Fetched::url`]).
pub async fn fetch_json<T: DeserializeOwned>(
    ctx: &Kuvend,
    url: &Url,
    budget: Budget,
) -> Result<Fetched<T>, FetchError> {
    let raw = get(ctx, url, JSON_ACCEPT, budget).await?;
    let media = media_type(&raw);
    if media != "application/json" && !media.ends_with("+json") {
        return Err(FetchError::ContentType {
            url: raw.url.to_string(),
            content_type: raw.content_type.unwrap_or_default(),
            expected: "application/json",
        });
    }
    parse(raw)
}

/// Fetches a text document (a CSV block list) of at most `max` bytes,
/// through the same checks as every fetch (http(s) only, a host name, the
/// client's address check, the domain policy, at most one redirect). Not
/// counted per host: only the admin names these URLs.
pub async fn fetch_text(ctx: &Kuvend, url: &Url, max: usize) -> Result<String, FetchError> {
    let raw = get_within(ctx, url, "text/csv, text/plain", Budget::Unlimited, max).await?;
    // An HTML answer is an error page or a login wall, never a list: read
    // as one it would have no entries and retract every block.
    let media = media_type(&raw);
    if media == "text/html" || media == "application/xhtml+xml" {
        return Err(FetchError::ContentType {
            url: raw.url.to_string(),
            content_type: raw.content_type.unwrap_or_default(),
            expected: "text/csv or text/plain",
        });
    }
    String::from_utf8(raw.body).map_err(|_| FetchError::Parse {
        url: raw.url.to_string(),
        reason: "not UTF-8 text".into(),
    })
}

/// Fetches an HTML page of at most `max` bytes (a profile field's link,
/// checked for `rel="me"`), through the same checks as every fetch and
/// counted per host: anyone can put a URL in their profile fields.
/// Returns the page and the URL it was finally served from.
pub async fn fetch_html(
    ctx: &Kuvend,
    url: &Url,
    max: usize,
) -> Result<Fetched<String>, FetchError> {
    let raw = get_within(
        ctx,
        url,
        "text/html, application/xhtml+xml",
        Budget::PerHost,
        max,
    )
    .await?;
    let media = media_type(&raw);
    if media != "text/html" && media != "application/xhtml+xml" {
        return Err(FetchError::ContentType {
            url: raw.url.to_string(),
            content_type: raw.content_type.unwrap_or_default(),
            expected: "text/html",
        });
    }
    // A page in another encoding is read leniently: the links we look for
    // are ASCII in every encoding a page may use.
    Ok(Fetched {
        object: String::from_utf8_lossy(&raw.body).into_owned(),
        url: raw.url,
    })
}

/// What we ask for when fetching a remote image for the media proxy.
const IMAGE_ACCEPT: &str = "image/jpeg, image/png, image/webp, image/gif";

/// Fetches a remote media file (issue 16's proxy) of at most `max` bytes
/// within `timeout`, through the same checks as every fetch (http(s) only, a
/// host name, the client's address check against private networks, the
/// domain policy, at most one redirect, the negative cache). Its content
/// type is not trusted: the caller decodes and re-encodes what it gets. Not
/// counted per host: only URLs we signed into our own API answers reach
/// here.
pub async fn fetch_bytes(
    ctx: &Kuvend,
    url: &Url,
    max: usize,
    timeout: Duration,
) -> Result<Vec<u8>, FetchError> {
    let fetched = tokio::time::timeout(
        timeout,
        get_within(ctx, url, IMAGE_ACCEPT, Budget::Unlimited, max),
    )
    .await
    .map_err(|_| FetchError::Network {
        url: url.to_string(),
        reason: format!("no answer within {} s", timeout.as_secs()),
    })??;
    Ok(fetched.body)
}

/// Finds the actor URL for a handle (`user@host`) with WebFinger, asking
/// `/.well-known/webfinger?resource=acct:user@host` on the handle's host.
pub async fn webfinger(ctx: &Kuvend, handle: &str) -> Result<Url, FetchError> {
    let (url, result) = webfinger_checked(ctx, handle).await;
    if let (Some(url), Err(error)) = (url, &result) {
        ctx.fetcher.remember_document(&url, error).await;
    }
    result
}

/// The WebFinger URL asked (once the handle is valid) and the outcome.
async fn webfinger_checked(ctx: &Kuvend, handle: &str) -> (Option<Url>, Result<Url, FetchError>) {
    let refused = |reason| FetchError::Refused {
        url: handle.to_string(),
        reason,
    };
    let Some((user, domain)) = handle.split_once('@') else {
        return (None, Err(refused("not a handle like user@host")));
    };
    if user.is_empty()
        || user
            .chars()
            .any(|c| c.is_whitespace() || "/?#@:%&=".contains(c))
    {
        return (
            None,
            Err(refused("the user part of the handle is not valid")),
        );
    }
    let scheme = if ctx.settings.instance.https {
        "https"
    } else {
        "http"
    };
    let Ok(mut url) = Url::parse(&format!("{scheme}://{domain}/.well-known/webfinger")) else {
        return (None, Err(refused("the host of the handle is not valid")));
    };
    // The host must be the whole of what follows the `@`: no path, user or
    // query smuggled into the request through the handle.
    if !url.authority().eq_ignore_ascii_case(domain) {
        return (None, Err(refused("the host of the handle is not valid")));
    }
    url.query_pairs_mut()
        .append_pair("resource", &format!("acct:{user}@{domain}"));
    let result = webfinger_link(ctx, &url).await;
    (Some(url), result)
}

async fn webfinger_link(ctx: &Kuvend, url: &Url) -> Result<Url, FetchError> {
    let raw = get(ctx, url, JRD_ACCEPT, Budget::PerHost).await?;
    let media = media_type(&raw);
    if media != "application/jrd+json" && media != "application/json" {
        return Err(FetchError::ContentType {
            url: raw.url.to_string(),
            content_type: raw.content_type.unwrap_or_default(),
            expected: "application/jrd+json",
        });
    }
    let jrd: Fetched<Jrd> = parse(raw)?;
    actor_link(jrd.object).ok_or_else(|| FetchError::Parse {
        url: jrd.url.to_string(),
        reason: "no ActivityPub link (rel \"self\") in the WebFinger document".into(),
    })
}

/// The actor's URL in a WebFinger document: its ActivityPub `self` link.
fn actor_link(jrd: Jrd) -> Option<Url> {
    jrd.links
        .into_iter()
        .find(|link| {
            link.rel.as_deref() == Some("self")
                && link.kind.as_deref().is_some_and(|t| {
                    t.starts_with("application/activity+json")
                        || t.starts_with("application/ld+json")
                })
        })
        .and_then(|link| link.href)
}

/// A WebFinger response body read as [`webfinger`] reads it, for the fuzz
/// targets (`kuvend::fuzzing`): the actor link, if the document has one.
#[doc(hidden)]
pub fn webfinger_document(body: &[u8]) -> Option<Url> {
    serde_json::from_slice::<Jrd>(body)
        .ok()
        .and_then(actor_link)
}

/// A WebFinger document (RFC 7033), as far as we read it.
#[derive(Debug, Deserialize)]
struct Jrd {
    /// The links of the subject; we use the ActivityPub `self` link.
    #[serde(default)]
    links: Vec<JrdLink>,
}

#[derive(Debug, Deserialize)]
struct JrdLink {
    /// The relation, `self` for the actor document.
    rel: Option<String>,
    /// The media type of the target, `application/activity+json` for an actor.
    #[serde(rename = "type")]
    kind: Option<String>,
    /// The target; not every link has one (templates do not).
    href: Option<Url>,
}

/// A response read within bounds.
struct Raw {
    url: Url,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn media_type(raw: &Raw) -> String {
    raw.content_type
        .as_deref()
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Only ActivityPub content types: a server that also hosts uploads must not
/// have an uploaded `.json` file taken for one of its actors (Mastodon's
/// GHSA-jhrq-qvrm-qr36). The same types our inbox accepts.
fn check_activity_content_type(raw: &Raw) -> Result<(), FetchError> {
    let media = media_type(raw);
    let full = raw.content_type.as_deref().unwrap_or_default();
    if media == "application/activity+json"
        || (media == "application/ld+json"
            && full.contains("https://www.w3.org/ns/activitystreams"))
    {
        Ok(())
    } else {
        Err(FetchError::ContentType {
            url: raw.url.to_string(),
            content_type: full.to_string(),
            expected: "application/activity+json",
        })
    }
}

fn document_id(raw: &Raw) -> Result<Url, FetchError> {
    #[derive(Deserialize)]
    struct Id {
        id: Url,
    }
    serde_json::from_slice::<Id>(&raw.body)
        .map(|d| d.id)
        .map_err(|e| FetchError::Parse {
            url: raw.url.to_string(),
            reason: format!("no id: {e}"),
        })
}

fn parse<T: DeserializeOwned>(raw: Raw) -> Result<Fetched<T>, FetchError> {
    match serde_json::from_slice(&raw.body) {
        Ok(object) => Ok(Fetched {
            object,
            url: raw.url,
        }),
        // serde's message names the field and position, never the body.
        Err(e) => Err(FetchError::Parse {
            url: raw.url.to_string(),
            reason: e.to_string(),
        }),
    }
}

/// Whether two URLs are on the same server (scheme, host, port): the
/// server an object lives on speaks for it.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && host_of(a) == host_of(b)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Whether a URL may be fetched at all: http(s) (plain http only when the
/// instance itself runs without https, i.e. in tests), a host name (an
/// address literal is how SSRF starts), no credentials, and not this
/// instance (its documents are in the database). Ports are allowed, as on
/// other servers; what protects the operator's network is the address check
/// of the client's resolver, which every port goes through.
fn check_url(ctx: &Kuvend, url: &Url) -> Result<(), FetchError> {
    let refused = |reason| FetchError::Refused {
        url: url.to_string(),
        reason,
    };
    let https = ctx.settings.instance.https;
    match url.scheme() {
        "https" => {}
        "http" if !https => {}
        _ => return Err(refused("only https URLs are fetched")),
    }
    if !matches!(url.host(), Some(url::Host::Domain(_))) {
        return Err(refused("the host must be a name, not an address"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(refused("credentials in the URL are not allowed"));
    }
    if super::actors::authority(url) == ctx.settings.instance.domain {
        return Err(FetchError::Local(url.to_string()));
    }
    Ok(())
}

/// Refuses, without a request, a URL on a host we do not federate with
/// (suspended, or not allow-listed in allow-list mode; issue 15).
async fn check_policy(ctx: &Kuvend, url: &Url) -> Result<(), FetchError> {
    match ctx.policy().await.refusal(&super::actors::authority(url)) {
        Some(reason) => Err(FetchError::Refused {
            url: url.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A signed GET of `url`, following at most one redirect (checked like the
/// first URL), answered with a 2xx within [`MAX_DOCUMENT_BYTES`].
async fn get(ctx: &Kuvend, url: &Url, accept: &str, budget: Budget) -> Result<Raw, FetchError> {
    get_within(ctx, url, accept, budget, MAX_DOCUMENT_BYTES).await
}

/// [`get`] with another bound on the body (block lists are larger than
/// documents).
async fn get_within(
    ctx: &Kuvend,
    url: &Url,
    accept: &str,
    budget: Budget,
    max: usize,
) -> Result<Raw, FetchError> {
    let fetcher = &ctx.fetcher;
    check_url(ctx, url)?;
    check_policy(ctx, url).await?;
    fetcher.recent_failure(url).await?;
    if budget == Budget::PerHost {
        let host = host_of(url);
        limits::check(&fetcher.per_host, &host)
            .map_err(|retry| FetchError::RateLimited { host, retry })?;
    }
    // Held for the whole fetch, redirect included.
    let _slot = tokio::time::timeout(fetcher.slot_wait, fetcher.slots.acquire())
        .await
        .map_err(|_| FetchError::Busy)?
        .map_err(|_| FetchError::Busy)?;
    let first = match request(ctx, url, accept, max).await {
        Ok(answer) => answer,
        Err(error) => {
            fetcher.remember(url, &error).await;
            return Err(error);
        }
    };
    let target = match first {
        Answer::Document(raw) => return Ok(raw),
        Answer::Redirect(target) => target,
    };
    check_url(ctx, &target)?;
    check_policy(ctx, &target).await?;
    fetcher.recent_failure(&target).await?;
    match request(ctx, &target, accept, max).await {
        Ok(Answer::Document(raw)) => Ok(raw),
        Ok(Answer::Redirect(_)) => Err(FetchError::Refused {
            url: target.to_string(),
            reason: "more than one redirect",
        }),
        Err(error) => {
            fetcher.remember(&target, &error).await;
            Err(error)
        }
    }
}

enum Answer {
    Document(Raw),
    Redirect(Url),
}

/// One signed request, and its answer read within bounds.
async fn request(ctx: &Kuvend, url: &Url, accept: &str, max: usize) -> Result<Answer, FetchError> {
    let signer = ctx
        .fetcher
        .signer
        .get()
        .ok_or_else(|| FetchError::Signing("no instance actor key".into()))?;
    let key = ctx
        .keys
        .private_key(&signer.private_key_pem)
        .map_err(|e| FetchError::Signing(e.to_string()))?;
    let signed = super::signatures::sign(&key, &signer.key_id, "GET", url, None, SystemTime::now())
        .map_err(|e| FetchError::Signing(e.to_string()))?;
    let network = |e: reqwest::Error| FetchError::Network {
        url: url.to_string(),
        reason: super::client::error_chain(&e),
    };
    let mut response = ctx
        .http
        .get(url.clone())
        .header(header::ACCEPT, accept)
        .header(header::DATE, signed.date)
        .header("signature", signed.signature)
        .send()
        .await
        .map_err(network)?;
    let status = response.status();
    if status.is_redirection() {
        if let Some(location) = response
            .headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
        {
            let target = url.join(location).map_err(|_| FetchError::Refused {
                url: location.chars().take(200).collect(),
                reason: "the redirect target is not a URL",
            })?;
            return Ok(Answer::Redirect(target));
        }
    }
    if status == StatusCode::GONE {
        return Err(FetchError::Gone(url.to_string()));
    }
    if !status.is_success() {
        return Err(FetchError::Status {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        limit: max,
    };
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(str::to_string);
    // Read chunk by chunk: a server that lies about (or omits) its length
    // cannot make us hold more than the bound.
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(network)? {
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Answer::Document(Raw {
        url: url.clone(),
        content_type,
        body,
    }))
}
