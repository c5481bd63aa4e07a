//! `GET /cgi-bin/token` and `POST /cgi-bin/stable_token`.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::error::WxError;
use crate::state::{Issuer, MockState};

/// `GET /cgi-bin/token?grant_type=client_credential&appid=&secret=`.
pub async fn token(
    State(state): State<MockState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    match issue(
        &state,
        Issuer::Token,
        field("grant_type"),
        field("appid"),
        field("secret"),
        false,
    ) {
        Ok(response) => response,
        Err(err) => err.into_response(),
    }
}

#[derive(Deserialize)]
struct StableRequest {
    #[serde(default)]
    grant_type: String,
    #[serde(default)]
    appid: String,
    #[serde(default)]
    secret: String,
    #[serde(default)]
    force_refresh: bool,
}

/// `POST /cgi-bin/stable_token` with a JSON body; HTTP 404 while disabled by the test handle.
pub async fn stable_token(State(state): State<MockState>, body: Bytes) -> Response {
    if !state.stable_token_enabled() {
        return StatusCode::NOT_FOUND.into_response();
    }
    let request: StableRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) if body.is_empty() => return WxError(44002).into_response(),
        Err(_) => return WxError(47001).into_response(),
    };
    let result = issue(
        &state,
        Issuer::Stable,
        &request.grant_type,
        &request.appid,
        &request.secret,
        request.force_refresh,
    );
    result.unwrap_or_else(IntoResponse::into_response)
}

fn issue(
    state: &MockState,
    issuer: Issuer,
    grant_type: &str,
    appid: &str,
    secret: &str,
    force: bool,
) -> Result<Response, WxError> {
    state.begin_call(true)?;
    if grant_type != "client_credential" {
        return Err(WxError(40002));
    }
    state.check_credentials(appid, secret)?;
    let (access_token, expires_in) = state.issue_token(issuer, appid, force);
    Ok(Json(json!({ "access_token": access_token, "expires_in": expires_in })).into_response())
}
