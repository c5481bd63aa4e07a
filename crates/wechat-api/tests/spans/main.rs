//! Every API call has a `wechat_api` span with its path, errcode and duration — never the
//! token. In a test binary of its own: a subscriber set for one thread shares tracing's
//! global callsite cache with every other test thread, which made this flaky beside them.
use std::io::Write;
use std::sync::{Arc, Mutex};

use wechat_api::{ExposeSecret, QrRequest};

#[path = "../it/support.rs"]
#[allow(
    dead_code,
    reason = "shared with the `it` binary, which uses all of it"
)]
mod support;

use support::{setup, SECRET};

/// A `MakeWriter` keeping every log line in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<serde_json::Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

#[tokio::test]
async fn every_call_has_a_span_with_path_errcode_and_ms_and_never_the_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let (_server, client) = setup().await;
    let request = QrRequest::new("hello", false, Some(60)).expect("valid request");
    client.create_qrcode(&request).await.expect("QR code");
    let token = client.access_token().await.expect("token");
    let token = token.token.expose_secret();

    let lines = captured.lines();
    let spans: Vec<&serde_json::Value> = lines
        .iter()
        .filter(|l| {
            l["span"]["name"] == "wechat_api" && l["fields"]["message"] == "WeChat API call done"
        })
        .map(|l| &l["span"])
        .collect();
    let qr_call = spans
        .iter()
        .find(|s| s["path"] == "/cgi-bin/qrcode/create")
        .unwrap_or_else(|| panic!("no span of the QR call: {lines:?}"));
    assert_eq!(qr_call["errcode"], 0, "{qr_call}");
    assert!(qr_call["ms"].is_u64(), "{qr_call}");
    assert!(
        spans
            .iter()
            .any(|s| s["path"].as_str().is_some_and(|p| p.contains("token"))),
        "no span of the token call: {lines:?}"
    );
    let all = serde_json::to_string(&lines).unwrap();
    assert!(!all.contains(token), "the access token was logged");
    assert!(!all.contains(SECRET), "the AppSecret was logged");
}
