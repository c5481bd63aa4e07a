//! `GET /api/access_token`: the account's one central token, for its other services.
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use chrono::SecondsFormat;
use serde_json::json;

use super::accounts::{one, AccountParam};
use super::wechat::{client, upstream};
use super::ApiError;
use crate::server::state::AppState;

/// `GET /api/access_token?account=` → `{"access_token", "expires_at"}` of the account (one
/// per appid), not to be cached.
pub async fn current(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
) -> Result<impl IntoResponse, ApiError> {
    let token = client(one(&app, scope.name())?.as_ref())?
        .access_token()
        .await
        .map_err(upstream)?;
    let body = json!({
        "access_token": token.token,
        "expires_at": token.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    });
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(body)))
}
