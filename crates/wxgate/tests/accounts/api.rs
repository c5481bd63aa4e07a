//! The admin API with two accounts: `GET /api/accounts`, `account=` on every call, followers,
//! scenes, forgets, tokens, menus and QR codes kept per account.
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::harness::{one, two, Gateway};
use crate::pushes::{event_xml, now};

fn names(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["account"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_are_listed_with_their_push_paths() {
    let gw = Gateway::start("").await;
    let (status, body) = gw.get("/api/accounts").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!({"accounts": [
            {"name": "one", "appid": one().appid, "security": "plain", "push_path": "/wechat/one",
             "source": "config", "status": "active"},
            {"name": "two", "appid": two().appid, "security": "safe", "push_path": "/wechat/two",
             "source": "config", "status": "active"},
        ]})
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_and_scenes_are_per_account_and_a_forget_touches_one() {
    let gw = Gateway::start("").await;
    let t = now();
    let subscribe =
        |scene: &str| event_xml("oSame", "subscribe", Some(&format!("qrscene_{scene}")), t);
    assert_eq!(gw.push(&one(), &subscribe("p1")).await.0, StatusCode::OK);
    assert_eq!(gw.push(&two(), &subscribe("p2")).await.0, StatusCode::OK);

    let (status, body) = gw.get("/api/followers/oSame").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("one") && message.contains("two"),
        "{message}"
    );
    let (status, follower) = gw.get("/api/followers/oSame?account=two").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (follower["account"].as_str(), follower["scene"].as_str()),
        (Some("two"), Some("p2"))
    );
    let (status, _) = gw.get("/api/followers/oSame?account=six").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown account");

    let (_, all) = gw.get("/api/followers").await;
    assert_eq!(names(&all, "followers"), ["one", "two"]);
    let (_, page) = gw.get("/api/followers?limit=1").await;
    assert_eq!(
        page["next"], "one:oSame",
        "a cursor across accounts names the account"
    );
    let (_, rest) = gw.get("/api/followers?limit=1&after=one:oSame").await;
    assert_eq!(names(&rest, "followers"), ["two"]);
    let (_, only) = gw.get("/api/followers?account=one").await;
    assert_eq!(names(&only, "followers"), ["one"]);

    let (_, stats) = gw.get("/api/stats").await;
    assert_eq!(stats["followers"]["total"], 2, "summed over the accounts");
    let scenes: Vec<(String, String)> = stats["scenes"]
        .as_array()
        .expect("scenes")
        .iter()
        .map(|s| {
            (
                s["account"].as_str().unwrap_or_default().into(),
                s["scene"].as_str().unwrap_or_default().into(),
            )
        })
        .collect();
    assert_eq!(
        scenes,
        [("one".into(), "p1".into()), ("two".into(), "p2".into())]
    );
    let (_, stats_one) = gw.get("/api/stats?account=one").await;
    assert_eq!(stats_one["followers"]["total"], 1);
    let (_, daily) = gw.get("/api/stats/daily?days=1&account=two").await;
    assert_eq!(daily["days"][0]["subscribes"], 1);
    let (_, daily_all) = gw.get("/api/stats/daily?days=1").await;
    assert_eq!(daily_all["days"][0]["subscribes"], 2);

    let (status, body) = gw.api(Method::DELETE, "/api/followers/oSame", None).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an ambiguous forget needs its account: {body}"
    );
    let message = body["error"].as_str().unwrap_or_default();
    assert!(
        message.contains("one") && message.contains("two"),
        "{message}"
    );
    let (status, _) = gw
        .api(Method::DELETE, "/api/followers/oSame?account=one", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        gw.get("/api/followers/oSame?account=one").await.0,
        StatusCode::NOT_FOUND
    );
    let (status, left) = gw.get("/api/followers/oSame").await;
    assert_eq!(
        (status, left["account"].as_str()),
        (StatusCode::OK, Some("two"))
    );
    let (_, events) = gw.get("/api/events?openid=oSame").await;
    assert_eq!(names(&events, "events"), ["two"]);

    // Without `account`, a forget finds the one account that has the openid.
    let (status, _) = gw.api(Method::DELETE, "/api/followers/oSame", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        gw.get("/api/followers/oSame?account=two").await.0,
        StatusCode::NOT_FOUND
    );
    let (_, events) = gw.get("/api/events?openid=oSame").await;
    assert_eq!(
        events["events"].as_array().map(Vec::len),
        Some(0),
        "{events}"
    );
    let (status, _) = gw.api(Method::DELETE, "/api/followers/oNobody", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "also for an unknown openid");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_menus_and_qr_codes_are_each_accounts_own() {
    let gw = Gateway::start("").await;
    let (status, body) = gw.get("/api/access_token").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap_or_default()
            .starts_with("account"),
        "{body}"
    );
    let (_, token_one) = gw.get("/api/access_token?account=one").await;
    let (_, token_two) = gw.get("/api/access_token?account=two").await;
    let (t1, t2) = (
        token_one["access_token"].as_str(),
        token_two["access_token"].as_str(),
    );
    assert!(t1.is_some() && t2.is_some(), "{token_one} {token_two}");
    assert_ne!(t1, t2, "two appids, two tokens");
    let (_, again) = gw.get("/api/access_token?account=one").await;
    assert_eq!(
        again["access_token"].as_str(),
        t1,
        "one central token per appid"
    );

    let menu = json!({"button": [{"type": "click", "name": "One", "key": "K1"}]});
    let (status, _) = gw
        .api(Method::PUT, "/api/menu?account=one", Some(menu))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, menu_one) = gw.get("/api/menu?account=one").await;
    assert_eq!(menu_one["menu"]["button"][0]["name"], "One");
    let (_, menu_two) = gw.get("/api/menu?account=two").await;
    assert_eq!(menu_two["source"], "none", "{menu_two}");
    assert_eq!(gw.get("/api/menu").await.0, StatusCode::BAD_REQUEST);

    let (status, code) = gw
        .api(
            Method::POST,
            "/api/qrcodes",
            Some(json!({"scene": "poster", "account": "two"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    assert_eq!(code["account"], "two");
    let (status, _) = gw
        .api(
            Method::POST,
            "/api/qrcodes",
            Some(json!({"scene": "poster"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "creating needs the account"
    );
    let (_, listed) = gw.get("/api/qrcodes").await;
    assert_eq!(names(&listed, "qrcodes"), ["two"]);
    let (_, of_one) = gw.get("/api/qrcodes?account=one").await;
    assert_eq!(of_one["qrcodes"], json!([]));
    let svg = gw
        .http
        .get(gw.url("/api/qrcodes/poster.svg"))
        .bearer_auth(crate::harness::ADMIN)
        .send()
        .await
        .expect("svg");
    assert_eq!(
        svg.status(),
        StatusCode::OK,
        "the one account with that scene"
    );
    let missing = gw
        .http
        .get(gw.url("/api/qrcodes/poster.svg?account=one"))
        .bearer_auth(crate::harness::ADMIN)
        .send()
        .await
        .expect("svg");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    gw.stop().await;
}
