//! The config file as written (serde), before validation.
//!
//! Every table is `deny_unknown_fields`, so a typo is an error naming the key rather than a
//! silently ignored setting.
use serde::Deserialize;

use crate::rules::RawRule;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    /// `[server]`
    pub server: RawServer,
    /// `[log]`
    pub log: RawLog,
    /// `[account]` (the single account, named `default`)
    pub account: Option<RawAccount>,
    /// `[[accounts]]` (several accounts, each with a `name`), instead of `[account]`
    pub accounts: Vec<RawAccount>,
    /// `[storage]`
    pub storage: RawStorage,
    /// `[admin]`
    pub admin: RawAdmin,
    /// `[wechat_api]`
    pub wechat_api: RawWechatApi,
    /// `[[rules]]`
    pub rules: Vec<RawRule>,
    /// `[[webhooks]]`
    pub webhooks: Vec<RawWebhook>,
    /// `[web]`: the account's web pages (OAuth sign-in, JS-SDK)
    pub web: Option<RawWeb>,
    /// `[open_platform]`: a third-party platform (see `open.rs`)
    pub open_platform: Option<super::open::RawOpenPlatform>,
}

/// `[web]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawWeb {
    /// URL prefixes a sign-in may return under
    pub allowed_redirects: Vec<String>,
}

impl RawConfig {
    /// Whether the file holds a secret: an appsecret, a Token other than the public default,
    /// an EncodingAESKey, the admin token, a webhook secret or an `[open_platform]` (its
    /// Token and key).
    pub fn holds_secrets(&self) -> bool {
        let secret = |a: &RawAccount| {
            a.appsecret.is_some()
                || a.token != RawAccount::default().token
                || a.encoding_aes_key.is_some()
                || a.previous_encoding_aes_key.is_some()
        };
        self.account.iter().chain(&self.accounts).any(secret)
            || self.admin.token.is_some()
            || !self.admin.service_tokens.is_empty()
            || self.webhooks.iter().any(|w| w.secret.is_some())
            || self.open_platform.is_some()
    }
}

/// `[server]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawServer {
    /// listen address
    pub listen: String,
    /// push URL path
    pub path: String,
    /// answer deadline
    pub reply_deadline_ms: u64,
    /// body limit
    pub max_body_bytes: u64,
    /// a request's headers must arrive within this
    pub header_timeout_ms: u64,
    /// concurrent connections at most; more wait in the backlog
    pub max_connections: u64,
    /// on SIGTERM, in-flight work gets this long
    pub shutdown_timeout_s: u64,
    /// addresses or CIDR blocks whose `X-Forwarded-For` / `Forwarded` is believed
    pub trusted_proxies: Vec<String>,
    /// how browsers and WeChat reach the gateway (needed by `[web]`)
    pub public_url: Option<String>,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            listen: "127.0.0.1:8080".into(),
            path: "/wechat".into(),
            reply_deadline_ms: 4000,
            max_body_bytes: 65536,
            header_timeout_ms: 5000,
            max_connections: 10_000,
            shutdown_timeout_s: 10,
            trusted_proxies: Vec::new(),
            public_url: None,
        }
    }
}

/// `[log]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLog {
    /// text | json
    pub format: String,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog {
            format: "text".into(),
        }
    }
}

/// `[account]`, or one entry of `[[accounts]]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAccount {
    /// the account's name (`[[accounts]]` only): 1–32 of `a-z 0-9 _ -`
    pub name: Option<String>,
    /// appid
    pub appid: String,
    /// appsecret
    pub appsecret: Option<String>,
    /// console Token
    pub token: String,
    /// EncodingAESKey
    pub encoding_aes_key: Option<String>,
    /// the EncodingAESKey before a key change
    pub previous_encoding_aes_key: Option<String>,
    /// plain | compatible | safe
    pub security: String,
    /// timestamp freshness check (default 300 s), 0 = off
    pub max_clock_skew_s: u64,
    /// 403 for a signature reused with another body
    pub refuse_replays: bool,
}

impl Default for RawAccount {
    fn default() -> Self {
        RawAccount {
            name: None,
            appid: String::new(),
            appsecret: None,
            token: super::DEV_TOKEN.into(),
            encoding_aes_key: None,
            previous_encoding_aes_key: None,
            security: "plain".into(),
            max_clock_skew_s: 300,
            refuse_replays: true,
        }
    }
}

/// `[storage]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawStorage {
    /// sqlite://PATH, sqlite::memory:, postgres://...
    pub url: String,
    /// "30d"; "0" keeps events forever
    pub retain_events: String,
}

impl Default for RawStorage {
    fn default() -> Self {
        RawStorage {
            url: "sqlite://wxgate.db".into(),
            retain_events: "30d".into(),
        }
    }
}

/// `[admin]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAdmin {
    /// bearer token for /api/*
    pub token: Option<String>,
    /// bearer tokens of the account's other services (access_token, wechat/*, messages/* only)
    pub service_tokens: Vec<String>,
}

/// `[wechat_api]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawWechatApi {
    /// API base URL
    pub base_url: String,
    /// template messages sent per second at most
    pub template_rate: u32,
    /// where browsers are sent for OAuth sign-in
    pub open_base_url: String,
}

impl Default for RawWechatApi {
    fn default() -> Self {
        RawWechatApi {
            base_url: "https://api.weixin.qq.com".into(),
            template_rate: 20,
            open_base_url: "https://open.weixin.qq.com".into(),
        }
    }
}

/// `[[webhooks]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    /// name rules refer to
    pub name: String,
    /// endpoint
    pub url: String,
    /// HMAC secret: `whsec_BASE64` (Standard Webhooks) or any other string, used as its bytes
    pub secret: Option<String>,
    /// call | notify
    #[serde(default = "default_mode")]
    pub mode: String,
    /// msg_type / event names (notify)
    #[serde(default = "default_events")]
    pub events: Vec<String>,
    /// give up on a delivery older than this (notify)
    #[serde(default = "default_max_age")]
    pub max_age: String,
    /// per request
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
    /// the accounts whose pushes it serves (names of `[[accounts]]`); all when absent
    pub accounts: Option<Vec<String>>,
}

fn default_mode() -> String {
    "notify".into()
}
fn default_events() -> Vec<String> {
    vec!["*".into()]
}
fn default_max_age() -> String {
    "72h".into()
}
fn default_timeout_ms() -> u64 {
    3000
}
