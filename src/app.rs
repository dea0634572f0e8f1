//! Start-up: open the database, build the shared context, and run the HTTP
//! server with the delivery worker beside it.

use crate::{
    config::Settings,
    context::Kuvend,
    delivery,
    federation::{self, FedData, fetch::Signer},
    service::{ServiceError, instance::ensure_instance_actor},
    storage::{Db, StorageError},
};
use activitypub_federation::config::FederationConfig;
use std::{net::SocketAddr, time::Duration};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

/// Why the instance could not start. Each says what to fix, in one line.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Database(#[from] StorageError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot build the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("cannot prepare the instance actor: {0}")]
    InstanceActor(ServiceError),
    #[error("cannot set up federation: {0}")]
    Federation(#[from] federation::FederationError),
    #[error("cannot open the media store: {0}")]
    Media(#[from] crate::media::StoreError),
}

/// Everything an instance needs, without the HTTP server: what the admin
/// commands use too.
#[derive(Clone)]
pub struct Prepared {
    pub ctx: Kuvend,
    pub federation: FederationConfig<Kuvend>,
}

impl Prepared {
    pub fn data(&self) -> FedData {
        self.federation.to_request_data()
    }
}

pub async fn prepare(settings: Settings) -> Result<Prepared, StartError> {
    // Password hashes' memory goes back to the system after each check.
    crate::memory::map_large_allocations();
    let db = Db::open(&settings.database).await?;
    let http = federation::client::build(&settings.federation, &settings.base_url())?;
    let media = crate::media::MediaStore::new(&settings.media, &settings.base_url())?;
    let ctx = Kuvend::new(settings, db, http, media);
    let instance_actor = ensure_instance_actor(&ctx.db, &ctx.urls, &ctx.settings.instance.domain)
        .await
        .map_err(StartError::InstanceActor)?;
    // Every fetch is signed by the instance actor (authorized fetch).
    ctx.fetcher.set_signer(Signer {
        key_id: instance_actor.public_key_id.clone(),
        private_key_pem: instance_actor.private_key_pem.clone().ok_or_else(|| {
            StartError::InstanceActor(ServiceError::Internal(anyhow::anyhow!(
                "the instance actor has no private key"
            )))
        })?,
    });
    if let Some(pem) = &instance_actor.private_key_pem {
        crate::service::media::set_proxy_key(&ctx, pem);
    }
    let federation = federation::federation_config(ctx.clone()).await?;
    Ok(Prepared { ctx, federation })
}

/// A running instance: its address, and a handle to stop it.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub prepared: Prepared,
    shutdown: watch::Sender<bool>,
    server: JoinHandle<()>,
    worker: JoinHandle<()>,
    reminders: JoinHandle<()>,
}

impl RunningServer {
    /// Stops accepting requests and the worker, and waits for both.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.server.await;
        let _ = self.worker.await;
        let _ = self.reminders.await;
    }

    /// Waits until the server stops (on SIGINT/SIGTERM when run by `serve`).
    pub async fn wait(self) {
        let _ = self.server.await;
        let _ = self.shutdown.send(true);
        let _ = self.worker.await;
        let _ = self.reminders.await;
    }
}

/// Starts serving on `listener`, with the delivery worker and the reminders.
pub async fn start(prepared: Prepared, listener: TcpListener) -> Result<RunningServer, StartError> {
    let addr = listener.local_addr().map_err(|source| StartError::Bind {
        addr: prepared.ctx.settings.http.bind,
        source,
    })?;
    // Uploads a stopped server left half processed will never finish: say
    // so (`failed`) rather than leave clients polling for ever.
    match crate::service::media::fail_stuck(&prepared.ctx).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(n, "uploads left processing by the last run marked failed"),
        Err(e) => tracing::warn!(error = %e, "cannot mark unfinished uploads failed"),
    }
    let (shutdown, mut stop_server) = watch::channel(false);
    let worker = tokio::spawn(delivery::run_worker(
        prepared.ctx.clone(),
        shutdown.subscribe(),
    ));
    // Reminders to events' participants: written as posts with their
    // deliveries, which the worker above sends.
    let reminders = tokio::spawn(crate::service::reminders::run(
        prepared.ctx.clone(),
        shutdown.subscribe(),
    ));
    // Pruning of finished deliveries and old received ids (issue 15 item 7);
    // it stops with the others.
    tokio::spawn(crate::service::maintenance::prune_periodically(
        prepared.ctx.clone(),
        shutdown.subscribe(),
    ));
    // Re-reading subscribed block lists (issue 15 item 3).
    tokio::spawn(crate::service::blocklists::refresh_periodically(
        prepared.ctx.clone(),
        shutdown.subscribe(),
    ));
    let app = crate::http::router(prepared.federation.clone());
    let limits = &prepared.ctx.settings.limits;
    let timeouts = crate::http::server::Timeouts {
        header: Duration::from_secs(limits.request_header_timeout_secs),
        body: Duration::from_secs(limits.request_body_timeout_secs),
    };
    let server = tokio::spawn(crate::http::server::serve(
        listener,
        app,
        timeouts,
        async move {
            let _ = stop_server.wait_for(|stop| *stop).await;
        },
    ));
    Ok(RunningServer {
        addr,
        prepared,
        shutdown,
        server,
        worker,
        reminders,
    })
}

/// `kuvend serve`: binds the configured address and runs until SIGINT or SIGTERM.
pub async fn serve(settings: Settings) -> Result<(), StartError> {
    let addr = settings.http.bind;
    let prepared = prepare(settings).await?;
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind { addr, source })?;
    tracing::info!(
        "kuvend {} serving {} on http://{addr}",
        env!("CARGO_PKG_VERSION"),
        prepared.ctx.settings.base_url()
    );
    let running = start(prepared, listener).await?;
    tokio::spawn(crate::memory::trim_periodically());
    let shutdown = running.shutdown.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutting down");
        let _ = shutdown.send(true);
    });
    running.wait().await;
    Ok(())
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(term) => term,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
