//! Every push is answered within `reply_deadline_ms`, whatever is slow behind it.
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::helpers::*;

const DEADLINE_MS: u64 = 1000;
/// generous margin for a loaded 2-core machine
const MARGIN: Duration = Duration::from_millis(2500);

fn within_deadline(elapsed: Duration) {
    assert!(
        elapsed < Duration::from_millis(DEADLINE_MS) + MARGIN,
        "answered after {elapsed:?}, deadline {DEADLINE_MS} ms"
    );
}

async fn slow_app(hook: &Hook) -> TestApp {
    spawn_app_cfg(Cfg {
        server_extra: format!("reply_deadline_ms = {DEADLINE_MS}\n"),
        // the webhook's own timeout is far longer: only the deadline can cut it
        extra: call_rule(&hook.url, 30_000),
        ..Cfg::default()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_call_webhook_gets_success_within_the_deadline_and_the_push_is_recorded() {
    let hook = spawn_hook(Duration::from_secs(20), "too late").await;
    let app = slow_app(&hook).await;
    let u = fresh_openid("slow");
    let started = Instant::now();
    let a = app.push(&text_xml(&u, "hurry", fresh_msg_id())).await;
    within_deadline(started.elapsed());
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), "success");
    assert_eq!(hook.calls.load(Ordering::SeqCst), 1);
    let events = app.events_of(&u).await;
    assert_eq!(
        events.len(),
        1,
        "the push is recorded even when the reply missed the deadline"
    );
    assert_eq!(events[0]["fields"]["Content"], "hurry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_pushes_and_resends_all_answered_within_the_deadline() {
    let hook = spawn_hook(Duration::from_secs(20), "too late").await;
    let app = slow_app(&hook).await;
    let u = fresh_openid("slowmany");
    let xml = text_xml(&u, "again", fresh_msg_id());
    let mut tasks = Vec::new();
    for i in 0..6 {
        // three resends of one push, three distinct pushes
        let body = if i % 2 == 0 {
            xml.clone()
        } else {
            text_xml(&u, &format!("n{i}"), fresh_msg_id())
        };
        let q = app.plain_query(&now().to_string(), &fresh_nonce());
        let (http, url) = (app.http.clone(), app.url("/wechat"));
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let r = http
                .post(format!("{url}?{q}"))
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let text = r.text().await.unwrap();
            (i, started.elapsed(), status, text)
        }));
    }
    for t in tasks {
        let (i, elapsed, status, text) = t.await.unwrap();
        let what = if i % 2 == 0 {
            "resend of one push"
        } else {
            "distinct push"
        };
        within_deadline(elapsed);
        assert_eq!(
            status, 200,
            "request {i} ({what}) after {elapsed:?}: {text}"
        );
        assert_eq!(text, "success", "request {i} ({what})");
    }
    assert_eq!(app.events_of(&u).await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_webhook_is_not_a_failure() {
    // nothing listens on this port
    let url = format!("http://127.0.0.1:{}/hook", free_port());
    let app = spawn_app_cfg(Cfg {
        server_extra: format!("reply_deadline_ms = {DEADLINE_MS}\n"),
        extra: call_rule(&url, 30_000),
        ..Cfg::default()
    })
    .await;
    let u = fresh_openid("down");
    let started = Instant::now();
    let a = app.push(&text_xml(&u, "anyone?", fresh_msg_id())).await;
    within_deadline(started.elapsed());
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), "success");
    assert_eq!(app.events_of(&u).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fast_webhook_reply_is_used() {
    let hook = spawn_hook(Duration::from_millis(50), "quick").await;
    let app = slow_app(&hook).await;
    let u = fresh_openid("fast");
    let a = app.push(&text_xml(&u, "hi", fresh_msg_id())).await;
    assert_eq!(a.status, 200);
    let f = reply_fields(&a.text());
    assert_eq!(f["Content"], "quick #1");
    assert_eq!(f["ToUserName"], u.as_str());
    // the webhook got the push as JSON
    let bodies = hook.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1);
    assert_eq!(bodies[0]["openid"], u.as_str());
    assert_eq!(bodies[0]["msg_type"], "text");
    assert_eq!(bodies[0]["fields"]["Content"], "hi");
}

