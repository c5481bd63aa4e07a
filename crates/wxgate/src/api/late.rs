//! [`CustomServiceSender`]: late call-webhook replies go out as customer-service messages
//! (`message/custom/send`), within WeChat's 48 h window.
use std::sync::Arc;

use async_trait::async_trait;
use wechat_api::{ApiClient, Article, CustomMessage};
use wechat_proto::Reply;

/// Why a late reply was not sent.
#[derive(Debug, thiserror::Error)]
pub enum LateError {
    /// the reply has no customer-service message form
    #[error(transparent)]
    Unsendable(#[from] Unsendable),
    /// the customer-service API refused it or could not be reached
    #[error("customer-service API: {0}")]
    Api(#[source] wechat_api::ApiError),
}

/// A reply that cannot go out as a customer-service message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsendable {
    /// a news reply without articles
    #[error("a news reply without articles cannot be sent")]
    NoArticles,
    /// a hand-over to customer service
    #[error("transfer_customer_service has no customer-service message form")]
    Transfer,
}

/// Sends a reply to a user outside the push (WeChat's customer-service message).
#[async_trait]
pub trait LateSender: Send + Sync {
    /// Send `reply` to `openid`.
    async fn send(&self, openid: &str, reply: &Reply) -> Result<(), LateError>;
}

/// Sends late replies through the account's API client.
pub struct CustomServiceSender {
    client: Arc<ApiClient>,
}

impl CustomServiceSender {
    /// A sender using `client`.
    pub fn new(client: Arc<ApiClient>) -> Self {
        CustomServiceSender { client }
    }
}

#[async_trait]
impl LateSender for CustomServiceSender {
    async fn send(&self, openid: &str, reply: &Reply) -> Result<(), LateError> {
        let message = custom_message(reply)?;
        self.client
            .send_custom(openid, &message)
            .await
            .map_err(LateError::Api)
    }
}

/// The customer-service message carrying `reply`. News keeps its first article (WeChat takes
/// one); a video goes without thumbnail (a passive reply has none); a hand-over to customer
/// service has no message form.
fn custom_message(reply: &Reply) -> Result<CustomMessage, Unsendable> {
    let message = match reply {
        Reply::Text { content } => CustomMessage::Text {
            content: content.clone(),
        },
        Reply::Image { media_id } => CustomMessage::Image {
            media_id: media_id.clone(),
        },
        Reply::Voice { media_id } => CustomMessage::Voice {
            media_id: media_id.clone(),
        },
        Reply::Video {
            media_id,
            title,
            description,
        } => CustomMessage::Video {
            media_id: media_id.clone(),
            thumb_media_id: String::new(),
            title: title.clone().unwrap_or_default(),
            description: description.clone().unwrap_or_default(),
        },
        Reply::Music {
            title,
            description,
            music_url,
            hq_music_url,
            thumb_media_id,
        } => CustomMessage::Music {
            title: title.clone().unwrap_or_default(),
            description: description.clone().unwrap_or_default(),
            music_url: music_url.clone().unwrap_or_default(),
            hq_music_url: hq_music_url.clone().unwrap_or_default(),
            thumb_media_id: thumb_media_id.clone(),
        },
        Reply::News { articles } => {
            let first = articles.first().ok_or(Unsendable::NoArticles)?;
            CustomMessage::News(Article {
                title: first.title.clone(),
                description: first.description.clone(),
                url: first.url.clone(),
                picurl: first.pic_url.clone(),
            })
        }
        Reply::TransferCustomerService { .. } => return Err(Unsendable::Transfer),
    };
    Ok(message)
}

#[cfg(test)]
mod tests {
    use wechat_proto::reply::Article as ReplyArticle;

    use super::*;

    #[test]
    fn news_keeps_its_first_article() {
        let article = |title: &str| ReplyArticle {
            title: title.into(),
            description: "d".into(),
            pic_url: "p".into(),
            url: "u".into(),
        };
        let reply = Reply::News {
            articles: vec![article("one"), article("two")],
        };
        let expected = CustomMessage::News(Article {
            title: "one".into(),
            description: "d".into(),
            url: "u".into(),
            picurl: "p".into(),
        });
        assert_eq!(custom_message(&reply), Ok(expected));
    }

    #[test]
    fn text_is_text_and_a_transfer_is_refused() {
        let text = Reply::Text {
            content: "late".into(),
        };
        assert_eq!(
            custom_message(&text),
            Ok(CustomMessage::Text {
                content: "late".into()
            })
        );
        let transfer = Reply::TransferCustomerService { kf_account: None };
        assert_eq!(custom_message(&transfer), Err(Unsendable::Transfer));
        assert_eq!(
            custom_message(&Reply::News { articles: vec![] }),
            Err(Unsendable::NoArticles)
        );
    }
}
