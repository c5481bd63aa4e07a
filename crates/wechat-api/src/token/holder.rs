//! [`Holder`]: one leased secret (an access token, a jsapi_ticket, a component token) held in
//! memory, kept in a [`TokenStore`] row and refreshed from a [`Source`].
//!
//! - Served from memory while fresh; refreshed when less than the margin remains (at most half
//!   its life); a caller that finds it due but still valid refreshes it while the others keep
//!   using the old one.
//! - Single-flight: one refresh at a time in the process, however many callers wait; the
//!   waiters take what the refresh brings.
//! - The store is read before asking WeChat, so a restart or a second instance reuses the
//!   secret; across instances a lease lets one of them refresh while the others wait for the
//!   row to change.
//! - After WeChat refuses a secret: compare-and-expire (only if it is still current, here and
//!   in the store), then one refresh for all callers.

use std::sync::RwLock;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::store::{CachedToken, TokenStore};
use crate::error::ApiError;

/// How long a refresh lease lasts if its holder dies without releasing it.
const LEASE_TTL: Duration = Duration::from_secs(30);
/// How long to wait for another instance's refresh before refreshing anyway.
const LEASE_WAIT: Duration = Duration::from_secs(5);
/// How often to look at the store while waiting for another instance.
const LEASE_POLL: Duration = Duration::from_millis(100);

/// A secret fresh from WeChat and how long WeChat said it lives.
pub(crate) struct Fetched {
    pub(crate) token: CachedToken,
    pub(crate) lifetime: Duration,
    /// The source has already saved it where [`TokenStore::load`] finds it (an authorizer's
    /// access token, saved with its new refresh token in one call): the holder does not save
    /// it again.
    pub(crate) persisted: bool,
}

impl Fetched {
    /// A fetched secret the holder still has to save.
    pub(crate) fn new(token: CachedToken, lifetime: Duration) -> Self {
        Self {
            token,
            lifetime,
            persisted: false,
        }
    }
}

/// Where a [`Holder`] gets a new secret. Called with the holder's refresh lock held (so never
/// twice at once in one process) and, when the store grants it, the cross-instance lease.
#[async_trait]
pub(crate) trait Source: Send + Sync {
    /// A new secret from WeChat. `failed` is the one WeChat just refused, if that is why.
    async fn fetch(&self, failed: Option<&str>) -> Result<Fetched, ApiError>;
}

/// The secret in memory and when to refresh it.
#[derive(Clone)]
struct Held {
    token: CachedToken,
    refresh_after: DateTime<Utc>,
}

/// One leased secret: its row `key` in `store`, this process's `holder_id` in the lease.
pub(crate) struct Holder {
    /// what is held, for log lines: `access token`, `jsapi_ticket`, `component token`
    what: &'static str,
    key: String,
    holder_id: String,
    margin: Duration,
    store: std::sync::Arc<dyn TokenStore>,
    held: RwLock<Option<Held>>,
    refresh: Mutex<()>,
}

impl Holder {
    pub(crate) fn new(
        what: &'static str,
        key: String,
        holder_id: String,
        margin: Duration,
        store: std::sync::Arc<dyn TokenStore>,
    ) -> Self {
        Self {
            what,
            key,
            holder_id,
            margin,
            store,
            held: RwLock::new(None),
            refresh: Mutex::new(()),
        }
    }

