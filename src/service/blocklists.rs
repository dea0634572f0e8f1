//! Subscribed block lists (issue 15 item 3): a CSV in Mastodon's export
//! format (`#domain,#severity,#reject_media,#public_comment`, or a bare
//! list of domains), read from an http(s) URL or a local file, re-read
//! daily. In `auto` mode entries become domain blocks recorded as the
//! list's (`domain_blocks.source`); in `review` mode suggestions the admin
//! accepts or dismisses. A re-read undoes what the list no longer has, but
//! only what it added: a block added by hand (or by another list) is never
//! changed nor removed by a list. A read that fails changes nothing.

use super::{ServiceError, ServiceResult, domain_policy};
use crate::{
    context::Kuvend,
    federation::{domain_policy::Severity, fetch},
    storage::{
        blocklists::{SubscriptionRow, SuggestionRow},
        domain_policy::NewDomainBlock,
    },
    transaction,
};
use std::{
    collections::{HashMap, HashSet},
    time::Duration,
};
use tokio::{io::AsyncReadExt, sync::watch};
use url::Url;

/// The largest list read: oliphant's and Garden Fence's lists are well
/// under a megabyte; a list near this is not one an admin can review.
pub const MAX_LIST_BYTES: usize = 5 * 1024 * 1024;

/// The most rows read; a longer list is refused whole.
pub const MAX_LIST_ROWS: usize = 100_000;

/// The longest public comment kept from a list.
const MAX_COMMENT_CHARS: usize = 1000;

/// How a subscription's entries are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Entries become blocks.
    Auto,
    /// Entries become suggestions.
    Review,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Review => "review",
        }
    }
}

/// One entry of a list, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Normalised like `domain-block add` does.
    pub domain: String,
    pub severity: Severity,
    pub reject_media: bool,
    pub public_comment: Option<String>,
}

/// A list as read.
#[derive(Debug, Default)]
pub struct Parsed {
    pub entries: Vec<Entry>,
    /// Obfuscated domains (`*` in them): cannot be blocked, skipped.
    pub obfuscated: usize,
    /// Rows skipped: not a valid domain, our own domain, an unknown severity.
    pub invalid: usize,
}

/// Column names of Mastodon's export (and FediBlockHole's / The Bad
/// Space's, which write them without `#`): a row with one of them and no
/// `domain` is a header the list cannot be read with.
const KNOWN_COLUMNS: [&str; 6] = [
    "severity",
    "reject_media",
    "reject_reports",
    "public_comment",
    "private_comment",
    "obfuscate",
];

/// A header field's name: `#` trimmed, lower-cased.
fn column_name(field: &str) -> String {
    field
        .trim()
        .trim_start_matches('#')
        .trim()
        .to_ascii_lowercase()
}

