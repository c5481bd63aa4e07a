//! Passive replies.
use crate::error::ReplyError;
use crate::message::Message;

/// A news article.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Article {
    /// Title
    pub title: String,
    /// Description
    pub description: String,
    /// PicUrl
    pub pic_url: String,
    /// Url
    pub url: String,
}

/// A passive reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// text
    Text {
        /// Content
        content: String,
    },
    /// image by media_id
    Image {
        /// MediaId
        media_id: String,
    },
    /// voice by media_id
    Voice {
        /// MediaId
        media_id: String,
    },
    /// video
    Video {
        /// MediaId
        media_id: String,
        /// Title
        title: Option<String>,
        /// Description
        description: Option<String>,
    },
    /// music
    Music {
        /// Title
        title: Option<String>,
        /// Description
        description: Option<String>,
        /// MusicUrl
        music_url: Option<String>,
        /// HQMusicUrl
        hq_music_url: Option<String>,
        /// ThumbMediaId
        thumb_media_id: String,
    },
    /// news
    News {
        /// articles
        articles: Vec<Article>,
    },
    /// hand over to customer service
    TransferCustomerService {
        /// optional agent
        kf_account: Option<String>,
    },
}

impl Reply {
    /// MsgType of the reply ("text", "news", "transfer_customer_service", ...).
    pub fn kind(&self) -> &'static str {
        todo!()
    }
    /// Check the reply is allowed as an answer to `to` (news: 1 article for user messages, 8 for events).
    pub fn check_for(&self, to: &Message) -> Result<(), ReplyError> {
        todo!("{to:?}")
    }
    /// Render as WeChat expects. `to_user` is the push's FromUserName, `from_user` its ToUserName.
    pub fn render(&self, to_user: &str, from_user: &str, create_time: i64) -> String {
        todo!("{to_user}{from_user}{create_time}")
    }
}
