//! Network failures say why ("connection refused", "timed out after 300 ms"), and every API
//! call has a `wechat_api` span with its path, errcode and duration — never the token.
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wechat_api::{ApiError, MemoryTokenStore, NetCause, QrRequest};

use crate::support::{client_with, config, mock, setup, SECRET};

/// A port nothing listens on (bound, then released).
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

fn cause(err: &ApiError) -> Option<&NetCause> {
    match err {
        ApiError::Transport { source, .. } => Some(source.cause()),
        _ => None,
    }
}

#[tokio::test]
async fn a_refused_connection_says_connection_refused() {
    let server = mock(Duration::from_secs(7200)).await;
    let mut closed = config(&server);
    closed.base_url = format!("http://127.0.0.1:{}", closed_port().await);
    let client = client_with(closed, Arc::new(MemoryTokenStore::new()));
    let err = client.access_token().await.expect_err("nobody listens");
    assert_eq!(cause(&err), Some(&NetCause::Refused), "{err:?}");
    let shown = err.to_string();
    assert!(shown.ends_with(": connection refused"), "{shown}");
    assert!(shown.starts_with("calling /cgi-bin/"), "{shown}");
    assert!(
        std::error::Error::source(&err).is_some(),
        "the cause is kept"
    );
}

#[tokio::test]
async fn a_silent_server_times_out_naming_the_limit() {
    let server = mock(Duration::from_secs(7200)).await;
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = silent.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut sockets = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            sockets.push(socket);
        }
    });
    let mut slow = config(&server);
    slow.base_url = format!("http://{addr}");
    slow.request_timeout = Duration::from_millis(300);
    let client = client_with(slow, Arc::new(MemoryTokenStore::new()));
    let err = client.access_token().await.expect_err("no answer");
    assert_eq!(
        cause(&err),
        Some(&NetCause::TimedOut(Duration::from_millis(300))),
        "{err:?}"
    );
    assert!(
        err.to_string().ends_with(": timed out after 300 ms"),
        "{err}"
    );
    held.abort();
}

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
    let token = client.access_token().await.expect("token").token;

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
    assert!(!all.contains(&token), "the access token was logged");
    assert!(!all.contains(SECRET), "the AppSecret was logged");
}
