//! What the WeChat API endpoints share: the client, or 503 without one; WeChat failures as 502.
use std::sync::Arc;

use wechat_api::ApiClient;

use super::ApiError;
use crate::account::Account;

/// The account's API client, or 503 `account.appsecret is not configured` (or
/// `accounts[N].appsecret`).
/// An account that revoked the `[open_platform]` answers 409: its tokens are gone.
pub fn client(account: &Account) -> Result<Arc<ApiClient>, ApiError> {
    if !account.served() {
        return Err(ApiError::Conflict(format!(
            "account {:?} revoked its authorisation of the platform",
            account.name().as_str()
        )));
    }
    account.api().ok_or_else(|| {
        ApiError::Unavailable(format!(
            "{}.appsecret is not configured",
            account.config.table
        ))
    })
}

/// A failed WeChat call: 502 with WeChat's code and message (never a token or the secret).
pub fn upstream(err: wechat_api::ApiError) -> ApiError {
    tracing::warn!(error = %err, "WeChat API call failed");
    ApiError::Upstream(err.to_string())
}
