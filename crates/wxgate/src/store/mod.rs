//! Storage: followers, events, scene counters, QR codes, the access token, the notify-webhook
//! outbox, behind one trait.
//!
//! Two implementations: `sqlite/` (the embedded engine: one writer thread owning its
//! connection, an append log with followers brought up to date behind it) and `postgres.rs`
//! (sqlx, group commit through `writer.rs`, SQL in `sql.rs`, rows in `rows.rs`, glue in
//! `backend.rs`). One test suite (`tests/`) runs on both. Design decisions: `docs/storage.md`.
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

mod counters;
mod postgres;
mod rows;
mod sql;
pub(crate) mod sqlite;
#[cfg(test)]
mod tests;

/// A storage failure. Shown to HTTP clients only as a generic 500 / 503.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// PostgreSQL error
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// SQLite error
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// the SQLite database file could not be opened
    #[error("cannot open the SQLite database {path}: {source}")]
    Open {
        /// the file
        path: String,
        /// why
        #[source]
        source: rusqlite::Error,
    },
    /// the SQLite database file could not be created
    #[error("cannot create the SQLite database {path}: {source}")]
    Create {
        /// the file
        path: String,
        /// why
        #[source]
        source: std::io::Error,
    },
    /// migration error
    #[error("migration error: {0}")]
    Migrate(String),
    /// the writer thread could not be started
    #[error("cannot start the store writer thread: {0}")]
    Start(#[source] std::io::Error),
    /// unsupported or malformed storage url
    #[error("bad storage url: {0}")]
    Url(String),
    /// a stored value that cannot be what was written (a corrupt row)
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// the store is closed (shutting down)
    #[error("store is closed")]
    Closed,
    /// the group-committed batch holding this write failed to commit (shared by its writes)
    #[error("batch commit failed: {0}")]
    Commit(Arc<str>),
}

/// Whether writes currently succeed: set by the writer after each batch, read by `/healthz`.
#[derive(Debug, Default)]
pub struct Health {
    failing: std::sync::Mutex<Option<String>>,
}

impl Health {
    /// A batch committed.
    pub fn set_ok(&self) {
        *self.lock() = None;
    }

    /// A batch failed: why (no secrets, no user data).
    pub fn set_failing(&self, reason: String) {
        *self.lock() = Some(reason);
    }

    /// `Err(reason)` while writes fail.
    pub fn status(&self) -> Result<(), String> {
        self.lock().clone().map_or(Ok(()), Err)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        self.failing
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// How a push changes what we know of its sender.
#[derive(Debug, Clone, PartialEq)]
pub enum FollowerEffect {
    /// subscribe: subscribed, subscribed_at = received_at, scene = this (qrscene_ stripped);
    /// counts a subscribe for the scene of today (UTC) when Some.
    Subscribe {
        /// scene
        scene: Option<String>,
    },
    /// SCAN by a follower: counts a scan for the scene; touches the follower.
    Scan {
        /// scene
        scene: String,
    },
    /// LOCATION event: sets last location; touches the follower.
    Location {
        /// Latitude
        latitude: f64,
        /// Longitude
        longitude: f64,
        /// Precision
        precision: f64,
    },
    /// any other push: creates the follower (subscribed, subscribed_at null) if unknown;
    /// sets last_seen_at.
    Touch,
    /// unsubscribe: every row holding the openid is deleted (the event itself is not kept),
    /// bytes scrubbed from the files. Counters stay.
    Forget,
}

/// One processed push, written in one transaction (group-committed with others).
#[derive(Debug, Clone)]
pub struct PushWrite {
    /// resend key (MsgId, or FromUserName+CreateTime+Event+EventKey); unique
    pub dedupe_key: String,
    /// FromUserName
    pub openid: String,
    /// MsgType as sent
    pub msg_type: String,
    /// Event as sent
    pub event: Option<String>,
    /// EventKey as sent
    pub event_key: Option<String>,
    /// CreateTime
    pub create_time: i64,
    /// when the gateway received it
    pub received_at: DateTime<Utc>,
    /// the raw (decrypted) push XML; the fields shown by the admin API are parsed from it
    pub raw_xml: String,
    /// the reply XML as sent (plaintext, before encryption); None for `success`
    pub reply: Option<String>,
    /// follower / counter effect
    pub effect: FollowerEffect,
    /// the replay guard's mark of this push (its signature triple and body), kept with it
    pub replay: Option<ReplayMark>,
    /// notify-webhook deliveries of this push; inserted only when the push is new (not for a
    /// Duplicate), and also for `Forget` (they outlive the forget, contract §4)
    pub deliveries: Vec<NewDelivery>,
}

/// How long the replay guard remembers a signature triple.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(600);

/// A signature triple seen with a body (contract §3, `refuse_replays`): SHA-256 digests only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplayMark {
    /// when the push was accepted (kept for [`REPLAY_WINDOW`])
    pub seen_at: DateTime<Utc>,
    /// SHA-256 of `timestamp \n nonce \n signature`
    pub query: [u8; 32],
    /// SHA-256 of the body
    pub body: [u8; 32],
}

/// A notify-webhook delivery, written in the same transaction as its push (transactional outbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// the webhook's name
    pub webhook: String,
    /// the JSON body, exactly as it will be POSTed
    pub payload: String,
    /// `X-Wxgate-Event-Id` (the push's dedupe key)
    pub event_id: String,
}

