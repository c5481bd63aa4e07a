//! The token leases port: the access token of each appid, shared by the instances of one
//! database, and the lease that lets one of them refresh it.
use std::time::Duration;

use async_trait::async_trait;

use super::{StoreError, StoredToken};

/// Stored access tokens and their refresh leases.
#[async_trait]
pub trait TokenLeases: Send + Sync {
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
}
