//! `GET /api/access_token`: the account's one central token, for its other services.
use axum::extract::{Query, State};
use axum::Json;
use chrono::SecondsFormat;
use secrecy::ExposeSecret;
use serde::Serialize;
use utoipa::ToSchema;

use super::accounts::{one, AccountParam};
use super::json::ErrorBody;
use super::wechat::{client, upstream};
use super::ApiError;
use crate::server::state::AppState;

/// The account's central access token.
#[derive(Serialize, ToSchema)]
pub struct AccessToken {
    /// the token, to call the WeChat API with
    access_token: String,
    /// when it expires (RFC 3339 UTC)
    #[schema(format = DateTime)]
    expires_at: String,
}

/// `GET /api/access_token?account=` → `{"access_token", "expires_at"}` of the account (one per
/// appid), not to be cached (every `/api` answer has `Cache-Control: no-store`).
#[utoipa::path(get, path = "/access_token", tag = "wechat", params(AccountParam),
    responses(
        (status = 200, description = "the current token", body = AccessToken),
        (status = 400, description = "account missing (several accounts) or unknown", body = ErrorBody),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn current(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<AccessToken>, ApiError> {
    let token = client(one(&app, scope.name())?.as_ref())?
        .access_token()
        .await
        .map_err(upstream)?;
    Ok(Json(AccessToken {
        access_token: token.token.expose_secret().to_owned(),
        expires_at: token.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    }))
}