/// A comment from a list, kept for display and the public block list:
/// control characters (terminal escapes, bidi overrides) dropped, bounded.
fn clean_comment(text: &str) -> Option<String> {
    let text: String = text
        .chars()
        .filter(|c| !c.is_control() && !('\u{202a}'..='\u{202e}').contains(c))
        .filter(|c| !('\u{2066}'..='\u{2069}').contains(c))
        .take(MAX_COMMENT_CHARS)
        .collect();
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// Parses a list. Extra columns (`#reject_reports`, `#obfuscate`) are
/// ignored. The header is the first row with a `domain` field (with or
/// without `#`), comment rows before it skipped; without one the list is
/// bare, the first column the domain and the entry a suspension. Refused
/// whole (nothing applied) when it is over the bounds, not CSV at all, or
/// its header has no domain column.
pub fn parse_list(ctx: &Kuvend, text: &str) -> ServiceResult<Parsed> {
    if text.len() > MAX_LIST_BYTES {
        return Err(ServiceError::Unprocessable(format!(
            "the list is larger than {MAX_LIST_BYTES} bytes"
        )));
    }
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    // Read whole first (within the bounds) to find the header wherever it
    // is; the text is at most MAX_LIST_BYTES.
    let mut records = Vec::new();
    for record in reader.into_records() {
        let record = record
            .map_err(|e| ServiceError::Unprocessable(format!("not a CSV block list: {e}")))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        // One row more than the bound for a header.
        if records.len() > MAX_LIST_ROWS {
            return Err(ServiceError::Unprocessable(format!(
                "the list has more than {MAX_LIST_ROWS} rows"
            )));
        }
        records.push(record);
    }
    let header = records
        .iter()
        .position(|r| r.iter().any(|f| column_name(f) == "domain"));
    let columns: Option<HashMap<String, usize>> = header.map(|h| {
        let mut columns = HashMap::new();
        for (i, name) in records[h].iter().enumerate() {
            // The first of a repeated name counts.
            columns.entry(column_name(name)).or_insert(i);
        }
        columns
    });
    let headless = records.iter().find(|r| {
        r.iter()
            .any(|f| KNOWN_COLUMNS.contains(&column_name(f).as_str()))
    });
    if let (None, Some(row)) = (header, headless) {
        return Err(ServiceError::Unprocessable(format!(
            "the list's header ({}) has no domain column",
            row.iter().collect::<Vec<_>>().join(",")
        )));
    }
    let data = &records[header.map_or(0, |h| h + 1)..];
    if data.len() > MAX_LIST_ROWS {
        return Err(ServiceError::Unprocessable(format!(
            "the list has more than {MAX_LIST_ROWS} rows"
        )));
    }
    let mut parsed = Parsed {
        // Rows before the header that are not comments are not entries.
        invalid: records[..header.unwrap_or(0)]
            .iter()
            .filter(|r| !r.get(0).unwrap_or_default().starts_with('#'))
            .count(),
        ..Parsed::default()
    };
    let mut seen = HashSet::new();
    for record in data {
        let first = record.get(0).unwrap_or_default();
        let field = |name: &str| {
            columns
                .as_ref()
                .and_then(|c| c.get(name))
                .and_then(|i| record.get(*i))
                .filter(|v| !v.is_empty())
        };
        let domain = match &columns {
            Some(_) => field("domain").unwrap_or_default(),
            None => first,
        };
        if domain.is_empty() || domain.starts_with('#') {
            continue;
        }
        if domain.contains('*') {
            parsed.obfuscated += 1;
            continue;
        }
        // The same validation as `kuvend admin domain-block add`, own
        // domain included; and at least two labels: a list's `com` would
        // suspend a whole top-level domain through subdomain coverage.
        let Ok(domain) = domain_policy::admin_domain(ctx, domain) else {
            parsed.invalid += 1;
            continue;
        };
        if !domain.split(':').next().unwrap_or_default().contains('.') {
            parsed.invalid += 1;
            continue;
        }
        let severity = match field("severity") {
            None => Severity::Suspend,
            Some(text) => match Severity::parse(&text.to_ascii_lowercase()) {
                Some(severity) => severity,
                None => {
                    parsed.invalid += 1;
                    continue;
                }
            },
        };
        let reject_media = field("reject_media").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        let public_comment = field("public_comment").and_then(clean_comment);
        if seen.insert(domain.clone()) {
            parsed.entries.push(Entry {
                domain,
                severity,
                reject_media,
                public_comment,
            });
        }
    }
    Ok(parsed)
}

/// Reads a list's text from an http(s) URL (through the checked fetcher)
/// or a local file.
async fn read_source(ctx: &Kuvend, source: &str) -> ServiceResult<String> {
    if let Some((scheme, _)) = source.split_once("://") {
        if scheme != "http" && scheme != "https" {
            return Err(ServiceError::Unprocessable(format!(
                "{source}: only http(s) URLs or local files"
            )));
        }
        let url = Url::parse(source)
            .map_err(|e| ServiceError::Unprocessable(format!("{source}: {e}")))?;
        return fetch::fetch_text(ctx, &url, MAX_LIST_BYTES)
            .await
            .map_err(|e| ServiceError::Remote(e.to_string()));
    }
    let unreadable = |e: std::io::Error| ServiceError::Unprocessable(format!("{source}: {e}"));
    // Only a regular file: a FIFO or a device (`/dev/zero`) is not a list.
    // The path is checked before the open (a FIFO without a writer blocks
    // the open) and the opened file again (the path may have changed).
    let not_file = || ServiceError::Unprocessable(format!("{source} is not a regular file"));
    if !tokio::fs::metadata(source)
        .await
        .map_err(unreadable)?
        .is_file()
    {
        return Err(not_file());
    }
    let file = tokio::fs::File::open(source).await.map_err(unreadable)?;
    if !file.metadata().await.map_err(unreadable)?.is_file() {
        return Err(not_file());
    }
    let mut bytes = Vec::new();
    // Bounded whatever the file claims: it may grow while read.
    file.take(MAX_LIST_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(unreadable)?;
    if bytes.len() > MAX_LIST_BYTES {
        return Err(ServiceError::Unprocessable(format!(
            "{source} is larger than {MAX_LIST_BYTES} bytes"
        )));
    }
    String::from_utf8(bytes)
        .map_err(|_| ServiceError::Unprocessable(format!("{source} is not UTF-8 text")))
}

/// The source as stored: a URL as given, a file's path made absolute and
/// canonical (a relative path would change meaning with the server's
/// working directory; a symlink is followed once, here).
async fn canonical_source(source: &str) -> ServiceResult<String> {
    if source.contains("://") {
        return Ok(source.to_string());
    }
    let path = tokio::fs::canonicalize(source)
        .await
        .map_err(|e| ServiceError::Unprocessable(format!("{source}: {e}")))?;
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| ServiceError::Unprocessable(format!("{source}: not a UTF-8 path")))
}

/// What a read did.
#[derive(Debug, Default)]
pub struct Refreshed {
    pub id: i64,
    pub entries: usize,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
    /// Entries already blocked by hand or by another list: left alone.
    pub kept_manual: usize,
    pub suggested: usize,
    pub unsuggested: usize,
    pub obfuscated: usize,
    pub invalid: usize,
    pub actors_removed: usize,
}

/// Subscribes to a list and reads it a first time; a list that cannot be
/// read (or is refused) is not subscribed to: the subscription is written
/// in the same transaction as its first read.
pub async fn subscribe(ctx: &Kuvend, source: &str, mode: Mode) -> ServiceResult<Refreshed> {
    let source = canonical_source(source.trim()).await?;
    let parsed = parse_list(ctx, &read_source(ctx, &source).await?)?;
    apply(ctx, Target::New { url: &source, mode }, parsed).await
}

/// Re-reads one subscription. A failure (the list refused too) is
/// recorded on it and changes nothing else.
pub async fn refresh(ctx: &Kuvend, id: i64) -> ServiceResult<Refreshed> {
    let mut conn = ctx.db.conn().await?;
    let row = conn
        .q()
        .blocklist(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no block list subscription {id}")))?;
    drop(conn);
    let parsed = match read_source(ctx, &row.url).await {
        Ok(text) => parse_list(ctx, &text),
        Err(e) => Err(e),
    };
    let result = match parsed {
        Ok(parsed) => apply(ctx, Target::Existing(id), parsed).await,
        Err(error) => Err(error),
    };
    if let Err(error) = &result {
        let mut conn = ctx.db.conn().await?;
        let text: String = error.to_string().chars().take(500).collect();
        conn.q()
            .record_blocklist_read(id, None, Some(&text))
            .await?;
    }
    result
}

/// A read that parsed but does not look like the list: applied, it would
/// retract most of what the list blocks. A half-written file or an error
/// page served as text has few valid rows or none.
fn check_plausible(row: &SubscriptionRow, parsed: &Parsed) -> ServiceResult<()> {
    if parsed.entries.is_empty() && row.entries > 0 {
        return Err(ServiceError::Unprocessable(format!(
            "the list has no entries now (it had {}): not applied; unsubscribe to remove its blocks",
            row.entries
        )));
    }
    if parsed.invalid > parsed.entries.len() {
        return Err(ServiceError::Unprocessable(format!(
            "the list has more invalid rows ({}) than valid ones ({}): not applied",
            parsed.invalid,
            parsed.entries.len()
        )));
    }
    Ok(())
}

/// The subscription a read is applied to.
#[derive(Clone, Copy)]
enum Target<'a> {
    /// Written with the first read, in its transaction.
    New {
        url: &'a str,
        mode: Mode,
    },
    Existing(i64),
}

/// Re-reads every subscription; each result in order.
pub async fn refresh_all(ctx: &Kuvend) -> ServiceResult<Vec<(String, ServiceResult<Refreshed>)>> {
    let rows = subscriptions(ctx).await?;
    let mut results = Vec::with_capacity(rows.len());
    for row in rows {
        results.push((row.url.clone(), refresh(ctx, row.id).await));
    }
    Ok(results)
}

/// Applies a list read successfully, in one transaction.
async fn apply(ctx: &Kuvend, target: Target<'_>, parsed: Parsed) -> ServiceResult<Refreshed> {
    let mut done = Refreshed {
        entries: parsed.entries.len(),
        obfuscated: parsed.obfuscated,
        invalid: parsed.invalid,
        ..Refreshed::default()
    };
    let done = transaction!(ctx.db, ServiceError, |q| {
        let row = match target {
            Target::New { url, mode } => {
                if q.blocklists().await?.iter().any(|s| s.url == url) {
                    return Err(ServiceError::Conflict(format!(
                        "already subscribed to {url}"
                    )));
                }
                q.insert_blocklist(url, mode.as_str()).await?
            }
            Target::Existing(id) => q.blocklist(id).await?.ok_or_else(|| {
                ServiceError::NotFound(format!("no block list subscription {id}"))
            })?,
        };
        check_plausible(&row, &parsed)?;
        let id = row.id;
        done.id = id;
        let review = row.mode == Mode::Review.as_str();
        let entries = &parsed.entries;
        let hosts = q.remote_actor_domains().await?;
        let blocks: HashMap<String, _> = q
            .domain_blocks()
            .await?
            .into_iter()
            .map(|b| (b.domain.clone(), b))
            .collect();
        let listed: HashSet<&str> = entries.iter().map(|e| e.domain.as_str()).collect();
        let mut blocked_now = HashSet::new();
        // Sorted into batches first, then written a batch per statement
        // (one round trip per row took about 90 s for 100,000 rows on
        // PostgreSQL).
        let mut writes = Vec::new();
        let mut suggestions = Vec::new();
        for entry in entries {
            let block = NewDomainBlock {
                domain: &entry.domain,
                severity: entry.severity.as_str(),
                reject_media: entry.reject_media,
                public_comment: entry.public_comment.as_deref(),
                private_comment: None,
                source: Some(id),
            };
            match blocks.get(&entry.domain) {
                Some(existing) if existing.source == Some(id) => {
                    let changed = existing.severity != block.severity
                        || existing.reject_media != block.reject_media
                        || existing.public_comment.as_deref() != block.public_comment;
                    if changed && review {
                        // Accepted once is not accepted for whatever the
                        // list says later: the change waits for the admin,
                        // the block stays as accepted meanwhile.
                        suggestions.push(SuggestionRow {
                            subscription_id: id,
                            domain: entry.domain.clone(),
                            severity: block.severity.to_string(),
                            reject_media: entry.reject_media,
                            public_comment: entry.public_comment.clone(),
                            dismissed: false,
                        });
                        done.suggested += 1;
                        continue;
                    }
                    blocked_now.insert(entry.domain.as_str());
                    if changed {
                        writes.push(block);
                        done.updated += 1;
                    }
                }
                Some(_) => {
                    blocked_now.insert(entry.domain.as_str());
                    done.kept_manual += 1;
                }
                None if review => {
                    suggestions.push(SuggestionRow {
                        subscription_id: id,
                        domain: entry.domain.clone(),
                        severity: block.severity.to_string(),
                        reject_media: entry.reject_media,
                        public_comment: entry.public_comment.clone(),
                        dismissed: false,
                    });
                    done.suggested += 1;
                }
                None => {
                    writes.push(block);
                    blocked_now.insert(entry.domain.as_str());
                    done.added += 1;
                }
            }
        }
        done.actors_removed += domain_policy::apply_blocks(&mut q, &hosts, &writes).await?;
        for chunk in suggestions.chunks(domain_policy::BATCH_ROWS) {
            q.upsert_blocklist_suggestions(chunk).await?;
        }
        // What the list dropped: only its own blocks are undone.
        let retracted: Vec<String> = blocks
            .values()
            .filter(|b| b.source == Some(id) && !listed.contains(b.domain.as_str()))
            .map(|b| b.domain.clone())
            .collect();
        for chunk in retracted.chunks(domain_policy::BATCH_ROWS) {
            q.delete_domain_blocks(chunk).await?;
        }
        done.removed = retracted.len();
        // Suggestions the list dropped, or that are blocked by now.
        let dropped: Vec<String> = q
            .blocklist_suggestions()
            .await?
            .into_iter()
            .filter(|s| {
                s.subscription_id == id
                    && (!listed.contains(s.domain.as_str())
                        || blocked_now.contains(s.domain.as_str()))
            })
            .map(|s| s.domain)
            .collect();
        for chunk in dropped.chunks(domain_policy::BATCH_ROWS) {
            q.delete_blocklist_suggestions(id, chunk).await?;
        }
        done.unsuggested = dropped.len();
        q.record_blocklist_read(id, Some(entries.len() as i64), None)
            .await?;
        Ok(done)
    })?;
    ctx.domain_policy.invalidate();
    Ok(done)
}

/// Every subscription.
pub async fn subscriptions(ctx: &Kuvend) -> ServiceResult<Vec<SubscriptionRow>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn.q().blocklists().await?)
}

