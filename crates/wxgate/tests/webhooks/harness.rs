//! Test harness: an in-process gateway with its outbox dispatcher (short backoff), plain-mode
//! pushes signed as WeChat signs them, and a receiver stub that records every attempt.
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode, Uri};
use serde_json::Value;
use tempfile::TempDir;
use tokio::task::JoinHandle;
use wxgate::server::AppState;

use crate::process::Proc;

pub const TOKEN: &str = "wxgatedevtoken";
pub const ADMIN_TOKEN: &str = "test-admin-token";
pub use crate::pushes::{event_xml, image_xml, now, text_xml};
/// Backoff base of the test dispatcher (retries after 25–50 ms, 50–100 ms, ...).
pub const BACKOFF_BASE: Duration = Duration::from_millis(50);

/// A running gateway with its dispatcher, on a database in its own temp dir.
pub struct Gate {
    pub addr: SocketAddr,
    pub dir: TempDir,
    pub state: AppState,
    extra: String,
    http: reqwest::Client,
    gateway: Option<crate::spawn::App>,
}

/// Start a gateway whose config ends with `extra` (the `[[webhooks]]`).
pub async fn start(extra: &str) -> Gate {
    start_in(tempfile::tempdir().expect("tempdir"), extra.to_string()).await
}

/// [`start`] with the dispatcher's backoff starting at `base` instead of [`BACKOFF_BASE`].
pub async fn start_with_backoff(extra: &str, base: Duration) -> Gate {
    start_tuned(
        tempfile::tempdir().expect("tempdir"),
        extra.to_string(),
        base,
    )
    .await
}

fn config_text(db: &Path, extra: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npath = \"/wechat\"\n\n\
         [account]\ntoken = \"{TOKEN}\"\nsecurity = \"plain\"\n\n\
         [storage]\nurl = \"sqlite://{}\"\n\n[admin]\ntoken = \"{ADMIN_TOKEN}\"\n\n{extra}\n",
        db.display()
    )
}

/// Start a gateway again on the database in `dir` (as [`Gate::stop`] left it, or changed).
pub async fn start_again(dir: TempDir, extra: &str) -> Gate {
    start_in(dir, extra.to_string()).await
}

async fn start_in(dir: TempDir, extra: String) -> Gate {
    start_tuned(dir, extra, BACKOFF_BASE).await
}

async fn start_tuned(dir: TempDir, extra: String, backoff: Duration) -> Gate {
    let text = config_text(&dir.path().join("wx.db"), &extra);
    let config = crate::spawn::config(&text, dir.path());
    let gateway = crate::spawn::Spawn::new(config)
        .tune(move |app| {
            app.tune_outbox(|dispatcher| {
                dispatcher
                    .backoff(backoff, (backoff * 8).max(Duration::from_millis(400)))
                    .intervals(Duration::from_millis(100), Duration::from_millis(200))
            })
        })
        .start()
        .await;
    Gate {
        addr: gateway.addr,
        dir,
        state: gateway.state.clone(),
        extra,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client"),
        gateway: Some(gateway),
    }
}

impl Gate {
    /// Stop gracefully (server, then dispatcher, then store).
    pub async fn stop(mut self) -> (TempDir, String) {
        if let Some(gateway) = self.gateway.take() {
            gateway.stop().await;
        }
        (self.dir, self.extra)
    }

    /// Stop, then start again on the same database and config.
    pub async fn restart(self) -> Gate {
        let (dir, extra) = self.stop().await;
        start_in(dir, extra).await
    }

    /// A plain-mode push, signed with a fresh nonce; asserts the 200.
    pub async fn push(&self, xml: &str) {
        push_to(&self.http, self.addr, xml).await;
    }

