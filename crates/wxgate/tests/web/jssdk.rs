//! JS-SDK over real sockets against the mock: the signature checked against the official
//! vector and the mock's ticket, one `getticket` for 50 concurrent pages, a fresh ticket
//! after WeChat refused the token.
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::task::JoinSet;
use wechat_proto::jssdk_signature;

use crate::harness::{mock, Accounts, Gateway, ADMIN, APPID, APPID_TWO, SERVICE};

/// `GET /api/jssdk/config` for `url` (raw, URL-encoded here).
async fn config(gw: &Gateway, account: Option<&str>, url: &str) -> (StatusCode, Value) {
    let account = account.map_or(String::new(), |a| format!("account={a}&"));
    let url = form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>();
    gw.api(
        ADMIN,
        Method::GET,
        &format!("/jssdk/config?{account}url={url}"),
        None,
    )
    .await
}

/// The signature of `config` recomputed with `ticket`.
fn signed_with(ticket: &str, config: &Value) -> String {
    jssdk_signature(
        ticket,
        config["nonceStr"].as_str().unwrap_or(""),
        config["timestamp"].as_u64().unwrap_or(0),
        config["url"].as_str().unwrap_or(""),
    )
}

#[tokio::test]
async fn the_config_is_signed_with_the_accounts_ticket() {
    // the signing function is the one that reproduces WeChat's own example
    assert_eq!(
        jssdk_signature(
            "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
            "Wm3WZYTPz0wzccnW",
            1_414_587_457,
            "http://mp.weixin.qq.com?params=value",
        ),
        "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
    );
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Single).await;
    let (status, config) =
        config(&gw, None, "https://h5.example.com/app/页?a=1&b=%20#/route").await;
    assert_eq!(status, StatusCode::OK, "{config}");
    assert_eq!(config["appId"], APPID);
    assert_eq!(config["url"], "https://h5.example.com/app/页?a=1&b=%20");
    let nonce = config["nonceStr"].as_str().unwrap_or("");
    assert!(
        nonce.len() == 16 && nonce.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{nonce}"
    );
    let now = chrono::Utc::now().timestamp().unsigned_abs();
    assert!(
        config["timestamp"]
            .as_u64()
            .is_some_and(|t| t <= now && t + 60 > now),
        "{config}"
    );
    let ticket = mock.state.jsapi_ticket(APPID).expect("a ticket was issued");
    assert_eq!(config["signature"], signed_with(&ticket, &config));
    let (status, held) = gw.api(SERVICE, Method::GET, "/jssdk/ticket", None).await;
    assert_eq!(status, StatusCode::OK, "{held}");
    assert_eq!(held["ticket"], ticket);
    assert!(
        held["expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{held}"
    );
    assert_eq!(mock.state.ticket_requests(), 1);
    for bad in [
        "/relative/page",
        "javascript:alert(1)",
        "ftp://h5.example.com/",
        "",
    ] {
        let (status, body) = crate::jssdk::config(&gw, None, bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}: {body}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_config_requests_make_one_getticket() {
    let mock = mock().await;
    let gw = std::sync::Arc::new(Gateway::sqlite(&mock, Accounts::Single).await);
    let mut pages = JoinSet::new();
    for i in 0..50 {
        let gw = std::sync::Arc::clone(&gw);
        pages.spawn(
            async move { config(&gw, None, &format!("https://shop.example.com/p/{i}")).await },
        );
    }
    let answers = pages.join_all().await;
    let ticket = mock.state.jsapi_ticket(APPID).expect("a ticket was issued");
    for (status, config) in &answers {
        assert_eq!(*status, StatusCode::OK, "{config}");
        assert_eq!(config["signature"], signed_with(&ticket, config));
    }
    assert_eq!(mock.state.ticket_requests(), 1);
    if let Ok(gw) = std::sync::Arc::try_unwrap(gw) {
        gw.stop().await;
    }
}

#[tokio::test]
async fn after_a_refused_token_the_signature_uses_a_fresh_ticket() {
    let mock = mock().await;
    mock.state.set_ticket_ttl(Duration::from_secs(2));
    let gw = Gateway::sqlite(&mock, Accounts::Listed).await;
    let (status, first) = config(&gw, Some("two"), "https://shop.example.com/").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let old = mock.state.jsapi_ticket(APPID_TWO).expect("a ticket");
    assert_eq!(first["signature"], signed_with(&old, &first));
    mock.state.invalidate_tokens();
    // The 2-second ticket is due after 1 s; poll (bounded) until the gateway signs with
    // another one: getticket answered 40001, the token was replaced, getticket again.
    let mut fresh = None;
    for _ in 0..100 {
        let (status, now) = config(&gw, Some("two"), "https://shop.example.com/").await;
        assert_eq!(status, StatusCode::OK, "{now}");
        if now["signature"] != signed_with(&old, &now) {
            fresh = Some(now);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fresh = fresh.expect("a fresh ticket within 5 s");
    let new = mock.state.jsapi_ticket(APPID_TWO).expect("a ticket");
    assert_ne!(new, old);
    assert_eq!(fresh["signature"], signed_with(&new, &fresh));
    assert_eq!(mock.state.ticket_requests(), 3, "first, refused, fresh");
    assert_eq!(mock.state.token_requests(), 2);
    let (status, body) = config(&gw, None, "https://shop.example.com/").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "several accounts need account=: {body}"
    );
    gw.stop().await;
}