    /// What is held, for log lines: `access token`, `jsapi_ticket`, `component token`.
    pub(crate) fn what(&self) -> &'static str {
        self.what
    }

    /// The store row's key.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The same secret kept in `store` instead (nothing held yet).
    pub(crate) fn kept_in(&self, store: std::sync::Arc<dyn TokenStore>) -> Self {
        Self::new(
            self.what,
            self.key.clone(),
            self.holder_id.clone(),
            self.margin,
            store,
        )
    }

    /// The current secret, refreshed from `source` first if it is due.
    pub(crate) async fn get(&self, source: &dyn Source) -> Result<CachedToken, ApiError> {
        if let Some(held) = self.held() {
            let now = Utc::now();
            if now < held.refresh_after {
                return Ok(held.token);
            }
            if held.token.is_valid_at(now) {
                // Due but still valid: one caller refreshes, the others keep the old one.
                let Ok(_refreshing) = self.refresh.try_lock() else {
                    return Ok(held.token);
                };
                return match self.refresh_locked(source, None).await {
                    Ok(token) => Ok(token),
                    Err(err) => {
                        tracing::warn!(key = %self.key, error = %err, "{} refresh failed; old one still valid", self.what);
                        Ok(held.token)
                    }
                };
            }
        }
        let _refreshing = self.refresh.lock().await;
        self.refresh_locked(source, None).await
    }

    /// Called after WeChat refused `failed`: forgets it if it is still current (here and in
    /// the store) and returns a replacement, refreshing at most once for all callers.
    pub(crate) async fn replace_rejected(
        &self,
        failed: &str,
        source: &dyn Source,
    ) -> Result<CachedToken, ApiError> {
        self.forget(failed).await;
        let _refreshing = self.refresh.lock().await;
        if let Some(held) = self
            .held()
            .filter(|h| !h.token.is(failed) && h.token.is_valid_at(Utc::now()))
        {
            return Ok(held.token);
        }
        self.refresh_locked(source, Some(failed)).await
    }

    /// Forgets `failed` if it is still current, here and in the store (compare-and-expire).
    async fn forget(&self, failed: &str) {
        {
            let mut held = self
                .held
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if held.as_ref().is_some_and(|h| h.token.is(failed)) {
                *held = None;
            }
        }
        if let Err(err) = self.store.expire(&self.key, failed).await {
            tracing::warn!(key = %self.key, error = %err, "token store: expire failed");
        }
    }

    fn held(&self) -> Option<Held> {
        self.held
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn hold(&self, token: CachedToken, refresh_after: DateTime<Utc>) -> CachedToken {
        *self
            .held
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Held {
            token: token.clone(),
            refresh_after,
        });
        token
    }

    /// With the refresh lock held: the secret in memory if a refresh happened meanwhile, else
    /// the store's if fresh, else a new one from `source` (under the store's lease).
    async fn refresh_locked(
        &self,
        source: &dyn Source,
        failed: Option<&str>,
    ) -> Result<CachedToken, ApiError> {
        if failed.is_none() {
            if let Some(held) = self.held().filter(|h| Utc::now() < h.refresh_after) {
                return Ok(held.token);
            }
        }
        if let Some(token) = self.adopt_stored(failed).await {
            return Ok(token);
        }
        let leased = match self
            .store
            .try_lease(&self.key, &self.holder_id, LEASE_TTL)
            .await
        {
            Ok(leased) => leased,
            Err(err) => {
                tracing::warn!(key = %self.key, error = %err, "token store: lease failed; refreshing anyway");
                true
            }
        };
        if leased {
            // Another instance may have saved one between our look and our lease.
            if let Some(token) = self.adopt_stored(failed).await {
                self.release().await;
                return Ok(token);
            }
        } else {
            let deadline = Instant::now() + LEASE_WAIT;
            while Instant::now() < deadline {
                tokio::time::sleep(LEASE_POLL).await;
                if let Some(token) = self.adopt_stored(failed).await {
                    return Ok(token);
                }
            }
            tracing::warn!(key = %self.key, "{} lease holder too slow; refreshing anyway", self.what);
        }
        let fetched = source.fetch(failed).await;
        // Saved before the lease is given back: an instance that takes the lease next finds
        // the new one instead of fetching another (which would knock this one out).
        if let Ok(fetched) = &fetched {
            if !fetched.persisted {
                if let Err(err) = self.store.save(&self.key, &fetched.token).await {
                    tracing::warn!(key = %self.key, error = %err, "token store: save failed");
                }
            }
        }
        if leased {
            self.release().await;
        }
        let Fetched {
            token, lifetime, ..
        } = fetched?;
        let early = self.margin.min(lifetime / 2);
        let refresh_after = token.expires_at
            - chrono::Duration::from_std(early).unwrap_or(chrono::Duration::zero());
        tracing::info!(key = %self.key, expires_at = %token.expires_at, "{} refreshed", self.what);
        Ok(self.hold(token, refresh_after))
    }

    async fn release(&self) {
        if let Err(err) = self.store.release_lease(&self.key, &self.holder_id).await {
            tracing::warn!(key = %self.key, error = %err, "token store: lease release failed");
        }
    }

    /// The stored secret, taken into memory, if it is not due for refresh and not `failed`.
    async fn adopt_stored(&self, failed: Option<&str>) -> Option<CachedToken> {
        let stored = match self.store.load(&self.key).await {
            Ok(stored) => stored?,
            Err(err) => {
                tracing::warn!(key = %self.key, error = %err, "token store: load failed");
                return None;
            }
        };
        let margin = chrono::Duration::from_std(self.margin).unwrap_or(chrono::Duration::MAX);
        let refresh_after = stored.expires_at.checked_sub_signed(margin)?;
        if Utc::now() >= refresh_after || failed.is_some_and(|failed| stored.is(failed)) {
            return None;
        }
        Some(self.hold(stored, refresh_after))
    }
}
