//! Configuration: `config/default.toml` (embedded), an optional file given with
//! `--config`, then `KUVEND_<SECTION>__<KEY>` environment variables, in that order.

use serde::Deserialize;
use std::{collections::BTreeMap, net::IpAddr, net::SocketAddr, path::Path};
use url::Url;

/// The defaults, compiled in so that the binary runs without any file beside it.
pub const DEFAULT_CONFIG: &str = include_str!("../config/default.toml");

/// Everything the server and the admin commands read from configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub instance: InstanceSettings,
    pub http: HttpSettings,
    pub database: DatabaseSettings,
    pub federation: FederationSettings,
    pub limits: LimitSettings,
    pub events: EventSettings,
    pub coalitions: CoalitionSettings,
    pub maintenance: MaintenanceSettings,
    pub media: MediaSettings,
}

/// Media: uploads, their processing and storage, and remote media (issue 16).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaSettings {
    /// Where blobs are kept: the local disk or S3-compatible storage.
    pub backend: MediaBackend,
    /// The directory of the local backend.
    pub path: String,
    /// Where clients fetch blobs from (a CDN or the bucket); empty: this
    /// server's `/media/`.
    pub base_url: String,
    /// Largest upload in bytes (413 beyond), separate from http.max_body_bytes.
    pub max_upload_bytes: usize,
    /// Largest image in pixels (width × height), checked before decoding.
    pub max_pixels: u64,
    /// Attachments per post.
    pub max_attachments: usize,
    /// Characters of alt text.
    pub description_limit: usize,
    /// Images decoded at once (each on a blocking thread).
    pub processing_concurrent: usize,
    pub s3_endpoint: String,
    pub s3_bucket: String,
    pub s3_region: String,
    pub s3_access_key: String,
    pub s3_secret_key: String,
    /// Largest remote file fetched, in bytes.
    pub remote_max_bytes: usize,
    /// Seconds a remote fetch may take.
    pub remote_timeout_secs: u64,
    /// Days an unused cached remote file is kept (0: pruned at every prune).
    pub remote_cache_days: u32,
    /// Total bytes of cached remote files; the least recently used go first.
    pub remote_cache_max_bytes: u64,
}

/// Where media blobs are stored.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MediaBackend {
    Local,
    S3,
}

/// Pruning of the queue and the dedupe table (issue 15 item 7).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaintenanceSettings {
    /// Days a delivered or given-up delivery row is kept (0: never pruned).
    pub prune_delivered_days: u32,
    /// Days a received activity's id is kept for deduplication (0: never pruned).
    pub prune_received_days: u32,
    /// Minutes between the server's background prunes (0: none; the CLI still prunes).
    pub prune_interval_minutes: u64,
    /// Hours between the server's re-reads of subscribed block lists (0: none).
    pub blocklist_refresh_hours: u64,
}

/// Coalitions (issue 13).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoalitionSettings {
    /// Days an invitation stays open before it counts as `expired`.
    pub invitation_expiry_days: u32,
}

/// Events' background work.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    /// How often (seconds) due reminders to participants are looked for;
    /// a reminder goes out at most this long after its moment.
    pub reminder_check_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSettings {
    pub domain: String,
    pub https: bool,
    pub name: String,
    pub description: String,
    pub source_url: String,
    pub registrations: Registrations,
}

/// Who may create an account from an app.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Registrations {
    Open,
    Approval,
    Closed,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpSettings {
    pub bind: SocketAddr,
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub max_connections: u32,
    pub sqlite_synchronous: SqliteSynchronous,
}

/// SQLite's `synchronous` setting, as far as kuvend allows choosing it.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    Normal,
    Full,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationSettings {
    pub allow_private_addresses: bool,
    pub host_overrides: BTreeMap<String, IpAddr>,
    pub delivery_give_up_hours: u32,
    pub delivery_concurrency: usize,
    pub request_timeout_secs: u64,
    /// Hours another instance's NodeInfo software is trusted before it is asked again.
    pub software_cache_hours: u64,
    /// Minutes an instance that gave no usable NodeInfo is left alone before it is asked again.
    pub software_unknown_cache_minutes: u64,
    /// Whether our ActivityPub documents (posts, events, activities,
    /// collections) need a signed GET; actors, the instance actor,
    /// WebFinger, NodeInfo, pages and feeds are served unsigned either way.
    pub authorized_fetch: bool,
    /// Whom we federate with: everyone not suspended, or the allow-list only.
    pub mode: FederationMode,
    /// Seconds the in-memory domain policy is trusted before it is re-read.
    pub policy_refresh_secs: u64,
    /// Send `Block` (and `Undo{Block}`) when an organisation blocks an actor.
    #[serde(default)]
    pub send_blocks: bool,
    /// Who may read `GET /api/v1/instance/domain_blocks` (Mastodon's
    /// `show_domain_blocks`).
    #[serde(default)]
    pub show_domain_blocks: ShowDomainBlocks,
}

