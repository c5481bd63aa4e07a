//! `GET {path}` (URL verification) and `POST {path}` (pushes).
use std::sync::Arc;
use std::time::Instant as StdInstant;

use axum::extract::{RawQuery, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::Utc;
use rand::RngCore;
use tokio::time::Instant;
use wechat_proto::{seal_reply, verify_signature, MessageCrypt};

use super::accept::{accept, Refusal};
use super::body::{read_limited, BodyError};
use super::metrics::{push_labels, PushSeries};
use super::params::PushParams;
use super::state::{AccountState, AppState};
use crate::config::AccountConfig;
use crate::push;

/// URL verification of an account's push path: echo `echostr` when the signature holds under
/// its token.
pub async fn verify_url(
    Extension(account): Extension<Arc<AccountState>>,
    RawQuery(query): RawQuery,
) -> Response {
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
        Err(_) => Refusal::Signature("signature").into_response(),
    }
}

/// A push to an account: verify (its token, keys, mode, clock skew, replay guard), open,
/// parse, process, answer — always before the deadline.
///
/// The body is due by the deadline too: a client still sending then gets 408 and the
/// connection closes. A declared `Content-Length` over `max_body_bytes` gets 413 at once,
/// without waiting for the body.
pub async fn receive(
    State(app): State<AppState>,
    Extension(account): Extension<Arc<AccountState>>,
    req: Request,
) -> Response {
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
        metrics::counter!("wxgate_refused_total", "reason" => "too_large").increment(1);
        return closing((StatusCode::PAYLOAD_TOO_LARGE, "body over max_body_bytes"));
    }
    let expected = declared.map_or(0, |n| n as usize);
    let body = match tokio::time::timeout_at(deadline, read_limited(body, limit, expected)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(BodyError::TooLarge)) => {
            metrics::counter!("wxgate_refused_total", "reason" => "too_large").increment(1);
            return (StatusCode::PAYLOAD_TOO_LARGE, "body over max_body_bytes").into_response();
        }
        Ok(Err(BodyError::Broken)) => {
            return (StatusCode::BAD_REQUEST, "body could not be read").into_response()
        }
        Err(_) => {
            metrics::counter!("wxgate_refused_total", "reason" => "body_timeout").increment(1);
            return closing((StatusCode::REQUEST_TIMEOUT, "body not received in time"));
        }
    };
    let params = PushParams::parse(parts.uri.query());
    let accepted = match accept(&account.config, &account.replays, &params, &body) {
        Ok(a) => a,
        Err(refusal) => {
            metrics::counter!("wxgate_refused_total", "reason" => refusal.label()).increment(1);
            tracing::debug!(reason = %refusal, "push refused");
            return refusal.into_response();
        }
    };
    if let Some(mark) = &accepted.replay {
        // Another instance on the same database may have seen the triple (PostgreSQL).
        if matches!(
            app.store
                .replayed_elsewhere(&account.config.name, mark)
                .await,
            Ok(true)
        ) {
            let refusal = super::accept::Refusal::Replay;
            metrics::counter!("wxgate_refused_total", "reason" => refusal.label()).increment(1);
            return refusal.into_response();
        }
    }
    let (msg_type, event) = push_labels(&accepted.msg);
    let series = PushSeries::get();
    series.push(msg_type, event);
    let calls = push::calls_webhook(&app.pipeline, &account.config.name, &accepted.msg);
    let handled = push::handle(
        app.pipeline.clone(),
        Arc::clone(&account.config),
        accepted.msg,
        accepted.raw_xml,
        accepted.replay,
        calls,
        deadline,
    );
    let answer = if calls {
        // Tracked: shutdown waits for it.
        let task = app.pipeline.tasks.spawn_work(handled);
        tokio::time::timeout_at(deadline, async { task.await.unwrap_or(Err(())) }).await
    } else {
        tokio::time::timeout_at(deadline, handled).await
    };
    let response = match answer {
        Ok(Ok(answer)) => answer_response(
            &account.config,
            answer,
            accepted.crypt.as_ref(),
            &accepted.nonce,
        ),
        Ok(Err(())) => (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response(),
        Err(_) => {
            // Not durable in time: no 200, so WeChat resends and the resend finds the result.
            metrics::counter!("wxgate_deadline_misses_total").increment(1);
            (StatusCode::SERVICE_UNAVAILABLE, "not recorded in time").into_response()
        }
    };
    series.duration(started.elapsed().as_secs_f64());
    response
}

/// An answer after which the connection closes (the rest of the body is never read).
fn closing(answer: impl IntoResponse) -> Response {
    let mut resp = answer.into_response();
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// The passive reply (encrypted when the push was), or `success`.
fn answer_response(
    account: &AccountConfig,
    answer: Option<Arc<str>>,
    crypt: Option<&MessageCrypt>,
    nonce: &str,
) -> Response {
    let Some(xml) = answer else {
        PushSeries::get().reply("success");
        return ([(header::CONTENT_TYPE, "text/plain")], "success").into_response();
    };
    PushSeries::get().reply(reply_kind(&xml));
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

/// The MsgType of a rendered reply, as a bounded label.
fn reply_kind(xml: &str) -> &'static str {
    const KINDS: &[&str] = &[
        "transfer_customer_service",
        "text",
        "image",
        "voice",
        "video",
        "music",
        "news",
    ];
    let value = xml
        .split_once("<MsgType>")
        .map(|(_, rest)| rest.trim_start_matches("<![CDATA["))
        .and_then(|rest| rest.split(['<', ']']).next())
        .unwrap_or("");
    KINDS
        .iter()
        .find(|k| **k == value)
        .copied()
        .unwrap_or("other")
}
