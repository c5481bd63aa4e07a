//! Asking WeChat for a token: `POST stable_token`, or the classic `GET token`.

use std::time::Duration;

use chrono::Utc;
use reqwest::Method;
use serde_json::{json, Value};

use super::store::CachedToken;
use crate::error::ApiError;
use crate::http::Transport;
use secrecy::{ExposeSecret, SecretString};

/// A token fresh from WeChat and how long WeChat said it lives.
pub(crate) struct Fetched {
    pub(crate) token: CachedToken,
    pub(crate) lifetime: Duration,
}

/// `POST /cgi-bin/stable_token`; `force` asks WeChat to replace the current token.
pub(crate) async fn stable(
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
pub(crate) async fn classic(
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
pub(crate) fn is_unsupported(err: &ApiError) -> bool {
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
    let decode = |reason: &str| ApiError::Decode {
        path: path.to_owned(),
        reason: reason.to_owned(),
        source: None,
    };
    let token = answer
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .ok_or_else(|| decode("no access_token"))?;
    let seconds = answer
        .get("expires_in")
        .and_then(Value::as_u64)
        .filter(|&s| s > 0)
        .ok_or_else(|| decode("no expires_in"))?;
    let lifetime = Duration::from_secs(seconds);
    let expires_at = Utc::now()
        + chrono::Duration::from_std(lifetime).map_err(|_| decode("expires_in too large"))?;
    Ok(Fetched {
        token: CachedToken {
            token: SecretString::from(token),
            expires_at,
        },
        lifetime,
    })
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
