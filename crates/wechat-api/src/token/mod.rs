//! [`AccessTokens`]: the account's one central access token.
//!
//! - Served from memory while fresh; refreshed when less than the margin remains (at most
//!   half its life); a caller that finds it due but still valid refreshes it while the others
//!   keep using the old one.
//! - Single-flight: one refresh at a time, however many callers wait; the waiters take the
//!   token the refresh brings.
//! - Kept in a [`TokenStore`], read before asking WeChat, so a restart or a second instance
//!   reuses it; across instances a lease lets one of them refresh while the others wait.
//! - `stable_token` (normal mode) first, the classic `GET token` when it is not available.
//! - After WeChat refuses a token (40001/40014/42001): compare-and-expire (only if that token
//!   is still current), refresh, and `force_refresh=true` only if WeChat hands back the very
//!   token it refused, at most once per `force_refresh_interval`.

mod fetch;
mod store;

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Mutex;
use tokio::time::Instant;

pub use store::{CachedToken, MemoryTokenStore, StoreError, TokenStore};

use crate::config::ClientConfig;
use crate::error::ApiError;
use crate::http::Transport;
use fetch::Fetched;
use secrecy::SecretString;

/// How long a refresh lease lasts if its holder dies without releasing it.
const LEASE_TTL: Duration = Duration::from_secs(30);
/// How long to wait for another instance's refresh before refreshing anyway.
const LEASE_WAIT: Duration = Duration::from_secs(5);
/// How often to look at the store while waiting for another instance.
const LEASE_POLL: Duration = Duration::from_millis(100);

/// The token in memory and when to refresh it.
#[derive(Clone)]
struct Held {
    token: CachedToken,
    refresh_after: DateTime<Utc>,
}

/// What the single refresher remembers between refreshes.
#[derive(Default)]
struct RefreshState {
    last_force: Option<Instant>,
    stable_unsupported: bool,
}

/// The holder of one account's access token. Share it (it is behind an `Arc` in
/// [`ApiClient`](crate::ApiClient)); never build two for one appid in one process.
pub struct AccessTokens {
    transport: Transport,
    appid: String,
    secret: SecretString,
    store: Arc<dyn TokenStore>,
    holder_id: String,
    margin: Duration,
    force_interval: Duration,
    held: RwLock<Option<Held>>,
    refresh: Mutex<RefreshState>,
}

impl fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokens")
            .field("appid", &self.appid)
            .field("holder_id", &self.holder_id)
            .finish_non_exhaustive()
    }
}

impl AccessTokens {
    pub(crate) fn new(
        transport: Transport,
        config: &ClientConfig,
        store: Arc<dyn TokenStore>,
    ) -> Self {
        Self {
            transport,
            appid: config.appid.clone(),
            secret: config.secret.clone(),
            store,
            holder_id: config.holder_id.clone(),
            margin: config.refresh_margin,
            force_interval: config.force_refresh_interval,
            held: RwLock::new(None),
            refresh: Mutex::new(RefreshState::default()),
        }
    }

    /// The current token, refreshed first if it is due.
    pub async fn get(&self) -> Result<CachedToken, ApiError> {
        if let Some(held) = self.held() {
            let now = Utc::now();
            if now < held.refresh_after {
                return Ok(held.token);
            }
            if held.token.is_valid_at(now) {
                // Due but still valid: one caller refreshes, the others keep the old token.
                let Ok(mut state) = self.refresh.try_lock() else {
                    return Ok(held.token);
                };
                return match self.refresh_locked(&mut state, None).await {
                    Ok(token) => Ok(token),
                    Err(err) => {
                        tracing::warn!(appid = %self.appid, error = %err, "token refresh failed; old token still valid");
                        Ok(held.token)
                    }
                };
            }
        }
        let mut state = self.refresh.lock().await;
        self.refresh_locked(&mut state, None).await
    }

