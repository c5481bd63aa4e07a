//! [`Transport`]: one JSON call to the API, with WeChat's `errcode` checked and busy answers
//! retried. Knows nothing of tokens beyond putting one in the query.

use std::time::{Duration, Instant};

use reqwest::{Client, Method, Url};
use serde_json::Value;
use tracing::Instrument;

use crate::config::{ClientConfig, RetryPolicy};
use crate::error::{ApiError, BaseUrlError};
use crate::net::NetError;

/// The HTTP side of the client.
#[derive(Debug, Clone)]
pub(crate) struct Transport {
    client: Client,
    base: Url,
    retry: RetryPolicy,
    connect_timeout: Duration,
    request_timeout: Duration,
}

impl Transport {
    pub(crate) fn new(config: &ClientConfig) -> Result<Self, ApiError> {
        let mut base = config.base_url.clone();
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(BaseUrlError::NotHttp.into());
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        // Never follow a redirect: a 3xx off the API host would re-send the call (and its
        // token) elsewhere. A 3xx is WeChat's answer like any other.
        let client = Client::builder()
            .use_rustls_tls()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .build()
            .map_err(|err| BaseUrlError::Client(err.without_url()))?;
        Ok(Self {
            client,
            base,
            retry: config.retry,
            connect_timeout: config.connect_timeout,
            request_timeout: config.request_timeout,
        })
    }

    /// The underlying HTTP client (rustls, the configured timeouts).
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// A failed request of this client, classified with its timeouts.
    pub(crate) fn net_error(&self, err: reqwest::Error) -> NetError {
        NetError::new(err, self.connect_timeout, self.request_timeout)
    }

    /// The base URL, always ending in `/`.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// `path` (like `cgi-bin/menu/get`) under the base URL, with `query` appended.
    pub(crate) fn url(&self, path: &str, query: &[(&str, &str)]) -> Result<Url, ApiError> {
        let mut url = self.base.join(path).map_err(BaseUrlError::from)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        Ok(url)
    }

    /// Sends one call and returns WeChat's JSON answer, retrying `-1` and `45011` with backoff.
    ///
    /// `query` may hold secrets (the token, the AppSecret): errors only ever show `path`.
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        // One span a call: the path only (the query holds the token or the AppSecret).
        let span = tracing::info_span!(
            "wechat_api",
            path = %format_args!("/{path}"),
            errcode = tracing::field::Empty,
            attempts = tracing::field::Empty,
            ms = tracing::field::Empty,
        );
        let started = Instant::now();
        async {
            let mut attempt = 1;
            let result = loop {
                match self.call_once(method.clone(), path, query, body).await {
                    Err(err) if err.is_busy() && attempt < self.retry.max_attempts => {
                        let delay = self.retry.delay(attempt);
                        tracing::warn!(code = err.code(), attempt, ?delay, "WeChat busy, retrying");
                        tokio::time::sleep(delay).await;
                        attempt += 1;
                    }
                    result => break result,
                }
            };
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            span.record("ms", elapsed_ms(started));
            match &result {
                Ok(value) => {
                    span.record("errcode", errcode(value).unwrap_or(0));
                    tracing::debug!("WeChat API call done");
                }
                Err(err) => {
                    if let Some(code) = err.code() {
                        span.record("errcode", code);
                    }
                    tracing::debug!(error = %err, "WeChat API call failed");
                }
            }
            result
        }
        .instrument(span)
        .await
    }

    async fn call_once(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let shown = format!("/{path}");
        let transport = |err: reqwest::Error| ApiError::Transport {
            path: shown.clone(),
            source: NetError::new(err, self.connect_timeout, self.request_timeout),
        };
        let mut request = self.client.request(method, self.url(path, query)?);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport)?;
        let value: Value = match serde_json::from_slice(&bytes) {
            Ok(value) => value,
            Err(_) if !status.is_success() => {
                return Err(ApiError::Http {
                    path: shown,
                    status: status.as_u16(),
                })
            }
            Err(err) => {
                return Err(ApiError::Decode {
                    path: shown,
                    reason: format!("not JSON ({err})"),
                    source: Some(err),
                })
            }
        };
        check_errcode(&value)?;
        if !status.is_success() {
            return Err(ApiError::Http {
                path: shown,
                status: status.as_u16(),
            });
        }
        Ok(value)
    }
}

/// The `errcode` of an answer, when it has one.
fn errcode(value: &Value) -> Option<i64> {
    value.get("errcode").and_then(Value::as_i64)
}

/// Milliseconds since `started`, for a span's `ms` field.
pub(crate) fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// Turns a non-zero `errcode` into [`ApiError::WeChat`]; 0 or absent is success.
fn check_errcode(value: &Value) -> Result<(), ApiError> {
    match errcode(value) {
        None | Some(0) => Ok(()),
        Some(code) => {
            let message = value
                .get("errmsg")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            Err(ApiError::WeChat { code, message })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errcode_zero_or_absent_is_success() {
        assert!(check_errcode(&json!({"errcode": 0, "errmsg": "ok"})).is_ok());
        assert!(check_errcode(&json!({"ticket": "t"})).is_ok());
        let err = check_errcode(&json!({"errcode": 45015, "errmsg": "response out of time limit"}));
        assert_eq!(err.err().and_then(|e| e.code()), Some(45015));
    }

    #[test]
    fn an_unusable_base_url_says_why() {
        let config = |url: &str| {
            let url = Url::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
            ClientConfig::new("wx0", secrecy::SecretString::from("s")).with_base_url(url)
        };
        let err = Transport::new(&config("ftp://example.com/")).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("invalid base_url: must be an http(s) URL")
        );
        let err = Transport::new(&config("mailto:someone@example.com")).err();
        assert!(
            matches!(err, Some(ApiError::BaseUrl(BaseUrlError::NotHttp))),
            "{err:?}"
        );
        let prefixed = Transport::new(&config("http://127.0.0.1:9/prefix"));
        assert_eq!(
            prefixed.map(|t| t.base().to_string()).ok().as_deref(),
            Some("http://127.0.0.1:9/prefix/")
        );
    }

    #[test]
    fn a_path_that_does_not_join_keeps_its_source() {
        use std::error::Error as _;
        let config = ClientConfig::new("wx0", secrecy::SecretString::from("s"));
        let transport = Transport::new(&config).unwrap_or_else(|e| panic!("{e}"));
        let err = transport.url("http://[::1", &[]).err();
        assert!(
            matches!(err, Some(ApiError::BaseUrl(BaseUrlError::Parse(_)))),
            "{err:?}"
        );
        let source = err.as_ref().and_then(|e| e.source()).map(|s| s.to_string());
        assert_eq!(source.as_deref(), Some("invalid IPv6 address"));
    }
}
