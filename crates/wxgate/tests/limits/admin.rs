//! Issue 9 item 6: the admin API against guessing, and JSON on every `/api` answer.
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_9_repeated_failed_sign_ins_get_429() {
    let _serial = crate::SERIAL.lock().await;
    let app = spawn_app("").await;
    let call = |token: &'static str| {
        let (http, url) = (app.http.clone(), app.url("/api/stats"));
        async move { http.get(url).bearer_auth(token).send().await.unwrap() }
    };
    for i in 0..10 {
        assert_eq!(call("guess").await.status(), 401, "attempt {i}");
    }
    let r = call("guess").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert!(body["error"].is_string(), "{body}");
    // Locked out: the right token too, until the window ends.
    assert_eq!(call(ADMIN_TOKEN).await.status(), 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_9_the_bearer_scheme_is_matched_in_any_case() {
    let _serial = crate::SERIAL.lock().await;
    let app = spawn_app("").await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let r = app
            .http
            .get(app.url("/api/stats"))
            .header("authorization", format!("{scheme} {ADMIN_TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{scheme}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_9_every_api_answer_is_json_and_not_cached() {
    let _serial = crate::SERIAL.lock().await;
    let app = spawn_app("").await;
    let cases: &[(reqwest::Method, &str, Option<&str>, u16)] = &[
        (reqwest::Method::GET, "/api/stats", None, 200),
        (reqwest::Method::GET, "/api/events?limit=abc", None, 400),
        (
            reqwest::Method::GET,
            "/api/followers?subscribed=maybe",
            None,
            400,
        ),
        (reqwest::Method::PUT, "/api/menu", Some("{not json"), 0),
        (reqwest::Method::POST, "/api/qrcodes", Some("[1,2"), 0),
        (reqwest::Method::GET, "/api/no-such-thing", None, 404),
        (reqwest::Method::DELETE, "/api/stats", None, 405),
        (reqwest::Method::PATCH, "/api/followers", None, 405),
    ];
    for (method, path, body, want) in cases {
        let mut req = app
            .http
            .request(method.clone(), app.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .timeout(Duration::from_secs(10));
        if let Some(body) = body {
            req = req.header("content-type", "application/json").body(*body);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        if *want != 0 {
            assert_eq!(status, *want, "{method} {path}");
        } else {
            assert!((400..500).contains(&status), "{method} {path}: {status}");
        }
        let h = r.headers().clone();
        assert_eq!(h["cache-control"], "no-store", "{method} {path}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{method} {path}");
        let ct = h["content-type"].to_str().unwrap();
        assert!(ct.starts_with("application/json"), "{method} {path}: {ct}");
        let v: Value = r
            .json()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        if status >= 400 {
            assert!(v["error"].is_string(), "{method} {path}: {v}");
        }
    }
    // Unauthenticated answers too.
    let r = app.http.get(app.url("/api/stats")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
}
