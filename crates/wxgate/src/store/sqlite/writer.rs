//! The writer thread: the one owner of the SQLite write connection. Callers queue jobs on one
//! channel; the thread takes everything queued (up to [`MAX_BATCH`]), applies it in one
//! transaction — each write under its own savepoint, so one failing write does not fail the
//! others — commits once (one fsync) and wakes each caller once. Idle, a write waits for its
//! own commit only; under load the queue fills while a commit runs and batches grow.
//!
//! Behind the pushes it applies the backlog (`backlog.rs`), and after a forget it scrubs the
//! files. After any failure (BEGIN, a savepoint, COMMIT) it rolls back what it can, reopens
//! the connection if its state is in doubt, rebuilds its in-memory state from the database,
//! and reports the failure through [`Health`] until a write succeeds again.
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;

use super::backlog::Backlog;
use super::tally::Tally;
use super::window::Window;
use super::{connect, sql};
use crate::store::{Health, SharedError, StoreError};

/// Most jobs applied in one transaction.
const MAX_BATCH: usize = 1024;
/// Catch up once this many pushes wait (each page of followers / openid_events is then
/// written once per about a thousand pushes). Commits wait while a catch-up runs: at 4096
/// the push p99 was twice what it is at 1024 or 512, for the same CPU a push
/// (docs/performance.md, "Issue 22, SQLite").
const CATCH_UP_AT: usize = 1024;
/// Catch up when no job came for this long.
const IDLE: Duration = Duration::from_millis(100);
/// How long the post-forget checkpoint waits for readers at most per attempt.
const CHECKPOINT_BUSY_MS: u32 = 20;
/// Checkpoint attempts after a forget before leaving it to the next idle moment.
const CHECKPOINT_ATTEMPTS: u32 = 5;

/// The writer's in-memory state, rebuilt from the database after a failed batch.
#[derive(Debug, Default)]
pub(super) struct State {
    /// recent dedupe keys
    pub(super) window: Window,
    /// appended pushes whose effects are not applied yet
    pub(super) backlog: Backlog,
    /// the open batch's counts, written before its COMMIT
    pub(super) tally: Tally,
}

impl State {
    /// Loads the backlog and the newest dedupe keys.
    pub(super) fn load(conn: &Connection) -> rusqlite::Result<State> {
        let mut window = Window::default();
        let mut stmt = conn.prepare(sql::SELECT_RECENT_KEYS)?;
        let mut rows = stmt.query([super::window::MAX_KEYS as i64])?;
        while let Some(row) = rows.next()? {
            let (account, key): (String, String) = (row.get(1)?, row.get(2)?);
            window.insert(&account, &key, row.get(0)?, row.get(3)?);
        }
        Ok(State {
            window,
            backlog: Backlog::load(conn)?,
            tally: Tally::default(),
        })
    }
}

/// A write applied inside a batch, answered after the batch's commit.
pub(super) trait WriteOp: Send {
    /// Applies it in the open transaction. Changes `state` only once its statements
    /// succeeded; an `Err` rolls its statements back (the others of the batch go on).
    fn apply(&mut self, conn: &Connection, state: &mut State) -> rusqlite::Result<()>;
    /// Answers the caller: `Ok` only when the batch committed.
    fn answer(self: Box<Self>, outcome: Result<(), StoreError>);
    /// Whether it deleted user data, so the files are scrubbed before it is answered.
    fn scrubs(&self) -> bool {
        false
    }
    /// Whether it may read or delete counter rows, so the batch's counts so far are written
    /// before it (pushes and forgets only add to them: `false`).
    fn sees_counters(&self) -> bool {
        true
    }
}

/// A read run on the writer's connection (in-memory databases have only that one).
pub(super) type ReadJob = Box<dyn FnOnce(&Connection) + Send>;

/// What callers queue.
pub(super) enum Job {
    /// a write
    Write(Box<dyn WriteOp>),
    /// apply the backlog now (a read that needs followers or the openid index waits for it)
    CatchUp(tokio::sync::oneshot::Sender<Result<(), StoreError>>),
    /// a read (in-memory databases)
    Read(ReadJob),
    /// apply what is queued, then stop
    Close,
}

/// The thread's side.
pub(super) struct Writer {
    conn: Connection,
    /// the database file (reopened when the connection's state is in doubt); None in memory
    path: Option<PathBuf>,
    state: State,
    health: Arc<Health>,
    /// forgotten rows are deleted but the WAL still holds their pages
    scrub_owed: bool,
}

impl Writer {
    /// The writer over an open, migrated connection.
    pub(super) fn new(
        conn: Connection,
        path: Option<PathBuf>,
        health: Arc<Health>,
    ) -> rusqlite::Result<Self> {
        let state = State::load(&conn)?;
        let mut writer = Writer {
            conn,
            path,
            state,
            health,
            scrub_owed: false,
        };
        // Crash recovery: what the log holds beyond the last applied batch.
        if let Err(error) = writer.catch_up() {
            tracing::warn!(%error, "applying the backlog at start failed; will retry");
        }
        Ok(writer)
    }

