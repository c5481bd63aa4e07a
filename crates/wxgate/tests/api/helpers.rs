//! Harness: the mock API on 127.0.0.1:0, the gateway in process on 127.0.0.1:0 pointed at
//! it, signed pushes, the real binary, and QR decoding (SVG rasterised, PNG decoded).
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tempfile::TempDir;
use wechat_mock::{MockConfig, MockServer};

pub const TOKEN: &str = "wxgatedevtoken";
pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const APPID: &str = "wx0123456789abcdef";
pub const APPSECRET: &str = "0123456789abcdef0123456789abcdef";

/// The mock API with the test account's credentials.
pub async fn mock() -> MockServer {
    let config = MockConfig {
        appid: APPID.into(),
        appsecret: APPSECRET.into(),
        ..MockConfig::default()
    };
    MockServer::spawn(config).await.expect("mock starts")
}

/// A config file in `dir` pointing at `base_url`, with the appsecret when `secret`.
pub fn write_config(dir: &Path, base_url: &str, secret: bool) -> PathBuf {
    let secret = if secret {
        format!("appsecret = \"{APPSECRET}\"\n")
    } else {
        String::new()
    };
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npath = \"/wechat\"\n\n\
         [account]\nappid = \"{APPID}\"\n{secret}token = \"{TOKEN}\"\n\n\
         [storage]\nurl = \"sqlite://{db}\"\n\n\
         [admin]\ntoken = \"{ADMIN_TOKEN}\"\n\n\
         [wechat_api]\nbase_url = \"{base_url}\"\n",
        db = dir.join("wx.db").display(),
    );
    let path = dir.join("wxgate.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// A gateway running in process, its database in `dir`.
pub struct Gateway {
    pub base: String,
    pub http: reqwest::Client,
    gateway: crate::spawn::App,
}

impl Gateway {
    /// Starts a gateway on the config in `dir` (see [`write_config`]).
    pub async fn start(dir: &Path) -> Gateway {
        let text = std::fs::read_to_string(dir.join("wxgate.toml")).expect("read config");
        let gateway = crate::spawn::spawn_app(crate::spawn::config(&text, dir)).await;
        Gateway {
            base: gateway.base(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            gateway,
        }
    }

    /// Stops it gracefully (the store is flushed and closed).
    pub async fn stop(self) {
        self.gateway.stop().await;
    }

    /// An admin API call with the bearer token; returns status and raw body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, Vec<u8>) {
        let mut request = self
            .http
            .request(method, format!("{}/api{path}", self.base))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.expect("admin call");
        let status = response.status();
        (status, response.bytes().await.expect("body").to_vec())
    }

    /// An admin API call answering JSON.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> (StatusCode, Value) {
        let (status, bytes) = self.call(method, path, body).await;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                panic!(
                    "{path}: not JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })
        };
        (status, value)
    }

    /// Posts a correctly signed plaintext push; asserts 200.
    pub async fn push(&self, xml: &str) {
        static NONCE: AtomicU64 = AtomicU64::new(1);
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let nonce = format!("n{}", NONCE.fetch_add(1, Ordering::Relaxed));
        let signature = wechat_proto::signature(TOKEN, &timestamp, &nonce);
        let url = format!(
            "{}/wechat?signature={signature}&timestamp={timestamp}&nonce={nonce}",
            self.base
        );
        let response = self
            .http
            .post(url)
            .body(xml.to_owned())
            .send()
            .await
            .expect("push");
        assert_eq!(response.status(), StatusCode::OK, "push answered");
    }
}

static MSG: AtomicU64 = AtomicU64::new(1);

/// A QR event push: `subscribe` (EventKey `qrscene_S`) or `SCAN` (EventKey `S`).
pub fn qr_event(openid: &str, event: &str, scene: &str) -> String {
    let key = if event == "subscribe" {
        format!("qrscene_{scene}")
    } else {
        scene.to_owned()
    };
    let time = 1_700_000_000 + MSG.fetch_add(1, Ordering::Relaxed);
    format!(
        "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
         <FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{time}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>\
         <EventKey><![CDATA[{key}]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket></xml>"
    )
}

/// The calls the mock recorded as changing something.
pub fn sent_paths(mock: &MockServer) -> Vec<String> {
    mock.state.sent().into_iter().map(|c| c.path).collect()
}

/// Runs the real binary with `-c config` and `args`, no `WXGATE_*` from the environment,
/// off the runtime's threads (the mock API it calls is served by this runtime).
pub async fn wxgate(config: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxgate"));
    command.arg("-c").arg(config).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("WXGATE_") {
            command.env_remove(key);
        }
    }
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("blocking task")
        .expect("run wxgate")
}

/// stdout and stderr of a finished command, for messages.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A temp dir for one test.
pub fn dir() -> TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Decodes a greyscale bitmap (`dark(x, y)`) holding one QR code.
fn decode_bitmap(width: usize, height: usize, dark: impl Fn(usize, usize) -> bool) -> String {
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| {
        if dark(x, y) {
            0
        } else {
            255
        }
    });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("the code decodes").1
}

/// Decodes a PNG holding one QR code.
pub fn decode_png(bytes: &[u8]) -> String {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("a PNG");
    let size = reader
        .output_buffer_size()
        .expect("the frame fits in memory");
    let mut buffer = vec![0; size];
    let info = reader.next_frame(&mut buffer).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    assert_eq!(info.bit_depth, png::BitDepth::Eight);
    let (width, height) = (info.width as usize, info.height as usize);
    decode_bitmap(width, height, |x, y| buffer[y * info.line_size + x] < 128)
}

/// Decodes an SVG drawn as rectangles (`M{x} {y}h{w}v{h}...`) on a white background.
pub fn decode_svg(svg: &str) -> String {
    let size = regex::Regex::new(r#"<svg[^>]* width="(\d+)" height="(\d+)""#).expect("regex");
    let caps = size.captures(svg).expect("svg has a size");
    let width: usize = caps[1].parse().expect("width");
    let height: usize = caps[2].parse().expect("height");
    let mut pixels = vec![false; width * height];
    let rect = regex::Regex::new(r"M(\d+) (\d+)h(\d+)v(\d+)").expect("regex");
    let mut rects = 0;
    for caps in rect.captures_iter(svg) {
        let n = |i: usize| caps[i].parse::<usize>().expect("number");
        let (x, y, w, h) = (n(1), n(2), n(3), n(4));
        for row in y..y + h {
            pixels[row * width + x..row * width + x + w].fill(true);
        }
        rects += 1;
    }
    assert!(rects > 0, "the SVG draws modules");
    decode_bitmap(width, height, |x, y| pixels[y * width + x])
}
