//! What a push leaves in the log, captured in process with a JSON subscriber: its `push` span
//! carries the dedupe key, msg_type, the openid's hash, the outcome and the duration; a
//! failed push is logged as an error with the same; no line ever holds the message's content,
//! the raw openid or the token.
use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::store::sqlite::SqliteStore;
use crate::store::Store;
use crate::telemetry::spans::{key_label, openid_hash};

const TOKEN: &str = "logtesttoken";
const CONTENT: &str = "my-card-number-4111";

/// Every log line, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
    fn lines(&self) -> Vec<Value> {
        self.text()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }
}

struct App {
    base: String,
    sqlite: Arc<SqliteStore>,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

async fn start() -> App {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("wxgate.db");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[account]\ntoken = \"{TOKEN}\"\n\
         [storage]\nurl = \"sqlite://{}\"\n",
        db.display()
    );
    let raw = crate::config::parse_toml(&text).unwrap();
    let config = crate::config::Config::from_raw(raw, dir.path(), |_| None).unwrap();
    let sqlite = Arc::new(SqliteStore::open(Some(db.as_path())).await.unwrap());
    let store: Arc<dyn Store> = sqlite.clone();
    let app = crate::app::Application::build_on(config, store)
        .await
        .unwrap();
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    App {
        base,
        sqlite,
        stop,
        server,
        _dir: dir,
    }
}

async fn post(base: &str, xml: String, nonce: &str) -> u16 {
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let signature = wechat_proto::signature(TOKEN, &timestamp, nonce);
    let url = format!("{base}/wechat?signature={signature}&timestamp={timestamp}&nonce={nonce}");
    let response = reqwest::Client::new().post(url).body(xml).send().await;
    response.map(|r| r.status().as_u16()).unwrap_or(0)
}

fn text_push(openid: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>{openid}</FromUserName>\
         <CreateTime>1700000000</CreateTime><MsgType>text</MsgType>\
         <Content>{CONTENT}</Content><MsgId>{msg_id}</MsgId></xml>"
    )
}

/// The `push` span of the lines with `message`.
fn push_spans<'a>(lines: &'a [Value], message: &str) -> Vec<&'a Value> {
    lines
        .iter()
        .filter(|l| l["fields"]["message"] == message && l["span"]["name"] == "push")
        .map(|l| &l["span"])
        .collect()
}

fn assert_nothing_private(captured: &Captured, openid: &str) {
    let text = captured.text();
    assert!(!text.contains(CONTENT), "content logged: {text}");
    assert!(!text.contains(openid), "raw openid logged: {text}");
    assert!(!text.contains(TOKEN), "token logged: {text}");
}

#[tokio::test]
async fn a_push_span_carries_its_dedupe_key_and_outcome_never_its_content() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = start().await;

    let openid = "oLogTestUser0001";
    assert_eq!(post(&app.base, text_push(openid, 424242), "n1").await, 200);
    let subscribe = format!(
        "<xml><ToUserName>gh_1</ToUserName><FromUserName>{openid}</FromUserName>\
         <CreateTime>1700000001</CreateTime><MsgType>event</MsgType>\
         <Event>subscribe</Event><EventKey>qrscene_7</EventKey></xml>"
    );
    let key = wechat_proto::parse_message(subscribe.as_bytes())
        .unwrap()
        .dedupe_key();
    assert_eq!(post(&app.base, subscribe, "n2").await, 200);
    let _ = app.stop.send(());
    app.server.await.unwrap().unwrap();

    let lines = captured.lines();
    let answered = push_spans(&lines, "push answered");
    let text = answered
        .iter()
        .find(|s| s["dedupe_key"] == "424242")
        .unwrap_or_else(|| panic!("no line for the text push: {lines:?}"));
    assert_eq!(text["msg_type"], "text");
    assert_eq!(text["openid"], openid_hash(openid));
    assert_eq!(text["outcome"], "success");
    assert_eq!(text["reply"], "success");
    assert!(text["ms"].is_u64(), "{text}");
    // An event's key holds the openid: it is shown hashed.
    let event = answered
        .iter()
        .find(|s| s["event"] == "subscribe")
        .unwrap_or_else(|| panic!("no line for the subscribe: {lines:?}"));
    assert_eq!(event["dedupe_key"], key_label(key.as_str()).as_str());
    assert_nothing_private(&captured, openid);
}

#[tokio::test]
async fn a_failed_push_is_logged_with_what_identifies_it() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let app = start().await;
    // Writes fail as on a full disk.
    app.sqlite
        .on_writer("PRAGMA max_page_count = 1")
        .await
        .unwrap();

    let openid = "oLogTestUser0002";
    let mut failed = 0;
    for n in 0..20 {
        let push = text_push(openid, 500 + n)
            .replace("</xml>", &format!("<Pad>{}</Pad></xml>", "x".repeat(3000)));
        if post(&app.base, push, &format!("f{n}")).await != 200 {
            failed += 1;
        }
    }
    assert!(failed > 0, "no push failed on a full disk");
    let _ = app.stop.send(());
    let _ = app.server.await;

    let lines = captured.lines();
    let errors: Vec<&Value> = lines
        .iter()
        .filter(|l| l["level"] == "ERROR" && l["fields"]["message"] == "a push failed")
        .collect();
    let first = errors
        .first()
        .unwrap_or_else(|| panic!("no error line for a failed push: {lines:?}"));
    let span = &first["span"];
    assert_eq!(span["name"], "push");
    assert!(
        span["dedupe_key"]
            .as_str()
            .is_some_and(|k| k.parse::<u64>().is_ok_and(|n| (500..520).contains(&n))),
        "{first}"
    );
    assert_eq!(span["msg_type"], "text");
    assert_eq!(span["openid"], openid_hash(openid));
    assert!(
        first["fields"]["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("recording the push failed")),
        "{first}"
    );
    assert_nothing_private(&captured, openid);
}
