//! The third-party platform in the admin API (contract §5, `[open_platform]`; 404 without
//! it): the authorisation page's links, the authorizers, recovery from WeChat's list, and
//! the component token for the platform's other services.
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wechat_api::component::{AuthTarget, AuthType};

use super::json::ErrorBody;
use super::wechat::upstream;
use super::ApiError;
use crate::open::{Platform, PlatformError};
use crate::server::state::AppState;

fn platform(app: &AppState) -> Result<Arc<Platform>, ApiError> {
    app.platform.clone().ok_or(ApiError::NotFound)
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Query of `GET /api/open/authorize_url`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizeQuery {
    /// where the browser lands after consent; default `{public_url}{server.path}/open/authorized`
    redirect_uri: Option<String>,
    /// 1 Official Accounts (default), 2 mini-programs, 3 both
    auth_type: Option<String>,
    /// only this account may authorise (instead of `auth_type`)
    biz_appid: Option<String>,
}

/// The authorisation page's links.
#[derive(Serialize, ToSchema)]
pub struct AuthorizeUrl {
    /// to scan in a desktop browser
    pc_url: String,
    /// to open inside WeChat on a phone
    mobile_url: String,
    /// when its pre_auth_code expires (RFC 3339 UTC)
    #[schema(format = DateTime)]
    expires_at: String,
}

/// The target of an authorisation page: `biz_appid`, else `auth_type` (default 1).
pub fn target(auth_type: Option<&str>, biz_appid: Option<&str>) -> Result<AuthTarget, String> {
    match (
        auth_type.filter(|t| !t.is_empty()),
        biz_appid.filter(|b| !b.is_empty()),
    ) {
        (Some(_), Some(_)) => Err("auth_type and biz_appid: give one, not both".into()),
        (_, Some(appid)) if crate::config::is_appid(appid) => {
            Ok(AuthTarget::Account(appid.to_string()))
        }
        (_, Some(_)) => Err("biz_appid: not an AppID".into()),
        (None, None) => Ok(AuthTarget::Type(AuthType::OfficialAccounts)),
        (Some(kind), None) => kind
            .parse::<u8>()
            .ok()
            .and_then(AuthType::from_number)
            .map(AuthTarget::Type)
            .ok_or_else(|| "auth_type: must be 1, 2 or 3".into()),
    }
}

/// `GET /api/open/authorize_url` → `{"pc_url", "mobile_url", "expires_at"}` with a fresh
/// pre_auth_code.
#[utoipa::path(get, path = "/open/authorize_url", tag = "open", params(AuthorizeQuery),
    responses(
        (status = 200, description = "the links", body = AuthorizeUrl),
        (status = 400, description = "a bad auth_type or biz_appid, or both", body = ErrorBody),
        (status = 404, description = "no [open_platform]", body = ErrorBody),
        (status = 502, description = "WeChat refused (no ticket yet, ...)", body = ErrorBody),
    ))]
pub async fn authorize_url(
    State(app): State<AppState>,
    Query(q): Query<AuthorizeQuery>,
) -> Result<Json<AuthorizeUrl>, ApiError> {
    let platform = platform(&app)?;
    let target =
        target(q.auth_type.as_deref(), q.biz_appid.as_deref()).map_err(ApiError::BadRequest)?;
    let redirect = q.redirect_uri.as_deref().filter(|r| !r.is_empty());
    let urls = platform
        .authorize_urls(redirect, &target)
        .await
        .map_err(upstream)?;
    Ok(Json(AuthorizeUrl {
        pc_url: urls.pc.to_string(),
        mobile_url: urls.mobile.to_string(),
        expires_at: rfc3339(Utc::now() + chrono::Duration::seconds(600)),
    }))
}

/// One account that authorised the platform.
#[derive(Serialize, ToSchema)]
pub struct AuthorizerJson {
    appid: String,
    /// its gh_ id
    user_name: String,
    nick_name: Option<String>,
    principal_name: Option<String>,
    service_type: Option<i64>,
    verify_type: Option<i64>,
    /// the permission-set ids granted
    func_info: Vec<i64>,
    /// `authorized`, `revoked` or `reauthorize`
    status: &'static str,
    #[schema(format = DateTime)]
    authorized_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `GET /api/open/authorizers`.
#[derive(Serialize, ToSchema)]
pub struct Authorizers {
    authorizers: Vec<AuthorizerJson>,
}

/// `GET /api/open/authorizers` → the accounts that authorised the platform, by appid.
#[utoipa::path(get, path = "/open/authorizers", tag = "open",
    responses(
        (status = 200, description = "the authorizers", body = Authorizers),
        (status = 404, description = "no [open_platform]", body = ErrorBody),
    ))]
