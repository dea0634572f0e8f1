//! Storage: the only layer that knows diesel. Two backends behind one [`Db`]:
//! every query is a method on [`Q`], written once and compiled for SQLite and
//! PostgreSQL by the `on_q!` macro; [`transaction!`] groups queries atomically.
//!
//! Single-row lookups end in `get_result`, not `first`: `first` adds a bound
//! `LIMIT ?`, and SQLite's planner reads that bound value, so it prepares the
//! statement again at every execution (15 % of the inbox's CPU, in `perf`).

pub mod accounts;
pub mod activities;
pub mod actors;
pub mod blocklists;
pub mod blocks;
pub mod boosts;
#[cfg(feature = "bench")]
pub mod bulk;
pub mod campaigns;
pub mod coalition_feed;
pub mod coalitions;
pub mod deliveries;
pub mod domain_policy;
pub mod events;
pub mod feeds;
pub mod follows;
pub mod instances;
pub mod media;
pub mod media_cache;
pub mod models;
pub mod polls;
pub mod posts;
pub mod relays;
pub mod reports;
pub mod schema;
pub mod suspension;
pub mod threads;
pub mod views;

use crate::config::{DatabaseSettings, SqliteSynchronous};
use diesel::{Connection, ConnectionError, SqliteConnection};
use diesel_async::{
    AsyncPgConnection, SimpleAsyncConnection,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{AsyncDieselConnectionManager, ManagerConfig, bb8::Pool},
    sync_connection_wrapper::{SpawnBlocking, SyncConnectionWrapper},
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use futures::future::BoxFuture;
use std::{path::Path, sync::Arc};

/// For the `transaction!` and `savepoint!` macros, so that crates using them
/// need not depend on diesel-async themselves.
#[doc(hidden)]
pub use diesel_async as __diesel_async;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a pooled connection may stay idle before it is closed.
const IDLE_CONNECTION_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

pub type SqliteConn = SyncConnectionWrapper<SqliteConnection, SqliteRuntime>;
pub type SqlitePool = Pool<SqliteConn>;
pub type PgPool = Pool<AsyncPgConnection>;

/// A storage failure. `Conflict` and `NotFound` are expected outcomes callers
/// act on; the others are faults.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("cannot open database {url}: {reason}")]
    Open { url: String, reason: String },
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error("already exists: {0}")]
    Conflict(String),
    #[error("not found")]
    NotFound,
    #[error("database error: {0}")]
    Query(diesel::result::Error),
}

impl From<diesel::result::Error> for StorageError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match error {
            Error::NotFound => StorageError::NotFound,
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StorageError::Conflict(info.message().to_string())
            }
            other => StorageError::Query(other),
        }
    }
}

impl<E: std::error::Error + 'static> From<bb8::RunError<E>> for StorageError {
    fn from(error: bb8::RunError<E>) -> Self {
        StorageError::Pool(error.to_string())
    }
}

pub type StorageResult<T> = Result<T, StorageError>;

/// The two backends. Public so that the macros can match on it; nothing outside
/// `storage` should name it.
pub enum Backend {
    Sqlite {
        /// Connections for reads and single statements.
        pool: SqlitePool,
        /// Every write transaction goes through this one connection.
        writer: SqliteWriter,
    },
    Postgres {
        pool: PgPool,
    },
}

tokio::task_local! {
    /// Set while the SQLite writer runs a transaction; see [`SqliteRuntime`].
    static IN_SQLITE_WRITER: ();
}

/// Where diesel-async runs SQLite's blocking calls: on tokio's blocking
/// threads, like diesel-async's own default, except the statements of a
/// write transaction, which run on the calling worker. Those hold SQLite's
/// single writer: two thread switches per statement made every write
/// transaction, and so the whole inbox, several times slower, while an
/// indexed write itself takes microseconds.
pub struct SqliteRuntime;

impl SpawnBlocking for SqliteRuntime {
    fn spawn_blocking<'a, R>(
        &mut self,
        task: impl FnOnce() -> R + Send + 'static,
    ) -> BoxFuture<'a, Result<R, Box<dyn std::error::Error + Send + Sync + 'static>>>
    where
        R: Send + 'static,
    {
        if IN_SQLITE_WRITER.try_with(|_| ()).is_ok() {
            return Box::pin(std::future::ready(Ok(task())));
        }
        let handle = tokio::task::spawn_blocking(task);
        Box::pin(async move { handle.await.map_err(|e| e.into()) })
    }

    fn get_runtime() -> Self {
        SqliteRuntime
    }
}

