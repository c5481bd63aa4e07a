//! Typed pushes: [`parse_message`] turns a plaintext push into a [`Message`].
//!
//! A [`Message`] keeps every element of the push in [`Message::fields`] and a typed view in
//! [`Message::kind`]. Only the header (ToUserName, FromUserName, CreateTime, MsgType) is required;
//! an unknown MsgType or Event, or a known one with malformed fields, is kept as `Unknown`, so a
//! new WeChat push never breaks a gateway.
use std::fmt::Write as _;

use crate::error::XmlError;
use crate::write::is_xml_char;
use crate::xml;

mod event;
mod fields;
mod kind;

pub use event::{Event, ScanCodeInfo, SendLocationInfo, SendPicsInfo};
pub use fields::{FieldValue, Fields};
pub use kind::MessageKind;

/// A parsed push.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// ToUserName (the account's gh_ id)
    pub to_user_name: String,
    /// FromUserName (the openid)
    pub from_user_name: String,
    /// CreateTime in unix seconds (a CreateTime sent in milliseconds is converted; the value as
    /// sent stays in `fields`)
    pub create_time: i64,
    /// MsgType as sent
    pub msg_type: String,
    /// typed payload
    pub kind: MessageKind,
    /// every element of the push, in document order
    pub fields: Fields,
}

/// The key under which resends are recognised.
///
/// For a message with a MsgId it is the MsgId in decimal. Otherwise it is `ev:` followed by
/// FromUserName, CreateTime, Event and EventKey (absent counts as empty), each written as
/// `<byte length>:<bytes>`, so two different pushes never share a key whatever characters they
/// hold. Example: `ev:6:oUser110:17000000009:subscribe0:`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DedupeKey(String);

impl DedupeKey {
    /// As a string (stable across versions: stored in databases).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for DedupeKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Message {
    /// MsgType as sent.
    pub fn msg_type(&self) -> &str {
        &self.msg_type
    }

    /// Event as sent (None unless msg_type is event).
    pub fn event(&self) -> Option<&str> {
        if self.msg_type.eq_ignore_ascii_case("event") {
            self.fields.text("Event")
        } else {
            None
        }
    }

    /// EventKey as sent (None when absent).
    pub fn event_key(&self) -> Option<&str> {
        self.fields.text("EventKey")
    }

    /// The QR scene of a subscribe (qrscene_ stripped) or SCAN; None when empty.
    pub fn scene(&self) -> Option<&str> {
        match &self.kind {
            MessageKind::Event(Event::Subscribe { scene, .. }) => scene.as_deref(),
            MessageKind::Event(Event::Scan { scene, .. }) => Some(scene),
            _ => None,
        }
    }

    /// Content of a text message.
    pub fn content(&self) -> Option<&str> {
        match &self.kind {
            MessageKind::Text { content, .. } => Some(content),
            _ => None,
        }
    }

    /// (latitude, longitude, precision) of a LOCATION event.
    pub fn location(&self) -> Option<(f64, f64, f64)> {
        match self.kind {
            MessageKind::Event(Event::Location {
                latitude,
                longitude,
                precision,
            }) => Some((latitude, longitude, precision)),
            _ => None,
        }
    }

    /// MsgId of an ordinary message (also of an unknown MsgType that carries a numeric MsgId;
    /// never of an event, whose job notices carry `MsgID`).
    pub fn msg_id(&self) -> Option<u64> {
        if self.msg_type.eq_ignore_ascii_case("event") {
            return None;
        }
        self.fields.parse("MsgId")
    }

    /// The MsgType as a bounded label, for metrics and logs: the lowercase name of a MsgType
    /// this crate knows (`text`, `image`, `voice`, `video`, `shortvideo`, `location`, `link`,
    /// `event`), else `other`. Judged by the name as sent, case-insensitively, so a push of a
    /// known MsgType whose fields are malformed (typed [`MessageKind::Unknown`]) keeps its name.
    ///
    /// ```
    /// let msg = wechat_proto::parse_message(
    ///     b"<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName>\
    ///       <CreateTime>1700000000</CreateTime><MsgType>TEXT</MsgType>\
    ///       <Content>hi</Content><MsgId>1</MsgId></xml>",
    /// )?;
    /// assert_eq!(msg.type_label(), "text");
    /// # Ok::<(), wechat_proto::XmlError>(())
    /// ```
    pub fn type_label(&self) -> &'static str {
        label_of(&kind::MSG_TYPES, &self.msg_type).unwrap_or("other")
    }

    /// The Event as a bounded label, for metrics and logs: None unless the push is an event;
    /// then the lowercase name of an event this crate knows (`subscribe`, `scan`, `click`,
    /// `templatesendjobfinish`, ...), else `other`. Judged by the name as sent,
    /// case-insensitively, like [`Message::type_label`].
    ///
    /// ```
    /// let msg = wechat_proto::parse_message(
    ///     b"<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName>\
    ///       <CreateTime>1700000000</CreateTime><MsgType>event</MsgType>\
    ///       <Event>SCAN</Event><EventKey>42</EventKey></xml>",
    /// )?;
    /// assert_eq!(msg.event_label(), Some("scan"));
    /// # Ok::<(), wechat_proto::XmlError>(())
    /// ```
    pub fn event_label(&self) -> Option<&'static str> {
        self.event()
            .map(|name| label_of(&event::EVENTS, name).unwrap_or("other"))
    }

    /// True for ordinary user messages (text, image, voice, video, shortvideo, location, link),
    /// judged by MsgType alone.
    pub fn is_user_message(&self) -> bool {
        kind::USER_MESSAGE_TYPES
            .iter()
            .any(|t| self.msg_type.eq_ignore_ascii_case(t))
    }

    /// MsgId, or FromUserName + CreateTime + Event + EventKey (see [`DedupeKey`]).
    pub fn dedupe_key(&self) -> DedupeKey {
        if let Some(id) = self.msg_id() {
            return DedupeKey(id.to_string());
        }
        // The value as sent: two pushes a few milliseconds apart keep apart.
        let create_time = self
            .fields
            .parse::<i64>("CreateTime")
            .unwrap_or(self.create_time)
            .to_string();
        let parts = [
            self.from_user_name.as_str(),
            create_time.as_str(),
            self.fields.text("Event").unwrap_or(""),
            self.fields.text("EventKey").unwrap_or(""),
        ];
        let mut key = String::with_capacity(3 + parts.iter().map(|p| p.len() + 4).sum::<usize>());
        key.push_str("ev:");
        for part in parts {
            // Writing to a String cannot fail.
            let _ = write!(key, "{}:{}", part.len(), part);
        }
        DedupeKey(key)
    }
}

