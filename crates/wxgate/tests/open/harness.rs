//! A gateway that is only a third-party platform, on 127.0.0.1:0 (in process,
//! `Application::build`), with the mock as the platform's WeChat pushing to it; events and
//! account pushes signed and encrypted as WeChat would.
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use tempfile::TempDir;
use wechat_mock::{MockConfig, MockServer, MockState, Platform};

use crate::spawn::{config, spawn_app, App};
use wechat_proto::{
    msg_signature, open_reply_envelope, render_platform_envelope, render_push_envelope, signature,
    EncodingAesKey, MessageCrypt,
};

pub const ADMIN: &str = "test-admin-token";
pub const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub const COMPONENT: &str = "wxc0c0c0c0c0c0c0c0";
pub const SECRET: &str = "componentsecret";
pub const TOKEN: &str = "platformtoken";

/// The platform's crypt (envelope appid = the component_appid).
pub fn crypt() -> MessageCrypt {
    MessageCrypt::new(EncodingAesKey::parse(KEY).expect("key"), COMPONENT)
}

/// The mock as the platform's WeChat (pushing nowhere until the gateway is up).
pub async fn mock() -> MockServer {
    let platform = Platform::new(
        COMPONENT,
        SECRET,
        TOKEN,
        EncodingAesKey::parse(KEY).expect("key"),
    );
    MockServer::spawn(MockConfig {
        platform: Some(platform),
        ..MockConfig::default()
    })
    .await
    .expect("mock starts")
}

/// The config: `[open_platform]` alone, storage `url`, and `extra`.
pub fn config_toml(storage: &str, base_url: &str, extra: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npath = \"/wechat\"\npublic_url = \"https://wx.example.com\"\n\
         [open_platform]\ncomponent_appid = \"{COMPONENT}\"\ncomponent_appsecret = \"{SECRET}\"\n\
         token = \"{TOKEN}\"\nencoding_aes_key = \"{KEY}\"\n\
         [storage]\nurl = \"{storage}\"\n[admin]\ntoken = \"{ADMIN}\"\n\
         [wechat_api]\nbase_url = \"{base_url}\"\n{extra}\n"
    )
}

/// A running gateway (started by the shared `spawn_app`, as `serve` builds it).
pub struct Gateway {
    pub addr: SocketAddr,
    /// the server's state (a test applies a re-read config through it, as SIGHUP does)
    pub state: wxgate::server::AppState,
    pub http: reqwest::Client,
    app: App,
}

impl Gateway {
    /// A gateway on config `text` (relative paths from `dir`), the mock pushing to it.
    pub async fn start(dir: &Path, text: &str, mock: &MockServer) -> Gateway {
        let app = spawn_app(config(text, dir)).await;
        let addr = app.addr;
        let state = app.state.clone();
        mock.state
            .set_platform_push_to(Some(&format!("http://{addr}/wechat")));
        Gateway {
            addr,
            state,
            http: reqwest::Client::new(),
            app,
        }
    }

