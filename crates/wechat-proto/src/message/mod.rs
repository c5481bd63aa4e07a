//! Typed pushes.
//!
//! The gateway relies on the accessors of [`Message`] (msg_type, event, event_key, scene,
//! content, location, dedupe_key, msg_id, is_user_message) and on [`Fields`]; the variant
//! payloads of [`MessageKind`] / [`Event`] may still be refined.
use serde::Serialize;

use crate::error::XmlError;

/// A parsed push.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// ToUserName (the account's gh_ id)
    pub to_user_name: String,
    /// FromUserName (the openid)
    pub from_user_name: String,
    /// CreateTime (unix seconds)
    pub create_time: i64,
    /// MsgType as sent
    pub msg_type: String,
    /// typed payload
    pub kind: MessageKind,
    /// every element of the push, in document order
    pub fields: Fields,
}

/// Typed payload.
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
    /// an event
    Event(Event),
    /// anything else, kept in `fields`
    Unknown,
}

/// Typed events.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// subscribe, with the scene when through a parametric QR code
    Subscribe {
        /// scene (qrscene_ stripped)
        scene: Option<String>,
        /// Ticket
        ticket: Option<String>,
    },
    /// unsubscribe
    Unsubscribe,
    /// unknown event name
    Unknown,
}

/// A field value: text, a nested element, or a list (`item` children).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    /// text (CDATA or plain)
    Text(String),
    /// nested element
    Map(Fields),
    /// repeated `item` children
    List(Vec<FieldValue>),
}

/// Ordered element map; serializes as a JSON object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(pub Vec<(String, FieldValue)>);

impl Serialize for Fields {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl Fields {
    /// The value of a top-level element.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }
    /// The text of a top-level element.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(FieldValue::Text(t)) => Some(t),
            _ => None,
        }
    }
}

/// The key under which resends are recognised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DedupeKey(String);

impl DedupeKey {
    /// As a string (stable across versions: stored in databases).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Message {
    /// MsgType as sent.
    pub fn msg_type(&self) -> &str {
        &self.msg_type
    }
    /// Event as sent (None unless msg_type is event).
    pub fn event(&self) -> Option<&str> {
        todo!()
    }
    /// EventKey as sent (None when absent).
    pub fn event_key(&self) -> Option<&str> {
        todo!()
    }
    /// The QR scene of a subscribe (qrscene_ stripped) or SCAN.
    pub fn scene(&self) -> Option<&str> {
        todo!()
    }
    /// Content of a text message.
    pub fn content(&self) -> Option<&str> {
        todo!()
    }
    /// (latitude, longitude, precision) of a LOCATION event.
    pub fn location(&self) -> Option<(f64, f64, f64)> {
        todo!()
    }
    /// MsgId of an ordinary message.
    pub fn msg_id(&self) -> Option<u64> {
        todo!()
    }
    /// True for ordinary user messages (text, image, voice, video, shortvideo, location, link).
    pub fn is_user_message(&self) -> bool {
        todo!()
    }
    /// MsgId, or FromUserName + CreateTime + Event + EventKey.
    pub fn dedupe_key(&self) -> DedupeKey {
        todo!()
    }
}

/// Parse a plaintext push with the hardened parser.
pub fn parse_message(xml: &[u8]) -> Result<Message, XmlError> {
    todo!("{xml:?}")
}
