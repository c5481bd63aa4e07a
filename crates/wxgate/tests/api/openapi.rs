//! `GET /api/openapi.json`: served without auth, OpenAPI 3.1, every `/api` call of the
//! contract in it; and schemathesis, run against a live gateway (the mock WeChat API behind
//! it, some pushes and a QR code recorded), finds no server error, no undocumented status and
//! no answer off its schema.
//!
//! schemathesis is a Python tool from PyPI; `.ci/schemathesis-venv` (run by `.ci/run`) installs
//! it into `target/schemathesis-venv`. Without it the fuzzing test prints a note and passes,
//! unless `CI` is set: then it fails.
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{dir, mock, qr_event, write_config, Gateway, ADMIN_TOKEN};

/// Every `/api` call of the contract (section 5) that this gateway serves, as the document
/// names it: `(method, path)`. A new endpoint is added here when it is annotated.
const CONTRACT_CALLS: &[(&str, &str)] = &[
    ("get", "/api/followers/{openid}"),
    ("delete", "/api/followers/{openid}"),
    ("get", "/api/followers"),
    ("get", "/api/events"),
    ("get", "/api/stats"),
    ("get", "/api/stats/daily"),
    ("post", "/api/qrcodes"),
    ("get", "/api/qrcodes"),
    ("get", "/api/qrcodes/{file}"),
    ("get", "/api/menu"),
    ("put", "/api/menu"),
    ("delete", "/api/menu"),
    ("get", "/api/access_token"),
    ("get", "/api/accounts"),
    ("delete", "/api/accounts/{name}"),
    ("get", "/api/wechat/{path}"),
    ("post", "/api/wechat/{path}"),
    ("post", "/api/messages/template"),
    ("get", "/api/messages/{id}"),
    ("get", "/api/jssdk/config"),
    ("get", "/api/jssdk/ticket"),
    ("post", "/api/oauth/redeem"),
    ("get", "/api/open/authorize_url"),
    ("get", "/api/open/authorizers"),
    ("post", "/api/open/authorizers/sync"),
    ("get", "/api/open/component_access_token"),
    ("get", "/api/openapi.json"),
];

/// Test cases schemathesis generates per operation and phase: bounds the run's time (about
/// half a minute on two cores).
const MAX_EXAMPLES: &str = "100";
/// A fixed seed: CI runs the same cases every time (set `WXGATE_SCHEMATHESIS_SEED` to explore).
const SEED: &str = "20260101";
/// The whole run is cut (and fails) after this.
const RUN_LIMIT: Duration = Duration::from_secs(20 * 60);

#[tokio::test]
async fn the_document_is_served_without_auth_and_names_every_call() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let response = gateway
        .http
        .get(format!("{}/api/openapi.json", gateway.base))
        .send()
        .await
        .expect("document fetched");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let doc: Value = response.json().await.expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["security"], serde_json::json!([{ "bearer": [] }]));
    let paths = doc["paths"].as_object().expect("paths");
    for (method, path) in CONTRACT_CALLS {
        let operation = &paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} documented"))[*method];
        assert!(operation.is_object(), "{method} {path} documented");
    }
    let documented: usize = paths
        .values()
        .map(|item| item.as_object().map_or(0, |ops| ops.len()))
        .sum();
    assert_eq!(
        documented,
        CONTRACT_CALLS.len(),
        "every documented call is in CONTRACT_CALLS"
    );
    // The other calls still need the token.
    let response = gateway
        .http
        .get(format!("{}/api/stats", gateway.base))
        .send()
        .await
        .expect("stats");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    gateway.stop().await;
}

/// The schemathesis executable: `WXGATE_SCHEMATHESIS`, else the venv `.ci/setup` makes in
/// the target folder (on Python 3.12+: schemathesis trips a CPython 3.11 bug), else the
/// `PATH`'s.
fn schemathesis() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("WXGATE_SCHEMATHESIS") {
        return Some(PathBuf::from(path));
    }
    crate::tools::in_target("schemathesis-venv/bin/schemathesis")
        .or_else(|| crate::tools::on_path("schemathesis", &[]))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_undocumented_status_or_off_schema_answer() {
    let Some(schemathesis) = schemathesis() else {
        crate::tools::missing("schemathesis (target/schemathesis-venv)");
    };
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    seed(&gateway).await;

    let seed = std::env::var("WXGATE_SCHEMATHESIS_SEED").unwrap_or_else(|_| SEED.to_string());
    let started = Instant::now();
    let mut command = tokio::process::Command::new(schemathesis);
    command
        .arg("run")
        .arg(format!("{}/api/openapi.json", gateway.base))
        .args(["--url", &gateway.base])
        .args(["--header", &format!("Authorization: Bearer {ADMIN_TOKEN}")])
        // Every check but positive_data_acceptance: WeChat's limits that span fields (a
        // permanent code's scene range, no expire_seconds on a permanent code) or count UTF-8
        // bytes (menu names) cannot be said in JSON Schema, so some schema-valid bodies are
        // refused, with a documented 400 naming the limit.
        .args(["--checks", "all"])
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args(["--max-examples", MAX_EXAMPLES])
        .args(["--seed", &seed])
        .args(["--workers", "2"])
        .args(["--request-timeout", "10"])
        .arg("--no-shrink")
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_TELEMETRY", "false")
        // Its cache and reports land in the test's temporary directory.
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(RUN_LIMIT, command.output())
        .await
        .expect("schemathesis finished in time")
        .expect("schemathesis ran");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!(
        "schemathesis ran {:.0} s:\n{}",
        started.elapsed().as_secs_f64(),
        tail(&stdout, 60)
    );
    assert!(
        output.status.success(),
        "schemathesis found problems (exit {:?}):\n{stdout}\n{stderr}",
        output.status.code()
    );
    gateway.stop().await;
}

/// Records for every answer to have something to show: followers (one with a location), events
/// with and without a reply, scene counters and a QR code, a menu.
async fn seed(gateway: &Gateway) {
    let (status, _) = gateway
        .json(
            Method::POST,
            "/qrcodes",
            Some(r#"{"scene": "42", "label": "poster"}"#),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = gateway
        .json(
            Method::PUT,
            "/menu",
            Some(r#"{"button": [{"type": "click", "name": "Today", "key": "TODAY"}]}"#),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    gateway
        .push(&qr_event("oFuzzFollower0001", "subscribe", "42"))
        .await;
    gateway
        .push(&qr_event("oFuzzFollower0002", "SCAN", "42"))
        .await;
    gateway
        .push(
            "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
             <FromUserName><![CDATA[oFuzzFollower0001]]></FromUserName>\
             <CreateTime>1700000100</CreateTime><MsgType><![CDATA[event]]></MsgType>\
             <Event><![CDATA[LOCATION]]></Event><Latitude>23.137466</Latitude>\
             <Longitude>113.352425</Longitude><Precision>119.385040</Precision></xml>",
        )
        .await;
    gateway
        .push(
            "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
             <FromUserName><![CDATA[oFuzzFollower0002]]></FromUserName>\
             <CreateTime>1700000200</CreateTime><MsgType><![CDATA[text]]></MsgType>\
             <Content><![CDATA[hello]]></Content><MsgId>7001</MsgId></xml>",
        )
        .await;
}

/// The last `n` lines of `text`.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
