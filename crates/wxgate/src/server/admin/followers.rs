//! `/api/followers`.
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json::{ErrorBody, FollowerJson};
use super::ApiError;
use crate::server::state::AppState;
use crate::store::FollowerQuery;

/// `GET /api/followers/{openid}`
#[utoipa::path(get, path = "/followers/{openid}", tag = "followers",
    params(("openid" = String, Path, description = "the follower's openid",
        example = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M")),
    responses(
        (status = 200, description = "the follower", body = FollowerJson),
        (status = 404, description = "unknown or forgotten", body = ErrorBody),
    ))]
pub async fn one(
    State(app): State<AppState>,
    Path(openid): Path<String>,
) -> Result<Json<FollowerJson>, ApiError> {
    let follower = app
        .store
        .follower(&openid)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(FollowerJson::from(&follower)))
}

/// `DELETE /api/followers/{openid}`: forget the user; 204 also for an unknown openid.
#[utoipa::path(delete, path = "/followers/{openid}", tag = "followers",
    params(("openid" = String, Path, description = "the follower's openid",
        example = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M")),
    responses(
        (status = 204, description = "every record holding the openid is deleted (also for an unknown openid)"),
    ))]
pub async fn forget(
    State(app): State<AppState>,
    Path(openid): Path<String>,
) -> Result<StatusCode, ApiError> {
    app.store.forget(&openid).await?;
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
    /// the `next` of the previous page: followers with openids after it
    after: Option<String>,
}

/// A page of `GET /api/followers`, ordered by openid.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowersPage {
    /// the followers
    followers: Vec<FollowerJson>,
    /// the cursor of the next page (pass it as `after`); null on the last page
    next: Option<String>,
}

/// `GET /api/followers?subscribed=&limit=&after=`: `{"followers": [...], "next": CURSOR|null}`.
#[utoipa::path(get, path = "/followers", tag = "followers", params(PageQuery),
    responses(
        (status = 200, description = "a page of followers", body = FollowersPage),
        (status = 400, description = "a parameter at fault", body = ErrorBody),
    ))]
pub async fn page(
    State(app): State<AppState>,
    Query(q): Query<PageQuery>,
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
    let followers = app
        .store
        .followers(&FollowerQuery {
            subscribed,
            limit,
            after: q.after.filter(|a| !a.is_empty()),
        })
        .await?;
    let next = (followers.len() as u32 == limit)
        .then(|| followers.last().map(|f| f.openid.clone()))
        .flatten();
    Ok(Json(FollowersPage {
        followers: followers.iter().map(FollowerJson::from).collect(),
        next,
    }))
}
