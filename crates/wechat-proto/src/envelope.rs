//! Push and reply envelopes of compatible / safe mode.
use crate::crypto::MessageCrypt;
use crate::error::{ProtoError, XmlError};
use crate::signature::{msg_signature, verify_msg_signature};
use crate::write::{cdata_element, text_element};
use crate::xml;

/// The outer XML of an encrypted push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushEnvelope {
    /// ToUserName if present (an account's push: its gh_ id)
    pub to_user_name: Option<String>,
    /// AppId if present (a third-party platform's event: the component_appid, to be checked
    /// by the caller)
    pub app_id: Option<String>,
    /// the Encrypt text exactly as received
    pub encrypt: String,
}

/// Parse the outer XML of an encrypted push (hardened parser; missing/empty Encrypt is an error).
///
/// Accepts the safe-mode body `<xml><ToUserName/><Encrypt/></xml>`, the compatible-mode body
/// (a full plaintext push plus `<Encrypt>`; its plaintext fields are not used) and a third-party
/// platform's event `<xml><AppId/><Encrypt/></xml>`.
pub fn parse_push_envelope(body: &[u8]) -> Result<PushEnvelope, XmlError> {
    let fields = xml::parse_document(body)?;
    let encrypt = fields
        .text("Encrypt")
        .filter(|e| !e.is_empty())
        .ok_or(XmlError::MissingElement("Encrypt"))?;
    Ok(PushEnvelope {
        to_user_name: fields.text("ToUserName").map(str::to_owned),
        app_id: fields.text("AppId").map(|a| a.trim().to_owned()),
        encrypt: encrypt.to_owned(),
    })
}

/// Render a push envelope as WeChat POSTs it in safe mode.
pub fn render_push_envelope(to_user_name: &str, encrypt: &str) -> String {
    let mut out = String::with_capacity(80 + to_user_name.len() + encrypt.len());
    out.push_str("<xml>");
    cdata_element(&mut out, "ToUserName", to_user_name);
    cdata_element(&mut out, "Encrypt", encrypt);
    out.push_str("</xml>");
    out
}

/// Encrypt `reply_xml` and wrap it in the reply envelope, signed with `token`:
/// `<xml>` Encrypt, MsgSignature, TimeStamp, Nonce `</xml>` (laid out as wechatpy does).
pub fn seal_reply(
    crypt: &MessageCrypt,
    token: &str,
    reply_xml: &str,
    timestamp: &str,
    nonce: &str,
    random: [u8; 16],
) -> String {
    let encrypt = crypt.encrypt(reply_xml, random);
    let signature = msg_signature(token, timestamp, nonce, &encrypt);
    let mut out = String::with_capacity(160 + encrypt.len() + timestamp.len() + nonce.len());
    out.push_str("<xml>\n");
    cdata_element(&mut out, "Encrypt", &encrypt);
    out.push('\n');
    cdata_element(&mut out, "MsgSignature", &signature);
    out.push('\n');
    text_element(&mut out, "TimeStamp", timestamp);
    out.push('\n');
    cdata_element(&mut out, "Nonce", nonce);
    out.push_str("\n</xml>");
    out
}

/// Verify and decrypt a reply envelope (what a WeChat client side does).
pub fn open_reply_envelope(
    crypt: &MessageCrypt,
    token: &str,
    envelope_xml: &[u8],
) -> Result<String, ProtoError> {
    let fields = xml::parse_document(envelope_xml)?;
    let required = |name: &'static str| fields.text(name).ok_or(XmlError::MissingElement(name));
    let encrypt = required("Encrypt")?;
    verify_msg_signature(
        token,
        required("TimeStamp")?,
        required("Nonce")?,
        encrypt,
        required("MsgSignature")?,
    )?;
    Ok(crypt.decrypt(encrypt)?)
}
