//! `GET` / `PUT` / `DELETE /api/menu`, as `wxgate menu show / push / delete`.
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::wechat::{client, upstream};
use super::ApiError;
use crate::menu::{self, Format};
use crate::server::state::AppState;

/// `GET /api/menu` → `{"source": "api" | "console" | "none", "menu": {...} | null}`.
pub async fn show(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let live = client(&app)?.menu().await.map_err(upstream)?;
    Ok(Json(menu::view_json(&live)))
}

/// `PUT /api/menu` with the menu JSON (`{"button": [...]}`): 400 naming the button at fault,
/// else the live menu is replaced; answers `{"source": "api", "menu": {...}}`.
pub async fn replace(State(app): State<AppState>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let text =
        std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("body: not UTF-8".into()))?;
    let new = menu::parse(text, Format::Json).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    client(&app)?.create_menu(&new).await.map_err(upstream)?;
    Ok(Json(json!({ "source": "api", "menu": new })))
}

/// `DELETE /api/menu` → 204.
pub async fn delete(State(app): State<AppState>) -> Result<StatusCode, ApiError> {
    client(&app)?.delete_menu().await.map_err(upstream)?;
    Ok(StatusCode::NO_CONTENT)
}
