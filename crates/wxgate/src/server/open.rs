//! The third-party platform's URLs (contract §7), 404 without `[open_platform]`:
//! - `POST {server.path}/open`: authorisation events — `success` within the deadline for
//!   every InfoType; a ticket is kept before the answer, a code exchanged (and a revocation
//!   applied) behind it;
//! - `GET {server.path}/open/authorized?auth_code=`: the browser's redirect after consent —
//!   the same code exchanged once, whichever comes first;
//! - `POST {server.path}/open/{appid}`: an authorizer's pushes, through the push pipeline
//!   with the platform's Token and keys (404 for an appid that has not authorised, the
//!   release test's accounts excepted; 403 once revoked).
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::time::Instant;
use tracing::Instrument;
use wechat_api::CustomMessage;
use wechat_proto::{PlatformEvent, Reply};

use super::accept::accept;
use super::body::{read_limited, BodyError};
use super::params::PushParams;
use super::push::{answer_response, receive, refuse};
use super::refusal::Refusal;
use super::state::AppState;
use crate::open::{is_release_test_account, release_answer, Platform, ReleaseAnswer};
use crate::push::Passive;
use crate::store::platform::AuthorizerStatus;

/// The platform, or None (then every URL here is 404).
fn platform(app: &AppState) -> Option<Arc<Platform>> {
    app.platform.clone()
}

/// `POST {server.path}/open`.
pub async fn events(State(app): State<AppState>, req: Request) -> Response {
    let Some(platform) = platform(&app) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (parts, body) = req.into_parts();
    let deadline = Instant::now() + app.config.server.reply_deadline;
    let body = match body_by(body, deadline, app.config.server.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    let p = PushParams::parse(parts.uri.query());
    let opened = crate::open::open_event(
        platform.config(),
        platform.guard(),
        p.timestamp.as_deref(),
        p.nonce.as_deref(),
        p.msg_signature.as_deref(),
        &body,
    );
    let opened = match opened {
        Ok(opened) => opened,
        Err(refusal) => {
            tracing::debug!(reason = %refusal, "platform event refused");
            let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
            return (status, refusal.to_string()).into_response();
        }
    };
    tracing::debug!(info_type = opened.event.info_type(), "platform event");
    match opened.event {
        PlatformEvent::VerifyTicket { ticket, .. } => {
            // Kept before the answer: a ticket lost is a component token lost.
            let kept = tokio::time::timeout_at(deadline, platform.keep_ticket(&ticket)).await;
            match kept {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::error!(%error, "keeping the component_verify_ticket failed: 503");
                    return refuse(Refusal::Unavailable(error));
                }
                Err(_) => return refuse(Refusal::NotInTime),
            }
        }
        PlatformEvent::Authorized { code, .. } => {
            let task = async move {
                if let Err(error) = platform.exchange(&code).await {
                    tracing::error!(%error, "exchanging an authorisation code failed");
                }
            };
            app.pipeline.tasks.spawn_background(task.in_current_span());
        }
        PlatformEvent::Unauthorized {
            authorizer_appid, ..
        } => {
            let task = async move {
                if let Err(error) = platform.revoke(&authorizer_appid).await {
                    tracing::error!(%error, "applying a revocation failed");
                }
            };
            app.pipeline.tasks.spawn_background(task.in_current_span());
        }
        _ => {}
    }
    success()
}

/// The body, read by `deadline` and at most `limit` bytes long, or the refusal to answer.
async fn body_by(body: Body, deadline: Instant, limit: usize) -> Result<Bytes, Response> {
    match tokio::time::timeout_at(deadline, read_limited(body, limit, 0)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(BodyError::TooLarge)) => Err(refuse(Refusal::TooLarge)),
        Ok(Err(BodyError::Broken)) => Err(refuse(Refusal::BodyBroken)),
        Err(_) => Err(refuse(Refusal::BodyTimeout)),
    }
}

fn success() -> Response {
    ([(header::CONTENT_TYPE, "text/plain")], "success").into_response()
}

