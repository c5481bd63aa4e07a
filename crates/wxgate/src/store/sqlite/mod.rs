//! The SQLite engine: one writer thread owns the only write connection (`writer.rs`); every
//! write of the store — pushes, forgets, outbox, tokens, QR codes, purges — is a job on its
//! channel. A push is one appended `events` row committed with others (one fsync); resends
//! are recognised by an in-memory window of recent keys (`window.rs`); followers and the
//! per-openid index follow behind the log in large batches (`backlog.rs`). Readers use their
//! own connections. Design and figures: docs/storage.md.
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, ToSql};
use secrecy::ExposeSecret;
use tokio::sync::oneshot;

mod accounts;
mod backlog;
mod connect;
mod delivered;
mod jobs;
mod messages;
mod ops;
mod platform;
mod read;
pub(crate) mod schema;
mod sql;
mod sync;
mod tally;
mod web;
mod window;
mod writer;

use super::rows::millis;
use super::sql as shared;
use super::{
    Erasure, GuardMark, Health, Lifecycle, PushLog, PushWrite, QrCode, QrCodes, Recorded,
    ReplayMark, StoreError, StoredReply, StoredToken, TokenLeases,
};
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
    /// Opens (creating and migrating) the database file `file` (None: one in memory) and
    /// starts the writer thread.
    pub(crate) async fn open(file: Option<&Path>) -> Result<Self, StoreError> {
        let file: Option<PathBuf> = file.map(Path::to_path_buf);
        let health = Arc::new(Health::default());
        let writer_health = Arc::clone(&health);
        let opening = file.clone();
        let writer = tokio::task::spawn_blocking(move || -> Result<Writer, StoreError> {
            let (mut conn, path) = match opening {
                None => (connect::memory()?, None),
                Some(path) => (connect::writer(&path)?, Some(path)),
            };
            schema::migrate(&mut conn).map_err(|source| StoreError::Migrate(Box::new(source)))?;
            Ok(Writer::new(conn, path, writer_health)?)
        })
        .await
        .map_err(|_| StoreError::Closed)??;
        let (jobs, queue) = flume::bounded(QUEUE);
        let thread = std::thread::Builder::new()
            .name("wxgate-sqlite-writer".into())
            .spawn(move || writer.run(queue))
            .map_err(StoreError::Start)?;
        let readers = file.map(Readers::new);
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
impl PushLog for SqliteStore {
    async fn record(&self, write: PushWrite) -> Result<Recorded, StoreError> {
        let (op, outcome) = ops::Record::new(write);
        self.write(op, outcome).await
    }

    async fn stored_reply(
        &self,
        account: &str,
        dedupe_key: &str,
    ) -> Result<Option<StoredReply>, StoreError> {
        let (account, key) = (account.to_string(), dedupe_key.to_string());
        let reply = self
            .exec(move |conn, state| {
                let stored = match state.window.get(&account, &key) {
                    Some(id) => ops::stored_reply(conn, id, &account, &key)?,
                    None => None,
                };
                match stored {
                    Some(reply) => Ok(Some(reply)),
                    // An unsubscribe forgotten within the window: it was answered `success`.
                    None => Ok(ops::forgotten(conn, &account, &key)?.then_some(None)),
                }
            })
            .await?;
        Ok(reply.map(StoredReply::from))
    }

    async fn keep_mark(&self, mark: &GuardMark) -> Result<(), StoreError> {
        let mark = mark.clone();
        self.exec(move |conn, _| ops::keep_mark(conn, &mark)).await
    }

    async fn replay_marks(
        &self,
        account: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ReplayMark>, StoreError> {
        let (account, since) = (account.to_string(), millis(since));
        self.read(move |conn| read::replay_marks(conn, &account, since))
            .await
    }

    async fn replayed_elsewhere(
        &self,
        _account: &str,
        _mark: &ReplayMark,
    ) -> Result<bool, StoreError> {
        Ok(false)
    }
}

#[async_trait]
impl Erasure for SqliteStore {
    async fn forget(&self, account: &str, openid: &str) -> Result<(), StoreError> {
        let (op, outcome) = ops::Forget::new(account, openid, None);
        self.write(op, outcome).await
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
}

#[async_trait]
impl QrCodes for SqliteStore {
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
                    &code.account,
                ],
            )
            .map(drop)
        })
        .await
    }

    async fn qrcode(&self, account: &str, scene: &str) -> Result<Option<QrCode>, StoreError> {
        let (account, scene) = (account.to_string(), scene.to_string());
        self.read(move |conn| read::qrcode(conn, &account, &scene))
            .await
    }
}

#[async_trait]
impl TokenLeases for SqliteStore {
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
                &[
                    &appid,
                    &token.access_token.expose_secret(),
                    &millis(token.expires_at),
                ],
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
}

#[async_trait]
impl Lifecycle for SqliteStore {
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
    let oldest: Vec<(i64, String, i64, String)> = conn
        .prepare_cached(sql::SELECT_OLDEST)?
        .query_map(params![PURGE_CHUNK], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
        })?
        .collect::<rusqlite::Result<_>>()?;
    let expired: Vec<&(i64, String, i64, String)> = oldest
        .iter()
        .take_while(|(_, _, at, _)| *at < cutoff)
        .collect();
    let mut delete_event = conn.prepare_cached(sql::DELETE_EVENT)?;
    let mut delete_owner = conn.prepare_cached(sql::DELETE_OWNER)?;
    for (id, openid, _, account) in &expired {
        delete_event.execute(params![id])?;
        delete_owner.execute(params![openid, id, account])?;
    }
    let ids: Vec<i64> = expired.iter().map(|(id, _, _, _)| *id).collect();
    state.backlog.drop_ids(&ids);
    let more = expired.len() == oldest.len() && oldest.len() as i64 == PURGE_CHUNK;
    Ok((ids.len() as u64, more))
}
