//! `GET {path}` (URL verification) and `POST {path}` (pushes), for each account at its own
//! path: `{server.path}` for a lone `[account]`, `{server.path}/{name}` for an entry of
//! `[[accounts]]`. The account is looked up once, in the registry's current snapshot; a path
//! of no account served is 404.
use std::sync::Arc;
use std::time::Instant as StdInstant;

use axum::extract::{RawPathParams, RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rand::RngCore;
use tokio::time::Instant;
use tracing::Instrument;
use wechat_proto::{seal_reply, verify_signature, Message, MessageCrypt};

use super::accept::{accept, Accepted};
use super::body::{read_limited, BodyError};
use super::params::PushParams;
use super::refusal::Refusal;
use super::state::AppState;
use crate::account::{Account, Accounts};
use crate::config::AccountConfig;
use crate::push::{self, Passive, PushError};
use crate::store::ReplayMark;
use crate::telemetry::metrics;
use crate::telemetry::spans;

/// The lone `[account]`, served at `server.path`.
fn lone(app: &AppState) -> Option<Arc<Account>> {
    app.registry.snapshot().lone().cloned()
}

/// The `[[accounts]]` entry named by the path's `{name}`.
fn named(app: &AppState, params: &RawPathParams) -> Option<Arc<Account>> {
    let name = params.iter().next().map(|(_, name)| name)?;
    let accounts: &Accounts = &app.registry.snapshot();
    accounts.listed(name).cloned()
}

/// No account is served at this path (any more).
fn no_account() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// `GET {server.path}`: [`verify_url`] of the lone `[account]`.
pub async fn verify_lone(State(app): State<AppState>, query: RawQuery) -> Response {
    match lone(&app) {
        Some(account) => verify_url(&account, query),
        None => no_account(),
    }
}

/// `GET {server.path}/{name}`: [`verify_url`] of the account `name`.
pub async fn verify_named(
    State(app): State<AppState>,
    params: RawPathParams,
    query: RawQuery,
) -> Response {
    match named(&app, &params) {
        Some(account) => verify_url(&account, query),
        None => no_account(),
    }
}

/// `POST {server.path}`: [`receive`] for the lone `[account]`.
pub async fn receive_lone(State(app): State<AppState>, req: Request) -> Response {
    match lone(&app) {
        Some(account) => receive(app, account, req).await,
        None => no_account(),
    }
}

/// `POST {server.path}/{name}`: [`receive`] for the account `name`.
pub async fn receive_named(
    State(app): State<AppState>,
    params: RawPathParams,
    req: Request,
) -> Response {
    match named(&app, &params) {
        Some(account) => receive(app, account, req).await,
        None => no_account(),
    }
}

/// URL verification of an account's push path: echo `echostr` when the signature holds under
/// its token.
fn verify_url(account: &Account, RawQuery(query): RawQuery) -> Response {
    let p = PushParams::parse(query.as_deref());
    let (Some(signature), Some(timestamp), Some(nonce), Some(echostr)) =
        (&p.signature, &p.timestamp, &p.nonce, p.echostr)
    else {
        return (
            StatusCode::BAD_REQUEST,
            "missing signature, timestamp, nonce or echostr",
        )
            .into_response();
    };
    let token = account.config.token.expose();
    match verify_signature(token, timestamp, nonce, signature) {
        Ok(()) => ([(header::CONTENT_TYPE, "text/plain")], echostr).into_response(),
        Err(e) => Refusal::Signature(e.into()).into_response(),
    }
}

/// A push to an account: verify (its token, keys, mode, clock skew, replay guard), open,
/// parse, process, answer — always before the deadline.
///
/// The body is due by the deadline too: a client still sending then gets 408 and the
/// connection closes. A declared `Content-Length` over `max_body_bytes` gets 413 at once,
/// without waiting for the body.
pub(super) async fn receive(app: AppState, account: Arc<Account>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let started = StdInstant::now();
    let deadline = Instant::now() + app.config.server.reply_deadline;
    let limit = app.config.server.max_body_bytes;
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return closing(refuse(Refusal::TooLarge));
    }
    let expected = declared.map_or(0, |n| n as usize);
    let body = match tokio::time::timeout_at(deadline, read_limited(body, limit, expected)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(BodyError::TooLarge)) => return refuse(Refusal::TooLarge),
        Ok(Err(BodyError::Broken)) => return refuse(Refusal::BodyBroken),
        Err(_) => return closing(refuse(Refusal::BodyTimeout)),
    };
    let params = PushParams::parse(parts.uri.query());
    let accepted = match accept(&account.config, &account.replays, &params, &body) {
        Ok(a) => a,
        Err(refusal) => return refuse(refusal),
    };
    // Under the platform every account shares one key: a push captured for one must not be
    // accepted at another's URL.
    if let Some(authorization) = account.authorization() {
        if accepted.msg.to_user_name != authorization.user_name {
            return refuse(Refusal::WrongAccount);
        }
    }
    if let Some(mark) = &accepted.replay {
        // Another instance on the same database may have seen the triple (PostgreSQL). A
        // store that cannot say is not a "no": 503, and WeChat tries again.
        let guard = push::replay::guard_key(&account);
        match app.store.replayed_elsewhere(guard, mark).await {
            Ok(false) => {}
            Ok(true) => return refuse(Refusal::Replay),
            Err(error) => {
                tracing::error!(%error, "the replay check failed: 503");
                return refuse(Refusal::Unavailable(error));
            }
        }
    }
    let span = spans::push(&accepted.msg);
    let series = &account.series;
    series.push(
        accepted.msg.type_label(),
        accepted.msg.event_label().unwrap_or(""),
    );
    let Accepted {
        msg,
        raw_xml,
        crypt,
        nonce,
        replay,
    } = accepted;
    let answer = process(&app, &account, msg, raw_xml, replay, deadline)
        .instrument(span.clone())
        .await;
    let response = match answer {
        Ok(passive) => {
            let outcome = match passive {
                Passive::Success => "success",
                Passive::Reply { .. } => "reply",
            };
            span.record("reply", passive.kind());
            spans::finish(&span, outcome, started);
            series.reply(passive.kind());
            answer_response(&account.config, passive, crypt.as_ref(), &nonce)
        }
        Err(refusal) => {
            let outcome = match &refusal {
                Refusal::NotInTime => {
                    // Not durable in time: no 200, so WeChat resends and the resend finds
                    // the result.
                    series.deadline_miss();
                    span.in_scope(|| tracing::warn!("push not recorded by the deadline: 503"));
                    "not_in_time"
                }
                // A failure inside the pipeline was logged there; a task that died was not.
                Refusal::Failed(e @ PushError::Task(_)) => {
                    span.in_scope(|| tracing::error!(error = %e, "a push failed"));
                    "failed"
                }
                _ => "failed",
            };
            spans::finish(&span, outcome, started);
            refusal.into_response()
        }
    };
    span.in_scope(|| tracing::debug!("push answered"));
    series.duration(started.elapsed());
    response
}