/// A pending delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// id (ascending = order of the pushes)
    pub id: i64,
    /// webhook name
    pub webhook: String,
    /// openid of the push
    pub openid: String,
    /// `X-Wxgate-Event-Id`
    pub event_id: String,
    /// JSON body
    pub payload: String,
    /// failed attempts so far
    pub attempts: i32,
    /// when the push was recorded
    pub created_at: DateTime<Utc>,
}

/// The answer stored with a push (its `reply` column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredReply {
    /// answered `success` (no reply)
    Success,
    /// answered this reply XML, byte for byte as sent
    Xml(String),
}

impl From<Option<String>> for StoredReply {
    /// The column's value: NULL is `success`.
    fn from(reply: Option<String>) -> Self {
        reply.map_or(StoredReply::Success, StoredReply::Xml)
    }
}

/// What recording a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// stored as event `id`
    Stored {
        /// event id
        id: i64,
    },
    /// a push with the same dedupe_key was already stored: its reply
    Duplicate {
        /// the reply stored with the first
        reply: StoredReply,
    },
    /// an unsubscribe: the user was forgotten, nothing stored
    Forgotten,
}

/// A follower as the admin API shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Follower {
    /// openid
    pub openid: String,
    /// subscribed
    pub subscribed: bool,
    /// when subscribed (None if the subscribe was never seen)
    pub subscribed_at: Option<DateTime<Utc>>,
    /// QR scene it came from
    pub scene: Option<String>,
    /// last LOCATION report
    pub location: Option<Location>,
    /// last push
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// A reported location.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    /// Latitude
    pub latitude: f64,
    /// Longitude
    pub longitude: f64,
    /// Precision
    pub precision: f64,
    /// when
    pub reported_at: DateTime<Utc>,
}

/// `GET /api/followers` filter; ordered by openid ascending.
#[derive(Debug, Clone, Default)]
pub struct FollowerQuery {
    /// only (un)subscribed
    pub subscribed: Option<bool>,
    /// page size
    pub limit: u32,
    /// openids strictly after this one
    pub after: Option<String>,
}

/// `GET /api/events` filter; newest (highest id) first.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// by openid
    pub openid: Option<String>,
    /// by msg_type, case-insensitive
    pub msg_type: Option<String>,
    /// by event, case-insensitive
    pub event: Option<String>,
    /// page size (caller caps it)
    pub limit: u32,
    /// ids below this
    pub before: Option<i64>,
}

