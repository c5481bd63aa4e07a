//! `wxgate followers sync` in the store: followers as `user/info` describes them, and the
//! cursor that makes an interrupted sync resumable. The per-follower statements are SQLite's
//! (PostgreSQL stores a page with arrays, `postgres/sync.rs`); the cursor's are shared.
use chrono::{DateTime, Utc};

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

/// Whether follower $1 is known.
pub(super) const FOLLOWER_EXISTS: &str = "SELECT 1 FROM followers WHERE openid = $1";

/// Stores a synced follower ($1 openid, $2 subscribed_at, $3 scene, $4 unionid,
/// $5 subscribe_scene, $6 language, $7 remark, $8 tags JSON, $9 synced_at). A follower known
/// from pushes keeps its source, subscribe time and scene when it has them.
pub(super) const UPSERT_SYNCED: &str = "INSERT INTO followers (openid, subscribed, \
    subscribed_at, scene, unionid, subscribe_scene, source, language, remark, tags, synced_at) \
    VALUES ($1, TRUE, $2, $3, $4, $5, 'sync', $6, $7, $8, $9) ON CONFLICT (openid) DO UPDATE SET \
    subscribed = TRUE, subscribed_at = COALESCE(followers.subscribed_at, excluded.subscribed_at), \
    scene = COALESCE(followers.scene, excluded.scene), unionid = excluded.unionid, \
    subscribe_scene = excluded.subscribe_scene, language = excluded.language, \
    remark = excluded.remark, tags = excluded.tags, synced_at = excluded.synced_at";

/// Counts a synced follower new to the gateway under its scene ($1 scene, $2 day).
pub(super) const COUNT_SYNCED: &str = "INSERT INTO scene_counters \
    (scene, day, subscribes, scans, unsubscribes) VALUES ($1, $2, 1, 0, 0) \
    ON CONFLICT (scene, day) DO UPDATE SET subscribes = scene_counters.subscribes + 1";

/// The cursor of an unfinished sync.
pub(super) const SELECT_CURSOR: &str =
    "SELECT started_at, next_openid, synced FROM follower_sync WHERE id = 1";

/// Saves the cursor ($1 started_at, $2 next_openid, $3 synced).
pub(super) const UPSERT_CURSOR: &str = "INSERT INTO follower_sync (id, started_at, next_openid, \
    synced) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO UPDATE SET started_at = excluded.started_at, \
    next_openid = excluded.next_openid, synced = excluded.synced";

/// The sync is over.
pub(super) const DELETE_CURSOR: &str = "DELETE FROM follower_sync";

/// Followers neither seen by the sync that started at $1 nor by a push since then.
pub(super) const SELECT_UNSYNCED: &str = "SELECT openid FROM followers \
    WHERE (synced_at IS NULL OR synced_at < $1) AND (last_seen_at IS NULL OR last_seen_at < $1) \
    AND (subscribed_at IS NULL OR subscribed_at < $1) ORDER BY openid";

/// `tags` as stored: a JSON array.
pub(super) fn tags_json(tags: &[i64]) -> String {
    serde_json::to_string(tags).unwrap_or_else(|_| "[]".into())
}

/// `tags` as read; a malformed value reads as none.
pub(super) fn tags_from(json: Option<&str>) -> Vec<i64> {
    json.and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_default()
}
