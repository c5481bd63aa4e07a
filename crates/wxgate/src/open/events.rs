//! The authorisation-event URL (`POST {server.path}/open`): a push verified with the
//! platform's Token (`msg_signature`), decrypted with its key (the previous one too), its
//! envelope's appid and the event's `AppId` both the component_appid — pure CPU, before
//! anything is stored.
use wechat_proto::{
    parse_platform_event, parse_push_envelope, verify_msg_signature, PlatformEvent,
};

use crate::config::OpenPlatformConfig;
use crate::push::replay::{self, ReplayGuard, Seen};
use crate::store::ReplayMark;

/// Why a platform event was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EventRefusal {
    /// timestamp, nonce or msg_signature missing (400)
    #[error("missing query parameter {0}")]
    MissingParam(&'static str),
    /// msg_signature does not match under the platform's Token (403)
    #[error("bad msg_signature")]
    Signature,
    /// the envelope does not parse, decrypt under the platform's key(s), or carries another
    /// appid than the component_appid (400)
    #[error("envelope refused: {0}")]
    Envelope(String),
    /// the same signed query seen with another body (403)
    #[error("replayed signature")]
    Replay,
}

impl EventRefusal {
    /// The HTTP status of the contract.
    pub fn status(&self) -> u16 {
        match self {
            EventRefusal::MissingParam(_) | EventRefusal::Envelope(_) => 400,
            EventRefusal::Signature | EventRefusal::Replay => 403,
        }
    }
}

/// An event that passed every check, with its replay mark.
#[derive(Debug)]
pub struct OpenedEvent {
    /// the event
    pub event: PlatformEvent,
    /// its replay mark (kept by the platform's guard)
    pub mark: ReplayMark,
}

/// Checks and opens a platform event: `timestamp`, `nonce`, `msg_signature` of its query.
pub fn open_event(
    config: &OpenPlatformConfig,
    guard: &ReplayGuard,
    timestamp: Option<&str>,
    nonce: Option<&str>,
    msg_signature: Option<&str>,
    body: &[u8],
) -> Result<OpenedEvent, EventRefusal> {
    let timestamp = timestamp.ok_or(EventRefusal::MissingParam("timestamp"))?;
    let nonce = nonce.ok_or(EventRefusal::MissingParam("nonce"))?;
    let msg_signature = msg_signature.ok_or(EventRefusal::MissingParam("msg_signature"))?;
    let envelope = parse_push_envelope(body).map_err(|e| EventRefusal::Envelope(e.to_string()))?;
    let token = config.token.expose();
    verify_msg_signature(token, timestamp, nonce, &envelope.encrypt, msg_signature)
        .map_err(|_| EventRefusal::Signature)?;
    if let Some(appid) = &envelope.app_id {
        if *appid != config.component_appid {
            return Err(EventRefusal::Envelope(
                "the envelope's AppId is not the component_appid".into(),
            ));
        }
    }
    let mut last = String::from("no key");
    let mut xml = None;
    for crypt in std::iter::once(&config.crypt).chain(config.previous_crypt.as_ref()) {
        match crypt.decrypt(&envelope.encrypt) {
            Ok(plain) => {
                xml = Some(plain);
                break;
            }
            Err(e) => last = e.to_string(),
        }
    }
    let xml = xml.ok_or(EventRefusal::Envelope(last))?;
    let event =
        parse_platform_event(xml.as_bytes()).map_err(|e| EventRefusal::Envelope(e.to_string()))?;
    if event.appid() != config.component_appid {
        return Err(EventRefusal::Envelope(
            "the event's AppId is not the component_appid".into(),
        ));
    }
    let mark = replay::mark(timestamp, nonce, msg_signature, body);
    if guard.check(&mark) == Seen::OtherBody {
        return Err(EventRefusal::Replay);
    }
    Ok(OpenedEvent { event, mark })
}
