//! The instance's domain policy (issue 15): which hosts we federate with,
//! which are silenced and whose media is rejected. One answer for every
//! direction (inbox, outgoing fetches, deliveries, signed fetches of our
//! documents, timelines): [`DomainPolicy::snapshot`] gives the blocks and
//! allows as held in memory, re-read from the database when older than
//! `federation.policy_refresh_secs` (the admin commands write the tables
//! from another process; a running server sees their changes within that).
//!
//! Domains are normalised by [`normalize_domain`]: lower case, IDNA
//! (punycode) through the `url` crate, trailing dot removed, a port kept
//! only when given. An entry covers its domain and every subdomain
//! (`example.org` covers `a.example.org`, never `badexample.org`); an entry
//! without a port covers every port, one with a port only that port.

use crate::{config::FederationMode, storage::Db};
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

/// How a domain block acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Nothing in or out; existing follows and content removed.
    Suspend,
    /// Kept out of public timelines and pages; notifications only from
    /// followed accounts.
    Silence,
    /// Only its `reject_media` (or just a note).
    Noop,
}

impl Severity {
    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "suspend" => Some(Severity::Suspend),
            "silence" => Some(Severity::Silence),
            "noop" => Some(Severity::Noop),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Suspend => "suspend",
            Severity::Silence => "silence",
            Severity::Noop => "noop",
        }
    }
}

/// A domain as stored and compared, or why the text is not one.
pub fn normalize_domain(input: &str) -> Result<String, &'static str> {
    let text = input.trim();
    if text.is_empty() {
        return Err("empty domain");
    }
    if text.len() > 253 + 6 {
        return Err("domain too long");
    }
    if text
        .chars()
        .any(|c| c.is_whitespace() || "/\\?#@*,;%[]".contains(c))
    {
        return Err("not a domain name (give only the host, like example.org)");
    }
    // The port, if given, is split off by hand (the URL parser would read
    // it for the scheme it is given).
    let (name, port) = match text.rsplit_once(':') {
        Some((name, port)) => {
            let port: u16 = port.parse().map_err(|_| "the port is not a number")?;
            (name, Some(port))
        }
        None => (text, None),
    };
    let url = url::Url::parse(&format!("http://{name}/")).map_err(|_| "not a valid domain name")?;
    let host = match url.host() {
        Some(url::Host::Domain(host)) => host.trim_end_matches('.').to_ascii_lowercase(),
        Some(_) => return Err("an IP address is not a domain"),
        None => return Err("not a valid domain name"),
    };
    if host.is_empty() || host.split('.').any(|label| label.is_empty()) {
        return Err("not a valid domain name");
    }
    // Actors' hosts are compared without a scheme's default port (URLs
    // drop it), so an entry keeping `:443` or `:80` would cover nothing.
    Ok(match port {
        Some(port) if port != 443 && port != 80 => format!("{host}:{port}"),
        _ => host,
    })
}

/// The host of an authority (`host[:port]`) and the keys under which
/// entries covering it are stored: each parent domain, with and without
/// the port.
fn covering_keys(authority: &str) -> Vec<String> {
    let authority = authority.trim().to_ascii_lowercase();
    let (name, port) = match authority.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => (name, Some(port)),
        _ => (authority.as_str(), None),
    };
    let name = name.trim_end_matches('.');
    let mut keys = Vec::new();
    let mut rest = name;
    loop {
        if let Some(port) = port {
            keys.push(format!("{rest}:{port}"));
        }
        keys.push(rest.to_string());
        match rest.split_once('.') {
            Some((_, parent)) if !parent.is_empty() => rest = parent,
            _ => break,
        }
    }
    keys
}

/// Whether an entry (normalised) covers `host` (an authority).
pub fn covers(entry: &str, host: &str) -> bool {
    covering_keys(host).iter().any(|key| key == entry)
}

/// Whether any of `entries` (normalised) covers `host` (an authority):
/// one set lookup per parent domain, for matching many entries at once.
pub fn covered_by_any(entries: &HashSet<&str>, host: &str) -> bool {
    covering_keys(host)
        .iter()
        .any(|key| entries.contains(key.as_str()))
}

/// How severe a block is, to combine the entries covering one host.
fn severity_rank(severity: Severity) -> u8 {
    match severity {
        Severity::Noop => 0,
        Severity::Silence => 1,
        Severity::Suspend => 2,
    }
}

/// One block as the policy uses it.
#[derive(Debug, Clone, Copy)]
pub struct Block {
    pub severity: Severity,
    pub reject_media: bool,
}

