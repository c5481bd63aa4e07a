//! Network failures say why ("connection refused", "timed out after 300 ms"). (The spans of
//! API calls are tested in their own binary, `tests/spans`.)
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use wechat_api::{ApiError, MemoryTokenStore, NetCause};

use crate::support::{client_with, config, mock};

/// The discard port: nothing listens there (a port bound and freed here could be taken by a
/// server another test starts meanwhile).
const CLOSED_PORT: u16 = 9;

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
    closed.base_url = url(&format!("http://127.0.0.1:{CLOSED_PORT}"));
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
    slow.base_url = url(&format!("http://{addr}"));
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

fn url(text: &str) -> Url {
    Url::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}