/// Runs `transaction` as the SQLite writer's: see [`SqliteRuntime`].
pub async fn as_sqlite_writer<T>(transaction: impl Future<Output = T>) -> T {
    IN_SQLITE_WRITER.scope((), transaction).await
}

/// The connection that runs all of SQLite's write transactions, one at a
/// time. SQLite allows one writer at a time: queueing here avoids SQLITE_BUSY
/// when a read transaction would have to upgrade to a write lock another
/// connection holds. And SQLite empties a connection's page cache whenever
/// another connection has written since it last read: a single writing
/// connection keeps its cache across write transactions.
pub struct SqliteWriter {
    /// None after a transaction was abandoned midway (its future dropped);
    /// the next writer connects afresh rather than reuse a connection that
    /// may still be inside that transaction.
    slot: tokio::sync::Mutex<Option<SqliteConn>>,
    path: String,
    pragmas: String,
}

/// The writer connection, held for one transaction; see [`SqliteWriter`].
/// Dropped without [`WriterGuard::finish`], it closes the connection, which
/// rolls back whatever the abandoned transaction wrote.
pub struct WriterGuard<'w> {
    slot: tokio::sync::MutexGuard<'w, Option<SqliteConn>>,
    conn: SqliteConn,
}

impl SqliteWriter {
    /// Waits for the writer connection (connecting if there is none).
    pub async fn acquire(&self) -> StorageResult<WriterGuard<'_>> {
        let mut slot = self.slot.lock().await;
        let conn = match slot.take() {
            Some(conn) => conn,
            None => connect_sqlite(&self.path, &self.pragmas)
                .await
                .map_err(|e| StorageError::Pool(e.to_string()))?,
        };
        Ok(WriterGuard { slot, conn })
    }
}

impl WriterGuard<'_> {
    pub fn conn(&mut self) -> &mut SqliteConn {
        &mut self.conn
    }

    /// The transaction ran to its end: the connection is kept for the next
    /// one, unless its transaction state is broken.
    pub fn finish(self) {
        use diesel_async::{AsyncConnection, TransactionManager};
        let WriterGuard { mut slot, mut conn } = self;
        if !<SqliteConn as AsyncConnection>::TransactionManager::is_broken_transaction_manager(
            &mut conn,
        ) {
            *slot = Some(conn);
        }
    }
}

/// A handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    backend: Arc<Backend>,
}

