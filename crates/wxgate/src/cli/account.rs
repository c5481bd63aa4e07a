//! What the API commands share: the store (where the token and QR codes are kept) and the
//! account's API client.
use std::path::Path;
use std::sync::Arc;

use wechat_api::ApiClient;

use super::Failure;
use crate::config;
use crate::store::{self, Store};

/// The account of the config, ready to call the API.
pub(super) struct Account {
    /// the gateway's store
    pub(super) store: Arc<dyn Store>,
    /// the API client, its token kept in `store`
    pub(super) client: Arc<ApiClient>,
}

impl Account {
    /// Loads the config as `serve` does and opens the store; exit 2
    /// `account.appsecret: required for <command>` when the config has no appsecret.
    pub(super) async fn open(config_path: Option<&Path>, command: &str) -> Result<Self, Failure> {
        let (config, _) = config::load(config_path)?;
        // Checked before the store is opened, so nothing is created for a command that
        // cannot run.
        if config.account.appsecret.is_none() {
            return Err(Failure::usage(crate::api::missing_secret(command)));
        }
        let store = store::open(&config.storage.url)
            .await
            .map_err(|e| Failure::other(format!("storage: {e}")))?;
        let client = match crate::api::require(&config, store.clone(), command) {
            Ok(client) => client,
            Err(e) => {
                store.close().await;
                return Err(Failure::usage(e));
            }
        };
        Ok(Account { store, client })
    }

    /// Flushes and closes the store.
    pub(super) async fn close(self) {
        self.store.close().await;
    }
}
