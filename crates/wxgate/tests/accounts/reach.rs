//! Issue 12's features with two accounts: the WeChat API proxy uses the named account's
//! token, template messages are queued, keyed and settled per account (the receipt push comes
//! to the account's own path), and `followers sync --account` fills one account only.
use std::process::Command;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use wechat_mock::{MockConfig, MockServer, PushAccount, PushSecurity};

use crate::harness::{one, two, two_accounts_toml, Gateway};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proxy_calls_wechat_with_the_named_accounts_token() {
    let gw = Gateway::start("").await;
    let menu = json!({"button": [{"type": "click", "name": "Two", "key": "K2"}]});
    let (status, body) = gw
        .api(Method::PUT, "/api/menu?account=two", Some(menu))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, body) = gw.get("/api/wechat/cgi-bin/menu/get").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]
        .as_str()
        .unwrap_or_default()
        .contains("account"));

    let (status, two_menu) = gw.get("/api/wechat/cgi-bin/menu/get?account=two").await;
    assert_eq!(status, StatusCode::OK, "{two_menu}");
    assert_eq!(two_menu["menu"]["button"][0]["name"], "Two", "{two_menu}");
    let (status, one_menu) = gw.get("/api/wechat/cgi-bin/menu/get?account=one").await;
    assert_eq!(status, StatusCode::OK, "{one_menu}");
    assert_eq!(one_menu["errcode"], 46003, "one has no menu: {one_menu}");
    gw.stop().await;
}

fn template(touser: &str, key: &str, account: Option<&str>) -> Value {
    let mut body = json!({
        "touser": touser,
        "template_id": "TPL_ORDER",
        "data": {"thing1": {"value": "Your order"}},
        "idempotency_key": key,
    });
    if let Some(account) = account {
        body["account"] = json!(account);
    }
    body
}

async fn status_of(gw: &Gateway, id: i64, account: &str) -> (StatusCode, Value) {
    gw.get(&format!("/api/messages/{id}?account={account}"))
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_messages_are_keyed_sent_and_settled_per_account() {
    let gw = Gateway::start("").await;
    gw.mock_state().set_push_to(Some(&gw.url("/wechat")));

    let (status, body) = gw
        .api(
            Method::POST,
            "/api/messages/template",
            Some(template("oUser", "k1", None)),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body["error"]
        .as_str()
        .unwrap_or_default()
        .contains("account"));

    // The same idempotency key in two accounts is two messages; in one account, one.
    let (status, first) = gw
        .api(
            Method::POST,
            "/api/messages/template?account=one",
            Some(template("oUser", "k1", None)),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{first}");
    let (status, other) = gw
        .api(
            Method::POST,
            "/api/messages/template",
            Some(template("oUser", "k1", Some("two"))),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{other}");
    let (status, again) = gw
        .api(
            Method::POST,
            "/api/messages/template",
            Some(template("oUser", "k1", Some("one"))),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    let (id_one, id_two) = (first["id"].as_i64(), other["id"].as_i64());
    assert!(id_one.is_some() && id_two.is_some() && id_one != id_two);
    assert_eq!(again["id"], first["id"], "the same key in one account");
    let (id_one, id_two) = (id_one.unwrap_or_default(), id_two.unwrap_or_default());

    // A message is only found under its own account.
    assert_eq!(status_of(&gw, id_one, "two").await.0, StatusCode::NOT_FOUND);
    assert_eq!(status_of(&gw, id_two, "one").await.0, StatusCode::NOT_FOUND);

    // Each gets the mock's job-finish push at its own push URL and is delivered: `one`
    // (plain) a plain push at /wechat/one, `two` (safe) an encrypted one at /wechat/two.
    let mut settled = (Value::Null, Value::Null);
    for _ in 0..200 {
        settled = (
            status_of(&gw, id_one, "one").await.1,
            status_of(&gw, id_two, "two").await.1,
        );
        if settled.0["status"] == "delivered" && settled.1["status"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(settled.0["status"], "delivered", "{}", settled.0);
    assert_eq!(settled.1["status"], "delivered", "{}", settled.1);
    assert_ne!(settled.0["msgid"], settled.1["msgid"]);
    let sends = gw
        .mock_state()
        .sent()
        .into_iter()
        .filter(|call| call.path == "/cgi-bin/message/template/send")
        .count();
    assert_eq!(sends, 2, "one send per account");
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followers_sync_fills_the_named_account_only() {
    let mock = MockServer::spawn(MockConfig {
        appid: one().appid.into(),
        appsecret: one().secret.into(),
        more_apps: vec![(two().appid.into(), two().secret.into())],
        followers: 250,
        push_accounts: [one(), two()]
            .into_iter()
            .map(|a| {
                let route = PushAccount {
                    name: a.name.into(),
                    token: a.token.into(),
                    security: a.crypt.map_or(PushSecurity::Plain, PushSecurity::Safe),
                };
                (a.appid.to_string(), route)
            })
            .collect(),
        ..MockConfig::default()
    })
    .await
    .expect("mock starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sync.db");
    let config = dir.path().join("wxgate.toml");
    std::fs::write(&config, two_accounts_toml(&db, &mock.base_url(), "")).expect("config");
    let run = |args: &'static [&'static str]| {
        let config = config.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                Command::new(env!("CARGO_BIN_EXE_wxgate"))
                    .arg("-c")
                    .arg(config)
                    .args(args)
                    .output()
            })
            .await
            .expect("blocking task")
            .expect("wxgate runs")
        }
    };
    let missing = run(&["followers", "sync"]).await;
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("--account"));
    let synced = run(&["followers", "--account", "two", "sync"]).await;
    assert_eq!(
        synced.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&synced.stderr)
    );

    let store = wxgate::store::open(&wxgate::store::StorageUrl::Sqlite { path: db.clone() })
        .await
        .expect("store opens");
    let two_stats = store.stats(Some("two")).await.expect("stats");
    let one_stats = store.stats(Some("one")).await.expect("stats");
    store.close().await;
    assert_eq!(two_stats.total, 250);
    assert_eq!(one_stats.total, 0);
}
