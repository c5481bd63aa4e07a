//! `GET` / `PUT` / `DELETE /api/menu`, as `wxgate menu show / push / delete`.
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use wechat_api::Menu;

use super::accounts::{one, AccountParam};
use super::json::ErrorBody;
use super::wechat::{client, upstream};
use super::ApiError;
use crate::menu::{self, Format, LiveMenu, MenuSource};
use crate::server::state::AppState;

/// `GET /api/menu` → `{"source": "api" | "console" | "none", "menu": {...} | null}`.
#[utoipa::path(get, path = "/menu", tag = "menu", params(AccountParam),
    responses(
        (status = 400, description = "account missing (several accounts) or unknown", body = ErrorBody),
        (status = 200, description = "the live menu", body = LiveMenu),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn show(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<LiveMenu>, ApiError> {
    let live = client(one(&app, scope.name())?.as_ref())?
        .menu()
        .await
        .map_err(upstream)?;
    Ok(Json(menu::view_json(&live)))
}

/// `PUT /api/menu?account=` with the menu JSON (`{"button": [...]}`, which may carry
/// `"account"` instead of the query): 400 naming the button at fault, else the live menu is
/// replaced; answers `{"source": "api", "menu": {...}}`.
#[utoipa::path(put, path = "/menu", tag = "menu", params(AccountParam),
    request_body(content = Menu, description = "WeChat's button model; names are limited in \
        UTF-8 bytes (16 top level, 60 below), key 128, url 1024"),
    responses(
        (status = 200, description = "the menu now live", body = LiveMenu),
        (status = 400, description = "the button and limit at fault", body = ErrorBody),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn replace(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
    body: Bytes,
) -> Result<Json<LiveMenu>, ApiError> {
    let text =
        std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("body: not UTF-8".into()))?;
    let (text, named) = without_account(text)?;
    let account = one(&app, scope.name().or(named.as_deref()))?;
    let new = menu::parse(&text, Format::Json).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    client(&account)?
        .create_menu(&new)
        .await
        .map_err(upstream)?;
    Ok(Json(LiveMenu {
        source: MenuSource::Api,
        menu: Some(menu::menu_value(&new)),
    }))
}

/// `DELETE /api/menu?account=` → 204.
#[utoipa::path(delete, path = "/menu", tag = "menu", params(AccountParam),
    responses(
        (status = 400, description = "account missing (several accounts) or unknown", body = ErrorBody),
        (status = 204, description = "the menu is deleted"),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn delete(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
) -> Result<StatusCode, ApiError> {
    client(one(&app, scope.name())?.as_ref())?
        .delete_menu()
        .await
        .map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}

/// A menu body without its `"account"` field (the menu model has none), and that field's
/// value. A body that is not a JSON object is left to the menu parser's error.
fn without_account(text: &str) -> Result<(String, Option<String>), ApiError> {
    let Ok(serde_json::Value::Object(mut fields)) = serde_json::from_str(text) else {
        return Ok((text.to_string(), None));
    };
    let named = match fields.remove("account") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(name)) => Some(name),
        Some(_) => return Err(ApiError::BadRequest("account: must be a string".into())),
    };
    Ok((serde_json::Value::Object(fields).to_string(), named))
}
