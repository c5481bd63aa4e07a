//! `POST /cgi-bin/message/custom/send` and `GET /cgi-bin/user/info`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::{ok, WxError};
use crate::qrcode::parse_body;
use crate::state::MockState;

type Params = Query<HashMap<String, String>>;

/// An openid as the mock accepts it: 1 to 64 characters of `[A-Za-z0-9_-]` (real ones are 28).
fn valid_openid(openid: &str) -> bool {
    (1..=64).contains(&openid.len())
        && openid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `POST /cgi-bin/message/custom/send?access_token=`.
pub async fn send(State(state): State<MockState>, Query(query): Params, body: Bytes) -> Response {
    let result = (|| {
        state.begin_call(false)?;
        state.check_token(query.get("access_token").map(String::as_str))?;
        let message = parse_body(&body)?;
        let touser = message.get("touser").and_then(Value::as_str).unwrap_or("");
        if !valid_openid(touser) {
            return Err(WxError(40003));
        }
        check_payload(&message)?;
        if state.is_out_of_window(touser) {
            return Err(WxError(45015));
        }
        state.record("POST", "/cgi-bin/message/custom/send", message);
        Ok(ok())
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}

fn check_payload(message: &Value) -> Result<(), WxError> {
    let msgtype = message.get("msgtype").and_then(Value::as_str).unwrap_or("");
    let payload = message.get(msgtype);
    let text = |field: &str| {
        payload
            .and_then(|p| p.get(field))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let required: &[&str] = match msgtype {
        "text" => &["content"],
        "image" | "voice" | "video" => &["media_id"],
        "music" => &["musicurl", "hqmusicurl", "thumb_media_id"],
        "mpnewsarticle" => &["article_id"],
        "news" => {
            let articles = payload
                .and_then(|p| p.get("articles"))
                .and_then(Value::as_array);
            return match articles {
                Some(articles) if articles.len() == 1 => Ok(()),
                Some(_) => Err(WxError(45008)),
                None => Err(WxError(47001)),
            };
        }
        _ => return Err(WxError(40008)),
    };
    for field in required {
        if text(field).is_none() {
            return Err(if field.ends_with("media_id") {
                WxError(40007)
            } else {
                WxError(47001)
            });
        }
    }
    Ok(())
}

/// `GET /cgi-bin/user/info?access_token=&openid=`: every well-formed openid is a subscribed
/// user who followed through QR scene 98765.
pub async fn user_info(State(state): State<MockState>, Query(query): Params) -> Response {
    let result = (|| {
        state.begin_call(false)?;
        state.check_token(query.get("access_token").map(String::as_str))?;
        let openid = query.get("openid").map(String::as_str).unwrap_or("");
        if !valid_openid(openid) {
            return Err(WxError(40003));
        }
        let language = query.get("lang").map(String::as_str).unwrap_or("zh_CN");
        Ok(Json(json!({
            "subscribe": 1,
            "openid": openid,
            "language": language,
            "subscribe_time": 1_382_694_957,
            "unionid": format!("u_{openid}"),
            "remark": "",
            "groupid": 0,
            "tagid_list": [],
            "subscribe_scene": "ADD_SCENE_QR_CODE",
            "qr_scene": 98765,
            "qr_scene_str": ""
        }))
        .into_response())
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}
