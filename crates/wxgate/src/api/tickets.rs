//! [`StoreTickets`]: the API client's jsapi_ticket store over the gateway's
//! [`WebStore`](crate::store::web::WebStore)
//! (`jsapi_tickets`), so the ticket survives restarts and one instance fetches it for all.
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use wechat_api::{CachedToken, StoreError, TokenStore};

use crate::store::{StoredToken, WebStore};

/// The `jsapi_tickets` table of the gateway's store, seen as the client's [`TokenStore`].
#[derive(Clone)]
pub struct StoreTickets {
    store: Arc<dyn WebStore>,
}

impl StoreTickets {
    /// A ticket store over `store`.
    pub fn new(store: Arc<dyn WebStore>) -> Self {
        StoreTickets { store }
    }
}

/// The gateway's storage errors name no ticket (sqlx does not show bound values).
fn wrap(err: crate::store::StoreError) -> StoreError {
    StoreError::new(err)
}

#[async_trait]
impl TokenStore for StoreTickets {
    async fn load(&self, appid: &str) -> Result<Option<CachedToken>, StoreError> {
        let stored = self.store.load_jsapi_ticket(appid).await.map_err(wrap)?;
        Ok(stored.map(|s| CachedToken {
            token: s.access_token,
            expires_at: s.expires_at,
        }))
    }

    async fn save(&self, appid: &str, ticket: &CachedToken) -> Result<(), StoreError> {
        let stored = StoredToken {
            access_token: ticket.token.clone(),
            expires_at: ticket.expires_at,
        };
        self.store
            .save_jsapi_ticket(appid, &stored)
            .await
            .map_err(wrap)
    }

    async fn expire(&self, appid: &str, ticket: &str) -> Result<(), StoreError> {
        self.store
            .expire_jsapi_ticket(appid, ticket)
            .await
            .map_err(wrap)
    }

    async fn try_lease(
        &self,
        appid: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        self.store
            .try_jsapi_lease(appid, holder, ttl)
            .await
            .map_err(wrap)
    }

    async fn release_lease(&self, appid: &str, holder: &str) -> Result<(), StoreError> {
        self.store
            .release_jsapi_lease(appid, holder)
            .await
            .map_err(wrap)
    }
}