/// Ends a subscription: its blocks are removed, or kept as the admin's own.
/// Returns how many blocks it had.
pub async fn unsubscribe(ctx: &Kuvend, id: i64, keep_blocks: bool) -> ServiceResult<usize> {
    let blocks = transaction!(ctx.db, ServiceError, |q| {
        if q.blocklist(id).await?.is_none() {
            return Err(ServiceError::NotFound(format!(
                "no block list subscription {id}"
            )));
        }
        let n = if keep_blocks {
            q.release_blocks_from(id).await?
        } else {
            q.delete_blocks_from(id).await?
        };
        q.delete_blocklist(id).await?;
        Ok(n)
    })?;
    ctx.domain_policy.invalidate();
    Ok(blocks)
}

/// Pending suggestions (not dismissed), by domain.
pub async fn suggestions(ctx: &Kuvend) -> ServiceResult<Vec<SuggestionRow>> {
    let mut conn = ctx.db.conn().await?;
    Ok(conn
        .q()
        .blocklist_suggestions()
        .await?
        .into_iter()
        .filter(|s| !s.dismissed)
        .collect())
}

/// Accepts one domain's suggestion (`None`: every pending one): each
/// becomes a block recorded as its list's, so that the list retracting it
/// undoes it. A domain blocked meanwhile is left as it is. Returns the
/// domains blocked.
pub async fn accept(ctx: &Kuvend, domain: Option<&str>) -> ServiceResult<Vec<String>> {
    let domain = domain
        .map(|d| domain_policy::admin_domain(ctx, d))
        .transpose()?;
    let accepted = transaction!(ctx.db, ServiceError, |q| {
        let pending: Vec<SuggestionRow> = q
            .blocklist_suggestions()
            .await?
            .into_iter()
            .filter(|s| !s.dismissed && domain.as_ref().is_none_or(|d| *d == s.domain))
            .collect();
        if pending.is_empty() {
            return Err(ServiceError::NotFound(match &domain {
                Some(d) => format!("no pending suggestion for {d}"),
                None => "no pending suggestions".into(),
            }));
        }
        // Blocked by hand or by another list; a block of the suggestion's
        // own list is a change of it the admin accepts.
        let blocked: HashMap<String, Option<i64>> = q
            .domain_blocks()
            .await?
            .into_iter()
            .map(|b| (b.domain, b.source))
            .collect();
        let hosts = q.remote_actor_domains().await?;
        let mut accepted = Vec::new();
        for s in &pending {
            q.delete_blocklist_suggestion(s.subscription_id, &s.domain)
                .await?;
            let other = blocked
                .get(&s.domain)
                .is_some_and(|source| *source != Some(s.subscription_id));
            if other || accepted.contains(&s.domain) {
                continue;
            }
            domain_policy::apply_block(
                &mut q,
                &hosts,
                &NewDomainBlock {
                    domain: &s.domain,
                    severity: &s.severity,
                    reject_media: s.reject_media,
                    public_comment: s.public_comment.as_deref(),
                    private_comment: None,
                    source: Some(s.subscription_id),
                },
            )
            .await?;
            accepted.push(s.domain.clone());
        }
        Ok(accepted)
    })?;
    ctx.domain_policy.invalidate();
    Ok(accepted)
}

