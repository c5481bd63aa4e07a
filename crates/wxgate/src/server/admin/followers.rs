//! `/api/followers`.
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::accounts::{filter, one, AccountParam};
use super::{json, ApiError};
use crate::server::state::AppState;
use crate::store::FollowerQuery;

/// `GET /api/followers/{openid}?account=`: the follower of that account; without `account`,
/// the one account's follower with that openid — 400 naming the accounts when several have it.
pub async fn one_follower(
    State(app): State<AppState>,
    Path(openid): Path<String>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<Value>, ApiError> {
    let account = filter(&app, scope.name())?;
    let mut found = app.store.follower(account.as_deref(), &openid).await?;
    if found.len() > 1 {
        let names: Vec<&str> = found.iter().map(|f| f.account.as_str()).collect();
        return Err(ApiError::BadRequest(format!(
            "account: required: accounts {} each have a follower with this openid",
            names.join(", ")
        )));
    }
    let follower = found.pop().ok_or(ApiError::NotFound)?;
    Ok(Json(json::follower(&follower, app.config.lists_accounts())))
}

/// `DELETE /api/followers/{openid}?account=`: forget the user of that account (required with
/// several accounts); 204 also for an unknown openid.
pub async fn forget(
    State(app): State<AppState>,
    Path(openid): Path<String>,
    Query(scope): Query<AccountParam>,
) -> Result<StatusCode, ApiError> {
    let account = one(&app, scope.name())?;
    app.store.forget(&account.config.name, &openid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /api/followers`.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    subscribed: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// `GET /api/followers?account=&subscribed=&limit=&after=`:
/// `{"followers": [...], "next": CURSOR|null}`, ordered by (account, openid). The cursor is
/// the last openid when the page is one account's (`account` given, or a single account);
/// across several accounts it is `NAME:openid` (names hold no `:`).
pub async fn page(
    State(app): State<AppState>,
    Query(q): Query<PageQuery>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<Value>, ApiError> {
    let subscribed = match q.subscribed.as_deref() {
        None | Some("") => None,
        Some("true") | Some("1") => Some(true),
        Some("false") | Some("0") => Some(false),
        Some(_) => {
            return Err(ApiError::BadRequest(
                "subscribed: must be true or false".into(),
            ))
        }
    };
    let limit = super::events::limit(q.limit.as_deref())?;
    let account = filter(&app, scope.name())?;
    // One account's page: plain openid cursors, as with a single account.
    let single = account
        .clone()
        .or_else(|| app.config.only_account().map(|a| a.name.clone()));
    let after = match q.after.filter(|a| !a.is_empty()) {
        None => None,
        Some(after) => Some(match &single {
            Some(name) => (name.clone(), after),
            None => after
                .split_once(':')
                .map(|(name, openid)| (name.to_string(), openid.to_string()))
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "after: must be NAME:openid (a cursor of a list of several accounts)"
                            .into(),
                    )
                })?,
        }),
    };
    let followers = app
        .store
        .followers(&FollowerQuery {
            account,
            subscribed,
            limit,
            after,
        })
        .await?;
    let next = (followers.len() as u32 == limit)
        .then(|| followers.last())
        .flatten()
        .map(|last| match single {
            Some(_) => last.openid.clone(),
            None => format!("{}:{}", last.account, last.openid),
        });
    Ok(Json(json!({
        "followers": followers
            .iter()
            .map(|f| json::follower(f, app.config.lists_accounts()))
            .collect::<Vec<_>>(),
        "next": next,
    })))
}
