//! The config file as written (serde), before validation.
//!
//! Every table is `deny_unknown_fields`, so a typo is an error naming the key rather than a
//! silently ignored setting.
use serde::Deserialize;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    /// `[server]`
    pub server: RawServer,
    /// `[account]`
    pub account: RawAccount,
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
}

impl RawConfig {
    /// Whether the file holds a secret: an appsecret, a Token other than the public default,
    /// an EncodingAESKey, the admin token or a webhook secret.
    pub fn holds_secrets(&self) -> bool {
        let a = &self.account;
        a.appsecret.is_some()
            || a.token != RawAccount::default().token
            || a.encoding_aes_key.is_some()
            || a.previous_encoding_aes_key.is_some()
            || self.admin.token.is_some()
            || self.webhooks.iter().any(|w| w.secret.is_some())
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
        }
    }
}

/// `[account]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAccount {
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
            appid: String::new(),
            appsecret: None,
            token: "wxgate-dev-token".into(),
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
}

/// `[wechat_api]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawWechatApi {
    /// API base URL
    pub base_url: String,
}

impl Default for RawWechatApi {
    fn default() -> Self {
        RawWechatApi {
            base_url: "https://api.weixin.qq.com".into(),
        }
    }
}

/// `[[rules]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    /// conditions, all must hold
    #[serde(default)]
    pub when: RawWhen,
    /// a fixed reply
    pub reply: Option<RawReply>,
    /// a call webhook whose answer is the reply
    pub call: Option<String>,
}

/// `when = { ... }`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWhen {
    /// MsgType
    pub msg_type: Option<String>,
    /// Event (case-insensitive)
    pub event: Option<String>,
    /// EventKey, exact
    pub event_key: Option<String>,
    /// EventKey regex
    pub event_key_regex: Option<String>,
    /// QR scene of subscribe / SCAN
    pub scene: Option<String>,
    /// Content, exact
    pub content: Option<String>,
    /// Content regex
    pub content_regex: Option<String>,
    /// FromUserName
    pub from: Option<String>,
}

/// A reply as written in a rule or answered by a call webhook: exactly one kind.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum RawReply {
    /// text, with {openid} {scene} {event_key} {content}
    Text(String),
    /// image media_id
    Image(String),
    /// voice media_id
    Voice(String),
    /// video
    Video(RawVideo),
    /// music
    Music(RawMusic),
    /// news articles
    News(Vec<RawArticle>),
    /// hand over to customer service: `true` or `{ kf_account = "..." }`
    TransferCustomerService(RawTransfer),
}

/// video reply
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVideo {
    /// media_id
    pub media_id: String,
    /// title
    pub title: Option<String>,
    /// description
    pub description: Option<String>,
}

/// music reply
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMusic {
    /// title
    pub title: Option<String>,
    /// description
    pub description: Option<String>,
    /// music_url
    pub music_url: Option<String>,
    /// hq_music_url
    pub hq_music_url: Option<String>,
    /// thumb_media_id
    pub thumb_media_id: String,
}

/// news article
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArticle {
    /// title
    #[serde(default)]
    pub title: String,
    /// description
    #[serde(default)]
    pub description: String,
    /// pic_url
    #[serde(default)]
    pub pic_url: String,
    /// url
    #[serde(default)]
    pub url: String,
}

/// transfer_customer_service value
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RawTransfer {
    /// `true`
    Flag(bool),
    /// `{ kf_account = "..." }`
    Account {
        /// the agent
        kf_account: Option<String>,
    },
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
