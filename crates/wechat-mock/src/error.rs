//! WeChat-shaped error answers: HTTP 200 with `{"errcode":N,"errmsg":"..."}`.

use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::Rng;
use serde_json::json;

/// An error answer as WeChat gives it: a code and WeChat's own message text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WxError(pub i64);

impl WxError {
    /// The message WeChat sends with this code (texts from WxJava's WxMpErrorMsgEnum).
    pub fn message(self) -> &'static str {
        match self.0 {
            -1 => "system error",
            40001 => "invalid credential, access_token is invalid or not latest",
            40002 => "invalid grant_type",
            40003 => "invalid openid",
            40004 => "invalid media type",
            40007 => "invalid media_id",
            40008 => "invalid message type",
            40013 => "invalid appid",
            40037 => "invalid template_id",
            40014 => "invalid access_token",
            40016 => "invalid button size",
            40017 => "invalid button type",
            40018 => "invalid button name size",
            40019 => "invalid button key size",
            40020 => "invalid button url size",
            40023 => "invalid sub button size",
            40024 => "invalid sub button type",
            40025 => "invalid sub button name size",
            40026 => "invalid sub button key size",
            40027 => "invalid sub button url size",
            40053 => "invalid action info",
            40029 => "invalid code",
            40097 => "invalid args",
            40125 => "invalid appsecret",
            40163 => "code been used",
            41001 => "access_token missing",
            41002 => "appid missing",
            41004 => "appsecret missing",
            41005 => "media data missing",
            42001 => "access_token expired",
            43004 => "require subscribe",
            44002 => "empty post data",
            45009 => "reach max api daily quota limit",
            45011 => "api minute-quota reach limit",
            45015 => "response out of time limit or subscription is canceled",
            46003 => "menu no exist",
            47001 => "data format error",
            48001 => "api unauthorized",
            61003 => "component is not authorized by this account",
            61005 => "component ticket is expired",
            61006 => "component ticket is invalid",
            61009 => "code is invalid",
            61010 => "code is expired",
            61023 => "refresh_token is invalid",
            _ => "error",
        }
    }
}

impl IntoResponse for WxError {
    fn into_response(self) -> Response {
        // WeChat appends a request id to every error message.
        let rid: u64 = rand::thread_rng().gen();
        let errmsg = format!("{} rid: {:016x}", self.message(), rid);
        Json(json!({ "errcode": self.0, "errmsg": errmsg })).into_response()
    }
}

/// The success answer of calls that return nothing else.
pub fn ok() -> Response {
    Json(json!({ "errcode": 0, "errmsg": "ok" })).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_have_their_own_text() {
        assert_eq!(WxError(46003).message(), "menu no exist");
        assert_eq!(WxError(42001).message(), "access_token expired");
        assert_eq!(WxError(12345).message(), "error");
    }
}
