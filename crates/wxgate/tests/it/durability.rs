//! A push that got a 200 is durable: SIGKILL under load, restart, nothing acknowledged missing.
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wechat_proto::signature;

use crate::helpers::*;

const SENDERS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_push_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &Cfg::extra(
            "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"stored {content}\" }\n",
        ),
    );
    let mut proc = tokio::task::block_in_place(|| Proc::start(&config));
    let addr = proc.addr;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let acked = Arc::new(Mutex::new(BTreeSet::<u64>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let (http, acked, stop) = (http.clone(), acked.clone(), stop.clone());
        senders.push(tokio::spawn(async move {
            let u = format!("oDurable{s:02}");
            let mut sent = 0u32;
            while !stop.load(Ordering::Relaxed) && sent < 100_000 {
                sent += 1;
                let id = fresh_msg_id();
                let ts = now().to_string();
                let nonce = fresh_nonce();
                let url = format!(
                    "http://{addr}/wechat?signature={}&timestamp={ts}&nonce={nonce}",
                    signature(TOKEN, &ts, &nonce)
                );
                match http
                    .post(url)
                    .body(text_xml(&u, &format!("n{id}"), id))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => {
                        // only a complete 200 answer counts as acknowledged
                        if let Ok(body) = r.text().await {
                            if body.contains(&format!("stored n{id}")) {
                                acked.lock().unwrap().insert(id);
                            }
                        }
                    }
                    Ok(_) => {}
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // kill -9 under load, once some pushes are acknowledged (bounded: none is a failure)
    crate::spawn::poll_until(
        "20 pushes acknowledged before the kill",
        Duration::from_secs(30),
        || {
            let enough = acked.lock().unwrap().len() >= 20;
            async move { enough.then_some(()) }
        },
    )
    .await;
    proc.signal("-KILL");
    let status = proc.wait_exit(Duration::from_secs(30)).await;
    assert!(!status.success(), "SIGKILL must kill it");
    stop.store(true, Ordering::Relaxed);
    for s in senders {
        tokio::time::timeout(Duration::from_secs(30), s)
            .await
            .expect("senders stop")
            .unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 20,
        "too little load to be meaningful: {} acknowledged",
        acked.len()
    );

    // restart on the same file and read back every event
    let proc = tokio::task::block_in_place(|| Proc::start(&config));
    let mut stored = BTreeSet::new();
    let mut before: Option<i64> = None;
    for _ in 0..10_000 {
        let q = match before {
            Some(b) => format!("limit=1000&msg_type=text&before={b}"),
            None => "limit=1000&msg_type=text".to_string(),
        };
        let r = http
            .get(format!("http://{}/api/events?{q}", proc.addr))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        let events = v["events"].as_array().unwrap();
        if events.is_empty() {
            break;
        }
        for e in events {
            if let Some(id) = e["fields"]["MsgId"]
                .as_str()
                .and_then(|s| s.parse::<u64>().ok())
            {
                stored.insert(id);
            }
        }
        before = events.last().and_then(|e| e["id"].as_i64());
    }
    eprintln!(
        "durability: {} acknowledged, {} stored after restart",
        acked.len(),
        stored.len()
    );
    let missing: Vec<_> = acked.difference(&stored).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged pushes missing after SIGKILL + restart: {:?}",
        missing.len(),
        acked.len(),
        &missing[..missing.len().min(20)]
    );
}
