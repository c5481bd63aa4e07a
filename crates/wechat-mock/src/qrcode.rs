//! `POST /cgi-bin/qrcode/create` and `GET /cgi-bin/showqrcode`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::WxError;
use crate::state::{random_from, MockState};

/// Longest lifetime of a temporary code; longer requests are cut to it, as WeChat does.
const MAX_EXPIRE: u64 = 2_592_000;
/// Lifetime of a temporary code when `expire_seconds` is omitted (the official page says 60 s).
const DEFAULT_EXPIRE: u64 = 60;
const TICKET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
/// A small picture served for every known ticket.
const PICTURE: &[u8] = include_bytes!("../assets/qrcode.png");

/// `POST /cgi-bin/qrcode/create?access_token=`.
pub async fn create(
    State(state): State<MockState>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    match create_inner(&state, &query, &body) {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

fn create_inner(
    state: &MockState,
    query: &HashMap<String, String>,
    body: &[u8],
) -> Result<Response, WxError> {
    state.begin_call(false)?;
    state.check_token(query.get("access_token").map(String::as_str))?;
    let request: Value = parse_body(body)?;
    let scene = request
        .pointer("/action_info/scene")
        .ok_or(WxError(40053))?;
    let permanent = match request.get("action_name").and_then(Value::as_str) {
        Some("QR_SCENE") => check_id(scene, 4_294_967_295).map(|_| false)?,
        Some("QR_LIMIT_SCENE") => check_id(scene, 100_000).map(|_| true)?,
        Some("QR_STR_SCENE") => check_str(scene).map(|_| false)?,
        Some("QR_LIMIT_STR_SCENE") => check_str(scene).map(|_| true)?,
        _ => return Err(WxError(40053)),
    };
    let expire = match request.get("expire_seconds") {
        None | Some(Value::Null) => DEFAULT_EXPIRE,
        Some(value) => value
            .as_u64()
            .filter(|&s| s > 0)
            .ok_or(WxError(40053))?
            .min(MAX_EXPIRE),
    };
    let ticket = format!("gQH{}==", random_from(TICKET_ALPHABET, 93));
    let url = format!("http://weixin.qq.com/q/{}", random_from(URL_ALPHABET, 22));
    state.add_ticket(&ticket);
    state.record("POST", "/cgi-bin/qrcode/create", request);
    let answer = if permanent {
        json!({ "ticket": ticket, "url": url })
    } else {
        json!({ "ticket": ticket, "expire_seconds": expire, "url": url })
    };
    Ok(Json(answer).into_response())
}

fn check_id(scene: &Value, max: u64) -> Result<(), WxError> {
    match scene.get("scene_id").and_then(Value::as_u64) {
        Some(id) if (1..=max).contains(&id) => Ok(()),
        _ => Err(WxError(40053)),
    }
}

fn check_str(scene: &Value) -> Result<(), WxError> {
    match scene.get("scene_str").and_then(Value::as_str) {
        Some(s) if (1..=64).contains(&s.chars().count()) => Ok(()),
        _ => Err(WxError(40053)),
    }
}

/// Parses a JSON request body: 44002 when empty, 47001 when not JSON.
pub(crate) fn parse_body(body: &[u8]) -> Result<Value, WxError> {
    if body.is_empty() {
        return Err(WxError(44002));
    }
    serde_json::from_slice(body).map_err(|_| WxError(47001))
}

/// `GET /cgi-bin/showqrcode?ticket=`: a picture for a known ticket, 404 otherwise. No token.
pub async fn show(
    State(state): State<MockState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    match query.get("ticket") {
        Some(ticket) if state.has_ticket(ticket) => {
            ([(header::CONTENT_TYPE, "image/png")], PICTURE).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}