/// `federation.show_domain_blocks`: Mastodon's `show_domain_blocks`.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ShowDomainBlocks {
    /// Nobody: the endpoint answers 404.
    Disabled,
    /// Logged-in users (a token with a login).
    Users,
    /// Everyone.
    #[default]
    All,
}

/// `federation.mode`: open federation, or allow-listed domains only (issue 15).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum FederationMode {
    Open,
    Allowlist,
}

/// Bounds on what clients and other servers may ask of the instance
/// (`[limits]`; each key is documented in config/default.toml and
/// docs/security.md). A rate of 0 turns that limit off.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    /// Password hashes computed at the same time; more attempts wait.
    pub password_checks_concurrent: usize,
    /// Password attempts (login form and password grant) per client address per minute.
    pub login_attempts_per_ip_per_minute: u32,
    /// Password attempts naming one account per hour, from anywhere.
    pub login_attempts_per_account_per_hour: u32,
    /// Account registrations per client address per hour.
    pub registrations_per_ip_per_hour: u32,
    /// Seconds a client has to send a request's headers.
    pub request_header_timeout_secs: u64,
    /// Seconds a client has to send a request's body.
    pub request_body_timeout_secs: u64,
    /// Fetches of unknown actors and keys per remote host name per minute.
    pub fetches_per_host_per_minute: u32,
    /// Seconds a failed fetch is remembered and not retried (0: not at all).
    pub fetch_failure_cache_secs: u64,
    /// Outgoing fetches in flight at once, across all hosts.
    pub fetches_concurrent: usize,
    /// Largest `content` of an incoming note, in bytes.
    pub note_content_max_bytes: usize,
    /// Hashtags kept from one incoming note (the rest are dropped).
    pub note_tags_max: usize,
    /// Mentions kept from one incoming note (the rest are not notified).
    pub note_mentions_max: usize,
    /// Addressees (`to` plus `cc`) of one incoming activity; more is refused.
    pub note_recipients_max: usize,
}

