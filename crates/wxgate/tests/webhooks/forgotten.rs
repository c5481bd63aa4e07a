//! Issue 18 item 10: a forgotten user's pending deliveries outlive the forget (they hold the
//! openid); once the last of them is delivered, the openid's bytes leave the database files —
//! `wx.db` and its `-wal` — while the gateway still runs.
use std::path::Path;

use crate::harness::*;

/// How often `needle` occurs in the database's files (`wx.db`, `-wal`, `-shm`), per file.
fn occurrences(dir: &Path, needle: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read the test dir") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.starts_with("wx.db") {
            continue;
        }
        // A file may be truncated or removed meanwhile: read what is there.
        let bytes = std::fs::read(&path).unwrap_or_default();
        let n = bytes
            .windows(needle.len())
            .filter(|w| *w == needle.as_bytes())
            .count();
        found.push((name, n));
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_18_a_forgotten_users_last_delivery_takes_the_openid_out_of_the_files() {
    let (recv, _r) = Receiver::start().await;
    recv.fail(usize::MAX);
    let gate = start(&notify_hook("crm", &recv.url("/crm"), "[\"*\"]", "")).await;
    let openid = fresh("oGone");
    let other = fresh("oStays");
    gate.push(&event_xml(&openid, "subscribe", Some("qrscene_x"), now()))
        .await;
    gate.push(&text_xml(&openid, "hello", fresh_msg_id())).await;
    gate.push(&text_xml(&other, "still here", fresh_msg_id()))
        .await;
    gate.push(&event_xml(&openid, "unsubscribe", None, now() + 1))
        .await;
    let (status, _) = gate.get(&format!("/api/followers/{openid}")).await;
    assert_eq!(status, 404, "forgotten at once");
    // Its deliveries wait (the receiver is down): they hold the openid, in the files too.
    assert_eq!(gate.pending().await, 4);
    let held: usize = occurrences(gate.dir.path(), &openid)
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert!(held > 0, "the pending deliveries hold the openid");

    recv.fail(0);
    let delivered = recv.wait_delivered("/crm", 4).await;
    assert_eq!(ids_of(&delivered, &openid).len(), 3);
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;
    // Bounded: the writer scrubs before it answers the last delete (a reader still open may
    // delay the checkpoint a little).
    wait_until("the openid out of wx.db and wx.db-wal", || {
        let left: usize = occurrences(gate.dir.path(), &openid)
            .iter()
            .map(|(_, n)| n)
            .sum();
        async move { left == 0 }
    })
    .await;
    assert!(
        occurrences(gate.dir.path(), &other)
            .iter()
            .any(|(_, n)| *n > 0),
        "a user not forgotten is still there"
    );
    gate.stop().await;
}
