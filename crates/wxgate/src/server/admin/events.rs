//! `/api/events`.
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json::{ErrorBody, EventJson};
use super::ApiError;
use crate::server::state::AppState;
use crate::store::EventQuery;

/// Default page size.
const DEFAULT_LIMIT: u32 = 50;
/// Largest page size; larger requests are capped.
const MAX_LIMIT: u32 = 1000;

/// Parse `limit`: default 50, capped at 1000 (however many digits), at least 1; an empty
/// value is no number (400), as the document's `integer` says.
pub fn limit(raw: Option<&str>) -> Result<u32, ApiError> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            let digits = text.trim_start_matches('0');
            if digits.is_empty() {
                return Err(bad_limit());
            }
            Ok(digits
                .parse::<u32>()
                .map_or(MAX_LIMIT, |n| n.min(MAX_LIMIT)))
        }
        Some(_) => Err(bad_limit()),
    }
}

fn bad_limit() -> ApiError {
    ApiError::BadRequest("limit: must be a positive integer".into())
}

/// Query of `GET /api/events`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// only the events of this openid
    openid: Option<String>,
    /// only this MsgType (case-insensitive)
    msg_type: Option<String>,
    /// only this Event (case-insensitive)
    event: Option<String>,
    /// page size: default 50, larger values capped at 1000
    #[param(schema_with = super::openapi::page_limit)]
    limit: Option<String>,
    /// only events with ids below this one (the last id of the previous page)
    #[param(value_type = Option<i64>)]
    before: Option<String>,
}

/// A page of `GET /api/events`, newest received first.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsPage {
    /// the events
    events: Vec<EventJson>,
}

/// `GET /api/events?openid=&msg_type=&event=&limit=&before=`, newest first.
#[utoipa::path(get, path = "/events", tag = "events", params(PageQuery),
    responses(
        (status = 200, description = "a page of events, newest received first", body = EventsPage),
        (status = 400, description = "a parameter at fault", body = ErrorBody),
    ))]
pub async fn page(
    State(app): State<AppState>,
    Query(q): Query<PageQuery>,
) -> Result<Json<EventsPage>, ApiError> {
    let before = match q.before.as_deref() {
        None => None,
        Some(b) => Some(
            b.parse::<i64>()
                .map_err(|_| ApiError::BadRequest("before: must be an event id".into()))?,
        ),
    };
    let nonempty = |s: Option<String>| s.filter(|v| !v.is_empty());
    let events = app
        .store
        .events(&EventQuery {
            openid: nonempty(q.openid),
            msg_type: nonempty(q.msg_type),
            event: nonempty(q.event),
            limit: limit(q.limit.as_deref())?,
            before,
        })
        .await?;
    Ok(Json(EventsPage {
        events: events.iter().map(EventJson::from).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::limit;

    #[test]
    fn limit_defaults_caps_and_refuses() {
        assert_eq!(limit(None).ok(), Some(50));
        assert_eq!(limit(Some("7")).ok(), Some(7));
        assert_eq!(limit(Some("007")).ok(), Some(7));
        assert_eq!(limit(Some("1000")).ok(), Some(1000));
        assert_eq!(limit(Some("1001")).ok(), Some(1000));
        assert_eq!(limit(Some("99999999999999999999999")).ok(), Some(1000));
        for bad in ["", "0", "000", "-1", "+1", "1.5", "x", " 1"] {
            assert!(limit(Some(bad)).is_err(), "{bad:?}");
        }
    }
}
