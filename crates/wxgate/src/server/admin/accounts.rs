//! Several accounts in the admin API: `GET /api/accounts`, and the `account` parameter every
//! call takes (query, or a JSON body field) — lists cover every account without it; a call
//! about one account's WeChat side needs it when the config has several.
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiError;
use crate::server::state::{AccountState, AppState};

/// The `account` query parameter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountParam {
    /// an account's name (`GET /api/accounts`): lists cover every account without it; calls
    /// about one account need it when the config has several
    pub account: Option<String>,
}

impl AccountParam {
    /// The name given, if any.
    pub fn name(&self) -> Option<&str> {
        self.account.as_deref().filter(|name| !name.is_empty())
    }
}

/// One account of `GET /api/accounts`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Account)]
pub struct AccountJson {
    /// its name (`[account]` alone is `default`)
    name: String,
    /// its AppID; null when it has none (plain mode)
    appid: Option<String>,
    /// `plain`, `compatible` or `safe`
    security: &'static str,
    /// the push URL path it is served at
    push_path: String,
}

/// `GET /api/accounts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accounts {
    /// the accounts, in config order
    accounts: Vec<AccountJson>,
}

/// `GET /api/accounts` → `{"accounts": [{"name", "appid", "security", "push_path"}]}` in
/// config order (`appid` null when the account has none).
#[utoipa::path(get, path = "/accounts", tag = "accounts",
    responses((status = 200, description = "the accounts the gateway serves", body = Accounts)))]
pub async fn list(State(app): State<AppState>) -> Json<Accounts> {
    let accounts = app
        .accounts
        .iter()
        .map(|account| {
            let config = &account.config;
            AccountJson {
                name: config.name.clone(),
                appid: Some(config.appid.clone()).filter(|appid| !appid.is_empty()),
                security: config.security.as_str(),
                push_path: config.push_path.clone(),
            }
        })
        .collect();
    Json(Accounts { accounts })
}

/// A list's account filter: the account named (400 when there is none of that name), or
/// None for every account.
pub fn filter(app: &AppState, name: Option<&str>) -> Result<Option<String>, ApiError> {
    name.map(|name| one(app, Some(name)).map(|account| account.config.name.clone()))
        .transpose()
}

/// The account a call about one account means: the one named, or the only one; 400 naming
/// `account` (and the accounts there are) when it is unknown, or missing with several.
pub fn one(app: &AppState, name: Option<&str>) -> Result<Arc<AccountState>, ApiError> {
    let config = app
        .config
        .select(name, "account")
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    app.account(&config.name)
        .cloned()
        .ok_or_else(|| ApiError::BadRequest(format!("account: no account named {:?}", config.name)))
}