    /// Runs until a `Close` job (or until every sender is gone).
    pub(super) fn run(mut self, jobs: flume::Receiver<Job>) {
        let mut closing = false;
        while !closing {
            let first = if self.state.backlog.is_empty() && !self.scrub_owed {
                match jobs.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                }
            } else {
                match jobs.recv_timeout(IDLE) {
                    Ok(job) => job,
                    Err(flume::RecvTimeoutError::Timeout) => {
                        self.idle();
                        continue;
                    }
                    Err(flume::RecvTimeoutError::Disconnected) => break,
                }
            };
            // Woken by the first job: let the threads that queue jobs run first, so that
            // what they are about to queue joins this batch. Sharing a core with them (a
            // pinned or busy machine), the writer would otherwise commit one push at a time
            // and switch threads for each; with a core free the yield returns at once. (With
            // another process busy on the core, that process's slice comes first: a few ms
            // more a batch — docs/performance.md, "Two builds on one core at the same time".)
            std::thread::yield_now();
            let mut writes = Vec::new();
            let mut catch_ups = Vec::new();
            let mut reads = Vec::new();
            let mut next = Some(first);
            while let Some(job) = next {
                match job {
                    Job::Write(op) => writes.push(op),
                    Job::CatchUp(answer) => catch_ups.push(answer),
                    Job::Read(read) => reads.push(read),
                    Job::Close => closing = true,
                }
                // Closing: take everything queued before the close, however much.
                next = if writes.len() < MAX_BATCH || closing {
                    jobs.try_recv().ok()
                } else {
                    None
                };
            }
            for chunk in chunks(writes) {
                self.commit(chunk);
            }
            if !catch_ups.is_empty() || self.state.backlog.len() >= CATCH_UP_AT {
                let outcome = self.catch_up().map_err(SharedError::new);
                for answer in catch_ups {
                    let _ = answer.send(outcome.clone().map_err(StoreError::Commit));
                }
            }
            for read in reads {
                read(&self.conn);
            }
        }
        if let Err(error) = self.catch_up() {
            tracing::warn!(%error, "applying the backlog at close failed; replayed at next start");
        }
        if self.scrub_owed {
            self.scrub();
        }
    }

    /// Nothing queued for a while: apply the backlog, finish an owed scrub.
    fn idle(&mut self) {
        if let Err(error) = self.catch_up() {
            tracing::warn!(%error, "applying the backlog failed; will retry");
        }
        if self.scrub_owed {
            self.scrub_owed = !self.scrub();
        }
    }

    /// Applies `ops` in one transaction, commits once, answers each.
    fn commit(&mut self, mut ops: Vec<Box<dyn WriteOp>>) {
        crate::telemetry::metrics::store_batch(ops.len());
        let mut failures: Vec<Option<rusqlite::Error>> = Vec::with_capacity(ops.len());
        let outcome = self.apply_all(&mut ops, &mut failures);
        match outcome {
            Ok(()) => {
                self.health.set_ok();
                let mut forgets = Vec::new();
                for (op, failure) in ops.into_iter().zip(failures) {
                    match failure {
                        Some(error) => op.answer(Err(StoreError::Sqlite(error))),
                        None if op.scrubs() => forgets.push(op),
                        None => op.answer(Ok(())),
                    }
                }
                if !forgets.is_empty() {
                    // Forgets are answered only once the bytes are gone from the files.
                    self.scrub_owed = !self.scrub();
                    for op in forgets {
                        op.answer(Ok(()));
                    }
                }
            }
            Err(error) => {
                tracing::error!(%error, writes = ops.len(), "store batch failed to commit");
                self.health
                    .set_failing(format!("writes are failing: {error}"));
                self.recover();
                let error = SharedError::new(error);
                for op in ops {
                    op.answer(Err(StoreError::Commit(error.clone())));
                }
            }
        }
    }

    /// BEGIN, each op under a savepoint, COMMIT. `failures[i]` is op i's own error.
    fn apply_all(
        &mut self,
        ops: &mut [Box<dyn WriteOp>],
        failures: &mut Vec<Option<rusqlite::Error>>,
    ) -> rusqlite::Result<()> {
        self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        for op in ops.iter_mut() {
            if op.sees_counters() {
                self.state.tally.write(&self.conn)?;
            }
            self.conn.prepare_cached("SAVEPOINT op")?.execute([])?;
            match op.apply(&self.conn, &mut self.state) {
                Ok(()) => {
                    self.conn.prepare_cached("RELEASE op")?.execute([])?;
                    failures.push(None);
                }
                Err(error) => {
                    // SQLite may have rolled the whole transaction back (SQLITE_FULL, IOERR):
                    // then the batch fails, with this error as its reason.
                    if self.conn.is_autocommit() || self.rollback_op().is_err() {
                        return Err(error);
                    }
                    tracing::debug!(%error, "one write of a batch failed; the others go on");
                    failures.push(Some(error));
                }
            }
        }
        self.state.tally.write(&self.conn)?;
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        Ok(())
    }

    /// Undoes the statements of the op that failed; the batch goes on.
    fn rollback_op(&self) -> rusqlite::Result<()> {
        self.conn.prepare_cached("ROLLBACK TO op")?.execute([])?;
        self.conn.prepare_cached("RELEASE op")?.execute([])?;
        Ok(())
    }

    /// After a failed batch: roll back what is left, reopen the connection if it is still
    /// in a transaction (its state is in doubt), and reload the in-memory state.
    fn recover(&mut self) {
        // SQLite may already have rolled back (e.g. SQLITE_FULL at COMMIT): then this errs.
        let _ = self.conn.execute_batch("ROLLBACK");
        if !self.conn.is_autocommit() {
            self.reopen();
        }
        match State::load(&self.conn) {
            Ok(state) => self.state = state,
            Err(error) => {
                tracing::error!(%error, "reloading the writer's state failed; reopening");
                self.reopen();
                match State::load(&self.conn) {
                    Ok(state) => self.state = state,
                    Err(error) => {
                        tracing::error!(%error, "reloading the writer's state failed again");
                        self.state = State::default();
                    }
                }
            }
        }
    }

    /// Replaces the connection with a fresh one (file databases).
    fn reopen(&mut self) {
        let Some(path) = &self.path else { return };
        match connect::writer(path) {
            Ok(conn) => {
                tracing::warn!("store write connection reopened after a failure");
                self.conn = conn;
            }
            Err(error) => tracing::error!(%error, "reopening the store write connection failed"),
        }
    }

    /// Applies the backlog (and forgets expired replay marks and tombstones) in its own transaction. Its commit is not fsynced by itself
    /// (`synchronous=NORMAL` for it): it is recoverable from the log, and the next push's
    /// fsynced commit makes it durable too.
    fn catch_up(&mut self) -> Result<(), rusqlite::Error> {
        if self.state.backlog.is_empty() {
            return Ok(());
        }
        let outcome = self.apply_backlog();
        match &outcome {
            Ok(()) => {
                self.state.backlog.clear();
                self.health.set_ok();
            }
            Err(error) => {
                self.health
                    .set_failing(format!("writes are failing: {error}"));
                self.recover();
            }
        }
        outcome
    }

    fn apply_backlog(&mut self) -> rusqlite::Result<()> {
        let in_file = self.path.is_some();
        if in_file {
            self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        }
        let outcome = (|| {
            self.conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
            self.state.backlog.apply(&self.conn)?;
            let expired = chrono::Utc::now() - super::super::REPLAY_WINDOW;
            self.conn
                .prepare_cached(sql::EXPIRE_MARKS)?
                .execute([expired.timestamp_millis()])?;
            super::execute(
                &self.conn,
                crate::store::sql::PRUNE_FORGOTTEN,
                &[&expired.timestamp_millis()],
            )?;
            self.conn.prepare_cached("COMMIT")?.execute([])?;
            Ok(())
        })();
        if in_file {
            self.conn.pragma_update(None, "synchronous", "FULL")?;
        }
        outcome
    }

    /// `wal_checkpoint(TRUNCATE)`: the current pages go into the (secure-deleted) database
    /// file and the WAL, which still holds old page images, is truncated to zero bytes.
    /// Waits only briefly for readers; `false` = could not finish now.
    fn scrub(&mut self) -> bool {
        if self.path.is_none() {
            return true;
        }
        for attempt in 0..CHECKPOINT_ATTEMPTS {
            match self.checkpoint() {
                Ok(true) => return true,
                Ok(false) => std::thread::sleep(Duration::from_millis(2 << attempt)),
                Err(error) => {
                    tracing::warn!(%error, "wal checkpoint failed");
                    return false;
                }
            }
        }
        tracing::warn!(
            "forgotten rows are deleted but not yet scrubbed from the files; will retry"
        );
        false
    }

    fn checkpoint(&mut self) -> rusqlite::Result<bool> {
        self.conn
            .busy_timeout(Duration::from_millis(u64::from(CHECKPOINT_BUSY_MS)))?;
        let outcome = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        self.conn.busy_timeout(connect::BUSY_TIMEOUT)?;
        Ok(outcome? == 0)
    }
}

/// Splits a long list of writes into batches of at most [`MAX_BATCH`].
fn chunks(mut writes: Vec<Box<dyn WriteOp>>) -> Vec<Vec<Box<dyn WriteOp>>> {
    let mut chunks = Vec::new();
    while writes.len() > MAX_BATCH {
        let rest = writes.split_off(MAX_BATCH);
        chunks.push(std::mem::replace(&mut writes, rest));
    }
    if !writes.is_empty() {
        chunks.push(writes);
    }
    chunks
}
