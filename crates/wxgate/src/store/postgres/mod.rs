//! PostgreSQL: sqlx, one pool, the async group commit of `writer.rs` (one transaction per
//! batch, applied by `apply.rs`). Several instances may share the database: the unique
//! `dedupe_key` with `ON CONFLICT DO NOTHING` makes a resend processed once across them.
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::Connection as _;
use sqlx::{Postgres, QueryBuilder};

mod accounts;
mod apply;
mod jobs;
mod messages;
pub(super) mod plan;
mod platform;
mod sync;
mod web;
pub(super) mod writer;

use super::counters::DayRow;
use super::rows::{self, millis};
use super::sql;
use super::{
    AdminReads, DayStats, Erasure, EventQuery, EventRow, Follower, FollowerQuery, GuardMark,
    Health, Lifecycle, PushLog, PushWrite, QrCode, QrCodeTotals, QrCodes, Recorded, ReplayMark,
    Stats, StoreError, StoredReply, StoredToken, TokenLeases,
};
use writer::{Batch, BatchOutcome, Op, Writer};

/// Pooled connections (the writer uses one at a time; the rest serve reads).
const CONNECTIONS: u32 = 8;
/// Counter shards an instance draws from: bounds the rows a counter key can have.
const SHARDS: i32 = 1024;
/// Events deleted per statement by `purge_events`.
const PURGE_CHUNK: i64 = 1000;

/// The PostgreSQL store.
pub(super) struct PgStore {
    pool: PgPool,
    /// this instance's counter rows (see migration 0011): instances sharing the database never
    /// update the same counter row
    shard: i32,
    writer: Writer,
    health: Arc<Health>,
}

/// The writer's side (the same pool).
struct PgBatch {
    pool: PgPool,
    /// the store's counter shard
    shard: i32,
    /// when expired replay marks were last deleted
    expired: std::sync::Mutex<std::time::Instant>,
}

/// How often the writer deletes expired replay marks.
const EXPIRE_EVERY: Duration = Duration::from_secs(60);

impl PgStore {
    /// Connects and migrates (sqlx serialises concurrent migrators with an advisory lock).
    pub(super) async fn open(url: &str) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)?;
        // One connection first: the pool retries a refused connection until its acquire
        // timeout (30 s) and then says only "pool timed out"; this says why at once
        // ("Connection refused", an unknown database, a refused role).
        let connect = |source| StoreError::Connect {
            server: format!("{}:{}", options.get_host(), options.get_port()),
            source,
        };
        let first = PgConnection::connect_with(&options)
            .await
            .map_err(connect)?;
        first.close().await.map_err(connect)?;
        let pool = PgPoolOptions::new()
            .max_connections(CONNECTIONS)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres")
            .run(&pool)
            .await
            .map_err(|error| StoreError::Migrate(Box::new(error)))?;
        let health = Arc::new(Health::default());
        // Random, so instances need no configuration to differ; two that draw the same number
        // only share counter rows (and wait for each other there), counts stay exact.
        let shard = rand::random::<i32>().rem_euclid(SHARDS);
        let batch = PgBatch {
            pool: pool.clone(),
            shard,
            expired: std::sync::Mutex::new(std::time::Instant::now()),
        };
        let writer = Writer::start(batch, Arc::clone(&health));
        Ok(PgStore {
            pool,
            shard,
            writer,
            health,
        })
    }
}

#[async_trait]
impl Batch for PgBatch {
    async fn apply(&self, ops: &[Op]) -> BatchOutcome {
        let outcome = apply::apply_ops(&self.pool, self.shard, ops).await;
        let due = {
            let mut last = self
                .expired
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let due = last.elapsed() >= EXPIRE_EVERY;
            if due {
                *last = std::time::Instant::now();
            }
            due
        };
        if due {
            if let Err(error) = apply::expire_marks(&self.pool).await {
                tracing::warn!(%error, "deleting expired replay marks and tombstones failed");
            }
        }
        outcome
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

/// `WHERE a AND b …` from the filters given (so only they are bound and the indexes apply).
struct Where<'q> {
    query: QueryBuilder<'q, Postgres>,
    first: bool,
}

impl<'q> Where<'q> {
    fn new(select: &str) -> Self {
        Where {
            query: QueryBuilder::new(select),
            first: true,
        }
    }

    /// Adds `sql <bound value> tail` as one condition.
    fn and<T>(&mut self, sql: &str, value: T, tail: &str) -> &mut Self
    where
        T: 'q + sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + Send,
    {
        self.query
            .push(if self.first { " WHERE " } else { " AND " });
        self.first = false;
        self.query.push(sql).push_bind(value).push(tail);
        self
    }

