//! What every `/api` answer is: JSON — axum's own rejections (a bad query, bad JSON, an
//! unknown method) re-wrapped as `{"error": "..."}` — with `Cache-Control: no-store` and
//! `X-Content-Type-Options: nosniff`; and the request body due by the reply deadline (408,
//! then the connection closes) and at most [`MAX_BODY`] bytes (413, at once when a declared
//! `Content-Length` is larger).
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::server::state::AppState;

/// Largest `/api` request body (axum's default for JSON).
pub const MAX_BODY: usize = 2 * 1024 * 1024;
/// Largest error text taken from a non-JSON error answer.
const MAX_ERROR_TEXT: usize = 4096;

/// The `/api` middleware (outermost, so the bearer check's answers are covered too).
pub async fn json_answers(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let req = match read_body(&app, req).await {
        Ok(req) => req,
        Err(resp) => return finish(resp).await,
    };
    finish(next.run(req).await).await
}

/// The body read in full before the deadline, or the answer to give instead.
async fn read_body(app: &AppState, req: Request) -> Result<Request, Response> {
    if req.uri().path().starts_with("/wechat/") {
        // The proxy reads its own, larger, bodies (`wechat_proxy::MAX_BODY`).
        return Ok(req);
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let chunked = req.headers().contains_key(header::TRANSFER_ENCODING);
    match declared {
        Some(n) if n > MAX_BODY as u64 => return Err(too_large()),
        Some(0) | None if !chunked => return Ok(req),
        _ => {}
    }
    let (parts, body) = req.into_parts();
    let deadline = app.config.server.reply_deadline;
    match tokio::time::timeout(deadline, to_bytes(body, MAX_BODY)).await {
        Err(_) => Err(timed_out()),
        Ok(Err(e)) if is_length_limit(&e) => Err(too_large()),
        Ok(Err(_)) => Err(error(StatusCode::BAD_REQUEST, "body could not be read")),
        Ok(Ok(bytes)) => Ok(Request::from_parts(parts, Body::from(bytes))),
    }
}

/// Whether reading a body failed because it passed the limit given to `to_bytes`.
pub(super) fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.to_string().contains("length limit") {
            return true;
        }
        source = s.source();
    }
    false
}

fn too_large() -> Response {
    closing(error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "request body over 2 MiB",
    ))
}

fn timed_out() -> Response {
    closing(error(
        StatusCode::REQUEST_TIMEOUT,
        "request body not received in time",
    ))
}

/// An answer after which the connection closes (the rest of the body is not read).
fn closing(mut resp: Response) -> Response {
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({ "error": message }))).into_response()
}

/// JSON for an error answer that is not JSON yet; the two headers on every answer.
async fn finish(resp: Response) -> Response {
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let passthrough = resp
        .extensions()
        .get::<super::wechat_proxy::Passthrough>()
        .is_some();
    let failed = resp.status().is_client_error() || resp.status().is_server_error();
    let mut resp = if failed && !passthrough {
        if is_json {
            resp
        } else {
            rewrap(resp).await
        }
    } else {
        resp
    };
    let headers = resp.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    resp
}

/// `{"error": TEXT}` from a plain-text (or empty) error answer, its status and other headers
/// (`Allow`, `Retry-After`, ...) kept.
async fn rewrap(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let text = to_bytes(body, MAX_ERROR_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        parts
            .status
            .canonical_reason()
            .unwrap_or("error")
            .to_ascii_lowercase()
    } else {
        text
    };
    let body = json!({ "error": message }).to_string();
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(body))
}
