//! The `[[rules]]` tables as written (serde), before compiling. `config` embeds them in its
//! `RawConfig`; a call webhook's answer uses [`RawReply`] too.
use serde::Deserialize;

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
    /// the account the push came to (its config name); any account when absent
    pub account: Option<String>,
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
