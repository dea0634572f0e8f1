//! Remote media through our proxy (issue 16): readers' browsers ask us, never
//! the remote server, so their addresses stay here. A remote image is
//! fetched once (SSRF-safe, bounded, within a timeout), decoded and
//! re-encoded like an upload (so we never serve another server's HTML, SVG
//! or metadata), kept in the media store and served from there; unused
//! files are pruned by age and by total size, least recently used first.

use super::{ServiceError, ServiceResult, media};
use crate::{
    context::Kuvend,
    federation::{actors::authority, fetch},
    media::Purpose,
    storage::{media_cache::CacheRow, now},
};
use aws_lc_rs::digest;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};
use url::Url;

/// How long a failed fetch (or a refused file) is not asked again: a page
/// of broken images must not make us ask their server at every view.
const FAILURE_RETRY: chrono::Duration = chrono::Duration::minutes(10);

/// Entries pruned per batch (each its own query).
const PRUNE_BATCH: i64 = 200;

/// One remote image's variant, ready to serve.
#[derive(Debug)]
pub struct ProxiedFile {
    pub bytes: Vec<u8>,
    /// The type we encoded it as.
    pub content_type: &'static str,
}

fn not_found() -> ServiceError {
    ServiceError::NotFound("Record not found".into())
}

/// Serves `/media/proxy/{mac}/{b64}/{variant}`: 404 unless the MAC is ours,
/// the variant `original` or `small`, and the remote domain neither
/// suspended (nor outside the allow-list) nor rejecting media; from the
/// cache when there, else fetched, processed and stored first.
pub async fn serve(
    ctx: &Kuvend,
    mac: &str,
    b64: &str,
    variant: &str,
) -> ServiceResult<ProxiedFile> {
    let small = match variant {
        "original" => false,
        "small" => true,
        _ => return Err(not_found()),
    };
    let remote = media::unproxy(ctx, mac, b64).ok_or_else(not_found)?;
    let url = Url::parse(&remote).map_err(|_| not_found())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(not_found());
    }
    let host = authority(&url);
    {
        let policy = ctx.policy().await;
        if policy.rejects_media(&host) || policy.refusal(&host).is_some() {
            return Err(not_found());
        }
    }
    let hash = url_hash(&remote);
    if let Some(file) = cached(ctx, &hash, small).await? {
        return Ok(file);
    }
    // One fetch per URL at a time: the views that arrive meanwhile wait for
    // it and are then served from the cache.
    let flight = in_flight(&hash);
    let _guard = flight.lock().await;
    let result = async {
        if let Some(file) = cached(ctx, &hash, small).await? {
            return Ok(file);
        }
        fetch_and_store(ctx, &url, &remote, &hash, small).await
    }
    .await;
    drop(_guard);
    release(&hash, flight);
    result
}

/// The cached variant (its use recorded), or `None` to fetch. A recent
/// failure is a 404 without asking the remote server again.
async fn cached(ctx: &Kuvend, hash: &str, small: bool) -> ServiceResult<Option<ProxiedFile>> {
    let Some(row) = ctx.db.conn().await?.q().media_cache_get(hash).await? else {
        return Ok(None);
    };
    if let Some(key) = variant_key(&row, small) {
        match ctx.media.get(key).await {
            Ok(Some(bytes)) => {
                ctx.db.conn().await?.q().media_cache_touch(row.id).await?;
                let content_type = crate::media::content_type_of_key(key).ok_or_else(not_found)?;
                return Ok(Some(ProxiedFile {
                    bytes,
                    content_type,
                }));
            }
            // The blob went missing (a store wiped by hand): fetch again.
            Ok(None) => return Ok(None),
            Err(e) => return Err(ServiceError::Internal(e.into())),
        }
    }
    if row.failed_at.is_some_and(|at| at > now() - FAILURE_RETRY) {
        return Err(not_found());
    }
    Ok(None)
}

fn variant_key(row: &CacheRow, small: bool) -> Option<&str> {
    if small {
        row.small_key.as_deref()
    } else {
        row.file_key.as_deref()
    }
}

