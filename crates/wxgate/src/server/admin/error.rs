//! One error type for the admin API, rendered as `{"error": "..."}`.
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::store::StoreError;

/// An admin API failure.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 with the parameter at fault
    #[error("{0}")]
    BadRequest(String),
    /// 401
    #[error("missing or wrong bearer token")]
    Unauthorized,
    /// 429: too many failed sign-ins from this address
    #[error("too many failed attempts; try again later")]
    TooManyAttempts {
        /// seconds until the address may try again
        retry_after: u64,
    },
    /// 403: the caller may not do this (a service token outside its paths, a token endpoint)
    #[error("{0}")]
    Forbidden(String),
    /// 404
    #[error("not found")]
    NotFound,
    /// 409: the request conflicts with the state (erasing an account that is served)
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is over the limit (in bytes); the connection closes
    #[error("request body over {0} bytes")]
    TooLarge(usize),
    /// 408: the body did not arrive in time; the connection closes
    #[error("request body not received in time")]
    BodyTimeout,
    /// 502: the WeChat API refused or failed
    #[error("{0}")]
    Upstream(String),
    /// 503: a feature that needs configuration the gateway does not have
    #[error("{0}")]
    Unavailable(String),
    /// 500, details only in the log
    #[error("internal error")]
    Store(#[from] StoreError),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Upstream(_) => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(e) => {
                tracing::error!(error = %e, "admin API storage failure");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let mut resp = (status, Json(json!({ "error": self.to_string() }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if matches!(self, ApiError::TooLarge(_) | ApiError::BodyTimeout) {
            resp.headers_mut().insert(
                header::CONNECTION,
                header::HeaderValue::from_static("close"),
            );
        }
        if let ApiError::TooManyAttempts { retry_after } = self {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
        }
        resp
    }
}
