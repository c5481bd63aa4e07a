//! What the gateway remembers (followers, scenes, locations, events, counters) and how it
//! forgets (unsubscribe, DELETE /api/followers/{openid}).
use std::path::Path;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

fn scene<'a>(stats: &'a Value, name: &str) -> Option<&'a Value> {
    stats["scenes"]
        .as_array()
        .expect("scenes array")
        .iter()
        .find(|s| s["scene"] == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_scene_location_and_last_seen() {
    let app = spawn_app("").await;
    let u = fresh_openid("fol");
    assert_eq!(
        app.push(&event_xml(&u, "subscribe", Some("qrscene_poster-7"), now()))
            .await
            .status,
        200
    );
    let (status, f) = app.follower(&u).await;
    assert_eq!(status, 200, "{f}");
    assert_eq!(f["openid"], u.as_str());
    assert_eq!(f["subscribed"], true);
    assert_eq!(f["scene"], "poster-7", "qrscene_ must be stripped");
    assert!(f["location"].is_null());
    assert_rfc3339_utc(&f["subscribed_at"], "subscribed_at");
    assert_rfc3339_utc(&f["last_seen_at"], "last_seen_at");

    assert_eq!(
        app.push(&location_event_xml(
            &u,
            "23.137466",
            "113.352425",
            "119.385040",
            now() + 1
        ))
        .await
        .status,
        200
    );
    let (_, f) = app.follower(&u).await;
    let loc = &f["location"];
    assert!(
        (loc["latitude"].as_f64().expect("latitude is a number") - 23.137466).abs() < 1e-6,
        "{loc}"
    );
    assert!(
        (loc["longitude"].as_f64().expect("longitude is a number") - 113.352425).abs() < 1e-6,
        "{loc}"
    );
    assert!(
        (loc["precision"].as_f64().expect("precision is a number") - 119.38504).abs() < 1e-6,
        "{loc}"
    );
    assert_rfc3339_utc(&loc["reported_at"], "reported_at");
    // the last one reported wins
    assert_eq!(
        app.push(&location_event_xml(&u, "1.5", "2.5", "10", now() + 2))
            .await
            .status,
        200
    );
    let (_, f) = app.follower(&u).await;
    assert_eq!(f["location"]["latitude"].as_f64(), Some(1.5));
    assert_eq!(f["location"]["longitude"].as_f64(), Some(2.5));
    // the scene stays that of the subscribe
    assert_eq!(f["scene"], "poster-7");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_push_creates_a_subscribed_follower() {
    let app = spawn_app("").await;
    let u = fresh_openid("msgonly");
    assert_eq!(app.follower(&u).await.0, 404);
    assert_eq!(
        app.push(&text_xml(&u, "hi", fresh_msg_id())).await.status,
        200
    );
    let (status, f) = app.follower(&u).await;
    assert_eq!(status, 200);
    assert_eq!(f["subscribed"], true);
    assert!(
        f["subscribed_at"].is_null(),
        "never seen subscribing: subscribed_at null, got {f}"
    );
    assert!(f["scene"].is_null());
    assert_rfc3339_utc(&f["last_seen_at"], "last_seen_at");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_of_an_unknown_user_creates_nothing() {
    let app = spawn_app("").await;
    let u = fresh_openid("ghost");
    assert_eq!(
        app.push(&event_xml(&u, "unsubscribe", None, now()))
            .await
            .status,
        200
    );
    assert_eq!(app.follower(&u).await.0, 404);
    assert!(app.events_of(&u).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scene_counters_count_subscribes_and_scans_without_openids() {
    let app = spawn_app("").await;
    let (a, b) = (fresh_openid("cnt"), fresh_openid("cnt"));
    let t = now();
    app.push(&event_xml(&a, "subscribe", Some("qrscene_42"), t))
        .await;
    app.push(&event_xml(&b, "subscribe", Some("qrscene_42"), t))
        .await;
    app.push(&event_xml(&a, "SCAN", Some("42"), t + 1)).await;
    app.push(&event_xml(&b, "SCAN", Some("shop"), t + 1)).await;
    let (status, stats) = app.get("/api/stats").await;
    assert_eq!(status, 200);
    let s42 = scene(&stats, "42").unwrap_or_else(|| panic!("scene 42 (a string) in {stats}"));
    assert_eq!(s42["subscribes"], 2);
    assert_eq!(s42["scans"], 1);
    let shop = scene(&stats, "shop").expect("scene shop");
    assert_eq!(shop["subscribes"], 0);
    assert_eq!(shop["scans"], 1);
    assert_eq!(stats["followers"]["subscribed"], 2);
    assert_eq!(stats["followers"]["total"], 2);
    assert_eq!(stats["events"], 4);
    let text = stats.to_string();
    assert!(
        !text.contains(&a) && !text.contains(&b),
        "stats hold an openid: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_stats_count_follows_unfollows_and_scans_per_day_and_scene() {
    let app = spawn_app("").await;
    let (a, b) = (fresh_openid("day"), fresh_openid("day"));
    let t = now();
    app.push(&event_xml(&a, "subscribe", Some("qrscene_7"), t))
        .await;
    app.push(&event_xml(&b, "subscribe", None, t)).await;
    app.push(&event_xml(&a, "SCAN", Some("7"), t + 1)).await;
    app.push(&event_xml(&a, "unsubscribe", None, t + 2)).await;

    let (status, daily) = app.get("/api/stats/daily").await;
    assert_eq!(status, 200, "{daily}");
    let days = daily["days"].as_array().expect("days");
    assert_eq!(days.len(), 30, "30 days by default");
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let last = &days[29];
    assert_eq!(
        last["day"],
        today.as_str(),
        "the last day is today: {daily}"
    );
    assert_eq!(
        (
            &last["subscribes"],
            &last["unsubscribes"],
            &last["scans"],
            &last["events"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!(1),
            &serde_json::json!(1),
            &serde_json::json!(4)
        )
    );
    assert_eq!(days[0]["events"], 0, "every day present, zeros too");

    let (_, scene) = app.get("/api/stats/daily?days=2&scene=7").await;
    let days = scene["days"].as_array().expect("days");
    assert_eq!(days.len(), 2);
    assert_eq!(
        (&days[1]["subscribes"], &days[1]["unsubscribes"]),
        (&serde_json::json!(1), &serde_json::json!(1))
    );
    let (_, stats) = app.get("/api/stats").await;
    assert_eq!(
        scene_of(&stats, "7")["unsubscribes"],
        1,
        "counted before a was forgotten"
    );
    assert!(!daily.to_string().contains(&a), "no openid in the counters");

    for bad in ["0", "367", "x"] {
        let (status, body) = app.get(&format!("/api/stats/daily?days={bad}")).await;
        assert_eq!(status, 400, "days={bad}: {body}");
    }
}

fn scene_of<'a>(stats: &'a Value, name: &str) -> &'a Value {
    scene(stats, name).unwrap_or_else(|| panic!("scene {name} in {stats}"))
}

/// Every file of the database, concatenated.
fn db_bytes(dir: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("wx.db")
        {
            all.extend(std::fs::read(&path).unwrap());
        }
    }
    all
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribe_forgets_the_user_at_once_and_keeps_the_counters() {
    let app = spawn_app(
        "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"hi {openid}\" }\n",
    )
    .await;
    let u = fresh_openid("forget");
    let other = fresh_openid("keep");
    let t = now();
    app.push(&event_xml(&u, "subscribe", Some("qrscene_forgetme"), t))
        .await;
    app.push(&location_event_xml(&u, "10", "20", "5", t + 1))
        .await;
    let marker = format!("raw-marker-{u}");
    assert_eq!(
        app.push(&text_xml(&u, &marker, fresh_msg_id()))
            .await
            .status,
        200
    );
    app.push(&event_xml(&u, "SCAN", Some("forgetme"), t + 2))
        .await;
    app.push(&text_xml(&other, "stay", fresh_msg_id())).await;
    assert_eq!(app.events_of(&u).await.len(), 4);
    // the raw XML is stored (CDATA as sent, which the JSON fields do not keep)
    assert!(
        contains(&db_bytes(app.dir.path()), &format!("<![CDATA[{marker}]]>")),
        "raw XML not in the database"
    );

    let a = app.push(&event_xml(&u, "unsubscribe", None, t + 3)).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), "success");
    // at once: no waiting
    assert_eq!(app.follower(&u).await.0, 404);
    assert!(app.events_of(&u).await.is_empty());
    let all = app.events("limit=1000").await;
    assert!(
        all.iter().all(|e| e["openid"] != u.as_str()),
        "an event of the forgotten user is listed"
    );
    assert!(
        !all.iter().any(|e| e.to_string().contains(&u)),
        "the openid is still in some event"
    );
    assert_eq!(app.events_of(&other).await.len(), 1, "other users are kept");
    let (_, stats) = app.get("/api/stats").await;
    let s = scene(&stats, "forgetme").expect("counters stay");
    assert_eq!(s["subscribes"], 1);
    assert_eq!(s["scans"], 1);

    // nor recoverable from the database files
    let (dir, _) = app.stop().await;
    let bytes = db_bytes(dir.path());
    assert!(
        !contains(&bytes, &u),
        "the forgotten openid is still in the database files"
    );
    assert!(
        !contains(&bytes, &marker),
        "the forgotten user's message is still in the database files"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_follower_forgets_at_once() {
    let app = spawn_app("").await;
    let u = fresh_openid("del");
    let t = now();
    app.push(&event_xml(&u, "subscribe", Some("qrscene_api"), t))
        .await;
    app.push(&text_xml(&u, "something", fresh_msg_id())).await;
    assert_eq!(app.follower(&u).await.0, 200);
    let (status, _) = app
        .api(Method::DELETE, &format!("/api/followers/{u}"))
        .await;
    assert_eq!(status, 204);
    let (status, body) = app.follower(&u).await;
    assert_eq!(status, 404);
    assert!(body["error"].is_string(), "error body: {body}");
    assert!(app.events_of(&u).await.is_empty());
    let (_, stats) = app.get("/api/stats").await;
    assert_eq!(scene(&stats, "api").expect("counter kept")["subscribes"], 1);
    // unknown openid: 204 too
    let (status, _) = app.api(Method::DELETE, "/api/followers/oNobodyAtAll").await;
    assert_eq!(status, 204);
    // a later push creates the follower afresh
    app.push(&text_xml(&u, "back", fresh_msg_id())).await;
    assert_eq!(app.events_of(&u).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_keep_typed_fields_nested_and_in_order() {
    let app = spawn_app("").await;
    let u = fresh_openid("nested");
    let xml = format!(
        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{u}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[pic_weixin]]></Event>\
         <EventKey><![CDATA[k1]]></EventKey><SendPicsInfo><Count>2</Count><PicList><item><PicMd5Sum><![CDATA[aa]]></PicMd5Sum></item>\
         <item><PicMd5Sum><![CDATA[bb]]></PicMd5Sum></item></PicList></SendPicsInfo></xml>",
        now()
    );
    assert_eq!(app.push(&xml).await.status, 200);
    let e = &app.events_of(&u).await[0];
    assert_eq!(e["event"], "pic_weixin");
    assert_eq!(e["event_key"], "k1");
    assert_eq!(e["fields"]["SendPicsInfo"]["Count"], "2");
    let items = e["fields"]["SendPicsInfo"]["PicList"]["item"]
        .as_array()
        .expect("item array");
    assert_eq!(items.len(), 2);
    assert_eq!(items[1]["PicMd5Sum"], "bb");
}
