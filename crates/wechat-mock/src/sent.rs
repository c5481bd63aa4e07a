//! `GET /mock/sent`: what the mock was sent.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::state::MockState;

/// `{"calls": [{"method", "path", "body", "at"}]}`, oldest first.
pub async fn sent(State(state): State<MockState>) -> Json<Value> {
    Json(json!({ "calls": state.sent() }))
}
