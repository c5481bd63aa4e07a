//! A `call` webhook: POST the push, read `{"reply": {...}}` back.
use std::time::Duration;

use serde::Deserialize;
use wechat_proto::{Message, Reply};

use super::{headers, payload};
use crate::config::{AccountConfig, WebhookConfig};
use crate::rules::RawReply;

/// Why a call produced no reply.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// transport failure or timeout (the URL is not shown: it may hold credentials)
    #[error("webhook request failed: {0}")]
    Transport(String),
    /// non-2xx status
    #[error("webhook answered HTTP {0}")]
    Status(u16),
    /// body is not `{"reply": ...}` JSON
    #[error("webhook answer is not a reply: {0}")]
    Body(String),
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    reply: Option<RawReply>,
}

/// Call `hook` for `msg`, a push to `account`, with at most `timeout`. `Ok(None)`: answered
/// without a reply.
pub async fn call(
    http: &reqwest::Client,
    hook: &WebhookConfig,
    account: &AccountConfig,
    msg: &Message,
    timeout: Duration,
) -> Result<Option<Reply>, CallError> {
    let body =
        serde_json::to_vec(&payload(account, msg)).map_err(|e| CallError::Body(e.to_string()))?;
    let mut req = http
        .post(hook.url.clone())
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    let now = chrono::Utc::now().timestamp();
    for (name, value) in headers(hook.secret.as_ref(), msg.dedupe_key().as_str(), now, &body) {
        req = req.header(name, value);
    }
    let resp = req
        .body(body)
        .send()
        .await
        .map_err(|e| CallError::Transport(e.without_url().to_string()))?;
    if !resp.status().is_success() {
        return Err(CallError::Status(resp.status().as_u16()));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| CallError::Transport(e.without_url().to_string()))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let answer: Answer =
        serde_json::from_slice(&bytes).map_err(|e| CallError::Body(e.to_string()))?;
    let Some(raw) = answer.reply else {
        return Ok(None);
    };
    Reply::try_from(raw)
        .map(Some)
        .map_err(|e| CallError::Body(e.to_string()))
}
