//! Third-party platform (第三方平台, "component") events: what WeChat POSTs to the platform's
//! authorisation-event URL once the envelope is verified and decrypted with the platform's keys.
//!
//! The envelope of these pushes is `<xml><AppId>…</AppId><Encrypt>…</Encrypt></xml>`:
//! [`parse_push_envelope`](crate::parse_push_envelope) reads it and returns the `AppId` in
//! [`PushEnvelope::app_id`](crate::PushEnvelope::app_id), which must be the `component_appid`.
//! The decrypted body is read with the same hardened parser as account pushes. An `InfoType`
//! this crate does not know, or a known one missing a field it needs, becomes
//! [`PlatformEvent::Other`]: the platform still answers `success`.
use std::fmt;

use crate::error::XmlError;
use crate::write::{cdata_element, text_element};
use crate::xml;

/// A decrypted platform event (spec §11.2).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PlatformEvent {
    /// `component_verify_ticket`, every 10 minutes: the newest ticket (valid 12 hours) is the
    /// only way to a component access token.
    VerifyTicket {
        /// `AppId`: the component_appid
        appid: String,
        /// `CreateTime`, unix seconds
        create_time: i64,
        /// `ComponentVerifyTicket`
        ticket: String,
    },
    /// `authorized` or `updateauthorized`: an account authorised the platform (again, or with
    /// other permissions); exchange `code` once with `api_query_auth`.
    Authorized {
        /// `AppId`: the component_appid
        appid: String,
        /// `AuthorizerAppid`: the account
        authorizer_appid: String,
        /// `AuthorizationCode`
        code: String,
        /// `AuthorizationCodeExpiredTime`, unix seconds (0 when absent)
        code_expires_at: i64,
        /// `PreAuthCode` (empty when absent)
        pre_auth_code: String,
        /// `updateauthorized` rather than `authorized`
        updated: bool,
    },
    /// `unauthorized`: the account revoked the platform; its tokens are dead.
    Unauthorized {
        /// `AppId`: the component_appid
        appid: String,
        /// `AuthorizerAppid`: the account
        authorizer_appid: String,
    },
    /// Any other `InfoType` (e.g. `notify_third_fasteregister`), or a known one missing a field.
    Other {
        /// `AppId`: the component_appid
        appid: String,
        /// `InfoType` as sent
        info_type: String,
    },
}

/// The ticket and the authorisation code are left out: a log line must not carry them.
impl fmt::Debug for PlatformEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlatformEvent::VerifyTicket {
                appid, create_time, ..
            } => f
                .debug_struct("VerifyTicket")
                .field("appid", appid)
                .field("create_time", create_time)
                .finish_non_exhaustive(),
            PlatformEvent::Authorized {
                appid,
                authorizer_appid,
                code_expires_at,
                updated,
                ..
            } => f
                .debug_struct("Authorized")
                .field("appid", appid)
                .field("authorizer_appid", authorizer_appid)
                .field("code_expires_at", code_expires_at)
                .field("updated", updated)
                .finish_non_exhaustive(),
            PlatformEvent::Unauthorized {
                appid,
                authorizer_appid,
            } => f
                .debug_struct("Unauthorized")
                .field("appid", appid)
                .field("authorizer_appid", authorizer_appid)
                .finish(),
            PlatformEvent::Other { appid, info_type } => f
                .debug_struct("Other")
                .field("appid", appid)
                .field("info_type", info_type)
                .finish(),
        }
    }
}

impl PlatformEvent {
    /// The `AppId` inside the event: the component_appid.
    pub fn appid(&self) -> &str {
        match self {
            PlatformEvent::VerifyTicket { appid, .. }
            | PlatformEvent::Authorized { appid, .. }
            | PlatformEvent::Unauthorized { appid, .. }
            | PlatformEvent::Other { appid, .. } => appid,
        }
    }

    /// The `InfoType` as WeChat names it (`component_verify_ticket`, `authorized`, ...).
    pub fn info_type(&self) -> &str {
        match self {
            PlatformEvent::VerifyTicket { .. } => "component_verify_ticket",
            PlatformEvent::Authorized { updated: false, .. } => "authorized",
            PlatformEvent::Authorized { updated: true, .. } => "updateauthorized",
            PlatformEvent::Unauthorized { .. } => "unauthorized",
            PlatformEvent::Other { info_type, .. } => info_type,
        }
    }

