//! Issue 17 item 6: `wxgate_webhook_deliveries_pending` follows the outbox within seconds in
//! the real binary (it was set by the minute's sweep only: 0 for up to a minute while a
//! delivery waited).
use std::time::{Duration, Instant};

use crate::harness::*;

/// The gauge's value on `/metrics` of the gateway at `addr` (None before it is set).
async fn pending_gauge(addr: std::net::SocketAddr) -> Option<f64> {
    let text = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("wxgate_webhook_deliveries_pending "))
        .and_then(|v| v.trim().parse().ok())
}

/// Poll (at most 5 s: well under the minute's sweep) until the gauge reads `want`.
async fn gauge_reaches(addr: std::net::SocketAddr, want: f64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = pending_gauge(addr).await;
        if now == Some(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the pending gauge read {now:?}, not {want}, 5 s on"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn issue_17_the_pending_gauge_counts_a_waiting_delivery_within_seconds() {
    let addr = Receiver::down_address();
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = notify_hook("h", &format!("http://{addr}/h"), "[\"*\"]", "");
    let gate = serve(dir.path(), &extra);
    gauge_reaches(gate.addr, 0.0).await;
    let http = reqwest::Client::new();
    push_to(
        &http,
        gate.addr,
        &text_xml(&fresh("o"), "waits", fresh_msg_id()),
    )
    .await;
    gauge_reaches(gate.addr, 1.0).await;

    // The receiver comes up: delivered on the next attempt (backoff 1 s, then 2 s, ...), and
    // the gauge falls back to 0 right after.
    let (recv, _r) = Receiver::start_at(addr).await;
    recv.wait_delivered("/h", 1).await;
    gauge_reaches(gate.addr, 0.0).await;
}
