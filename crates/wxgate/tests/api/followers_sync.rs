//! `wxgate followers sync` (the real binary) against `mock-api`'s followers: 25,000 of them
//! end to end (timed), a sync cut off by the daily quota and resumed, followers gone from the
//! list counted as unsubscribes and forgotten.
use std::path::Path;
use std::time::Instant;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use wechat_mock::{MockConfig, MockServer};

use crate::helpers::{dir, qr_event, text, write_config, wxgate, Gateway, APPID, APPSECRET};

async fn mock_with(followers: u32) -> MockServer {
    MockServer::spawn(MockConfig {
        appid: APPID.into(),
        appsecret: APPSECRET.into(),
        followers,
        ..MockConfig::default()
    })
    .await
    .expect("mock starts")
}

/// The generated openid `i` of the mock (`oMock` + 23 digits).
fn openid(i: u32) -> String {
    format!("oMock{i:023}")
}

async fn follower(gateway: &Gateway, openid: &str) -> (StatusCode, Value) {
    gateway
        .json(Method::GET, &format!("/followers/{openid}"), None)
        .await
}

async fn stats(dir: &Path) -> Value {
    let gateway = Gateway::start(dir).await;
    let (_, stats) = gateway.json(Method::GET, "/stats", None).await;
    gateway.stop().await;
    stats
}

fn scene_subscribes(stats: &Value, scene: &str) -> i64 {
    scene_count(stats, scene, "subscribes")
}

/// Counter `what` of `scene` in `/api/stats` (0 when the scene is not there).
fn scene_count(stats: &Value, scene: &str, what: &str) -> i64 {
    stats["scenes"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["scene"] == scene))
        .and_then(|s| s[what].as_i64())
        .unwrap_or(0)
}

