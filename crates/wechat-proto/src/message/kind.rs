//! Typed payloads of ordinary messages.
use crate::message::event::Event;
use crate::message::fields::Fields;

/// Typed payload. A known type whose typed fields are missing or malformed becomes
/// [`MessageKind::Unknown`]; every element stays in [`Fields`] either way.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MessageKind {
    /// text
    Text {
        /// MsgId
        msg_id: u64,
        /// Content
        content: String,
    },
    /// image
    Image {
        /// MsgId
        msg_id: u64,
        /// PicUrl
        pic_url: String,
        /// MediaId
        media_id: String,
    },
    /// voice
    Voice {
        /// MsgId
        msg_id: u64,
        /// MediaId
        media_id: String,
        /// Format (amr, speex, ...)
        format: String,
        /// Recognition, only when speech recognition is on
        recognition: Option<String>,
    },
    /// video
    Video {
        /// MsgId
        msg_id: u64,
        /// MediaId
        media_id: String,
        /// ThumbMediaId
        thumb_media_id: String,
    },
    /// shortvideo
    ShortVideo {
        /// MsgId
        msg_id: u64,
        /// MediaId
        media_id: String,
        /// ThumbMediaId
        thumb_media_id: String,
    },
    /// location (a message the user sends; not the LOCATION event)
    Location {
        /// MsgId
        msg_id: u64,
        /// Location_X (latitude)
        latitude: f64,
        /// Location_Y (longitude)
        longitude: f64,
        /// Scale (zoom level)
        scale: f64,
        /// Label (address)
        label: String,
    },
    /// link
    Link {
        /// MsgId
        msg_id: u64,
        /// Title
        title: String,
        /// Description
        description: String,
        /// Url
        url: String,
    },
    /// an event
    Event(Event),
    /// anything else, kept in `fields`
    Unknown,
}

/// The MsgTypes this crate types, lowercase: the ordinary user messages, then `event`.
pub(crate) const MSG_TYPES: [&str; 8] = [
    "text",
    "image",
    "voice",
    "video",
    "shortvideo",
    "location",
    "link",
    "event",
];

/// The MsgTypes of ordinary user messages.
pub(crate) const USER_MESSAGE_TYPES: &[&str] = MSG_TYPES.split_at(7).0;

impl MessageKind {
    /// Type a push of `msg_type` from its fields.
    pub(crate) fn from_fields(msg_type: &str, f: &Fields) -> MessageKind {
        typed(msg_type, f).unwrap_or(MessageKind::Unknown)
    }
}

/// A finite float (Rust also parses `NaN` and `inf`, which WeChat never sends).
pub(crate) fn finite(f: &Fields, name: &str) -> Option<f64> {
    f.parse::<f64>(name).filter(|v| v.is_finite())
}

fn typed(msg_type: &str, f: &Fields) -> Option<MessageKind> {
    let is = |n: &str| msg_type.eq_ignore_ascii_case(n);
    if is("event") {
        return Some(MessageKind::Event(Event::from_fields(f.text("Event")?, f)));
    }
    let text = |n: &str| f.text(n).map(str::to_owned);
    let msg_id = f.parse::<u64>("MsgId")?;
    Some(if is("text") {
        MessageKind::Text {
            msg_id,
            content: text("Content")?,
        }
    } else if is("image") {
        MessageKind::Image {
            msg_id,
            pic_url: text("PicUrl")?,
            media_id: text("MediaId")?,
        }
    } else if is("voice") {
        MessageKind::Voice {
            msg_id,
            media_id: text("MediaId")?,
            format: text("Format")?,
            recognition: text("Recognition"),
        }
    } else if is("video") {
        MessageKind::Video {
            msg_id,
            media_id: text("MediaId")?,
            thumb_media_id: text("ThumbMediaId")?,
        }
    } else if is("shortvideo") {
        MessageKind::ShortVideo {
            msg_id,
            media_id: text("MediaId")?,
            thumb_media_id: text("ThumbMediaId")?,
        }
    } else if is("location") {
        MessageKind::Location {
            msg_id,
            latitude: finite(f, "Location_X")?,
            longitude: finite(f, "Location_Y")?,
            scale: finite(f, "Scale")?,
            label: text("Label").unwrap_or_default(),
        }
    } else if is("link") {
        MessageKind::Link {
            msg_id,
            title: text("Title")?,
            description: text("Description").unwrap_or_default(),
            url: text("Url")?,
        }
    } else {
        return None;
    })
}
