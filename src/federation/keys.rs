//! Parsed keys, cached: parsing an RSA key costs more than verifying with it.
//! Entries are keyed by the PEM text itself, so a rotated key (new PEM) is
//! never confused with the old one and no invalidation is needed.

use super::signatures::{SignatureError, parse_private_key, parse_public_key};
use aws_lc_rs::signature::{ParsedPublicKey, RsaKeyPair};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// At most this many keys of each sort are kept; past it the cache starts over,
/// which costs a re-parse and nothing else.
const MAX_ENTRIES: usize = 20_000;

#[derive(Default)]
pub struct KeyCache {
    public: Mutex<HashMap<String, Arc<ParsedPublicKey>>>,
    private: Mutex<HashMap<String, Arc<RsaKeyPair>>>,
}

fn cached<T>(
    map: &Mutex<HashMap<String, Arc<T>>>,
    pem: &str,
    parse: impl FnOnce(&str) -> Result<T, SignatureError>,
) -> Result<Arc<T>, SignatureError> {
    if let Some(found) = map.lock().ok().and_then(|m| m.get(pem).cloned()) {
        return Ok(found);
    }
    let parsed = Arc::new(parse(pem)?);
    if let Ok(mut m) = map.lock() {
        if m.len() >= MAX_ENTRIES {
            m.clear();
        }
        m.insert(pem.to_string(), parsed.clone());
    }
    Ok(parsed)
}

impl KeyCache {
    pub fn public_key(&self, pem: &str) -> Result<Arc<ParsedPublicKey>, SignatureError> {
        cached(&self.public, pem, parse_public_key)
    }

    pub fn private_key(&self, pem: &str) -> Result<Arc<RsaKeyPair>, SignatureError> {
        cached(&self.private, pem, parse_private_key)
    }
}

/// How often one actor's document may be fetched again because a signature
/// did not verify with the key we hold (or named a key we do not hold).
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(60);

/// Rate-limits re-fetching actors on failed verification: a rotated key is
/// picked up at once, but forged requests in a loop cannot make us fetch an
/// actor's document over and over.
#[derive(Default)]
pub struct RefetchGate {
    last: Mutex<HashMap<String, Instant>>,
}

impl RefetchGate {
    /// Whether `actor` may be fetched now; if so, the fetch is recorded.
    pub fn allow(&self, actor: &str) -> bool {
        let Ok(mut last) = self.last.lock() else {
            return false;
        };
        let now = Instant::now();
        if last
            .get(actor)
            .is_some_and(|at| now.duration_since(*at) < REFETCH_INTERVAL)
        {
            return false;
        }
        if last.len() >= MAX_ENTRIES {
            last.retain(|_, at| now.duration_since(*at) < REFETCH_INTERVAL);
        }
        last.insert(actor.to_string(), now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_is_refetched_once_per_interval() {
        let gate = RefetchGate::default();
        assert!(gate.allow("https://a.example/users/x"));
        assert!(!gate.allow("https://a.example/users/x"));
        assert!(gate.allow("https://a.example/users/y"));
    }
}
