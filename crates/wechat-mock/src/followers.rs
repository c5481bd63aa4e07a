//! `GET /cgi-bin/user/get` and `POST /cgi-bin/user/info/batchget` over the follower list of
//! `--followers N`: generated openids, each with a subscribe scene, some with a QR scene.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::WxError;
use crate::qrcode::parse_body;
use crate::state::MockState;

/// Openids per `user/get` page, as on WeChat.
const PAGE: usize = 10_000;
/// Entries per `batchget` call at most, as on WeChat.
const BATCH: usize = 100;
/// The subscribe scenes the generated followers cycle through.
const SCENES: [&str; 5] = [
    "ADD_SCENE_QR_CODE",
    "ADD_SCENE_SEARCH",
    "ADD_SCENE_QR_CODE",
    "ADD_SCENE_PROFILE_CARD",
    "ADD_SCENE_QR_CODE",
];

/// The `i`-th generated follower: 28 characters, like a real openid, in sorted order.
pub(crate) fn openid(i: u32) -> String {
    format!("oMock{i:023}")
}

/// What `user/info` says of the generated follower `openid`: follower `i` came through
/// `SCENES[i % 5]`; the QR followers through scene `100 + i % 3` (integer) or, every
/// fifth, `"poster-a"` (string).
pub(crate) fn info(openid: &str) -> Value {
    let i: u64 = openid
        .strip_prefix("oMock")
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let scene = SCENES[(i % 5) as usize];
    let (qr_scene, qr_scene_str) = match (scene, i % 5) {
        ("ADD_SCENE_QR_CODE", 4) => (0, "poster-a".to_owned()),
        ("ADD_SCENE_QR_CODE", _) => (100 + i % 3, String::new()),
        _ => (0, String::new()),
    };
    json!({
        "subscribe": 1,
        "openid": openid,
        "language": "zh_CN",
        "subscribe_time": 1_600_000_000 + i * 60,
        "unionid": format!("u_{openid}"),
        "remark": "",
        "groupid": 0,
        "tagid_list": if i % 2 == 0 { json!([2]) } else { json!([]) },
        "subscribe_scene": scene,
        "qr_scene": qr_scene,
        "qr_scene_str": qr_scene_str,
    })
}

/// `GET /cgi-bin/user/get?access_token=&next_openid=`.
pub async fn list(
    State(state): State<MockState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let result = (|| -> Result<Response, WxError> {
        state.begin_call(false)?;
        state.check_token(query.get("access_token").map(String::as_str))?;
        let next = query
            .get("next_openid")
            .map(String::as_str)
            .filter(|n| !n.is_empty());
        let (page, total) = state.follower_page(next, PAGE);
        if page.is_empty() {
            return Ok(
                Json(json!({ "total": total, "count": 0, "next_openid": "" })).into_response(),
            );
        }
        let last = page.last().cloned().unwrap_or_default();
        Ok(Json(json!({
            "total": total,
            "count": page.len(),
            "data": { "openid": page },
            "next_openid": last,
        }))
        .into_response())
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `POST /cgi-bin/user/info/batchget?access_token=` with `{"user_list": [{"openid"}]}`: a
/// follower's info, `{"subscribe": 0, "openid"}` for anyone else.
pub async fn batchget(
    State(state): State<MockState>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let result = (|| -> Result<Response, WxError> {
        state.begin_call(false)?;
        state.check_token(query.get("access_token").map(String::as_str))?;
        let request = parse_body(&body)?;
        let list = request
            .get("user_list")
            .and_then(Value::as_array)
            .ok_or(WxError(47001))?;
        if list.is_empty() || list.len() > BATCH {
            return Err(WxError(47001));
        }
        let mut infos = Vec::with_capacity(list.len());
        for entry in list {
            let openid = entry
                .get("openid")
                .and_then(Value::as_str)
                .ok_or(WxError(40003))?;
            if openid.is_empty() {
                return Err(WxError(40003));
            }
            if state.is_follower(openid) {
                infos.push(info(openid));
            } else {
                infos.push(json!({ "subscribe": 0, "openid": openid }));
            }
        }
        Ok(Json(json!({ "user_info_list": infos })).into_response())
    })();
    result.unwrap_or_else(IntoResponse::into_response)
}
