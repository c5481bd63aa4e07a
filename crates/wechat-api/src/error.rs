//! [`ApiError`]: everything a call to the WeChat API can fail with.

use thiserror::Error;

use crate::menu::MenuError;
use crate::net::NetError;
use crate::token::StoreError;

/// A failed API call. Messages never contain the AppSecret or an access token: URLs are
/// reduced to their path and transport errors lose their URL.
#[derive(Debug, Error)]
pub enum ApiError {
    /// WeChat answered a non-zero `errcode`; code and message are WeChat's own.
    #[error("WeChat error {code}: {message}")]
    WeChat {
        /// WeChat's `errcode`, e.g. 45015.
        code: i64,
        /// WeChat's `errmsg`.
        message: String,
    },
    /// The request could not be sent or its answer not read: "connection refused",
    /// "timed out after 15000 ms", ...
    #[error("calling {path}: {source}")]
    Transport {
        /// The endpoint path, e.g. `/cgi-bin/menu/get`.
        path: String,
        /// Why, with the reqwest error (its URL removed) as its source.
        #[source]
        source: NetError,
    },
    /// The server answered an HTTP status other than 200 without a WeChat error body.
    #[error("calling {path}: HTTP {status}")]
    Http {
        /// The endpoint path.
        path: String,
        /// The HTTP status code.
        status: u16,
    },
    /// The answer was not the JSON expected (or a body could not be made JSON).
    #[error("calling {path}: unexpected answer: {reason}")]
    Decode {
        /// The endpoint path.
        path: String,
        /// What was wrong with it.
        reason: String,
        /// serde_json's error, when there is one (not for a missing field found by hand).
        #[source]
        source: Option<serde_json::Error>,
    },
    /// A menu was refused before any call because it breaks a WeChat limit.
    #[error("invalid menu: {0}")]
    InvalidMenu(#[from] MenuError),
    /// A customer-service message was refused before any call.
    #[error("invalid message: {0}")]
    InvalidMessage(String),
    /// The configured base URL cannot be used.
    #[error("invalid base_url: {0}")]
    BaseUrl(#[from] BaseUrlError),
    /// The token store failed where the token could not be had otherwise.
    #[error("token store: {0}")]
    Store(#[from] StoreError),
    /// A third-party platform has no `component_verify_ticket` yet (WeChat pushes one every
    /// 10 minutes), so no component token can be had.
    #[error("no component_verify_ticket received yet")]
    NoTicket,
    /// The account is not among those that authorised the platform
    /// (`api_get_authorizer_list`): it must authorise again.
    #[error("account {appid} has not authorised the platform")]
    NotAuthorized {
        /// The account.
        appid: String,
    },
}

/// Why the configured `base_url` (or a path joined to it) cannot be used.
#[derive(Debug, Error)]
pub enum BaseUrlError {
    /// A path that cannot be joined to it (a base URL itself arrives parsed, as a `Url`).
    #[error(transparent)]
    Parse(#[from] url::ParseError),
    /// A URL, but not one an HTTP client can call (`ftp:`, `mailto:`).
    #[error("must be an http(s) URL")]
    NotHttp,
    /// The HTTP client for it could not be built (TLS set-up).
    #[error("the HTTP client cannot be built: {0}")]
    Client(#[source] reqwest::Error),
}

/// WeChat's "system busy, retry later".
pub const BUSY: i64 = -1;
/// WeChat's "called too often" (per-minute quota).
pub const TOO_OFTEN: i64 = 45011;

/// Whether WeChat's `errcode` says it refused the token of the call: 40001 (invalid or
/// revoked), 40014 (malformed), 42001 (expired).
pub(crate) fn refuses_token(code: i64) -> bool {
    matches!(code, 40001 | 40014 | 42001)
}

impl ApiError {
    /// WeChat's `errcode`, when WeChat answered one.
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::WeChat { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether WeChat refused the access token (40001, 40014, 42001): refresh and retry once.
    pub fn is_token_rejected(&self) -> bool {
        self.code().is_some_and(refuses_token)
    }

    /// Whether the account must authorise the platform again: WeChat refused its refresh token
    /// (61023) or no longer lists it.
    pub fn needs_reauthorization(&self) -> bool {
        matches!(self, Self::NotAuthorized { .. }) || self.code() == Some(61023)
    }

    /// Whether it is worth trying again later with backoff (-1 busy, 45011 too often).
    pub fn is_busy(&self) -> bool {
        matches!(self.code(), Some(BUSY | TOO_OFTEN))
    }

    /// Whether a customer-service message failed because the user is outside the 48 h
    /// window (45015), over the message count (45047) or not following (43004): do not retry.
    pub fn is_outside_window(&self) -> bool {
        matches!(self.code(), Some(45015 | 45047 | 43004))
    }

    /// Whether the error points at the account's configuration (bad AppID / AppSecret, IP not
    /// whitelisted, API not authorised) rather than a passing condition.
    pub fn is_config_error(&self) -> bool {
        matches!(
            self.code(),
            Some(40002 | 40013 | 40125 | 40164 | 41002 | 41004 | 48001 | 89503)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wechat(code: i64) -> ApiError {
        ApiError::WeChat {
            code,
            message: "m".into(),
        }
    }

    #[test]
    fn classification_follows_the_codes() {
        assert!(wechat(42001).is_token_rejected());
        assert!(wechat(40014).is_token_rejected());
        assert!(!wechat(40013).is_token_rejected());
        assert!(wechat(-1).is_busy() && wechat(45011).is_busy() && !wechat(45009).is_busy());
        assert!(wechat(45015).is_outside_window());
        assert!(wechat(40164).is_config_error());
        assert_eq!(wechat(46003).to_string(), "WeChat error 46003: m");
    }
}
