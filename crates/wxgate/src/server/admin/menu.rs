//! `GET` / `PUT` / `DELETE /api/menu`, as `wxgate menu show / push / delete`.
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::accounts::{one, AccountParam};
use super::wechat::{client, upstream};
use super::ApiError;
use crate::menu::{self, Format};
use crate::server::state::AppState;

/// `GET /api/menu?account=` → `{"source": "api" | "console" | "none", "menu": {...} | null}`.
pub async fn show(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<Value>, ApiError> {
    let live = client(one(&app, scope.name())?.as_ref())?
        .menu()
        .await
        .map_err(upstream)?;
    Ok(Json(menu::view_json(&live)))
}

/// `PUT /api/menu?account=` with the menu JSON (`{"button": [...]}`, which may carry
/// `"account"` instead of the query): 400 naming the button at fault, else the live menu is
/// replaced; answers `{"source": "api", "menu": {...}}`.
pub async fn replace(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let text =
        std::str::from_utf8(&body).map_err(|_| ApiError::BadRequest("body: not UTF-8".into()))?;
    let (text, named) = without_account(text)?;
    let account = one(&app, scope.name().or(named.as_deref()))?;
    let new = menu::parse(&text, Format::Json).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    client(&account)?
        .create_menu(&new)
        .await
        .map_err(upstream)?;
    Ok(Json(json!({ "source": "api", "menu": new })))
}

/// `DELETE /api/menu?account=` → 204.
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
    let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(text) else {
        return Ok((text.to_string(), None));
    };
    let named = match fields.remove("account") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name),
        Some(_) => return Err(ApiError::BadRequest("account: must be a string".into())),
    };
    Ok((Value::Object(fields).to_string(), named))
}
