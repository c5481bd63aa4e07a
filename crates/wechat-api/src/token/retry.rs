//! [`with_token`]: one call made with a held secret and, when WeChat refuses that secret
//! (40001, 40014, 42001), made once more with its replacement — never a third time.
//!
//! Every authenticated call goes through it: the account's ([`ApiClient`](crate::ApiClient),
//! with the access token in `access_token=`), the proxied ones
//! ([`ApiClient::forward`](crate::ApiClient::forward), where the refusal is in an answer passed
//! on as it came rather than an error) and the third-party platform's
//! ([`ComponentClient`](crate::ComponentClient), with `component_access_token=`). What differs
//! between them (where the token goes in the call, what a refusal looks like) is the caller's.

use std::future::Future;

use secrecy::ExposeSecret;

use super::holder::{Holder, Source};
use super::CachedToken;
use crate::error::{refuses_token, ApiError};

/// Which attempt of a call [`with_token`] is making.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// With the secret held when the call began.
    First,
    /// Once more, with the secret that replaced the one WeChat refused.
    Retry,
}

/// Calls `call` with the current secret of `holder` (fetched from `source` first if due).
/// When `refused` finds in the outcome that WeChat refused that secret, replaces it
/// ([`Holder::replace_rejected`]: compare-and-expire, then one refresh for all callers) and
/// calls once more with the replacement. The second outcome is final, whatever it is: a
/// secret WeChat keeps refusing costs two calls and reaches the caller as the refusal.
///
/// Each retry is logged (the path and WeChat's code, never the secret) and counted in
/// [`TOKEN_RETRIES`](crate::metrics::TOKEN_RETRIES). `path` is for that log line only.
pub(crate) async fn with_token<T, F, Fut>(
    holder: &Holder,
    source: &dyn Source,
    path: &str,
    refused: fn(&Result<T, ApiError>) -> Option<i64>,
    call: F,
) -> Result<T, ApiError>
where
    F: Fn(CachedToken, Attempt) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let token = holder.get(source).await?;
    let first = call(token.clone(), Attempt::First).await;
    let Some(code) = refused(&first) else {
        return first;
    };
    tracing::warn!(
        path,
        code,
        "WeChat refused the {}; refreshing once",
        holder.what()
    );
    let fresh = holder
        .replace_rejected(token.token.expose_secret(), source)
        .await?;
    crate::metrics::token_retried();
    call(fresh, Attempt::Retry).await
}

/// The `refused` of [`with_token`] for calls whose refusal is an error: WeChat's code when
/// the outcome is [`ApiError::is_token_rejected`].
pub(crate) fn refused_error<T>(outcome: &Result<T, ApiError>) -> Option<i64> {
    outcome
        .as_ref()
        .err()
        .and_then(ApiError::code)
        .filter(|&code| refuses_token(code))
}
