//! Asking WeChat for a token with the AppSecret: `POST stable_token`, or the classic `GET token`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use chrono::Utc;
use reqwest::Method;
use serde_json::{json, Value};

use super::holder::{Fetched, Source};
use super::store::CachedToken;
use crate::config::ClientConfig;
use crate::error::ApiError;
use crate::http::Transport;
use secrecy::{ExposeSecret, SecretString};

/// The [`Source`] of an account with its AppSecret.
pub(crate) struct SecretSource {
    transport: Transport,
    appid: String,
    secret: SecretString,
    force_interval: Duration,
    /// when `force_refresh=true` was last asked for
    last_force: Mutex<Option<Instant>>,
    /// `stable_token` answered that it is not there: `GET token` from now on
    stable_unsupported: AtomicBool,
}

impl SecretSource {
    pub(crate) fn new(transport: Transport, config: &ClientConfig) -> Self {
        Self {
            transport,
            appid: config.appid.clone(),
            secret: config.secret.clone(),
            force_interval: config.force_refresh_interval,
            last_force: Mutex::new(None),
            stable_unsupported: AtomicBool::new(false),
        }
    }

    /// Takes the one `force_refresh` allowed per interval, if it is free.
    fn take_force(&self) -> bool {
        let mut last = self
            .last_force
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.is_some_and(|at| at.elapsed() < self.force_interval) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }

    async fn fetch_once(&self, failed: Option<&str>) -> Result<Fetched, ApiError> {
        if !self.stable_unsupported.load(Ordering::Relaxed) {
            match stable(&self.transport, &self.appid, &self.secret, false).await {
                Ok(fetched)
                    if failed.is_some_and(|failed| fetched.token.is(failed))
                        && self.take_force() =>
                {
                    tracing::warn!(appid = %self.appid, "WeChat refused its current token; force_refresh");
                    return stable(&self.transport, &self.appid, &self.secret, true).await;
                }
                Ok(fetched) => return Ok(fetched),
                Err(err) if is_unsupported(&err) => {
                    tracing::info!(appid = %self.appid, "stable_token not available; using GET token");
                    self.stable_unsupported.store(true, Ordering::Relaxed);
                }
                Err(err) => return Err(err),
            }
        }
        classic(&self.transport, &self.appid, &self.secret).await
    }
}

#[async_trait]
impl Source for SecretSource {
    async fn fetch(&self, failed: Option<&str>) -> Result<Fetched, ApiError> {
        let fetched = self.fetch_once(failed).await?;
        crate::metrics::token_refreshed();
        Ok(fetched)
    }
}

/// `POST /cgi-bin/stable_token`; `force` asks WeChat to replace the current token.
async fn stable(
    transport: &Transport,
    appid: &str,
    secret: &SecretString,
    force: bool,
) -> Result<Fetched, ApiError> {
    let body = json!({
        "grant_type": "client_credential",
        "appid": appid,
        "secret": secret.expose_secret(),
        "force_refresh": force,
    });
    let answer = transport
        .call(Method::POST, "cgi-bin/stable_token", &[], Some(&body))
        .await?;
    parse(&answer, "/cgi-bin/stable_token")
}

/// `GET /cgi-bin/token`: each call issues a new token (the old one lives 5 more minutes).
async fn classic(
    transport: &Transport,
    appid: &str,
    secret: &SecretString,
) -> Result<Fetched, ApiError> {
    let query = [
        ("grant_type", "client_credential"),
        ("appid", appid),
        ("secret", secret.expose_secret()),
    ];
    let answer = transport
        .call(Method::GET, "cgi-bin/token", &query, None)
        .await?;
    parse(&answer, "/cgi-bin/token")
}

/// Whether an error of `stable_token` means the endpoint is not there (so `GET token` it is).
fn is_unsupported(err: &ApiError) -> bool {
    matches!(
        err,
        ApiError::Http {
            status: 404 | 405 | 501,
            ..
        }
    )
}

/// Reads `access_token` and `expires_in`. Errors name the field only, never its value.
fn parse(answer: &Value, path: &str) -> Result<Fetched, ApiError> {
    parse_secret(answer, "access_token", path)
}

/// Reads the secret in `field` (`access_token`, `component_access_token`, `ticket`, ...) and
/// `expires_in`, the expiry counted from now. Errors name the field only, never its value.
pub(crate) fn parse_secret(answer: &Value, field: &str, path: &str) -> Result<Fetched, ApiError> {
    let decode = |reason: String| ApiError::Decode {
        path: path.to_owned(),
        reason,
        source: None,
    };
    let token = answer
        .get(field)
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| decode(format!("no {field}")))?;
    let seconds = answer
        .get("expires_in")
        .and_then(Value::as_u64)
        .filter(|&s| s > 0)
        .ok_or_else(|| decode("no expires_in".to_owned()))?;
    let lifetime = Duration::from_secs(seconds);
    let expires_at = Utc::now()
        + chrono::Duration::from_std(lifetime)
            .map_err(|_| decode("expires_in too large".to_owned()))?;
    Ok(Fetched::new(
        CachedToken {
            token: SecretString::from(token),
            expires_at,
        },
        lifetime,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_reads_token_and_lifetime() {
        let fetched = parse(&json!({"access_token": "abc", "expires_in": 7200}), "/p");
        assert!(fetched.is_ok_and(|f| f.token.is("abc") && f.lifetime == Duration::from_secs(7200)));
    }

    #[test]
    fn parse_errors_do_not_echo_values() {
        let err = parse(
            &json!({"access_token": "leaky-token", "expires_in": "soon"}),
            "/p",
        )
        .err();
        let shown = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            shown.contains("expires_in") && !shown.contains("leaky-token"),
            "{shown}"
        );
    }
}
