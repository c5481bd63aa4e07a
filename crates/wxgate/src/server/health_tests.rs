//! The push endpoint and `/healthz` while the disk is full (SQLite's `max_page_count` on the
//! writer's connection), over a real socket: pushes get a non-200 and `/healthz` a 503 with
//! the reason during the fault; once space is back both recover without a restart, and every
//! push that got a 200 is stored.
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::store::sqlite::SqliteStore;
use crate::store::{EventQuery, Store};

const TOKEN: &str = "healthtesttoken";

fn push_xml(openid: &str, n: u32) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[{openid}]]>\
         </FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content><![CDATA[{}]]></Content><MsgId>{}</MsgId></xml>",
        1_700_000_000 + n,
        "x".repeat(3000),
        9_000_000 + n
    )
}

async fn post(http: &reqwest::Client, base: &str, body: String, n: u32) -> u16 {
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let nonce = format!("n{n}");
    let signature = wechat_proto::signature(TOKEN, &timestamp, &nonce);
    let url = format!("{base}/wechat?signature={signature}&timestamp={timestamp}&nonce={nonce}");
    match http.post(url).body(body).send().await {
        Ok(response) => response.status().as_u16(),
        Err(_) => 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_and_healthz_follow_a_full_disk_and_recover_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wxgate.db");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[account]\ntoken = \"{TOKEN}\"\n[storage]\nurl = \"sqlite://{}\"\n",
        db.display()
    );
    let raw = crate::config::parse_toml(&text).unwrap();
    let config = crate::config::Config::from_raw(raw, dir.path(), |_| None).unwrap();
    let sqlite = Arc::new(SqliteStore::open(Some(db.as_path())).await.unwrap());
    let store: Arc<dyn Store> = sqlite.clone();
    let app = crate::app::Application::build_on(config, store.clone())
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::new();
    let healthz = || async {
        let response = http.get(format!("{base}/healthz")).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    };

    let mut acknowledged = 0;
    let mut n = 0;
    for _ in 0..10 {
        n += 1;
        assert_eq!(post(&http, &base, push_xml("oA", n), n).await, 200);
        acknowledged += 1;
    }
    assert_eq!(healthz().await, (200, "ok".to_string()));

    sqlite.on_writer("PRAGMA max_page_count = 1").await.unwrap();
    let mut refused = 0;
    for _ in 0..40 {
        n += 1;
        match post(&http, &base, push_xml("oB", n), n).await {
            200 => acknowledged += 1,
            _ => refused += 1,
        }
    }
    assert!(refused > 0, "pushes must not get a 200 they cannot keep");
    let (status, reason) = healthz().await;
    assert_eq!(status, 503, "{reason}");
    assert!(reason.contains("full"), "{reason}");

    sqlite
        .on_writer("PRAGMA max_page_count = 1073741823")
        .await
        .unwrap();
    let back = Instant::now();
    loop {
        n += 1;
        if post(&http, &base, push_xml("oC", n), n).await == 200 {
            acknowledged += 1;
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(1), "no recovery");
    }
    assert_eq!(healthz().await, (200, "ok".to_string()));

    let stored = store
        .events(&EventQuery {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), acknowledged);
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
