//! Replies as configured: a [`wechat_proto::Reply`] whose text may hold `{openid}`,
//! `{scene}`, `{event_key}` and `{content}`, filled in per push.
use wechat_proto::{Article, Message, Reply};

use super::{CompileError, RawReply, RawTransfer};

/// A piece of a templated text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Literal(String),
    OpenId,
    Scene,
    EventKey,
    Content,
}

/// A compiled reply.
#[derive(Debug, Clone)]
pub struct ReplyTemplate {
    /// the reply; for text, `content` is empty and `text` holds the pieces
    reply: Reply,
    text: Option<Vec<Piece>>,
}

impl ReplyTemplate {
    /// Compile a configured reply; `key` names it for errors.
    pub fn compile(raw: &RawReply, key: &str) -> Result<ReplyTemplate, CompileError> {
        Self::build(raw, key, true)
    }

    fn build(raw: &RawReply, key: &str, templated: bool) -> Result<ReplyTemplate, CompileError> {
        let required = |value: &str, field: &str| -> Result<String, CompileError> {
            if value.is_empty() {
                Err(CompileError::new(
                    format!("{key}.{field}"),
                    "must not be empty",
                ))
            } else {
                Ok(value.to_string())
            }
        };
        let (reply, text) = match raw {
            RawReply::Text(t) if templated => (
                Reply::Text {
                    content: String::new(),
                },
                Some(pieces(t).map_err(|e| CompileError::new(format!("{key}.text"), e))?),
            ),
            RawReply::Text(t) => (Reply::Text { content: t.clone() }, None),
            RawReply::Image(m) => (
                Reply::Image {
                    media_id: required(m, "image")?,
                },
                None,
            ),
            RawReply::Voice(m) => (
                Reply::Voice {
                    media_id: required(m, "voice")?,
                },
                None,
            ),
            RawReply::Video(v) => (
                Reply::Video {
                    media_id: required(&v.media_id, "video.media_id")?,
                    title: v.title.clone(),
                    description: v.description.clone(),
                },
                None,
            ),
            RawReply::Music(m) => (
                Reply::Music {
                    title: m.title.clone(),
                    description: m.description.clone(),
                    music_url: m.music_url.clone(),
                    hq_music_url: m.hq_music_url.clone(),
                    thumb_media_id: required(&m.thumb_media_id, "music.thumb_media_id")?,
                },
                None,
            ),
            RawReply::News(articles) => {
                if articles.is_empty() || articles.len() > 8 {
                    return Err(CompileError::new(
                        format!("{key}.news"),
                        "must hold 1..=8 articles",
                    ));
                }
                let articles = articles
                    .iter()
                    .map(|a| Article {
                        title: a.title.clone(),
                        description: a.description.clone(),
                        pic_url: a.pic_url.clone(),
                        url: a.url.clone(),
                    })
                    .collect();
                (Reply::News { articles }, None)
            }
            RawReply::TransferCustomerService(t) => {
                let kf_account = match t {
                    RawTransfer::Flag(true) => None,
                    RawTransfer::Flag(false) => {
                        return Err(CompileError::new(
                            format!("{key}.transfer_customer_service"),
                            "must be true or { kf_account = \"...\" }",
                        ))
                    }
                    RawTransfer::Account { kf_account } => kf_account.clone(),
                };
                (Reply::TransferCustomerService { kf_account }, None)
            }
        };
        Ok(ReplyTemplate { reply, text })
    }

    /// The reply for `msg`, templates filled in.
    pub fn render(&self, msg: &Message) -> Reply {
        match &self.text {
            Some(pieces) => {
                let mut out = String::new();
                for p in pieces {
                    match p {
                        Piece::Literal(s) => out.push_str(s),
                        Piece::OpenId => out.push_str(&msg.from_user_name),
                        Piece::Scene => out.push_str(msg.scene().unwrap_or("")),
                        Piece::EventKey => out.push_str(msg.event_key().unwrap_or("")),
                        Piece::Content => out.push_str(msg.content().unwrap_or("")),
                    }
                }
                Reply::Text { content: out }
            }
            None => self.reply.clone(),
        }
    }
}

