//! `POST /api/messages/template` (202, queued durably) and `GET /api/messages/{id}`.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde_json::{json, Value};

use super::wechat::client;
use super::{json, ApiError};
use crate::messages::TemplateRequest;
use crate::server::state::AppState;
use crate::store::MessageRow;

/// `POST /api/messages/template` → 202 `{"id", "status": "queued"}`; the same
/// `idempotency_key` answers the first message's id (and its status) and queues nothing.
pub async fn queue(
    State(app): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    client(&app)?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("body: not JSON ({e})")))?;
    let request = TemplateRequest::parse(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let queued = app.store.queue_message(&request.to_new(Utc::now())).await?;
    if !queued.created {
        let status = app
            .store
            .message(queued.id)
            .await?
            .map_or_else(|| "queued".to_owned(), |m| m.status);
        return Ok((
            StatusCode::ACCEPTED,
            Json(json!({ "id": queued.id, "status": status })),
        ));
    }
    crate::messages::count("queued");
    app.pipeline.outbox.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "id": queued.id, "status": "queued" })),
    ))
}

/// `GET /api/messages/{id}` → the message, 404 if unknown or forgotten.
pub async fn one(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let message = app.store.message(id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(shape(&message)))
}

/// `{"id", "touser", "template_id", "status", "msgid", "error", "created_at", "updated_at"}`.
fn shape(m: &MessageRow) -> Value {
    json!({
        "id": m.id,
        "touser": m.openid,
        "template_id": m.template_id,
        "status": m.status,
        "msgid": m.msgid,
        "error": m.error,
        "created_at": json::time(&m.created_at),
        "updated_at": json::time(&m.updated_at),
    })
}
