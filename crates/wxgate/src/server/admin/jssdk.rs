//! `GET /api/jssdk/config` and `GET /api/jssdk/ticket`: the JS-SDK's `wx.config` signed with
//! the account's one central jsapi_ticket (held by its API client like the access token).
use axum::extract::{Query, State};
use axum::Json;
use chrono::{SecondsFormat, Utc};
use rand::distributions::Alphanumeric;
use rand::Rng;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::accounts::{one, AccountParam};
use super::json::ErrorBody;
use super::wechat::{client, upstream};
use super::ApiError;
use crate::server::state::AppState;

/// `?url=` (with `account=`).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParam {
    /// the page's full address, as the page reads it (`location.href`); its `#fragment` is
    /// dropped
    url: Option<String>,
}

/// What `wx.config` takes (with the page's own `jsApiList`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JsSdkConfig {
    /// the account's AppID
    app_id: String,
    /// unix seconds the signature was made at
    timestamp: u64,
    /// a random string (16 of `[A-Za-z0-9]`)
    nonce_str: String,
    /// SHA1 hex of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`
    signature: String,
    /// the page address signed: the `url` given, without its fragment
    url: String,
}

/// The account's central jsapi_ticket.
#[derive(Debug, Serialize, ToSchema)]
pub struct JsapiTicket {
    /// the ticket
    ticket: String,
    /// when it expires (RFC 3339 UTC)
    #[schema(format = DateTime)]
    expires_at: String,
}

/// `GET /api/jssdk/config?account=&url=` → `{"appId", "timestamp", "nonceStr", "signature",
/// "url"}` for `wx.config` on the page at `url`.
#[utoipa::path(get, path = "/jssdk/config", tag = "web", params(AccountParam, PageParam),
    responses(
        (status = 200, description = "the signed configuration", body = JsSdkConfig),
        (status = 400, description = "`url` missing or not an absolute http(s) URL; `account` missing (several accounts) or unknown", body = ErrorBody),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn config(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
    Query(page): Query<PageParam>,
) -> Result<Json<JsSdkConfig>, ApiError> {
    let account = one(&app, scope.name())?;
    let url = page
        .url
        .as_deref()
        .map(wechat_proto::page_url)
        .filter(|url| is_http_page(url))
        .ok_or_else(|| ApiError::BadRequest("url: must be an absolute http(s) URL".into()))?
        .to_owned();
    let ticket = client(&account)?.jsapi_ticket().await.map_err(upstream)?;
    let nonce: String = rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    let timestamp = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    let signature =
        wechat_proto::jssdk_signature(ticket.token.expose_secret(), &nonce, timestamp, &url);
    Ok(Json(JsSdkConfig {
        app_id: account.config.appid.clone(),
        timestamp,
        nonce_str: nonce,
        signature,
        url,
    }))
}

/// `GET /api/jssdk/ticket?account=` → `{"ticket", "expires_at"}`.
#[utoipa::path(get, path = "/jssdk/ticket", tag = "web", params(AccountParam),
    responses(
        (status = 200, description = "the current jsapi_ticket", body = JsapiTicket),
        (status = 400, description = "account missing (several accounts) or unknown", body = ErrorBody),
        (status = 502, description = "WeChat refused or failed", body = ErrorBody),
        (status = 503, description = "no `[account] appsecret`", body = ErrorBody),
    ))]
pub async fn ticket(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<JsapiTicket>, ApiError> {
    let ticket = client(one(&app, scope.name())?.as_ref())?
        .jsapi_ticket()
        .await
        .map_err(upstream)?;
    Ok(Json(JsapiTicket {
        ticket: ticket.token.expose_secret().to_owned(),
        expires_at: ticket.expires_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    }))
}

/// Whether `url` is an absolute http(s) URL with a host.
fn is_http_page(url: &str) -> bool {
    url::Url::parse(url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}
