//! Every task the gateway spawns, so that shutdown can stop and await all of them.
//!
//! Two kinds: *work* that must finish once started (a push being recorded) is only tracked;
//! *background* tasks (late replies, call webhooks, the outbox dispatcher, the reload and purge
//! loops) are also cancelled when shutdown asks them to stop. [`Tasks::stop`] cancels, then
//! waits for both kinds, bounded in time; the store is closed only after that.
use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The gateway's spawned tasks and their stop token; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl Tasks {
    /// Spawn work that runs to its end, even during shutdown (shutdown waits for it).
    pub fn spawn_work<F>(&self, work: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(work)
    }

    /// Spawn a background task that is dropped where it stands when shutdown cancels.
    pub fn spawn_background<F>(&self, task: F) -> JoinHandle<Option<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let cancel = self.cancel.clone();
        self.tracker
            .spawn(async move { cancel.run_until_cancelled(task).await })
    }

    /// The token background tasks watch (for tasks that stop on their own terms).
    pub fn token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Track an already spawned task (one that owns its own stop logic).
    pub fn track<F>(&self, task: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.tracker.spawn(task)
    }

    /// How many tasks are still running.
    pub fn len(&self) -> usize {
        self.tracker.len()
    }

    /// Whether no task is running.
    pub fn is_empty(&self) -> bool {
        self.tracker.is_empty()
    }

    /// Cancel the background tasks and wait up to `grace` for every task; false when some
    /// were still running then (they are abandoned to the runtime's shutdown).
    pub async fn stop(&self, grace: Duration) -> bool {
        self.cancel.cancel();
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait())
            .await
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn stop_cancels_background_and_waits_for_work() {
        let tasks = Tasks::default();
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = done.clone();
        tasks.spawn_work(async move {
            tokio::time::sleep(Duration::from_secs(2)).await;
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let forever = tasks.spawn_background(std::future::pending::<()>());
        assert!(tasks.stop(Duration::from_secs(5)).await);
        assert!(done.load(std::sync::atomic::Ordering::SeqCst));
        assert_eq!(forever.await.ok(), Some(None));
        assert!(tasks.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn stop_gives_up_after_the_grace() {
        let tasks = Tasks::default();
        tasks.spawn_work(std::future::pending::<()>());
        let started = tokio::time::Instant::now();
        assert!(!tasks.stop(Duration::from_secs(3)).await);
        assert_eq!(started.elapsed(), Duration::from_secs(3));
    }
}