    fn finish(mut self, order: &str, limit: u32) -> QueryBuilder<'q, Postgres> {
        self.query
            .push(" ")
            .push(order)
            .push(" LIMIT ")
            .push_bind(i64::from(limit));
        self.query
    }
}

#[async_trait]
impl PushLog for PgStore {
    async fn record(&self, write: PushWrite) -> Result<Recorded, StoreError> {
        self.writer.write(Op::Record(Box::new(write))).await
    }

    async fn stored_reply(
        &self,
        account: &str,
        dedupe_key: &str,
    ) -> Result<Option<StoredReply>, StoreError> {
        let reply: Option<Option<String>> = sqlx::query_scalar(sql::SELECT_REPLY)
            .bind(account)
            .bind(dedupe_key)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(reply) = reply {
            return Ok(Some(StoredReply::from(reply)));
        }
        // An unsubscribe forgotten within the window: it was answered `success`.
        let forgotten: Option<i32> = sqlx::query_scalar(sql::SELECT_FORGOTTEN)
            .bind(account)
            .bind(&crate::store::forgotten_digest(dedupe_key)[..])
            .bind(crate::store::forgotten_cutoff())
            .fetch_optional(&self.pool)
            .await?;
        Ok(forgotten.map(|_| StoredReply::Success))
    }

    async fn keep_mark(&self, kept: &GuardMark) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO replay_guard (account, query, body, seen_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account, query) DO NOTHING",
        )
        .bind(&kept.guard)
        .bind(&kept.mark.query[..])
        .bind(&kept.mark.body[..])
        .bind(millis(kept.mark.seen_at))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn replay_marks(
        &self,
        account: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ReplayMark>, StoreError> {
        let rows: Vec<(i64, Vec<u8>, Vec<u8>)> = sqlx::query_as(
            "SELECT seen_at, query, body FROM replay_guard WHERE seen_at >= $1 AND account = $2 \
             ORDER BY seen_at",
        )
        .bind(millis(since))
        .bind(account)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|(seen_at, query, body)| rows::mark(*seen_at, query, body))
            .collect()
    }

    async fn replayed_elsewhere(
        &self,
        account: &str,
        mark: &ReplayMark,
    ) -> Result<bool, StoreError> {
        let since = millis(Utc::now() - super::REPLAY_WINDOW);
        let body: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT body FROM replay_guard WHERE account = $3 AND query = $1 AND seen_at >= $2",
        )
        .bind(&mark.query[..])
        .bind(since)
        .bind(account)
        .fetch_optional(&self.pool)
        .await?;
        Ok(body.is_some_and(|body| body != mark.body))
    }
}

#[async_trait]
impl Erasure for PgStore {
    async fn forget(&self, account: &str, openid: &str) -> Result<(), StoreError> {
        self.writer
            .write(Op::Forget(account.to_string(), openid.to_string()))
            .await
            .map(drop)
    }

    async fn purge_events(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let mut purged = 0;
        loop {
            let deleted = sqlx::query(sql::PURGE_EVENTS)
                .bind(millis(cutoff))
                .bind(PURGE_CHUNK)
                .execute(&self.pool)
                .await?
                .rows_affected();
            purged += deleted;
            if deleted < PURGE_CHUNK.unsigned_abs() {
                return Ok(purged);
            }
        }
    }
}

