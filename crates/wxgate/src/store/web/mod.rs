//! The storage port of the account's web pages ([`WebStore`]): one-time sign-in states, the
//! one-time tickets of finished sign-ins, and each account's jsapi_ticket with its fetch
//! lease. Both backends implement it (`sqlite/web.rs`, `postgres/web.rs`) with the SQL of
//! `sql.rs`.
//!
//! States and tickets are bearer secrets: only their SHA-256 is stored ([`digest`]), so a
//! reader of the database cannot finish or redeem a sign-in with what it finds there. Taking
//! one deletes it in the same statement (`DELETE … RETURNING`): of two instances racing for
//! it, one gets it. Expired rows are deleted by [`WebStore::sweep_sign_ins`].
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::{StoreError, StoredToken};

pub(super) mod sql;

/// SHA-256 of a state or ticket: the key it is stored under.
pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A sign-in sent to WeChat, waiting for its callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingSignIn {
    /// the account (its name) it signs in to
    pub account: String,
    /// where the visitor goes back to (an allowed redirect)
    pub redirect: String,
    /// `base` or `userinfo`
    pub scope: String,
    /// after this the state is refused
    pub expires_at: DateTime<Utc>,
}

/// A finished sign-in, waiting for its ticket to be redeemed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInResult {
    /// the account (its name)
    pub account: String,
    /// its appid
    pub appid: String,
    /// the visitor's openid under the account
    pub openid: String,
    /// their unionid, when WeChat gave one
    pub unionid: Option<String>,
    /// `base` or `userinfo`
    pub scope: String,
    /// a "snapshot page" visitor (a virtual openid)
    pub is_snapshotuser: bool,
    /// the profile of a `userinfo` sign-in, as JSON text
    pub userinfo: Option<String>,
    /// after this the ticket is refused
    pub expires_at: DateTime<Utc>,
}

/// Where the web pages' one-time secrets and the jsapi_ticket are kept; shared by every
/// instance on one database.
#[async_trait]
pub trait WebStore: Send + Sync {
    /// Keeps a sign-in under the digest of its state.
    async fn save_sign_in(
        &self,
        state: &[u8; 32],
        pending: &PendingSignIn,
    ) -> Result<(), StoreError>;

    /// Takes (deletes and returns) the sign-in of a state, if it is there and has not
    /// expired at `now`; an expired one is deleted too. Only one caller gets it.
    async fn take_sign_in(
        &self,
        state: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<PendingSignIn>, StoreError>;

    /// Keeps a finished sign-in under the digest of its ticket.
    async fn save_sign_in_result(
        &self,
        ticket: &[u8; 32],
        result: &SignInResult,
    ) -> Result<(), StoreError>;

    /// Takes (deletes and returns) the finished sign-in of a ticket, if it is there and has
    /// not expired at `now`; an expired one is deleted too. Only one caller gets it.
    async fn take_sign_in_result(
        &self,
        ticket: &[u8; 32],
        now: DateTime<Utc>,
    ) -> Result<Option<SignInResult>, StoreError>;

    /// Deletes the states and tickets expired at `now`; how many.
    async fn sweep_sign_ins(&self, now: DateTime<Utc>) -> Result<u64, StoreError>;

    /// The stored jsapi_ticket of an appid (possibly expired).
    async fn load_jsapi_ticket(&self, appid: &str) -> Result<Option<StoredToken>, StoreError>;

    /// Stores the jsapi_ticket of an appid, keeping its lease.
    async fn save_jsapi_ticket(&self, appid: &str, ticket: &StoredToken) -> Result<(), StoreError>;

    /// Compare-and-expire: marks the stored ticket of an appid expired only if it is still
    /// `ticket`.
    async fn expire_jsapi_ticket(&self, appid: &str, ticket: &str) -> Result<(), StoreError>;

    /// Takes (or renews) the lease to fetch the ticket of an appid for `ttl`: `true` when
    /// `holder` holds it now.
    async fn try_jsapi_lease(
        &self,
        appid: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError>;

    /// Gives the fetch lease of an appid back if `holder` holds it.
    async fn release_jsapi_lease(&self, appid: &str, holder: &str) -> Result<(), StoreError>;
}
