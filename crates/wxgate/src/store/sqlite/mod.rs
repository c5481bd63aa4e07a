//! The SQLite engine: one writer thread owns the only write connection (`writer.rs`); every
//! write of the store — pushes, forgets, outbox, tokens, QR codes, purges — is a job on its
//! channel. A push is one appended `events` row committed with others (one fsync); resends
//! are recognised by an in-memory window of recent keys (`window.rs`); followers and the
//! per-openid index follow behind the log in large batches (`backlog.rs`). Readers use their
//! own connections. Design and figures: docs/storage.md.
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, ToSql};
use tokio::sync::oneshot;

mod backlog;
mod connect;
mod ops;
mod read;
mod schema;
mod sql;
mod window;
mod writer;

use super::rows::{millis, DeliveryDb};
use super::sql as shared;
use super::{
    DayStats, Delivery, EventQuery, EventRow, Follower, FollowerQuery, Health, PushWrite, QrCode,
    QrCodeTotals, Recorded, ReplayMark, Stats, Store, StoreError, StoredReply, StoredToken,
};
use connect::Location;
use read::Readers;
use writer::{Job, State, WriteOp, Writer};

/// Queue length: callers beyond it wait for room (back-pressure).
const QUEUE: usize = 8192;
/// Events deleted per purge transaction (the writer is not held long).
const PURGE_CHUNK: i64 = 1000;

/// The SQLite store.
pub(crate) struct SqliteStore {
    jobs: flume::Sender<Job>,
    /// None for an in-memory database: reads run on the writer's connection
    readers: Option<Arc<Readers>>,
    thread: Mutex<Option<JoinHandle<()>>>,
    health: Arc<Health>,
}

impl SqliteStore {
    /// Opens (creating and migrating) the database at `url` and starts the writer thread.
    pub(crate) async fn open(url: &str) -> Result<Self, StoreError> {
        let location = Location::parse(url)?;
        let health = Arc::new(Health::default());
        let writer_health = Arc::clone(&health);
        let opening = location.clone();
        let writer = tokio::task::spawn_blocking(move || -> Result<Writer, StoreError> {
            let (mut conn, path) = match &opening {
                Location::Memory => (connect::memory()?, None),
                Location::File(path) => (connect::writer(path)?, Some(path.clone())),
            };
            schema::migrate(&mut conn).map_err(|source| StoreError::Migrate(source.to_string()))?;
            Ok(Writer::new(conn, path, writer_health)?)
        })
        .await
        .map_err(|_| StoreError::Closed)??;
        let (jobs, queue) = flume::bounded(QUEUE);
        let thread = std::thread::Builder::new()
            .name("wxgate-sqlite-writer".into())
            .spawn(move || writer.run(queue))
            .map_err(StoreError::Start)?;
        let readers = match location {
            Location::Memory => None,
            Location::File(path) => Some(Readers::new(path)),
        };
        Ok(SqliteStore {
            jobs,
            readers,
            thread: Mutex::new(Some(thread)),
            health,
        })
    }

    /// Queues a job for the writer.
    async fn send(&self, job: Job) -> Result<(), StoreError> {
        self.jobs
            .send_async(job)
            .await
            .map_err(|_| StoreError::Closed)
    }

    /// Queues `op` and waits for its answer (after its batch's commit).
    async fn write<T>(
        &self,
        op: impl WriteOp + 'static,
        outcome: oneshot::Receiver<Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.send(Job::Write(Box::new(op))).await?;
        outcome.await.map_err(|_| StoreError::Closed)?
    }

    /// Runs a single write in the writer's next batch.
    async fn exec<T, F>(&self, run: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection, &mut State) -> rusqlite::Result<T> + Send + 'static,
    {
        let (op, outcome) = ops::Exec::new(run);
        self.write(op, outcome).await
    }

    /// Runs a read on a reader connection (on the writer's in memory).
    async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        if let Some(readers) = &self.readers {
            return readers.run(read).await;
        }
        let (answer, outcome) = oneshot::channel();
        self.send(Job::Read(Box::new(move |conn| {
            let _ = answer.send(read(conn));
        })))
        .await?;
        outcome.await.map_err(|_| StoreError::Closed)?
    }

    /// Has the writer apply its backlog, so a read sees every acknowledged push's effects.
    async fn caught_up(&self) -> Result<(), StoreError> {
        let (answer, outcome) = oneshot::channel();
        self.send(Job::CatchUp(answer)).await?;
        outcome.await.map_err(|_| StoreError::Closed)?
    }

    /// Test hook: runs `sql` on the writer's connection between batches (e.g.
    /// `PRAGMA max_page_count` to make writes fail as on a full disk).
    #[cfg(test)]
    pub(crate) async fn on_writer(&self, sql: &str) -> Result<(), StoreError> {
        let sql = sql.to_string();
        let (answer, outcome) = oneshot::channel();
        self.send(Job::Read(Box::new(move |conn| {
            let _ = answer.send(conn.execute_batch(&sql).map_err(StoreError::Sqlite));
        })))
        .await?;
        outcome.await.map_err(|_| StoreError::Closed)?
    }
}