    /// [`Gateway::start`], then the mock's ticket taken and `appid` authorised and served.
    pub async fn serving(dir: &Path, text: &str, mock: &MockServer, appid: &str) -> Gateway {
        let gw = Gateway::start(dir, text, mock).await;
        push_ticket(&gw, &mock.state).await;
        authorize(mock, appid).await;
        gw.wait_status(appid, Some("authorized")).await;
        gw
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs the platform event `xml` to `/wechat/open`, sealed as WeChat would; `tamper`
    /// may change the query or body first. (status, answer).
    pub async fn event(
        &self,
        xml: &str,
        envelope_appid: &str,
        token: &str,
    ) -> (StatusCode, String) {
        let (ts, nonce) = (now().to_string(), fresh());
        let encrypt = crypt().encrypt(xml, [7u8; 16]);
        let query = format!(
            "signature={}&timestamp={ts}&nonce={nonce}&encrypt_type=aes&msg_signature={}",
            signature(token, &ts, &nonce),
            msg_signature(token, &ts, &nonce, &encrypt)
        );
        let body = render_platform_envelope(envelope_appid, &encrypt);
        self.post(&format!("/wechat/open?{query}"), body).await
    }

    /// Pushes `xml` to `/wechat/open/{appid}` as WeChat would; (status, reply decrypted or
    /// the answer).
    pub async fn push(&self, appid: &str, xml: &str) -> (StatusCode, String) {
        let (ts, nonce) = (now().to_string(), fresh());
        let encrypt = crypt().encrypt(xml, [9u8; 16]);
        let query = format!(
            "signature={}&timestamp={ts}&nonce={nonce}&openid=o1&encrypt_type=aes&msg_signature={}",
            signature(TOKEN, &ts, &nonce),
            msg_signature(TOKEN, &ts, &nonce, &encrypt)
        );
        let body = render_push_envelope("gh_any", &encrypt);
        let (status, text) = self
            .post(&format!("/wechat/open/{appid}?{query}"), body)
            .await;
        let shown = if status == StatusCode::OK && text != "success" {
            open_reply_envelope(&crypt(), TOKEN, text.as_bytes()).expect("reply opens")
        } else {
            text
        };
        (status, shown)
    }

    async fn post(&self, path_and_query: &str, body: String) -> (StatusCode, String) {
        let resp = self
            .http
            .post(self.url(path_and_query))
            .body(body)
            .send()
            .await
            .expect("POST");
        let status = resp.status();
        (status, resp.text().await.unwrap_or_default())
    }

    /// An admin API call: [`App::api`].
    pub async fn api(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.app.api(method, path, body).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.api(Method::GET, path, None).await
    }

    /// The status `GET /api/accounts` shows for `appid` (None: not listed).
    pub async fn status_of(&self, appid: &str) -> Option<String> {
        let (_, body) = self.get("/api/accounts").await;
        body["accounts"].as_array()?.iter().find_map(|a| {
            (a["name"] == appid).then(|| a["status"].as_str().unwrap_or("").to_string())
        })
    }

    /// Waits (up to 5 s) until `appid`'s status is `want` (None: not listed).
    pub async fn wait_status(&self, appid: &str, want: Option<&str>) {
        for _ in 0..100 {
            if self.status_of(appid).await.as_deref() == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "{appid}: status {:?}, wanted {want:?}",
            self.status_of(appid).await
        );
    }

    /// Stops the gateway (drains, closes the store).
    pub async fn stop(self) {
        self.app.stop().await;
    }
}

/// A ticket issued by the mock, pushed as WeChat would.
pub async fn push_ticket(gateway: &Gateway, state: &MockState) {
    let ticket = state.issue_ticket();
    let xml = format!(
        "<xml><AppId><![CDATA[{COMPONENT}]]></AppId><CreateTime>{}</CreateTime>\
         <InfoType><![CDATA[component_verify_ticket]]></InfoType>\
         <ComponentVerifyTicket><![CDATA[{ticket}]]></ComponentVerifyTicket></xml>",
        now()
    );
    let (status, body) = gateway.event(&xml, COMPONENT, TOKEN).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "success"));
}

/// `POST /mock/open/authorize {"appid"}`: the mock sends the `authorized` push; its answer.
pub async fn authorize(mock: &MockServer, appid: &str) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}/mock/open/authorize", mock.base_url()))
        .json(&json!({ "appid": appid }))
        .send()
        .await
        .expect("authorize");
    resp.json().await.expect("authorize answer")
}

/// `POST /mock/open/unauthorize {"appid"}`.
pub async fn unauthorize(mock: &MockServer, appid: &str) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}/mock/open/unauthorize", mock.base_url()))
        .json(&json!({ "appid": appid }))
        .send()
        .await
        .expect("unauthorize");
    resp.json().await.expect("unauthorize answer")
}

/// A text message from `openid` to `gh`.
pub fn text_to(gh: &str, openid: &str, content: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{gh}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>",
        now()
    )
}

/// An event from `openid` to `gh`.
pub fn event_to(gh: &str, openid: &str, event: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{gh}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>\
         <Latitude>1</Latitude><Longitude>2</Longitude><Precision>3</Precision></xml>",
        now()
    )
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

static NONCE: AtomicU64 = AtomicU64::new(1);

/// A nonce never used before in this process.
pub fn fresh() -> String {
    format!(
        "{}{:06}",
        std::process::id(),
        NONCE.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh temp dir and its SQLite url.
pub fn sqlite() -> (TempDir, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("wx.db").display());
    (dir, url)
}
