//! Storage: followers, events, scene counters, QR codes, the access token, the notify-webhook
//! outbox, behind one trait; the web pages' sign-ins and jsapi_ticket behind another (`web`).
//!
//! Two implementations: `sqlite/` (the embedded engine: one writer thread owning its
//! connection, an append log with followers brought up to date behind it) and `postgres.rs`
//! (sqlx, group commit through `writer.rs`, SQL in `sql.rs`, rows in `rows.rs`, glue in
//! `backend.rs`). One test suite (`tests/`) runs on both. Design decisions: `docs/storage.md`.
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub mod accounts;
mod counters;
pub mod messages;
pub mod platform;
mod postgres;
mod rows;
mod sql;
pub(crate) mod sqlite;
pub mod sync;
#[cfg(test)]
pub(crate) mod tests;
pub mod web;

pub use accounts::{AccountLedger, KnownAccount, SOURCE_CONFIG};
pub use messages::{MessageRow, NewMessage, Queued, TEMPLATE_QUEUE};
pub use sync::{SyncCursor, SyncedFollower};
/// The account of a config with a single `[account]`, and of every row written before
/// migration 0007 (several accounts).
pub const DEFAULT_ACCOUNT: &str = "default";

/// A storage failure. Shown to HTTP clients only as a generic 500 / 503.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// PostgreSQL error
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// PostgreSQL could not be reached or refused the connection (names the server, never
    /// the password)
    #[error("cannot connect to PostgreSQL at {server}: {source}")]
    Connect {
        /// `host:port` (or the socket folder) of the storage url
        server: String,
        /// why
        #[source]
        source: sqlx::Error,
    },
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
    /// the folder of the SQLite database file did not exist and could not be made
    #[error("cannot create the folder {path} of the SQLite database: {source}")]
    CreateFolder {
        /// the folder
        path: String,
        /// why
        #[source]
        source: std::io::Error,
    },
    /// the schema could not be brought up to date (rusqlite's or sqlx's error as the source)
    #[error("migration failed: {0}")]
    Migrate(#[source] Box<dyn std::error::Error + Send + Sync>),
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
    /// the group-committed batch holding this write failed to commit: the backend's error
    /// (rusqlite's or sqlx's), shared by every write of the batch
    #[error("batch commit failed: {0}")]
    Commit(#[source] SharedError),
}

/// The backend error (rusqlite's or sqlx's) of a batch that failed to commit, shared by every
/// write of the batch (cloning is cheap). `Display` is the backend error's.
///
/// Deliberately not an `Error` itself but a `Deref` to the backend error: so the `source()`
/// of [`StoreError::Commit`] is the backend error (`downcast_ref::<rusqlite::Error>()`,
/// `::<sqlx::Error>()`), with no wrapper layer in the chain.
#[derive(Clone)]
pub struct SharedError(Arc<dyn std::error::Error + Send + Sync>);

impl SharedError {
    /// Shares `error`.
    pub fn new(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        SharedError(Arc::new(error))
    }
}

impl std::ops::Deref for SharedError {
    type Target = dyn std::error::Error + Send + Sync;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

impl std::fmt::Display for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::fmt::Debug for SharedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
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
    /// bytes scrubbed from the files. Counters stay. A tombstone (SHA-256 of the dedupe key,
    /// see [`forgotten_digest`]) is kept for [`REPLAY_WINDOW`] so a resend is answered as a
    /// [`Recorded::Duplicate`] instead of running again.
    Forget,
}

/// One processed push, written in one transaction (group-committed with others).
#[derive(Debug, Clone)]
pub struct PushWrite {
    /// the account (its config name) the push came to
    pub account: String,
    /// resend key (MsgId, or FromUserName+CreateTime+Event+EventKey); unique per account
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
    pub replay: Option<GuardMark>,
    /// notify-webhook deliveries of this push; inserted only when the push is new (not for a
    /// Duplicate), and also for `Forget` (they outlive the forget, contract §4)
    pub deliveries: Vec<NewDelivery>,
}

/// How long the replay guard remembers a signature triple, and the store the tombstone of a
/// forgotten unsubscribe.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(600);

/// The tombstone of a forgotten unsubscribe: SHA-256 of its dedupe key (which holds the
/// openid, so it is never kept in clear). Kept with the account for [`REPLAY_WINDOW`].
pub fn forgotten_digest(dedupe_key: &str) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(dedupe_key.as_bytes()).into()
}

/// Tombstones older than this (now − [`REPLAY_WINDOW`], in ms) are pruned and no longer
/// recognise a resend.
fn forgotten_cutoff() -> i64 {
    rows::millis(Utc::now() - REPLAY_WINDOW)
}

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

/// A replay mark with the key of the guard that keeps it (its push Token's guard, shared by
/// the accounts that have that Token: see `push::replay::guard_key`); marks are stored and
/// listed under that key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardMark {
    /// the guard's key
    pub guard: String,
    /// the mark
    pub mark: ReplayMark,
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
    /// the account of the push
    pub account: String,
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
    /// a push with the same dedupe_key was already stored: its reply — or, for an
    /// unsubscribe, one with the same key was forgotten within [`REPLAY_WINDOW`] (its
    /// tombstone): `success`, and nothing written
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
    /// the account it follows
    pub account: String,
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
    /// unionid (from a sync), None until known
    pub unionid: Option<String>,
    /// how WeChat says they followed (`ADD_SCENE_…`, from a sync), None until known
    pub subscribe_scene: Option<String>,
    /// how the gateway learned of them: `push` or `sync`
    pub source: String,
    /// language (from a sync)
    pub language: Option<String>,
    /// the account's remark on them (from a sync)
    pub remark: Option<String>,
    /// tag ids (from a sync)
    pub tags: Vec<i64>,
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

