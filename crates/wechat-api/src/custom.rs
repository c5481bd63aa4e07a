//! Customer-service messages (`POST /cgi-bin/message/custom/send`): how a reply that missed
//! the 5 s deadline still reaches the user, within 48 h of their last interaction.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::client::ApiClient;
use crate::error::ApiError;

/// One news article (customer-service news carries exactly one).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Article {
    /// Title.
    pub title: String,
    /// Summary.
    pub description: String,
    /// Link opened on tap.
    pub url: String,
    /// Picture URL.
    pub picurl: String,
}

/// The content of a customer-service message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomMessage {
    /// Text.
    Text {
        /// The text.
        content: String,
    },
    /// An image from uploaded media.
    Image {
        /// The media id.
        media_id: String,
    },
    /// A voice message from uploaded media.
    Voice {
        /// The media id.
        media_id: String,
    },
    /// A video from uploaded media.
    Video {
        /// The media id.
        media_id: String,
        /// The thumbnail's media id.
        thumb_media_id: String,
        /// Title.
        title: String,
        /// Description.
        description: String,
    },
    /// Music.
    Music {
        /// Title.
        title: String,
        /// Description.
        description: String,
        /// Link to the music.
        music_url: String,
        /// Link to high-quality music (Wi-Fi).
        hq_music_url: String,
        /// The thumbnail's media id.
        thumb_media_id: String,
    },
    /// One news article.
    News(Article),
}

impl CustomMessage {
    /// WeChat's `msgtype`.
    pub fn msgtype(&self) -> &'static str {
        match self {
            Self::Text { .. } => "text",
            Self::Image { .. } => "image",
            Self::Voice { .. } => "voice",
            Self::Video { .. } => "video",
            Self::Music { .. } => "music",
            Self::News(_) => "news",
        }
    }

    /// The JSON body WeChat wants for sending this to `touser`.
    pub fn to_json(&self, touser: &str) -> Value {
        let payload = match self {
            Self::Text { content } => json!({ "content": content }),
            Self::Image { media_id } | Self::Voice { media_id } => json!({ "media_id": media_id }),
            Self::Video {
                media_id,
                thumb_media_id,
                title,
                description,
            } => json!({
                "media_id": media_id, "thumb_media_id": thumb_media_id, "title": title, "description": description
            }),
            Self::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => json!({
                "title": title, "description": description, "musicurl": music_url,
                "hqmusicurl": hq_music_url, "thumb_media_id": thumb_media_id
            }),
            Self::News(article) => json!({ "articles": [article] }),
        };
        let mut body = json!({ "touser": touser, "msgtype": self.msgtype() });
        if let Some(object) = body.as_object_mut() {
            object.insert(self.msgtype().to_owned(), payload);
        }
        body
    }
}

impl ApiClient {
    /// Sends `message` to `touser`. Outside the 48 h window WeChat answers 45015
    /// ([`ApiError::is_outside_window`]); such errors are final.
    pub async fn send_custom(&self, touser: &str, message: &CustomMessage) -> Result<(), ApiError> {
        if touser.is_empty() {
            return Err(ApiError::InvalidMessage("touser: must not be empty".into()));
        }
        let body = message.to_json(touser);
        self.authed(
            Method::POST,
            "cgi-bin/message/custom/send",
            &[],
            Some(&body),
        )
        .await
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_what_wechat_wants() {
        let text = CustomMessage::Text {
            content: "Hello World".into(),
        }
        .to_json("OPENID");
        assert_eq!(
            text,
            json!({"touser": "OPENID", "msgtype": "text", "text": {"content": "Hello World"}})
        );
        let article = Article {
            title: "t".into(),
            description: "d".into(),
            url: "u".into(),
            picurl: "p".into(),
        };
        let news = CustomMessage::News(article).to_json("OPENID");
        let expected = json!({"touser": "OPENID", "msgtype": "news",
            "news": {"articles": [{"title": "t", "description": "d", "url": "u", "picurl": "p"}]}});
        assert_eq!(news, expected);
        let music = CustomMessage::Music {
            title: "t".into(),
            description: "d".into(),
            music_url: "u".into(),
            hq_music_url: "h".into(),
            thumb_media_id: "T".into(),
        };
        let expected = json!({"touser": "O", "msgtype": "music", "music":
            {"title": "t", "description": "d", "musicurl": "u", "hqmusicurl": "h", "thumb_media_id": "T"}});
        assert_eq!(music.to_json("O"), expected);
    }
}
