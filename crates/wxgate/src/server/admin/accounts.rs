//! Several accounts in the admin API: `GET /api/accounts` (paged, with each account's source
//! and status), `DELETE /api/accounts/{name}`, and the `account` parameter every call takes
//! (query, or a JSON body field) — lists cover every account without it; a call about one
//! account's WeChat side needs it when several are served.
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json::ErrorBody;
use super::ApiError;
use crate::account::{Account, EraseError};
use crate::server::state::AppState;
use crate::store::KnownAccount;

/// The `account` query parameter.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AccountParam {
    /// an account's name (`GET /api/accounts`): lists cover every account without it; calls
    /// about one account need it when several are served
    pub account: Option<String>,
}

impl AccountParam {
    /// The name given, if any.
    pub fn name(&self) -> Option<&str> {
        self.account.as_deref().filter(|name| !name.is_empty())
    }
}

/// Query of `GET /api/accounts`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// accounts per page: default and at most 1000
    limit: Option<String>,
    /// the `next` of the page before: the accounts after this name
    after: Option<String>,
}

/// One account of `GET /api/accounts`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Account)]
pub struct AccountJson {
    /// its name (`[account]` alone is `default`)
    name: String,
    /// its AppID; null when it has none (plain mode)
    appid: Option<String>,
    /// `plain`, `compatible` or `safe`; null for a removed account only its records name
    security: Option<String>,
    /// the push URL path it is (or was) served at; null for a removed account only its
    /// records name
    push_path: Option<String>,
    /// where it comes from: `config`, or `open_platform` for an account that authorised the
    /// platform
    source: String,
    /// `active` (served), or `removed` (taken out of the config, its records kept until
    /// `DELETE /api/accounts/{name}`); for an authorizer `authorized`, `revoked` or
    /// `reauthorize` (WeChat refused its refresh token)
    status: &'static str,
}

impl AccountJson {
    fn served(account: &Account) -> Self {
        let config = &account.config;
        AccountJson {
            name: account.name().to_string(),
            appid: Some(config.appid.clone()).filter(|appid| !appid.is_empty()),
            security: Some(config.security.as_str().to_string()),
            push_path: Some(config.push_path.clone()),
            source: account.source().to_string(),
            status: account
                .authorization()
                .map_or("active", |a| a.status().as_str()),
        }
    }

    fn removed(known: &KnownAccount) -> Self {
        AccountJson {
            name: known.name.clone(),
            appid: known.appid.clone(),
            security: known.security.clone(),
            push_path: known.push_path.clone(),
            source: known.source.clone(),
            status: "removed",
        }
    }
}

/// `GET /api/accounts`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Accounts {
    /// the accounts served, in config order, then those removed, by name
    accounts: Vec<AccountJson>,
    /// the `after` of the next page; absent on the last one
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

/// The most (and default) accounts a page lists.
const MAX_PAGE: usize = 1000;

/// `GET /api/accounts?limit=&after=` → `{"accounts": [{"name", "appid", "security",
/// "push_path", "source", "status"}], "next"}`: the accounts served in config order, then
/// the removed ones by name; `next` (the last name) when the page is full.
#[utoipa::path(get, path = "/accounts", tag = "accounts", params(PageQuery),
    responses(
        (status = 200, description = "a page of the accounts: served, then removed", body = Accounts),
        (status = 400, description = "a bad limit, or an `after` that names no account", body = ErrorBody),
    ))]
pub async fn list(
    State(app): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Json<Accounts>, ApiError> {
    let limit = match q.limit.as_deref() {
        None => MAX_PAGE,
        Some(raw) => (super::events::limit(Some(raw))? as usize).min(MAX_PAGE),
    };
    let snapshot = app.accounts();
    let names = || {
        snapshot
            .iter()
            .map(|a| a.name().as_str())
            .chain(snapshot.removed().map(|k| k.name.as_str()))
    };
    let skip = match q.after.as_deref().filter(|after| !after.is_empty()) {
        None => 0,
        Some(after) => {
            names()
                .position(|name| name == after)
                .ok_or_else(|| ApiError::BadRequest(format!("after: no account named {after:?}")))?
                + 1
        }
    };
    let served = snapshot.iter().map(|a| AccountJson::served(a));
    let removed = snapshot.removed().map(AccountJson::removed);
    let accounts: Vec<AccountJson> = served.chain(removed).skip(skip).take(limit).collect();
    let total = names().count();
    let next = (skip + accounts.len() < total)
        .then(|| accounts.last().map(|a| a.name.clone()))
        .flatten();
    Ok(Json(Accounts { accounts, next }))
}

/// `DELETE /api/accounts/{name}`: erase every record of an account no longer served.
#[utoipa::path(delete, path = "/accounts/{name}", tag = "accounts",
    params(("name" = String, Path, description = "the account's name")),
    responses(
        (status = 204, description = "every record of the account is erased (also when there were none)"),
        (status = 409, description = "the account is served: take it out of the config first", body = ErrorBody),
    ))]
pub async fn erase(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    match app.registry.erase(&name).await {
        Ok(()) => {
            tracing::info!(account = %name, "account erased");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(EraseError::Served(_)) => Err(ApiError::Conflict(format!(
            "account {name:?} is served: remove it from the config (and reload) first, or \
             for an authorizer of the platform wait for it to revoke"
        ))),
        Err(EraseError::Store(e)) => Err(ApiError::Store(e)),
    }
}

/// A list's account filter: the account named — served, or removed with its records kept —
/// (400 when there is none of that name), or None for every account.
pub fn filter(app: &AppState, name: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(name) = name else {
        return Ok(None);
    };
    if app.accounts().is_removed(name) {
        return Ok(Some(name.to_string()));
    }
    one(app, Some(name)).map(|account| Some(account.name().to_string()))
}

/// The account a call about one account means: the one named, or the only one; 400 naming
/// `account` (and the accounts there are) when it is unknown, or missing with several.
pub fn one(app: &AppState, name: Option<&str>) -> Result<Arc<Account>, ApiError> {
    app.accounts()
        .select(name, "account")
        .cloned()
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}