/// `GET /api/followers` filter; ordered by (account, openid) ascending.
#[derive(Debug, Clone, Default)]
pub struct FollowerQuery {
    /// one account's (None: every account's)
    pub account: Option<String>,
    /// only (un)subscribed
    pub subscribed: Option<bool>,
    /// page size
    pub limit: u32,
    /// followers strictly after this (account, openid)
    pub after: Option<(String, String)>,
}

/// `GET /api/events` filter; newest (highest id) first.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// one account's (None: every account's)
    pub account: Option<String>,
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
    /// the account it came to
    pub account: String,
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
    /// the account the scene belongs to
    pub account: String,
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
    /// per scene, ordered by (account, scene)
    pub scenes: Vec<SceneStats>,
}

/// A recorded parameterised QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrCode {
    /// the account it was created for
    pub account: String,
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
#[derive(Clone)]
pub struct StoredToken {
    /// the token: a [`SecretString`](secrecy::SecretString), zeroized on drop and read only
    /// through [`ExposeSecret::expose_secret`](secrecy::ExposeSecret::expose_secret)
    pub access_token: secrecy::SecretString,
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
/// The web pages' storage is its own port, [`web::WebStore`], and the third-party platform's
/// [`platform::PlatformStore`]; every store implements both.
#[async_trait]
pub trait Store:
    web::WebStore + AccountLedger + platform::PlatformStore + Send + Sync + 'static
{
    /// Durably record one push (event, follower effect, counters) — group-committed: returns
    /// only once the write is committed (fsynced). An unsubscribe whose key is tombstoned
    /// (forgotten within [`REPLAY_WINDOW`], also by another instance) is a resend: answered
    /// `Duplicate` with `success`, counting and queueing nothing.
    async fn record(&self, write: PushWrite) -> Result<Recorded, StoreError>;
    /// The reply stored for a dedupe key of an account, if a push with it was recorded;
    /// `success` for the key of an unsubscribe forgotten within [`REPLAY_WINDOW`].
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
    /// The followers with this openid: of one account, or of every account (None) — the
    /// same openid string under two accounts is two followers. Ordered by account.
    async fn follower(
        &self,
        account: Option<&str>,
        openid: &str,
    ) -> Result<Vec<Follower>, StoreError>;
    /// A page of followers.
    async fn followers(&self, query: &FollowerQuery) -> Result<Vec<Follower>, StoreError>;
    /// Forget a user of one account (as an unsubscribe does, but counting nothing: the admin
    /// API's delete). Idempotent.
    async fn forget(&self, account: &str, openid: &str) -> Result<(), StoreError>;
    /// Forget a follower of `account` that a sync found gone from WeChat's list at `at`: an
    /// unsubscribe the gateway missed. If it is known and subscribed, it counts like an
    /// unsubscribe push — one unsubscribe against the scene the user came from and one on
    /// `at`'s UTC day (no event: nothing was received) — then it is forgotten as by
    /// [`Store::forget`], in one transaction. Idempotent: an openid already forgotten (or
    /// never known) counts nothing.
    async fn forget_departed(
        &self,
        account: &str,
        openid: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// A page of events.
    async fn events(&self, query: &EventQuery) -> Result<Vec<EventRow>, StoreError>;
    /// Totals of one account, or of every account (None: summed, scenes of each).
    async fn stats(&self, account: Option<&str>) -> Result<Stats, StoreError>;
    /// The counters of the `days` UTC days up to and including `today`'s, oldest first, every
    /// day present (zeros too), of one account or summed over every account (None); `scene`
    /// narrows subscribes, unsubscribes and scans to one scene.
    async fn daily(
        &self,
        account: Option<&str>,
        today: DateTime<Utc>,
        days: u32,
        scene: Option<&str>,
    ) -> Result<Vec<DayStats>, StoreError>;
    /// Record (or replace, by account and scene) a QR code.
    async fn save_qrcode(&self, code: &QrCode) -> Result<(), StoreError>;
    /// Recorded QR codes of one account or of every account (None), newest first, with
    /// their scene's counters.
    async fn qrcodes(&self, account: Option<&str>) -> Result<Vec<QrCodeTotals>, StoreError>;
    /// One QR code of an account by scene.
    async fn qrcode(&self, account: &str, scene: &str) -> Result<Option<QrCode>, StoreError>;
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
    /// Claim due deliveries: per (webhook, account, openid) only its oldest pending delivery, and only
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
    /// Queue a template message and its send (an outbox row of [`TEMPLATE_QUEUE`]) in one
    /// transaction — unless a message holds its idempotency key: then that one's id, and
    /// nothing queued.
    async fn queue_message(&self, message: &NewMessage) -> Result<Queued, StoreError>;
    /// One template message.
    async fn message(&self, id: i64) -> Result<Option<MessageRow>, StoreError>;
    /// Message `id` was sent as WeChat's `msgid`: `sent` (or the status of a receipt that
    /// came first), and its outbox row `delivery` deleted, in one transaction.
    async fn message_sent(
        &self,
        id: i64,
        delivery: i64,
        msgid: i64,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Message `id` failed for good with `error`: `failed`, its outbox row deleted.
    async fn message_failed(
        &self,
        id: i64,
        delivery: i64,
        error: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// A `TEMPLATESENDJOBFINISH` outcome (`delivered`, `blocked`, `failed`) for `account`'s
    /// WeChat `msgid`: kept, and applied to the `sent` message of that msgid, whose id is
    /// returned.
    async fn message_receipt(
        &self,
        account: &str,
        msgid: i64,
        status: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError>;
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
    /// `account`'s openids known before the sync that started at `started_at` and seen
    /// neither by it nor by a push since: no longer following.
    async fn unsynced_followers(
        &self,
        account: &str,
        started_at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError>;
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
