//! The registry at 10,000 accounts (ignored by default: run it with
//! `cargo test -p wxgate --test accounts scale -- --ignored --nocapture`): the time to build a
//! gateway serving them, the resident memory each idle account costs, and the latency of
//! pushes to one of them against a gateway of one account. Figures in docs/performance.md.
use std::time::{Duration, Instant};

use wechat_proto::signature;

use crate::harness::fresh;
use crate::pushes::{now, text_xml};

/// Resident memory of this process, in KiB (Linux).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn config(db: &std::path::Path, accounts: usize) -> wxgate::config::Config {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npath = \"/wechat\"\n\
         [storage]\nurl = \"sqlite://{}\"\n",
        db.display()
    );
    for i in 0..accounts {
        text.push_str(&format!(
            "[[accounts]]\nname = \"a{i}\"\ntoken = \"token{i}\"\nappid = \"wx{i:016}\"\n\
             appsecret = \"secret-{i}\"\n"
        ));
    }
    crate::spawn::config(&text, db.parent().expect("dir"))
}

/// Builds and starts a gateway of `accounts` accounts; (build time, RSS growth in KiB, push latencies
/// to its last account: median and 99th percentile).
async fn measure(accounts: usize) -> (Duration, u64, Duration, Duration) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = config(&dir.path().join("wx.db"), accounts);
    let before = rss_kib();
    let started = Instant::now();
    let app = crate::spawn::spawn_app(config).await;
    let built = started.elapsed();
    let grown = rss_kib().saturating_sub(before);
    let addr = app.addr;
    let http = reqwest::Client::new();
    let last = accounts - 1;
    let mut took = Vec::new();
    for n in 0..300u64 {
        let (ts, nonce) = (now().to_string(), fresh());
        let sig = signature(&format!("token{last}"), &ts, &nonce);
        let url =
            format!("http://{addr}/wechat/a{last}?signature={sig}&timestamp={ts}&nonce={nonce}");
        let xml = text_xml("oScale", "hi", 9_000_000 + n);
        let t = Instant::now();
        let status = http
            .post(url)
            .body(xml)
            .send()
            .await
            .expect("push")
            .status();
        took.push(t.elapsed());
        assert_eq!(status.as_u16(), 200);
    }
    took.sort();
    app.stop().await;
    (
        built,
        grown,
        took[took.len() / 2],
        took[took.len() * 99 / 100],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn scale_ten_thousand_idle_accounts() {
    let (one_built, one_rss, one_p50, one_p99) = measure(1).await;
    let (built, rss, p50, p99) = measure(10_000).await;
    println!("1 account:       build {one_built:?}, RSS +{one_rss} KiB, push p50 {one_p50:?} p99 {one_p99:?}");
    println!(
        "10,000 accounts: build {built:?}, RSS +{rss} KiB ({:.2} KiB per account), push p50 {p50:?} p99 {p99:?}",
        rss.saturating_sub(one_rss) as f64 / 9_999.0
    );
}