/// Dismisses a domain's suggestions: not offered again while the list
/// keeps the entry.
pub async fn dismiss(ctx: &Kuvend, domain: &str) -> ServiceResult<String> {
    let domain = domain_policy::admin_domain(ctx, domain)?;
    let mut conn = ctx.db.conn().await?;
    if conn.q().dismiss_blocklist_suggestion(&domain).await? == 0 {
        return Err(ServiceError::NotFound(format!(
            "no pending suggestion for {domain}"
        )));
    }
    Ok(domain)
}

/// The server's re-read of every list, every `blocklist_refresh_hours`
/// (the first a minute after start). A list that fails keeps its blocks.
pub async fn refresh_periodically(ctx: Kuvend, mut shutdown: watch::Receiver<bool>) {
    let hours = ctx.settings.maintenance.blocklist_refresh_hours;
    if hours == 0 {
        return;
    }
    let mut wait = Duration::from_secs(60);
    loop {
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            break;
        }
        match refresh_all(&ctx).await {
            Ok(results) => {
                for (url, result) in results {
                    match result {
                        Ok(done) => tracing::info!(
                            %url,
                            added = done.added,
                            updated = done.updated,
                            removed = done.removed,
                            suggested = done.suggested,
                            "block list read"
                        ),
                        Err(error) => tracing::warn!(%url, %error, "block list not read"),
                    }
                }
            }
            Err(error) => tracing::warn!(%error, "block lists"),
        }
        wait = Duration::from_secs(hours.saturating_mul(3600));
    }
}
