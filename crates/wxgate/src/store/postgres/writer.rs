//! Group commit for PostgreSQL: one writer task owns the write side; callers queue their write with a
//! oneshot; the writer applies everything queued in one transaction, commits once (one
//! fsync) and answers every caller. Idle, a write waits only for its own commit.
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::store::{Health, PushWrite, Recorded, SharedError, StoreError};

/// Most writes committed in one transaction.
const MAX_BATCH: usize = 512;
/// Queue length: callers beyond it wait for room (back-pressure).
const QUEUE: usize = 4096;

/// One queued write.
#[derive(Debug)]
pub(in crate::store) enum Op {
    /// a processed push
    Record(Box<PushWrite>),
    /// forget an openid of an account (admin delete): (account, openid)
    Forget(String, String),
    /// forget a follower a sync found gone from WeChat's list, counting its unsubscribe on
    /// `day` if it was subscribed
    Depart {
        /// the account
        account: String,
        /// the openid
        openid: String,
        /// the UTC day (days since the epoch) the sync found it gone
        day: i64,
    },
}

impl Op {
    /// The user it writes: (account, openid).
    pub(super) fn user(&self) -> (&str, &str) {
        match self {
            Op::Record(write) => (&write.account, &write.openid),
            Op::Forget(account, openid)
            | Op::Depart {
                account, openid, ..
            } => (account, openid),
        }
    }

    /// Whether applying it deletes a user, so the files must be scrubbed before answering.
    fn forgets(&self) -> bool {
        match self {
            Op::Record(write) => write.effect == crate::store::FollowerEffect::Forget,
            Op::Forget(..) | Op::Depart { .. } => true,
        }
    }
}

/// The outcome of each write of a batch, in order; `Err` = the batch did not commit.
pub(in crate::store) type BatchOutcome = Result<Vec<Result<Recorded, StoreError>>, sqlx::Error>;

/// What a backend does for the writer.
#[async_trait]
pub(in crate::store) trait Batch: Send + Sync + 'static {
    /// Applies `ops` in one transaction, each under its own savepoint (one failing write
    /// does not fail the others), and commits once.
    async fn apply(&self, ops: &[Op]) -> BatchOutcome;
    /// Removes deleted bytes from the database files; `false` = could not finish now.
    async fn scrub(&self) -> bool;
    /// Closes the write connection(s).
    async fn shut(&self);
}

enum Job {
    Write(Op, oneshot::Sender<Result<Recorded, StoreError>>),
    Close(oneshot::Sender<()>),
}

/// The handle callers use; the task behind it is the only writer.
pub(in crate::store) struct Writer {
    tx: mpsc::Sender<Job>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Writer {
    /// Starts the writer task over `batch`.
    pub(in crate::store) fn start(batch: impl Batch, health: Arc<Health>) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(run(rx, batch, health));
        Writer {
            tx,
            task: Mutex::new(Some(task)),
        }
    }

    /// Queues `op` and waits until it is committed (or failed).
    pub(in crate::store) async fn write(&self, op: Op) -> Result<Recorded, StoreError> {
        let (answer, outcome) = oneshot::channel();
        self.tx
            .send(Job::Write(op, answer))
            .await
            .map_err(|_| StoreError::Closed)?;
        outcome.await.map_err(|_| StoreError::Closed)?
    }

    /// Applies everything queued so far, stops the task and closes the write side.
    /// Writes queued after this are refused with `Closed`.
    pub(in crate::store) async fn close(&self) {
        let (answer, done) = oneshot::channel();
        if self.tx.send(Job::Close(answer)).await.is_ok() {
            // The writer drops the sender without answering only if it panicked.
            let _ = done.await;
        }
        let task = match self.task.lock() {
            Ok(mut task) => task.take(),
            Err(poisoned) => poisoned.into_inner().take(),
        };
        if let Some(task) = task {
            if let Err(error) = task.await {
                tracing::error!(%error, "store writer task failed");
            }
        }
    }
}

async fn run(mut rx: mpsc::Receiver<Job>, batch: impl Batch, health: Arc<Health>) {
    let mut closers = Vec::new();
    let mut scrub_pending = false;
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut writes = Vec::with_capacity(jobs.len());
        for job in jobs {
            match job {
                Job::Write(op, answer) => writes.push((op, answer)),
                Job::Close(answer) => {
                    // Refuse new writes; those already queued are still received and applied.
                    rx.close();
                    closers.push(answer);
                }
            }
        }
        if !writes.is_empty() {
            scrub_pending |= commit(&batch, writes, &health).await;
        }
        if scrub_pending && rx.is_empty() {
            scrub_pending = !batch.scrub().await;
        }
    }
    batch.shut().await;
    for closer in closers {
        let _ = closer.send(());
    }
}

/// Applies one batch and answers its callers; returns whether a scrub is still owed.
async fn commit(
    batch: &impl Batch,
    writes: Vec<(Op, oneshot::Sender<Result<Recorded, StoreError>>)>,
    health: &Health,
) -> bool {
    let (ops, answers): (Vec<Op>, Vec<_>) = writes.into_iter().unzip();
    // One batch = one commit = one fsync: the mean of this is pushes per fsync.
    crate::telemetry::metrics::store_batch(ops.len());
    let outcomes = match batch.apply(&ops).await {
        Ok(outcomes) => {
            health.set_ok();
            outcomes
        }
        Err(error) => {
            tracing::error!(%error, writes = ops.len(), "store batch failed to commit");
            health.set_failing(format!("writes are failing: {error}"));
            let error = SharedError::new(error);
            ops.iter()
                .map(|_| Err(StoreError::Commit(error.clone())))
                .collect()
        }
    };
    // Forgets are answered only once the bytes are gone from the files; other writes now.
    let mut forgotten = Vec::new();
    for ((op, answer), outcome) in ops.iter().zip(answers).zip(outcomes) {
        if op.forgets() && outcome.is_ok() {
            forgotten.push((answer, outcome));
        } else {
            // A caller that went away (timed out) no longer wants the answer.
            let _ = answer.send(outcome);
        }
    }
    if forgotten.is_empty() {
        return false;
    }
    let scrubbed = batch.scrub().await;
    if !scrubbed {
        tracing::warn!(
            "forgotten rows are deleted but not yet scrubbed from the files; will retry"
        );
    }
    for (answer, outcome) in forgotten {
        let _ = answer.send(outcome);
    }
    !scrubbed
}
