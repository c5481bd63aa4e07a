//! [`ApiClient::forward`]: any API call passed through as it came, with the central token
//! added — what the gateway's `/api/wechat/{path}` proxy is built on.
//!
//! The answer is WeChat's own (status, the headers that describe the body or say where a
//! redirect points, the body). Redirects are never followed: a 3xx comes back as it came.
//! One masking rule holds for every answer, whatever its status, type or size: each
//! occurrence of the token, in the body and in every header passed on, is overwritten with
//! `*`s one for one ([`Mask`]), so the token never leaves and the length stays true.
//!
//! A JSON or text answer is read up to [`MAX_INSPECTED`] bytes: one that ends within that is
//! kept whole, so that a refused token (40001/40014/42001) can be replaced and the call made
//! once more; a longer one, and any other answer (a media download), is streamed, masked as it
//! goes. Memory per call is bounded by [`MAX_INSPECTED`], never by the answer's size.

use bytes::{Bytes, BytesMut};
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE, LOCATION,
};
use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret;
use serde_json::Value;
use tracing::Instrument;

use crate::client::ApiClient;
use crate::error::{refuses_token, ApiError};
use crate::mask::{mask_all, Mask};
use crate::token::retry::Attempt;
use crate::token::CachedToken;

/// Largest answer kept whole (to look for a token error); longer ones are streamed. WeChat's
/// error answers are well under a kilobyte.
pub const MAX_INSPECTED: usize = 256 * 1024;

/// The headers of WeChat's answer that are passed on: those describing the body, and where a
/// redirect points.
const KEPT_HEADERS: [HeaderName; 4] = [CONTENT_TYPE, CONTENT_DISPOSITION, CONTENT_LENGTH, LOCATION];

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
    /// The HTTP status, as WeChat answered it (a 3xx too: redirects are not followed).
    pub status: StatusCode,
    /// `Content-Type`, `Content-Disposition`, `Location` and (for a streamed body)
    /// `Content-Length`, the token masked in each.
    pub headers: HeaderMap,
    /// WeChat's `errcode` when the body was kept whole and is JSON (0 when it holds none:
    /// success).
    pub errcode: Option<i64>,
    /// Whether the token was refused and the call made a second time.
    pub retried: bool,
    /// The body.
    pub body: ForwardedBody,
}

/// The body of a forwarded answer; the token never appears in it.
#[derive(Debug)]
pub enum ForwardedBody {
    /// Read whole (JSON or text of at most [`MAX_INSPECTED`] bytes), masked.
    Full(Bytes),
    /// Not read whole: pull it with [`MaskedBody::chunk`].
    Stream(MaskedBody),
}

/// An answer's body read as it arrives, the token masked on the way.
#[derive(Debug)]
pub struct MaskedBody {
    /// what was read before streaming began
    head: Option<Bytes>,
    /// the rest, until it ends
    response: Option<reqwest::Response>,
    mask: Mask,
}

impl MaskedBody {
    /// The next piece of the body, masked; `None` at its end.
    pub async fn chunk(&mut self) -> Result<Option<Bytes>, reqwest::Error> {
        loop {
            let masked = if let Some(head) = self.head.take() {
                self.mask.push(&head)
            } else if let Some(response) = self.response.as_mut() {
                match response.chunk().await? {
                    Some(chunk) => self.mask.push(&chunk),
                    None => {
                        self.response = None;
                        self.mask.finish()
                    }
                }
            } else {
                return Ok(None);
            };
            if !masked.is_empty() {
                return Ok(Some(masked));
            }
        }
    }
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
        self.tokens()
            .with_token(&call.path, refused_answer, |token, attempt| async move {
                let mut answer = self.forward_with(&token, call).await?;
                answer.retried = attempt == Attempt::Retry;
                Ok(answer)
            })
            .await
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
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status();
        let secret = token.token.expose_secret();
        let mut headers = HeaderMap::new();
        for name in KEPT_HEADERS {
            if let Some(value) = response.headers().get(&name) {
                if let Ok(value) = HeaderValue::from_bytes(&mask_all(value.as_bytes(), secret)) {
                    headers.insert(name, value);
                }
            }
        }
        let streamed =
            |head: Option<Bytes>, response: reqwest::Response, headers: HeaderMap| Forwarded {
                status,
                headers,
                errcode: None,
                retried: false,
                body: ForwardedBody::Stream(MaskedBody {
                    head,
                    response: Some(response),
                    mask: Mask::new(secret),
                }),
            };
        if !is_inspected(&headers) {
            return Ok(streamed(None, response, headers));
        }
        let mut read = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            read.extend_from_slice(&chunk);
            if read.len() > MAX_INSPECTED {
                return Ok(streamed(Some(read.freeze()), response, headers));
            }
        }
        headers.remove(CONTENT_LENGTH);
        let errcode = serde_json::from_slice::<Value>(&read)
            .ok()
            .map(|v| v.get("errcode").and_then(Value::as_i64).unwrap_or(0));
        Ok(Forwarded {
            status,
            headers,
            errcode,
            retried: false,
            body: ForwardedBody::Full(mask_all(&read, secret)),
        })
    }
}

/// The `refused` of [`with_token`](crate::token::retry::with_token) for a forwarded call: the
/// refusal is in WeChat's answer (kept whole, its `errcode` 40001, 40014 or 42001), which is
/// passed on as it came when the retry is refused too.
fn refused_answer(outcome: &Result<Forwarded, ApiError>) -> Option<i64> {
    outcome
        .as_ref()
        .ok()
        .and_then(|answer| answer.errcode)
        .filter(|&code| refuses_token(code))
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
        .is_none_or(|n| n <= MAX_INSPECTED as u64);
    textual && small
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

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
