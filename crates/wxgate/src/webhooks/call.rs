//! A `call` webhook: POST the push, read `{"reply": {...}}` back.
use std::time::{Duration, Instant};

use serde::Deserialize;
use tracing::Instrument;
use wechat_api::NetError;
use wechat_proto::{Message, Reply};

use super::{headers, payload, EventId};
use crate::config::{AccountConfig, WebhookConfig};
use crate::rules::{CompileError, RawReply};
use crate::telemetry::spans;

/// The most a call webhook's answer may hold: a reply is small (WeChat takes 2,048 bytes of
/// text); a longer answer fails the call, and no more of it is read.
pub const MAX_ANSWER: usize = 64 * 1024;

/// Why a call produced no reply.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// transport failure or timeout: "connection refused", "timed out after 800 ms" (the URL
    /// is not shown: it may hold credentials)
    #[error("webhook request failed: {0}")]
    Transport(#[source] NetError),
    /// non-2xx status
    #[error("webhook answered HTTP {0}")]
    Status(u16),
    /// the body is not JSON
    #[error("webhook answer is not a reply: {0}")]
    Json(#[source] serde_json::Error),
    /// the body's `reply` is not a reply the gateway can send
    #[error("webhook answer is not a reply: {0}")]
    Reply(#[source] CompileError),
    /// the answer is longer than [`MAX_ANSWER`] (not read past it)
    #[error("webhook answer is longer than {MAX_ANSWER} bytes")]
    TooLarge,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    reply: Option<RawReply>,
}

/// Call `hook` for `msg`, a push to `account`, with at most `timeout`. `Ok(None)`: answered
/// without a reply.
///
/// Runs in a `call` span (webhook, outcome, ms); a failure is logged there as a warning.
pub async fn call(
    http: &reqwest::Client,
    hook: &WebhookConfig,
    account: &AccountConfig,
    msg: &Message,
    timeout: Duration,
) -> Result<Option<Reply>, CallError> {
    let span = spans::call(&hook.name);
    let started = Instant::now();
    async {
        let result = request(http, hook, account, msg, timeout).await;
        let span = tracing::Span::current();
        match &result {
            Ok(reply) => {
                let outcome = if reply.is_some() { "reply" } else { "no_reply" };
                spans::finish(&span, outcome, started);
                tracing::debug!("call webhook done");
            }
            Err(e) => {
                spans::finish(&span, "failed", started);
                tracing::warn!(error = %e, "call webhook failed");
            }
        }
        result
    }
    .instrument(span)
    .await
}

async fn request(
    http: &reqwest::Client,
    hook: &WebhookConfig,
    account: &AccountConfig,
    msg: &Message,
    timeout: Duration,
) -> Result<Option<Reply>, CallError> {
    let body = payload(account, msg).to_string().into_bytes();
    let mut req = http
        .post(hook.url.clone())
        .timeout(timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json");
    let now = chrono::Utc::now().timestamp();
    let id = EventId::of(msg.dedupe_key().as_str());
    for (name, value) in headers(hook.secret.as_ref(), &id, now, &body) {
        req = req.header(name, value);
    }
    let net = |e| CallError::Transport(NetError::new(e, timeout, timeout));
    let mut resp = req.body(body).send().await.map_err(net)?;
    if !resp.status().is_success() {
        return Err(CallError::Status(resp.status().as_u16()));
    }
    if resp
        .content_length()
        .is_some_and(|declared| declared > MAX_ANSWER as u64)
    {
        return Err(CallError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(net)? {
        if bytes.len() + chunk.len() > MAX_ANSWER {
            return Err(CallError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let answer: Answer = serde_json::from_slice(&bytes).map_err(CallError::Json)?;
    let Some(raw) = answer.reply else {
        return Ok(None);
    };
    Reply::try_from(raw).map(Some).map_err(CallError::Reply)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::WebhookMode;

    /// The account of a config with `[account]` alone.
    fn account() -> AccountConfig {
        let raw = crate::config::parse_toml("").expect("parses");
        let config = crate::config::Config::from_raw(raw, std::path::Path::new("/"), |_| None)
            .expect("valid");
        config.accounts[0].clone()
    }

    fn hook(url: String) -> WebhookConfig {
        WebhookConfig {
            name: "h".into(),
            url: reqwest::Url::parse(&url).expect("url"),
            secret: None,
            mode: WebhookMode::Call,
            events: vec!["*".into()],
            max_age: Duration::from_secs(3600),
            timeout: Duration::from_secs(1),
            accounts: None,
        }
    }

    fn msg() -> Message {
        wechat_proto::parse_message(
            b"<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName>\
              <CreateTime>1</CreateTime><MsgType>text</MsgType><Content>hi</Content>\
              <MsgId>7</MsgId></xml>",
        )
        .expect("test push parses")
    }

    #[tokio::test]
    async fn a_refused_connection_says_connection_refused() {
        // The discard port: nothing listens there (a port bound and freed here could be
        // taken by a server another test starts meanwhile).
        let url = "http://127.0.0.1:9/hook".to_string();
        let http = crate::webhooks::client();
        let err = call(
            &http,
            &hook(url),
            &account(),
            &msg(),
            Duration::from_secs(1),
        )
        .await
        .expect_err("nobody listens");
        assert!(matches!(err, CallError::Transport(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            "webhook request failed: connection refused"
        );
        assert!(
            std::error::Error::source(&err).is_some(),
            "the cause is kept"
        );
    }

    #[tokio::test]
    async fn a_silent_receiver_times_out_naming_the_limit() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let held = tokio::spawn(async move {
            let mut sockets = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                sockets.push(socket);
            }
        });
        let http = crate::webhooks::client();
        let err = call(
            &http,
            &hook(url),
            &account(),
            &msg(),
            Duration::from_millis(200),
        )
        .await
        .expect_err("no answer");
        assert_eq!(
            err.to_string(),
            "webhook request failed: timed out after 200 ms"
        );
        held.abort();
    }
}
