//! The HTTP server loop: hyper's HTTP/1.1 connection with the timeouts that
//! `axum::serve` does not let us set.
//!
//! - Headers must arrive within `limits.request_header_timeout_secs`, or the
//!   connection is closed: a client that sends half a request and waits
//!   (slowloris) holds a connection only that long.
//! - A body that stops arriving for `limits.request_body_timeout_secs` makes
//!   the request fail (tower-http's `RequestBodyTimeout`, which times the wait
//!   for each next piece of the body).
//! - Every request carries its TCP peer address as `ConnectInfo`, for the
//!   per-address rate limits ([`super::ClientAddr`]).
//! - A request is handled to its end even when the client hangs up.
//!
//! HTTP/1.1 only, as kuvend serves behind a TLS-terminating proxy or to
//! servers that speak HTTP/1.1 in plain text; `axum::serve` also accepted
//! HTTP/2 with prior knowledge, which no fediverse peer sends.

use axum::{
    Router, extract::ConnectInfo, http::StatusCode, response::IntoResponse, serve::Listener,
};
use hyper::{Request, body::Incoming};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use std::{convert::Infallible, future::Future, net::SocketAddr, time::Duration};
use tokio::net::TcpListener;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::timeout::RequestBodyTimeoutLayer;

/// How long the server gives a client to send parts of a request.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// To send the whole request line and headers.
    pub header: Duration,
    /// Between two pieces of the body.
    pub body: Duration,
}

/// Serves `app` on `listener` until `shutdown` completes, then waits for the
/// requests in progress to finish.
pub async fn serve(
    mut listener: TcpListener,
    app: Router,
    timeouts: Timeouts,
    shutdown: impl Future<Output = ()>,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // Listener::accept retries on its own after errors such as EMFILE.
        let (stream, peer) = tokio::select! {
            accepted = Listener::accept(&mut listener) => accepted,
            () = &mut shutdown => break,
        };
        let app = ServiceBuilder::new()
            .layer(RequestBodyTimeoutLayer::new(timeouts.body))
            .service(app.clone());
        let service = tower::service_fn(move |mut request: Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            // Each request runs to its end in a task of its own, even if the
            // client hangs up: dropping a handler midway returned SQLite
            // connections to the pool while their query still ran (a panic
            // in diesel-async's pool, and the connection lost), and could
            // abandon an inbox batch that other requests wait for.
            let handled = tokio::spawn(app.clone().oneshot(request));
            async move {
                Ok::<_, Infallible>(match handled.await {
                    Ok(Ok(response)) => response,
                    Ok(Err(never)) => match never {},
                    Err(error) => {
                        tracing::error!(%error, "request handler failed");
                        StatusCode::INTERNAL_SERVER_ERROR.into_response()
                    }
                })
            }
        });
        let connection =
            builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // Clients that go away, and those closed for being too slow,
            // end here; neither is the server's failure.
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
