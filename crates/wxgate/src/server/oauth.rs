//! The browser's side of the web sign-in (with `[web]`): `GET /oauth/{account}/authorize`
//! sends the visitor to WeChat, `GET /oauth/{account}/callback` brings them back to the page
//! with a one-time ticket. No bearer token (a browser inside WeChat opens them), so nothing
//! here counts toward the admin API's throttle. Failures are small HTML pages; the flow
//! itself is `web::signin`.
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::Utc;
use serde::Deserialize;

use super::state::AppState;
use crate::account::Account;
use crate::telemetry::metrics::{sign_in, SignInStep};
use crate::web::signin::{self, Scope, SignInAccount, SignInError};
use crate::web::Settings;

/// `/oauth/{account}/authorize` and `/oauth/{account}/callback`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/oauth/{account}/authorize", get(authorize))
        .route("/oauth/{account}/callback", get(callback))
}

/// `?redirect=URL&scope=base|userinfo`.
#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    redirect: Option<String>,
    scope: Option<String>,
}

/// `?code=&state=` as WeChat sends the visitor back.
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
}

/// 302 to WeChat's authorisation page with a new state; 400 for a redirect not allowed or an
/// unknown scope, 404 for an unknown account.
async fn authorize(
    State(app): State<AppState>,
    Path(account): Path<String>,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    let Some(web) = app.config.web.as_ref() else {
        return page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no sign-in here.",
        );
    };
    let (account, api) = match signing_account(&app, &account) {
        Ok(found) => found,
        Err(why) => return why.page(),
    };
    let scope = match query.scope.as_deref() {
        None => Some(Scope::Base),
        Some(word) => Scope::parse(word),
    };
    let Some(scope) = scope else {
        return page(
            StatusCode::BAD_REQUEST,
            "Bad sign-in link",
            "The scope must be base or userinfo.",
        );
    };
    let Some(redirect) = query.redirect.as_deref() else {
        return page(
            StatusCode::BAD_REQUEST,
            "Bad sign-in link",
            "The link names no page to return to (redirect).",
        );
    };
    let callback = web.callback(&account.config.name);
    let settings = Settings {
        open_base: &app.config.open_base_url,
        callback: &callback,
        allowed: &web.allowed_redirects,
    };
    let signing = SignInAccount {
        name: &account.config.name,
        appid: &account.config.appid,
        api: &api,
    };
    match signin::begin(
        app.store.as_ref(),
        settings,
        signing,
        redirect,
        scope,
        Utc::now(),
    )
    .await
    {
        Ok(to_wechat) => {
            sign_in(SignInStep::Started);
            found(to_wechat.as_str())
        }
        Err(err) => refused(err),
    }
}

/// 302 back to the page with `wx_ticket`; a 400 page saying to start again for a state
/// unknown, used or expired or a code WeChat refused.
async fn callback(
    State(app): State<AppState>,
    Path(account): Path<String>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    if app.config.web.is_none() {
        return page(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no sign-in here.",
        );
    }
    let (account, api) = match signing_account(&app, &account) {
        Ok(found) => found,
        Err(why) => return why.page(),
    };
    let (Some(code), Some(state)) = (query.code.as_deref(), query.state.as_deref()) else {
        // WeChat sends no code when the visitor declined (snsapi_userinfo).
        sign_in(SignInStep::Refused("state"));
        return start_again();
    };
    let signing = SignInAccount {
        name: &account.config.name,
        appid: &account.config.appid,
        api: &api,
    };
    match signin::finish(app.store.as_ref(), signing, code, state, Utc::now()).await {
        Ok(back) => {
            sign_in(SignInStep::Completed);
            found(back.as_str())
        }
        Err(err) => refused(err),
    }
}

/// Why an account cannot sign visitors in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NoSignIn {
    /// no account of that name or appid
    Unknown,
    /// the account has no appsecret to exchange codes with
    NoSecret,
}

impl NoSignIn {
    /// 404 or 503.
    fn page(self) -> Response {
        match self {
            NoSignIn::Unknown => page(
                StatusCode::NOT_FOUND,
                "Not found",
                "There is no such account.",
            ),
            NoSignIn::NoSecret => page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Sign-in unavailable",
                "This account cannot sign visitors in: it has no appsecret.",
            ),
        }
    }
}

/// The account named `name` (its name, or its appid) and its API client.
fn signing_account(
    app: &AppState,
    name: &str,
) -> Result<(Arc<Account>, Arc<wechat_api::ApiClient>), NoSignIn> {
    let by_appid = |a: &&Arc<Account>| !a.config.appid.is_empty() && a.config.appid == name;
    let account = app
        .account(name)
        .or_else(|| app.accounts().iter().find(by_appid).cloned())
        .ok_or(NoSignIn::Unknown)?;
    let api = account.api().ok_or(NoSignIn::NoSecret)?;
    Ok((account, api))
}

/// The answer to a stopped sign-in, counted by reason.
fn refused(err: SignInError) -> Response {
    sign_in(SignInStep::Refused(err.reason()));
    match err {
        SignInError::Redirect(why) => page(
            StatusCode::BAD_REQUEST,
            "Bad sign-in link",
            &format!("The page to return to is refused: it {why}."),
        ),
        SignInError::State | SignInError::Code(_) => start_again(),
        SignInError::Upstream(error) => {
            tracing::warn!(%error, "sign-in: WeChat failed");
            page(
                StatusCode::BAD_GATEWAY,
                "Sign-in failed",
                "WeChat did not answer as expected. Go back to the page and sign in again.",
            )
        }
        SignInError::Store(error) => {
            tracing::error!(%error, "sign-in: storage failure");
            page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sign-in failed",
                "Something went wrong. Go back to the page and sign in again.",
            )
        }
    }
}

/// 400: the link is spent; start again.
fn start_again() -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Sign-in expired",
        "This sign-in link is unknown, already used or expired. Go back to the page and sign in again.",
    )
}

/// A 302 to `location`, not to be cached.
fn found(location: &str) -> Response {
    let mut answer = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            answer.headers_mut().insert(header::LOCATION, value);
            no_store(answer)
        }
        // A parsed URL is always a valid header value; should it ever not be, say so.
        Err(_) => page(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Sign-in failed",
            "Go back to the page and sign in again.",
        ),
    }
}

/// A small HTML page (no user input in it but the fixed texts above), not to be cached.
fn page(status: StatusCode, title: &str, text: &str) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
         <body><h1>{title}</h1><p>{}</p></body></html>\n",
        escape(text)
    );
    no_store((status, Html(body)).into_response())
}

fn no_store(mut answer: Response) -> Response {
    answer
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    answer
}

/// `text` safe inside HTML.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
