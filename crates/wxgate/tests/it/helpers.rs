//! Test harness: a real `wxgate` server on 127.0.0.1:0 (in process or as the real binary),
//! pushes signed through `wechat_proto` as WeChat would sign them, and a call-webhook stub.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use wechat_proto::{
    msg_signature, open_reply_envelope, parse_message, render_push_envelope, signature,
    EncodingAesKey, MessageCrypt,
};

pub const TOKEN: &str = "wxgatedevtoken";
pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const APPID: &str = "wx0123456789abcdef";
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub const OLD_AES_KEY: &str = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM";
pub use crate::process::{Proc, BIN};
pub use crate::pushes::{event_xml, image_xml, now, text_xml, GH};

/// How to configure a test app. `extra` is appended at the end (rules, webhooks).
#[derive(Clone)]
pub struct Cfg {
    pub security: &'static str,
    pub token: String,
    pub appid: String,
    pub aes_key: String,
    pub account_extra: String,
    pub server_extra: String,
    pub admin: bool,
    pub extra: String,
    /// the storage url; None: a SQLite file in the test's directory
    pub storage: Option<String>,
}

impl Default for Cfg {
    fn default() -> Self {
        Cfg {
            security: "plain",
            token: TOKEN.into(),
            appid: APPID.into(),
            aes_key: AES_KEY.into(),
            account_extra: String::new(),
            server_extra: String::new(),
            admin: true,
            extra: String::new(),
            storage: None,
        }
    }
}

impl Cfg {
    pub fn extra(extra: &str) -> Cfg {
        Cfg {
            extra: extra.into(),
            ..Cfg::default()
        }
    }

    /// The whole TOML text, with the database at `db` (unless `storage` says otherwise) and
    /// the server on `listen`.
    pub fn toml(&self, db: &Path, listen: &str) -> String {
        let storage = self
            .storage
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", db.display()));
        let admin = if self.admin {
            format!("[admin]\ntoken = \"{ADMIN_TOKEN}\"\n")
        } else {
            String::new()
        };
        format!(
            "[server]\nlisten = \"{listen}\"\npath = \"/wechat\"\n{server_extra}\n\
             [account]\nappid = \"{appid}\"\ntoken = \"{token}\"\nencoding_aes_key = \"{key}\"\n\
             security = \"{security}\"\n{account_extra}\n\
             [storage]\nurl = \"{storage}\"\n\n{admin}\n{extra}\n",
            server_extra = self.server_extra,
            appid = self.appid,
            token = self.token,
            key = self.aes_key,
            security = self.security,
            account_extra = self.account_extra,
            extra = self.extra,
        )
    }
}

/// A running gateway (in process) with its own temp dir and database.
pub struct TestApp {
    pub addr: SocketAddr,
    pub dir: TempDir,
    pub cfg: Cfg,
    pub http: reqwest::Client,
    pub crypt: MessageCrypt,
    /// the gateway itself (None once stopped)
    gateway: Option<crate::spawn::App>,
}

pub async fn spawn_app(extra: &str) -> TestApp {
    spawn_app_cfg(Cfg::extra(extra)).await
}

pub async fn spawn_app_cfg(cfg: Cfg) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    start_in(dir, cfg).await
}

/// The Token the shared test vectors are signed with. WeChat's console (and so the config)
/// takes only letters and digits, so a gateway replaying them gets it past validation.
pub const VECTOR_TOKEN: &str = "wxgate-dev-token";

async fn start_in(dir: TempDir, cfg: Cfg) -> TestApp {
    let db = dir.path().join("wx.db");
    let vector_token = cfg.token == VECTOR_TOKEN;
    let text = if vector_token {
        Cfg {
            token: TOKEN.into(),
            ..cfg.clone()
        }
        .toml(&db, "127.0.0.1:0")
    } else {
        cfg.toml(&db, "127.0.0.1:0")
    };
    let mut config = crate::spawn::config(&text, dir.path());
    if vector_token {
        config.accounts[0].token = wxgate::config::Secret::new(VECTOR_TOKEN.to_string());
    }
    let gateway = crate::spawn::spawn_app(config).await;
    let crypt = MessageCrypt::new(
        EncodingAesKey::parse(&cfg.aes_key).expect("key"),
        cfg.appid.clone(),
    );
    TestApp {
        addr: gateway.addr,
        dir,
        cfg,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("client"),
        crypt,
        gateway: Some(gateway),
    }
}

static NONCE: AtomicU64 = AtomicU64::new(1);

/// A nonce never used before in this process.
pub fn fresh_nonce() -> String {
    let n = NONCE.fetch_add(1, Ordering::Relaxed);
    format!("{}{:06}", std::process::id(), n)
}

static MSG_ID: AtomicU64 = AtomicU64::new(1);

/// A MsgId never used before in this process.
pub fn fresh_msg_id() -> u64 {
    (u64::from(std::process::id()) << 24) + MSG_ID.fetch_add(1, Ordering::Relaxed)
}

