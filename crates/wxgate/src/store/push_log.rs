//! The push log port: what the push path writes and reads back — the push itself (event,
//! follower effect, counters, its webhook jobs), the reply stored with it, and the replay
//! guard's marks.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{GuardMark, PushWrite, Recorded, ReplayMark, StoreError, StoredReply};

/// The pushes received, their replies, and the replay marks kept with them.
#[async_trait]
pub trait PushLog: Send + Sync {
    /// Durably record one push (event, follower effect, counters) — group-committed: returns
    /// only once the write is committed (fsynced). An unsubscribe whose key is tombstoned
    /// (forgotten within [`REPLAY_WINDOW`](super::REPLAY_WINDOW), also by another instance)
    /// is a resend: answered `Duplicate` with `success`, counting and queueing nothing.
    async fn record(&self, write: PushWrite) -> Result<Recorded, StoreError>;
    /// The reply stored for a dedupe key of an account, if a push with it was recorded;
    /// `success` for the key of an unsubscribe forgotten within
    /// [`REPLAY_WINDOW`](super::REPLAY_WINDOW).
    async fn stored_reply(
        &self,
        account: &str,
        dedupe_key: &str,
    ) -> Result<Option<StoredReply>, StoreError>;
    /// Durably keep the replay mark of an accepted push that writes nothing of its own (a
    /// resend, answered with the first's reply): on SQLite it rides the writer's next batch
    /// (group-committed with the writes queued beside it), on PostgreSQL it is one insert.
    /// Returns once it is committed; a mark already kept is left as it is.
    async fn keep_mark(&self, mark: &GuardMark) -> Result<(), StoreError>;
    /// The replay marks kept under the guard key `guard` since `since` (to seed that
    /// in-memory guard).
    async fn replay_marks(
        &self,
        guard: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<ReplayMark>, StoreError>;
    /// Whether another instance sharing the database accepted `mark`'s triple under the guard
    /// key `guard` (a push Token's: any account with that Token) with another body within the
    /// window. Always `false` on SQLite (one process writes it; its memory is complete).
    async fn replayed_elsewhere(&self, guard: &str, mark: &ReplayMark) -> Result<bool, StoreError>;
}
