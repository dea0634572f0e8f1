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
use tokio::sync::watch;
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

/// Parses a list. Extra columns (`#reject_reports`, `#obfuscate`) are
/// ignored; without a header row the first column is the domain and the
/// entry a suspension. Refused whole (nothing applied) when it is over the
/// bounds or not CSV at all.
pub fn parse_list(ctx: &Kuvend, text: &str) -> ServiceResult<Parsed> {
    if text.len() > MAX_LIST_BYTES {
        return Err(ServiceError::Unprocessable(format!(
            "the list is larger than {MAX_LIST_BYTES} bytes"
        )));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    // Column positions; a list without a header has only the domain.
    let mut columns: Option<HashMap<String, usize>> = None;
    let mut parsed = Parsed::default();
    let mut seen = HashSet::new();
    let mut rows = 0;
    for (index, record) in reader.records().enumerate() {
        rows += 1;
        // The header row does not count.
        if rows > MAX_LIST_ROWS + usize::from(columns.is_some()) {
            return Err(ServiceError::Unprocessable(format!(
                "the list has more than {MAX_LIST_ROWS} rows"
            )));
        }
        let record = record
            .map_err(|e| ServiceError::Unprocessable(format!("not a CSV block list: {e}")))?;
        let first = record.get(0).unwrap_or_default();
        if index == 0 && first.starts_with('#') {
            columns = Some(
                record
                    .iter()
                    .enumerate()
                    .map(|(i, name)| (name.trim_start_matches('#').to_ascii_lowercase(), i))
                    .collect(),
            );
            continue;
        }
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
        // domain included.
        let Ok(domain) = domain_policy::admin_domain(ctx, domain) else {
            parsed.invalid += 1;
            continue;
        };
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
        let public_comment =
            field("public_comment").map(|c| c.chars().take(MAX_COMMENT_CHARS).collect::<String>());
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
    let meta = tokio::fs::metadata(source).await.map_err(unreadable)?;
    if meta.len() > MAX_LIST_BYTES as u64 {
        return Err(ServiceError::Unprocessable(format!(
            "{source} is larger than {MAX_LIST_BYTES} bytes"
        )));
    }
    let bytes = tokio::fs::read(source).await.map_err(unreadable)?;
    String::from_utf8(bytes)
        .map_err(|_| ServiceError::Unprocessable(format!("{source} is not UTF-8 text")))
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
/// read is not subscribed to.
pub async fn subscribe(ctx: &Kuvend, source: &str, mode: Mode) -> ServiceResult<Refreshed> {
    let source = source.trim();
    let parsed = parse_list(ctx, &read_source(ctx, source).await?)?;
    let mut conn = ctx.db.conn().await?;
    if conn.q().blocklists().await?.iter().any(|s| s.url == source) {
        return Err(ServiceError::Conflict(format!(
            "already subscribed to {source}"
        )));
    }
    let row = conn.q().insert_blocklist(source, mode.as_str()).await?;
    drop(conn);
    apply(ctx, &row, parsed).await
}

/// Re-reads one subscription. A failure is recorded on it and changes
/// nothing else.
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
    match parsed {
        Ok(parsed) => apply(ctx, &row, parsed).await,
        Err(error) => {
            let mut conn = ctx.db.conn().await?;
            let text: String = error.to_string().chars().take(500).collect();
            conn.q()
                .record_blocklist_read(id, None, Some(&text))
                .await?;
            Err(error)
        }
    }
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
async fn apply(ctx: &Kuvend, row: &SubscriptionRow, parsed: Parsed) -> ServiceResult<Refreshed> {
    let id = row.id;
    let review = row.mode == Mode::Review.as_str();
    let mut done = Refreshed {
        id,
        entries: parsed.entries.len(),
        obfuscated: parsed.obfuscated,
        invalid: parsed.invalid,
        ..Refreshed::default()
    };
    let entries = parsed.entries;
    let done = transaction!(ctx.db, ServiceError, |q| {
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
        for entry in &entries {
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
                    blocked_now.insert(entry.domain.as_str());
                    if existing.severity != block.severity
                        || existing.reject_media != block.reject_media
                        || existing.public_comment.as_deref() != block.public_comment
                    {
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
        let blocked: HashSet<String> = q
            .domain_blocks()
            .await?
            .into_iter()
            .map(|b| b.domain)
            .collect();
        let hosts = q.remote_actor_domains().await?;
        let mut accepted = Vec::new();
        for s in &pending {
            q.delete_blocklist_suggestion(s.subscription_id, &s.domain)
                .await?;
            if blocked.contains(&s.domain) || accepted.contains(&s.domain) {
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
