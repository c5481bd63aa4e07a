//! The one way the integration test binaries start a gateway in process (`#[path]`-included):
//! a [`Config`] in, the gateway built exactly as `serve` builds it ([`Application::build`]) and
//! serving on 127.0.0.1 port 0 out, with its store and, when the test gives one, the mock
//! WeChat API it calls; [`App::api`] calls its admin API. Also [`poll_until`], the bounded wait
//! that replaces fixed sleeps.
#![allow(dead_code)]

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wechat_mock::MockServer;
use wxgate::app::Application;
use wxgate::config::Config;
use wxgate::server::AppState;
use wxgate::store::Store;

/// `text` read as `serve` reads a config file in `dir` (relative SQLite paths are relative to
/// it), without environment overrides; panics naming the key at fault.
pub fn config(text: &str, dir: &Path) -> Config {
    let raw = wxgate::config::parse_toml(text).unwrap_or_else(|e| panic!("test config: {e}"));
    Config::from_raw(raw, dir, |_| None).unwrap_or_else(|e| panic!("test config: {e}"))
}

/// A change the test makes to the built application before it serves (a faster outbox).
type Tune = Box<dyn FnOnce(Application) -> Application + Send>;

/// What to start: the config, and what the test adds to it.
pub struct Spawn {
    config: Config,
    mock: Option<MockServer>,
    tune: Option<Tune>,
}

impl Spawn {
    /// The gateway of `config` (its `listen` port replaced by 0).
    pub fn new(config: Config) -> Spawn {
        Spawn {
            config,
            mock: None,
            tune: None,
        }
    }

    /// With the mock WeChat API the config points at: the gateway keeps it running.
    pub fn mock(mut self, mock: MockServer) -> Spawn {
        self.mock = Some(mock);
        self
    }

    /// With `tune` applied to the built application before it serves.
    pub fn tune(mut self, tune: impl FnOnce(Application) -> Application + Send + 'static) -> Spawn {
        self.tune = Some(Box::new(tune));
        self
    }

    /// Build it as `serve` does and serve it in a task of its own.
    pub async fn start(self) -> App {
        let mut config = self.config;
        config.server.listen.set_port(0);
        let app = Application::build(config)
            .await
            .unwrap_or_else(|e| panic!("the gateway does not build: {e}"));
        let app = match self.tune {
            Some(tune) => tune(app),
            None => app,
        };
        let addr = app.local_addr();
        let state = app.state().clone();
        let store = Arc::clone(&state.store);
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = stopped.await;
        }));
        App {
            addr,
            state,
            store,
            mock: self.mock,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("HTTP client"),
            stop: Some(stop),
            server: Some(server),
        }
    }
}

/// [`Spawn::new`]`(config).start()`: the gateway of `config`, serving on port 0.
pub async fn spawn_app(config: Config) -> App {
    Spawn::new(config).start().await
}

/// A gateway serving in a task of this test; dropping it stops the server (without waiting),
/// [`App::stop`] stops it gracefully.
pub struct App {
    /// where it listens (127.0.0.1, a port of its own)
    pub addr: SocketAddr,
    /// its state (config, pipeline, registry), as its handlers see it
    pub state: AppState,
    /// its store
    pub store: Arc<dyn Store>,
    /// the mock WeChat API it calls, when the test gave one
    pub mock: Option<MockServer>,
    /// the client of [`App::api`]
    http: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl App {
    /// `http://ADDR`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The mock WeChat API; panics when the test gave none.
    pub fn mock(&self) -> &MockServer {
        self.mock
            .as_ref()
            .expect("this gateway was started without a mock")
    }

    /// A call of its admin API (`path` from the root: `/api/...`) with the `[admin] token` of
    /// its config, `body` sent as JSON: see [`api_call`].
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let admin = self.state.config.admin.token.as_ref();
        let token = admin.expect("App::api: this gateway's config has no [admin] token");
        self.api_as(token.expose(), method, path, body).await
    }

    /// [`App::api`] with the bearer `token` instead (a service token, a wrong one).
    pub async fn api_as(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        api_call(&self.http, token, method, &self.url(path), body).await
    }

    /// Stop gracefully: in-flight work drains, the store is flushed and closed. Fails the
    /// test when the server ended with an error.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server ran");
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// One admin API call: `method` `url` with `token` as its bearer and `body` as JSON. The
/// status and the answer's JSON, Null when the answer is empty; an answer that is not JSON
/// fails the test, naming the call and showing what came.
pub async fn api_call(
    http: &reqwest::Client,
    token: &str,
    method: Method,
    url: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http.request(method.clone(), url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: the answer: {e}"));
    if bytes.is_empty() {
        return (status, Value::Null);
    }
    let value = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{method} {url}: {status}, not JSON ({e}): {}",
            String::from_utf8_lossy(&bytes)
        )
    });
    (status, value)
}

/// Poll `check` every 20 ms until it gives `Some`, and return that; after `within`, fail the
/// test saying what did not happen (`what`).
pub async fn poll_until<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() >= deadline {
            panic!("{what}: not within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
