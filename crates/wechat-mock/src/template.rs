//! `POST /cgi-bin/message/template/send`: taken, recorded in `/mock/sent`, answered with a
//! `msgid`; with `--push-to`, its `TEMPLATESENDJOBFINISH` push follows.
//!
//! For trying failures by hand: a `template_id` starting with `invalid` answers 40037, and an
//! openid that is not a follower (with `--followers N`) 43004.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::WxError;
use crate::jobfinish;
use crate::qrcode::parse_body;
use crate::state::MockState;

fn is_id(value: &str) -> bool {
    (1..=64).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `POST /cgi-bin/message/template/send?access_token=`.
pub async fn send(
    State(state): State<MockState>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let result = (|| -> Result<Response, WxError> {
        state.begin_call(false)?;
        let appid = state.check_token(query.get("access_token").map(String::as_str))?;
        let message = parse_body(&body)?;
        let text = |field: &str| message.get(field).and_then(Value::as_str).unwrap_or("");
        let touser = text("touser").to_owned();
        if !is_id(&touser) {
            return Err(WxError(40003));
        }
        let template_id = text("template_id");
        if !is_id(template_id) || template_id.starts_with("invalid") {
            return Err(WxError(40037));
        }
        if !message.get("data").is_some_and(Value::is_object) {
            return Err(WxError(47001));
        }
        if !state.is_follower(&touser) {
            return Err(WxError(43004));
        }
        let msgid = state.next_msgid();
        state.record("POST", "/cgi-bin/message/template/send", message);
        if let Some(target) = state.push_target(&appid) {
            let status = state.template_outcome(&touser);
            tokio::spawn(jobfinish::send(target, touser, msgid, status));
        }
        Ok(Json(json!({ "errcode": 0, "errmsg": "ok", "msgid": msgid })).into_response())
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}