/// A call webhook's answer, taken literally (no placeholders filled in). Errors name the key
/// under `reply` (`reply.image: must not be empty`).
impl TryFrom<RawReply> for Reply {
    type Error = CompileError;

    fn try_from(raw: RawReply) -> Result<Reply, CompileError> {
        Ok(ReplyTemplate::build(&raw, "reply", false)?.reply)
    }
}

/// The placeholders a text reply may hold.
const NAMES: [(&str, Piece); 4] = [
    ("{openid}", Piece::OpenId),
    ("{scene}", Piece::Scene),
    ("{event_key}", Piece::EventKey),
    ("{content}", Piece::Content),
];

/// Split a text at its placeholders. A `{name}` (letters, digits, `_`) that is not one of them
/// is an error, so a typo never reaches a user verbatim; other braces (`{ }`, `{:)}`) are text.
fn pieces(text: &str) -> Result<Vec<Piece>, String> {
    if let Some(unknown) = unknown_placeholder(text) {
        return Err(format!(
            "unknown placeholder {unknown} (known: {{openid}}, {{scene}}, {{event_key}}, {{content}})"
        ));
    }
    let mut out = Vec::new();
    let mut literal = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some((name, piece)) = NAMES.iter().find(|(n, _)| rest.starts_with(n)) {
            if !literal.is_empty() {
                out.push(Piece::Literal(std::mem::take(&mut literal)));
            }
            out.push(piece.clone());
            rest = &rest[name.len()..];
        } else {
            let mut chars = rest.chars();
            if let Some(c) = chars.next() {
                literal.push(c);
            }
            rest = chars.as_str();
        }
    }
    if !literal.is_empty() {
        out.push(Piece::Literal(literal));
    }
    Ok(out)
}

/// The first `{name}` in `text` that is no known placeholder.
fn unknown_placeholder(text: &str) -> Option<&str> {
    let mut from = 0;
    while let Some(i) = text[from..].find('{') {
        let start = from + i;
        let after = &text[start + 1..];
        // Names are ASCII, so these byte offsets are char boundaries.
        let name_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if name_len > 0 && after[name_len..].starts_with('}') {
            let candidate = &text[start..start + name_len + 2];
            if !NAMES.iter().any(|(n, _)| *n == candidate) {
                return Some(candidate);
            }
        }
        from = start + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_split_and_other_braces_stay() {
        assert_eq!(
            pieces("hi {openid}, { } {:)} {content}{"),
            Ok(vec![
                Piece::Literal("hi ".into()),
                Piece::OpenId,
                Piece::Literal(", { } {:)} ".into()),
                Piece::Content,
                Piece::Literal("{".into()),
            ])
        );
    }

    #[test]
    fn an_unknown_placeholder_is_an_error_naming_it() {
        let err = pieces("hello {nickname}, {openid}").unwrap_err();
        assert!(err.starts_with("unknown placeholder {nickname} "), "{err}");
        assert!(pieces("{openid}{x_1}").unwrap_err().contains("{x_1}"));
        assert!(pieces("{scene").is_ok(), "not closed: text");
        let raw = RawReply::Text("Welcome {nick}".into());
        let err = ReplyTemplate::compile(&raw, "rules[3].reply").unwrap_err();
        assert_eq!(err.key, "rules[3].reply.text");
        // A webhook's answer is literal: its braces are never placeholders.
        assert_eq!(
            Reply::try_from(raw).ok(),
            Some(Reply::Text {
                content: "Welcome {nick}".into()
            })
        );
        let err = Reply::try_from(RawReply::Image(String::new())).unwrap_err();
        assert_eq!(err.to_string(), "reply.image: must not be empty");
    }
}
