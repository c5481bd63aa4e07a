//! `wxgate followers sync` in the store: followers as `user/info` describes them, and the
//! cursor that makes an interrupted sync resumable. The per-follower statements are SQLite's
//! (PostgreSQL stores a page with arrays, `postgres/sync.rs`); the cursor's are shared.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreError;

/// A follower sync's pages, its cursor, and the followers it finds gone.
#[async_trait]
pub trait SyncStore: Send + Sync {
    /// Store a page of `account`'s synced followers and the sync's cursor in one transaction;
    /// returns how many followers were new to the gateway (those are counted under their
    /// scene).
    async fn save_synced(
        &self,
        account: &str,
        followers: &[SyncedFollower],
        cursor: &SyncCursor,
    ) -> Result<u64, StoreError>;
    /// The cursor of `account`'s unfinished sync.
    async fn sync_cursor(&self, account: &str) -> Result<Option<SyncCursor>, StoreError>;
    /// `account`'s sync is over: its cursor deleted.
    async fn finish_sync(&self, account: &str) -> Result<(), StoreError>;
    /// Forget a follower of `account` that a sync found gone from WeChat's list at `at`: an
    /// unsubscribe the gateway missed. If it is known and subscribed, it counts like an
    /// unsubscribe push — one unsubscribe against the scene the user came from and one on
    /// `at`'s UTC day (no event: nothing was received) — then it is forgotten as by
    /// [`Erasure::forget`](super::Erasure::forget), in one transaction. Idempotent: an openid already forgotten (or
    /// never known) counts nothing.
    async fn forget_departed(
        &self,
        account: &str,
        openid: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// `account`'s openids known before the sync that started at `started_at` and seen
    /// neither by it nor by a push since: no longer following.
    async fn unsynced_followers(
        &self,
        account: &str,
        started_at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError>;
}

/// A follower as a sync stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedFollower {
    /// openid
    pub openid: String,
    /// WeChat's `subscribe_time`
    pub subscribed_at: Option<DateTime<Utc>>,
    /// the QR scene they followed through (`qr_scene_str`, else a non-zero `qr_scene`)
    pub scene: Option<String>,
    /// e.g. `ADD_SCENE_QR_CODE`
    pub subscribe_scene: Option<String>,
    /// unionid, when the account is bound to an Open Platform account
    pub unionid: Option<String>,
    /// language, e.g. `zh_CN`
    pub language: Option<String>,
    /// the account's remark on them
    pub remark: Option<String>,
    /// tag ids
    pub tags: Vec<i64>,
}

/// Where an unfinished sync is: when it started, the `user/get` cursor of the next page
/// (None: the first), how many followers it has stored so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCursor {
    /// when the sync started (followers not seen since are forgotten at its end)
    pub started_at: DateTime<Utc>,
    /// `next_openid` of the page to fetch next
    pub next_openid: Option<String>,
    /// followers stored so far
    pub synced: i64,
}

/// Whether follower $2 of account $1 is known.
pub(super) const FOLLOWER_EXISTS: &str =
    "SELECT 1 FROM followers WHERE account = $1 AND openid = $2";

/// Stores a synced follower of account $1 ($2 openid, $3 subscribed_at, $4 scene, $5 unionid,
/// $6 subscribe_scene, $7 language, $8 remark, $9 tags JSON, $10 synced_at). A follower known
/// from pushes keeps its source, subscribe time and scene when it has them.
pub(super) const UPSERT_SYNCED: &str = "INSERT INTO followers (account, openid, subscribed, \
    subscribed_at, scene, unionid, subscribe_scene, source, language, remark, tags, synced_at) \
    VALUES ($1, $2, TRUE, $3, $4, $5, $6, 'sync', $7, $8, $9, $10) \
    ON CONFLICT (account, openid) DO UPDATE SET \
    subscribed = TRUE, subscribed_at = COALESCE(followers.subscribed_at, excluded.subscribed_at), \
    scene = COALESCE(followers.scene, excluded.scene), unionid = excluded.unionid, \
    subscribe_scene = excluded.subscribe_scene, language = excluded.language, \
    remark = excluded.remark, tags = excluded.tags, synced_at = excluded.synced_at";

/// Counts a synced follower new to the gateway under its scene ($1 account, $2 scene,
/// $3 day).
pub(super) const COUNT_SYNCED: &str = "INSERT INTO scene_counters \
    (account, scene, day, subscribes, scans, unsubscribes) VALUES ($1, $2, $3, 1, 0, 0) \
    ON CONFLICT (account, scene, day) DO UPDATE SET subscribes = scene_counters.subscribes + 1";

/// The cursor of account $1's unfinished sync.
pub(super) const SELECT_CURSOR: &str =
    "SELECT started_at, next_openid, synced FROM follower_sync WHERE account = $1";

/// Saves account $1's cursor ($2 started_at, $3 next_openid, $4 synced).
pub(super) const UPSERT_CURSOR: &str = "INSERT INTO follower_sync (account, started_at, \
    next_openid, synced) VALUES ($1, $2, $3, $4) ON CONFLICT (account) DO UPDATE SET \
    started_at = excluded.started_at, next_openid = excluded.next_openid, \
    synced = excluded.synced";

/// Account $1's sync is over.
pub(super) const DELETE_CURSOR: &str = "DELETE FROM follower_sync WHERE account = $1";

/// Account $1's followers neither seen by the sync that started at $2 nor by a push since.
pub(super) const SELECT_UNSYNCED: &str = "SELECT openid FROM followers WHERE account = $1 \
    AND (synced_at IS NULL OR synced_at < $2) AND (last_seen_at IS NULL OR last_seen_at < $2) \
    AND (subscribed_at IS NULL OR subscribed_at < $2) ORDER BY openid";

/// `tags` as stored: a JSON array.
pub(super) fn tags_json(tags: &[i64]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// `tags` as read; a malformed value reads as none.
pub(super) fn tags_from(json: Option<&str>) -> Vec<i64> {
    json.and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}
