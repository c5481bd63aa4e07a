//! Storage: followers, events, scene counters, QR codes, access tokens, template messages, the
//! job queue, the web pages' sign-ins and jsapi_ticket — behind one port (trait) per role, each
//! in its own file: [`PushLog`] (`push_log.rs`), [`Erasure`], [`AdminReads`] (`admin.rs`),
//! [`QrCodes`], [`TokenLeases`] (`tokens.rs`), [`JobQueue`] (`jobs.rs`), [`TemplateMessages`]
//! (`messages.rs`), [`SyncStore`] (`sync.rs`), [`WebStore`] (`web/`), [`AccountLedger`]
//! (`accounts.rs`) and [`Lifecycle`]. A module takes the narrowest port it uses
//! (`Arc<dyn PushLog>`, …); [`Store`] is their sum, what [`open`] returns and the app wiring
//! holds (`Arc<dyn Store>` upcasts to any port).
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
pub mod admin;
mod counters;
pub mod erasure;
pub mod jobs;
pub mod messages;
pub mod platform;
mod postgres;
pub mod push_log;
pub mod qrcodes;
mod rows;
mod sql;
pub(crate) mod sqlite;
pub mod sync;
#[cfg(test)]
pub(crate) mod tests;
pub mod tokens;
mod url;
pub mod web;

pub use accounts::{AccountLedger, KnownAccount, SOURCE_CONFIG};
pub use admin::AdminReads;
pub use erasure::Erasure;
pub use jobs::{ClaimedJob, Job, JobQueue, TemplateJob, WebhookJob};
pub use messages::{MessageRow, NewMessage, Queued, TemplateMessages};
pub use platform::PlatformStore;
pub use push_log::PushLog;
pub use qrcodes::QrCodes;
pub use sync::{SyncCursor, SyncStore, SyncedFollower};
pub use tokens::TokenLeases;
pub use url::StorageUrl;
pub use web::WebStore;
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

/// A notify-webhook delivery to queue (a [`Job::Webhook`]), written in the same transaction as
/// its push (transactional outbox).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    /// the webhook's name
    pub webhook: String,
    /// the JSON body, exactly as it will be POSTed
    pub payload: String,
    /// `X-Wxgate-Event-Id` (the push's dedupe key)
    pub event_id: String,
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

/// Health and shutdown of a store.
#[async_trait]
pub trait Lifecycle: Send + Sync {
    /// `Err(reason)` while writes fail (the last batch did not commit); `Ok` again once one
    /// commits. `/healthz` answers 503 with the reason.
    fn health(&self) -> Result<(), String>;
    /// Flush pending writes and close.
    async fn close(&self);
}

/// Every port: what a backend is and [`open`] returns. SQLite and PostgreSQL implement each
/// port (one test suite runs on both); this trait only sums them (implemented for any type
/// that implements all). Modules take the port they use: `Arc<dyn Store>` upcasts
/// (`Arc::clone(&store) as Arc<dyn PushLog>`).
pub trait Store:
    PushLog
    + Erasure
    + AdminReads
    + QrCodes
    + TokenLeases
    + JobQueue
    + TemplateMessages
    + SyncStore
    + WebStore
    + AccountLedger
    + PlatformStore
    + Lifecycle
    + Send
    + Sync
    + 'static
{
}

impl<T> Store for T where
    T: PushLog
        + Erasure
        + AdminReads
        + QrCodes
        + TokenLeases
        + JobQueue
        + TemplateMessages
        + SyncStore
        + WebStore
        + AccountLedger
        + PlatformStore
        + Lifecycle
        + Send
        + Sync
        + 'static
{
}

/// Open (creating and migrating) the store at `url`: a SQLite file (absolute or relative to
/// the working directory), SQLite in memory, or PostgreSQL.
///
/// The error never holds the url itself (a PostgreSQL url may carry a password).
pub async fn open(url: &StorageUrl) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match url {
        StorageUrl::Sqlite { path } => {
            Arc::new(sqlite::SqliteStore::open(Some(path.as_path())).await?)
        }
        StorageUrl::SqliteMemory => Arc::new(sqlite::SqliteStore::open(None).await?),
        StorageUrl::Postgres(url) => Arc::new(postgres::PgStore::open(url).await?),
    })
}
