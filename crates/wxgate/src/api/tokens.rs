//! [`StoreTokens`]: the API client's [`TokenStore`] over the gateway's [`TokenLeases`], so the
//! account's token survives restarts and is shared by every instance on one database.
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use wechat_api::{CachedToken, StoreError, TokenStore};

use crate::store::{StoredToken, TokenLeases};

/// The `tokens` table of the gateway's store, seen as a [`TokenStore`].
#[derive(Clone)]
pub struct StoreTokens {
    store: Arc<dyn TokenLeases>,
}

impl StoreTokens {
    /// A token store over `store`.
    pub fn new(store: Arc<dyn TokenLeases>) -> Self {
        StoreTokens { store }
    }
}

/// The gateway's storage errors name no token (sqlx does not show bound values).
fn wrap(err: crate::store::StoreError) -> StoreError {
    StoreError::new(err)
}

#[async_trait]
impl TokenStore for StoreTokens {
    async fn load(&self, appid: &str) -> Result<Option<CachedToken>, StoreError> {
        let stored = self.store.load_token(appid).await.map_err(wrap)?;
        Ok(stored.map(|s| CachedToken {
            token: s.access_token,
            expires_at: s.expires_at,
        }))
    }

    async fn save(&self, appid: &str, token: &CachedToken) -> Result<(), StoreError> {
        let stored = StoredToken {
            access_token: token.token.clone(),
            expires_at: token.expires_at,
        };
        self.store.save_token(appid, &stored).await.map_err(wrap)
    }

    async fn expire(&self, appid: &str, token: &str) -> Result<(), StoreError> {
        self.store.expire_token(appid, token).await.map_err(wrap)
    }

    async fn try_lease(
        &self,
        appid: &str,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        self.store
            .try_token_lease(appid, holder, ttl)
            .await
            .map_err(wrap)
    }

    async fn release_lease(&self, appid: &str, holder: &str) -> Result<(), StoreError> {
        self.store
            .release_token_lease(appid, holder)
            .await
            .map_err(wrap)
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    #[tokio::test]
    async fn tokens_round_trip_through_the_gateway_store() {
        let store = crate::store::open(&crate::store::StorageUrl::SqliteMemory)
            .await
            .unwrap();
        let tokens = StoreTokens::new(store.clone());
        let token = CachedToken {
            token: "T1".into(),
            expires_at: DateTime::from_timestamp_millis(Utc::now().timestamp_millis() + 7_200_000)
                .unwrap(),
        };
        tokens.save("wx1", &token).await.unwrap();
        let loaded = tokens.load("wx1").await.unwrap().unwrap();
        assert!(loaded.is("T1") && loaded.expires_at == token.expires_at);
        assert!(tokens
            .try_lease("wx1", "a", Duration::from_secs(30))
            .await
            .unwrap());
        assert!(!tokens
            .try_lease("wx1", "b", Duration::from_secs(30))
            .await
            .unwrap());
        tokens.release_lease("wx1", "a").await.unwrap();
        assert!(tokens
            .try_lease("wx1", "b", Duration::from_secs(30))
            .await
            .unwrap());
        tokens.expire("wx1", "T1").await.unwrap();
        let expired = tokens.load("wx1").await.unwrap().unwrap();
        assert!(!expired.is_valid_at(Utc::now()));
        store.close().await;
    }
}
