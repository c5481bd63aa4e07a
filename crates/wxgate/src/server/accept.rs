//! Steps 1–4 of a push, pure CPU: parameters, signature, replay and clock checks, envelope,
//! parse. Every refusal is a [`Refusal`] with the status of the contract.
use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use wechat_proto::{
    parse_message, parse_push_envelope, verify_msg_signature, verify_signature, Message,
    MessageCrypt,
};

use super::params::PushParams;
use crate::config::{AccountConfig, Security};
use crate::push::replay::{self, ReplayGuard, Seen};
use crate::store::ReplayMark;

/// Why a push was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// a required query parameter is missing (400)
    #[error("missing query parameter {0}")]
    MissingParam(&'static str),
    /// signature / msg_signature wrong (403)
    #[error("bad {0}")]
    Signature(&'static str),
    /// same triple, other body (403)
    #[error("replayed signature")]
    Replay,
    /// timestamp outside max_clock_skew_s (403)
    #[error("timestamp outside the allowed clock skew")]
    Stale,
    /// encrypted push to a plain gateway, plain push to a safe one (400)
    #[error("{0}")]
    WrongMode(&'static str),
    /// envelope does not decrypt under the configured key(s) (400)
    #[error("envelope refused: {0}")]
    Envelope(String),
    /// XML refused (400)
    #[error("push refused: {0}")]
    Xml(String),
}

impl Refusal {
    /// The HTTP status of the contract.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Signature(_) | Refusal::Replay | Refusal::Stale => StatusCode::FORBIDDEN,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// Bounded label for metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::MissingParam(_) => "missing_param",
            Refusal::Signature(_) => "signature",
            Refusal::Replay => "replay",
            Refusal::Stale => "stale",
            Refusal::WrongMode(_) => "wrong_mode",
            Refusal::Envelope(_) => "envelope",
            Refusal::Xml(_) => "xml",
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status(), self.to_string()).into_response()
    }
}

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
        .map_err(|_| Refusal::Signature("signature"))?;
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
                "this gateway is in safe mode and refuses plain pushes",
            ))
        }
        _ => {}
    }
    let (xml, crypt): (Cow<'_, str>, Option<MessageCrypt>) = if encrypted {
        let msg_signature = params
            .msg_signature
            .as_deref()
            .ok_or(Refusal::MissingParam("msg_signature"))?;
        let envelope = parse_push_envelope(body).map_err(|e| Refusal::Envelope(e.to_string()))?;
        verify_msg_signature(token, timestamp, nonce, &envelope.encrypt, msg_signature)
            .map_err(|_| Refusal::Signature("msg_signature"))?;
        let (xml, crypt) = decrypt(account, &envelope.encrypt)?;
        (Cow::Owned(xml), Some(crypt.clone()))
    } else {
        let xml =
            std::str::from_utf8(body).map_err(|_| Refusal::Xml("body is not UTF-8".into()))?;
        (Cow::Borrowed(xml), None)
    };
    let msg = parse_message(xml.as_bytes()).map_err(|e| Refusal::Xml(e.to_string()))?;
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
    Err(Refusal::Envelope(last.map_or_else(
        || "no EncodingAESKey configured".into(),
        |e| e.to_string(),
    )))
}
