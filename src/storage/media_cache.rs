//! The remote media cache (issue 16): one row per remote URL shown through
//! our proxy, naming the processed blobs while they are kept. Pruning drops
//! the blobs and keeps the row, so a later view fetches the file again.

use super::{Q, StorageResult, now, on_q, schema::media_cache};
use crate::storage::media::MediaFile;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// One remote URL's cache entry.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media_cache)]
pub struct CacheRow {
    pub id: i64,
    /// Hex SHA-256 of `url`.
    pub url_hash: String,
    pub url: String,
    /// `None` while nothing is cached (never fetched, failed or pruned).
    pub file_key: Option<String>,
    pub small_key: Option<String>,
    pub content_type: Option<String>,
    /// The original's size in bytes (0 when nothing is cached).
    pub size_bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub blurhash: Option<String>,
    pub fetched_at: Option<NaiveDateTime>,
    pub last_used_at: NaiveDateTime,
    /// The last failed fetch (or refused file).
    pub failed_at: Option<NaiveDateTime>,
}

impl Q<'_> {
    pub async fn media_cache_get(&mut self, url_hash: &str) -> StorageResult<Option<CacheRow>> {
        on_q!(self, |c| Ok(media_cache::table
            .filter(media_cache::url_hash.eq(url_hash))
            .select(CacheRow::as_select())
            .get_result(c)
            .await
            .optional()?))
    }

    /// A view: the entry is used now (pruning goes by this).
    pub async fn media_cache_touch(&mut self, id: i64) -> StorageResult<()> {
        let now = now();
        on_q!(self, |c| {
            diesel::update(media_cache::table.find(id))
                .set(media_cache::last_used_at.eq(now))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Records what a fetch stored, replacing whatever the entry named.
    pub async fn media_cache_store(
        &mut self,
        url_hash: &str,
        url: &str,
        file: &MediaFile,
    ) -> StorageResult<()> {
        let now = now();
        let values = (
            media_cache::file_key.eq(Some(&file.file_key)),
            media_cache::small_key.eq(Some(&file.small_key)),
            media_cache::content_type.eq(Some(&file.content_type)),
            media_cache::size_bytes.eq(file.size_bytes),
            media_cache::width.eq(Some(file.width)),
            media_cache::height.eq(Some(file.height)),
            media_cache::blurhash.eq(file.blurhash.as_deref()),
            media_cache::fetched_at.eq(Some(now)),
            media_cache::last_used_at.eq(now),
            media_cache::failed_at.eq(None::<NaiveDateTime>),
        );
        on_q!(self, |c| {
            diesel::insert_into(media_cache::table)
                .values((
                    media_cache::url_hash.eq(url_hash),
                    media_cache::url.eq(url),
                    values,
                ))
                .on_conflict(media_cache::url_hash)
                .do_update()
                .set(values)
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Records a failed fetch (or a refused file): not asked again for a
    /// while.
    pub async fn media_cache_failed(&mut self, url_hash: &str, url: &str) -> StorageResult<()> {
        let now = now();
        on_q!(self, |c| {
            diesel::insert_into(media_cache::table)
                .values((
                    media_cache::url_hash.eq(url_hash),
                    media_cache::url.eq(url),
                    media_cache::last_used_at.eq(now),
                    media_cache::failed_at.eq(Some(now)),
                ))
                .on_conflict(media_cache::url_hash)
                .do_update()
                .set(media_cache::failed_at.eq(Some(now)))
                .execute(c)
                .await?;
            Ok(())
        })
    }

    /// Entries holding blobs, unused since `before`, at most `limit`.
    pub async fn media_cache_unused_since(
        &mut self,
        before: NaiveDateTime,
        limit: i64,
    ) -> StorageResult<Vec<CacheRow>> {
        on_q!(self, |c| Ok(media_cache::table
            .filter(media_cache::file_key.is_not_null())
            .filter(media_cache::last_used_at.lt(before))
            .order(media_cache::last_used_at)
            .limit(limit)
            .select(CacheRow::as_select())
            .load(c)
            .await?))
    }

    /// Entries holding blobs, least recently used first, at most `limit`.
    pub async fn media_cache_least_used(&mut self, limit: i64) -> StorageResult<Vec<CacheRow>> {
        on_q!(self, |c| Ok(media_cache::table
            .filter(media_cache::file_key.is_not_null())
            .order((media_cache::last_used_at, media_cache::id))
            .limit(limit)
            .select(CacheRow::as_select())
            .load(c)
            .await?))
    }

    /// The bytes the cache holds (originals).
    pub async fn media_cache_total_bytes(&mut self) -> StorageResult<i64> {
        // CAST: PostgreSQL sums a BIGINT into a NUMERIC.
        let sum = diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "CAST(COALESCE(SUM(size_bytes), 0) AS BIGINT)",
        );
        on_q!(self, |c| Ok(media_cache::table
            .filter(media_cache::file_key.is_not_null())
            .select(sum)
            .get_result::<i64>(c)
            .await?))
    }

    /// Forgets an entry's blobs (already deleted from the store); the row
    /// stays, so the URL is fetched again when next shown.
    pub async fn media_cache_drop_blobs(&mut self, id: i64) -> StorageResult<()> {
        on_q!(self, |c| {
            diesel::update(media_cache::table.find(id))
                .set((
                    media_cache::file_key.eq(None::<String>),
                    media_cache::small_key.eq(None::<String>),
                    media_cache::size_bytes.eq(0i64),
                ))
                .execute(c)
                .await?;
            Ok(())
        })
    }
}
