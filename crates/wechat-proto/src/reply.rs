//! Passive replies: the XML answered in the HTTP response to a push.
use std::fmt::Write as _;

use crate::error::ReplyError;
use crate::message::{FieldValue, Fields, Message};
use crate::write::{cdata_element, text_element};

/// Most news articles in a reply to an event.
pub const MAX_ARTICLES_EVENT: usize = 8;
/// Most news articles in a reply to an ordinary user message.
pub const MAX_ARTICLES_USER_MESSAGE: usize = 1;

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

/// Every value of [`Reply::kind`].
const KINDS: [&str; 7] = [
    "text",
    "image",
    "voice",
    "video",
    "music",
    "news",
    "transfer_customer_service",
];

impl Reply {
    /// The kind of a reply rendered earlier (kept in a store, say), read back with the
    /// hardened parser: one of [`Reply::kind`]'s values, or None when `xml` is not a reply
    /// this crate renders.
    ///
    /// ```
    /// use wechat_proto::Reply;
    ///
    /// let xml = Reply::Text { content: "hi".into() }.render("oUser", "gh_1", 1700000000);
    /// assert_eq!(Reply::rendered_kind(&xml), Some("text"));
    /// assert_eq!(Reply::rendered_kind("<xml><MsgType>poem</MsgType></xml>"), None);
    /// assert_eq!(Reply::rendered_kind("success"), None);
    /// ```
    pub fn rendered_kind(xml: &str) -> Option<&'static str> {
        let fields = crate::xml::parse_document(xml.as_bytes()).ok()?;
        let msg_type = fields.text("MsgType")?;
        KINDS.into_iter().find(|kind| *kind == msg_type)
    }

    /// MsgType of the reply ("text", "news", "transfer_customer_service", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Reply::Text { .. } => "text",
            Reply::Image { .. } => "image",
            Reply::Voice { .. } => "voice",
            Reply::Video { .. } => "video",
            Reply::Music { .. } => "music",
            Reply::News { .. } => "news",
            Reply::TransferCustomerService { .. } => "transfer_customer_service",
        }
    }

    /// Check the reply is allowed as an answer to `to` (news: 1 article for user messages, 8 for events).
    pub fn check_for(&self, to: &Message) -> Result<(), ReplyError> {
        let Reply::News { articles } = self else {
            return Ok(());
        };
        let max = if to.is_user_message() {
            MAX_ARTICLES_USER_MESSAGE
        } else {
            MAX_ARTICLES_EVENT
        };
        match articles.len() {
            0 => Err(ReplyError::NoArticles),
            count if count > max => Err(ReplyError::TooManyArticles { count, max }),
            _ => Ok(()),
        }
    }

    /// Render as WeChat expects. `to_user` is the push's FromUserName, `from_user` its ToUserName.
    ///
    /// Header first, every string in CDATA (a `]]>` inside is split across two sections).
    /// Characters XML 1.0 does not allow (C0 controls other than tab, newline and return;
    /// U+FFFE, U+FFFF) are dropped from every string, so the reply always parses.
    pub fn render(&self, to_user: &str, from_user: &str, create_time: i64) -> String {
        let mut out = String::with_capacity(256 + self.payload_len());
        out.push_str("<xml>");
        cdata_element(&mut out, "ToUserName", to_user);
        cdata_element(&mut out, "FromUserName", from_user);
        // Writing to a String cannot fail.
        let _ = write!(out, "<CreateTime>{create_time}</CreateTime>");
        cdata_element(&mut out, "MsgType", self.kind());
        self.render_body(&mut out);
        out.push_str("</xml>");
        out
    }

    fn render_body(&self, out: &mut String) {
        let optional = |out: &mut String, tag: &str, value: &Option<String>| {
            if let Some(v) = value {
                cdata_element(out, tag, v);
            }
        };
        match self {
            Reply::Text { content } => cdata_element(out, "Content", content),
            Reply::Image { media_id } => media(out, "Image", media_id),
            Reply::Voice { media_id } => media(out, "Voice", media_id),
            Reply::Video {
                media_id,
                title,
                description,
            } => {
                out.push_str("<Video>");
                cdata_element(out, "MediaId", media_id);
                optional(out, "Title", title);
                optional(out, "Description", description);
                out.push_str("</Video>");
            }
            Reply::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => {
                out.push_str("<Music>");
                optional(out, "Title", title);
                optional(out, "Description", description);
                optional(out, "MusicUrl", music_url);
                optional(out, "HQMusicUrl", hq_music_url);
                cdata_element(out, "ThumbMediaId", thumb_media_id);
                out.push_str("</Music>");
            }
            Reply::News { articles } => {
                text_element(out, "ArticleCount", &articles.len().to_string());
                out.push_str("<Articles>");
                for a in articles {
                    out.push_str("<item>");
                    cdata_element(out, "Title", &a.title);
                    cdata_element(out, "Description", &a.description);
                    cdata_element(out, "PicUrl", &a.pic_url);
                    cdata_element(out, "Url", &a.url);
                    out.push_str("</item>");
                }
                out.push_str("</Articles>");
            }
            Reply::TransferCustomerService { kf_account } => {
                if let Some(account) = kf_account {
                    out.push_str("<TransInfo>");
                    cdata_element(out, "KfAccount", account);
                    out.push_str("</TransInfo>");
                }
            }
        }
    }

    /// A rough size of the strings, to size the output buffer once.
    fn payload_len(&self) -> usize {
        let opt = |o: &Option<String>| o.as_ref().map_or(0, String::len);
        match self {
            Reply::Text { content } => content.len(),
            Reply::Image { media_id } | Reply::Voice { media_id } => media_id.len(),
            Reply::Video {
                media_id,
                title,
                description,
            } => media_id.len() + opt(title) + opt(description),
            Reply::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id,
            } => {
                opt(title)
                    + opt(description)
                    + opt(music_url)
                    + opt(hq_music_url)
                    + thumb_media_id.len()
            }
            Reply::News { articles } => articles
                .iter()
                .map(|a| 160 + a.title.len() + a.description.len() + a.pic_url.len() + a.url.len())
                .sum(),
            Reply::TransferCustomerService { kf_account } => opt(kf_account),
        }
    }

    /// Read a rendered reply back (for simulators and round-trip tests): `msg` is the reply XML
    /// parsed with [`parse_message`](crate::parse_message). None when MsgType is not a reply
    /// type or a required element is missing.
    pub fn from_message(msg: &Message) -> Option<Reply> {
        let f = &msg.fields;
        let text = |f: &Fields, n: &str| f.text(n).map(str::to_owned);
        Some(match msg.msg_type() {
            "text" => Reply::Text {
                content: text(f, "Content")?,
            },
            "image" => Reply::Image {
                media_id: text(f.map("Image")?, "MediaId")?,
            },
            "voice" => Reply::Voice {
                media_id: text(f.map("Voice")?, "MediaId")?,
            },
            "video" => {
                let v = f.map("Video")?;
                Reply::Video {
                    media_id: text(v, "MediaId")?,
                    title: text(v, "Title"),
                    description: text(v, "Description"),
                }
            }
            "music" => {
                let m = f.map("Music")?;
                Reply::Music {
                    title: text(m, "Title"),
                    description: text(m, "Description"),
                    music_url: text(m, "MusicUrl"),
                    hq_music_url: text(m, "HQMusicUrl"),
                    thumb_media_id: text(m, "ThumbMediaId")?,
                }
            }
            "news" => {
                let items = f.map("Articles")?.get("item")?.as_list()?;
                let articles = items
                    .iter()
                    .map(|item| {
                        let a = item.as_map()?;
                        Some(Article {
                            title: text(a, "Title")?,
                            description: text(a, "Description")?,
                            pic_url: text(a, "PicUrl")?,
                            url: text(a, "Url")?,
                        })
                    })
                    .collect::<Option<Vec<_>>>()?;
                if f.parse::<usize>("ArticleCount")? != articles.len() {
                    return None;
                }
                Reply::News { articles }
            }
            "transfer_customer_service" => Reply::TransferCustomerService {
                kf_account: f
                    .map("TransInfo")
                    .and_then(|t| t.get("KfAccount"))
                    .and_then(FieldValue::as_text)
                    .map(str::to_owned),
            },
            _ => return None,
        })
    }
}

fn media(out: &mut String, tag: &str, media_id: &str) {
    out.push('<');
    out.push_str(tag);
    out.push('>');
    cdata_element(out, "MediaId", media_id);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}
