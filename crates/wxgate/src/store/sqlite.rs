//! SQLite: WAL, `synchronous=FULL` (a commit is fsynced), `secure_delete=ON` and a
//! truncating WAL checkpoint after a forget (the bytes leave the files). One write
//! connection owned by the writer; reads (and the rare admin writes) use a separate pool.
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::writer::{Batch, BatchOutcome, Op, Writer};
use super::StoreError;

/// How long a connection waits for SQLite's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long the post-forget checkpoint waits for readers at most per attempt.
const CHECKPOINT_BUSY_MS: u32 = 20;
/// Checkpoint attempts after a forget before leaving it to the next idle moment.
const CHECKPOINT_ATTEMPTS: u32 = 5;
/// Read connections (file databases).
const READERS: u32 = 4;

/// The SQLite store.
pub(super) struct SqliteStore {
    read: SqlitePool,
    writer: Writer,
}

/// The writer's side: the one write connection.
pub(super) struct SqliteBatch {
    pool: SqlitePool,
    /// `sqlite::memory:`: no files to scrub.
    in_memory: bool,
}

impl SqliteStore {
    /// Opens (creating if missing) and migrates the database at `url`.
    pub(super) async fn open(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("secure_delete", "ON");
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let (write, read) = if in_memory {
            // Each connection to a memory database would be another database: one connection,
            // kept open for the life of the store, serves the writer and the readers.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?;
            (pool.clone(), pool)
        } else {
            let options = options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full);
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(READERS)
                .connect_with(options)
                .await?;
            (write, read)
        };
        sqlx::migrate!("./migrations/sqlite").run(&write).await?;
        let writer = Writer::start(SqliteBatch {
            pool: write,
            in_memory,
        });
        Ok(SqliteStore { read, writer })
    }
}

impl SqliteBatch {
    /// One `wal_checkpoint(TRUNCATE)`: copies the WAL into the (secure-deleted) database file
    /// and truncates the WAL to zero bytes. Waits only briefly for readers.
    async fn checkpoint(&self) -> Result<bool, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        sqlx::query(&format!("PRAGMA busy_timeout = {CHECKPOINT_BUSY_MS}"))
            .execute(&mut *conn)
            .await?;
        let outcome: Result<(i64, i64, i64), sqlx::Error> =
            sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(&mut *conn)
                .await;
        sqlx::query(&format!(
            "PRAGMA busy_timeout = {}",
            BUSY_TIMEOUT.as_millis()
        ))
        .execute(&mut *conn)
        .await?;
        let (busy, _, _) = outcome?;
        Ok(busy == 0)
    }
}

#[async_trait]
impl Batch for SqliteBatch {
    async fn apply(&self, ops: &[Op]) -> BatchOutcome {
        self.apply_ops(ops).await
    }

    async fn scrub(&self) -> bool {
        if self.in_memory {
            return true;
        }
        for attempt in 0..CHECKPOINT_ATTEMPTS {
            match self.checkpoint().await {
                Ok(true) => return true,
                Ok(false) => tokio::time::sleep(Duration::from_millis(2 << attempt)).await,
                Err(error) => {
                    tracing::warn!(%error, "wal checkpoint failed");
                    return false;
                }
            }
        }
        false
    }

    async fn shut(&self) {
        self.pool.close().await;
    }
}

super::backend::sql_store!(
    super::SqliteStore,
    super::SqliteBatch,
    sqlx::Sqlite,
    "BEGIN IMMEDIATE",
    crate::store::sql::Placeholders::Anonymous
);
