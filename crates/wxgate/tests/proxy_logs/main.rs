//! The WeChat API proxy never logs the access token (nor the AppSecret it is fetched with):
//! every log line of an in-process gateway and its mock, JSON at debug level (and `log`
//! records), is captured while calls go through `/api/wechat/...`, a refused token among
//! them, and searched for both tokens.
//!
//! A binary of its own: the capturing subscriber is the process-wide default, so no other
//! test's thread-local subscriber shares tracing's callsite cache with it.
#![allow(dead_code)]

#[path = "../api/helpers.rs"]
mod helpers;
#[path = "../common/spawn.rs"]
mod spawn;

use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard};

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use helpers::{dir, mock, write_config, Gateway, APPSECRET};

/// Every log line, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn bytes(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The gateway's current access token, from `GET /api/access_token`.
async fn access_token(gateway: &Gateway) -> String {
    let (status, body) = gateway.json(Method::GET, "/access_token", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().unwrap_or_default().to_owned();
    assert!(token.len() > 8, "{body}");
    token
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxied_calls_never_log_the_access_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .try_init()
        .expect("the only subscriber of this binary");

    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let first = access_token(&gateway).await;

    // A read, with a caller's own access_token in the query (dropped); a write; a busy answer.
    let (status, info) = gateway
        .json(
            Method::GET,
            "/wechat/cgi-bin/user/info?openid=oUser1&access_token=bogus",
            None,
        )
        .await;
    assert_eq!(
        (status, info["subscribe"].clone()),
        (StatusCode::OK, json!(1)),
        "{info}"
    );
    let message = json!({"touser": "oUser1", "msgtype": "text", "text": {"content": "hi"}});
    let (status, sent) = gateway
        .json(
            Method::POST,
            "/wechat/cgi-bin/message/custom/send",
            Some(&message.to_string()),
        )
        .await;
    assert_eq!(
        (status, sent["errcode"].clone()),
        (StatusCode::OK, json!(0)),
        "{sent}"
    );
    mock.state.fail_next(1, -1);
    let (_, busy) = gateway
        .json(Method::GET, "/wechat/cgi-bin/user/info?openid=oUser1", None)
        .await;
    assert_eq!(busy["errcode"], -1, "{busy}");

    // WeChat refuses the token (40001): replaced once, the call retried.
    mock.state.invalidate_tokens();
    let (status, info) = gateway
        .json(Method::GET, "/wechat/cgi-bin/user/info?openid=oUser2", None)
        .await;
    assert_eq!(
        (status, info["subscribe"].clone()),
        (StatusCode::OK, json!(1)),
        "{info}"
    );
    let second = access_token(&gateway).await;
    assert_ne!(first, second, "the refused token was replaced");
    gateway.stop().await;

    let text = String::from_utf8_lossy(&captured.bytes()).into_owned();
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    // The capture saw the proxied calls and the refusal (so an empty log cannot pass).
    assert!(
        lines.iter().any(|l| l["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("refused the access token"))),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l["span"]["name"] == "wechat_api"
            && l["span"]["path"] == "/cgi-bin/user/info"),
        "{text}"
    );
    for line in text.lines() {
        for (what, secret) in [("first token", &first), ("second token", &second)] {
            assert!(
                !line.contains(secret.as_str()),
                "the {what} is logged: {line}"
            );
        }
        assert!(!line.contains(APPSECRET), "the appsecret is logged: {line}");
    }
}