/// The entry of `names` (lowercase) equal to `name`, ignoring ASCII case.
fn label_of(names: &[&'static str], name: &str) -> Option<&'static str> {
    names
        .iter()
        .find(|known| name.eq_ignore_ascii_case(known))
        .copied()
}

/// Header elements and identifiers in which whitespace is never part of the value (QR scenes and
/// menu keys cannot hold it either), so whitespace around them is dropped (`<MsgType> event
/// </MsgType>` reads `event`).
const TRIMMED_ELEMENTS: [&str; 9] = [
    "ToUserName",
    "FromUserName",
    "CreateTime",
    "MsgType",
    "Event",
    "EventKey",
    "Ticket",
    "MsgId",
    "MsgID",
];

/// Header elements that name the parties and the kind of a push: WeChat never puts a character
/// XML 1.0 forbids (a C0 control, U+FFFE, U+FFFF) in them, and a reply that carries such a value
/// back (ToUserName becomes its FromUserName) would lose it, so a push holding one is refused.
/// In any other element (Content, EventKey, ...) such characters are accepted and dropped from
/// what the gateway writes.
const XML_CHARS_ONLY: [&str; 4] = ["ToUserName", "FromUserName", "MsgType", "Event"];

/// A CreateTime at or above this is in milliseconds: as seconds it would be after the year 5138.
const MILLIS_FROM: i64 = 100_000_000_000;

/// Parse a plaintext push with the hardened parser.
///
/// Refuses what is not well-formed UTF-8 XML under an `<xml>` root, any DOCTYPE or processing
/// instruction (the `<?xml ...?>` declaration excepted, if it declares UTF-8 or nothing),
/// duplicate top-level elements, and a missing or invalid header (ToUserName, non-empty
/// FromUserName, integer CreateTime, MsgType), and a header element (ToUserName, FromUserName,
/// MsgType, Event) holding a character XML 1.0 forbids. Everything else is accepted; such
/// characters elsewhere (a Content with U+000F) are kept here and dropped from any XML written.
///
/// Real pushes vary, so whitespace around the values of the header elements, Event, EventKey,
/// Ticket and MsgId is dropped (in [`Message::fields`] too), whitespace-only text beside a CDATA section is layout in every
/// element, and a CreateTime of 100000000000 or more (after the year 5138 as seconds) is read as
/// milliseconds.
pub fn parse_message(xml: &[u8]) -> Result<Message, XmlError> {
    message_from_fields(xml::parse_document(xml)?)
}

/// Type an already parsed element tree (the children of `<xml>`).
pub(crate) fn message_from_fields(mut fields: Fields) -> Result<Message, XmlError> {
    trim_header(&mut fields);
    for name in XML_CHARS_ONLY {
        if fields
            .text(name)
            .is_some_and(|value| !value.chars().all(is_xml_char))
        {
            return Err(XmlError::InvalidValue(name));
        }
    }
    let required = |name: &'static str| fields.text(name).ok_or(XmlError::MissingElement(name));
    let to_user_name = required("ToUserName")?;
    let from_user_name = required("FromUserName")?;
    if from_user_name.is_empty() {
        return Err(XmlError::InvalidValue("FromUserName"));
    }
    let sent: i64 = required("CreateTime")?
        .parse()
        .map_err(|_| XmlError::InvalidValue("CreateTime"))?;
    let create_time = if sent.unsigned_abs() >= MILLIS_FROM.unsigned_abs() {
        sent.div_euclid(1000)
    } else {
        sent
    };
    let msg_type = required("MsgType")?;
    Ok(Message {
        to_user_name: to_user_name.to_owned(),
        from_user_name: from_user_name.to_owned(),
        create_time,
        kind: MessageKind::from_fields(msg_type, &fields),
        msg_type: msg_type.to_owned(),
        fields,
    })
}

/// Drop whitespace around the text of the top-level [`TRIMMED_ELEMENTS`], in place.
fn trim_header(fields: &mut Fields) {
    for (name, value) in &mut fields.0 {
        if let FieldValue::Text(text) = value {
            if TRIMMED_ELEMENTS.contains(&name.as_str()) && text.trim() != text.as_str() {
                *text = text.trim().to_owned();
            }
        }
    }
}
