//! `GET|POST /api/wechat/{path}`: the WeChat server API through the gateway, with the
//! account's central token added (`wechat_api::ApiClient::forward`).
//!
//! - The path is refused before any call when it names a token endpoint (`cgi-bin/token`,
//!   `cgi-bin/stable_token`: 403, only the gateway refreshes) or holds `..` (400).
//! - The query is passed on without any `access_token` of the caller's; of the request's
//!   headers only `Content-Type` goes on (never `Authorization`, cookies or the host).
//! - The body (JSON, multipart, anything) is read up to [`MAX_BODY`] under
//!   [`BODY_TIMEOUT`] and kept, so the call can be made again after a refused token; the
//!   `/api` layer leaves `/wechat/` bodies to this handler.
//! - The answer is WeChat's status (a 3xx too: redirects are not followed), `Content-Type` /
//!   `Content-Disposition` / `Location` and body, the token masked in each; a body that is not
//!   JSON or text (a media download), or longer than `wechat_api::MAX_INSPECTED`, is streamed
//!   through as it arrives, never held whole.
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use wechat_api::{Forward, Forwarded, ForwardedBody};

use super::accounts::{one, AccountParam};
use super::json::ErrorBody;
use super::wechat::{client, upstream};
use super::ApiError;
use crate::server::state::AppState;

/// Largest request body passed on (WeChat's largest uploads, video material, are 10 MB;
/// multipart framing adds a little).
pub const MAX_BODY: usize = 12 * 1024 * 1024;
/// How long the caller has to send the whole body.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Answers from WeChat carry this extension, so the `/api` layer does not re-wrap a
/// non-JSON error status of WeChat's as `{"error"}`.
#[derive(Debug, Clone, Copy)]
pub struct Passthrough;

/// `GET|POST /api/wechat/{*path}`.
#[utoipa::path(method(get, post), path = "/api/wechat/{path}", tag = "wechat",
    params(("path" = String, Path, description = "a WeChat API path, e.g. `cgi-bin/user/info` (may hold `/`)"), AccountParam),
    request_body(content = Vec<u8>, description = "passed on as it came (JSON, multipart, ...), at most 12 MiB", content_type = "*/*"),
    responses(
        (status = 200, description = "WeChat's answer, as it came"),
        (status = 400, description = "a path holding `..` or characters no API path has; `account` missing (several accounts) or unknown", body = ErrorBody),
        (status = 403, description = "a token endpoint (`cgi-bin/token`, `cgi-bin/stable_token`): only the gateway refreshes", body = ErrorBody),
        (status = 404, description = "WeChat's own 404 as it came (any body, or none); `{\"error\"}` when the admin API is disabled"),
        (status = 502, description = "WeChat could not be reached", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
        (status = "default", description = "WeChat's own status and body, as they came"),
    ))]
