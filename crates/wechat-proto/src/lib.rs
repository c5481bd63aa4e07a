//! WeChat Official Account push protocol, sans I/O.
//!
//! This crate is the pure protocol core of a WeChat Official Account (公众号) gateway. It does
//! no network or file I/O, reads no clock and draws no randomness: callers pass bytes in and get
//! bytes out, and supply timestamps, nonces and the 16 random bytes of an encryption themselves.
//!
//! - [`signature`](mod@signature): the `signature` of URL verification and pushes, the
//!   `msg_signature` of encrypted pushes, verified in constant time.
//! - [`crypto`]: WXBizMsgCrypt (AES-256-CBC, PKCS#7 to 32 bytes, appid check), with a typed
//!   error for every way an `<Encrypt>` value can be wrong.
//! - [`envelope`]: the outer XML of encrypted pushes and of encrypted replies.
//! - [`component`]: a third-party platform's events (`component_verify_ticket`, `authorized`,
//!   `unauthorized`, ...), parsed into [`PlatformEvent`] with the same hardened parser.
//! - [`message`]: the hardened XML parser (no DOCTYPE, no entities, capped depth, element count
//!   and text size) and the typed [`Message`], which keeps every field of unknown pushes.
//! - [`reply`]: passive replies rendered as WeChat expects.
//! - [`jssdk`]: the JS-SDK signature of `wx.config` (the caller passes ticket, nonce and time).
//!
//! # Example: a safe-mode push, end to end
//!
//! ```
//! use wechat_proto::{
//!     open_reply_envelope, parse_message, parse_push_envelope, render_push_envelope, seal_reply,
//!     verify_msg_signature, EncodingAesKey, MessageCrypt, Reply, msg_signature,
//! };
//!
//! # fn main() -> Result<(), wechat_proto::ProtoError> {
//! let token = "wxgatedevtoken"; // 3 to 32 letters and digits, as the admin console takes it
//! let key = EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").expect("valid key");
//! let crypt = MessageCrypt::new(key, "wx0123456789abcdef");
//!
//! // What WeChat would POST (built here with the same crate).
//! let push = "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
//!     <FromUserName><![CDATA[oUser]]></FromUserName><CreateTime>1700000000</CreateTime>\
//!     <MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>\
//!     <MsgId>42</MsgId></xml>";
//! let encrypt = crypt.encrypt(push, *b"0123456789abcdef");
//! let body = render_push_envelope("gh_0123456789ab", &encrypt);
//! let (timestamp, nonce) = ("1700000000", "1320562132");
//! let query_msg_signature = msg_signature(token, timestamp, nonce, &encrypt);
//!
//! // The gateway: verify, decrypt, parse.
//! let envelope = parse_push_envelope(body.as_bytes())?;
//! verify_msg_signature(token, timestamp, nonce, &envelope.encrypt, &query_msg_signature)?;
//! let inner = crypt.decrypt(&envelope.encrypt)?;
//! let msg = parse_message(inner.as_bytes())?;
//! assert_eq!(msg.content(), Some("hi"));
//! assert_eq!(msg.dedupe_key().as_str(), "42");
//!
//! // Reply, then seal the reply for safe mode.
//! let reply = Reply::Text { content: "hello".into() };
//! reply.check_for(&msg).expect("a text reply is always allowed");
//! let xml = reply.render(&msg.from_user_name, &msg.to_user_name, 1700000001);
//! let sealed = seal_reply(&crypt, token, &xml, "1700000001", nonce, *b"fedcba9876543210");
//!
//! // What WeChat does with the answer.
//! let opened = open_reply_envelope(&crypt, token, sealed.as_bytes())?;
//! assert_eq!(opened, xml);
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod component;
pub mod crypto;
pub mod envelope;
pub mod error;
pub mod jssdk;
pub mod message;
pub mod reply;
pub mod signature;
mod write;
mod xml;

pub use component::{parse_platform_event, render_platform_envelope, PlatformEvent};
pub use crypto::{EncodingAesKey, MessageCrypt};
pub use envelope::{
    open_reply_envelope, parse_push_envelope, render_push_envelope, seal_reply, PushEnvelope,
};
pub use error::{CryptoError, KeyError, ProtoError, ReplyError, SignatureError, XmlError};
pub use jssdk::{jssdk_signature, page_url};
pub use message::{parse_message, DedupeKey, Event, FieldValue, Fields, Message, MessageKind};
pub use reply::{Article, Reply};
pub use signature::{msg_signature, signature, verify_msg_signature, verify_signature};