/// A connection of either backend, borrowed for a few queries or one
/// transaction. Every query is a method on `Q`, written once for both backends.
pub enum Q<'c> {
    Sqlite(&'c mut SqliteConn),
    Postgres(&'c mut AsyncPgConnection),
}

/// Runs `$body` with `$conn` bound to the backend's own connection type; the body
/// is compiled once per backend.
macro_rules! on_q {
    ($q:expr, |$conn:ident| $body:expr) => {
        match $q {
            $crate::storage::Q::Sqlite($conn) => $body,
            $crate::storage::Q::Postgres($conn) => $body,
        }
    };
}
pub(crate) use on_q;

/// A pooled connection, outside any transaction.
pub enum Conn {
    Sqlite(bb8::PooledConnection<'static, AsyncDieselConnectionManager<SqliteConn>>),
    // Boxed: the PostgreSQL connection is several times larger than SQLite's.
    Postgres(Box<bb8::PooledConnection<'static, AsyncDieselConnectionManager<AsyncPgConnection>>>),
}

impl Conn {
    pub fn q(&mut self) -> Q<'_> {
        match self {
            Conn::Sqlite(c) => Q::Sqlite(c),
            Conn::Postgres(c) => Q::Postgres(c),
        }
    }
}

/// Runs `$body`, an expression of type `StorageResult<T>` that uses `$q: Q`, in
/// one transaction: everything it wrote commits together or not at all.
///
/// The body's error type is `StorageError` unless named after the database:
/// `transaction!(db, ServiceError, |q| ...)`; it must convert from
/// `StorageError`. Failures of the transaction itself (begin, commit) arrive
/// as `StorageError`, so the caller's error type need not know diesel.
#[macro_export]
macro_rules! transaction {
    ($db:expr, |$q:ident| $body:expr) => {
        $crate::transaction!($db, $crate::storage::StorageError, |$q| $body)
    };
    ($db:expr, $error:ty, |$q:ident| $body:expr) => {
        async {
            use $crate::storage::__diesel_async::AsyncConnection as _;
            match $db.backend() {
                $crate::storage::Backend::Sqlite { writer, .. } => {
                    let mut writer = writer.acquire().await?;
                    let result = $crate::storage::as_sqlite_writer(
                        writer
                            .conn()
                            .transaction::<_, $crate::storage::TxError<$error>, _>(async |conn| {
                                #[allow(unused_mut)]
                                let mut $q = $crate::storage::Q::Sqlite(conn);
                                let result: Result<_, $error> = async { $body }.await;
                                result.map_err($crate::storage::TxError::Body)
                            }),
                    )
                    .await;
                    writer.finish();
                    result.map_err($crate::storage::TxError::into_error)
                }
                $crate::storage::Backend::Postgres { pool } => {
                    let mut pooled = pool
                        .get()
                        .await
                        .map_err($crate::storage::StorageError::from)?;
                    pooled
                        .transaction::<_, $crate::storage::TxError<$error>, _>(async |conn| {
                            #[allow(unused_mut)]
                            let mut $q = $crate::storage::Q::Postgres(conn);
                            let result: Result<_, $error> = async { $body }.await;
                            result.map_err($crate::storage::TxError::Body)
                        })
                        .await
                        .map_err($crate::storage::TxError::into_error)
                }
            }
        }
        .await
    };
}

/// Runs `$body` in a savepoint of the transaction that `$q` (a `&mut Q`) is
/// in: if it fails, what it wrote is undone and the transaction goes on.
/// `$body` sees its own `$inner: Q`.
#[macro_export]
macro_rules! savepoint {
    ($q:expr, $error:ty, |$inner:ident| $body:expr) => {
        async {
            use $crate::storage::__diesel_async::AsyncConnection as _;
            match $q {
                $crate::storage::Q::Sqlite(conn) => {
                    let conn: &mut $crate::storage::SqliteConn = conn;
                    conn.transaction::<_, $crate::storage::TxError<$error>, _>(async |conn| {
                        #[allow(unused_mut)]
                        let mut $inner = $crate::storage::Q::Sqlite(conn);
                        let result: Result<_, $error> = async { $body }.await;
                        result.map_err($crate::storage::TxError::Body)
                    })
                    .await
                    .map_err($crate::storage::TxError::into_error)
                }
                $crate::storage::Q::Postgres(conn) => {
                    let conn: &mut $crate::storage::__diesel_async::AsyncPgConnection = conn;
                    conn.transaction::<_, $crate::storage::TxError<$error>, _>(async |conn| {
                        #[allow(unused_mut)]
                        let mut $inner = $crate::storage::Q::Postgres(conn);
                        let result: Result<_, $error> = async { $body }.await;
                        result.map_err($crate::storage::TxError::Body)
                    })
                    .await
                    .map_err($crate::storage::TxError::into_error)
                }
            }
        }
        .await
    };
}

/// What a transaction (or savepoint) failed with: its body's own error, or
/// the database's while beginning, committing or rolling back. Lets
/// [`transaction!`] run a body whose error type knows nothing of diesel.
#[doc(hidden)]
pub enum TxError<E> {
    Body(E),
    Database(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for TxError<E> {
    fn from(error: diesel::result::Error) -> Self {
        TxError::Database(error)
    }
}

impl<E: From<StorageError>> TxError<E> {
    pub fn into_error(self) -> E {
        match self {
            TxError::Body(error) => error,
            TxError::Database(error) => StorageError::from(error).into(),
        }
    }
}

impl Db {
    /// Opens the database named in the settings, creating an SQLite file and its
    /// directory if needed, and applies pending migrations.
    pub async fn open(settings: &DatabaseSettings) -> StorageResult<Db> {
        let url = settings.url.as_str();
        let backend = if let Some(path) = sqlite_path(url) {
            open_sqlite(url, path, settings).await?
        } else {
            open_postgres(url, settings).await?
        };
        Ok(Db {
            backend: Arc::new(backend),
        })
    }

    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// A connection from the pool, for reads or single statements.
    pub async fn conn(&self) -> StorageResult<Conn> {
        Ok(match &*self.backend {
            Backend::Sqlite { pool, .. } => Conn::Sqlite(pool.get_owned().await?),
            Backend::Postgres { pool } => Conn::Postgres(Box::new(pool.get_owned().await?)),
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(*self.backend, Backend::Postgres { .. })
    }
}

/// `sqlite://data/kuvend.db` → `data/kuvend.db`; `sqlite:///abs.db` → `/abs.db`.
fn sqlite_path(url: &str) -> Option<&str> {
    url.strip_prefix("sqlite://")
}

fn open_error(url: &str, reason: impl ToString) -> StorageError {
    // Never echo a password from the URL.
    let shown = match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    };
    StorageError::Open {
        url: shown,
        reason: reason.to_string(),
    }
}

async fn open_sqlite(url: &str, path: &str, settings: &DatabaseSettings) -> StorageResult<Backend> {
    if path.is_empty() {
        return Err(open_error(url, "no file name after sqlite://"));
    }
    if let Some(dir) = Path::new(path)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| open_error(url, format!("cannot create {}: {e}", dir.display())))?;
    }
    let synchronous = match settings.sqlite_synchronous {
        SqliteSynchronous::Normal => "NORMAL",
        SqliteSynchronous::Full => "FULL",
    };
    // temp_store: the inbox applies each activity in a savepoint, whose
    // journal SQLite would otherwise write to a temporary file.
    let pragmas = format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; \
         PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
         PRAGMA temp_store = MEMORY;"
    );

    // Migrations first, on a plain connection, so a bad path fails with one clear error.
    let path_owned = path.to_string();
    let pragmas_owned = pragmas.clone();
    tokio::task::spawn_blocking(move || -> StorageResult<()> {
        let mut conn = SqliteConnection::establish(&path_owned)
            .map_err(|e| open_error(&format!("sqlite://{path_owned}"), e))?;
        diesel::connection::SimpleConnection::batch_execute(&mut conn, &pragmas_owned)
            .map_err(|e| open_error(&format!("sqlite://{path_owned}"), e))?;
        conn.run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| StorageError::Migration(e.to_string()))?;
        Ok(())
    })
    .await
    .map_err(|e| StorageError::Migration(e.to_string()))??;

    let writer = SqliteWriter {
        slot: tokio::sync::Mutex::new(Some(
            connect_sqlite(path, &pragmas)
                .await
                .map_err(|e| open_error(url, e))?,
        )),
        path: path.to_string(),
        pragmas: pragmas.clone(),
    };
    let mut config = ManagerConfig::<SqliteConn>::default();
    config.custom_setup = Box::new(move |url| {
        let pragmas = pragmas.clone();
        let url = url.to_string();
        Box::pin(async move { connect_sqlite(&url, &pragmas).await })
    });
    let manager = AsyncDieselConnectionManager::<SqliteConn>::new_with_config(path, config);
    let pool = Pool::builder()
        .max_size(settings.max_connections)
        // No test query on every checkout (a round trip per query); a broken
        // connection shows itself by its error and is dropped then.
        .test_on_check_out(false)
        // Connections idle for a while are closed, and with them SQLite's
        // page cache of each (up to 2 MiB): memory goes back after a burst.
        .idle_timeout(Some(IDLE_CONNECTION_TIMEOUT))
        .reaper_rate(IDLE_CONNECTION_TIMEOUT / 2)
        .build(manager)
        .await
        .map_err(|e| open_error(url, e))?;
    Ok(Backend::Sqlite { pool, writer })
}

async fn connect_sqlite(path: &str, pragmas: &str) -> Result<SqliteConn, ConnectionError> {
    let mut conn = <SqliteConn as diesel_async::AsyncConnection>::establish(path).await?;
    conn.batch_execute(pragmas)
        .await
        .map_err(ConnectionError::CouldntSetupConfiguration)?;
    Ok(conn)
}

async fn open_postgres(url: &str, settings: &DatabaseSettings) -> StorageResult<Backend> {
    let url_owned = url.to_string();
    tokio::task::spawn_blocking(move || -> StorageResult<()> {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url_owned)
            .map_err(|e| open_error(&url_owned, e))?;
        conn.run_pending_migrations(POSTGRES_MIGRATIONS)
            .map_err(|e| StorageError::Migration(e.to_string()))?;
        Ok(())
    })
    .await
    .map_err(|e| StorageError::Migration(e.to_string()))??;

    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    let pool = Pool::builder()
        .max_size(settings.max_connections)
        // No test query on every checkout (a round trip per query); a broken
        // connection shows itself by its error and is dropped then.
        .test_on_check_out(false)
        // Connections idle for a while are closed, and with them SQLite's
        // page cache of each (up to 2 MiB): memory goes back after a burst.
        .idle_timeout(Some(IDLE_CONNECTION_TIMEOUT))
        .reaper_rate(IDLE_CONNECTION_TIMEOUT / 2)
        .build(manager)
        .await
        .map_err(|e| open_error(url, e))?;
    Ok(Backend::Postgres { pool })
}

/// The current time, as stored: UTC without zone, microsecond precision so that
/// both backends store and compare the same value.
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::DurationRound::duration_trunc(now, chrono::Duration::microseconds(1)).unwrap_or(now)
}