/// A reply as the gateway sent it.
pub struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 answer")
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// POST `body` to the push path with `query` in a task of its own (a push that is still
    /// in flight while the test sends a resend); the task yields status and body.
    pub fn post_in_background(
        &self,
        query: String,
        body: String,
    ) -> JoinHandle<(StatusCode, Vec<u8>)> {
        let (http, url) = (self.http.clone(), self.url("/wechat"));
        tokio::spawn(async move {
            let r = http
                .post(format!("{url}?{query}"))
                .body(body)
                .send()
                .await
                .unwrap();
            (r.status(), r.bytes().await.unwrap().to_vec())
        })
    }

    /// Stop gracefully (run() drains, then closes the store).
    pub async fn stop(mut self) -> (TempDir, Cfg) {
        self.shutdown_now().await;
        (self.dir, self.cfg)
    }

    async fn shutdown_now(&mut self) {
        if let Some(gateway) = self.gateway.take() {
            gateway.stop().await;
        }
    }

    /// Stop and start again on the same database and config.
    pub async fn restart(self) -> TestApp {
        let (dir, cfg) = self.stop().await;
        start_in(dir, cfg).await
    }

    pub fn plain_query(&self, ts: &str, nonce: &str) -> String {
        format!(
            "signature={}&timestamp={ts}&nonce={nonce}",
            signature(&self.cfg.token, ts, nonce)
        )
    }

    pub async fn post(&self, query: &str, body: impl Into<Vec<u8>>) -> Answer {
        self.try_post(query, body).await.expect("POST push")
    }

    pub async fn try_post(
        &self,
        query: &str,
        body: impl Into<Vec<u8>>,
    ) -> Result<Answer, reqwest::Error> {
        let resp = self
            .http
            .post(format!("{}?{query}", self.url("/wechat")))
            .header("content-type", "text/xml")
            .body(body.into())
            .send()
            .await?;
        let status = resp.status();
        let body = resp.bytes().await?.to_vec();
        Ok(Answer { status, body })
    }

    /// A plain-mode push, correctly signed with a fresh nonce.
    pub async fn push(&self, xml: &str) -> Answer {
        let q = self.plain_query(&now().to_string(), &fresh_nonce());
        self.post(&q, xml).await
    }

    /// The query and body of a safe/compatible push encrypted with `crypt`.
    pub fn encrypted_request(&self, crypt: &MessageCrypt, xml: &str) -> (String, String) {
        let ts = now().to_string();
        let nonce = fresh_nonce();
        let mut random = [0u8; 16];
        random[..8].copy_from_slice(&NONCE.fetch_add(1, Ordering::Relaxed).to_le_bytes());
        let encrypt = crypt.encrypt(xml, random);
        let body = render_push_envelope(GH, &encrypt);
        let q = format!(
            "{}&encrypt_type=aes&msg_signature={}",
            self.plain_query(&ts, &nonce),
            msg_signature(&self.cfg.token, &ts, &nonce, &encrypt)
        );
        (q, body)
    }

    /// An encrypted push under the configured key.
    pub async fn push_encrypted(&self, xml: &str) -> Answer {
        let (q, body) = self.encrypted_request(&self.crypt, xml);
        self.post(&q, body).await
    }

    /// Open an encrypted reply envelope with the configured key.
    pub fn open_reply(&self, body: &[u8]) -> String {
        open_reply_envelope(&self.crypt, &self.cfg.token, body).expect("reply envelope opens")
    }

    /// An admin API call without a body: [`App::api`](crate::spawn::App::api).
    pub async fn api(&self, method: reqwest::Method, path: &str) -> (StatusCode, Value) {
        let gateway = self.gateway.as_ref().expect("the gateway is running");
        gateway.api(method, path, None).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.api(reqwest::Method::GET, path).await
    }

    /// `GET /api/events?{query}` → the events array (one page).
    pub async fn events(&self, query: &str) -> Vec<Value> {
        let (status, v) = self.get(&format!("/api/events?{query}")).await;
        assert_eq!(status, 200, "events: {v}");
        v["events"].as_array().expect("events array").clone()
    }

    pub async fn events_of(&self, openid: &str) -> Vec<Value> {
        self.events(&format!("openid={openid}&limit=1000")).await
    }

    pub async fn follower(&self, openid: &str) -> (StatusCode, Value) {
        self.get(&format!("/api/followers/{openid}")).await
    }
}

// Dropping a TestApp drops its gateway, which stops its server too.

// ---------- push XML builders ----------

pub fn location_event_xml(
    openid: &str,
    lat: &str,
    lng: &str,
    precision: &str,
    create_time: i64,
) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[LOCATION]]></Event>\
         <Latitude>{lat}</Latitude><Longitude>{lng}</Longitude><Precision>{precision}</Precision></xml>"
    )
}

