//! `POST /api/messages/template` (202, queued durably) and `GET /api/messages/{id}`.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::json::{time, ErrorBody};
use super::wechat::client;
use super::ApiError;
use crate::messages::TemplateRequest;
use crate::server::state::AppState;
use crate::store::MessageRow;

/// The body of `POST /api/messages/template`: WeChat's `message/template/send` body and an
/// optional idempotency key. Its fields are checked one by one by `TemplateRequest::parse`,
/// so a 400 names the field: this type only describes the body to the OpenAPI document.
#[derive(ToSchema)]
#[allow(dead_code, reason = "read by the OpenAPI schema only")]
pub struct NewTemplateMessage {
    /// the recipient's openid
    #[schema(min_length = 1, max_length = 128, pattern = "^[!-~]+$")]
    touser: String,
    /// the template's id
    #[schema(min_length = 1, max_length = 128, pattern = "^[!-~]+$")]
    template_id: String,
    /// where a tap on the message leads (http or https)
    #[schema(pattern = "^https?://")]
    url: Option<String>,
    /// a mini program page to open instead: `{"appid", "pagepath"}`
    #[schema(value_type = Option<Object>)]
    miniprogram: Option<Value>,
    /// the template's fields: `{"name": {"value": "..."}}`, at least one
    #[schema(value_type = Object)]
    data: Value,
    /// the caller's key: the same key answers the first message's id and sends nothing more
    #[schema(min_length = 1, max_length = 128)]
    idempotency_key: Option<String>,
}

/// A queued template message's id and status.
#[derive(Serialize, ToSchema)]
pub struct QueuedMessage {
    /// the message's id, for `GET /api/messages/{id}`
    id: i64,
    /// `queued`, or the status of the first message of the same `idempotency_key`
    status: String,
}

/// A template message sent through the gateway.
#[derive(Serialize, ToSchema)]
#[schema(as = Message)]
pub struct MessageJson {
    /// the message's id
    id: i64,
    /// the recipient's openid
    touser: String,
    /// the template's id
    template_id: String,
    /// `queued` → `sent` → `delivered` / `blocked` / `failed`
    #[schema(pattern = "^(queued|sent|delivered|blocked|failed)$")]
    status: String,
    /// WeChat's msgid, once sent
    msgid: Option<i64>,
    /// WeChat's errcode and errmsg of a failed send, or the receipt's status
    error: Option<String>,
    /// when it was queued (RFC 3339 UTC)
    #[schema(format = DateTime)]
    created_at: String,
    /// when its status last changed (RFC 3339 UTC)
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<&MessageRow> for MessageJson {
    fn from(m: &MessageRow) -> Self {
        MessageJson {
            id: m.id,
            touser: m.openid.clone(),
            template_id: m.template_id.clone(),
            status: m.status.clone(),
            msgid: m.msgid,
            error: m.error.clone(),
            created_at: time(&m.created_at),
            updated_at: time(&m.updated_at),
        }
    }
}

/// `POST /api/messages/template` → 202 `{"id", "status": "queued"}`; the same
/// `idempotency_key` answers the first message's id (and its status) and queues nothing.
#[utoipa::path(post, path = "/messages/template", tag = "messages", request_body = NewTemplateMessage,
    responses(
        (status = 202, description = "queued durably (or the first message of the same idempotency_key)", body = QueuedMessage),
        (status = 400, description = "the field at fault", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn queue(
    State(app): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<QueuedMessage>), ApiError> {
    client(&app)?;
    let body: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("body: not JSON ({e})")))?;
    let request = TemplateRequest::parse(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let queued = app.store.queue_message(&request.to_new(Utc::now())).await?;
    let status = if queued.created {
        crate::messages::count("queued");
        app.pipeline.outbox.notify_one();
        "queued".to_owned()
    } else {
        app.store
            .message(queued.id)
            .await?
            .map_or_else(|| "queued".to_owned(), |m| m.status)
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(QueuedMessage {
            id: queued.id,
            status,
        }),
    ))
}

/// `GET /api/messages/{id}` → the message, 404 if unknown or forgotten.
#[utoipa::path(get, path = "/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "the message's id")),
    responses(
        (status = 200, description = "the message and its status", body = MessageJson),
        (status = 404, description = "no such message (or its recipient was forgotten)", body = ErrorBody),
    ))]
pub async fn one(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<MessageJson>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let message = app.store.message(id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(MessageJson::from(&message)))
}
