//! [`AccessTokens`]: an account's one central access token.
//!
//! The machinery is the crate's one leased-secret [`Holder`] (also used by the
//! jsapi_ticket and the third-party platform's component token):
//!
//! - served from memory while fresh; refreshed when less than the margin remains (at most
//!   half its life); a caller that finds it due but still valid refreshes it while the others
//!   keep using the old one;
//! - single-flight: one refresh at a time, however many callers wait; the waiters take the
//!   token the refresh brings;
//! - kept in a [`TokenStore`], read before asking WeChat, so a restart or a second instance
//!   reuses it; across instances a lease lets one of them refresh while the others wait;
//! - after WeChat refuses a token (40001/40014/42001): compare-and-expire (only if that token
//!   is still current), then one refresh.
//!
//! Where a new token comes from depends on the account:
//!
//! - an account with its AppSecret: `stable_token` (normal mode) first, the classic `GET token`
//!   when it is not available, and `force_refresh=true` only if WeChat hands back the very
//!   token it refused, at most once per `force_refresh_interval`;
//! - an account served through a third-party platform
//!   ([`ComponentClient::authorizer_client`](crate::ComponentClient::authorizer_client)):
//!   `api_authorizer_token` with its refresh token (see [`crate::component`]).

pub(crate) mod fetch;
pub(crate) mod holder;
pub(crate) mod retry;
mod store;

use std::fmt;
use std::future::Future;
use std::sync::Arc;

pub use store::{CachedToken, MemoryTokenStore, StoreError, TokenStore};

use crate::config::ClientConfig;
use crate::error::ApiError;
use crate::http::Transport;
use holder::{Holder, Source};
use retry::Attempt;

/// The holder of one account's access token. Share it (it is behind an `Arc` in
/// [`ApiClient`](crate::ApiClient)); never build two for one appid in one process.
pub struct AccessTokens {
    appid: String,
    holder: Holder,
    source: Box<dyn Source>,
}

impl fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessTokens")
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

impl AccessTokens {
    /// The token of the account of `config`, fetched with its AppSecret.
    pub(crate) fn new(
        transport: Transport,
        config: &ClientConfig,
        store: Arc<dyn TokenStore>,
    ) -> Self {
        let source = fetch::SecretSource::new(transport, config);
        Self::with_source(config, store, Box::new(source))
    }

    /// The token of the account `config.appid`, kept in `store` under its appid, fetched
    /// from `source`.
    pub(crate) fn with_source(
        config: &ClientConfig,
        store: Arc<dyn TokenStore>,
        source: Box<dyn Source>,
    ) -> Self {
        Self {
            appid: config.appid.clone(),
            holder: Holder::new(
                "access token",
                config.appid.clone(),
                config.holder_id.clone(),
                config.refresh_margin,
                store,
            ),
            source,
        }
    }

    /// The current token, refreshed first if it is due.
    pub async fn get(&self) -> Result<CachedToken, ApiError> {
        self.holder.get(self.source.as_ref()).await
    }

    /// Called after WeChat refused `failed`: forgets it if it is still current (here and in
    /// the store) and returns a replacement, refreshing at most once for all callers.
    pub async fn replace_rejected(&self, failed: &str) -> Result<CachedToken, ApiError> {
        self.holder
            .replace_rejected(failed, self.source.as_ref())
            .await
    }

    /// `call` made with the current token, and once more with a new one if `refused` finds
    /// that WeChat refused it: [`retry::with_token`] on this holder.
    pub(crate) async fn with_token<T, F, Fut>(
        &self,
        path: &str,
        refused: fn(&Result<T, ApiError>) -> Option<i64>,
        call: F,
    ) -> Result<T, ApiError>
    where
        F: Fn(CachedToken, Attempt) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        retry::with_token(&self.holder, self.source.as_ref(), path, refused, call).await
    }
}
