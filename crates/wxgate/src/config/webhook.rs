//! `[[webhooks]]`: where pushes go out, how, signed with which key, for which accounts.
use std::time::Duration;

use super::raw::{RawConfig, RawWebhook};
use super::{duration, ConfigError};
use crate::webhook_key::WebhookKey;

/// call | notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookMode {
    /// synchronous: may answer with a reply
    Call,
    /// durable, at-least-once
    Notify,
}

/// One `[[webhooks]]` entry.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// name
    pub name: String,
    /// endpoint
    pub url: reqwest::Url,
    /// the HMAC-SHA256 key of `secret` (`whsec_` base64 decoded, else its bytes)
    pub secret: Option<WebhookKey>,
    /// mode
    pub mode: WebhookMode,
    /// selected msg_type / event names, lower case; `*` = all
    pub events: Vec<String>,
    /// give up on deliveries older than this
    pub max_age: Duration,
    /// per request
    pub timeout: Duration,
    /// `accounts`: the accounts whose pushes it serves; None = every account
    pub accounts: Option<Vec<String>>,
}

impl WebhookConfig {
    /// Whether it serves pushes to `account`.
    pub fn serves(&self, account: &str) -> bool {
        self.accounts
            .as_ref()
            .is_none_or(|names| names.iter().any(|name| name == account))
    }
}

/// Every `[[webhooks]]` entry, checked; names unique, `accounts` among `accounts` (the
/// names of the config's accounts).
pub(super) fn validate(
    raw: &RawConfig,
    accounts: &[&str],
) -> Result<Vec<WebhookConfig>, ConfigError> {
    let webhooks = raw
        .webhooks
        .iter()
        .enumerate()
        .map(|(i, w)| webhook(i, w, accounts))
        .collect::<Result<Vec<_>, _>>()?;
    for (i, w) in webhooks.iter().enumerate() {
        if webhooks[..i].iter().any(|o| o.name == w.name) {
            return Err(ConfigError::new(
                format!("webhooks[{i}].name"),
                format!("duplicate webhook name {:?}", w.name),
            ));
        }
    }
    Ok(webhooks)
}

/// `webhooks[i]`.
fn webhook(i: usize, w: &RawWebhook, accounts: &[&str]) -> Result<WebhookConfig, ConfigError> {
    let key = |field: &str| format!("webhooks[{i}].{field}");
    if w.name.is_empty() {
        return Err(ConfigError::new(key("name"), "must not be empty"));
    }
    if let Some(names) = &w.accounts {
        if names.is_empty() {
            return Err(ConfigError::new(
                key("accounts"),
                "must name at least one account (leave it out for every account)",
            ));
        }
        if let Some(unknown) = names.iter().find(|n| !accounts.contains(&n.as_str())) {
            return Err(ConfigError::new(
                key("accounts"),
                format!(
                    "no account named {unknown:?} (there are {})",
                    accounts.join(", ")
                ),
            ));
        }
    }
    let url = reqwest::Url::parse(&w.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| ConfigError::new(key("url"), "not an http(s) URL"))?;
    let mode = match w.mode.as_str() {
        "call" => WebhookMode::Call,
        "notify" => WebhookMode::Notify,
        other => {
            return Err(ConfigError::new(
                key("mode"),
                format!("{other:?} is not call or notify"),
            ))
        }
    };
    let max_age = duration::finite(&w.max_age, &key("max_age"))?;
    if w.timeout_ms == 0 || w.timeout_ms > 60_000 {
        return Err(ConfigError::new(key("timeout_ms"), "must be 1..=60000"));
    }
    let secret = w
        .secret
        .as_deref()
        .map(WebhookKey::from_secret)
        .transpose()
        .map_err(|e| ConfigError::new(key("secret"), e.to_string()))?;
    Ok(WebhookConfig {
        name: w.name.clone(),
        url,
        secret,
        mode,
        events: w.events.iter().map(|e| e.to_ascii_lowercase()).collect(),
        max_age,
        timeout: Duration::from_millis(w.timeout_ms),
        accounts: w.accounts.clone(),
    })
}
