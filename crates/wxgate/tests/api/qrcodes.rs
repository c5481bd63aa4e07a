//! `POST /api/qrcodes` (limits, the four kinds), `GET /api/qrcodes` (counts per scene) and
//! the locally drawn `.svg` / `.png`.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{
    decode_png, decode_svg, dir, mock, qr_event, sent_paths, write_config, Gateway,
};

/// Each request body with the error that names the limit it breaks.
pub const LIMIT_CASES: &[(&str, &str)] = &[
    (
        r#"{"scene": 0, "permanent": true}"#,
        "scene: a permanent integer scene must be 1..=100000",
    ),
    (
        r#"{"scene": "100001", "permanent": true}"#,
        "scene: a permanent integer scene must be 1..=100000",
    ),
    (
        r#"{"scene": 0}"#,
        "scene: a temporary integer scene must be 1..=4294967295",
    ),
    (
        r#"{"scene": 4294967296}"#,
        "scene: a temporary integer scene must be 1..=4294967295",
    ),
    (
        r#"{"scene": -5}"#,
        "scene: a temporary integer scene must be 1..=4294967295",
    ),
    (r#"{"scene": ""}"#, "scene: must not be empty"),
    (
        r#"{"scene": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}"#,
        "scene: a string scene must be 1..=64 characters, got 65",
    ),
    (
        r#"{"scene": "a b"}"#,
        "scene: a string scene must be visible ASCII (! to ~), no spaces",
    ),
    (
        r#"{"scene": "海报", "permanent": true}"#,
        "scene: a string scene must be visible ASCII (! to ~), no spaces",
    ),
    (
        r#"{"scene": "x", "expire_seconds": 0}"#,
        "expire_seconds: must be 1..=2592000",
    ),
    (
        r#"{"scene": 9, "expire_seconds": 2592001}"#,
        "expire_seconds: must be 1..=2592000",
    ),
    (
        r#"{"scene": 9, "permanent": true, "expire_seconds": 60}"#,
        "expire_seconds: a permanent code does not expire",
    ),
];

#[tokio::test]
async fn every_limit_is_refused_before_any_call() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    for (body, limit) in LIMIT_CASES {
        let (status, answer) = gateway.json(Method::POST, "/qrcodes", Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer, json!({ "error": limit }), "{body}");
    }
    assert_eq!(
        mock.state.requests(),
        0,
        "no call reached the API, not even for a token"
    );
    let (_, list) = gateway.json(Method::GET, "/qrcodes", None).await;
    assert_eq!(list, json!({ "qrcodes": [] }));
    gateway.stop().await;
}

#[tokio::test]
async fn all_four_kinds_are_created_recorded_and_shown() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let cases = [
        (json!({"scene": 7}), "7", "QR_SCENE", Some(2_592_000)),
        (
            json!({"scene": "poster-a", "expire_seconds": 600}),
            "poster-a",
            "QR_STR_SCENE",
            Some(600),
        ),
        (
            json!({"scene": 100000, "permanent": true}),
            "100000",
            "QR_LIMIT_SCENE",
            None,
        ),
        (
            json!({"scene": "007", "permanent": true, "label": "shop"}),
            "007",
            "QR_LIMIT_STR_SCENE",
            None,
        ),
    ];
    for (body, scene, action, expire) in &cases {
        let (status, code) = gateway
            .json(Method::POST, "/qrcodes", Some(&body.to_string()))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}: {code}");
        assert_eq!(code["scene"], json!(scene), "scenes are JSON strings");
        assert_eq!(code["action_name"], json!(action));
        assert_eq!(code["expire_seconds"], json!(expire));
        assert_eq!(code["expires_at"].is_string(), expire.is_some(), "{code}");
        assert!(
            code["created_at"]
                .as_str()
                .is_some_and(|t| t.ends_with('Z')),
            "{code}"
        );
        let ticket = code["ticket"].as_str().expect("ticket");
        assert!(
            code["url"].as_str().is_some_and(|u| u.starts_with("http")),
            "{code}"
        );
        let show_url = code["show_url"].as_str().expect("show_url");
        assert!(show_url.starts_with(&format!("{}/cgi-bin/showqrcode?ticket=", mock.base_url())));
        let picture = reqwest::get(show_url).await.expect("showqrcode");
        assert_eq!(
            picture.status(),
            StatusCode::OK,
            "the ticket {ticket} is known to the API"
        );
    }
    let bodies: Vec<Value> = mock.state.sent().into_iter().map(|c| c.body).collect();
    assert_eq!(bodies.len(), 4);
    assert_eq!(
        bodies[0],
        json!({"expire_seconds": 2592000, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 7}}})
    );
    assert_eq!(
        bodies[3],
        json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "007"}}})
    );
    let (status, list) = gateway.json(Method::GET, "/qrcodes", None).await;
    assert_eq!(status, StatusCode::OK);
    let codes = list["qrcodes"].as_array().expect("qrcodes");
    assert_eq!(codes.len(), 4);
    let shop = codes
        .iter()
        .find(|c| c["scene"] == "007")
        .expect("007 listed");
    assert_eq!(
        (&shop["label"], &shop["subscribes"], &shop["scans"]),
        (&json!("shop"), &json!(0), &json!(0))
    );
    gateway.stop().await;
}