/// Binds `$1, $2, …` by name: the statements shared with PostgreSQL (`store/sql.rs`) may
/// use them out of order.
fn named<'a>(values: &'a [&'a dyn ToSql]) -> Vec<(String, &'a dyn ToSql)> {
    values
        .iter()
        .enumerate()
        .map(|(i, value)| (format!("${}", i + 1), *value))
        .collect()
}

/// [`named`]'s pairs as rusqlite takes them.
fn refs<'a>(named: &'a [(String, &'a dyn ToSql)]) -> Vec<(&'a str, &'a dyn ToSql)> {
    named.iter().map(|(n, v)| (n.as_str(), *v)).collect()
}

/// Runs a shared statement with `values` bound to `$1…`; rows changed.
fn execute(conn: &Connection, text: &str, values: &[&dyn ToSql]) -> rusqlite::Result<usize> {
    let named = named(values);
    conn.prepare_cached(text)?.execute(refs(&named).as_slice())
}

/// Runs a shared statement with `RETURNING` (values bound to `$1…`); whether a row came back.
fn returns_row(conn: &Connection, text: &str, values: &[&dyn ToSql]) -> rusqlite::Result<bool> {
    let named = named(values);
    let mut stmt = conn.prepare_cached(text)?;
    let mut rows = stmt.query(refs(&named).as_slice())?;
    Ok(rows.next()?.is_some())
}

#[async_trait]
impl Store for SqliteStore {
    async fn record(&self, write: PushWrite) -> Result<Recorded, StoreError> {
        let (op, outcome) = ops::Record::new(write);
        self.write(op, outcome).await
    }

    async fn stored_reply(&self, dedupe_key: &str) -> Result<Option<StoredReply>, StoreError> {
        let key = dedupe_key.to_string();
        let reply = self
            .exec(move |conn, state| match state.window.get(&key) {
                Some(id) => ops::stored_reply(conn, id, &key),
                None => Ok(None),
            })
            .await?;
        Ok(reply.map(StoredReply::from))
    }

    async fn replay_marks(&self, since: DateTime<Utc>) -> Result<Vec<ReplayMark>, StoreError> {
        let since = millis(since);
        self.read(move |conn| read::replay_marks(conn, since)).await
    }

    async fn replayed_elsewhere(&self, _mark: &ReplayMark) -> Result<bool, StoreError> {
        Ok(false)
    }

    async fn follower(&self, openid: &str) -> Result<Option<Follower>, StoreError> {
        self.caught_up().await?;
        let openid = openid.to_string();
        self.read(move |conn| read::follower(conn, &openid)).await
    }

    async fn followers(&self, query: &FollowerQuery) -> Result<Vec<Follower>, StoreError> {
        self.caught_up().await?;
        let query = query.clone();
        self.read(move |conn| read::followers(conn, &query)).await
    }

    async fn forget(&self, openid: &str) -> Result<(), StoreError> {
        let (op, outcome) = ops::Forget::new(openid);
        self.write(op, outcome).await
    }

    async fn events(&self, query: &EventQuery) -> Result<Vec<EventRow>, StoreError> {
        if query.openid.is_some() {
            self.caught_up().await?;
        }
        let query = query.clone();
        self.read(move |conn| read::events(conn, &query)).await
    }

    async fn stats(&self) -> Result<Stats, StoreError> {
        self.caught_up().await?;
        self.read(read::stats).await
    }

    async fn daily(
        &self,
        today: DateTime<Utc>,
        days: u32,
        scene: Option<&str>,
    ) -> Result<Vec<DayStats>, StoreError> {
        let span = super::counters::span(today, days);
        let scene = scene.map(str::to_string);
        self.read(move |conn| read::daily(conn, span, scene.as_deref()))
            .await
    }

    async fn save_qrcode(&self, code: &QrCode) -> Result<(), StoreError> {
        let code = code.clone();
        self.exec(move |conn, _| {
            execute(
                conn,
                shared::UPSERT_QRCODE,
                &[
                    &code.scene,
                    &code.action_name,
                    &code.ticket,
                    &code.url,
                    &code.expire_seconds,
                    &code.expires_at.map(millis),
                    &code.label,
                    &millis(code.created_at),
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn qrcodes(&self) -> Result<Vec<QrCodeTotals>, StoreError> {
        self.read(read::qrcodes).await
    }

    async fn qrcode(&self, scene: &str) -> Result<Option<QrCode>, StoreError> {
        let scene = scene.to_string();
        self.read(move |conn| read::qrcode(conn, &scene)).await
    }

    async fn load_token(&self, appid: &str) -> Result<Option<StoredToken>, StoreError> {
        let appid = appid.to_string();
        self.read(move |conn| read::token(conn, &appid)).await
    }

    async fn save_token(&self, appid: &str, token: &StoredToken) -> Result<(), StoreError> {
        let (appid, token) = (appid.to_string(), token.clone());
        self.exec(move |conn, _| {
            execute(
                conn,
                shared::UPSERT_TOKEN,
                &[&appid, &token.access_token, &millis(token.expires_at)],
            )
            .map(drop)
        })
        .await
    }

    async fn try_token_lease(
        &self,
        appid: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let (appid, holder) = (appid.to_string(), holder.to_string());
        self.exec(move |conn, _| {
            let now = Utc::now();
            returns_row(
                conn,
                shared::TAKE_LEASE,
                &[
                    &appid,
                    &holder,
                    &millis(super::rows::after(now, ttl)),
                    &millis(now),
                ],
            )
        })
        .await
    }

    async fn expire_token(&self, appid: &str, token: &str) -> Result<(), StoreError> {
        let (appid, token) = (appid.to_string(), token.to_string());
        self.exec(move |conn, _| {
            execute(
                conn,
                shared::EXPIRE_TOKEN,
                &[&appid, &token, &millis(Utc::now())],
            )
            .map(drop)
        })
        .await
    }

    async fn release_token_lease(&self, appid: &str, holder: &str) -> Result<(), StoreError> {
        let (appid, holder) = (appid.to_string(), holder.to_string());
        self.exec(move |conn, _| execute(conn, shared::RELEASE_LEASE, &[&appid, &holder]).map(drop))
            .await
    }

    async fn purge_events(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError> {
        let cutoff = millis(cutoff);
        let mut purged = 0;
        loop {
            let (deleted, more) = self
                .exec(move |conn, state| purge_chunk(conn, state, cutoff))
                .await?;
            purged += deleted;
            if !more {
                return Ok(purged);
            }
        }
    }

    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError> {
        let rows = self
            .exec(move |conn, _| {
                let (from, to, limit) = (
                    millis(now),
                    millis(super::rows::after(now, lease)),
                    i64::from(limit),
                );
                let values: [&dyn ToSql; 3] = [&from, &to, &limit];
                let named_values = named(&values);
                let mut stmt = conn.prepare_cached(shared::CLAIM_DELIVERIES)?;
                let rows = stmt.query_map(refs(&named_values).as_slice(), |row| {
                    Ok(DeliveryDb {
                        id: row.get(0)?,
                        webhook: row.get(1)?,
                        openid: row.get(2)?,
                        event_id: row.get(3)?,
                        payload: row.get(4)?,
                        attempts: row.get(5)?,
                        created_at: row.get(6)?,
                    })
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        let mut claimed = rows
            .into_iter()
            .map(Delivery::try_from)
            .collect::<Result<Vec<_>, StoreError>>()?;
        // RETURNING has no order.
        claimed.sort_by_key(|delivery| delivery.id);
        Ok(claimed)
    }

    async fn delivery_done(&self, id: i64) -> Result<(), StoreError> {
        self.exec(move |conn, _| execute(conn, shared::DELIVERY_DONE, &[&id]).map(drop))
            .await
    }

    async fn delivery_failed(&self, id: i64, next_at: DateTime<Utc>) -> Result<(), StoreError> {
        self.exec(move |conn, _| {
            execute(conn, shared::DELIVERY_FAILED, &[&id, &millis(next_at)]).map(drop)
        })
        .await
    }

    async fn drop_deliveries(
        &self,
        webhook: &str,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let webhook = webhook.to_string();
        self.exec(move |conn, _| {
            execute(conn, shared::DROP_DELIVERIES, &[&webhook, &millis(cutoff)]).map(|n| n as u64)
        })
        .await
    }

    async fn pending_deliveries(&self) -> Result<i64, StoreError> {
        self.read(read::pending_deliveries).await
    }

    fn health(&self) -> Result<(), String> {
        self.health.status()
    }

    async fn close(&self) {
        // Refused only if the writer already stopped.
        let _ = self.send(Job::Close).await;
        let thread = self
            .thread
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(thread) = thread {
            let joined = tokio::task::spawn_blocking(move || thread.join()).await;
            if !matches!(joined, Ok(Ok(()))) {
                tracing::error!("store writer thread failed");
            }
        }
        if let Some(readers) = &self.readers {
            readers.close();
        }
    }
}

/// Deletes up to [`PURGE_CHUNK`] of the oldest events received before `cutoff` (in id
/// order, which is the order they were received in, give or take a deadline); (how many,
/// whether there may be more).
fn purge_chunk(conn: &Connection, state: &mut State, cutoff: i64) -> rusqlite::Result<(u64, bool)> {
    let oldest: Vec<(i64, String, i64)> = conn
        .prepare_cached(sql::SELECT_OLDEST)?
        .query_map(params![PURGE_CHUNK], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let expired: Vec<&(i64, String, i64)> = oldest
        .iter()
        .take_while(|(_, _, at)| *at < cutoff)
        .collect();
    let mut delete_event = conn.prepare_cached(sql::DELETE_EVENT)?;
    let mut delete_owner = conn.prepare_cached(sql::DELETE_OWNER)?;
    for (id, openid, _) in &expired {
        delete_event.execute(params![id])?;
        delete_owner.execute(params![openid, id])?;
    }
    let ids: Vec<i64> = expired.iter().map(|(id, _, _)| *id).collect();
    state.backlog.drop_ids(&ids);
    let more = expired.len() == oldest.len() && oldest.len() as i64 == PURGE_CHUNK;
    Ok((ids.len() as u64, more))
}