pub async fn forward(
    State(app): State<AppState>,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Result<Response, ApiError> {
    let path = checked_path(&path)?;
    // `account` is the gateway's (which account's token); the rest goes on to WeChat.
    let (named, query): (Vec<_>, Vec<_>) =
        form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .partition(|(name, _)| name == "account");
    let account = one(&app, named.first().map(|(_, value)| value.as_str()))?;
    let api = client(&account)?;
    let method = request.method().clone();
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = read_body(request).await?;
    let call = Forward {
        method,
        path: path.clone(),
        query,
        content_type,
        body,
    };
    let family = family(&path);
    let answer = api.forward(&call).await.map_err(|err| {
        count(family, "transport");
        upstream(err)
    })?;
    count(family, errcode_label(answer.errcode));
    Ok(respond(answer))
}

/// The path without leading/trailing or doubled slashes; 403 for the token endpoints, 400 for
/// `..`, an empty path or characters no API path has.
fn checked_path(raw: &str) -> Result<String, ApiError> {
    let segments: Vec<&str> = raw.split('/').filter(|s| !s.is_empty()).collect();
    if segments.is_empty() {
        return Err(ApiError::BadRequest("path: name a WeChat API path".into()));
    }
    if segments.iter().any(|s| s.contains("..") || *s == ".") {
        return Err(ApiError::BadRequest("path: must not hold . or ..".into()));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if !segments.iter().all(|s| s.chars().all(allowed)) {
        return Err(ApiError::BadRequest(
            "path: only letters, digits, _ - . and /".into(),
        ));
    }
    let path = segments.join("/");
    let lower = path.to_ascii_lowercase();
    if lower == "cgi-bin/token" || lower == "cgi-bin/stable_token" {
        return Err(ApiError::Forbidden(
            "only the gateway requests access tokens: use GET /api/access_token".into(),
        ));
    }
    Ok(path)
}

/// The body, at most [`MAX_BODY`] bytes (413, at once for a larger `Content-Length`), within
/// [`BODY_TIMEOUT`] (408).
async fn read_body(request: Request) -> Result<Bytes, ApiError> {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return Err(ApiError::TooLarge(MAX_BODY));
    }
    let reading = axum::body::to_bytes(request.into_body(), MAX_BODY);
    match tokio::time::timeout(BODY_TIMEOUT, reading).await {
        Err(_) => Err(ApiError::BodyTimeout),
        Ok(Err(err)) if super::answers::is_length_limit(&err) => Err(ApiError::TooLarge(MAX_BODY)),
        Ok(Err(_)) => Err(ApiError::BadRequest("body could not be read".into())),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// WeChat's answer as the caller's.
fn respond(answer: Forwarded) -> Response {
    let Forwarded {
        status,
        headers,
        body,
        ..
    } = answer;
    let body = match body {
        ForwardedBody::Full(bytes) => Body::from(bytes),
        ForwardedBody::Stream(masked) => {
            let chunks = futures::stream::unfold(Some(masked), |masked| async move {
                let mut masked = masked?;
                match masked.chunk().await {
                    Ok(Some(chunk)) => Some((Ok(chunk), Some(masked))),
                    Ok(None) => None,
                    Err(err) => Some((Err(std::io::Error::other(err.without_url())), None)),
                }
            });
            Body::from_stream(chunks.boxed())
        }
    };
    let status = StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut response = (status, body).into_response();
    for (name, value) in &headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    response.extensions_mut().insert(Passthrough);
    response
}

/// The endpoint family of a path, for a bounded metric label: the first two segments when
/// they are a known family, else `other`.
fn family(path: &str) -> &'static str {
    const FAMILIES: &[&str] = &[
        "cgi-bin/user",
        "cgi-bin/tags",
        "cgi-bin/message",
        "cgi-bin/media",
        "cgi-bin/material",
        "cgi-bin/menu",
        "cgi-bin/qrcode",
        "cgi-bin/customservice",
        "cgi-bin/template",
        "cgi-bin/shorturl",
        "cgi-bin/ticket",
        "cgi-bin/get_current_selfmenu_info",
        "cgi-bin/openapi",
        "cgi-bin/clear_quota",
        "customservice/kfaccount",
        "datacube",
        "sns",
        "card",
        "wxa",
    ];
    let lower = path.to_ascii_lowercase();
    FAMILIES
        .iter()
        .find(|f| lower == **f || lower.starts_with(&format!("{f}/")))
        .copied()
        .unwrap_or("other")
}

/// WeChat's errcode as a bounded label: the codes worth a panel, `other` for the rest,
/// `none` for an answer without one (a media download).
fn errcode_label(code: Option<i64>) -> &'static str {
    const KNOWN: &[(i64, &str)] = &[
        (0, "0"),
        (-1, "-1"),
        (40001, "40001"),
        (40003, "40003"),
        (40007, "40007"),
        (40013, "40013"),
        (40014, "40014"),
        (40037, "40037"),
        (40164, "40164"),
        (41001, "41001"),
        (42001, "42001"),
        (43004, "43004"),
        (45009, "45009"),
        (45011, "45011"),
        (45015, "45015"),
        (45047, "45047"),
        (46003, "46003"),
        (46004, "46004"),
        (47001, "47001"),
        (48001, "48001"),
        (89503, "89503"),
    ];
    match code {
        None => "none",
        Some(code) => KNOWN
            .iter()
            .find(|(known, _)| *known == code)
            .map_or("other", |(_, label)| label),
    }
}

fn count(family: &'static str, errcode: &'static str) {
    crate::telemetry::metrics::wechat_api_call(family, errcode);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_endpoints_and_dot_dot_are_refused() {
        for p in [
            "cgi-bin/token",
            "/cgi-bin/token/",
            "cgi-bin//stable_token",
            "CGI-BIN/Token",
        ] {
            assert!(
                matches!(checked_path(p), Err(ApiError::Forbidden(_))),
                "{p}"
            );
        }
        for p in [
            "cgi-bin/../token",
            "..",
            "cgi-bin/./token",
            "",
            "/",
            "a b",
            "a%2e",
        ] {
            assert!(
                matches!(checked_path(p), Err(ApiError::BadRequest(_))),
                "{p}"
            );
        }
        assert_eq!(
            checked_path("/cgi-bin//user/info/").ok().as_deref(),
            Some("cgi-bin/user/info")
        );
    }

    #[test]
    fn labels_are_bounded() {
        assert_eq!(family("cgi-bin/user/info"), "cgi-bin/user");
        assert_eq!(family("cgi-bin/userx"), "other");
        assert_eq!(family("sns/oauth2/access_token"), "sns");
        assert_eq!(errcode_label(Some(40001)), "40001");
        assert_eq!(errcode_label(Some(12345)), "other");
        assert_eq!(errcode_label(None), "none");
    }
}