/// Coalesce, decide and record the push, by the deadline. A push that calls a webhook runs
/// in a task of its own (tracked: shutdown waits for it), so a client that goes away cannot
/// cut it off; any other runs as this future.
///
/// The rules and webhooks in force are taken once here: a SIGHUP meanwhile does not change
/// them for this push.
async fn process(
    app: &AppState,
    account: &Arc<Account>,
    msg: Message,
    raw_xml: String,
    replay: Option<ReplayMark>,
    deadline: Instant,
) -> Result<Passive, Refusal> {
    let routing = app.pipeline.routing.current();
    let calls = push::calls_webhook(&routing, account.name(), &msg);
    let handled = push::handle(
        app.pipeline.clone(),
        Arc::clone(account),
        routing,
        msg,
        raw_xml,
        replay,
        calls,
        deadline,
    );
    let answer = if calls {
        let task = app.pipeline.tasks.spawn_work(handled.in_current_span());
        let joined = async { task.await.unwrap_or_else(|e| Err(PushError::from(e))) };
        tokio::time::timeout_at(deadline, joined).await
    } else {
        tokio::time::timeout_at(deadline, handled).await
    };
    match answer {
        Ok(Ok(passive)) => Ok(passive),
        Ok(Err(e)) => Err(Refusal::Failed(e)),
        Err(_) => Err(Refusal::NotInTime),
    }
}

/// Count a refusal (when it is one of `wxgate_refused_total`'s) and answer it.
pub(super) fn refuse(refusal: Refusal) -> Response {
    if let Some(why) = refusal.counted() {
        metrics::refused(why);
    }
    tracing::debug!(reason = %refusal, "push refused");
    refusal.into_response()
}

/// An answer after which the connection closes (the rest of the body is never read).
fn closing(answer: impl IntoResponse) -> Response {
    let mut resp = answer.into_response();
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// The passive reply (encrypted when the push was), or `success`.
pub(super) fn answer_response(
    account: &AccountConfig,
    answer: Passive,
    crypt: Option<&MessageCrypt>,
    nonce: &str,
) -> Response {
    let Passive::Reply { xml, .. } = answer else {
        return ([(header::CONTENT_TYPE, "text/plain")], "success").into_response();
    };
    let body = match crypt {
        None => xml.to_string(),
        Some(crypt) => {
            let mut random = [0u8; 16];
            rand::thread_rng().fill_bytes(&mut random);
            let timestamp = Utc::now().timestamp().to_string();
            seal_reply(
                crypt,
                account.token.expose(),
                &xml,
                &timestamp,
                nonce,
                random,
            )
        }
    };
    (
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        body,
    )
        .into_response()
}
