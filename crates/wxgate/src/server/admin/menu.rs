//! `GET` / `PUT` / `DELETE /api/menu`, as `wxgate menu show / push / delete`.
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use wechat_api::Menu;

use super::json::ErrorBody;
use super::wechat::{client, upstream};
use super::ApiError;
use crate::menu::{self, Format, LiveMenu, MenuSource};
use crate::server::state::AppState;

/// `GET /api/menu` → `{"source": "api" | "console" | "none", "menu": {...} | null}`.
#[utoipa::path(get, path = "/menu", tag = "menu",
    responses(
        (status = 200, description = "the live menu", body = LiveMenu),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn show(State(app): State<AppState>) -> Result<Json<LiveMenu>, ApiError> {
    let live = client(&app)?.menu().await.map_err(upstream)?;
    Ok(Json(menu::view_json(&live)))
}

/// `PUT /api/menu` with the menu JSON (`{"button": [...]}`): 400 naming the button at fault,
/// else the live menu is replaced; answers `{"source": "api", "menu": {...}}`.
#[utoipa::path(put, path = "/menu", tag = "menu",
    request_body(content = Menu, description = "WeChat's button model; names are limited in \
        UTF-8 bytes (16 top level, 60 below), key 128, url 1024"),
    responses(
        (status = 200, description = "the menu now live", body = LiveMenu),
        (status = 400, description = "the button and limit at fault", body = ErrorBody),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn replace(State(app): State<AppState>, body: Bytes) -> Result<Json<LiveMenu>, ApiError> {
    let text =
        std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("body: not UTF-8".into()))?;
    let new = menu::parse(text, Format::Json).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    client(&app)?.create_menu(&new).await.map_err(upstream)?;
    Ok(Json(LiveMenu {
        source: MenuSource::Api,
        menu: Some(menu::menu_value(&new)),
    }))
}

/// `DELETE /api/menu` → 204.
#[utoipa::path(delete, path = "/menu", tag = "menu",
    responses(
        (status = 204, description = "the menu is deleted"),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn delete(State(app): State<AppState>) -> Result<StatusCode, ApiError> {
    client(&app)?.delete_menu().await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}
