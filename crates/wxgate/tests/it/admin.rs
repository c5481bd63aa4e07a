//! The admin read API: bearer auth, JSON shapes, filters, cursors; /healthz and /metrics.
use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::*;

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_is_404_without_an_admin_token() {
    let app = spawn_app_cfg(Cfg {
        admin: false,
        ..Cfg::default()
    })
    .await;
    for path in [
        "/api/events",
        "/api/followers",
        "/api/stats",
        "/api/followers/oX",
    ] {
        let r = app
            .http
            .get(app.url(path))
            .bearer_auth("anything")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_needs_the_bearer_token() {
    let app = spawn_app("").await;
    for path in [
        "/api/events",
        "/api/followers",
        "/api/stats",
        "/api/followers/oX",
    ] {
        let r = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path} without auth");
        let body: Value = r.json().await.expect("JSON error body");
        assert!(body["error"].is_string(), "{path}: {body}");
        let r = app
            .http
            .get(app.url(path))
            .bearer_auth("wrong-token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path} with a wrong token");
        let r = app
            .http
            .get(app.url(path))
            .header("authorization", format!("Basic {ADMIN_TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{path} with another scheme");
    }
    assert_eq!(app.get("/api/stats").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics_need_no_auth() {
    let app =
        spawn_app("[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"m\" }\n").await;
    let r = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap().trim(), "ok");
    let u = fresh_openid("metrics");
    let xml = text_xml(&u, "count me", fresh_msg_id());
    app.push(&xml).await;
    app.push(&xml).await; // a retry
    app.push(&event_xml(&u, "CLICK", Some("K"), now())).await;
    let r = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    for name in [
        "wxgate_pushes_total{",
        "wxgate_replies_total{",
        "wxgate_retries_total",
        "wxgate_deadline_misses_total",
        "wxgate_push_duration_seconds_bucket",
        "wxgate_push_duration_seconds_count",
    ] {
        assert!(text.contains(name), "/metrics lacks {name}:\n{text}");
    }
    assert!(
        text.contains("# TYPE wxgate_push_duration_seconds histogram"),
        "not a histogram:\n{text}"
    );
    let pushes = text
        .lines()
        .find(|l| l.starts_with("wxgate_pushes_total{") && l.contains("msg_type=\"text\""))
        .expect("text pushes counted");
    assert!(pushes.contains("event="), "{pushes}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("wxgate_replies_total{") && l.contains("kind=\"text\"")),
        "{text}"
    );
    let retries: f64 = text
        .lines()
        .find(|l| l.starts_with("wxgate_retries_total"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .expect("wxgate_retries_total value");
    assert!(retries >= 1.0, "a retry was not counted: {retries}");
}

/// With `[[accounts]]` the contract's counters exist at zero per account from the start, and
/// no unlabelled series stands beside them (the real binary: the recorder is per process).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_with_several_accounts_are_all_labelled() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config_text(
        dir.path(),
        "[[accounts]]\nname = \"one\"\ntoken = \"tok1\"\n\
         [[accounts]]\nname = \"two\"\ntoken = \"tok2\"\n",
    );
    let proc = tokio::task::block_in_place(|| Proc::start(&config));
    let text = reqwest::get(format!("http://{}/metrics", proc.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in ["wxgate_retries_total", "wxgate_deadline_misses_total"] {
        for account in ["one", "two"] {
            let line = format!("{name}{{account=\"{account}\"}} 0");
            assert!(text.lines().any(|l| l == line), "no {line} in:\n{text}");
        }
        assert!(
            !text.lines().any(|l| l.starts_with(&format!("{name} "))),
            "an unlabelled {name} beside the accounts' series:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn follower_json_shape() {
    let app = spawn_app("").await;
    let u = fresh_openid("shape");
    app.push(&event_xml(&u, "subscribe", Some("qrscene_123"), now()))
        .await;
    app.push(&location_event_xml(&u, "1", "2", "3", now() + 1))
        .await;
    let (status, f) = app.follower(&u).await;
    assert_eq!(status, 200);
    assert_eq!(
        keys(&f),
        set(&[
            "openid",
            "subscribed",
            "subscribed_at",
            "scene",
            "location",
            "last_seen_at",
            "unionid",
            "subscribe_scene",
            "source"
        ])
    );
    assert_eq!(f["source"], "push", "{f}");
    assert!(
        f["unionid"].is_null() && f["subscribe_scene"].is_null(),
        "{f}"
    );
    assert_eq!(
        keys(&f["location"]),
        set(&["latitude", "longitude", "precision", "reported_at"])
    );
    assert_eq!(f["scene"], "123", "scenes are JSON strings: {f}");
    for k in ["subscribed_at", "last_seen_at"] {
        assert_rfc3339_utc(&f[k], k);
    }
    let (status, body) = app.follower("oUnknownOpenId").await;
    assert_eq!(status, 404);
    assert_eq!(keys(&body), set(&["error"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_json_shape_filters_and_paging() {
    let app =
        spawn_app("[[rules]]\nwhen = { event = \"CLICK\" }\nreply = { text = \"clicked\" }\n")
            .await;
    let (a, b) = (fresh_openid("ev"), fresh_openid("ev"));
    let t = now();
    for i in 0..5 {
        assert_eq!(
            app.push(&text_xml(&a, &format!("m{i}"), fresh_msg_id()))
                .await
                .status,
            200
        );
    }
    app.push(&event_xml(&b, "CLICK", Some("K1"), t)).await;
    app.push(&event_xml(&b, "VIEW", Some("https://x/"), t))
        .await;

    let all = app.events("").await;
    assert_eq!(all.len(), 7);
    let e = &all[0];
    assert_eq!(
        keys(e),
        set(&[
            "id",
            "openid",
            "msg_type",
            "event",
            "event_key",
            "create_time",
            "received_at",
            "fields",
            "reply"
        ])
    );
    assert_rfc3339_utc(&e["create_time"], "create_time");
    let ct = chrono::DateTime::parse_from_rfc3339(e["create_time"].as_str().unwrap()).unwrap();
    assert_eq!(ct.timestamp(), t, "create_time is the push's CreateTime");
    assert_rfc3339_utc(&e["received_at"], "received_at");
    // newest received first, ids strictly decreasing
    let ids: Vec<i64> = all
        .iter()
        .map(|e| e["id"].as_i64().expect("integer id"))
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] > w[1]),
        "not newest first: {ids:?}"
    );
    assert_eq!(all[0]["event"], "VIEW");
    assert_eq!(all[6]["fields"]["Content"], "m0");

    // reply: the XML as sent for the CLICK, null for success
    let click = all.iter().find(|e| e["event"] == "CLICK").unwrap();
    assert_eq!(
        reply_fields(click["reply"].as_str().expect("reply XML"))["Content"],
        "clicked"
    );
    assert!(all[0]["reply"].is_null());

    // filters, case-insensitive
    assert_eq!(app.events("msg_type=TEXT").await.len(), 5);
    assert_eq!(app.events("msg_type=event&event=click").await.len(), 1);
    assert_eq!(app.events(&format!("openid={b}")).await.len(), 2);
    assert_eq!(
        app.events(&format!("openid={a}&msg_type=event"))
            .await
            .len(),
        0
    );

    // limit and before
    let page1 = app.events("limit=3").await;
    assert_eq!(page1.len(), 3);
    let last = page1[2]["id"].as_i64().unwrap();
    let page2 = app.events(&format!("limit=3&before={last}")).await;
    assert_eq!(page2.len(), 3);
    assert!(page2.iter().all(|e| e["id"].as_i64().unwrap() < last));
    let last2 = page2[2]["id"].as_i64().unwrap();
    let page3 = app.events(&format!("limit=3&before={last2}")).await;
    assert_eq!(page3.len(), 1);
    let mut paged: Vec<i64> = page1
        .iter()
        .chain(&page2)
        .chain(&page3)
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    paged.dedup();
    assert_eq!(paged, ids);
    // a huge limit is capped, not refused
    assert_eq!(app.events("limit=100000").await.len(), 7);

    // a bad parameter: 400 with {"error"}
    let (status, body) = app.get("/api/events?before=abc").await;
    assert_eq!(status, 400);
    assert!(body["error"].is_string(), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_pages_with_a_cursor() {
    let app = spawn_app("").await;
    let mut openids = BTreeSet::new();
    for _ in 0..5 {
        let u = fresh_openid("page");
        app.push(&event_xml(&u, "subscribe", None, now())).await;
        openids.insert(u);
    }
    let mut seen = BTreeSet::new();
    let mut after: Option<String> = None;
    for _ in 0..10 {
        let q = match &after {
            Some(c) => format!("/api/followers?subscribed=true&limit=2&after={c}"),
            None => "/api/followers?subscribed=true&limit=2".to_string(),
        };
        let (status, page) = app.get(&q).await;
        assert_eq!(status, 200, "{page}");
        let followers = page["followers"].as_array().expect("followers array");
        assert!(followers.len() <= 2);
        for f in followers {
            assert_eq!(f["subscribed"], true);
            assert!(
                seen.insert(f["openid"].as_str().unwrap().to_string()),
                "listed twice: {f}"
            );
        }
        match page["next"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => {
                assert!(page["next"].is_null(), "{page}");
                break;
            }
        }
    }
    assert_eq!(seen, openids);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_shape() {
    let app = spawn_app("").await;
    app.push(&event_xml(
        &fresh_openid("st"),
        "subscribe",
        Some("qrscene_9"),
        now(),
    ))
    .await;
    let (status, s) = app.get("/api/stats").await;
    assert_eq!(status, 200);
    assert_eq!(keys(&s), set(&["followers", "events", "scenes"]));
    assert_eq!(keys(&s["followers"]), set(&["subscribed", "total"]));
    assert_eq!(s["events"], 1);
    let scene = &s["scenes"][0];
    assert_eq!(
        keys(scene),
        set(&["scene", "label", "subscribes", "scans", "unsubscribes"])
    );
    assert_eq!(scene["scene"], "9");
}
