//! PostgreSQL: the same SQL and the same group commit (one transaction per batch). Several
//! instances may share the database: the unique `dedupe_key` with `ON CONFLICT DO NOTHING`
//! makes a resend processed once across them.
use std::str::FromStr;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::writer::{Batch, BatchOutcome, Op, Writer};
use super::{Health, StoreError};

/// Pooled connections (the writer uses one at a time; the rest serve reads).
const CONNECTIONS: u32 = 8;

/// The PostgreSQL store.
pub(super) struct PgStore {
    read: PgPool,
    writer: Writer,
    health: Arc<Health>,
}

/// The writer's side (the same pool).
pub(super) struct PgBatch {
    pool: PgPool,
}

impl PgStore {
    /// Connects and migrates (sqlx serialises concurrent migrators with an advisory lock).
    pub(super) async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|error| StoreError::Migrate(error.to_string()))?;
        let health = Arc::new(Health::default());
        let writer = Writer::start(PgBatch { pool: pool.clone() }, Arc::clone(&health));
        Ok(PgStore {
            read: pool,
            writer,
            health,
        })
    }
}

#[async_trait]
impl Batch for PgBatch {
    async fn apply(&self, ops: &[Op]) -> BatchOutcome {
        self.apply_ops(ops).await
    }

    /// Nothing to do per forget: PostgreSQL has no secure_delete; the deleted tuples are
    /// reclaimed by (auto)vacuum. Running VACUUM per unsubscribe would scan the events
    /// table each time; see docs/storage.md.
    async fn scrub(&self) -> bool {
        true
    }

    async fn shut(&self) {
        self.pool.close().await;
    }
}

super::backend::sql_store!(
    super::PgStore,
    super::PgBatch,
    sqlx::Postgres,
    "BEGIN",
    crate::store::sql::Placeholders::Numbered
);

impl PgStore {
    /// Whether the last batch committed.
    fn health_status(&self) -> Result<(), String> {
        self.health.status()
    }
}
