//! [`RawConfig`] → [`Config`]: the environment overrides applied, then each section checked
//! and parsed once by its own file (`server.rs`, `account.rs`, `storage.rs`, ...).
use std::path::Path;
use std::sync::Arc;

use super::raw::RawConfig;
use super::{
    account, admin, env, log, server, storage, web, webhook, wechat_api, AccountConfig,
    AdminConfig, ConfigError, LogConfig, ServerConfig, StorageConfig, WebConfig, WebhookConfig,
    WebhookMode,
};
use crate::rules::{RuleSet, WebhookRef};

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[server]`
    pub server: ServerConfig,
    /// `[log]`
    pub log: LogConfig,
    /// `[account]` (one account, named `default`) or `[[accounts]]`: names and non-empty
    /// appids unique; empty only for a gateway that is only an `[open_platform]`
    pub accounts: Vec<AccountConfig>,
    /// `[storage]`
    pub storage: StorageConfig,
    /// `[admin]`
    pub admin: AdminConfig,
    /// `[wechat_api] base_url`, an http(s) URL that can be a base
    pub api_base_url: url::Url,
    /// `[wechat_api] template_rate`: template messages sent per second at most (≥ 1)
    pub template_rate: u32,
    /// `[[rules]]`, compiled
    pub rules: Arc<RuleSet>,
    /// `[[webhooks]]`
    pub webhooks: Arc<Vec<WebhookConfig>>,
    /// `[wechat_api] open_base_url`: where browsers are sent for OAuth sign-in
    pub open_base_url: url::Url,
    /// `[web]`, with `[server] public_url`
    pub web: Option<WebConfig>,
    /// `[open_platform]`, with `[server] public_url`
    pub open_platform: Option<super::OpenPlatformConfig>,
}

impl Config {
    /// The account named `name`.
    pub fn account(&self, name: &str) -> Option<&AccountConfig> {
        self.accounts.iter().find(|account| account.name == name)
    }

    /// The account when the config has exactly one (`[account]`, or one `[[accounts]]`).
    pub fn only_account(&self) -> Option<&AccountConfig> {
        match self.accounts.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// The account a command or call means: `name`, or the only account when `name` is
    /// None. An unknown name, or none with several accounts, is an error naming `key` (the
    /// argument or parameter: `--account`, `account`) and the accounts there are.
    pub fn select(&self, name: Option<&str>, key: &str) -> Result<&AccountConfig, ConfigError> {
        let names = || self.account_names().join(", ");
        match name {
            Some(name) => self.account(name).ok_or_else(|| {
                ConfigError::new(
                    key,
                    format!("no account named {name:?} (there are {})", names()),
                )
            }),
            None => self.only_account().ok_or_else(|| {
                ConfigError::new(
                    key,
                    format!("required: the config has several accounts ({})", names()),
                )
            }),
        }
    }

    /// Whether the config lists `[[accounts]]` (the form for several accounts, each at
    /// `server.path/{name}`) rather than the single `[account]`: then the admin API's items
    /// carry their `"account"`.
    pub fn lists_accounts(&self) -> bool {
        self.accounts
            .iter()
            .any(|account| account.table != "account")
    }

    /// The names of the accounts, in config order.
    pub fn account_names(&self) -> Vec<&str> {
        self.accounts.iter().map(|a| a.name.as_str()).collect()
    }

    /// Apply environment overrides (`lookup` looks a variable up) and validate, section by
    /// section, in the order a reader of the file meets them.
    pub fn from_raw(
        mut raw: RawConfig,
        base_dir: &Path,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let applied = env::apply(&mut raw, lookup)?;
        let server = server::validate(&raw)?;
        let log = log::validate(&raw)?;
        let accounts = account::validate(&raw)?;
        let db_base = if applied.storage_url {
            std::env::current_dir().unwrap_or_else(|_| base_dir.to_path_buf())
        } else {
            base_dir.to_path_buf()
        };
        let storage = storage::validate(&raw, &db_base)?;
        let admin = admin::validate(&raw)?;
        let template_rate = wechat_api::template_rate(&raw)?;
        let api_base_url = wechat_api::base_url(&raw)?;
        let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
        let webhooks = webhook::validate(&raw, &names)?;
        let refs: Vec<WebhookRef<'_>> = webhooks
            .iter()
            .map(|w| WebhookRef {
                name: &w.name,
                is_call: w.mode == WebhookMode::Call,
            })
            .collect();
        let rules = RuleSet::compile(&raw.rules, &refs, &names)?;
        let (open_base_url, web) = web::validate(&raw)?;
        let open_platform = super::open::validate(&raw, &names, applied.component_secret)?;
        Ok(Config {
            server,
            log,
            accounts,
            storage,
            admin,
            api_base_url,
            template_rate,
            rules: Arc::new(rules),
            webhooks: Arc::new(webhooks),
            open_base_url,
            web,
            open_platform,
        })
    }
}
