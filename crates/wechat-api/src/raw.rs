//! [`ApiClient::forward`]: any API call passed through as it came, with the central token
//! added — what the gateway's `/api/wechat/{path}` proxy is built on.
//!
//! The answer is WeChat's own (status, the headers that describe the body, the body). A JSON
//! (or text) answer of at most [`MAX_INSPECTED`] bytes is read in full, so that a refused
//! token (40001/40014/42001) can be replaced and the call made once more; any other answer
//! (a media download) is handed back unread, to be streamed to the caller.

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tracing::Instrument;

use crate::client::ApiClient;
use crate::error::ApiError;
use crate::token::CachedToken;

/// Largest answer read in full to look for a token error; larger ones are streamed.
pub const MAX_INSPECTED: u64 = 2 * 1024 * 1024;

/// The headers of WeChat's answer that are passed on: those describing the body.
const KEPT_HEADERS: [HeaderName; 3] = [CONTENT_TYPE, CONTENT_DISPOSITION, CONTENT_LENGTH];

/// A call to forward: everything but the token.
#[derive(Debug, Clone)]
pub struct Forward {
    /// `GET` or `POST`.
    pub method: Method,
    /// The path under the base URL, e.g. `cgi-bin/user/info` (no leading `/`).
    pub path: String,
    /// The query pairs, without `access_token` (an `access_token` given is dropped).
    pub query: Vec<(String, String)>,
    /// The request's `Content-Type`, if it has a body.
    pub content_type: Option<String>,
    /// The request body (empty for none).
    pub body: Bytes,
}

/// WeChat's answer to a forwarded call.
#[derive(Debug)]
pub struct Forwarded {
    /// The HTTP status, as WeChat answered it.
    pub status: StatusCode,
    /// `Content-Type`, `Content-Disposition` and (for a streamed body) `Content-Length`.
    pub headers: HeaderMap,
    /// WeChat's `errcode` when the body was read and is JSON (0 when it holds none: success).
    pub errcode: Option<i64>,
    /// Whether the token was refused and the call made a second time.
    pub retried: bool,
    /// The body.
    pub body: ForwardedBody,
}

/// The body of a forwarded answer.
#[derive(Debug)]
pub enum ForwardedBody {
    /// Read in full (JSON or text under [`MAX_INSPECTED`]); the token never appears in it.
    Full(Bytes),
    /// Not read yet: pull it with [`reqwest::Response::chunk`].
    Stream(reqwest::Response),
}

impl ApiClient {
    /// Sends `call` with the account's token; if WeChat refuses the token (40001, 40014,
    /// 42001), replaces it (compare-and-expire) and sends the call once more.
    ///
    /// Transport errors name only the path, never the URL with its token.
    pub async fn forward(&self, call: &Forward) -> Result<Forwarded, ApiError> {
        // The same span as every other call: the path only (the query holds the token).
        let span = tracing::info_span!(
            "wechat_api",
            path = %format_args!("/{}", call.path),
            errcode = tracing::field::Empty,
            attempts = tracing::field::Empty,
            ms = tracing::field::Empty,
        );
        let started = std::time::Instant::now();
        let result = self.forward_retrying(call).instrument(span.clone()).await;
        span.record("ms", crate::http::elapsed_ms(started));
        match &result {
            Ok(answer) => {
                span.record("attempts", if answer.retried { 2 } else { 1 });
                if let Some(code) = answer.errcode {
                    span.record("errcode", code);
                }
            }
            Err(err) => {
                if let Some(code) = err.code() {
                    span.record("errcode", code);
                }
            }
        }
        result
    }

