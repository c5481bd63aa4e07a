//! `POST /api/messages/template` (202, queued durably) and `GET /api/messages/{id}`.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::json::{time, ErrorBody};
use super::wechat::client;
use super::ApiError;
use crate::messages::TemplateRequest;
use crate::server::state::AppState;
use crate::store::MessageRow;

/// The body of `POST /api/messages/template` (documentation: the handler reads it field by
/// field, naming the one at fault).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct TemplateBody {
    /// the recipient's openid
    touser: String,
    /// the template's id
    template_id: String,
    /// a link opened on tap
    url: Option<String>,
    /// a mini program opened on tap: `{"appid", "pagepath"}`
    miniprogram: Option<Map<String, Value>>,
    /// the template's fields: `{"name": {"value": "...", "color": "#..."}}`
    data: Map<String, Value>,
    /// the same key answers the first message's id and sends nothing more (1–128 characters)
    idempotency_key: Option<String>,
}

/// A queued message.
#[derive(Serialize, ToSchema)]
pub struct QueuedJson {
    /// the message's id, for `GET /api/messages/{id}`
    id: i64,
    /// `queued` (or, for a repeated `idempotency_key`, the first message's status)
    status: String,
}

/// A template message and where it is.
#[derive(Serialize, ToSchema)]
#[schema(as = Message)]
pub struct MessageJson {
    /// its id
    id: i64,
    /// the recipient's openid
    touser: String,
    /// the template's id
    template_id: String,
    /// `queued`, `sent`, `delivered`, `blocked` or `failed`
    status: String,
    /// WeChat's msgid, once sent
    msgid: Option<i64>,
    /// WeChat's errcode and errmsg when it failed
    error: Option<String>,
    /// when it was queued (RFC 3339 UTC)
    #[schema(format = DateTime)]
    created_at: String,
    /// its last change (RFC 3339 UTC)
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
#[utoipa::path(post, path = "/messages/template", tag = "wechat",
    request_body = TemplateBody,
    responses(
        (status = 202, description = "queued durably (or the message of this idempotency_key)", body = QueuedJson),
        (status = 400, description = "a missing or malformed field, named", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn queue(
    State(app): State<AppState>,
    body: Bytes,
) -> Result<(StatusCode, Json<QueuedJson>), ApiError> {
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
        Json(QueuedJson {
            id: queued.id,
            status,
        }),
    ))
}

/// `GET /api/messages/{id}` → the message, 404 if unknown or forgotten.
#[utoipa::path(get, path = "/messages/{id}", tag = "wechat",
    params(("id" = String, Path, description = "the message's id")),
    responses(
        (status = 200, description = "the message", body = MessageJson),
        (status = 404, description = "unknown, or its recipient was forgotten", body = ErrorBody),
    ))]
pub async fn one(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<MessageJson>, ApiError> {
    let id: i64 = id.parse().map_err(|_| ApiError::NotFound)?;
    let message = app.store.message(id).await?.ok_or(ApiError::NotFound)?;
    Ok(Json(MessageJson::from(&message)))
}
