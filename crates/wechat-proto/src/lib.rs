//! WeChat Official Account push protocol, sans I/O.
//!
//! SKELETON: public API fixed here; bodies are being implemented.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod crypto;
pub mod envelope;
pub mod error;
pub mod message;
pub mod reply;
pub mod signature;
mod xml;

pub use crypto::{EncodingAesKey, MessageCrypt};
pub use envelope::{
    open_reply_envelope, parse_push_envelope, render_push_envelope, seal_reply, PushEnvelope,
};
pub use error::{CryptoError, KeyError, ProtoError, ReplyError, SignatureError, XmlError};
pub use message::{parse_message, DedupeKey, Event, FieldValue, Fields, Message, MessageKind};
pub use reply::{Article, Reply};
pub use signature::{msg_signature, signature, verify_msg_signature, verify_signature};