#[tokio::test]
async fn follows_and_scans_are_counted_per_scene() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    for body in [
        r#"{"scene": "42", "label": "poster"}"#,
        r#"{"scene": "shop-window", "permanent": true}"#,
    ] {
        let (status, _) = gateway.json(Method::POST, "/qrcodes", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED);
    }
    gateway
        .push(&qr_event("oUserA0000000000000000000001", "subscribe", "42"))
        .await;
    gateway
        .push(&qr_event("oUserB0000000000000000000002", "subscribe", "42"))
        .await;
    gateway
        .push(&qr_event("oUserA0000000000000000000001", "SCAN", "42"))
        .await;
    gateway
        .push(&qr_event(
            "oUserC0000000000000000000003",
            "SCAN",
            "shop-window",
        ))
        .await;
    let (_, list) = gateway.json(Method::GET, "/qrcodes", None).await;
    let counts = |scene: &str| {
        let code = list["qrcodes"]
            .as_array()
            .and_then(|codes| codes.iter().find(|c| c["scene"] == scene))
            .unwrap_or_else(|| panic!("{scene} listed: {list}"));
        (code["subscribes"].clone(), code["scans"].clone())
    };
    assert_eq!(counts("42"), (json!(2), json!(1)));
    assert_eq!(counts("shop-window"), (json!(0), json!(1)));
    gateway.stop().await;
}

#[tokio::test]
async fn svg_and_png_decode_back_to_the_url() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let (_, code) = gateway
        .json(Method::POST, "/qrcodes", Some(r#"{"scene": "poster/7.b"}"#))
        .await;
    let url = code["url"].as_str().expect("url");
    let (status, svg) = gateway
        .call(Method::GET, "/qrcodes/poster%2F7.b.svg", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(decode_svg(&String::from_utf8_lossy(&svg)), url);
    let (status, png) = gateway
        .call(Method::GET, "/qrcodes/poster%2F7.b.png", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(decode_png(&png), url);
    for missing in [
        "/qrcodes/nope.svg",
        "/qrcodes/poster%2F7.b.gif",
        "/qrcodes/poster%2F7.b",
    ] {
        let (status, _) = gateway.call(Method::GET, missing, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }
    assert_eq!(
        sent_paths(&mock),
        ["/cgi-bin/qrcode/create"],
        "drawn locally, not fetched"
    );
    gateway.stop().await;
}

#[tokio::test]
async fn without_an_appsecret_the_api_endpoints_answer_503() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), false);
    let gateway = Gateway::start(dir.path()).await;
    let expected = json!({ "error": "account.appsecret is not configured" });
    for (method, path, body) in [
        (Method::POST, "/qrcodes", Some(r#"{"scene": 1}"#)),
        (Method::GET, "/menu", None),
        (Method::DELETE, "/menu", None),
        (Method::GET, "/access_token", None),
    ] {
        let (status, answer) = gateway.json(method, path, body).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(answer, expected, "{path}");
    }
    let (status, list) = gateway.json(Method::GET, "/qrcodes", None).await;
    assert_eq!(
        (status, list),
        (StatusCode::OK, json!({ "qrcodes": [] })),
        "the record is still readable"
    );
    assert_eq!(mock.state.requests(), 0);
    gateway.stop().await;
}