/// A stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct EventRow {
    /// id
    pub id: i64,
    /// openid
    pub openid: String,
    /// MsgType
    pub msg_type: String,
    /// Event
    pub event: Option<String>,
    /// EventKey
    pub event_key: Option<String>,
    /// CreateTime
    pub create_time: i64,
    /// received
    pub received_at: DateTime<Utc>,
    /// fields JSON text
    pub fields_json: String,
    /// reply XML or None
    pub reply: Option<String>,
}

/// Per-scene totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SceneStats {
    /// scene
    pub scene: String,
    /// label of the QR code recorded for it
    pub label: Option<String>,
    /// subscribes
    pub subscribes: i64,
    /// scans
    pub scans: i64,
    /// unsubscribes of users who came through this scene
    pub unsubscribes: i64,
}

/// One UTC day of `GET /api/stats/daily` (anonymous counters, kept after forgets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayStats {
    /// the day
    pub day: chrono::NaiveDate,
    /// subscribes (of the scene, when narrowed to one)
    pub subscribes: i64,
    /// unsubscribes (of users who came through the scene, when narrowed to one)
    pub unsubscribes: i64,
    /// scans
    pub scans: i64,
    /// pushes received (all scenes: pushes carry no scene of their user)
    pub events: i64,
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stats {
    /// followers subscribed
    pub subscribed: i64,
    /// followers known
    pub total: i64,
    /// events stored
    pub events: i64,
    /// per scene, ordered by scene
    pub scenes: Vec<SceneStats>,
}

/// A recorded parameterised QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    /// scene (string form)
    pub scene: String,
    /// QR_SCENE / QR_STR_SCENE / QR_LIMIT_SCENE / QR_LIMIT_STR_SCENE
    pub action_name: String,
    /// ticket
    pub ticket: String,
    /// url (the QR content)
    pub url: String,
    /// expire_seconds (None for permanent)
    pub expire_seconds: Option<i64>,
    /// expires_at (None for permanent)
    pub expires_at: Option<DateTime<Utc>>,
    /// label
    pub label: Option<String>,
    /// created
    pub created_at: DateTime<Utc>,
}

/// A recorded QR code with its scene's anonymous counters (as in [`SceneStats`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCodeTotals {
    /// the code
    pub code: QrCode,
    /// follows through the code's scene
    pub subscribes: i64,
    /// scans by users who already followed
    pub scans: i64,
    /// unfollows of users who came through the scene
    pub unsubscribes: i64,
}