    async fn forward_retrying(&self, call: &Forward) -> Result<Forwarded, ApiError> {
        let token = self.tokens().get().await?;
        let first = self.forward_with(&token, call).await?;
        if !first.errcode.is_some_and(is_token_error) {
            return Ok(first);
        }
        tracing::warn!(
            path = %call.path,
            code = first.errcode,
            "WeChat refused the access token; refreshing once"
        );
        let fresh = self
            .tokens()
            .replace_rejected(token.token.expose_secret())
            .await?;
        crate::metrics::token_retried();
        let mut second = self.forward_with(&fresh, call).await?;
        second.retried = true;
        Ok(second)
    }

    async fn forward_with(
        &self,
        token: &CachedToken,
        call: &Forward,
    ) -> Result<Forwarded, ApiError> {
        let shown = format!("/{}", call.path);
        let transport = |err: reqwest::Error| ApiError::Transport {
            path: shown.clone(),
            source: self.transport.net_error(err),
        };
        let mut query: Vec<(&str, &str)> = vec![("access_token", token.token.expose_secret())];
        query.extend(
            call.query
                .iter()
                .filter(|(k, _)| k != "access_token")
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let url = self.transport.url(&call.path, &query)?;
        let mut request = self.transport.client().request(call.method.clone(), url);
        if let Some(content_type) = &call.content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        if !call.body.is_empty() || call.method == Method::POST {
            request = request.body(call.body.clone());
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let mut headers = HeaderMap::new();
        for name in KEPT_HEADERS {
            if let Some(value) = response.headers().get(&name) {
                headers.insert(name, value.clone());
            }
        }
        if !is_inspected(&headers) {
            return Ok(Forwarded {
                status,
                headers,
                errcode: None,
                retried: false,
                body: ForwardedBody::Stream(response),
            });
        }
        headers.remove(CONTENT_LENGTH);
        let bytes = response.bytes().await.map_err(transport)?;
        let errcode = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .map(|v| v.get("errcode").and_then(Value::as_i64).unwrap_or(0));
        Ok(Forwarded {
            status,
            headers,
            errcode,
            retried: false,
            body: ForwardedBody::Full(scrub(bytes, token.token.expose_secret())),
        })
    }
}

/// 40001, 40014, 42001: the token was refused.
fn is_token_error(code: i64) -> bool {
    matches!(code, 40001 | 40014 | 42001)
}

/// Whether an answer is read in full: JSON or text (WeChat's answers and errors), of a
/// declared length under [`MAX_INSPECTED`] or none declared.
fn is_inspected(headers: &HeaderMap) -> bool {
    let textual = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| {
            let v = v.to_ascii_lowercase();
            v.starts_with("application/json") || v.starts_with("text/")
        });
    let small = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .is_none_or(|n| n <= MAX_INSPECTED);
    textual && small
}

/// The body with every occurrence of `token` replaced by `***` (an upstream that echoes its
/// query must not leak the token through the gateway).
fn scrub(body: Bytes, token: &str) -> Bytes {
    let needle = token.as_bytes();
    if needle.is_empty() || !body.windows(needle.len()).any(|w| w == needle) {
        return body;
    }
    let mut out = Vec::with_capacity(body.len());
    let mut rest: &[u8] = &body;
    while let Some(at) = rest.windows(needle.len()).position(|w| w == needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(b"***");
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn the_token_is_scrubbed_from_a_read_body() {
        let body = Bytes::from_static(b"{\"echo\":\"tok tok\",\"x\":1}");
        assert_eq!(
            scrub(body, "tok"),
            Bytes::from_static(b"{\"echo\":\"*** ***\",\"x\":1}")
        );
        let kept = Bytes::from_static(b"{}");
        assert_eq!(scrub(kept.clone(), "tok"), kept);
    }

    #[test]
    fn json_and_text_are_inspected_media_is_streamed() {
        let mut headers = HeaderMap::new();
        assert!(is_inspected(&headers));
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        assert!(is_inspected(&headers));
        headers.insert(CONTENT_LENGTH, HeaderValue::from_static("99999999"));
        assert!(!is_inspected(&headers));
        headers.remove(CONTENT_LENGTH);
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
        assert!(!is_inspected(&headers));
    }
}
