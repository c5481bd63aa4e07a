//! The WeChat server API as the gateway uses it: one [`ApiClient`] per account, built from
//! the config when `account.appsecret` is set, its access token kept in the gateway's store
//! ([`StoreTokens`]) so that a restart reuses it and instances sharing a PostgreSQL database
//! share one token — its JS-SDK jsapi_ticket likewise ([`StoreTickets`]); and the sender of
//! late call-webhook replies ([`CustomServiceSender`]).
mod late;
mod tickets;
mod tokens;

use std::sync::Arc;

use wechat_api::{ApiClient, ClientConfig};

pub use late::{CustomServiceSender, LateError, LateSender, Unsendable};
pub use tickets::StoreTickets;
pub use tokens::StoreTokens;

use crate::config::{AccountConfig, Config, ConfigError};
use crate::store::Store;

/// `account`'s API client, or `None` when it has no `appsecret`.
///
/// The config already guarantees an appid beside the appsecret; this fails only when the
/// HTTP client cannot be built for `wechat_api.base_url`.
pub fn client(
    config: &Config,
    account: &AccountConfig,
    store: Arc<dyn Store>,
) -> Result<Option<Arc<ApiClient>>, ConfigError> {
    account_client(&config.api_base_url, account, store)
}

/// `account`'s API client against `base_url` (`[wechat_api] base_url`), or `None` when it
/// has no `appsecret`; an error only when the HTTP client cannot be built for `base_url`.
pub fn account_client(
    base_url: &url::Url,
    account: &AccountConfig,
    store: Arc<dyn Store>,
) -> Result<Option<Arc<ApiClient>>, ConfigError> {
    let Some(secret) = &account.appsecret else {
        return Ok(None);
    };
    let client_config = ClientConfig::new(account.appid.clone(), secret.to_secret_string())
        .with_base_url(base_url.clone());
    let tokens = Arc::new(StoreTokens::new(Arc::clone(&store) as _));
    let tickets = Arc::new(StoreTickets::new(store));
    ApiClient::new(client_config, tokens)
        .map(|client| Some(Arc::new(client.with_ticket_store(tickets))))
        .map_err(|err| ConfigError::new("wechat_api.base_url", err.to_string()))
}

/// `account`'s API client for `command` (e.g. `qrcode create`), or [`missing_secret`] when
/// it has no appsecret.
pub fn require(
    config: &Config,
    account: &AccountConfig,
    store: Arc<dyn Store>,
    command: &str,
) -> Result<Arc<ApiClient>, ConfigError> {
    client(config, account, store)?.ok_or_else(|| missing_secret(account, command))
}

/// `account.appsecret: required for <command>` (or `accounts[N].appsecret`): what a command
/// needing the API says (exit 2) when the account has no appsecret.
pub fn missing_secret(account: &AccountConfig, command: &str) -> ConfigError {
    ConfigError::new(
        format!("{}.appsecret", account.table),
        format!("required for {command}"),
    )
}