/// A configuration problem, reported as one line naming the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads the defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_with_env(file, std::env::vars())
    }

    /// Like [`Settings::load`], with the environment given explicitly (for tests).
    pub fn load_with_env(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let mut builder = config::Config::builder().add_source(config::File::from_str(
            DEFAULT_CONFIG,
            config::FileFormat::Toml,
        ));
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            builder = builder.add_source(config::File::from(path).required(true));
        }
        // Only variables with a section separator are configuration; others such as
        // KUVEND_TEST_POSTGRES_URL belong to scripts and must not be rejected as unknown.
        let overrides: config::Map<String, String> = env
            .into_iter()
            .filter_map(|(name, value)| {
                let rest = name.strip_prefix("KUVEND_")?;
                rest.contains("__").then(|| (name.clone(), value))
            })
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("KUVEND")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .source(Some(overrides)),
        );
        let mut settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        // Host names are case-insensitive; ids and handles use the lower-case form.
        settings.instance.domain = settings.instance.domain.to_ascii_lowercase();
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let domain = &self.instance.domain;
        let parsed = Url::parse(&format!("http://{domain}/")).ok();
        let is_plain_host = parsed.as_ref().is_some_and(|u| {
            u.path() == "/"
                && u.username().is_empty()
                && u.query().is_none()
                && matches!(u.host(), Some(url::Host::Domain(_)))
                && u.authority() == domain.to_ascii_lowercase()
        });
        if !is_plain_host {
            return Err(ConfigError(format!(
                "instance.domain: {domain:?} is not a host name with an optional port \
                 (like \"cso.example\" or \"localhost:8080\"; an IP address cannot be a domain)"
            )));
        }
        if !(self.database.url.starts_with("sqlite://")
            || self.database.url.starts_with("postgres://")
            || self.database.url.starts_with("postgresql://"))
        {
            return Err(ConfigError(format!(
                "database.url: {:?} must start with sqlite:// or postgres://",
                self.database.url
            )));
        }
        // 0 would expire every invitation at once; a huge value overflows
        // the date arithmetic.
        if !(1..=3650).contains(&self.coalitions.invitation_expiry_days) {
            return Err(ConfigError(
                "coalitions.invitation_expiry_days: must be between 1 and 3650".into(),
            ));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError(
                "database.max_connections: must be at least 1".into(),
            ));
        }
        if self.http.max_body_bytes < 1024 {
            return Err(ConfigError(
                "http.max_body_bytes: must be at least 1024".into(),
            ));
        }
        if self.federation.request_timeout_secs == 0 {
            return Err(ConfigError(
                "federation.request_timeout_secs: must be at least 1".into(),
            ));
        }
        if self.federation.delivery_concurrency == 0 {
            return Err(ConfigError(
                "federation.delivery_concurrency: must be at least 1".into(),
            ));
        }
        if self.media.backend == MediaBackend::S3
            && (self.media.s3_endpoint.is_empty() || self.media.s3_bucket.is_empty())
        {
            return Err(ConfigError(
                "media.s3_endpoint, media.s3_bucket: needed when media.backend = \"s3\"".into(),
            ));
        }
        if self.media.processing_concurrent == 0 || self.media.max_upload_bytes == 0 {
            return Err(ConfigError(
                "media.processing_concurrent, media.max_upload_bytes: must be at least 1".into(),
            ));
        }
        let limits = &self.limits;
        for (key, value) in [
            (
                "password_checks_concurrent",
                limits.password_checks_concurrent,
            ),
            ("fetches_concurrent", limits.fetches_concurrent),
            (
                "request_header_timeout_secs",
                limits.request_header_timeout_secs as usize,
            ),
            (
                "request_body_timeout_secs",
                limits.request_body_timeout_secs as usize,
            ),
            ("note_content_max_bytes", limits.note_content_max_bytes),
        ] {
            if value == 0 {
                return Err(ConfigError(format!("limits.{key}: must be at least 1")));
            }
        }
        Ok(())
    }

    /// `https://domain` (or `http://` for local testing), without a trailing slash.
    pub fn base_url(&self) -> String {
        let scheme = if self.instance.https { "https" } else { "http" };
        format!("{scheme}://{}", self.instance.domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_load() {
        let s = Settings::load_with_env(None, env(&[])).unwrap();
        assert_eq!(s.database.url, "sqlite://data/kuvend.db");
        assert_eq!(s.http.bind.to_string(), "127.0.0.1:8080");
        assert!(s.instance.https);
        assert!(!s.federation.allow_private_addresses);
    }

    #[test]
    fn environment_overrides_and_ignores_script_variables() {
        let s = Settings::load_with_env(
            None,
            env(&[
                ("KUVEND_DATABASE__URL", "postgres://x@localhost/y"),
                ("KUVEND_INSTANCE__HTTPS", "false"),
                ("KUVEND_TEST_POSTGRES_URL", "postgres://ignored"),
            ]),
        )
        .unwrap();
        assert_eq!(s.database.url, "postgres://x@localhost/y");
        assert!(!s.instance.https);
    }

    #[test]
    fn bad_values_name_the_key() {
        let err = Settings::load_with_env(None, env(&[("KUVEND_INSTANCE__HTTPS", "maybe")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("instance.https"), "{err}");
        let err = Settings::load_with_env(None, env(&[("KUVEND_INSTANCE__DOMAIN", "127.0.0.1")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("instance.domain"), "{err}");
        let err = Settings::load_with_env(None, env(&[("KUVEND_DATABASE__URL", "mysql://x")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.url"), "{err}");
        let err = Settings::load_with_env(None, env(&[("KUVEND_DATABSE__URL", "sqlite://x.db")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("databse"), "{err}");
        let err = Settings::load_with_env(None, env(&[("KUVEND_HTTP__BIND", "nowhere")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("http.bind"), "{err}");
    }
}
