//! The platform's sources in the gateway's store, as the component client asks for them:
//! the newest ticket ([`StoreTicketSource`]), an authorizer's refresh token sealed at rest
//! ([`SealedRefreshTokens`]), and the maker of authorizers' API clients ([`PlatformClients`]).
use std::sync::Arc;

use async_trait::async_trait;
use chrono::Utc;
use wechat_api::component::{ComponentClient, RefreshState, RefreshTokenStore, TicketSource};
use wechat_api::{ApiClient, CachedToken, ExposeSecret, SecretString, StoreError};

use super::seal::Sealer;
use crate::account::{Authorization, AuthorizerClients};
use crate::api::StoreTokens;
use crate::store::platform::AuthorizerStatus;
use crate::store::{Store, StoredToken};

fn wrap(err: crate::store::StoreError) -> StoreError {
    StoreError::new(err)
}

/// The newest ticket WeChat pushed, from the store (shared by every instance).
pub struct StoreTicketSource(pub Arc<dyn Store>);

#[async_trait]
impl TicketSource for StoreTicketSource {
    async fn ticket(&self, component_appid: &str) -> Result<Option<SecretString>, StoreError> {
        let stored = self.0.ticket(component_appid).await.map_err(wrap)?;
        Ok(stored.map(|t| t.ticket))
    }
}

/// One authorizer's refresh token in the store, sealed; 61023 marks it `reauthorize` in the
/// store and in the registry's account at once.
pub struct SealedRefreshTokens {
    store: Arc<dyn Store>,
    sealer: Arc<Sealer>,
    authorization: Arc<Authorization>,
}

#[async_trait]
impl RefreshTokenStore for SealedRefreshTokens {
    async fn load(&self, appid: &str) -> Result<RefreshState, StoreError> {
        let sealed = self.store.sealed_refresh_token(appid).await.map_err(wrap)?;
        Ok(match sealed {
            None => RefreshState::Missing,
            Some(bytes) => match self.sealer.open(appid, &bytes) {
                Some(token) => RefreshState::Present(token),
                None => RefreshState::Unreadable,
            },
        })
    }

    async fn save_refreshed(
        &self,
        appid: &str,
        refresh: &SecretString,
        access: &CachedToken,
    ) -> Result<(), StoreError> {
        let sealed = self.sealer.seal(appid, refresh.expose_secret());
        let access = StoredToken {
            access_token: access.token.clone(),
            expires_at: access.expires_at,
        };
        self.store
            .save_refreshed(appid, &sealed, &access)
            .await
            .map_err(wrap)?;
        if self.authorization.status() == AuthorizerStatus::Reauthorize {
            self.authorization.set_status(AuthorizerStatus::Authorized);
            self.store
                .set_authorizer_status(appid, AuthorizerStatus::Authorized, Utc::now())
                .await
                .map_err(wrap)?;
        }
        Ok(())
    }

    async fn mark_reauthorize(&self, appid: &str) -> Result<(), StoreError> {
        self.authorization.set_status(AuthorizerStatus::Reauthorize);
        self.store
            .set_authorizer_status(appid, AuthorizerStatus::Reauthorize, Utc::now())
            .await
            .map_err(wrap)
    }
}

/// Makes each authorizer's API client through the component client, its access token in the
/// store's `tokens` and its refresh token sealed.
pub struct PlatformClients {
    /// the platform's component client
    pub component: ComponentClient,
    /// the gateway's store
    pub store: Arc<dyn Store>,
    /// the refresh tokens' sealer
    pub sealer: Arc<Sealer>,
}

impl AuthorizerClients for PlatformClients {
    fn client(&self, appid: &str, authorization: Arc<Authorization>) -> ApiClient {
        let refresh = SealedRefreshTokens {
            store: Arc::clone(&self.store),
            sealer: Arc::clone(&self.sealer),
            authorization,
        };
        self.component.authorizer_client(
            appid,
            Arc::new(StoreTokens::new(Arc::clone(&self.store) as _)),
            Arc::new(refresh),
        )
    }
}
