//! Where the access token is kept between restarts and shared between instances.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

/// An access token and when it stops working. `Debug` hides the token.
#[derive(Clone)]
pub struct CachedToken {
    /// The token itself (WeChat reserves up to 512 characters): a [`SecretString`], zeroized
    /// on drop and read only through [`ExposeSecret::expose_secret`].
    pub token: SecretString,
    /// When WeChat stops accepting it.
    pub expires_at: DateTime<Utc>,
}

impl CachedToken {
    /// Whether it still works at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        self.expires_at > now
    }

    /// Whether the token is `token` (e.g. the one WeChat just refused). Not constant-time:
    /// both sides are tokens this process already holds, never a caller's guess.
    pub fn is(&self, token: &str) -> bool {
        self.token.expose_secret() == token
    }
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedToken")
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A failure of a [`TokenStore`]; implementations must not put the token in it.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct StoreError(Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps an implementation's error.
    pub fn new(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(err.into())
    }
}

/// Durable home of the account's token, one row per appid.
///
/// With several gateway instances on one database (PostgreSQL), the instance that refreshes
/// first takes a lease ([`try_lease`](TokenStore::try_lease)); the others wait for the row
/// to change instead of asking WeChat themselves. A row like `tokens(appid PK, token,
/// expires_at, lease_holder, lease_until)` serves all methods.
#[async_trait]
pub trait TokenStore: Send + Sync {
    /// The stored token of `appid`, if any (possibly expired).
    async fn load(&self, appid: &str) -> Result<Option<CachedToken>, StoreError>;

    /// Stores `token` as the token of `appid`, replacing any other.
    async fn save(&self, appid: &str, token: &CachedToken) -> Result<(), StoreError>;

    /// Compare-and-expire: marks the stored token expired only if it is still `token` (the
    /// one WeChat just refused), so a newer token saved meanwhile is kept.
    async fn expire(&self, appid: &str, token: &str) -> Result<(), StoreError>;

    /// Takes the refresh lease of `appid` for `ttl` if it is free, expired or already held by
    /// `holder`; returns whether `holder` holds it now.
    async fn try_lease(&self, appid: &str, holder: &str, ttl: Duration)
        -> Result<bool, StoreError>;

    /// Gives the lease back if `holder` holds it.
    async fn release_lease(&self, appid: &str, holder: &str) -> Result<(), StoreError>;
}

#[derive(Debug, Default)]
struct Row {
    token: Option<CachedToken>,
    lease: Option<(String, DateTime<Utc>)>,
}

/// A [`TokenStore`] in process memory: survives nothing, shares between holders of one process.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    rows: Mutex<HashMap<String, Row>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with_row<T>(&self, appid: &str, f: impl FnOnce(&mut Row) -> T) -> T {
        // A poisoned lock means a panic elsewhere mid-update of plain data; the row is still usable.
        let mut rows = self
            .rows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(rows.entry(appid.to_owned()).or_default())
    }
}

#[async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self, appid: &str) -> Result<Option<CachedToken>, StoreError> {
        Ok(self.with_row(appid, |row| row.token.clone()))
    }

    async fn save(&self, appid: &str, token: &CachedToken) -> Result<(), StoreError> {
        self.with_row(appid, |row| row.token = Some(token.clone()));
        Ok(())
    }

    async fn expire(&self, appid: &str, token: &str) -> Result<(), StoreError> {
        let now = Utc::now();
        self.with_row(appid, |row| {
            if let Some(stored) = row.token.as_mut().filter(|stored| stored.is(token)) {
                stored.expires_at = stored.expires_at.min(now);
            }
        });
        Ok(())
    }

    async fn try_lease(
        &self,
        appid: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let now = Utc::now();
        let until = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        Ok(self.with_row(appid, |row| match &row.lease {
            Some((other, lease_until)) if other != holder && *lease_until > now => false,
            _ => {
                row.lease = Some((holder.to_owned(), until));
                true
            }
        }))
    }

    async fn release_lease(&self, appid: &str, holder: &str) -> Result<(), StoreError> {
        self.with_row(appid, |row| {
            if row.lease.as_ref().is_some_and(|(other, _)| other == holder) {
                row.lease = None;
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(value: &str) -> CachedToken {
        CachedToken {
            token: value.into(),
            expires_at: Utc::now() + chrono::Duration::hours(1),
        }
    }

    #[tokio::test]
    async fn expire_only_touches_the_failed_token() {
        let store = MemoryTokenStore::new();
        store.save("wx1", &token("new")).await.ok();
        store.expire("wx1", "old").await.ok();
        let kept = store.load("wx1").await.ok().flatten();
        assert!(kept.is_some_and(|t| t.is("new") && t.is_valid_at(Utc::now())));
        store.expire("wx1", "new").await.ok();
        let expired = store.load("wx1").await.ok().flatten();
        assert!(expired.is_some_and(|t| !t.is_valid_at(Utc::now())));
    }

    #[tokio::test]
    async fn lease_is_exclusive_until_released() {
        let store = MemoryTokenStore::new();
        let ttl = Duration::from_secs(30);
        assert!(store.try_lease("wx1", "a", ttl).await.unwrap_or(false));
        assert!(!store.try_lease("wx1", "b", ttl).await.unwrap_or(true));
        assert!(store.try_lease("wx1", "a", ttl).await.unwrap_or(false));
        store.release_lease("wx1", "a").await.ok();
        assert!(store.try_lease("wx1", "b", ttl).await.unwrap_or(false));
    }

    #[test]
    fn debug_hides_the_token() {
        let shown = format!("{:?}", token("very-secret-token"));
        assert!(!shown.contains("very-secret-token"), "{shown}");
    }
}