/// The blocks and allows at one moment.
#[derive(Debug, Default)]
pub struct Snapshot {
    allowlist_mode: bool,
    own_domain: String,
    blocks: HashMap<String, Block>,
    allows: HashSet<String>,
    /// The remote actors' domains already matched against this snapshot,
    /// for [`Snapshot::author_domains`].
    known: std::sync::Mutex<KnownDomains>,
}

/// Remote actors' domains matched against one snapshot: shown publicly or
/// not, and the highest actor id read. A new snapshot (every
/// `policy_refresh_secs`) starts empty and reads every domain again, which
/// also picks up an actor whose id was handed out before `after_id` but
/// committed after it was read (PostgreSQL's sequences do not wait).
#[derive(Debug, Default)]
struct KnownDomains {
    after_id: i64,
    shown: std::collections::BTreeSet<String>,
    hidden: std::collections::BTreeSet<String>,
}

impl Snapshot {
    pub fn new(
        mode: FederationMode,
        own_domain: &str,
        blocks: impl IntoIterator<Item = (String, Block)>,
        allows: impl IntoIterator<Item = String>,
    ) -> Snapshot {
        Snapshot {
            allowlist_mode: mode == FederationMode::Allowlist,
            own_domain: own_domain.to_ascii_lowercase(),
            blocks: blocks.into_iter().collect(),
            allows: allows.into_iter().collect(),
            known: Default::default(),
        }
    }

    /// The highest remote actor id whose domain [`Snapshot::author_domains`]
    /// has matched; ask storage only for domains of actors above it.
    pub fn known_after(&self) -> i64 {
        self.known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .after_id
    }

    /// Which remote authors public listings leave out, as exact domains:
    /// each domain we hold (those read so far plus `fresh`, from
    /// `remote_actor_domains_after(known_after())`) matched with
    /// [`Snapshot::shown_publicly`], so SQL compares with `IN` and covers
    /// subdomains and ports exactly as this policy does. The shorter list
    /// is given (in allow-list mode, usually the shown one).
    pub fn author_domains(
        &self,
        fresh: Vec<(String, i64)>,
    ) -> crate::storage::domain_policy::AuthorDomains {
        use crate::storage::domain_policy::AuthorDomains;
        let mut known = self
            .known
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for (domain, id) in fresh {
            known.after_id = known.after_id.max(id);
            if self.shown_publicly(&domain) {
                known.shown.insert(domain);
            } else {
                known.hidden.insert(domain);
            }
        }
        if known.shown.len() < known.hidden.len() {
            AuthorDomains::ShowOnly(known.shown.iter().cloned().collect())
        } else {
            AuthorDomains::Hide(known.hidden.iter().cloned().collect())
        }
    }

    /// What the entries covering `host` (an authority: `host[:port]`) add up
    /// to: the most severe of them, media rejected if any rejects it. A
    /// milder entry on a subdomain never lifts a parent's suspension (an
    /// imported list's `noop` for `cdn.evil.org` must not reopen it).
    pub fn block(&self, host: &str) -> Option<Block> {
        covering_keys(host)
            .iter()
            .filter_map(|key| self.blocks.get(key).copied())
            .reduce(|a, b| Block {
                severity: if severity_rank(b.severity) > severity_rank(a.severity) {
                    b.severity
                } else {
                    a.severity
                },
                reject_media: a.reject_media || b.reject_media,
            })
    }

    /// Whether `host` is on the allow-list (itself or a parent domain).
    pub fn allowed(&self, host: &str) -> bool {
        covering_keys(host)
            .iter()
            .any(|key| self.allows.contains(key))
    }

    /// Why we do not federate with `host`, or None when we do.
    pub fn refusal(&self, host: &str) -> Option<&'static str> {
        if host.eq_ignore_ascii_case(&self.own_domain) {
            return None;
        }
        if self
            .block(host)
            .is_some_and(|b| b.severity == Severity::Suspend)
        {
            return Some("the domain is suspended by this instance");
        }
        if self.allowlist_mode && !self.allowed(host) {
            return Some("this instance federates only with allow-listed domains");
        }
        None
    }

    /// Whether we federate with `host` at all.
    pub fn federates(&self, host: &str) -> bool {
        self.refusal(host).is_none()
    }

    /// Whether `host`'s posts stay out of public timelines and pages.
    pub fn silenced(&self, host: &str) -> bool {
        self.block(host)
            .is_some_and(|b| b.severity == Severity::Silence)
    }

    /// Whether `host`'s posts may appear in public listings and pages: not
    /// silenced, and federated with (what a suspension or the allow-list
    /// refuses now stays hidden even if it was stored before).
    pub fn shown_publicly(&self, host: &str) -> bool {
        !self.silenced(host) && self.federates(host)
    }

    /// Whether `host`'s avatars, headers and attachments are not shown.
    pub fn rejects_media(&self, host: &str) -> bool {
        self.block(host).is_some_and(|b| b.reject_media)
    }
}

