//! Push and reply envelopes of compatible / safe mode.
use crate::crypto::MessageCrypt;
use crate::error::ProtoError;
use crate::error::XmlError;

/// The outer XML of an encrypted push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEnvelope {
    /// ToUserName if present
    pub to_user_name: Option<String>,
    /// the Encrypt text exactly as received
    pub encrypt: String,
}

/// Parse the outer XML of an encrypted push (hardened parser; missing/empty Encrypt is an error).
pub fn parse_push_envelope(body: &[u8]) -> Result<PushEnvelope, XmlError> {
    todo!("{body:?}")
}

/// Render a push envelope as WeChat POSTs it.
pub fn render_push_envelope(to_user_name: &str, encrypt: &str) -> String {
    todo!("{to_user_name}{encrypt}")
}

/// Encrypt `reply_xml` and wrap it in the reply envelope, signed with `token`.
pub fn seal_reply(
    crypt: &MessageCrypt,
    token: &str,
    reply_xml: &str,
    timestamp: &str,
    nonce: &str,
    random: [u8; 16],
) -> String {
    todo!("{crypt:?}{token}{reply_xml}{timestamp}{nonce}{random:?}")
}

/// Verify and decrypt a reply envelope (what a WeChat client side does).
pub fn open_reply_envelope(
    crypt: &MessageCrypt,
    token: &str,
    envelope_xml: &[u8],
) -> Result<String, ProtoError> {
    todo!("{crypt:?}{token}{envelope_xml:?}")
}