/// `GET {server.path}/open/authorized?auth_code=…`: the browser after consent.
pub async fn authorized(State(app): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let Some(platform) = platform(&app) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let code = form_urlencoded::parse(query.as_deref().unwrap_or("").as_bytes())
        .find(|(k, _)| k == "auth_code")
        .map(|(_, v)| v.into_owned())
        .filter(|code| !code.is_empty());
    let Some(code) = code else {
        return (StatusCode::BAD_REQUEST, "missing auth_code").into_response();
    };
    match platform.exchange(&code).await {
        Ok(_) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "The account is authorised: the gateway serves it now. You may close this page.\n",
        )
            .into_response(),
        Err(error) => {
            tracing::warn!(%error, "exchanging an authorisation code from the browser failed");
            (
                StatusCode::BAD_GATEWAY,
                "WeChat refused the authorisation code: start the authorisation again.\n",
            )
                .into_response()
        }
    }
}

/// `POST {server.path}/open/{appid}`.
pub async fn account_push(
    State(app): State<AppState>,
    Path(appid): Path<String>,
    req: Request,
) -> Response {
    let Some(platform) = platform(&app) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let known = app
        .registry
        .snapshot()
        .get(&appid)
        .filter(|a| a.authorization().is_some())
        .cloned();
    if platform.config().release_test {
        if let Some(gh) = is_release_test_account(&appid) {
            let revoked = known
                .as_ref()
                .and_then(|a| a.authorization())
                .is_some_and(|a| a.revoked());
            if !revoked {
                return release(app, platform, &appid, gh, req).await;
            }
        }
    }
    let known = match known {
        Some(account) => Some(account),
        // Another instance on the database may have taken its authorisation.
        None if crate::config::is_appid(&appid) => match platform.find(&appid).await {
            Ok(found) => found,
            Err(error) => return refuse(Refusal::Unavailable(error)),
        },
        None => None,
    };
    let Some(account) = known else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if account
        .authorization()
        .is_some_and(|a| a.status() == AuthorizerStatus::Revoked)
    {
        return refuse(Refusal::Revoked);
    }
    receive(app, account, req).await
}

/// A push to one of the release test's accounts: verified as any other, answered as the
/// test expects (spec §11.5), nothing recorded.
async fn release(
    app: AppState,
    platform: Arc<Platform>,
    appid: &str,
    gh: Option<&'static str>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let deadline = Instant::now() + app.config.server.reply_deadline;
    let body = match body_by(body, deadline, app.config.server.max_body_bytes).await {
        Ok(bytes) => bytes,
        Err(refused) => return refused,
    };
    let config = platform.config().authorizer(appid);
    let params = PushParams::parse(parts.uri.query());
    let accepted = match accept(&config, platform.guard(), &params, &body) {
        Ok(accepted) => accepted,
        Err(refusal) => return refuse(refusal),
    };
    if gh.is_some_and(|gh| gh != accepted.msg.to_user_name) {
        return refuse(Refusal::WrongAccount);
    }
    let msg = accepted.msg;
    match release_answer(&msg) {
        ReleaseAnswer::Text(content) => {
            let reply = Reply::Text { content };
            let xml = reply.render(
                &msg.from_user_name,
                &msg.to_user_name,
                chrono::Utc::now().timestamp(),
            );
            let passive = Passive::rendered(&reply, xml);
            answer_response(&config, passive, accepted.crypt.as_ref(), &accepted.nonce)
        }
        ReleaseAnswer::QueryAuthCode(code) => {
            let openid = msg.from_user_name.clone();
            let task = async move {
                let account = match platform.exchange(&code).await {
                    Ok(Some(account)) => account,
                    Ok(None) => return,
                    Err(error) => {
                        tracing::warn!(%error, "release test: api_query_auth failed");
                        return;
                    }
                };
                let Some(api) = account.api() else { return };
                let text = CustomMessage::Text {
                    content: format!("{code}_from_api"),
                };
                if let Err(error) = api.send_custom(&openid, &text).await {
                    tracing::warn!(%error, "release test: the customer-service message failed");
                }
            };
            app.pipeline.tasks.spawn_background(task.in_current_span());
            success()
        }
        ReleaseAnswer::Success => success(),
    }
}