static OPENID: AtomicU64 = AtomicU64::new(1);

/// An openid unique in this process.
pub fn fresh_openid(tag: &str) -> String {
    format!("o{tag}{:08}", OPENID.fetch_add(1, Ordering::Relaxed))
}

/// The fields of a passive reply, as JSON (parsed with the same hardened parser).
pub fn reply_fields(xml: &str) -> Value {
    let msg = parse_message(xml.as_bytes())
        .unwrap_or_else(|e| panic!("reply does not parse ({e}): {xml}"));
    serde_json::to_value(&msg.fields).expect("fields as JSON")
}

/// Assert a timestamp is RFC 3339 in UTC.
pub fn assert_rfc3339_utc(v: &Value, what: &str) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {v}"));
    let t = chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{what}: {s:?} is not RFC 3339: {e}"));
    assert_eq!(t.offset().local_minus_utc(), 0, "{what}: {s:?} is not UTC");
    assert!(
        s.ends_with('Z') || s.ends_with("+00:00"),
        "{what}: {s:?} is not UTC"
    );
}

// ---------- call-webhook stub ----------

/// One call a webhook stub received: the raw body and the X-Wxgate-Signature /
/// X-Wxgate-Event-Id headers.
pub type RawCall = (Vec<u8>, Option<String>, Option<String>);

/// A call webhook on 127.0.0.1:0 that counts calls, waits `delay`, and answers
/// `{"reply": {"text": "<text> #<n>"}}` (n = the call's number, from 1).
pub struct Hook {
    pub url: String,
    pub calls: Arc<AtomicUsize>,
    pub started: Arc<Notify>,
    pub bodies: Arc<Mutex<Vec<Value>>>,
    /// per call: the raw body and the X-Wxgate-Signature / X-Wxgate-Event-Id headers
    pub raw: Arc<Mutex<Vec<RawCall>>>,
    _task: JoinHandle<()>,
}

pub async fn spawn_hook(delay: Duration, text: &'static str) -> Hook {
    use axum::routing::post;
    let calls = Arc::new(AtomicUsize::new(0));
    let started = Arc::new(Notify::new());
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let raw = Arc::new(Mutex::new(Vec::new()));
    let (c, s, b, r) = (calls.clone(), started.clone(), bodies.clone(), raw.clone());
    let app = axum::Router::new().route(
        "/hook",
        post(
            move |headers: axum::http::HeaderMap, bytes: axum::body::Bytes| {
                let (c, s, b, r) = (c.clone(), s.clone(), b.clone(), r.clone());
                async move {
                    let n = c.fetch_add(1, Ordering::SeqCst) + 1;
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_string)
                    };
                    r.lock().expect("lock").push((
                        bytes.to_vec(),
                        header("x-wxgate-signature"),
                        header("x-wxgate-event-id"),
                    ));
                    b.lock()
                        .expect("lock")
                        .push(serde_json::from_slice(&bytes).unwrap_or(Value::Null));
                    s.notify_one();
                    tokio::time::sleep(delay).await;
                    axum::Json(serde_json::json!({"reply": {"text": format!("{text} #{n}")}}))
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind hook");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Hook {
        url: format!("http://{addr}/hook"),
        calls,
        started,
        bodies,
        raw,
        _task: task,
    }
}

/// Config text for a call webhook named `bot` at `url`, called for every text message.
pub fn call_rule(url: &str, timeout_ms: u64) -> String {
    format!(
        "[[rules]]\nwhen = {{ msg_type = \"text\" }}\ncall = \"bot\"\n\n\
         [[webhooks]]\nname = \"bot\"\nurl = \"{url}\"\nmode = \"call\"\ntimeout_ms = {timeout_ms}\n"
    )
}

// ---------- the real binary ----------

/// A free port on 127.0.0.1 (bound, read, released).
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// Write a config for the real binary into `dir`, listening on a free port.
pub fn write_config(dir: &Path, cfg: &Cfg) -> PathBuf {
    let listen = format!("127.0.0.1:{}", free_port());
    let path = dir.join("wxgate.toml");
    std::fs::write(&path, cfg.toml(&dir.join("wx.db"), &listen)).expect("write config");
    path
}

/// `dir/wxgate.toml` holding a server on 127.0.0.1:0 with its SQLite file in `dir`, then
/// `body` as it is (`[[accounts]]`, rules, ...: what [`Cfg`], written for `[account]`, cannot).
pub fn write_config_text(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("wxgate.toml");
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[storage]\nurl = \"sqlite://{}\"\n{body}",
        dir.join("wxgate.db").display()
    );
    std::fs::write(&path, text).expect("write config");
    path
}

/// Read a vector file of the workspace's one test-data folder, `wechat-proto`'s
/// `tests/data` (copied from the shared spec).
pub fn vectors(name: &str) -> Vec<Value> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../wechat-proto/tests/data")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector JSON")
}
