//! Bulk writes for loading many rows at once (the benchmark's seeding, and
//! imports later). PostgreSQL gets one multi-row INSERT per call; SQLite, which
//! diesel-async cannot batch, one cached prepared INSERT per row, which inside
//! the caller's transaction is about as fast. Callers keep batches to a few
//! hundred rows.

use super::{
    Q, StorageResult,
    models::{ActorRow, NewActor, NewFollow, PostRow},
    on_q,
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

    /// Makes the database ready for measuring after a bulk load: for
    /// PostgreSQL, statistics for the planner; for SQLite, the WAL folded into
    /// the main file. SQLite gets no ANALYZE: the bundled SQLite is built with
    /// STAT4, and with its statistics present every statement whose plan
    /// depends on a bound value is prepared again at each execution, which
    /// costs more than the statistics gain (docs/storage.md).
    pub async fn analyze(&mut self) -> StorageResult<()> {
        match self {
            Q::Sqlite(c) => {
                diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(*c)
                    .await?;
            }
            Q::Postgres(c) => {
                diesel::sql_query("VACUUM ANALYZE").execute(*c).await?;
            }
        }
        Ok(())
    }

    /// Fills every local account's home timeline from the posts and follows
    /// stored (after a bulk load; the same statements as the migration that
    /// created the table).
    pub async fn rebuild_home_feeds(&mut self) -> StorageResult<()> {
        const OWN: &str = "INSERT INTO home_feed (owner_id, post_id) \
            SELECT posts.author_id, posts.id FROM posts JOIN actors ON actors.id = posts.author_id \
            WHERE actors.local AND posts.visibility <> 'direct' AND posts.reblog_of_id IS NULL ON CONFLICT DO NOTHING";
        const FOLLOWED: &str = "INSERT INTO home_feed (owner_id, post_id) \
            SELECT follows.follower_id, posts.id FROM follows \
            JOIN actors ON actors.id = follows.follower_id \
            JOIN posts ON posts.author_id = follows.followee_id \
            WHERE actors.local AND follows.state = 'accepted' AND posts.visibility <> 'direct' \
            AND posts.reblog_of_id IS NULL ON CONFLICT DO NOTHING";
        on_q!(self, |c| {
            diesel::sql_query(OWN).execute(c).await?;
            diesel::sql_query(FOLLOWED).execute(c).await?;
            Ok(())
        })
    }
}

/// Creates an empty database `name` on the PostgreSQL server that `admin_url`
/// reaches and returns its URL (for the benchmark's throwaway databases).
pub async fn create_postgres_database(admin_url: &str, name: &str) -> StorageResult<String> {
    use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
    let open_error = |reason: String| super::StorageError::Open {
        url: admin_url.to_string(),
        reason,
    };
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(open_error(format!("{name:?} is not a plain database name")));
    }
    let mut conn = AsyncPgConnection::establish(admin_url)
        .await
        .map_err(|e| open_error(e.to_string()))?;
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    let mut url = url::Url::parse(admin_url).map_err(|e| open_error(e.to_string()))?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}
