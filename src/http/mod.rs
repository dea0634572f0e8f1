//! HTTP: the only layer that knows axum. Handlers parse, call a service and
//! shape the response; errors become responses in `error`.

pub mod activitypub;
pub mod error;
pub mod mastodon;
pub mod media;
pub mod pages;
pub mod server;
pub mod wellknown;

use crate::{context::Kuvend, service::inbox::InboxWriter};
use activitypub_federation::config::{FederationConfig, FederationMiddleware};
use axum::{
    Extension, Router,
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, HeaderValue, header, request::Parts},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::Serialize;
use std::{
    convert::Infallible,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Arc,
};

/// The content type of ActivityPub documents we serve.
pub const ACTIVITY_JSON: &str = "application/activity+json; charset=utf-8";

/// The whole application. One inbox writer per instance: activities
/// arriving at any inbox route are committed together (see `InboxWriter`).
pub fn router(config: FederationConfig<Kuvend>) -> Router {
    let inbox_writer = Arc::new(InboxWriter::default());
    Router::new()
        .route("/", get(pages::index))
        .route("/.well-known/webfinger", get(wellknown::webfinger))
        .route("/.well-known/host-meta", get(wellknown::host_meta))
        .route("/.well-known/nodeinfo", get(wellknown::nodeinfo_links))
        .route("/nodeinfo/2.1", get(wellknown::nodeinfo))
        .route("/actor", get(activitypub::instance_actor))
        .route("/actor/inbox", post(activitypub::shared_inbox))
        .route("/inbox", post(activitypub::shared_inbox))
        .route("/users/{username}", get(activitypub::actor))
        .route("/users/{username}/inbox", post(activitypub::actor_inbox))
        .route("/users/{username}/outbox", get(activitypub::outbox))
        .route("/users/{username}/followers", get(activitypub::followers))
        .route("/users/{username}/following", get(activitypub::following))
        .route("/users/{username}/members", get(activitypub::members))
        .route("/users/{username}/moderators", get(activitypub::moderators))
        .route("/users/{username}/members/{uuid}", get(activitypub::member))
        .route(
            "/users/{username}/collections/featured",
            get(activitypub::featured),
        )
        .route("/users/{username}/statuses/{id}", get(activitypub::post))
        .route(
            "/users/{username}/statuses/{id}/activity",
            get(activitypub::post_activity),
        )
        .route(
            "/users/{username}/relays/{id}/{shape}",
            get(activitypub::relay),
        )
        .route(
            "/users/{username}/statuses/{id}/participants",
            get(activitypub::participants),
        )
        .route("/tags/{tag}", get(pages::tag))
        .route("/events", get(pages::events))
        .route("/events.ics", get(pages::instance_calendar))
        .route("/static/local-time.js", get(pages::local_time_js))
        .route("/{profile}", get(pages::profile))
        .route("/{profile}/events.ics", get(pages::organisation_calendar))
        .route("/{profile}/campaigns/{tag}", get(pages::campaign))
        .route("/{profile}/{id}", get(pages::post))
        .merge(mastodon::router())
        .merge(media::routes())
        .fallback(pages::not_found)
        .layer(axum::middleware::map_response(security_headers))
        .layer(Extension(inbox_writer))
        .layer(FederationMiddleware::new(config))
}

/// What every HTML page may load: its own inline styles and images, and
/// nothing else; no script at all (only event pages load one, under
/// [`HTML_CSP_OWN_SCRIPT`]), no framing, no
/// `<base>` rewriting. Remote HTML in posts is sanitised as well; this is the
/// second wall if a sanitiser ever lets something through.
const HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https: http:; \
    frame-ancestors 'none'; base-uri 'none'";

/// The CSP of a page that loads our own script (an event page's
/// `/static/local-time.js`): scripts from this origin only, never inline
/// ones or `eval`; with `nosniff` on every response, only what we serve as
/// JavaScript can run. Trusted Types refuse HTML written into the DOM by
/// script (ours writes text only).
const HTML_CSP_OWN_SCRIPT: &str = "default-src 'none'; script-src 'self'; \
    style-src 'unsafe-inline'; img-src 'self' https: http:; frame-ancestors 'none'; \
    base-uri 'none'; require-trusted-types-for 'script'";

/// Put in a page response's extensions by a handler whose page loads our
/// own script: the security headers then allow `script-src 'self'` for that
/// page alone, and every other page keeps allowing no script at all.
#[derive(Debug, Clone, Copy)]
pub struct OwnScript;

/// Security headers: on every response, no content-type sniffing; on HTML
/// pages also the CSP above, no framing by other sites, and no full URL in
/// the `Referer` sent to other sites.
async fn security_headers(mut response: Response) -> Response {
    let csp = if response.extensions().get::<OwnScript>().is_some() {
        HTML_CSP_OWN_SCRIPT
    } else {
        HTML_CSP
    };
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
    }
    response
}

/// Whether the client asked for ActivityPub JSON rather than a page.
pub fn wants_activity_json(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/activity+json") || v.contains("application/ld+json"))
}

/// A document served as `application/activity+json`.
pub fn activity_json<T: Serialize>(document: &T) -> Response {
    let mut response = axum::Json(document).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(ACTIVITY_JSON),
    );
    response
}

/// The client's address, for per-address rate limits: the TCP peer, as
/// [`server::serve`] records it on every request. Behind a reverse proxy this
/// is the proxy's address, shared by all clients (see `[limits]` in
/// config/default.toml). A request that did not come through the server (an
/// in-process call) counts as from 0.0.0.0.
pub struct ClientAddr(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| {
                    info.0.ip().to_canonical()
                }),
        ))
    }
}