/// The snapshot held on the context, and when it was read.
pub struct DomainPolicy {
    mode: FederationMode,
    own_domain: String,
    refresh: Duration,
    current: RwLock<(Option<Instant>, Arc<Snapshot>)>,
    /// One reload at a time; the others use the snapshot they find.
    reloading: tokio::sync::Mutex<()>,
}

impl DomainPolicy {
    pub fn new(mode: FederationMode, own_domain: &str, refresh_secs: u64) -> DomainPolicy {
        DomainPolicy {
            mode,
            own_domain: own_domain.to_string(),
            refresh: Duration::from_secs(refresh_secs),
            current: RwLock::new((None, Arc::new(Snapshot::new(mode, own_domain, [], [])))),
            reloading: tokio::sync::Mutex::new(()),
        }
    }

    fn held(&self) -> (Option<Instant>, Arc<Snapshot>) {
        let guard = self
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (guard.0, guard.1.clone())
    }

    /// The policy now: the copy in memory, re-read first when it is older
    /// than the refresh interval. A failed read keeps the old copy (logged):
    /// until the first read succeeds, that is an empty one, which in
    /// allow-list mode refuses everyone.
    pub async fn snapshot(&self, db: &Db) -> Arc<Snapshot> {
        let (loaded, snapshot) = self.held();
        if loaded.is_some_and(|at| at.elapsed() < self.refresh) {
            return snapshot;
        }
        let _reloading = self.reloading.lock().await;
        // Another task may have reloaded while this one waited.
        let (loaded, snapshot) = self.held();
        if loaded.is_some_and(|at| at.elapsed() < self.refresh) {
            return snapshot;
        }
        match self.load(db).await {
            Ok(fresh) => {
                let fresh = Arc::new(fresh);
                *self
                    .current
                    .write()
                    .unwrap_or_else(|poisoned| poisoned.into_inner()) =
                    (Some(Instant::now()), fresh.clone());
                fresh
            }
            Err(error) => {
                tracing::error!(%error, "cannot read the domain policy; keeping the last one");
                snapshot
            }
        }
    }

    /// Forgets the copy in memory, so the next question reads the database
    /// (after a change made in this process).
    pub fn invalidate(&self) {
        self.current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .0 = None;
    }

    async fn load(&self, db: &Db) -> crate::storage::StorageResult<Snapshot> {
        let mut conn = db.conn().await?;
        let mut q = conn.q();
        let blocks = q.domain_blocks().await?;
        let allows = q.domain_allows().await?;
        Ok(Snapshot::new(
            self.mode,
            &self.own_domain,
            blocks.into_iter().filter_map(|row| {
                Some((
                    row.domain,
                    Block {
                        severity: Severity::parse(&row.severity)?,
                        reject_media: row.reject_media,
                    },
                ))
            }),
            allows,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_are_normalised() {
        assert_eq!(normalize_domain("Example.ORG.").unwrap(), "example.org");
        assert_eq!(
            normalize_domain("bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(normalize_domain("a.test:80").unwrap(), "a.test");
        assert_eq!(normalize_domain("a.test:443").unwrap(), "a.test");
        for bad in [
            "",
            "https://example.org/",
            "exa mple.org",
            "127.0.0.1",
            "a..b",
            "x:y",
            "*.example.org",
        ] {
            assert!(normalize_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn subdomains_are_covered_and_lookalikes_are_not() {
        let suspend = Block {
            severity: Severity::Suspend,
            reject_media: false,
        };
        let s = Snapshot::new(
            FederationMode::Open,
            "us.example",
            [("example.org".to_string(), suspend)],
            [],
        );
        assert!(!s.federates("example.org"));
        assert!(!s.federates("a.b.example.org:8443"));
        assert!(s.federates("badexample.org"));
        assert!(s.federates("example.org.evil"));
        // A milder entry on a subdomain does not reopen it.
        let noop = Block {
            severity: Severity::Noop,
            reject_media: true,
        };
        let s = Snapshot::new(
            FederationMode::Open,
            "us.example",
            [
                ("example.org".to_string(), suspend),
                ("cdn.example.org".to_string(), noop),
            ],
            [],
        );
        assert!(!s.federates("cdn.example.org"));
        assert!(s.rejects_media("cdn.example.org"));
        assert!(!s.rejects_media("example.org"));
        let ported = Snapshot::new(
            FederationMode::Allowlist,
            "us.example",
            [],
            ["friends.test:8080".to_string()],
        );
        assert!(ported.federates("a.friends.test:8080"));
        assert!(!ported.federates("friends.test:8081"));
        assert!(!ported.federates("friends.test"));
        assert!(ported.federates("us.example"));
    }
}