/// `/api/stats/daily?days=2` (today and yesterday: a test run across midnight UTC too)
/// summed, `query` appended: (subscribes, unsubscribes, events).
async fn last_two_days(dir: &Path, query: &str) -> (i64, i64, i64) {
    let gateway = Gateway::start(dir).await;
    let (status, daily) = gateway
        .json(Method::GET, &format!("/stats/daily?days=2{query}"), None)
        .await;
    gateway.stop().await;
    assert_eq!(status, StatusCode::OK, "{daily}");
    let days = daily["days"].as_array().expect("days");
    let sum = |what: &str| days.iter().filter_map(|d| d[what].as_i64()).sum::<i64>();
    (sum("subscribes"), sum("unsubscribes"), sum("events"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_five_thousand_followers_are_synced_with_their_scenes() {
    let mock = mock_with(25_000).await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), true);
    let started = Instant::now();
    let output = wxgate(&config, &["followers", "sync"]).await;
    let elapsed = started.elapsed();
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    eprintln!("followers sync of 25,000: {:.2} s", elapsed.as_secs_f64());
    assert!(stdout.contains("synced 25000 followers"), "{stdout}");
    assert!(stdout.contains("25000 new"), "{stdout}");
    assert!(
        stderr.contains("followers sync: 10000/25000"),
        "plain progress: {stderr}"
    );
    // 3 pages and the empty one, 250 batches of 100, one token.
    assert_eq!(mock.state.requests(), 1 + 4 + 250);

    let stats = stats(dir.path()).await;
    assert_eq!(stats["followers"]["total"], 25_000);
    assert_eq!(stats["followers"]["subscribed"], 25_000);
    // Followers i % 5 == 0, 2 came through scene 100 + i % 3, i % 5 == 4 through "poster-a".
    assert_eq!(scene_subscribes(&stats, "poster-a"), 5_000);
    let numbered: i64 = ["100", "101", "102"]
        .iter()
        .map(|s| scene_subscribes(&stats, s))
        .sum();
    assert_eq!(numbered, 10_000);

    let gateway = Gateway::start(dir.path()).await;
    let (status, one) = follower(&gateway, &openid(4)).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["source"], "sync");
    assert_eq!(one["scene"], "poster-a");
    assert_eq!(one["subscribe_scene"], "ADD_SCENE_QR_CODE");
    assert_eq!(one["unionid"], format!("u_{}", openid(4)));
    assert_eq!(one["subscribed"], true);
    assert_eq!(one["subscribed_at"], "2020-09-13T12:30:40Z");
    let (_, searched) = follower(&gateway, &openid(1)).await;
    assert_eq!(searched["scene"], Value::Null);
    assert_eq!(searched["subscribe_scene"], "ADD_SCENE_SEARCH");
    gateway.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_stopped_by_the_quota_resumes_where_it_stopped() {
    let mock = mock_with(25_000).await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), true);
    // The first page (1 + 100 calls) and 50 batches of the second go through.
    mock.state.set_quota(Some(151));
    let output = wxgate(&config, &["followers", "sync"]).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stderr.contains("45009"), "{stderr}");
    assert!(stderr.contains("resumes"), "{stderr}");
    let before = mock.state.requests();

    mock.state.set_quota(None);
    let output = wxgate(&config, &["followers", "sync"]).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("synced 25000 followers (resumed)"),
        "{stdout}"
    );
    // The second page again (100 batches), the third (50), the empty one: 3 + 150 calls,
    // not the 255 of a sync from the start.
    assert_eq!(mock.state.requests() - before, 3 + 150);
    let stats = stats(dir.path()).await;
    assert_eq!(stats["followers"]["total"], 25_000);
    assert_eq!(
        scene_subscribes(&stats, "poster-a"),
        5_000,
        "the page fetched twice is counted once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_gone_from_the_list_are_forgotten() {
    let mock = mock_with(5).await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    gateway.push(&qr_event("oPushOnly", "subscribe", "9")).await;
    gateway.push(&qr_event(&openid(3), "subscribe", "7")).await;
    gateway.stop().await;

    let output = wxgate(&config, &["followers", "sync"]).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("4 new, 1 no longer following forgotten"),
        "{stdout}"
    );
    // oPushOnly unsubscribed unseen: counted against scene 9, as the push would have been.
    let counted = stats(dir.path()).await;
    assert_eq!(scene_count(&counted, "9", "subscribes"), 1, "{counted}");
    assert_eq!(scene_count(&counted, "9", "unsubscribes"), 1, "{counted}");

    mock.state.remove_follower(&openid(2));
    let output = wxgate(&config, &["followers", "sync"]).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("synced 4 followers"), "{stdout}");
    // A third sync finds nobody else gone and counts nothing again.
    let output = wxgate(&config, &["followers", "sync"]).await;
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}\n{stderr}");

    // Follower 2 came through scene 102 (mock: i % 5 == 2 → 100 + i % 3).
    let counted = stats(dir.path()).await;
    for (scene, subscribes, unsubscribes) in [("9", 1, 1), ("102", 1, 1), ("7", 1, 0)] {
        assert_eq!(
            (
                scene_count(&counted, scene, "subscribes"),
                scene_count(&counted, scene, "unsubscribes")
            ),
            (subscribes, unsubscribes),
            "scene {scene}: {counted}"
        );
    }
    // Today's counters: the two subscribe pushes (synced followers count under their scene
    // only), the two unsubscribes the syncs found, no event for those (none was received).
    assert_eq!(last_two_days(dir.path(), "").await, (2, 2, 2));
    assert_eq!(last_two_days(dir.path(), "&scene=102").await, (0, 1, 2));

    let gateway = Gateway::start(dir.path()).await;
    for (who, expected) in [
        ("oPushOnly".to_string(), StatusCode::NOT_FOUND),
        (openid(2), StatusCode::NOT_FOUND),
        (openid(0), StatusCode::OK),
        (openid(4), StatusCode::OK),
    ] {
        let (status, answer) = follower(&gateway, &who).await;
        assert_eq!(status, expected, "{who}: {answer}");
    }
    let (_, pushed) = follower(&gateway, &openid(3)).await;
    assert_eq!(pushed["source"], "push", "{pushed}");
    assert_eq!(pushed["scene"], "7", "the push's scene is kept");
    assert_eq!(pushed["subscribe_scene"], "ADD_SCENE_PROFILE_CARD");
    gateway.stop().await;
}
