//! 10,000 authorised accounts on one gateway: how long they take to load at start, the memory
//! an idle one costs, and the size of `/metrics` (docs/performance.md). Ignored: it prints
//! figures — `cargo test --release -p wxgate --test open scale -- --ignored --nocapture`.
use std::time::Instant;

use chrono::Utc;
use futures::future::join_all;
use reqwest::StatusCode;
use wxgate::store::platform::{Authorizer, AuthorizerStatus};

use crate::harness::*;

const ACCOUNTS: usize = 10_000;

/// The process's resident memory in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "prints figures for docs/performance.md"]
async fn scale_ten_thousand_authorizers() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let store = wxgate::store::open(&url.parse().expect("a storage url"))
        .await
        .expect("store");
    let now = Utc::now();
    let appids: Vec<String> = (0..ACCOUNTS).map(|i| format!("wx{i:016}")).collect();
    for chunk in appids.chunks(500) {
        join_all(chunk.iter().map(|appid| {
            let row = Authorizer {
                appid: appid.clone(),
                user_name: format!("gh_{}", &appid[6..]),
                nick_name: Some("Shop".into()),
                principal_name: None,
                service_type: Some(2),
                verify_type: Some(0),
                func_info: vec![1, 15],
                status: AuthorizerStatus::Authorized,
                authorized_at: now,
                updated_at: now,
                revoked_at: None,
            };
            let store = store.clone();
            async move { store.save_authorizer(&row, Some(b"sealed")).await }
        }))
        .await
        .into_iter()
        .collect::<Result<Vec<()>, _>>()
        .expect("saved");
    }
    store.close().await;

    let before = rss_kib();
    let started = Instant::now();
    let gw = Gateway::start(dir.path(), &config_toml(&url, &mock.base_url(), ""), &mock).await;
    let load = started.elapsed();
    let after = rss_kib();
    let (status, accounts) = gw.get("/api/accounts?limit=1000").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(accounts["accounts"].as_array().map(Vec::len), Some(1000));
    assert!(accounts["next"].is_string(), "10,000 accounts page");
    let metrics = gw
        .http
        .get(gw.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    println!(
        "{ACCOUNTS} authorizers: loaded and served in {:.0} ms (build to listening); RSS {} → {} KiB, {:.2} KiB per idle account; /metrics {} bytes",
        load.as_secs_f64() * 1000.0,
        before,
        after,
        after.saturating_sub(before) as f64 / ACCOUNTS as f64,
        metrics.len()
    );
    gw.stop().await;
}