/// A stored access token. Its `Debug` never shows the token.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredToken {
    /// the token
    pub access_token: String,
    /// expiry
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The storage interface. SQLite and PostgreSQL implement it; one test suite runs on both.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Durably record one push (event, follower effect, counters) — group-committed: returns
    /// only once the write is committed (fsynced).
    async fn record(&self, write: PushWrite) -> Result<Recorded, StoreError>;
    /// The reply stored for a dedupe key, if a push with it was recorded.
    async fn stored_reply(&self, dedupe_key: &str) -> Result<Option<StoredReply>, StoreError>;
    /// The replay marks of the pushes accepted since `since` (to seed the in-memory guard at
    /// start).
    async fn replay_marks(&self, since: DateTime<Utc>) -> Result<Vec<ReplayMark>, StoreError>;
    /// Whether another instance sharing the database accepted `mark`'s triple with another
    /// body within the window. Always `false` on SQLite (one process writes it; its memory
    /// is complete).
    async fn replayed_elsewhere(&self, mark: &ReplayMark) -> Result<bool, StoreError>;
    /// One follower.
    async fn follower(&self, openid: &str) -> Result<Option<Follower>, StoreError>;
    /// A page of followers.
    async fn followers(&self, query: &FollowerQuery) -> Result<Vec<Follower>, StoreError>;
    /// Forget a user (as an unsubscribe does). Idempotent.
    async fn forget(&self, openid: &str) -> Result<(), StoreError>;
    /// A page of events.
    async fn events(&self, query: &EventQuery) -> Result<Vec<EventRow>, StoreError>;
    /// Totals.
    async fn stats(&self) -> Result<Stats, StoreError>;
    /// The counters of the `days` UTC days up to and including `today`'s, oldest first, every
    /// day present (zeros too); `scene` narrows subscribes, unsubscribes and scans to one scene.
    async fn daily(
        &self,
        today: DateTime<Utc>,
        days: u32,
        scene: Option<&str>,
    ) -> Result<Vec<DayStats>, StoreError>;
    /// Record (or replace, by scene) a QR code.
    async fn save_qrcode(&self, code: &QrCode) -> Result<(), StoreError>;
    /// Recorded QR codes, newest first, with their scene's counters.
    async fn qrcodes(&self) -> Result<Vec<QrCodeTotals>, StoreError>;
    /// One QR code by scene.
    async fn qrcode(&self, scene: &str) -> Result<Option<QrCode>, StoreError>;
    /// The stored access token of an appid.
    async fn load_token(&self, appid: &str) -> Result<Option<StoredToken>, StoreError>;
    /// Store the access token of an appid.
    async fn save_token(&self, appid: &str, token: &StoredToken) -> Result<(), StoreError>;
    /// Take (or renew) the lease to refresh the token of an appid for `ttl`: `true` when
    /// `holder` now holds it (it was free, expired, or already `holder`'s), `false` when
    /// another holder's lease is still running. Instances sharing a database call this
    /// before refreshing, so one refreshes.
    async fn try_token_lease(
        &self,
        appid: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError>;
    /// Compare-and-expire: mark the stored token of an appid expired (now) only if it is
    /// still `token` (the one WeChat just refused), so a newer token saved meanwhile is kept.
    async fn expire_token(&self, appid: &str, token: &str) -> Result<(), StoreError>;
    /// Give the refresh lease of an appid back if `holder` holds it.
    async fn release_token_lease(&self, appid: &str, holder: &str) -> Result<(), StoreError>;
    /// Delete events received before `cutoff`; returns how many.
    async fn purge_events(&self, cutoff: DateTime<Utc>) -> Result<u64, StoreError>;
    /// Claim due deliveries: per (webhook, openid) only its oldest pending delivery, and only
    /// if that one is due (next_at <= now) and not claimed (claimed_until <= now); at most
    /// `limit`, oldest first. Claimed ones are not handed out again before `now + lease`.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>, StoreError>;
    /// A delivery succeeded: delete it.
    async fn delivery_done(&self, id: i64) -> Result<(), StoreError>;
    /// A delivery failed: attempts + 1, claim released, due again at `next_at`.
    async fn delivery_failed(&self, id: i64, next_at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Delete the pending deliveries of `webhook` created before `cutoff` (its max_age passed).
    async fn drop_deliveries(
        &self,
        webhook: &str,
        cutoff: DateTime<Utc>,
    ) -> Result<u64, StoreError>;
    /// Number of pending deliveries.
    async fn pending_deliveries(&self) -> Result<i64, StoreError>;
    /// `Err(reason)` while writes fail (the last batch did not commit); `Ok` again once one
    /// commits. `/healthz` answers 503 with the reason.
    fn health(&self) -> Result<(), String>;
    /// Flush pending writes and close.
    async fn close(&self);
}

/// Open (creating and migrating) the store at `url`: `sqlite://PATH` (absolute or relative to
/// the working directory), `sqlite::memory:`, or `postgres://...`.
///
/// The error never holds the url itself (a PostgreSQL url may carry a password).
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::open(url).await?))
    } else {
        let scheme = url.split_once(':').map_or("(none)", |(scheme, _)| scheme);
        Err(StoreError::Url(format!(
            "unsupported scheme {scheme:?}: use sqlite://PATH, sqlite::memory: or postgres://..."
        )))
    }
}
