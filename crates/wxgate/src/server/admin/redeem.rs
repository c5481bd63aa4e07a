//! `POST /api/oauth/redeem`: the page's server trades a sign-in's one-time ticket for who
//! signed in — once, within 60 seconds; the gateway keeps nothing of it afterwards.
use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::json::ErrorBody;
use super::ApiError;
use crate::server::state::AppState;
use crate::web::signin;

/// `{"ticket"}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RedeemRequest {
    /// the `wx_ticket` the visitor came back with
    ticket: String,
}

/// Who signed in.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignedIn {
    /// the account's name
    account: String,
    /// its AppID
    appid: String,
    /// the visitor's openid under the account
    openid: String,
    /// their unionid, when the account is bound to an Open Platform account
    unionid: Option<String>,
    /// `base` or `userinfo`
    #[schema(pattern = "^(base|userinfo)$")]
    scope: String,
    /// a "snapshot page" visitor, whose openid is a virtual one
    is_snapshotuser: bool,
    /// the profile (`userinfo` sign-ins): `{"nickname", "headimgurl", "sex", "province",
    /// "city", "country"}`; null for `base`
    #[schema(value_type = Option<Object>)]
    userinfo: Option<Value>,
}

/// `POST /api/oauth/redeem {"ticket"}` → who signed in; 404 for a ticket unknown, used or
/// older than 60 s.
#[utoipa::path(post, path = "/oauth/redeem", tag = "web", request_body = RedeemRequest,
    responses(
        (status = 200, description = "the sign-in, now forgotten by the gateway", body = SignedIn),
        (status = 400, description = "no `ticket` string in the body", body = ErrorBody),
        (status = 404, description = "the ticket is unknown, used or expired", body = ErrorBody),
    ))]
pub async fn redeem(State(app): State<AppState>, body: Bytes) -> Result<Json<SignedIn>, ApiError> {
    let request: RedeemRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("body: needs {{\"ticket\": \"...\"}} ({e})")))?;
    let result = signin::redeem(app.store.as_ref(), &request.ticket, Utc::now())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(SignedIn {
        account: result.account,
        appid: result.appid,
        openid: result.openid,
        unionid: result.unionid,
        scope: result.scope,
        is_snapshotuser: result.is_snapshotuser,
        userinfo: result
            .userinfo
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok()),
    }))
}