/// Fetches, processes and stores the remote file; any failure is
/// remembered (`failed_at`) and answered 404.
async fn fetch_and_store(
    ctx: &Kuvend,
    url: &Url,
    remote: &str,
    hash: &str,
    small: bool,
) -> ServiceResult<ProxiedFile> {
    let settings = &ctx.settings.media;
    let fetched = fetch::fetch_bytes(
        ctx,
        url,
        settings.remote_max_bytes,
        Duration::from_secs(settings.remote_timeout_secs),
    )
    .await;
    let bytes = match fetched {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::info!(url = remote, %error, "remote media not fetched");
            // Our own limits (busy, rate) say nothing about the file.
            if error.retry_after().is_none() {
                ctx.db
                    .conn()
                    .await?
                    .q()
                    .media_cache_failed(hash, remote)
                    .await?;
            }
            return Err(not_found());
        }
    };
    let file = match media::process_and_store(ctx, Purpose::Remote, bytes).await {
        Ok(file) => file,
        Err(ServiceError::Unprocessable(reason) | ServiceError::PayloadTooLarge(reason)) => {
            tracing::info!(url = remote, reason, "remote media refused");
            ctx.db
                .conn()
                .await?
                .q()
                .media_cache_failed(hash, remote)
                .await?;
            return Err(not_found());
        }
        Err(other) => return Err(other),
    };
    let mut conn = ctx.db.conn().await?;
    // A blob the entry named before (a racing process) is dropped.
    if let Some(old) = conn.q().media_cache_get(hash).await? {
        for key in [&old.file_key, &old.small_key].into_iter().flatten() {
            let _ = ctx.media.delete(key).await;
        }
    }
    conn.q().media_cache_store(hash, remote, &file).await?;
    let key = if small {
        &file.small_key
    } else {
        &file.file_key
    };
    let bytes = ctx
        .media
        .get(key)
        .await
        .map_err(|e| ServiceError::Internal(e.into()))?
        .ok_or_else(not_found)?;
    let content_type = crate::media::content_type_of_key(key).ok_or_else(not_found)?;
    Ok(ProxiedFile {
        bytes,
        content_type,
    })
}

/// Hex SHA-256 of a remote URL: the cache's key.
fn url_hash(url: &str) -> String {
    digest::digest(&digest::SHA256, url.as_bytes())
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

type Flights = Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>;

fn flights() -> &'static Flights {
    static FLIGHTS: OnceLock<Flights> = OnceLock::new();
    FLIGHTS.get_or_init(Flights::default)
}

fn in_flight(hash: &str) -> Arc<tokio::sync::Mutex<()>> {
    let mut map = flights().lock().unwrap_or_else(|p| p.into_inner());
    map.entry(hash.to_string()).or_default().clone()
}

/// Forgets the URL's lock once nobody else holds it.
fn release(hash: &str, flight: Arc<tokio::sync::Mutex<()>>) {
    let mut map = flights().lock().unwrap_or_else(|p| p.into_inner());
    // Ours and the map's: nobody else waits for it.
    if Arc::strong_count(&flight) <= 2 {
        map.remove(hash);
    }
}

/// What a prune of the cache freed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PrunedMedia {
    /// Blobs deleted (an original and its preview are two).
    pub files: u64,
    /// Bytes of the originals deleted.
    pub bytes: u64,
}

/// Prunes the remote media cache: blobs unused for `older_than_days`
/// (`None`: `media.remote_cache_days`), then the least recently used until
/// the cache is within `media.remote_cache_max_bytes`. Rows stay, so a
/// later view fetches the file again.
pub async fn prune(ctx: &Kuvend, older_than_days: Option<u32>) -> ServiceResult<PrunedMedia> {
    let settings = &ctx.settings.media;
    let days = older_than_days.unwrap_or(settings.remote_cache_days);
    let before = now() - chrono::Duration::days(i64::from(days));
    let mut pruned = PrunedMedia::default();
    loop {
        let rows = ctx
            .db
            .conn()
            .await?
            .q()
            .media_cache_unused_since(before, PRUNE_BATCH)
            .await?;
        let n = rows.len();
        for row in rows {
            drop_blobs(ctx, &row, &mut pruned).await?;
        }
        if (n as i64) < PRUNE_BATCH {
            break;
        }
    }
    let max = i64::try_from(settings.remote_cache_max_bytes).unwrap_or(i64::MAX);
    let mut total = ctx.db.conn().await?.q().media_cache_total_bytes().await?;
    while total > max {
        let rows = ctx
            .db
            .conn()
            .await?
            .q()
            .media_cache_least_used(PRUNE_BATCH)
            .await?;
        if rows.is_empty() {
            break;
        }
        for row in rows {
            if total <= max {
                break;
            }
            total -= row.size_bytes;
            drop_blobs(ctx, &row, &mut pruned).await?;
        }
    }
    Ok(pruned)
}

/// Deletes an entry's blobs from the store, then forgets them in its row.
/// A blob the store cannot delete now stays named, for the next prune.
async fn drop_blobs(ctx: &Kuvend, row: &CacheRow, pruned: &mut PrunedMedia) -> ServiceResult<()> {
    for key in [&row.file_key, &row.small_key].into_iter().flatten() {
        ctx.media
            .delete(key)
            .await
            .map_err(|e| ServiceError::Internal(e.into()))?;
        pruned.files += 1;
    }
    pruned.bytes += row.size_bytes.max(0) as u64;
    ctx.db
        .conn()
        .await?
        .q()
        .media_cache_drop_blobs(row.id)
        .await?;
    Ok(())
}
