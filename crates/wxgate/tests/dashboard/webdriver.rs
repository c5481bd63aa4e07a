//! Just enough of the W3C WebDriver protocol, spoken over `reqwest` to a ChromeDriver this
//! module starts and kills, to drive a headless Chromium through the dashboard.
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};
use tempfile::TempDir;

/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long `wait_*` helpers poll before giving up.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Where the browser and its driver live, if installed.
pub fn locate() -> Option<(PathBuf, PathBuf)> {
    let find = |names: &[&str]| {
        names
            .iter()
            .map(Path::new)
            .find(|p| p.is_file())
            .map(Path::to_path_buf)
    };
    let driver = find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"])?;
    let browser = find(&["/usr/bin/chromium", "/usr/lib/chromium/chromium"])?;
    Some((browser, driver))
}

/// A running ChromeDriver with one headless Chromium session; both end on drop.
pub struct Browser {
    driver: Child,
    base: String,
    http: reqwest::Client,
    _profile: TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The session is deleted by `quit`; this only stops the driver process we started.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// A reference to a DOM element.
#[derive(Debug, Clone)]
pub struct Element(String);

impl Browser {
    /// Start `chromedriver` on a free port and open a session of `browser` with the flags a
    /// closed network needs, a fresh profile and a fixed window size.
    pub async fn start(browser: &Path, driver: &Path) -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let profile = tempfile::tempdir().expect("profile dir");
        let mut me = Browser {
            driver: child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .expect("client"),
            _profile: profile,
        };
        me.wait_ready().await;
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,1400",
            &format!("--user-data-dir={}", me._profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "goog:chromeOptions": {"binary": browser.display().to_string(), "args": args},
        }}});
        let session = me.call(reqwest::Method::POST, "/session", Some(caps)).await;
        let id = session["sessionId"]
            .as_str()
            .expect("session id")
            .to_string();
        me.base = format!("{}/session/{id}", me.base);
        me
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let ready = self.http.get(format!("{}/status", self.base)).send().await;
            if let Ok(resp) = ready {
                if let Ok(body) = resp.json::<Value>().await {
                    if body["value"]["ready"] == true {
                        return;
                    }
                }
            }
            if let Ok(Some(status)) = self.driver.try_wait() {
                panic!("chromedriver exited early: {status}");
            }
            assert!(Instant::now() < deadline, "chromedriver not ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// One command; panics on a WebDriver error. Returns its `value`.
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        match self.try_call(method, path, body).await {
            Ok(v) => v,
            Err(e) => panic!("WebDriver {path}: {e}"),
        }
    }

    /// One command; a WebDriver error comes back as its `value` object.
    async fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("WebDriver reachable");
        let ok = resp.status().is_success();
        let mut body: Value = resp.json().await.expect("WebDriver JSON");
        let value = body["value"].take();
        if ok {
            Ok(value)
        } else {
            Err(value)
        }
    }

    /// Navigate.
    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    /// All elements matching a CSS selector (possibly none).
    pub async fn all(&self, css: &str) -> Vec<Element> {
        let found = self
            .call(
                reqwest::Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(|id| Element(id.to_string())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The visible text of an element ("" when hidden).
    pub async fn text(&self, el: &Element) -> String {
        let path = format!("/element/{}/text", el.0);
        self.call(reqwest::Method::GET, &path, None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The visible text of the first match of `css`, or None when nothing matches.
    pub async fn text_of(&self, css: &str) -> Option<String> {
        match self.all(css).await.first() {
            Some(el) => Some(self.text(el).await),
            None => None,
        }
    }

    /// Poll until `css` matches an element whose visible text satisfies `pred`; returns it.
    pub async fn wait_text(&self, css: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let seen = self.text_of(css).await;
            if let Some(text) = &seen {
                if pred(text) {
                    return text.clone();
                }
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on {css}; last text: {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Poll until `css` matches exactly `n` elements; returns them.
    pub async fn wait_count(&self, css: &str, n: usize) -> Vec<Element> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let found = self.all(css).await;
            if found.len() == n {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {n} of {css}; saw {}",
                found.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clear an input and type into it.
    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.wait_count(css, 1).await.remove(0);
        let path = format!("/element/{}/clear", el.0);
        self.call(reqwest::Method::POST, &path, Some(json!({})))
            .await;
        let path = format!("/element/{}/value", el.0);
        self.call(reqwest::Method::POST, &path, Some(json!({ "text": text })))
            .await;
    }

    /// Click an element.
    pub async fn click(&self, el: &Element) {
        let path = format!("/element/{}/click", el.0);
        self.call(reqwest::Method::POST, &path, Some(json!({})))
            .await;
    }

    /// Wait for a `confirm()`/`alert()` dialog, accept it and return its text.
    pub async fn accept_dialog(&self) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(text) = self
                .try_call(reqwest::Method::GET, "/alert/text", None)
                .await
            {
                self.call(reqwest::Method::POST, "/alert/accept", Some(json!({})))
                    .await;
                return text.as_str().unwrap_or_default().to_string();
            }
            assert!(Instant::now() < deadline, "no dialog opened");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Run a script in the page and return its value.
    pub async fn eval(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Resize the window (the viewport follows; headless Chromium allows any size).
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// A PNG screenshot of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        let b64 = self.call(reqwest::Method::GET, "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().expect("base64 screenshot"))
            .expect("valid base64")
    }

    /// End the session (closes Chromium); the driver stops on drop.
    pub async fn quit(self) {
        let _ = self.try_call(reqwest::Method::DELETE, "", None).await;
    }
}