pub async fn authorizers(State(app): State<AppState>) -> Result<Json<Authorizers>, ApiError> {
    platform(&app)?;
    let snapshot = app.accounts();
    let rows = app.store.authorizers().await?;
    let authorizers = rows
        .into_iter()
        .map(|row| {
            // The registry's status is the newest (a 61023 marks it there first).
            let status = snapshot
                .get(&row.appid)
                .and_then(|a| a.authorization().map(|a| a.status()))
                .unwrap_or(row.status);
            AuthorizerJson {
                appid: row.appid,
                user_name: row.user_name,
                nick_name: row.nick_name,
                principal_name: row.principal_name,
                service_type: row.service_type,
                verify_type: row.verify_type,
                func_info: row.func_info,
                status: status.as_str(),
                authorized_at: rfc3339(row.authorized_at),
                updated_at: rfc3339(row.updated_at),
            }
        })
        .collect();
    Ok(Json(Authorizers { authorizers }))
}

/// `POST /api/open/authorizers/sync`.
#[derive(Serialize, ToSchema)]
pub struct SyncJson {
    /// accounts WeChat lists
    total: u64,
    /// of which the gateway did not know
    added: u64,
    /// of which it knew (refresh token replaced)
    updated: u64,
}

/// `POST /api/open/authorizers/sync` → `{"total", "added", "updated"}`: the authorizers and
/// their refresh tokens recovered from `api_get_authorizer_list`.
#[utoipa::path(post, path = "/open/authorizers/sync", tag = "open",
    responses(
        (status = 200, description = "what the sync did", body = SyncJson),
        (status = 404, description = "no [open_platform]", body = ErrorBody),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
    ))]
pub async fn sync(State(app): State<AppState>) -> Result<Json<SyncJson>, ApiError> {
    let synced = platform(&app)?.sync().await.map_err(|e| match e {
        PlatformError::Store(e) => ApiError::Store(e),
        PlatformError::Api(e) => upstream(e),
    })?;
    Ok(Json(SyncJson {
        total: synced.total,
        added: synced.added,
        updated: synced.updated,
    }))
}

/// The platform's component access token.
#[derive(Serialize, ToSchema)]
pub struct ComponentToken {
    component_access_token: String,
    #[schema(format = DateTime)]
    expires_at: String,
}

/// `GET /api/open/component_access_token` → `{"component_access_token", "expires_at"}`
/// (admin or service token): the platform's one central token.
#[utoipa::path(get, path = "/open/component_access_token", tag = "open",
    responses(
        (status = 200, description = "the current token", body = ComponentToken),
        (status = 404, description = "no [open_platform]", body = ErrorBody),
        (status = 502, description = "WeChat refused (no ticket yet, ...)", body = ErrorBody),
    ))]
pub async fn component_token(
    State(app): State<AppState>,
) -> Result<Json<ComponentToken>, ApiError> {
    let token = platform(&app)?
        .component()
        .component_token()
        .await
        .map_err(upstream)?;
    Ok(Json(ComponentToken {
        component_access_token: token.token.expose_secret().to_owned(),
        expires_at: rfc3339(token.expires_at),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_authorisation_page_asks_for_a_kind_or_one_account_never_both() {
        assert_eq!(
            target(None, None),
            Ok(AuthTarget::Type(AuthType::OfficialAccounts))
        );
        assert_eq!(
            target(Some("3"), None),
            Ok(AuthTarget::Type(AuthType::Both))
        );
        assert_eq!(
            target(None, Some("wx0123456789abcdef")),
            Ok(AuthTarget::Account("wx0123456789abcdef".into()))
        );
        assert!(target(Some("4"), None).is_err_and(|e| e.starts_with("auth_type")));
        assert!(target(None, Some("gh_1")).is_err_and(|e| e.starts_with("biz_appid")));
        assert!(target(Some("1"), Some("wx0123456789abcdef")).is_err());
    }
}
