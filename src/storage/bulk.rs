//! Bulk writes for loading many rows at once (the benchmark's seeding, and
//! imports later). PostgreSQL gets one multi-row INSERT per call; SQLite, which
//! diesel-async cannot batch, one cached prepared INSERT per row, which inside
//! the caller's transaction is about as fast. Callers keep batches to a few
//! hundred rows.

use super::{
    Q, StorageResult,
    models::{ActorRow, NewActor, NewFollow, PostRow},
    schema::{actors, follows, posts},
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

/// How big the database is, in bytes: the SQLite file's pages, or
/// PostgreSQL's `pg_database_size`.
#[derive(QueryableByName)]
struct Size {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    bytes: i64,
}

impl Q<'_> {
    pub async fn insert_actors(&mut self, rows: &[NewActor]) -> StorageResult<Vec<ActorRow>> {
        match self {
            Q::Postgres(c) => Ok(diesel::insert_into(actors::table)
                .values(rows)
                .returning(ActorRow::as_returning())
                .get_results(*c)
                .await?),
            Q::Sqlite(c) => {
                let mut inserted = Vec::with_capacity(rows.len());
                for row in rows {
                    inserted.push(
                        diesel::insert_into(actors::table)
                            .values(row)
                            .returning(ActorRow::as_returning())
                            .get_result(*c)
                            .await?,
                    );
                }
                Ok(inserted)
            }
        }
    }

    pub async fn insert_follows(&mut self, rows: &[NewFollow]) -> StorageResult<()> {
        match self {
            Q::Postgres(c) => {
                diesel::insert_into(follows::table)
                    .values(rows)
                    .execute(*c)
                    .await?;
            }
            Q::Sqlite(c) => {
                for row in rows {
                    diesel::insert_into(follows::table)
                        .values(row)
                        .execute(*c)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// Inserts posts without tags or mentions.
    pub async fn insert_posts(&mut self, rows: &[PostRow]) -> StorageResult<()> {
        match self {
            Q::Postgres(c) => {
                diesel::insert_into(posts::table)
                    .values(rows)
                    .execute(*c)
                    .await?;
            }
            Q::Sqlite(c) => {
                for row in rows {
                    diesel::insert_into(posts::table)
                        .values(row)
                        .execute(*c)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// The database's size on disk, in bytes (for SQLite, without the WAL).
    pub async fn database_bytes(&mut self) -> StorageResult<i64> {
        let size: Size = match self {
            Q::Sqlite(c) => {
                diesel::sql_query(
                    "SELECT page_count * page_size AS bytes \
                     FROM pragma_page_count(), pragma_page_size()",
                )
                .get_result(*c)
                .await?
            }
            Q::Postgres(c) => {
                diesel::sql_query("SELECT pg_database_size(current_database()) AS bytes")
                    .get_result(*c)
                    .await?
            }
        };
        Ok(size.bytes)
    }

    /// Makes the database ready for measuring after a bulk load: statistics
    /// for the planner, and for SQLite the WAL folded into the main file.
    pub async fn analyze(&mut self) -> StorageResult<()> {
        match self {
            Q::Sqlite(c) => {
                diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(*c)
                    .await?;
                diesel::sql_query("ANALYZE").execute(*c).await?;
            }
            Q::Postgres(c) => {
                diesel::sql_query("VACUUM ANALYZE").execute(*c).await?;
            }
        }
        Ok(())
    }
}
