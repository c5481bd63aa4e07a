//! `/api/wechat/{path}` end to end: the token added, a refused token replaced once, token
//! endpoints and `..` refused, the caller's Authorization never forwarded, the token never in
//! an answer; `[admin] service_tokens` and their paths.
use std::sync::{Arc, Mutex};

use axum::http::HeaderMap;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{dir, mock, write_config, Gateway, ADMIN_TOKEN};

const SERVICE_TOKEN: &str = "service-token-1";

/// A config with a service token.
fn with_service_token(dir: &std::path::Path, base_url: &str) {
    let path = write_config(dir, base_url, true);
    let text = std::fs::read_to_string(&path).expect("config");
    let text = text.replace(
        &format!("token = \"{ADMIN_TOKEN}\"\n"),
        &format!("token = \"{ADMIN_TOKEN}\"\nservice_tokens = [\"{SERVICE_TOKEN}\"]\n"),
    );
    std::fs::write(&path, text).expect("config");
}

/// A call with `bearer`, answering status and JSON (or Null).
async fn call(
    gateway: &Gateway,
    bearer: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = gateway
        .http
        .request(method, format!("{}/api{path}", gateway.base))
        .bearer_auth(bearer);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("call");
    let status = response.status();
    let bytes = response.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn calls_get_the_central_token_and_answers_come_as_wechat_gave_them() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let (status, info) = gateway
        .json(
            Method::GET,
            "/wechat/cgi-bin/user/info?openid=oUser1&lang=zh_CN&access_token=bogus",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["openid"], "oUser1");
    assert_eq!(
        info["subscribe"], 1,
        "the mock accepted the gateway's token"
    );

    let message = json!({"touser": "oUser1", "msgtype": "text", "text": {"content": "hi"}});
    let (status, sent) = gateway
        .json(
            Method::POST,
            "/wechat/cgi-bin/message/custom/send",
            Some(&message.to_string()),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert_eq!(sent["errcode"], 0);
    let calls = mock.state.sent();
    assert_eq!(calls.last().map(|c| c.body.clone()), Some(message));

    // A WeChat error is WeChat's answer, not a gateway error.
    let (status, refused) = gateway
        .json(Method::GET, "/wechat/cgi-bin/menu/get", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(refused["errcode"], 46003);

    // A media answer (not JSON) comes through as it is.
    let (_, code) = gateway
        .json(
            Method::POST,
            "/wechat/cgi-bin/qrcode/create",
            Some(r#"{"action_name":"QR_LIMIT_SCENE","action_info":{"scene":{"scene_id":7}}}"#),
        )
        .await;
    let ticket = code["ticket"].as_str().expect("a ticket");
    let response = gateway
        .http
        .get(format!("{}/api/wechat/cgi-bin/showqrcode", gateway.base))
        .query(&[("ticket", ticket)])
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("showqrcode");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/png");
    let png = response.bytes().await.expect("png");
    assert!(png.starts_with(b"\x89PNG"), "the picture");
    assert_eq!(mock.state.token_requests(), 1, "one token for all calls");
    gateway.stop().await;
}

#[tokio::test]
async fn a_refused_token_is_replaced_once_and_the_call_retried() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let (_, before) = gateway.json(Method::GET, "/access_token", None).await;
    mock.state.invalidate_tokens();
    let (status, info) = gateway
        .json(Method::GET, "/wechat/cgi-bin/user/info?openid=oUser2", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["subscribe"], 1, "the retry succeeded: {info}");
    assert_eq!(mock.state.token_requests(), 2, "one refresh");
    let (_, after) = gateway.json(Method::GET, "/access_token", None).await;
    assert_ne!(after["access_token"], before["access_token"]);
    let metrics = gateway
        .http
        .get(format!("{}/metrics", gateway.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains(wechat_api::metrics::TOKEN_RETRIES),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"wxgate_wechat_api_calls_total{family="cgi-bin/user",errcode="0"}"#),
        "{metrics}"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn token_endpoints_and_dot_dot_are_refused_without_a_call() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    for (method, path, expected) in [
        (
            Method::GET,
            "/wechat/cgi-bin/token?grant_type=client_credential",
            StatusCode::FORBIDDEN,
        ),
        (
            Method::POST,
            "/wechat/cgi-bin/stable_token",
            StatusCode::FORBIDDEN,
        ),
        (
            Method::GET,
            "/wechat/cgi-bin//token/",
            StatusCode::FORBIDDEN,
        ),
        (Method::GET, "/wechat/CGI-BIN/TOKEN", StatusCode::FORBIDDEN),
        (
            Method::GET,
            "/wechat/cgi-bin/..%2Ftoken",
            StatusCode::BAD_REQUEST,
        ),
    ] {
        let (status, answer) = gateway.json(method, path, Some("{}")).await;
        assert_eq!(status, expected, "{path}: {answer}");
        assert!(answer["error"].is_string(), "{path}: {answer}");
    }
    // Sent as they are (an HTTP client would resolve the dots itself).
    for path in [
        "/api/wechat/cgi-bin/../cgi-bin/token",
        "/api/wechat/cgi-bin/%2e%2e/menu/get",
        "/api/wechat/sns/../../admin",
    ] {
        let head = raw_get(&gateway, path).await;
        assert!(head.starts_with("HTTP/1.1 400"), "{path}: {head}");
    }
    assert_eq!(mock.state.requests(), 0, "nothing reached WeChat");
    gateway.stop().await;
}

/// The status line and headers of a GET of `path` sent byte for byte.
async fn raw_get(gateway: &Gateway, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = gateway.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    String::from_utf8_lossy(&answer).into_owned()
}

/// What a stand-in WeChat saw of a forwarded call.
#[derive(Default)]
struct Seen {
    headers: Vec<HeaderMap>,
    queries: Vec<String>,
}

#[tokio::test]
async fn the_callers_authorization_is_not_forwarded_and_the_token_is_not_echoed() {
    let seen = Arc::new(Mutex::new(Seen::default()));
    let recorder = Arc::clone(&seen);
    let upstream = axum::Router::new()
        .route(
            "/cgi-bin/stable_token",
            axum::routing::post(|| async {
                axum::Json(json!({"access_token": "the-central-token-42", "expires_in": 7200}))
            }),
        )
        .fallback(move |uri: axum::http::Uri, headers: HeaderMap| {
            let recorder = Arc::clone(&recorder);
            async move {
                let query = uri.query().unwrap_or("").to_owned();
                let mut seen = recorder.lock().expect("lock");
                seen.headers.push(headers);
                seen.queries.push(query.clone());
                axum::Json(json!({"errcode": 0, "echo": query}))
            }
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, upstream).await });
    let dir = dir();
    write_config(dir.path(), &format!("http://{addr}"), true);
    let gateway = Gateway::start(dir.path()).await;
    let (status, answer) = gateway
        .json(Method::GET, "/wechat/cgi-bin/user/get?next_openid=o9", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let echo = answer["echo"].as_str().expect("echo");
    assert!(echo.contains("next_openid=o9"), "{echo}");
    assert!(
        !answer.to_string().contains("the-central-token-42"),
        "{answer}"
    );
    {
        let seen = seen.lock().expect("lock");
        assert!(seen.queries[0].contains("access_token=the-central-token-42"));
        assert!(
            seen.headers[0].get("authorization").is_none(),
            "no Authorization forwarded"
        );
    }
    gateway.stop().await;
}

#[tokio::test]
async fn a_service_token_reaches_only_its_paths() {
    let mock = mock().await;
    let dir = dir();
    with_service_token(dir.path(), &mock.base_url());
    let gateway = Gateway::start(dir.path()).await;
    let (status, token) = call(&gateway, SERVICE_TOKEN, Method::GET, "/access_token", None).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let (status, info) = call(
        &gateway,
        SERVICE_TOKEN,
        Method::GET,
        "/wechat/cgi-bin/user/info?openid=oUser3",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{info}");
    let (status, _) = call(&gateway, SERVICE_TOKEN, Method::GET, "/messages/1", None).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "allowed, and no such message"
    );
    for path in ["/stats", "/followers", "/events", "/qrcodes", "/menu"] {
        let (status, answer) = call(&gateway, SERVICE_TOKEN, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {answer}");
    }
    let (status, _) = call(&gateway, ADMIN_TOKEN, Method::GET, "/stats", None).await;
    assert_eq!(status, StatusCode::OK, "the admin token reaches everything");
    let (status, _) = call(
        &gateway,
        "service-token-2",
        Method::GET,
        "/access_token",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    gateway.stop().await;
}

/// A body over the proxy's 12 MiB bound is refused with 413 (declared, at once) and nothing
/// reaches WeChat.
#[tokio::test]
async fn a_body_over_the_bound_is_413_without_a_call() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let response = gateway
        .http
        .post(format!(
            "{}/api/wechat/cgi-bin/media/upload?type=image",
            gateway.base
        ))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/octet-stream")
        .body(vec![0u8; 13 * 1024 * 1024])
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(mock.state.requests(), 0, "nothing reached WeChat");
    gateway.stop().await;
}

/// A multipart upload (`cgi-bin/media/upload?type=image`) reaches WeChat byte for byte, with
/// its Content-Type (boundary included) and the central token in place of the caller's.
#[tokio::test]
async fn a_multipart_upload_is_forwarded_unchanged_with_the_token() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let (status, token) = gateway.json(Method::GET, "/access_token", None).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    let token = token["access_token"].as_str().expect("a token").to_owned();

    // An "image" of every byte value, CRLFs and a near-boundary line among them.
    let boundary = "----wxgateBoundary7MA4YWxkTrZu0gW";
    let mut image: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    image.extend_from_slice(b"\r\n------wxgateBoundary\r\n\x00\xff");
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; \
             filename=\"poster.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(&image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");

    let response = gateway
        .http
        .post(format!(
            "{}/api/wechat/cgi-bin/media/upload?type=image&access_token=bogus",
            gateway.base
        ))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", &content_type)
        .body(body.clone())
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.expect("JSON");
    assert_eq!(answer["type"], "image", "{answer}");
    assert!(
        answer["media_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{answer}"
    );

    let uploads = mock.state.uploads();
    assert_eq!(uploads.len(), 1, "one upload reached WeChat");
    let upload = &uploads[0];
    assert_eq!(upload.content_type, content_type, "the boundary kept");
    assert!(upload.body == body, "the body arrived byte for byte");
    let mut query: Vec<(String, String)> = form_urlencoded::parse(upload.query.as_bytes())
        .into_owned()
        .collect();
    query.sort();
    assert_eq!(
        query,
        [
            ("access_token".to_owned(), token),
            ("type".to_owned(), "image".to_owned())
        ],
        "the caller's access_token replaced by the central one"
    );
    // ... and the mock's summary of what it took.
    let sent = mock.state.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/cgi-bin/media/upload");
    assert_eq!(sent[0].body["media"]["filename"], "poster.png");
    assert_eq!(sent[0].body["media"]["content_type"], "image/png");
    assert_eq!(sent[0].body["media"]["size"], image.len());
    gateway.stop().await;
}

/// Issue 17: the README's example call, `cgi-bin/tags/get` through the gateway, answers the
/// mock's tags (it was a 404 at `mock-api`).
#[tokio::test]
async fn issue_17_the_readme_tags_example_works_against_the_mock() {
    let mock = mock().await;
    let dir = dir();
    with_service_token(dir.path(), &mock.base_url());
    let gateway = Gateway::start(dir.path()).await;
    let (status, tags) = call(
        &gateway,
        SERVICE_TOKEN,
        Method::GET,
        "/wechat/cgi-bin/tags/get",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tags}");
    assert_eq!(tags["tags"][0]["id"], 2, "{tags}");
    assert_eq!(tags["tags"][0]["name"], "星标组", "{tags}");
    gateway.stop().await;
}
