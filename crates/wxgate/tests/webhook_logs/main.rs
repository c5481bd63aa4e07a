//! What a notify delivery leaves in the log, captured in process: each attempt has a
//! `delivery` span with the webhook, the event id (an event's key hashed: it holds the
//! openid), the attempt, its outcome and duration; a failed attempt says why. No line holds
//! the raw openid or the push's content above `debug`.
//!
//! A binary of its own: the capturing subscriber is the process-wide default, so no other
//! test's thread shares tracing's callsite cache with it (beside the other webhook tests it
//! saw no span now and then).
#![allow(dead_code, unused_imports)]

#[path = "../webhooks/harness.rs"]
mod harness;
#[path = "../common/process.rs"]
mod process;
#[path = "../common/pushes.rs"]
mod pushes;
#[path = "../common/spawn.rs"]
mod spawn;

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use wxgate::telemetry::spans::key_label;

use harness::*;

/// Every log line, kept in memory.
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

#[tokio::test]
async fn a_delivery_span_names_the_attempt_and_its_outcome_never_the_openid() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber here");

    let (recv, _r) = Receiver::start().await;
    recv.fail(3);
    let gate = start(&notify_hook("crm", &recv.url("/crm"), "[\"*\"]", "")).await;
    let openid = fresh("oLogged");
    let xml = event_xml(&openid, "subscribe", Some("qrscene_launch-42"), now());
    let key = wechat_proto::parse_message(xml.as_bytes())
        .unwrap()
        .dedupe_key();
    gate.push(&xml).await;
    recv.wait_delivered("/crm", 1).await;
    gate.stop().await;

    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let attempts: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            l["span"]["name"] == "delivery" && l["fields"]["message"] == "delivery attempt done"
        })
        .map(|l| &l["span"])
        .collect();
    // The event id shown is the delivery's own (`msg_…`, ASCII, no openid in it).
    let shown = key_label(&id_of(key.as_str()));
    let outcome_of = |attempt: u64| {
        attempts
            .iter()
            .find(|s| s["attempt"] == attempt && s["event_id"] == shown.as_str())
            .map(|s| (s["webhook"].clone(), s["outcome"].clone(), s["ms"].is_u64()))
    };
    assert_eq!(
        outcome_of(1),
        Some(("crm".into(), "failed".into(), true)),
        "{attempts:?}"
    );
    for failed in [2, 3] {
        assert_eq!(
            outcome_of(failed),
            Some(("crm".into(), "failed".into(), true)),
            "{attempts:?}"
        );
    }
    assert_eq!(
        outcome_of(4),
        Some(("crm".into(), "delivered".into(), true)),
        "{attempts:?}"
    );
    // Issue 17: every failed attempt is a warning (not only the first), with its number and
    // when the next one is due.
    let failed: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "delivery failed, will retry")
        .collect();
    assert_eq!(
        failed.len(),
        3,
        "one warning per failed attempt: {failed:?}"
    );
    for (n, line) in failed.iter().enumerate() {
        assert_eq!(line["level"], "WARN");
        assert_eq!(line["fields"]["error"], "receiver answered HTTP 503");
        assert_eq!(line["fields"]["attempt"], n as u64 + 1, "{line}");
        let next = line["fields"]["next_attempt_at"].as_str().unwrap_or("");
        assert!(
            chrono::DateTime::parse_from_rfc3339(next).is_ok(),
            "next_attempt_at is a time: {line}"
        );
        assert_eq!(line["span"]["event_id"], shown.as_str());
    }
    // The debug line "delivering" names the openid on purpose (debug only); nothing at info
    // or above holds the openid or the push's EventKey.
    let above_debug: Vec<&Value> = lines
        .iter()
        .filter(|l| l["level"] != "DEBUG" && l["level"] != "TRACE")
        .collect();
    let above_debug = serde_json::to_string(&above_debug).unwrap();
    assert!(!above_debug.contains(&openid), "{above_debug}");
    assert!(!above_debug.contains("launch-42"), "{above_debug}");
}
