//! Issue 18 items 5, 6 and 7 on `/api/wechat/{path}`: a redirect is passed back, never
//! followed; an answer of any size streams through without being held whole; and the token
//! is masked in every answer, whatever its type or size.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::RawQuery;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use tokio::sync::Notify;

use crate::helpers::{dir, write_config, Gateway, ADMIN_TOKEN};

const TOKEN: &str = "the-central-token-4242";

/// Serve `app` on 127.0.0.1:0; its base URL.
async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A stand-in WeChat that hands out [`TOKEN`], with `routes` beside.
fn upstream(routes: axum::Router) -> axum::Router {
    routes.route(
        "/cgi-bin/stable_token",
        axum::routing::post(|| async {
            axum::Json(serde_json::json!({"access_token": TOKEN, "expires_in": 7200}))
        }),
    )
}

async fn gateway_for(base: &str) -> (Gateway, tempfile::TempDir) {
    let dir = dir();
    write_config(dir.path(), base, true);
    (Gateway::start(dir.path()).await, dir)
}

fn get(gateway: &Gateway, path: &str) -> reqwest::RequestBuilder {
    gateway
        .http
        .get(format!("{}/api/wechat/{path}", gateway.base))
        .bearer_auth(ADMIN_TOKEN)
}

#[tokio::test]
async fn issue_18_a_redirect_is_passed_back_not_followed_and_its_location_masked() {
    let internal_hits = Arc::new(AtomicUsize::new(0));
    let hits = Arc::clone(&internal_hits);
    let internal = serve(axum::Router::new().fallback(move || {
        hits.fetch_add(1, Ordering::SeqCst);
        async { "the internal host's secrets" }
    }))
    .await;
    let base = serve(upstream(axum::Router::new().route(
        "/cgi-bin/user/info",
        axum::routing::get(move |RawQuery(query): RawQuery| {
            let location = format!("{internal}/collect?{}", query.unwrap_or_default());
            async move {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(header::LOCATION, location)],
                    "moved",
                )
            }
        }),
    )))
    .await;
    let (gateway, _dir) = gateway_for(&base).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let answer = no_redirects
        .get(format!(
            "{}/api/wechat/cgi-bin/user/info?openid=o1",
            gateway.base
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("an answer");
    assert_eq!(answer.status(), StatusCode::TEMPORARY_REDIRECT);
    let location = answer.headers()[header::LOCATION]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(location.contains("/collect?"), "{location}");
    assert!(location.contains("openid=o1"), "{location}");
    assert!(
        !location.contains(TOKEN),
        "the token in Location: {location}"
    );
    assert_eq!(answer.text().await.expect("body"), "moved");
    assert_eq!(
        internal_hits.load(Ordering::SeqCst),
        0,
        "the gateway followed the redirect"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn issue_18_every_answer_is_masked_whatever_its_type_or_size() {
    // Echoes the query (which holds the token) as `type`, `n` times.
    let base = serve(upstream(axum::Router::new().route(
        "/cgi-bin/echo",
        axum::routing::get(|RawQuery(query): RawQuery| async move {
            let query = query.unwrap_or_default();
            let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            let param = |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            let times: usize = param("n").parse().unwrap_or(1);
            let body = format!("[{query}]").repeat(times);
            ([(header::CONTENT_TYPE, param("type"))], body).into_response()
        }),
    )))
    .await;
    let (gateway, _dir) = gateway_for(&base).await;
    for (kind, times) in [
        ("application/json", 1),
        ("text/xml", 1),
        ("application/xml", 1),
        ("application/octet-stream", 1),
        ("application/javascript", 1),
        ("image/jpeg", 1),
        // 3 MiB of JSON and of media: streamed, masked all the same
        ("application/json", 60_000),
        ("application/octet-stream", 60_000),
    ] {
        let answer = get(&gateway, "cgi-bin/echo")
            .query(&[("type", kind), ("n", &times.to_string())])
            .send()
            .await
            .expect("an answer");
        assert_eq!(answer.status(), StatusCode::OK, "{kind}");
        let declared = answer.content_length();
        let body = answer.bytes().await.expect("body");
        let text = String::from_utf8_lossy(&body);
        assert!(
            !text.contains(TOKEN),
            "{kind} ×{times}: the token came through"
        );
        assert!(
            text.contains(&"*".repeat(TOKEN.len())),
            "{kind} ×{times}: masked in place"
        );
        assert!(text.contains("n="), "{kind}: the rest is kept");
        if let Some(declared) = declared {
            assert_eq!(
                declared,
                body.len() as u64,
                "{kind}: Content-Length stays true"
            );
        }
    }
    gateway.stop().await;
}

#[tokio::test]
async fn issue_18_a_big_answer_streams_through_before_it_ends() {
    // 2 MiB of chunked text with the token across chunk boundaries, then a wait for the test
    // to let it end.
    let release = Arc::new(Notify::new());
    let hold = Arc::clone(&release);
    let base = serve(upstream(axum::Router::new().route(
        "/cgi-bin/big",
        axum::routing::get(move |RawQuery(query): RawQuery| {
            let hold = Arc::clone(&hold);
            async move {
                let query = query.unwrap_or_default();
                let token = form_urlencoded::parse(query.as_bytes())
                    .find(|(k, _)| k == "access_token")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default();
                let mut text = Vec::new();
                while text.len() < 2 * 1024 * 1024 {
                    text.extend_from_slice(b"0123456789 ");
                    text.extend_from_slice(token.as_bytes());
                    text.push(b' ');
                }
                // chunks of 1,000 bytes: the token straddles many boundaries
                let chunks: Vec<Bytes> = text.chunks(1000).map(Bytes::copy_from_slice).collect();
                let head = futures::stream::iter(chunks).map(Ok::<_, std::io::Error>);
                let tail = futures::stream::once(async move {
                    hold.notified().await;
                    Ok(Bytes::from_static(b"THE END"))
                });
                Response::builder()
                    .header(header::CONTENT_TYPE, "text/plain")
                    .body(Body::from_stream(head.chain(tail)))
                    .expect("response")
            }
        }),
    )))
    .await;
    let (gateway, _dir) = gateway_for(&base).await;
    let answer = get(&gateway, "cgi-bin/big").send().await.expect("the head");
    assert_eq!(answer.status(), StatusCode::OK);
    let mut answer = answer;
    let mut got = Vec::new();
    // The upstream has not finished: what arrives came through without being held whole.
    while got.len() < 1024 * 1024 {
        let chunk = tokio::time::timeout(Duration::from_secs(10), answer.chunk())
            .await
            .expect("the first MiB arrives before the upstream ends (the answer is buffered)")
            .expect("a chunk")
            .expect("more");
        got.extend_from_slice(&chunk);
    }
    release.notify_one();
    while let Some(chunk) = answer.chunk().await.expect("a chunk") {
        got.extend_from_slice(&chunk);
    }
    assert!(got.ends_with(b"THE END"));
    let text = String::from_utf8_lossy(&got);
    assert!(!text.contains(TOKEN), "the token came through");
    let masked = text.matches(&"*".repeat(TOKEN.len())).count();
    assert!(masked > 50_000, "every occurrence masked: {masked}");
    gateway.stop().await;
}
