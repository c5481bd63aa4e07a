//! Template messages end to end: queued, sent to the mock, `delivered` / `blocked` through the
//! mock's signed TEMPLATESENDJOBFINISH push, WeChat's refusals as `failed`, idempotent
//! resends, a restart mid-queue, the rate, forgetting.
use std::path::Path;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wechat_mock::{MockConfig, MockServer};

use crate::helpers::{dir, mock, write_config, Gateway, APPID, APPSECRET};

/// A config for `base_url` sending `rate` template messages a second.
fn config(dir: &Path, base_url: &str, rate: u32) {
    let path = write_config(dir, base_url, true);
    let text = std::fs::read_to_string(&path).expect("config");
    let text = text.replace(
        "[wechat_api]\n",
        &format!("[wechat_api]\ntemplate_rate = {rate}\n"),
    );
    std::fs::write(&path, text).expect("config");
}

fn template(touser: &str, template_id: &str, key: Option<&str>) -> String {
    let mut body = json!({
        "touser": touser,
        "template_id": template_id,
        "url": "https://example.com/order/42",
        "data": {"thing1": {"value": "Your order"}, "time2": {"value": "2026-12-01 10:00"}},
    });
    if let Some(key) = key {
        body["idempotency_key"] = json!(key);
    }
    body.to_string()
}

async fn queue(gateway: &Gateway, body: &str) -> i64 {
    let (status, answer) = gateway
        .json(Method::POST, "/messages/template", Some(body))
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    answer["id"].as_i64().expect("an id")
}

