//! `/api/followers`.
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::accounts::{filter, AccountParam};
use super::json::{ErrorBody, FollowerJson};
use super::ApiError;
use crate::server::state::AppState;
use crate::store::FollowerQuery;

/// `GET /api/followers/{openid}?account=`: the follower of that account; without `account`,
/// the one account's follower with that openid — 400 naming the accounts when several have it.
#[utoipa::path(get, path = "/followers/{openid}", tag = "followers",
    params(("openid" = String, Path, description = "the follower's openid",
        example = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"), AccountParam),
    responses(
        (status = 200, description = "the follower", body = FollowerJson),
        (status = 400, description = "an unknown account, or several accounts have a follower with this openid", body = ErrorBody),
        (status = 404, description = "unknown or forgotten", body = ErrorBody),
    ))]
pub async fn one_follower(
    State(app): State<AppState>,
    Path(openid): Path<String>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<FollowerJson>, ApiError> {
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
    Ok(Json(FollowerJson::of(
        &follower,
        app.config.lists_accounts(),
    )))
}

/// `DELETE /api/followers/{openid}?account=`: forget the user of that account; 204 also for an
/// unknown openid. Without `account` (several accounts), the one account that has a follower
/// with that openid — 400 naming the accounts when several have it, and every account's
/// records of it when none has (events of a user never seen to follow).
#[utoipa::path(delete, path = "/followers/{openid}", tag = "followers",
    params(("openid" = String, Path, description = "the follower's openid",
        example = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"), AccountParam),
    responses(
        (status = 204, description = "every record of the account holding the openid is deleted (also for an unknown openid)"),
        (status = 400, description = "an unknown account, or several accounts have a follower with this openid", body = ErrorBody),
    ))]
pub async fn forget(
    State(app): State<AppState>,
    Path(openid): Path<String>,
    Query(scope): Query<AccountParam>,
) -> Result<StatusCode, ApiError> {
    let names: Vec<String> = match filter(&app, scope.name())? {
        Some(name) => vec![name],
        None => {
            let found = app.store.follower(None, &openid).await?;
            match found.as_slice() {
                [] => app
                    .accounts()
                    .iter()
                    .map(|account| account.name().to_string())
                    .collect(),
                [only] => vec![only.account.clone()],
                several => {
                    let names: Vec<&str> = several.iter().map(|f| f.account.as_str()).collect();
                    return Err(ApiError::BadRequest(format!(
                        "account: required: accounts {} each have a follower with this openid",
                        names.join(", ")
                    )));
                }
            }
        }
    };
    for name in &names {
        app.store.forget(name, &openid).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /api/followers`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// only followers who follow now (`true`) or who stopped (`false`)
    #[param(value_type = Option<bool>)]
    subscribed: Option<String>,
    /// page size: default 50, larger values capped at 1000
    #[param(schema_with = super::openapi::page_limit)]
    limit: Option<String>,
    /// the `next` of the previous page: followers after it (an openid; `NAME:openid` for a
    /// list of several accounts)
    after: Option<String>,
}

/// A page of `GET /api/followers`, ordered by (account, openid).
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowersPage {
    /// the followers
    followers: Vec<FollowerJson>,
    /// the cursor of the next page (pass it as `after`); null on the last page
    next: Option<String>,
}

/// `GET /api/followers?account=&subscribed=&limit=&after=`:
/// `{"followers": [...], "next": CURSOR|null}`, ordered by (account, openid). The cursor is
/// the last openid when the page is one account's (`account` given, or a single account);
/// across several accounts it is `NAME:openid` (names hold no `:`).
#[utoipa::path(get, path = "/followers", tag = "followers", params(PageQuery, AccountParam),
    responses(
        (status = 200, description = "a page of followers", body = FollowersPage),
        (status = 400, description = "a parameter at fault", body = ErrorBody),
    ))]
pub async fn page(
    State(app): State<AppState>,
    Query(q): Query<PageQuery>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<FollowersPage>, ApiError> {
    let subscribed = match q.subscribed.as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
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
        .or_else(|| app.accounts().only().map(|a| a.name().to_string()));
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
    let shown = app.config.lists_accounts();
    Ok(Json(FollowersPage {
        followers: followers
            .iter()
            .map(|f| FollowerJson::of(f, shown))
            .collect(),
        next,
    }))
}
