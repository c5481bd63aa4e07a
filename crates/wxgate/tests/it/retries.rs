//! WeChat resends: processed once, the same reply every time — after the first, while the first
//! is in flight, after a restart, and in safe mode (same XML once decrypted).
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_after_the_first_gets_the_same_bytes_and_is_processed_once() {
    let hook = spawn_hook(Duration::ZERO, "bot says").await;
    let app = spawn_app(&call_rule(&hook.url, 3000)).await;
    let u = fresh_openid("retry");
    let xml = text_xml(&u, "hello", fresh_msg_id());
    let first = app.push(&xml).await;
    assert_eq!(first.status, 200);
    assert_eq!(reply_fields(&first.text())["Content"], "bot says #1");
    // let the clock pass a second so that a re-rendered CreateTime would differ
    let t0 = now();
    for _ in 0..300 {
        if now() > t0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for _ in 0..3 {
        // WeChat resends with new query values; dedupe is on the body
        let again = app.push(&xml).await;
        assert_eq!(again.status, 200);
        assert_eq!(
            again.text(),
            first.text(),
            "a resend must get byte-for-byte the first reply"
        );
    }
    assert_eq!(
        hook.calls.load(Ordering::SeqCst),
        1,
        "the call webhook ran more than once"
    );
    assert_eq!(
        app.events_of(&u).await.len(),
        1,
        "a resend was recorded twice"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_while_the_first_is_in_flight_waits_for_its_reply() {
    let hook = spawn_hook(Duration::from_millis(1500), "slow bot").await;
    let app = spawn_app(&call_rule(&hook.url, 3000)).await;
    let u = fresh_openid("inflight");
    let xml = text_xml(&u, "are you there", fresh_msg_id());
    let q1 = app.plain_query(&now().to_string(), &fresh_nonce());
    let first = app.post_in_background(q1, xml.clone());
    // the first is now inside the webhook call
    tokio::time::timeout(Duration::from_secs(10), hook.started.notified())
        .await
        .expect("the webhook was called");
    let second = app.push(&xml).await;
    let (s1, b1) = first.await.unwrap();
    assert_eq!(s1, 200);
    assert_eq!(second.status, 200);
    assert_eq!(
        second.body, b1,
        "the in-flight resend must get the first's reply"
    );
    assert_eq!(reply_fields(&second.text())["Content"], "slow bot #1");
    assert_eq!(hook.calls.load(Ordering::SeqCst), 1);
    assert_eq!(app.events_of(&u).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_after_a_restart_gets_the_stored_reply() {
    let hook = spawn_hook(Duration::ZERO, "persistent").await;
    let app = spawn_app(&call_rule(&hook.url, 3000)).await;
    let u = fresh_openid("restart");
    let xml = text_xml(&u, "remember me", fresh_msg_id());
    let first = app.push(&xml).await;
    assert_eq!(first.status, 200);
    assert_eq!(reply_fields(&first.text())["Content"], "persistent #1");

    let app = app.restart().await;
    let again = app.push(&xml).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        again.text(),
        first.text(),
        "after a restart the resend must get the stored reply"
    );
    assert_eq!(hook.calls.load(Ordering::SeqCst), 1);
    assert_eq!(app.events_of(&u).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_of_a_rule_reply_is_byte_identical_after_a_restart() {
    let app = spawn_app(
        "[[rules]]\nwhen = { event = \"subscribe\" }\nreply = { text = \"Welcome {openid}\" }\n",
    )
    .await;
    let u = fresh_openid("evretry");
    let xml = event_xml(&u, "subscribe", Some("qrscene_5"), now());
    let first = app.push(&xml).await;
    assert_eq!(first.status, 200);
    assert_ne!(first.text(), "success");
    let t0 = now();
    for _ in 0..300 {
        if now() > t0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let app = app.restart().await;
    let again = app.push(&xml).await;
    assert_eq!(again.text(), first.text());
    assert_eq!(app.events_of(&u).await.len(), 1);
    let (_, stats) = app.get("/api/stats").await;
    let scene = stats["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scene"] == "5")
        .cloned()
        .expect("scene 5");
    assert_eq!(
        scene["subscribes"], 1,
        "a resend must not count twice: {stats}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safe_mode_resend_decrypts_to_the_same_reply() {
    let hook = spawn_hook(Duration::from_millis(800), "sealed").await;
    let app = spawn_app_cfg(Cfg {
        security: "safe",
        extra: call_rule(&hook.url, 3000),
        ..Cfg::default()
    })
    .await;
    let u = fresh_openid("saferetry");
    let xml = text_xml(&u, "encrypted hello", fresh_msg_id());
    let (q1, b1) = app.encrypted_request(&app.crypt, &xml);
    let first = app.post_in_background(q1, b1);
    tokio::time::timeout(Duration::from_secs(10), hook.started.notified())
        .await
        .expect("webhook called");
    // an in-flight resend, encrypted afresh (other random, other nonce)
    let in_flight = app.push_encrypted(&xml).await;
    let (s1, body1) = first.await.unwrap();
    assert_eq!(s1, 200);
    assert_eq!(in_flight.status, 200);
    let r1 = app.open_reply(&body1);
    assert_eq!(app.open_reply(&in_flight.body), r1);
    assert_eq!(reply_fields(&r1)["Content"], "sealed #1");
    // and one after it finished
    let later = app.push_encrypted(&xml).await;
    assert_eq!(app.open_reply(&later.body), r1);
    assert_eq!(hook.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_dedupe_on_from_createtime_event_and_key() {
    let app = spawn_app("").await;
    let u = fresh_openid("evkey");
    let t = now();
    let sub = event_xml(&u, "subscribe", None, t);
    assert_eq!(app.push(&sub).await.status, 200);
    assert_eq!(app.push(&sub).await.status, 200);
    // same user and second, other event or key: distinct pushes
    assert_eq!(
        app.push(&event_xml(&u, "CLICK", Some("A"), t)).await.status,
        200
    );
    assert_eq!(
        app.push(&event_xml(&u, "CLICK", Some("B"), t)).await.status,
        200
    );
    assert_eq!(
        app.push(&event_xml(&u, "CLICK", Some("B"), t)).await.status,
        200
    );
    let events = app.events_of(&u).await;
    let mut seen: Vec<String> = events
        .iter()
        .map(|e| {
            format!(
                "{}:{}",
                e["event"].as_str().unwrap_or(""),
                e["event_key"].as_str().unwrap_or("")
            )
        })
        .collect();
    seen.sort();
    assert_eq!(seen, vec!["CLICK:A", "CLICK:B", "subscribe:"], "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubscribe_resent_is_processed_once_also_after_a_restart() {
    let app = spawn_app("").await;
    let u = fresh_openid("unsubretry");
    let t = now();
    assert_eq!(
        app.push(&event_xml(&u, "subscribe", Some("qrscene_9"), t))
            .await
            .status,
        200
    );
    let unsubscribe = event_xml(&u, "unsubscribe", None, t + 1);
    for _ in 0..2 {
        // WeChat resends with new query values (a fresh nonce); the body is the same
        let answer = app.push(&unsubscribe).await;
        assert_eq!(
            (answer.status.as_u16(), answer.text().as_str()),
            (200, "success")
        );
    }
    let app = app.restart().await;
    let answer = app.push(&unsubscribe).await;
    assert_eq!(
        (answer.status.as_u16(), answer.text().as_str()),
        (200, "success")
    );

    let (status, daily) = app.get("/api/stats/daily?days=1").await;
    assert_eq!(status, 200, "{daily}");
    let today = &daily["days"][0];
    assert_eq!(
        (
            &today["subscribes"],
            &today["unsubscribes"],
            &today["events"]
        ),
        (
            &serde_json::json!(1),
            &serde_json::json!(1),
            &serde_json::json!(2)
        ),
        "a resent unsubscribe must count once: {daily}"
    );
    let (_, scene) = app.get("/api/stats/daily?days=1&scene=9").await;
    assert_eq!(scene["days"][0]["unsubscribes"], 1, "{scene}");
    let (status, _) = app.get(&format!("/api/followers/{u}")).await;
    assert_eq!(status, 404, "still forgotten");
}