#[async_trait]
impl AdminReads for PgStore {
    async fn follower(
        &self,
        account: Option<&str>,
        openid: &str,
    ) -> Result<Vec<Follower>, StoreError> {
        sqlx::query_as::<_, rows::FollowerDb>(&sql::select_follower())
            .bind(account)
            .bind(openid)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Follower::try_from)
            .collect()
    }

    async fn followers(&self, query: &FollowerQuery) -> Result<Vec<Follower>, StoreError> {
        let mut filter = Where::new(&sql::select_all_followers());
        if let Some(account) = &query.account {
            filter.and("account = ", account.as_str(), "");
        }
        if let Some(subscribed) = query.subscribed {
            filter.and("subscribed = ", subscribed, "");
        }
        if let Some((account, openid)) = &query.after {
            filter.and("(account, openid) > (", account.as_str(), ", ");
            filter.query.push_bind(openid.clone()).push(")");
        }
        filter
            .finish("ORDER BY account, openid", query.limit)
            .build_query_as::<rows::FollowerDb>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(Follower::try_from)
            .collect()
    }

    async fn events(&self, query: &EventQuery) -> Result<Vec<EventRow>, StoreError> {
        let mut filter = Where::new(&sql::select_all_events());
        if let Some(account) = &query.account {
            filter.and("account = ", account.as_str(), "");
        }
        if let Some(openid) = &query.openid {
            filter.and("openid = ", openid.as_str(), "");
        }
        if let Some(msg_type) = &query.msg_type {
            filter.and("lower(msg_type) = lower(", msg_type.as_str(), ")");
        }
        if let Some(event) = &query.event {
            filter.and("lower(event) = lower(", event.as_str(), ")");
        }
        if let Some(before) = query.before {
            filter.and("id < ", before, "");
        }
        filter
            .finish("ORDER BY id DESC", query.limit)
            .build_query_as::<rows::EventDb>()
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(EventRow::try_from)
            .collect()
    }

    async fn stats(&self, account: Option<&str>) -> Result<Stats, StoreError> {
        let totals = sqlx::query_as::<_, rows::TotalsDb>(sql::SELECT_TOTALS)
            .bind(account)
            .fetch_one(&self.pool)
            .await?;
        let scenes = sqlx::query_as::<_, rows::SceneDb>(&sql::select_scene_stats())
            .bind(account)
            .fetch_all(&self.pool)
            .await?;
        Ok(Stats {
            subscribed: totals.subscribed,
            total: totals.total,
            events: totals.events,
            scenes: scenes.into_iter().map(Into::into).collect(),
        })
    }

    async fn daily(
        &self,
        account: Option<&str>,
        today: DateTime<Utc>,
        days: u32,
        scene: Option<&str>,
    ) -> Result<Vec<DayStats>, StoreError> {
        let span = super::counters::span(today, days);
        let totals: Vec<DayRow> = sqlx::query_as(sql::SELECT_DAYS)
            .bind(span.0)
            .bind(span.1)
            .bind(account)
            .fetch_all(&self.pool)
            .await?;
        let narrowed: Option<Vec<DayRow>> = match scene {
            Some(scene) => Some(
                sqlx::query_as(sql::SELECT_SCENE_DAYS)
                    .bind(scene)
                    .bind(span.0)
                    .bind(span.1)
                    .bind(account)
                    .fetch_all(&self.pool)
                    .await?,
            ),
            None => None,
        };
        Ok(super::counters::every_day(
            span,
            &totals,
            narrowed.as_deref(),
        ))
    }

    async fn qrcodes(&self, account: Option<&str>) -> Result<Vec<QrCodeTotals>, StoreError> {
        sqlx::query_as::<_, rows::QrCodeTotalsDb>(&sql::select_qrcodes())
            .bind(account)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(TryFrom::try_from)
            .collect()
    }
}

#[async_trait]
impl QrCodes for PgStore {
    async fn save_qrcode(&self, code: &QrCode) -> Result<(), StoreError> {
        sqlx::query(sql::UPSERT_QRCODE)
            .bind(&code.scene)
            .bind(&code.action_name)
            .bind(&code.ticket)
            .bind(&code.url)
            .bind(code.expire_seconds)
            .bind(code.expires_at.map(millis))
            .bind(&code.label)
            .bind(millis(code.created_at))
            .bind(&code.account)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn qrcode(&self, account: &str, scene: &str) -> Result<Option<QrCode>, StoreError> {
        sqlx::query_as::<_, rows::QrCodeDb>(&sql::select_qrcode())
            .bind(account)
            .bind(scene)
            .fetch_optional(&self.pool)
            .await?
            .map(QrCode::try_from)
            .transpose()
    }
}

#[async_trait]
impl TokenLeases for PgStore {
    async fn load_token(&self, appid: &str) -> Result<Option<StoredToken>, StoreError> {
        sqlx::query_as::<_, rows::TokenDb>(sql::SELECT_TOKEN)
            .bind(appid)
            .fetch_optional(&self.pool)
            .await?
            .map(StoredToken::try_from)
            .transpose()
    }

    async fn save_token(&self, appid: &str, token: &StoredToken) -> Result<(), StoreError> {
        sqlx::query(sql::UPSERT_TOKEN)
            .bind(appid)
            .bind(token.access_token.expose_secret())
            .bind(millis(token.expires_at))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn try_token_lease(
        &self,
        appid: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let taken: Option<String> = sqlx::query_scalar(sql::TAKE_LEASE)
            .bind(appid)
            .bind(holder)
            .bind(millis(rows::after(now, ttl)))
            .bind(millis(now))
            .fetch_optional(&self.pool)
            .await?;
        Ok(taken.is_some())
    }

    async fn expire_token(&self, appid: &str, token: &str) -> Result<(), StoreError> {
        sqlx::query(sql::EXPIRE_TOKEN)
            .bind(appid)
            .bind(token)
            .bind(millis(Utc::now()))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn release_token_lease(&self, appid: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query(sql::RELEASE_LEASE)
            .bind(appid)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl Lifecycle for PgStore {
    fn health(&self) -> Result<(), String> {
        self.health.status()
    }

    async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}
