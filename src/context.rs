//! What every layer shares for one instance: settings, database, HTTP client,
//! key caches and the delivery worker's wake-up signal. It is the data that
//! activitypub_federation hands to the federation layer's traits, so it sits
//! beside `federation` and knows nothing above it (see scripts/check-layers).

use crate::{
    config::Settings,
    federation::{
        domain_policy::DomainPolicy,
        fetch::Fetcher,
        keys::{KeyCache, RefetchGate},
        urls::Urls,
    },
    limits::ClientLimits,
    media::MediaStore,
    storage::Db,
};
use std::sync::Arc;
use tokio::sync::Notify;

/// The instance's shared state; cheap to clone.
#[derive(Clone)]
pub struct Kuvend {
    inner: Arc<KuvendInner>,
}

pub struct KuvendInner {
    pub settings: Settings,
    pub db: Db,
    pub urls: Urls,
    /// The one client for every outgoing request, with the address checks of
    /// [`crate::federation::client`].
    pub http: reqwest::Client,
    pub keys: KeyCache,
    /// Limits re-fetching an actor whose signature did not verify.
    pub refetches: RefetchGate,
    /// Limits and remembered failures of outgoing fetches, and their signer.
    pub fetcher: Fetcher,
    /// Woken when a transaction has queued deliveries, so the worker need not
    /// wait for its next poll.
    pub delivery_wakeup: Notify,
    /// Caps and rates for password checks and registrations.
    pub client_limits: ClientLimits,
    /// Domain blocks and allows, held in memory (issue 15).
    pub domain_policy: DomainPolicy,
    /// Where media blobs are kept (issue 16).
    pub media: MediaStore,
    /// Images decoded at once (`media.processing_concurrent`): decoding is
    /// CPU and memory heavy, and runs on blocking threads.
    pub media_processing: tokio::sync::Semaphore,
    /// The key of the media proxy's URLs, derived from the instance actor's
    /// private key at start-up (so every process shares it).
    pub media_proxy_key: std::sync::OnceLock<Vec<u8>>,
}

impl std::ops::Deref for Kuvend {
    type Target = KuvendInner;
    fn deref(&self) -> &KuvendInner {
        &self.inner
    }
}

impl Kuvend {
    pub fn new(settings: Settings, db: Db, http: reqwest::Client, media: MediaStore) -> Kuvend {
        let urls = Urls::new(settings.base_url());
        let media_processing = tokio::sync::Semaphore::new(settings.media.processing_concurrent);
        let fetcher = Fetcher::new(&settings);
        let client_limits = ClientLimits::new(&settings.limits);
        let domain_policy = DomainPolicy::new(
            settings.federation.mode,
            &settings.instance.domain,
            settings.federation.policy_refresh_secs,
        );
        Kuvend {
            inner: Arc::new(KuvendInner {
                settings,
                db,
                urls,
                http,
                keys: KeyCache::default(),
                refetches: RefetchGate::default(),
                fetcher,
                delivery_wakeup: Notify::new(),
                client_limits,
                domain_policy,
                media,
                media_processing,
                media_proxy_key: std::sync::OnceLock::new(),
            }),
        }
    }
}

impl Kuvend {
    /// The domain policy now ([`DomainPolicy::snapshot`]).
    pub async fn policy(&self) -> Arc<crate::federation::domain_policy::Snapshot> {
        self.domain_policy.snapshot(&self.db).await
    }
}
