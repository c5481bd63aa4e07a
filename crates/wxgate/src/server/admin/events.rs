//! `/api/events`.
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::accounts::{filter, AccountParam};
use super::{json, ApiError};
use crate::server::state::AppState;
use crate::store::EventQuery;

/// Default page size.
const DEFAULT_LIMIT: u32 = 50;
/// Largest page size; larger requests are capped.
const MAX_LIMIT: u32 = 1000;

/// Parse `limit`: default 50, capped at 1000, at least 1.
pub fn limit(raw: Option<&str>) -> Result<u32, ApiError> {
    match raw {
        None | Some("") => Ok(DEFAULT_LIMIT),
        Some(text) => match text.parse::<u64>() {
            Ok(0) | Err(_) => Err(ApiError::BadRequest(
                "limit: must be a positive integer".into(),
            )),
            Ok(n) => Ok(n.min(u64::from(MAX_LIMIT)) as u32),
        },
    }
}

/// Query of `GET /api/events`.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    openid: Option<String>,
    msg_type: Option<String>,
    event: Option<String>,
    limit: Option<String>,
    before: Option<String>,
}

/// `GET /api/events?account=&openid=&msg_type=&event=&limit=&before=`, newest first (every
/// account's without `account`).
pub async fn page(
    State(app): State<AppState>,
    Query(q): Query<PageQuery>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<Value>, ApiError> {
    let account = filter(&app, scope.name())?;
    let before = match q.before.as_deref() {
        None | Some("") => None,
        Some(b) => Some(
            b.parse::<i64>()
                .map_err(|_| ApiError::BadRequest("before: must be an event id".into()))?,
        ),
    };
    let nonempty = |s: Option<String>| s.filter(|v| !v.is_empty());
    let events = app
        .store
        .events(&EventQuery {
            account,
            openid: nonempty(q.openid),
            msg_type: nonempty(q.msg_type),
            event: nonempty(q.event),
            limit: limit(q.limit.as_deref())?,
            before,
        })
        .await?;
    Ok(Json(json!({
        "events": events
            .iter()
            .map(|e| json::event(e, app.config.lists_accounts()))
            .collect::<Vec<_>>(),
    })))
}
