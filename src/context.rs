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
}

impl std::ops::Deref for Kuvend {
    type Target = KuvendInner;
    fn deref(&self) -> &KuvendInner {
        &self.inner
    }
}

impl Kuvend {
    pub fn new(settings: Settings, db: Db, http: reqwest::Client) -> Kuvend {
        let urls = Urls::new(settings.base_url());
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
