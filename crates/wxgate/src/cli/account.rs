//! What the API commands share: the store (where the token and QR codes are kept) and the
//! account's API client.
use std::path::Path;
use std::sync::Arc;

use wechat_api::ApiClient;

use super::Failure;
use crate::config;
use crate::store::{self, Store};

/// An account of the config, ready to call the API.
pub(super) struct Account {
    /// its name (records carry it)
    pub(super) name: String,
    /// the gateway's store
    pub(super) store: Arc<dyn Store>,
    /// the API client, its token kept in `store`
    pub(super) client: Arc<ApiClient>,
}

impl Account {
    /// Loads the config as `serve` does and opens the store for the account `name` (`--account`;
    /// None: the only one); exit 2 naming `--account` when it is unknown or missing with several
    /// accounts, or `account.appsecret: required for <command>` when it has no appsecret.
    pub(super) async fn open(
        config_path: Option<&Path>,
        name: Option<&str>,
        command: &str,
    ) -> Result<Self, Failure> {
        let (config, _) = config::load(config_path)?;
        let account = config
            .select(name, "--account")
            .map_err(|e| Failure::usage(e.to_string()))?
            .clone();
        // Checked before the store is opened, so nothing is created for a command that
        // cannot run.
        if account.appsecret.is_none() {
            return Err(Failure::usage(crate::api::missing_secret(
                &account, command,
            )));
        }
        let store = store::open(&config.storage.url)
            .await
            .map_err(|e| Failure::other(format!("storage: {e}")))?;
        let client = match crate::api::require(&config, &account, store.clone(), command) {
            Ok(client) => client,
            Err(e) => {
                store.close().await;
                return Err(Failure::usage(e));
            }
        };
        Ok(Account {
            name: account.name,
            store,
            client,
        })
    }

    /// Flushes and closes the store.
    pub(super) async fn close(self) {
        self.store.close().await;
    }
}
