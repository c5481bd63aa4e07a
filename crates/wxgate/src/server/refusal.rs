//! [`Refusal`]: every answer of the push endpoint other than 200, and the one place that
//! gives each its HTTP status (a protocol failure takes [`ProtoError::http_status`]).
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use wechat_proto::ProtoError;

use crate::push::PushError;
use crate::store::StoreError;
use crate::telemetry::metrics::Refused;

/// Why a push was not answered 200.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// the body is over `max_body_bytes` (413)
    #[error("body over max_body_bytes")]
    TooLarge,
    /// the client broke off or sent a malformed body (400)
    #[error("body could not be read")]
    BodyBroken,
    /// the body was not complete by the deadline (408)
    #[error("body not received in time")]
    BodyTimeout,
    /// a required query parameter is missing (400)
    #[error("missing query parameter {0}")]
    MissingParam(&'static str),
    /// `signature` or `msg_signature` does not match (403)
    #[error("bad signature: {0}")]
    Signature(#[source] ProtoError),
    /// same triple, other body (403)
    #[error("replayed signature")]
    Replay,
    /// timestamp outside max_clock_skew_s (403)
    #[error("timestamp outside the allowed clock skew")]
    Stale,
    /// encrypted push to a plain gateway, plain push to a safe one (400)
    #[error("{0}")]
    WrongMode(&'static str),
    /// the envelope is not parseable or does not decrypt under the configured key(s) (400)
    #[error("envelope refused: {0}")]
    Envelope(#[source] ProtoError),
    /// an encrypted push while no EncodingAESKey is configured (400; the config prevents it)
    #[error("envelope refused: no EncodingAESKey configured")]
    NoKey,
    /// an authorizer's push whose decrypted ToUserName is not its gh_ id (400)
    #[error("the push is addressed to another account")]
    WrongAccount,
    /// a push for an account that revoked the platform (403)
    #[error("the account revoked its authorisation")]
    Revoked,
    /// the (decrypted) XML refused by the parser (400)
    #[error("push refused: {0}")]
    Xml(#[source] ProtoError),
    /// processing failed, e.g. the store could not record it (500): WeChat resends
    #[error("internal error")]
    Failed(#[source] PushError),
    /// not recorded by the deadline (503): no 200, so WeChat resends and the resend finds
    /// the result
    #[error("not recorded in time")]
    NotInTime,
    /// the store could not answer a check the push needs (the replay check): 503, so WeChat
    /// resends — never taken as "not replayed"
    #[error("storage unavailable")]
    Unavailable(#[source] StoreError),
}

impl Refusal {
    /// The HTTP status of the contract.
    pub fn status(&self) -> StatusCode {
        let code = match self {
            Refusal::Signature(e) | Refusal::Envelope(e) | Refusal::Xml(e) => e.http_status(),
            Refusal::TooLarge => 413,
            Refusal::BodyTimeout => 408,
            Refusal::Replay | Refusal::Stale | Refusal::Revoked => 403,
            Refusal::WrongAccount => 400,
            Refusal::BodyBroken | Refusal::MissingParam(_) | Refusal::WrongMode(_) => 400,
            Refusal::NoKey => 400,
            Refusal::Failed(_) => 500,
            Refusal::NotInTime | Refusal::Unavailable(_) => 503,
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The `wxgate_refused_total` reason it counts under, if any: the body limits and the
    /// checks of `accept` (a failure after acceptance is not a refusal of the push).
    pub fn counted(&self) -> Option<Refused> {
        let accept = |reason| Some(Refused::Accept(reason));
        match self {
            Refusal::TooLarge => Some(Refused::TooLarge),
            Refusal::BodyTimeout => Some(Refused::BodyTimeout),
            Refusal::BodyBroken | Refusal::Failed(_) | Refusal::NotInTime => None,
            Refusal::Unavailable(_) => None,
            Refusal::MissingParam(_) => accept("missing_param"),
            Refusal::Signature(_) => accept("signature"),
            Refusal::Replay => accept("replay"),
            Refusal::Stale => accept("stale"),
            Refusal::WrongMode(_) => accept("wrong_mode"),
            Refusal::Envelope(_) | Refusal::NoKey => accept("envelope"),
            Refusal::Xml(_) => accept("xml"),
            Refusal::WrongAccount => accept("wrong_account"),
            Refusal::Revoked => accept("revoked"),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.status(), self.to_string()).into_response()
    }
}

#[cfg(test)]
mod tests {
    use wechat_proto::{CryptoError, SignatureError, XmlError};

    use super::*;

    #[test]
    fn statuses_follow_the_contract_and_proto_errors_keep_theirs() {
        let cases = [
            (Refusal::TooLarge, 413),
            (Refusal::BodyTimeout, 408),
            (Refusal::BodyBroken, 400),
            (Refusal::MissingParam("nonce"), 400),
            (Refusal::Signature(SignatureError::MsgSignature.into()), 403),
            (Refusal::Replay, 403),
            (Refusal::Stale, 403),
            (Refusal::WrongMode("plain"), 400),
            (Refusal::Envelope(CryptoError::Padding.into()), 400),
            (Refusal::Envelope(XmlError::Doctype.into()), 400),
            (Refusal::Xml(XmlError::Empty.into()), 400),
            (Refusal::Failed(PushError::Abandoned), 500),
            (Refusal::NotInTime, 503),
            (Refusal::Unavailable(StoreError::Closed), 503),
        ];
        for (refusal, status) in cases {
            assert_eq!(refusal.status().as_u16(), status, "{refusal}");
        }
    }

    #[test]
    fn the_cause_is_kept_as_source_and_named_in_the_answer() {
        let refusal = Refusal::Envelope(CryptoError::Padding.into());
        assert_eq!(refusal.to_string(), "envelope refused: bad padding");
        let source = std::error::Error::source(&refusal).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("bad padding"));
    }
}
