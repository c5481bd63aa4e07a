//! A database written by a gateway from before several accounts (SQLite migrations 1–5) and
//! its `[account]` config keep working: the old follower and event (received just now, so
//! `retain_events` keeps it) are the account `default`'s.
use reqwest::StatusCode;

use crate::harness::Gateway;
use crate::pushes::text_xml;

/// The SQLite migrations before several accounts, as an older wxgate applied them.
const OLD_MIGRATIONS: [&str; 5] = [
    include_str!("../../migrations/sqlite/0001_initial.sql"),
    include_str!("../../migrations/sqlite/0002_outbox.sql"),
    include_str!("../../migrations/sqlite/0003_append_log.sql"),
    include_str!("../../migrations/sqlite/0004_replay_guard.sql"),
    include_str!("../../migrations/sqlite/0005_daily_counters.sql"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_account_database_from_before_keeps_working() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("wx.db");
    {
        let conn = rusqlite::Connection::open(&db).expect("open");
        for sql in OLD_MIGRATIONS {
            conn.execute_batch(sql).expect("old migration");
        }
        conn.execute_batch(
            "PRAGMA user_version = 5;
             INSERT INTO followers (openid, subscribed, subscribed_at, scene, last_seen_at)
                 VALUES ('oOld', TRUE, 1714521600000, 'poster', 1714521600000);
             INSERT INTO events (dedupe_key, openid, msg_type, create_time, received_at,
                                 raw_xml, reply)
                 VALUES ('kOld', 'oOld', 'text', 1714521600,
                         CAST(strftime('%s', 'now') AS INTEGER) * 1000, '<xml/>', NULL);
             INSERT INTO openid_events (openid, event_id) SELECT openid, id FROM events;
             UPDATE applied SET event_id = (SELECT MAX(id) FROM events);",
        )
        .expect("old rows");
    }
    let mock = wechat_mock::MockServer::spawn(wechat_mock::MockConfig::default())
        .await
        .expect("mock");
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npath = \"/wechat\"\n[account]\ntoken = \"tok\"\n\
         [storage]\nurl = \"sqlite://{}\"\n[admin]\ntoken = \"{}\"\n",
        db.display(),
        crate::harness::ADMIN
    );
    let gw = Gateway::start_with(dir, &config, mock).await;
    let (status, follower) = gw.get("/api/followers/oOld").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(follower["scene"], "poster");
    assert!(
        follower.get("account").is_none(),
        "with [account] alone the shapes are as before: {follower}"
    );
    let (_, events) = gw.get("/api/events?openid=oOld").await;
    assert_eq!(events["events"].as_array().map(Vec::len), Some(1));
    let (_, accounts) = gw.get("/api/accounts").await;
    assert_eq!(accounts["accounts"][0]["name"], "default");
    assert_eq!(accounts["accounts"][0]["push_path"], "/wechat");
    // The push path is still server.path, signed with [account]'s token.
    let (ts, nonce) = (crate::pushes::now().to_string(), crate::harness::fresh());
    let query = format!(
        "signature={}&timestamp={ts}&nonce={nonce}",
        wechat_proto::signature("tok", &ts, &nonce)
    );
    let resp = gw
        .http
        .post(format!("{}?{query}", gw.url("/wechat")))
        .body(text_xml("oOld", "still here", 99))
        .send()
        .await
        .expect("push");
    assert_eq!(resp.status(), StatusCode::OK);
    let (_, events) = gw.get("/api/events?openid=oOld").await;
    assert_eq!(events["events"].as_array().map(Vec::len), Some(2));
    gw.stop().await;
}
