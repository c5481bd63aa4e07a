//! What the WeChat API endpoints share: the client, or 503 without one; WeChat failures as 502.
use std::sync::Arc;

use wechat_api::ApiClient;

use super::ApiError;
use crate::server::state::AppState;

/// The account's API client, or 503 `account.appsecret is not configured`.
pub fn client(app: &AppState) -> Result<Arc<ApiClient>, ApiError> {
    app.api
        .clone()
        .ok_or_else(|| ApiError::Unavailable("account.appsecret is not configured".into()))
}

/// A failed WeChat call: 502 with WeChat's code and message (never a token or the secret).
pub fn upstream(err: wechat_api::ApiError) -> ApiError {
    tracing::warn!(error = %err, "WeChat API call failed");
    ApiError::Upstream(err.to_string())
}
