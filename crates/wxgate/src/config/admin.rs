//! `[admin]`: the bearer tokens of `/api/*`.
use super::raw::RawConfig;
use super::{ConfigError, Secret};

/// `[admin]`
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// bearer token; None disables /api/*
    pub token: Option<Secret>,
    /// `service_tokens`: bearer tokens allowed only `/api/access_token`, `/api/wechat/*` and
    /// `/api/messages/*`
    pub service_tokens: Vec<Secret>,
}

/// `[admin]`: each token non-empty, without surrounding whitespace; service tokens only with
/// an admin token.
pub(super) fn validate(raw: &RawConfig) -> Result<AdminConfig, ConfigError> {
    let token = raw
        .admin
        .token
        .as_deref()
        .map(|t| bearer("admin.token", t))
        .transpose()?;
    let service_tokens = raw
        .admin
        .service_tokens
        .iter()
        .enumerate()
        .map(|(i, t)| bearer(&format!("admin.service_tokens[{i}]"), t))
        .collect::<Result<Vec<_>, _>>()?;
    if token.is_none() && !service_tokens.is_empty() {
        // Without an admin token /api answers 404 to everyone: the service tokens would be
        // dead without a word.
        return Err(ConfigError::new(
            "admin.service_tokens",
            "need admin.token: without it the /api endpoints are off",
        ));
    }
    Ok(AdminConfig {
        token,
        service_tokens,
    })
}

/// A bearer token at `key`: non-empty, without surrounding whitespace.
fn bearer(key: &str, value: &str) -> Result<Secret, ConfigError> {
    if value.is_empty() {
        Err(ConfigError::new(key, "must not be empty"))
    } else if value.trim() != value {
        Err(ConfigError::new(
            key,
            "has leading or trailing whitespace, which a presented token never has",
        ))
    } else {
        Ok(Secret::new(value))
    }
}
