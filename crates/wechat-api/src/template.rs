//! Template messages (`POST /cgi-bin/message/template/send`): notices outside the 48 h
//! window, whose outcome comes later as a `TEMPLATESENDJOBFINISH` push.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::ApiClient;
use crate::error::ApiError;

/// A template message, in WeChat's JSON shape.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateMessage {
    /// The recipient's openid.
    pub touser: String,
    /// The template's id.
    pub template_id: String,
    /// Link opened on tap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Mini program opened on tap: `{"appid", "pagepath"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miniprogram: Option<Value>,
    /// The template's fields: `{"name": {"value": "...", "color": "#..."}}`.
    pub data: Value,
    /// WeChat's own duplicate guard (one message per openid and id within ~10 min).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_msg_id: Option<String>,
}

#[derive(Deserialize)]
struct Sent {
    msgid: i64,
}

impl ApiClient {
    /// Sends `message`; returns WeChat's `msgid`, which the `TEMPLATESENDJOBFINISH` push
    /// carries as `MsgID`. Errors such as 43004 (not following) and 40037 (bad template id)
    /// are final; `-1` was already retried with backoff.
    pub async fn send_template(&self, message: &TemplateMessage) -> Result<i64, ApiError> {
        let body = serde_json::to_value(message)
            .map_err(|err| ApiError::InvalidMessage(err.to_string()))?;
        let sent: Sent = self
            .authed_json(
                Method::POST,
                "cgi-bin/message/template/send",
                &[],
                Some(&body),
            )
            .await?;
        Ok(sent.msgid)
    }
}
