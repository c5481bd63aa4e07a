//! `wxgate qrcode list` and `GET /api/qrcodes` show each code's follows, scans and unfollows,
//! and both agree with the store's per-scene counters (`GET /api/stats`).
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{dir, mock, qr_event, text, write_config, wxgate, Gateway};

/// An `unsubscribe` push of `openid` (no EventKey, as WeChat sends it).
fn unsubscribe(openid: &str, time: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
         <FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{time}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event></xml>"
    )
}

#[tokio::test]
async fn qrcode_list_and_the_api_show_follows_scans_and_unfollows_of_each_code() {
    let mock = mock().await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    for body in [
        r#"{"scene": "42", "label": "poster"}"#,
        r#"{"scene": "shop-window", "permanent": true}"#,
        r#"{"scene": "unused"}"#,
    ] {
        let (status, _) = gateway.json(Method::POST, "/qrcodes", Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    // 42: three follow, one of them scans again, two unfollow. shop-window: one follows, one
    // follower scans; nobody leaves.
    let users = ["oCountA", "oCountB", "oCountC", "oCountD", "oCountE"];
    for user in &users[..3] {
        gateway.push(&qr_event(user, "subscribe", "42")).await;
    }
    gateway.push(&qr_event(users[0], "SCAN", "42")).await;
    gateway.push(&unsubscribe(users[1], 1_800_000_001)).await;
    gateway.push(&unsubscribe(users[2], 1_800_000_002)).await;
    gateway
        .push(&qr_event(users[3], "subscribe", "shop-window"))
        .await;
    gateway
        .push(&qr_event(users[4], "SCAN", "shop-window"))
        .await;

    let expected = [
        ("42", (3, 1, 2)),
        ("shop-window", (1, 1, 0)),
        ("unused", (0, 0, 0)),
    ];
    let (status, list) = gateway.json(Method::GET, "/qrcodes", None).await;
    assert_eq!(status, StatusCode::OK);
    let (_, stats) = gateway.json(Method::GET, "/stats", None).await;
    gateway.stop().await;
    let counts = |items: &Value, scene: &str| {
        let item = items
            .as_array()
            .and_then(|items| items.iter().find(|i| i["scene"] == scene))
            .unwrap_or_else(|| panic!("{scene} listed: {items}"));
        (
            item["subscribes"].clone(),
            item["scans"].clone(),
            item["unsubscribes"].clone(),
        )
    };
    for (scene, (follows, scans, unfollows)) in expected {
        let want = (json!(follows), json!(scans), json!(unfollows));
        assert_eq!(counts(&list["qrcodes"], scene), want, "API code {scene}");
        assert_eq!(
            counts(&stats["scenes"], scene),
            want,
            "store counters {scene}"
        );
    }

    let output = wxgate(&config, &["qrcode", "list"]).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    assert_eq!(
        header,
        [
            "SCENE",
            "LABEL",
            "KIND",
            "FOLLOWS",
            "SCANS",
            "UNFOLLOWS",
            "EXPIRES"
        ]
    );
    for (scene, (follows, scans, unfollows)) in expected {
        let row: Vec<&str> = stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(scene))
            .unwrap_or_else(|| panic!("{scene} in {stdout}"))
            .split_whitespace()
            .collect();
        assert_eq!(
            row[3..6],
            [
                follows.to_string(),
                scans.to_string(),
                unfollows.to_string()
            ],
            "{scene}: {stdout}"
        );
    }
}