/// The message once its status is no longer `queued` / `sent` (or after 10 s).
async fn settled(gateway: &Gateway, id: i64) -> Value {
    let mut last = Value::Null;
    for _ in 0..200 {
        let (status, message) = gateway
            .json(Method::GET, &format!("/messages/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{message}");
        if !matches!(message["status"].as_str(), Some("queued" | "sent")) {
            return message;
        }
        last = message;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("message {id} did not settle: {last}");
}

fn template_sends(mock: &MockServer) -> Vec<Value> {
    mock.state
        .sent()
        .into_iter()
        .filter(|c| c.path == "/cgi-bin/message/template/send")
        .map(|c| c.body)
        .collect()
}

#[tokio::test]
async fn a_message_goes_from_queued_to_delivered_through_the_job_finish_push() {
    let mock = mock().await;
    let dir = dir();
    config(dir.path(), &mock.base_url(), 20);
    let gateway = Gateway::start(dir.path()).await;
    mock.state
        .set_push_to(Some(&format!("{}/wechat", gateway.base)));
    mock.state
        .set_template_outcome("oBlocker", "failed:user block");

    let id = queue(&gateway, &template("oUser1", "TPL_order", Some("order-42"))).await;
    let message = settled(&gateway, id).await;
    assert_eq!(message["status"], "delivered", "{message}");
    assert_eq!(message["touser"], "oUser1");
    assert_eq!(message["template_id"], "TPL_order");
    assert!(message["msgid"].as_i64().is_some(), "{message}");
    assert_eq!(message["error"], Value::Null);
    for key in ["created_at", "updated_at"] {
        assert!(
            message[key].as_str().is_some_and(|t| t.ends_with('Z')),
            "{message}"
        );
    }
    let sends = template_sends(&mock);
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0]["touser"], "oUser1");
    assert_eq!(sends[0]["data"]["thing1"]["value"], "Your order");
    assert_eq!(sends[0]["client_msg_id"], format!("wxgate-{id}"));

    // The same key: the same id, nothing sent again.
    let again = queue(&gateway, &template("oUser1", "TPL_order", Some("order-42"))).await;
    assert_eq!(again, id);
    let blocked = queue(&gateway, &template("oBlocker", "TPL_order", None)).await;
    assert_eq!(settled(&gateway, blocked).await["status"], "blocked");
    assert_eq!(template_sends(&mock).len(), 2, "the resend was not sent");

    // WeChat's refusals end a message as failed, with the errcode.
    let refused = queue(&gateway, &template("oUser1", "invalid_template", None)).await;
    let message = settled(&gateway, refused).await;
    assert_eq!(message["status"], "failed");
    assert!(
        message["error"]
            .as_str()
            .is_some_and(|e| e.contains("40037")),
        "{message}"
    );
    assert_eq!(message["msgid"], Value::Null);

    let metrics = gateway
        .http
        .get(format!("{}/metrics", gateway.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for status in ["queued", "sent", "delivered", "blocked", "failed"] {
        assert!(
            metrics.contains(&format!(
                "wxgate_template_messages_total{{status=\"{status}\"}}"
            )),
            "{status}: {metrics}"
        );
    }

    // Forgetting the user deletes their messages.
    let (status, _) = gateway
        .call(Method::DELETE, "/followers/oUser1", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = gateway
        .json(Method::GET, &format!("/messages/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = gateway
        .json(Method::GET, &format!("/messages/{blocked}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "other users' messages stay");
    gateway.stop().await;
}

#[tokio::test]
async fn a_user_not_following_fails_with_43004() {
    let mock = MockServer::spawn(MockConfig {
        appid: APPID.into(),
        appsecret: APPSECRET.into(),
        followers: 3,
        ..MockConfig::default()
    })
    .await
    .expect("mock");
    let dir = dir();
    config(dir.path(), &mock.base_url(), 20);
    let gateway = Gateway::start(dir.path()).await;
    let id = queue(&gateway, &template("oNotAFollower", "TPL_order", None)).await;
    let message = settled(&gateway, id).await;
    assert_eq!(message["status"], "failed");
    assert!(
        message["error"]
            .as_str()
            .is_some_and(|e| e.contains("43004")),
        "{message}"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn bad_requests_name_the_field() {
    let mock = mock().await;
    let dir = dir();
    config(dir.path(), &mock.base_url(), 20);
    let gateway = Gateway::start(dir.path()).await;
    for (body, field) in [
        (
            json!({"template_id": "T", "data": {"a": {"value": "x"}}}),
            "touser",
        ),
        (
            json!({"touser": "o1", "data": {"a": {"value": "x"}}}),
            "template_id",
        ),
        (json!({"touser": "o1", "template_id": "T"}), "data"),
        (
            json!({"touser": "o1", "template_id": "T", "data": {"a": 1}}),
            "data.a.value",
        ),
    ] {
        let (status, answer) = gateway
            .json(Method::POST, "/messages/template", Some(&body.to_string()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.starts_with(field)),
            "{field}: {answer}"
        );
    }
    let (status, _) = gateway.json(Method::GET, "/messages/999", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = gateway.json(Method::GET, "/messages/abc", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    gateway.stop().await;
}

#[tokio::test]
async fn a_restart_mid_queue_loses_nothing_and_sends_each_once_at_the_rate() {
    let mock = mock().await;
    let dir = dir();
    // First WeChat cannot be reached: everything stays queued.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr")
    };
    config(dir.path(), &format!("http://{dead}"), 10);
    let gateway = Gateway::start(dir.path()).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let key = format!("k{n}");
        ids.push(queue(&gateway, &template(&format!("oUser{n}"), "TPL", Some(&key))).await);
    }
    let (_, first) = gateway
        .json(Method::GET, &format!("/messages/{}", ids[0]), None)
        .await;
    assert_eq!(first["status"], "queued");
    gateway.stop().await;

    config(dir.path(), &mock.base_url(), 10);
    let gateway = Gateway::start(dir.path()).await;
    mock.state
        .set_push_to(Some(&format!("{}/wechat", gateway.base)));
    // The same key after the restart: the same message.
    assert_eq!(
        queue(&gateway, &template("oUser0", "TPL", Some("k0"))).await,
        ids[0]
    );
    for id in &ids {
        assert_eq!(settled(&gateway, *id).await["status"], "delivered");
    }
    let calls: Vec<_> = mock
        .state
        .sent()
        .into_iter()
        .filter(|c| c.path == "/cgi-bin/message/template/send")
        .collect();
    assert_eq!(calls.len(), 5, "each message sent once");
    // Slots 100 ms apart; the first send also fetched the token after its slot.
    let span = calls[4].at - calls[0].at;
    assert!(
        span >= chrono::Duration::milliseconds(340),
        "at most 10 a second: 5 sends in {span}"
    );
    gateway.stop().await;
}

/// WeChat's -1 (system busy): one busy answer is retried by the API client after its short
/// backoff; four (the client's every attempt) leave the message queued for the outbox
/// dispatcher, which sends it again after its backoff. Either way the message ends `delivered`,
/// taken by WeChat once.
#[tokio::test]
async fn a_busy_answer_is_retried_with_backoff_and_the_message_sent_once() {
    let mock = mock().await;
    let dir = dir();
    config(dir.path(), &mock.base_url(), 20);
    let gateway = Gateway::start(dir.path()).await;
    mock.state
        .set_push_to(Some(&format!("{}/wechat", gateway.base)));
    // The token first, so that the injected answers meet the sends, not the token request.
    let (status, token) = gateway.json(Method::GET, "/access_token", None).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let tokens = mock.state.token_requests();

    // One busy answer: the client's own retry (after 0.2–0.3 s) is taken.
    let calls = mock.state.requests();
    mock.state.fail_next(1, -1);
    let id = queue(&gateway, &template("oUser1", "TPL_busy", Some("busy-1"))).await;
    let message = settled(&gateway, id).await;
    assert_eq!(message["status"], "delivered", "{message}");
    assert_eq!(message["error"], Value::Null, "{message}");
    assert_eq!(
        mock.state.requests() - calls,
        2,
        "the send met -1, then was taken"
    );
    let sends = template_sends(&mock);
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(sends[0]["client_msg_id"], format!("wxgate-{id}"));

    // Busy through all 4 attempts of the client (waiting ≥ 0.2 + 0.4 + 0.8 s between them):
    // the client gives up, the message stays queued, and the dispatcher sends it again (a
    // 5th call, which only a second send can make) once its backoff (counted from the
    // claim) has passed.
    let calls = mock.state.requests();
    mock.state.fail_next(4, -1);
    let started = std::time::Instant::now();
    let id = queue(&gateway, &template("oUser2", "TPL_busy", Some("busy-2"))).await;
    let message = settled(&gateway, id).await;
    let took = started.elapsed();
    assert_eq!(message["status"], "delivered", "{message}");
    assert_eq!(
        mock.state.requests() - calls,
        5,
        "four busy answers, then the send taken"
    );
    assert!(
        took >= Duration::from_millis(1400),
        "the client's backoff was waited: {took:?}"
    );
    let sends = template_sends(&mock);
    assert_eq!(sends.len(), 2, "each message taken once: {sends:?}");
    assert_eq!(sends[1]["touser"], "oUser2");
    assert_eq!(sends[1]["client_msg_id"], format!("wxgate-{id}"));
    assert_eq!(mock.state.token_requests(), tokens, "no token refetched");
    gateway.stop().await;
}
