//! `POST /mock/open/authorize {"appid", "nick_name"?}` and `POST /mock/open/unauthorize
//! {"appid"}`: an account authorises or revokes the platform, and WeChat's push says so;
//! `POST /mock/open/push {"appid", "xml"}`: one of the account's pushes.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use wechat_proto::PlatformEvent;

use super::CODE_TTL;
use crate::state::MockState;

#[derive(Deserialize)]
struct AuthorizeRequest {
    appid: String,
    #[serde(default)]
    nick_name: Option<String>,
}

#[derive(Deserialize)]
struct UnauthorizeRequest {
    appid: String,
}

fn bad_request(why: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": why }))).into_response()
}

/// Whether `appid` looks like one: `wx` and 16 letters or digits.
fn valid_appid(appid: &str) -> bool {
    appid.len() == 18 && appid.starts_with("wx") && appid.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Authorises: the `authorized` (or `updateauthorized`) push is sent to `{push_to}/open` and
/// answered before this returns. Answers `{"appid", "auth_code", "user_name", "updated",
/// "pushed"}` (`pushed`: the gateway's HTTP status, null when nothing was pushed); the
/// `auth_code` is what the browser's redirect would carry.
pub async fn authorize(State(state): State<MockState>, body: Bytes) -> Response {
    let Some(platform) = state.config().platform.clone() else {
        return (StatusCode::NOT_FOUND, "the mock has no platform\n").into_response();
    };
    let request: AuthorizeRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => return bad_request("body must be {\"appid\", \"nick_name\"?}"),
    };
    if !valid_appid(&request.appid) {
        return bad_request("appid must be wx and 16 letters or digits");
    }
    let grant = state.grant(&request.appid, request.nick_name.as_deref());
    let now = chrono::Utc::now().timestamp();
    let event = PlatformEvent::Authorized {
        appid: platform.component_appid.clone(),
        authorizer_appid: grant.appid.clone(),
        code: grant.auth_code.clone(),
        code_expires_at: now + CODE_TTL.as_secs() as i64,
        pre_auth_code: String::new(),
        updated: grant.updated,
    };
    let pushed = state.push_event(&event).await;
    Json(json!({
        "appid": grant.appid,
        "auth_code": grant.auth_code,
        "user_name": grant.user_name,
        "updated": grant.updated,
        "pushed": pushed,
    }))
    .into_response()
}

/// Revokes: the account's tokens die at once, then the `unauthorized` push is sent. Answers
/// `{"appid", "was_authorized", "pushed"}`.
pub async fn unauthorize(State(state): State<MockState>, body: Bytes) -> Response {
    let Some(platform) = state.config().platform.clone() else {
        return (StatusCode::NOT_FOUND, "the mock has no platform\n").into_response();
    };
    let request: UnauthorizeRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => return bad_request("body must be {\"appid\"}"),
    };
    let was = state.revoke(&request.appid);
    let event = PlatformEvent::Unauthorized {
        appid: platform.component_appid.clone(),
        authorizer_appid: request.appid.clone(),
    };
    let pushed = state.push_event(&event).await;
    Json(json!({ "appid": request.appid, "was_authorized": was, "pushed": pushed })).into_response()
}

#[derive(Deserialize)]
struct PushRequest {
    appid: String,
    xml: String,
}

/// `POST /mock/open/push {"appid", "xml"}`: sends `xml` (a decrypted push) as WeChat sends an
/// authorised account's pushes to the platform, to `{push_to}/open/{appid}`. Answers
/// `{"status", "body", "reply"}`: the gateway's HTTP status and body, and `reply` the passive
/// reply opened with the platform's keys (null when the body is not a sealed reply). 502 when
/// the gateway cannot be reached or there is nowhere to push.
pub async fn push(State(state): State<MockState>, body: Bytes) -> Response {
    let Some(platform) = state.config().platform.clone() else {
        return (StatusCode::NOT_FOUND, "the mock has no platform\n").into_response();
    };
    let request: PushRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => return bad_request("body must be {\"appid\", \"xml\"}"),
    };
    match state.send_account_push(&request.appid, &request.xml).await {
        Ok((status, body)) => {
            let reply = wechat_proto::open_reply_envelope(
                &platform.crypt(),
                &platform.token,
                body.as_bytes(),
            )
            .ok();
            Json(json!({ "status": status, "body": body, "reply": reply })).into_response()
        }
        Err(why) => (StatusCode::BAD_GATEWAY, Json(json!({ "error": why }))).into_response(),
    }
}
