//! Steps 1–4 of a push, pure CPU: parameters, signature, replay and clock checks, envelope,
//! parse. Every refusal is a [`Refusal`], the protocol's errors kept as its source.
use std::borrow::Cow;

use chrono::Utc;
use wechat_proto::{
    parse_message, parse_push_envelope, verify_msg_signature, verify_signature, Message,
    MessageCrypt, ProtoError, XmlError,
};

use super::params::PushParams;
use super::refusal::Refusal;
use crate::config::{AccountConfig, Security};
use crate::push::replay::{self, ReplayGuard, Seen};
use crate::store::ReplayMark;

/// A push that passed every check.
pub struct Accepted {
    /// the parsed message
    pub msg: Message,
    /// the plaintext XML (decrypted if it came encrypted)
    pub raw_xml: String,
    /// the key that decrypted it, to encrypt the reply with; None for a plain push
    pub crypt: Option<MessageCrypt>,
    /// the push's nonce, reused in the reply envelope
    pub nonce: String,
    /// its replay mark (stored with the push), when the account refuses replays
    pub replay: Option<ReplayMark>,
}

/// Check and open a push.
pub fn accept(
    account: &AccountConfig,
    replays: &ReplayGuard,
    params: &PushParams,
    body: &[u8],
) -> Result<Accepted, Refusal> {
    let signature = params
        .signature
        .as_deref()
        .ok_or(Refusal::MissingParam("signature"))?;
    let timestamp = params
        .timestamp
        .as_deref()
        .ok_or(Refusal::MissingParam("timestamp"))?;
    let nonce = params
        .nonce
        .as_deref()
        .ok_or(Refusal::MissingParam("nonce"))?;
    let token = account.token.expose();
    verify_signature(token, timestamp, nonce, signature)
        .map_err(|e| Refusal::Signature(e.into()))?;
    if let Some(skew) = account.max_clock_skew {
        let ts: i64 = timestamp.parse().map_err(|_| Refusal::Stale)?;
        if Utc::now().timestamp().abs_diff(ts) > skew.as_secs() {
            return Err(Refusal::Stale);
        }
    }
    let encrypted = params.encrypted();
    match (account.security, encrypted) {
        (Security::Plain, true) => {
            return Err(Refusal::WrongMode(
                "this gateway is in plain mode and refuses encrypted pushes",
            ))
        }
        (Security::Safe, false) => {
            return Err(Refusal::WrongMode(
                "this gateway is in safe mode and refuses plain pushes: send it encrypted \
                 (wxgate simulate --encrypt)",
            ))
        }
        _ => {}
    }
    let (xml, crypt): (Cow<'_, str>, Option<MessageCrypt>) = if encrypted {
        let msg_signature = params
            .msg_signature
            .as_deref()
            .ok_or(Refusal::MissingParam("msg_signature"))?;
        let envelope = parse_push_envelope(body).map_err(|e| Refusal::Envelope(e.into()))?;
        verify_msg_signature(token, timestamp, nonce, &envelope.encrypt, msg_signature)
            .map_err(|e| Refusal::Signature(e.into()))?;
        let (xml, crypt) = decrypt(account, &envelope.encrypt)?;
        (Cow::Owned(xml), Some(crypt.clone()))
    } else {
        let xml = std::str::from_utf8(body)
            .map_err(|_| Refusal::Xml(ProtoError::Xml(XmlError::NotUtf8)))?;
        (Cow::Borrowed(xml), None)
    };
    let msg = parse_message(xml.as_bytes()).map_err(|e| Refusal::Xml(e.into()))?;
    let replay = account
        .refuse_replays
        .then(|| replay::mark(timestamp, nonce, signature, body));
    if replay.is_some_and(|mark| replays.check(&mark) == Seen::OtherBody) {
        return Err(Refusal::Replay);
    }
    Ok(Accepted {
        msg,
        raw_xml: xml.into_owned(),
        crypt,
        nonce: nonce.to_string(),
        replay,
    })
}

/// Decrypt under the current key, then the previous one (key change).
fn decrypt<'a>(
    account: &'a AccountConfig,
    encrypt: &str,
) -> Result<(String, &'a MessageCrypt), Refusal> {
    let mut last = None;
    for crypt in [&account.crypt, &account.previous_crypt]
        .into_iter()
        .flatten()
    {
        match crypt.decrypt(encrypt) {
            Ok(xml) => return Ok((xml, crypt)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.map_or(Refusal::NoKey, |e| Refusal::Envelope(e.into())))
}