    /// The event as WeChat writes it (before encryption), `CreateTime` = `now` except for a
    /// ticket, which carries its own.
    pub fn render(&self, now: i64) -> String {
        let mut out = String::with_capacity(320);
        out.push_str("<xml>");
        cdata_element(&mut out, "AppId", self.appid());
        let create_time = match self {
            PlatformEvent::VerifyTicket { create_time, .. } => *create_time,
            _ => now,
        };
        text_element(&mut out, "CreateTime", &create_time.to_string());
        cdata_element(&mut out, "InfoType", self.info_type());
        match self {
            PlatformEvent::VerifyTicket { ticket, .. } => {
                cdata_element(&mut out, "ComponentVerifyTicket", ticket);
            }
            PlatformEvent::Authorized {
                authorizer_appid,
                code,
                code_expires_at,
                pre_auth_code,
                ..
            } => {
                cdata_element(&mut out, "AuthorizerAppid", authorizer_appid);
                cdata_element(&mut out, "AuthorizationCode", code);
                text_element(
                    &mut out,
                    "AuthorizationCodeExpiredTime",
                    &code_expires_at.to_string(),
                );
                cdata_element(&mut out, "PreAuthCode", pre_auth_code);
            }
            PlatformEvent::Unauthorized {
                authorizer_appid, ..
            } => cdata_element(&mut out, "AuthorizerAppid", authorizer_appid),
            PlatformEvent::Other { .. } => {}
        }
        out.push_str("</xml>");
        out
    }
}

/// Parse a decrypted platform event (hardened parser: no DOCTYPE, capped size and depth).
///
/// `AppId` and `InfoType` are required (else [`XmlError::MissingElement`]); `CreateTime`, when
/// present, must be an integer. Values are trimmed of surrounding whitespace.
pub fn parse_platform_event(body: &[u8]) -> Result<PlatformEvent, XmlError> {
    let fields = xml::parse_document(body)?;
    let text = |name: &str| fields.text(name).map(str::trim).filter(|v| !v.is_empty());
    let appid = text("AppId")
        .ok_or(XmlError::MissingElement("AppId"))?
        .to_owned();
    let info_type = text("InfoType").ok_or(XmlError::MissingElement("InfoType"))?;
    let create_time = match text("CreateTime") {
        None => 0,
        Some(t) => t
            .parse::<i64>()
            .map_err(|_| XmlError::InvalidValue("CreateTime"))?,
    };
    let other = |appid: String| PlatformEvent::Other {
        appid,
        info_type: info_type.to_owned(),
    };
    let event = match info_type {
        "component_verify_ticket" => match text("ComponentVerifyTicket") {
            Some(ticket) => PlatformEvent::VerifyTicket {
                appid,
                create_time,
                ticket: ticket.to_owned(),
            },
            None => other(appid),
        },
        "authorized" | "updateauthorized" => {
            match (text("AuthorizerAppid"), text("AuthorizationCode")) {
                (Some(authorizer_appid), Some(code)) => PlatformEvent::Authorized {
                    authorizer_appid: authorizer_appid.to_owned(),
                    code: code.to_owned(),
                    code_expires_at: text("AuthorizationCodeExpiredTime")
                        .and_then(|t| t.parse().ok())
                        .unwrap_or(0),
                    pre_auth_code: text("PreAuthCode").unwrap_or("").to_owned(),
                    updated: info_type == "updateauthorized",
                    appid,
                },
                _ => other(appid),
            }
        }
        "unauthorized" => match text("AuthorizerAppid") {
            Some(authorizer_appid) => PlatformEvent::Unauthorized {
                appid,
                authorizer_appid: authorizer_appid.to_owned(),
            },
            None => other(appid),
        },
        _ => other(appid),
    };
    Ok(event)
}

/// Render the envelope of a platform event as WeChat POSTs it:
/// `<xml><AppId>component_appid</AppId><Encrypt>…</Encrypt></xml>`.
pub fn render_platform_envelope(component_appid: &str, encrypt: &str) -> String {
    let mut out = String::with_capacity(64 + component_appid.len() + encrypt.len());
    out.push_str("<xml>");
    cdata_element(&mut out, "AppId", component_appid);
    cdata_element(&mut out, "Encrypt", encrypt);
    out.push_str("</xml>");
    out
}