    /// An admin API GET: [`App::api`](crate::spawn::App::api).
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let gateway = self.gateway.as_ref().expect("the gateway is running");
        gateway.api(reqwest::Method::GET, path, None).await
    }

    /// A GET without auth: the body as text.
    pub async fn http_text(&self, path: &str) -> String {
        self.http
            .get(format!("http://{}{path}", self.addr))
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("text body")
    }

    /// Deliveries still in the outbox.
    pub async fn pending(&self) -> i64 {
        self.state
            .store
            .pending_jobs()
            .await
            .expect("pending deliveries")
    }

    /// The failed attempts of each pending delivery, oldest first, read from the outbox in
    /// the gateway's SQLite file (a connection of its own, read-only).
    pub fn attempts(&self) -> Vec<i64> {
        let db = rusqlite::Connection::open_with_flags(
            self.dir.path().join("wx.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open the gateway's database");
        db.busy_timeout(Duration::from_secs(5))
            .expect("busy timeout");
        let mut query = db
            .prepare("SELECT attempts FROM outbox ORDER BY id")
            .expect("outbox query");
        let rows = query
            .query_map([], |row| row.get(0))
            .expect("outbox rows")
            .collect::<Result<Vec<i64>, _>>()
            .expect("outbox rows");
        rows
    }
}

/// A plain-mode push to the gateway at `addr` (in process or the real binary), signed with a
/// fresh nonce; asserts the 200.
pub async fn push_to(http: &reqwest::Client, addr: SocketAddr, xml: &str) {
    let ts = now().to_string();
    let nonce = fresh("n");
    let sig = wechat_proto::signature(TOKEN, &ts, &nonce);
    let resp = http
        .post(format!(
            "http://{addr}/wechat?signature={sig}&timestamp={ts}&nonce={nonce}"
        ))
        .header("content-type", "text/xml")
        .body(xml.to_string())
        .send()
        .await
        .expect("POST push");
    assert_eq!(resp.status(), 200, "push answered {}", resp.status());
}

static SEQ: AtomicU64 = AtomicU64::new(1);

