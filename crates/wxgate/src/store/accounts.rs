//! The accounts port: which accounts the store holds records of, and erasing all of one.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{ReplayMark, StoreError};

/// `source` of an account from the config file.
pub const SOURCE_CONFIG: &str = "config";

/// Every table of both backends holding records of an account, by its `account` column: what
/// [`AccountLedger::erase_account`] empties (besides the account's own row and its appid's
/// rows, [`DELETE_APPID`]). A table added with an `account` column belongs here (a test
/// checks).
pub(crate) const ACCOUNT_TABLES: &[&str] = &[
    "events",
    "followers",
    "scene_counters",
    "day_counters",
    "qrcodes",
    "replay_guard",
    "outbox",
    "messages",
    "receipts",
    "follower_sync",
    "forgotten_keys",
    "sign_ins",
    "sign_in_tickets",
];

/// An account the store knows: served now, or once (its records kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownAccount {
    /// its name
    pub name: String,
    /// its appid, if it has (had) one
    pub appid: Option<String>,
    /// its mode when last served (`plain`, `compatible`, `safe`); None when only its
    /// records name it
    pub security: Option<String>,
    /// its push path when last served; None when only its records name it
    pub push_path: Option<String>,
    /// where it came from: [`SOURCE_CONFIG`]
    pub source: String,
}

/// The accounts the store holds records of.
#[async_trait]
pub trait AccountLedger: Send + Sync {
    /// Notes `accounts` as served (inserted, or updated with what they are now).
    async fn note_accounts(&self, accounts: &[KnownAccount]) -> Result<(), StoreError>;
    /// Every account noted, or named by a record written before accounts were noted.
    async fn known_accounts(&self) -> Result<Vec<KnownAccount>, StoreError>;
    /// The replay marks of every guard since `since`, with the key they are kept under (see
    /// [`GuardMark`](super::GuardMark)): one read that seeds the replay guards of thousands
    /// of accounts at start.
    async fn recent_marks(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, ReplayMark)>, StoreError>;
    /// Deletes every record of `account` from every table (and `appid`'s access token and
    /// jsapi_ticket when given), then its note; the bytes are scrubbed from the files as a
    /// forget's are.
    async fn erase_account(&self, account: &str, appid: Option<&str>) -> Result<(), StoreError>;
}

/// The tables of SQLite alone that hold records of an account (the per-openid index).
pub(crate) const SQLITE_ACCOUNT_TABLES: &[&str] = &["openid_events"];

/// `DELETE FROM {table} WHERE account = $1` for each of [`ACCOUNT_TABLES`] and `more`.
pub(crate) fn erase_statements(more: &'static [&'static str]) -> impl Iterator<Item = String> {
    ACCOUNT_TABLES
        .iter()
        .chain(more)
        .map(|table| format!("DELETE FROM {table} WHERE account = $1"))
}

/// Upserting one account's note.
pub(crate) const UPSERT_ACCOUNT: &str = "INSERT INTO accounts (name, appid, security, push_path, \
     source, noted_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO UPDATE SET \
     appid = excluded.appid, security = excluded.security, push_path = excluded.push_path, \
     source = excluded.source, noted_at = excluded.noted_at";

/// Every note, by name.
pub(crate) const SELECT_ACCOUNTS: &str =
    "SELECT name, appid, security, push_path, source FROM accounts ORDER BY name";

/// Every account's replay marks since `$1`.
pub(crate) const SELECT_RECENT_MARKS: &str =
    "SELECT account, seen_at, query, body FROM replay_guard WHERE seen_at >= $1";

/// Deleting an account's note.
pub(crate) const DELETE_ACCOUNT: &str = "DELETE FROM accounts WHERE name = $1";

/// Deleting an appid's rows: its access token and its JS-SDK jsapi_ticket.
pub(crate) const DELETE_APPID: &[&str] = &[
    "DELETE FROM tokens WHERE appid = $1",
    "DELETE FROM jsapi_tickets WHERE appid = $1",
];
