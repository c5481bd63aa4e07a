//! `GET /api/access_token`: the account's one token, kept in the store across restarts.
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{dir, mock, write_config, Gateway};

/// Whether the mock accepts `token` (menu/get answers 46003 "no menu", not a token error).
async fn mock_accepts(base_url: &str, token: &str) -> bool {
    let url = format!("{base_url}/cgi-bin/menu/get?access_token={token}");
    let answer: Value = reqwest::get(url)
        .await
        .expect("menu/get")
        .json()
        .await
        .expect("JSON");
    answer["errcode"] == 46003
}

#[tokio::test]
async fn the_token_is_the_mocks_and_survives_a_restart() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let (status, first) = gateway.json(Method::GET, "/access_token", None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let token = first["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned();
    assert!(
        mock_accepts(&mock.base_url(), &token).await,
        "a token the API accepts"
    );
    let expires_at = first["expires_at"].as_str().expect("expires_at");
    let expires_at = chrono::DateTime::parse_from_rfc3339(expires_at).expect("RFC 3339");
    assert!(
        first["expires_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "UTC"
    );
    let left = expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(
        left > chrono::Duration::minutes(100),
        "a fresh token: {left}"
    );
    let (_, again) = gateway.json(Method::GET, "/access_token", None).await;
    assert_eq!(again, first, "one central token, not refreshed per call");
    assert_eq!(mock.state.token_requests(), 1);
    gateway.stop().await;

    let restarted = Gateway::start(dir.path()).await;
    let (status, after) = restarted.json(Method::GET, "/access_token", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        after["access_token"], first["access_token"],
        "read back from the store"
    );
    assert_eq!(
        mock.state.token_requests(),
        1,
        "the restart asked WeChat for no token"
    );
    restarted.stop().await;
}

#[tokio::test]
async fn a_wrong_appsecret_is_a_502_without_the_secret() {
    let mock = wechat_mock::MockServer::spawn(wechat_mock::MockConfig {
        appsecret: "ffffffffffffffffffffffffffffffff".into(),
        ..wechat_mock::MockConfig::default()
    })
    .await
    .expect("mock starts");
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let (status, answer) = gateway.json(Method::GET, "/access_token", None).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{answer}");
    let error = answer["error"].as_str().expect("error");
    assert!(error.contains("40001"), "WeChat's code is kept: {error}");
    assert!(!error.contains(crate::helpers::APPSECRET), "{error}");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_share_one_token() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let first = Gateway::start(dir.path()).await;
    let second = Gateway::start(dir.path()).await;
    let ((_, a), (_, b)) = tokio::join!(
        first.json(Method::GET, "/access_token", None),
        second.json(Method::GET, "/access_token", None),
    );
    assert!(a["access_token"].is_string(), "{a}");
    assert_eq!(a["access_token"], b["access_token"], "one token for both");
    assert_eq!(
        mock.state.token_requests(),
        1,
        "one instance refreshed, the other waited"
    );
    first.stop().await;
    second.stop().await;
}