/// A string unique in this process, starting with `tag`.
pub fn fresh(tag: &str) -> String {
    format!(
        "{tag}{}x{:06}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

/// A MsgId unique in this process.
pub fn fresh_msg_id() -> u64 {
    (u64::from(std::process::id()) << 24) + SEQ.fetch_add(1, Ordering::Relaxed)
}

/// Config text of a notify webhook.
pub fn notify_hook(name: &str, url: &str, events: &str, more: &str) -> String {
    format!(
        "[[webhooks]]\nname = \"{name}\"\nurl = \"{url}\"\nmode = \"notify\"\n\
         events = {events}\ntimeout_ms = 2000\n{more}\n"
    )
}

/// Wait (polling, at most 15 s) until `cond` holds; panics naming `what` otherwise.
pub async fn wait_until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(15);
    while !cond().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ---------- the receiver stub ----------

impl Hit {
    /// Header `name` as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Hit {
    /// the request path (one per webhook)
    pub path: String,
    pub body: Vec<u8>,
    pub json: Value,
    pub signature: Option<String>,
    pub event_id: Option<String>,
    pub content_type: Option<String>,
    /// every header as sent
    pub headers: HeaderMap,
    /// the status it was answered with
    pub status: u16,
    pub at: Instant,
}

/// A receiver on 127.0.0.1 recording every request; it answers 503 to the next `fail`
/// requests (or to all while `fail` is `usize::MAX`), 200 otherwise.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
    fail: Arc<AtomicUsize>,
    /// how long a failing request is held before its 503, in ms
    stall_ms: Arc<AtomicU64>,
}

impl Receiver {
    /// A receiver on a fresh port.
    pub async fn start() -> (Receiver, JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        Self::serve(listener)
    }

    /// An address where nothing listens yet; [`Receiver::start_at`] brings it up later.
    pub fn down_address() -> SocketAddr {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    }

    /// A receiver on `addr` (retrying briefly if the port is still held).
    pub async fn start_at(addr: SocketAddr) -> (Receiver, JoinHandle<()>) {
        for _ in 0..50 {
            if let Ok(listener) = tokio::net::TcpListener::bind(addr).await {
                return Self::serve(listener);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("cannot bind the receiver again on {addr}");
    }

    fn serve(listener: tokio::net::TcpListener) -> (Receiver, JoinHandle<()>) {
        let addr = listener.local_addr().expect("addr");
        let recv = Receiver {
            addr,
            hits: Arc::default(),
            fail: Arc::default(),
            stall_ms: Arc::default(),
        };
        let r = recv.clone();
        let app = axum::Router::new().fallback(
            move |uri: Uri, headers: HeaderMap, body: axum::body::Bytes| {
                let r = r.clone();
                async move {
                    let status = r.hit(uri, headers, body);
                    let stall = r.stall_ms.load(Ordering::SeqCst);
                    if status != StatusCode::OK && stall > 0 {
                        tokio::time::sleep(Duration::from_millis(stall)).await;
                    }
                    status
                }
            },
        );
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (recv, task)
    }

    fn hit(&self, uri: Uri, headers: HeaderMap, body: axum::body::Bytes) -> StatusCode {
        let failing = self
            .fail
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| match n {
                0 => None,
                usize::MAX => Some(usize::MAX),
                n => Some(n - 1),
            })
            .is_ok();
        let status = if failing {
            StatusCode::SERVICE_UNAVAILABLE
        } else {
            StatusCode::OK
        };
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let hit = Hit {
            path: uri.path().to_string(),
            json: serde_json::from_slice(&body).unwrap_or(Value::Null),
            body: body.to_vec(),
            signature: header("x-wxgate-signature"),
            event_id: header("x-wxgate-event-id"),
            content_type: header("content-type"),
            headers: headers.clone(),
            status: status.as_u16(),
            at: Instant::now(),
        };
        self.hits.lock().expect("lock").push(hit);
        status
    }

    /// `url` of webhook path `path` on this receiver.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Fail the next `n` requests (`usize::MAX`: all, until set again).
    pub fn fail(&self, n: usize) {
        self.fail.store(n, Ordering::SeqCst);
    }

    /// Hold each failing request `by` before answering its 503 (a slow receiver).
    pub fn stall_failures(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.stall_ms.store(ms, Ordering::SeqCst);
    }

    /// Every request so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("lock").clone()
    }

    /// The bodies answered 200 on `path`, in arrival order.
    pub fn delivered(&self, path: &str) -> Vec<Value> {
        self.hits()
            .into_iter()
            .filter(|h| h.path == path && h.status == 200)
            .map(|h| h.json)
            .collect()
    }

    /// Wait until `path` has `n` deliveries; returns them.
    pub async fn wait_delivered(&self, path: &str, n: usize) -> Vec<Value> {
        wait_until(&format!("{n} deliveries on {path}"), || {
            let have = self.delivered(path).len();
            async move { have >= n }
        })
        .await;
        self.delivered(path)
    }
}

/// The webhook event id of the push whose dedupe key is `key` (a MsgId, or an event's key).
pub fn id_of(key: impl std::fmt::Display) -> String {
    wxgate::webhooks::EventId::of(&key.to_string()).to_string()
}

/// The `id`s of the deliveries whose openid is `openid`.
pub fn ids_of(delivered: &[Value], openid: &str) -> Vec<String> {
    delivered
        .iter()
        .filter(|v| v["openid"] == openid)
        .map(|v| v["id"].as_str().expect("id").to_string())
        .collect()
}

// ---------- the real binary ----------

/// Writes the config of `extra` into `dir` (its database beside it, listening on port 0) and
/// starts the real binary on it.
pub fn serve(dir: &Path, extra: &str) -> Proc {
    let config = dir.join("wxgate.toml");
    std::fs::write(&config, config_text(&dir.join("wx.db"), extra)).expect("write config");
    Proc::start(&config)
}
