//! An authorizer's access token: refreshed with `api_authorizer_token` from the refresh token
//! the gateway keeps, the new pair saved before use, a lost refresh token recovered from
//! `api_get_authorizer_list`, 61023 reported for re-authorisation.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;

use super::client::ComponentClient;
use crate::client::ApiClient;
use crate::config::ClientConfig;
use crate::error::ApiError;
use crate::oauth::ComponentExchange;
use crate::ticket::JsapiTickets;
use crate::token::holder::{Fetched, Source};
use crate::token::{AccessTokens, CachedToken, MemoryTokenStore, StoreError, TokenStore};
use crate::SecretString;

/// WeChat's "refresh token invalid": the account must authorise the platform again.
pub(crate) const REFRESH_TOKEN_INVALID: i64 = 61023;

/// What the gateway holds of an authorizer's refresh token.
pub enum RefreshState {
    /// The refresh token.
    Present(SecretString),
    /// None stored (lost, or never saved).
    Missing,
    /// One is stored but cannot be read (it does not decrypt, e.g. after the key changed).
    Unreadable,
}

impl fmt::Debug for RefreshState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RefreshState::Present(_) => "Present(<redacted>)",
            RefreshState::Missing => "Missing",
            RefreshState::Unreadable => "Unreadable",
        })
    }
}

/// Where an authorizer's refresh token lives (the gateway: encrypted at rest).
#[async_trait]
pub trait RefreshTokenStore: Send + Sync {
    /// The refresh token of `appid`.
    async fn load(&self, appid: &str) -> Result<RefreshState, StoreError>;

    /// Saves a refresh (or recovery) of `appid`: the refresh token to keep from now on and the
    /// new access token, in one transaction, before the access token is used. Afterwards
    /// [`TokenStore::load`] of `appid` (the store given to
    /// [`ComponentClient::authorizer_client`]) must find `access`.
    async fn save_refreshed(
        &self,
        appid: &str,
        refresh: &SecretString,
        access: &CachedToken,
    ) -> Result<(), StoreError>;

    /// WeChat refused the refresh token of `appid` (61023) or no longer lists the account:
    /// it must authorise the platform again.
    async fn mark_reauthorize(&self, appid: &str) -> Result<(), StoreError>;
}

/// The [`Source`] of an authorizer's access token.
struct AuthorizerRefresh {
    component: ComponentClient,
    appid: String,
    refresh: Arc<dyn RefreshTokenStore>,
}

impl AuthorizerRefresh {
    /// The refresh token of the account from `api_get_authorizer_list`; not listed: it is
    /// marked for re-authorisation and [`ApiError::NotAuthorized`].
    async fn recover(&self) -> Result<SecretString, ApiError> {
        tracing::warn!(appid = %self.appid, "refresh token missing or unreadable; recovering it from api_get_authorizer_list");
        let listed = self
            .component
            .all_authorizers()
            .await?
            .into_iter()
            .find(|entry| entry.authorizer_appid == self.appid);
        match listed {
            Some(entry) => Ok(entry.refresh_token),
            None => {
                self.mark_reauthorize().await;
                Err(ApiError::NotAuthorized {
                    appid: self.appid.clone(),
                })
            }
        }
    }

    async fn mark_reauthorize(&self) {
        if let Err(err) = self.refresh.mark_reauthorize(&self.appid).await {
            tracing::error!(appid = %self.appid, error = %err, "refresh token store: marking for re-authorisation failed");
        }
    }
}

#[async_trait]
impl Source for AuthorizerRefresh {
    async fn fetch(&self, _failed: Option<&str>) -> Result<Fetched, ApiError> {
        let refresh_token = match self.refresh.load(&self.appid).await? {
            RefreshState::Present(token) => token,
            RefreshState::Missing | RefreshState::Unreadable => self.recover().await?,
        };
        let (fresh, lifetime) = match self
            .component
            .authorizer_token_fetched(&self.appid, &refresh_token)
            .await
        {
            Ok(fresh) => fresh,
            Err(err) if err.code() == Some(REFRESH_TOKEN_INVALID) => {
                tracing::warn!(appid = %self.appid, "WeChat refused the refresh token (61023): the account must authorise again");
                self.mark_reauthorize().await;
                return Err(err);
            }
            Err(err) => return Err(err),
        };
        // Saved before anyone uses the access token: the old refresh token may stop working.
        self.refresh
            .save_refreshed(&self.appid, &fresh.refresh_token, &fresh.access_token)
            .await?;
        crate::metrics::token_refreshed();
        Ok(Fetched {
            token: fresh.access_token,
            lifetime,
            persisted: true,
        })
    }
}

impl ComponentClient {
    /// An [`ApiClient`] for `authorizer_appid`, an account that authorised the platform: no
    /// AppSecret, its access token kept in `tokens` (row `authorizer_appid`) and refreshed with
    /// `api_authorizer_token` from the refresh token in `refresh`, its web sign-in codes
    /// exchanged through the platform ([`ComponentExchange`]). It shares this client's HTTP
    /// connections; building one costs no I/O.
    pub fn authorizer_client(
        &self,
        authorizer_appid: &str,
        tokens: Arc<dyn TokenStore>,
        refresh: Arc<dyn RefreshTokenStore>,
    ) -> ApiClient {
        let mut config: ClientConfig = self.inner.config.clone();
        config.appid = authorizer_appid.to_owned();
        config.secret = SecretString::from("");
        let source = AuthorizerRefresh {
            component: self.clone(),
            appid: authorizer_appid.to_owned(),
            refresh,
        };
        let access = AccessTokens::with_source(&config, tokens, Box::new(source));
        ApiClient::from_parts(
            self.inner.transport.clone(),
            Arc::new(access),
            Arc::new(JsapiTickets::new(
                &config,
                Arc::new(MemoryTokenStore::new()),
            )),
            Arc::new(ComponentExchange::new(self.clone(), authorizer_appid)),
        )
    }
}
