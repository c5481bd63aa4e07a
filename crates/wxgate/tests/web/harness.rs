//! A gateway with `[web]` on 127.0.0.1:0 (in process), the mock WeChat API serving both the
//! API and the OAuth page, and a "browser" that follows the sign-in's redirects by hand.
use std::sync::Arc;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use tempfile::TempDir;
use wechat_mock::{MockConfig, MockServer};
use wxgate::store::Store;

pub const ADMIN: &str = "test-admin-token";
pub const SERVICE: &str = "test-service-token";
pub const PUBLIC_URL: &str = "https://wx.example.com";
pub const APPID: &str = "wx0123456789abcdef";
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";
pub const APPID_TWO: &str = "wx2222222222222222";
pub const SECRET_TWO: &str = "22222222222222222222222222222222";

/// The mock WeChat API knowing both test accounts.
pub async fn mock() -> MockServer {
    MockServer::spawn(MockConfig {
        appid: APPID.into(),
        appsecret: SECRET.into(),
        more_apps: vec![(APPID_TWO.into(), SECRET_TWO.into())],
        ..MockConfig::default()
    })
    .await
    .expect("mock starts")
}

/// How the test config lists its accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accounts {
    /// `[account]` (named `default`)
    Single,
    /// `[[accounts]]` `one` and `two`
    Listed,
}

/// The config text: `[web]` allowing `https://shop.example.com/` and
/// `https://h5.example.com/app/`, the mock as both API and OAuth page, storage at `db`.
pub fn config_text(mock: &MockServer, accounts: Accounts, db: &str) -> String {
    let accounts = match accounts {
        Accounts::Single => {
            format!("[account]\nappid = \"{APPID}\"\nappsecret = \"{SECRET}\"\n")
        }
        Accounts::Listed => format!(
            "[[accounts]]\nname = \"one\"\nappid = \"{APPID}\"\nappsecret = \"{SECRET}\"\n\n\
             [[accounts]]\nname = \"two\"\nappid = \"{APPID_TWO}\"\nappsecret = \"{SECRET_TWO}\"\n"
        ),
    };
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\npublic_url = \"{PUBLIC_URL}\"\n\n{accounts}\n\
         [storage]\nurl = \"{db}\"\n\n\
         [admin]\ntoken = \"{ADMIN}\"\nservice_tokens = [\"{SERVICE}\"]\n\n\
         [wechat_api]\nbase_url = \"{base}\"\nopen_base_url = \"{base}\"\n\n\
         [web]\nallowed_redirects = [\"https://shop.example.com/\", \"https://h5.example.com/app/\"]\n",
        base = mock.base_url(),
    )
}

/// A running gateway; its store is reachable for store-level checks.
pub struct Gateway {
    pub base: String,
    pub store: Arc<dyn Store>,
    pub browser: reqwest::Client,
    gateway: crate::spawn::App,
    _dir: Option<TempDir>,
}

impl Gateway {
    /// A gateway on a fresh SQLite file.
    pub async fn sqlite(mock: &MockServer, accounts: Accounts) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = format!("sqlite://{}", dir.path().join("wx.db").display());
        let mut gateway = Gateway::start(&config_text(mock, accounts, &db)).await;
        gateway._dir = Some(dir);
        gateway
    }

    /// A gateway on the config `text`.
    pub async fn start(text: &str) -> Gateway {
        let config = crate::spawn::config(text, std::path::Path::new("/"));
        let gateway = crate::spawn::spawn_app(config).await;
        Gateway {
            base: gateway.base(),
            store: Arc::clone(&gateway.store),
            browser: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            gateway,
            _dir: None,
        }
    }

    /// Stops it gracefully.
    pub async fn stop(self) {
        self.gateway.stop().await;
    }

    /// A GET as a browser makes it (no redirect followed): status, `Location`, body.
    pub async fn open(&self, url: &str) -> (StatusCode, Option<Url>, String) {
        let response = self.browser.get(url).send().await.expect("request");
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(|v| Url::parse(v).expect("an absolute Location"));
        (status, location, response.text().await.expect("body"))
    }

    /// `GET /oauth/{account}/authorize?redirect=&scope=` (the query given raw).
    pub async fn authorize(&self, account: &str, query: &str) -> (StatusCode, Option<Url>, String) {
        self.open(&format!("{}/oauth/{account}/authorize?{query}", self.base))
            .await
    }

    /// The whole sign-in as a browser inside WeChat goes through it: the gateway's authorize,
    /// WeChat's page (the mock), the gateway's callback (at `callback_base`, the instance
    /// WeChat's redirect reaches). Answers the last redirect: the page with its `wx_ticket`.
    pub async fn sign_in(
        &self,
        account: &str,
        redirect: &str,
        scope: &str,
        callback_base: &str,
    ) -> Url {
        let query = format!(
            "redirect={}&scope={scope}",
            form_urlencoded::byte_serialize(redirect.as_bytes()).collect::<String>()
        );
        let (status, to_wechat, body) = self.authorize(account, &query).await;
        assert_eq!(status, StatusCode::FOUND, "authorize: {body}");
        let to_wechat = to_wechat.expect("a Location to WeChat");
        let (status, to_callback, body) = self.open(to_wechat.as_str()).await;
        assert_eq!(status, StatusCode::FOUND, "the OAuth page: {body}");
        let to_callback = to_callback.expect("a Location to the callback");
        assert!(
            to_callback
                .as_str()
                .starts_with(&format!("{PUBLIC_URL}/oauth/"))
                && to_callback.path().ends_with("/callback"),
            "{to_callback}"
        );
        // The browser reaches the gateway at its public URL: here, the instance given.
        let reached = format!(
            "{callback_base}{}?{}",
            to_callback.path(),
            to_callback.query().unwrap_or("")
        );
        let (status, back, body) = self.open(&reached).await;
        assert_eq!(status, StatusCode::FOUND, "callback: {body}");
        back.expect("a Location back to the page")
    }

    /// `/api{path}` called with `token`: [`App::api_as`](crate::spawn::App::api_as).
    pub async fn api(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let path = format!("/api{path}");
        self.gateway.api_as(token, method, &path, body).await
    }

    /// `POST /api/oauth/redeem {"ticket"}` with the admin token.
    pub async fn redeem(&self, ticket: &str) -> (StatusCode, Value) {
        self.api(
            ADMIN,
            Method::POST,
            "/oauth/redeem",
            Some(serde_json::json!({ "ticket": ticket })),
        )
        .await
    }
}

/// The `wx_ticket` of a page the sign-in came back to.
pub fn ticket_of(page: &Url) -> String {
    page.query_pairs()
        .find(|(name, _)| name == "wx_ticket")
        .map(|(_, value)| value.into_owned())
        .expect("a wx_ticket")
}