/// Contract §3/§6: an answer after the deadline goes to the user through the customer-service
/// API when the account has an appsecret. Real binary, WeChat API played by wechat-mock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_webhook_reply_goes_out_through_the_customer_service_api() {
    let mock = wechat_mock::MockServer::spawn(wechat_mock::MockConfig::default())
        .await
        .unwrap();
    let hook = spawn_hook(Duration::from_millis(2500), "late bot").await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = Cfg {
        server_extra: format!("reply_deadline_ms = {DEADLINE_MS}\n"),
        account_extra: "appsecret = \"0123456789abcdef0123456789abcdef\"\n".into(),
        extra: format!(
            "[wechat_api]\nbase_url = \"{}\"\n\n{}",
            mock.base_url(),
            call_rule(&hook.url, 30_000)
        ),
        ..Cfg::default()
    };
    let config = write_config(dir.path(), &cfg);
    let proc = tokio::task::block_in_place(|| Proc::start(&config));
    let http = reqwest::Client::new();
    let u = fresh_openid("late");
    let ts = now().to_string();
    let nonce = fresh_nonce();
    let started = Instant::now();
    let r = http
        .post(format!(
            "http://{}/wechat?{}",
            proc.addr,
            format_args!(
                "signature={}&timestamp={ts}&nonce={nonce}",
                wechat_proto::signature(TOKEN, &ts, &nonce)
            )
        ))
        .body(text_xml(&u, "take your time", fresh_msg_id()))
        .send()
        .await
        .unwrap();
    within_deadline(started.elapsed());
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "success");

    // wait (bounded) for the customer-service message to reach the mock
    let mut found = None;
    for _ in 0..200 {
        let sent: serde_json::Value = http
            .get(format!("{}/mock/sent", mock.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        found = sent["calls"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["path"]
                    .as_str()
                    .unwrap_or("")
                    .contains("message/custom/send")
            })
            .cloned();
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let call = found.expect("no customer-service message was sent for the late reply within 20 s");
    let body = if call["body"].is_string() {
        serde_json::from_str::<serde_json::Value>(call["body"].as_str().unwrap()).unwrap()
    } else {
        call["body"].clone()
    };
    assert_eq!(body["touser"], u.as_str(), "{call}");
    assert_eq!(body["msgtype"], "text", "{call}");
    assert_eq!(body["text"]["content"], "late bot #1", "{call}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_webhook_body_is_signed_with_the_secret() {
    use hmac::{Hmac, Mac};
    let hook = spawn_hook(Duration::ZERO, "signed").await;
    let extra = call_rule(&hook.url, 3000) + "secret = \"hook-secret\"\n";
    let app = spawn_app(&extra).await;
    let u = fresh_openid("sig");
    let a = app.push(&text_xml(&u, "sign me", fresh_msg_id())).await;
    assert_eq!(reply_fields(&a.text())["Content"], "signed #1");
    let raw = hook.raw.lock().unwrap().clone();
    assert_eq!(raw.len(), 1);
    let (body, sig, event_id) = &raw[0];
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"hook-secret").unwrap();
    mac.update(body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        sig.as_deref(),
        Some(expected.as_str()),
        "X-Wxgate-Signature"
    );
    assert!(
        event_id.as_deref().is_some_and(|id| !id.is_empty()),
        "X-Wxgate-Event-Id missing"
    );
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    for k in [
        "id",
        "openid",
        "msg_type",
        "event",
        "event_key",
        "create_time",
        "fields",
    ] {
        assert!(v.get(k).is_some(), "webhook body lacks {k}: {v}");
    }
}
