//! Rate limits kept in memory: how often one key (a client address, an
//! account, a remote host) may do something. Built on `governor`'s keyed
//! GCRA limiter, so a key's state is one timestamp and a check never blocks.
//!
//! Limits are per process: several kuvend processes behind one address each
//! allow the configured rate. That is the point of a limit here (keep one
//! process from being exhausted), not an exact global count.

use crate::config::LimitSettings;
use governor::{
    DefaultKeyedRateLimiter, Quota,
    clock::{Clock, DefaultClock},
};
use std::{
    hash::Hash,
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};
use tokio::sync::Semaphore;

/// Tracked keys beyond which recovered ones are forgotten on the next check.
const PRUNE_AT_LEAST: usize = 4096;

/// "Not now": how long until the key may try again (sent as `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, rounded up and at least 1, as `Retry-After` wants.
    pub fn seconds(self) -> u64 {
        (self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)).max(1)
    }
}

/// At most `count` events per `period` for each key, with bursts up to
/// `count` (a key that was quiet for a whole period may use it at once).
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
    /// The number of tracked keys at which the next check prunes.
    prune_at: AtomicUsize,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// A limit of `count` per `period`; `count == 0` means no limit at all
    /// (the bench and tests that measure something else use that).
    pub fn new(count: u32, period: Duration) -> Option<Arc<Self>> {
        let count = NonZeroU32::new(count)?;
        let replenish = (period / count.get()).max(Duration::from_nanos(1));
        let quota = Quota::with_period(replenish)?.allow_burst(count);
        Some(Arc::new(KeyedLimit {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            prune_at: AtomicUsize::new(PRUNE_AT_LEAST),
        }))
    }

    /// Counts one event for `key`; `Err` says when the key may try again.
    pub fn check(&self, key: &K) -> Result<(), RetryAfter> {
        // Forget keys whose state has fully recovered, so that a stream of
        // new keys (addresses, host names) cannot grow the map without bound.
        // The next pruning waits until the map has doubled from what
        // remained, so that many keys still active cannot make every check
        // walk the whole map.
        if self.limiter.len() >= self.prune_at.load(Ordering::Relaxed) {
            self.limiter.retain_recent();
            let remaining = self.limiter.len();
            self.prune_at
                .store((remaining * 2).max(PRUNE_AT_LEAST), Ordering::Relaxed);
        }
        self.limiter
            .check_key(key)
            .map_err(|not_until| RetryAfter(not_until.wait_time_from(self.clock.now())))
    }
}

/// Checks `key` against an optional limit: no limit configured means allowed.
pub fn check<K: Hash + Eq + Clone>(
    limit: &Option<Arc<KeyedLimit<K>>>,
    key: &K,
) -> Result<(), RetryAfter> {
    limit.as_ref().map_or(Ok(()), |l| l.check(key))
}

/// The key under which a client address is counted: an IPv4 address as it
/// is, an IPv6 address by its /64 network, since one host or subscriber
/// commonly holds a whole /64 and could otherwise count as 2^64 clients.
pub fn address_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(network.into())
        }
        v4 => v4,
    }
}

/// What clients of the instance (apps, browsers) may ask of it: password
/// checks and registrations. One per instance, in its shared context.
pub struct ClientLimits {
    /// Permits for computing a password hash. Each Argon2 hash holds about
    /// 19 MiB while it runs: without a cap, a few hundred parallel attempts
    /// grew the server by more than 100 MB.
    pub password_checks: Arc<Semaphore>,
    /// Password attempts per client address (see [`address_key`]).
    pub login_per_ip: Option<Arc<KeyedLimit<IpAddr>>>,
    /// Password attempts per account asked for (the normalised e-mail),
    /// counted whether or not the account exists, so that a refusal tells
    /// nothing about existence.
    pub login_per_account: Option<Arc<KeyedLimit<String>>>,
    /// Registrations per client address (see [`address_key`]).
    pub registrations_per_ip: Option<Arc<KeyedLimit<IpAddr>>>,
}

impl ClientLimits {
    pub fn new(settings: &LimitSettings) -> ClientLimits {
        const MINUTE: Duration = Duration::from_secs(60);
        const HOUR: Duration = Duration::from_secs(3600);
        ClientLimits {
            password_checks: Arc::new(Semaphore::new(settings.password_checks_concurrent.max(1))),
            login_per_ip: KeyedLimit::new(settings.login_attempts_per_ip_per_minute, MINUTE),
            login_per_account: KeyedLimit::new(settings.login_attempts_per_account_per_hour, HOUR),
            registrations_per_ip: KeyedLimit::new(settings.registrations_per_ip_per_hour, HOUR),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_the_burst_then_refuses_with_a_wait() {
        let limit = KeyedLimit::new(3, Duration::from_secs(60)).unwrap();
        for _ in 0..3 {
            assert!(limit.check(&"a").is_ok());
        }
        let wait = limit.check(&"a").unwrap_err();
        assert!(wait.0 > Duration::from_secs(10) && wait.0 <= Duration::from_secs(20));
        assert!((11..=20).contains(&wait.seconds()));
        // Another key has its own allowance.
        assert!(limit.check(&"b").is_ok());
    }

    #[test]
    fn zero_means_unlimited() {
        let limit = KeyedLimit::<&str>::new(0, Duration::from_secs(60));
        assert!(limit.is_none());
        for _ in 0..1000 {
            assert!(check(&limit, &"a").is_ok());
        }
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(address_key(v4), v4);
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(address_key(mapped), v4);
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        assert_eq!(RetryAfter(Duration::ZERO).seconds(), 1);
        assert_eq!(RetryAfter(Duration::from_millis(1)).seconds(), 1);
        assert_eq!(RetryAfter(Duration::from_secs(2)).seconds(), 2);
        assert_eq!(RetryAfter(Duration::from_millis(2001)).seconds(), 3);
    }
}
