//! The storage port of the third-party platform ([`PlatformStore`]): the newest
//! component_verify_ticket of each platform, the accounts that authorised it with their
//! sealed refresh tokens, and the authorisation codes already exchanged. Both backends
//! implement it (`sqlite/platform.rs`, `postgres/platform.rs`) with the SQL of `sql.rs`.
//!
//! The store never sees a refresh token in clear: it keeps the sealed bytes it is given
//! (see `open::seal`). An authorisation code is kept as its SHA-256 only; claiming one is an
//! insert that does nothing when the digest is there, so of two paths or instances one wins.
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::rows::{opt_time, time};
use super::{StoreError, StoredToken};

pub(super) mod sql;

/// `source` of an account that authorised the `[open_platform]`.
pub const SOURCE_OPEN_PLATFORM: &str = "open_platform";

/// Where an authorizer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthorizerStatus {
    /// authorised: served
    Authorized,
    /// revoked its authorisation: pushes 403, WeChat-side calls 409, data erased later
    Revoked,
    /// WeChat refused its refresh token (61023): it must authorise again
    Reauthorize,
}

impl AuthorizerStatus {
    /// The word the API and the store use: `authorized`, `revoked`, `reauthorize`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizerStatus::Authorized => "authorized",
            AuthorizerStatus::Revoked => "revoked",
            AuthorizerStatus::Reauthorize => "reauthorize",
        }
    }

    /// The status of its word.
    pub fn parse(word: &str) -> Result<Self, StoreError> {
        match word {
            "authorized" => Ok(AuthorizerStatus::Authorized),
            "revoked" => Ok(AuthorizerStatus::Revoked),
            "reauthorize" => Ok(AuthorizerStatus::Reauthorize),
            other => Err(StoreError::Corrupt(format!("authorizer status {other:?}"))),
        }
    }
}

/// An account that authorised the platform, as stored (without its refresh token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorizer {
    /// its AppID
    pub appid: String,
    /// its original id (`gh_…`): the ToUserName of its pushes
    pub user_name: String,
    /// its name
    pub nick_name: Option<String>,
    /// the company or person behind it
    pub principal_name: Option<String>,
    /// `service_type_info.id`
    pub service_type: Option<i64>,
    /// `verify_type_info.id`
    pub verify_type: Option<i64>,
    /// the permission sets granted (`func_info[].funcscope_category.id`)
    pub func_info: Vec<i64>,
    /// where it stands
    pub status: AuthorizerStatus,
    /// when it (last) authorised the platform
    pub authorized_at: DateTime<Utc>,
    /// when its row last changed
    pub updated_at: DateTime<Utc>,
    /// when it revoked its authorisation
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A component_verify_ticket and when it came. `Debug` hides the ticket.
#[derive(Clone)]
pub struct VerifyTicket {
    /// the ticket
    pub ticket: secrecy::SecretString,
    /// when it was received
    pub received_at: DateTime<Utc>,
}

impl std::fmt::Debug for VerifyTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyTicket")
            .field("ticket", &"<redacted>")
            .field("received_at", &self.received_at)
            .finish()
    }
}

/// How long an exchanged code's digest is kept (WeChat's codes live an hour at most).
pub const CODES_KEPT: std::time::Duration = std::time::Duration::from_secs(86_400);

/// The platform's durable state; shared by every instance on one database.
#[async_trait]
pub trait PlatformStore: Send + Sync {
    /// Keeps `ticket` as the newest of the platform `component_appid`.
    async fn save_ticket(
        &self,
        component_appid: &str,
        ticket: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// The newest ticket of the platform `component_appid`.
    async fn ticket(&self, component_appid: &str) -> Result<Option<VerifyTicket>, StoreError>;

    /// Claims the authorisation code of SHA-256 `digest` at `at`: `true` for the first
    /// claimer only (in any instance). Digests older than [`CODES_KEPT`] are pruned.
    async fn claim_code(&self, digest: &[u8; 32], at: DateTime<Utc>) -> Result<bool, StoreError>;

    /// Inserts or updates an authorizer's row; its sealed refresh token too when `sealed`
    /// is given (else the stored one is kept).
    async fn save_authorizer(
        &self,
        authorizer: &Authorizer,
        sealed: Option<&[u8]>,
    ) -> Result<(), StoreError>;

    /// Every authorizer, by appid.
    async fn authorizers(&self) -> Result<Vec<Authorizer>, StoreError>;

    /// The authorizer `appid` (another instance may have added it).
    async fn authorizer(&self, appid: &str) -> Result<Option<Authorizer>, StoreError>;

    /// The sealed refresh token of `appid`, if its row holds one.
    async fn sealed_refresh_token(&self, appid: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Keeps `appid`'s new sealed refresh token and its new access token in one transaction
    /// (the refresh token is never lost between the two).
    async fn save_refreshed(
        &self,
        appid: &str,
        sealed: &[u8],
        access: &StoredToken,
    ) -> Result<(), StoreError>;

    /// Sets `appid`'s status (an authorizer WeChat refused: `reauthorize`) at `at`.
    async fn set_authorizer_status(
        &self,
        appid: &str,
        status: AuthorizerStatus,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// `appid` revoked its authorisation at `at`: `revoked`, its refresh token, access token
    /// and jsapi_ticket deleted, in one transaction.
    async fn revoke_authorizer(&self, appid: &str, at: DateTime<Utc>) -> Result<(), StoreError>;

    /// The authorizers revoked before `cutoff` (their data is due to be erased).
    async fn revoked_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<String>, StoreError>;

    /// Deletes `appid`'s row (after its records were erased).
    async fn delete_authorizer(&self, appid: &str) -> Result<(), StoreError>;
}

/// An authorizer's columns, in the order of `SELECT_AUTHORIZERS`.
pub(super) type AuthorizerRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
    String,
    String,
    i64,
    i64,
    Option<i64>,
);

/// The ticket of a `SELECT_TICKET` row (ticket, received_at in ms).
pub(super) fn verify_ticket((ticket, at): (String, i64)) -> Result<VerifyTicket, StoreError> {
    Ok(VerifyTicket {
        ticket: ticket.into(),
        received_at: time(at)?,
    })
}

/// The authorizer of a row.
pub(super) fn authorizer(row: AuthorizerRow) -> Result<Authorizer, StoreError> {
    let (appid, user_name, nick_name, principal_name, service_type, verify_type, func, status) =
        (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7);
    Ok(Authorizer {
        appid,
        user_name,
        nick_name,
        principal_name,
        service_type,
        verify_type,
        func_info: split_ids(&func)?,
        status: AuthorizerStatus::parse(&status)?,
        authorized_at: time(row.8)?,
        updated_at: time(row.9)?,
        revoked_at: opt_time(row.10)?,
    })
}

/// `func_info` as stored: the ids joined by commas.
pub(super) fn join_ids(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// `func_info` read back.
pub(super) fn split_ids(text: &str) -> Result<Vec<i64>, StoreError> {
    text.split(',')
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse()
                .map_err(|_| StoreError::Corrupt(format!("func_info {text:?}")))
        })
        .collect()
}