    /// Called after WeChat refused `failed`: forgets it if it is still current (here and in
    /// the store) and returns a replacement, refreshing at most once for all callers.
    pub async fn replace_rejected(&self, failed: &str) -> Result<CachedToken, ApiError> {
        {
            let mut held = self
                .held
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if held.as_ref().is_some_and(|h| h.token.is(failed)) {
                *held = None;
            }
        }
        if let Err(err) = self.store.expire(&self.appid, failed).await {
            tracing::warn!(appid = %self.appid, error = %err, "token store: expire failed");
        }
        let mut state = self.refresh.lock().await;
        if let Some(held) = self
            .held()
            .filter(|h| !h.token.is(failed) && h.token.is_valid_at(Utc::now()))
        {
            return Ok(held.token);
        }
        self.refresh_locked(&mut state, Some(failed)).await
    }

    fn held(&self) -> Option<Held> {
        self.held
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn hold(&self, token: CachedToken, refresh_after: DateTime<Utc>) -> CachedToken {
        let held = Held {
            token: token.clone(),
            refresh_after,
        };
        *self
            .held
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(held);
        token
    }

    /// With the refresh lock held: the token in memory if a refresh happened meanwhile, else
    /// the store's if fresh, else a new one from WeChat (under the store's lease).
    async fn refresh_locked(
        &self,
        state: &mut RefreshState,
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
            .try_lease(&self.appid, &self.holder_id, LEASE_TTL)
            .await
        {
            Ok(leased) => leased,
            Err(err) => {
                tracing::warn!(appid = %self.appid, error = %err, "token store: lease failed; refreshing anyway");
                true
            }
        };
        if leased {
            // Another instance may have saved a token between our look and our lease.
            if let Some(token) = self.adopt_stored(failed).await {
                if let Err(err) = self.store.release_lease(&self.appid, &self.holder_id).await {
                    tracing::warn!(appid = %self.appid, error = %err, "token store: lease release failed");
                }
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
            tracing::warn!(appid = %self.appid, "token lease holder too slow; refreshing anyway");
        }
        let fetched = self.fetch(state, failed).await;
        // Saved before the lease is given back: an instance that takes the lease next finds
        // the new token instead of fetching another (which would knock this one out).
        if let Ok(Fetched { token, .. }) = &fetched {
            if let Err(err) = self.store.save(&self.appid, token).await {
                tracing::warn!(appid = %self.appid, error = %err, "token store: save failed");
            }
        }
        if leased {
            if let Err(err) = self.store.release_lease(&self.appid, &self.holder_id).await {
                tracing::warn!(appid = %self.appid, error = %err, "token store: lease release failed");
            }
        }
        let Fetched { token, lifetime } = fetched?;
        let early = self.margin.min(lifetime / 2);
        let refresh_after = token.expires_at
            - chrono::Duration::from_std(early).unwrap_or(chrono::Duration::zero());
        tracing::info!(appid = %self.appid, expires_at = %token.expires_at, "access token refreshed");
        crate::metrics::token_refreshed();
        Ok(self.hold(token, refresh_after))
    }

    /// The stored token, taken into memory, if it is not due for refresh and not `failed`.
    async fn adopt_stored(&self, failed: Option<&str>) -> Option<CachedToken> {
        let stored = match self.store.load(&self.appid).await {
            Ok(stored) => stored?,
            Err(err) => {
                tracing::warn!(appid = %self.appid, error = %err, "token store: load failed");
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

    async fn fetch(
        &self,
        state: &mut RefreshState,
        failed: Option<&str>,
    ) -> Result<Fetched, ApiError> {
        if !state.stable_unsupported {
            match fetch::stable(&self.transport, &self.appid, &self.secret, false).await {
                Ok(fetched)
                    if failed.is_some_and(|failed| fetched.token.is(failed))
                        && self.may_force(state) =>
                {
                    state.last_force = Some(Instant::now());
                    tracing::warn!(appid = %self.appid, "WeChat refused its current token; force_refresh");
                    return fetch::stable(&self.transport, &self.appid, &self.secret, true).await;
                }
                Ok(fetched) => return Ok(fetched),
                Err(err) if fetch::is_unsupported(&err) => {
                    tracing::info!(appid = %self.appid, "stable_token not available; using GET token");
                    state.stable_unsupported = true;
                }
                Err(err) => return Err(err),
            }
        }
        fetch::classic(&self.transport, &self.appid, &self.secret).await
    }

    fn may_force(&self, state: &RefreshState) -> bool {
        match state.last_force {
            Some(at) => at.elapsed() >= self.force_interval,
            None => true,
        }
    }
}
