//! `GET /cgi-bin/tags/get`: the account's follower tags.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::HashMap;

use crate::state::MockState;

/// `GET /cgi-bin/tags/get?access_token=`: the one tag every account starts with, WeChat's
/// own 星标组 (id 2), with no follower in it.
pub async fn get(
    State(state): State<MockState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let result = (|| {
        state.begin_call(false)?;
        state.check_token(query.get("access_token").map(String::as_str))?;
        Ok(Json(json!({
            "tags": [{"id": 2, "name": "星标组", "count": 0}]
        }))
        .into_response())
    })();
    result.unwrap_or_else(|e: crate::WxError| e.into_response())
}
