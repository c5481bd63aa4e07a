//! `/api/followers`.
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{json, ApiError};
use crate::server::state::AppState;
use crate::store::{FollowerQuery, DEFAULT_ACCOUNT};

/// `GET /api/followers/{openid}`
pub async fn one(
    State(app): State<AppState>,
    Path(openid): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let follower = app
        .store
        .follower(Some(DEFAULT_ACCOUNT), &openid)
        .await?
        .pop()
        .ok_or(ApiError::NotFound)?;
    Ok(Json(json::follower(&follower)))
}

/// `DELETE /api/followers/{openid}`: forget the user; 204 also for an unknown openid.
pub async fn forget(
    State(app): State<AppState>,
    Path(openid): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.store.forget(DEFAULT_ACCOUNT, &openid).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /api/followers`.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    subscribed: Option<String>,
    limit: Option<String>,
    after: Option<String>,
}

/// `GET /api/followers?subscribed=&limit=&after=`: `{"followers": [...], "next": CURSOR|null}`.
pub async fn page(
    State(app): State<AppState>,
    Query(q): Query<PageQuery>,
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
    let followers = app
        .store
        .followers(&FollowerQuery {
            account: Some(DEFAULT_ACCOUNT.to_string()),
            subscribed,
            limit,
            after: q
                .after
                .filter(|a| !a.is_empty())
                .map(|openid| (DEFAULT_ACCOUNT.to_string(), openid)),
        })
        .await?;
    let next = (followers.len() as u32 == limit)
        .then(|| followers.last().map(|f| f.openid.clone()))
        .flatten();
    Ok(Json(json!({
        "followers": followers.iter().map(json::follower).collect::<Vec<_>>(),
        "next": next,
    })))
}
