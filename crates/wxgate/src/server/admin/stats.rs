//! `/api/stats` and `/api/stats/daily`.
use axum::extract::{Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::accounts::{filter, AccountParam};
use super::ApiError;
use crate::server::state::AppState;

/// `GET /api/stats?account=`: one account's totals, or every account's summed (the scenes of
/// each, with their `account`).
pub async fn totals(
    State(app): State<AppState>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<Value>, ApiError> {
    let account = filter(&app, scope.name())?;
    let s = app.store.stats(account.as_deref()).await?;
    Ok(Json(json!({
        "followers": { "subscribed": s.subscribed, "total": s.total },
        "events": s.events,
        "scenes": s.scenes.iter().map(|sc| super::json::with_account(json!({
            "scene": sc.scene,
            "label": sc.label,
            "subscribes": sc.subscribes,
            "scans": sc.scans,
            "unsubscribes": sc.unsubscribes,
        }), &sc.account, app.config.lists_accounts())).collect::<Vec<_>>(),
    })))
}

/// Days of `GET /api/stats/daily` without `days`.
const DEFAULT_DAYS: u32 = 30;
/// Most days one call covers.
const MAX_DAYS: u32 = 366;

/// Query of `GET /api/stats/daily`.
#[derive(Debug, Deserialize)]
pub struct DailyQuery {
    days: Option<String>,
    scene: Option<String>,
}

/// `days`: default 30, 1 to 366.
fn days(raw: Option<&str>) -> Result<u32, ApiError> {
    match raw {
        None | Some("") => Ok(DEFAULT_DAYS),
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=MAX_DAYS).contains(&n) => Ok(n),
            _ => Err(ApiError::BadRequest(format!(
                "days: must be a whole number from 1 to {MAX_DAYS}"
            ))),
        },
    }
}

/// `GET /api/stats/daily?account=&days=N&scene=S`: the anonymous counters of the last N UTC
/// days (one account's, or summed over every account), oldest first, the last being today,
/// every day present.
pub async fn daily(
    State(app): State<AppState>,
    Query(query): Query<DailyQuery>,
    Query(scope): Query<AccountParam>,
) -> Result<Json<Value>, ApiError> {
    let days = days(query.days.as_deref())?;
    let scene = query.scene.as_deref().filter(|scene| !scene.is_empty());
    let account = filter(&app, scope.name())?;
    let rows = app
        .store
        .daily(account.as_deref(), chrono::Utc::now(), days, scene)
        .await?;
    Ok(Json(json!({
        "days": rows.iter().map(|d| json!({
            "day": d.day.format("%Y-%m-%d").to_string(),
            "subscribes": d.subscribes,
            "unsubscribes": d.unsubscribes,
            "scans": d.scans,
            "events": d.events,
        })).collect::<Vec<_>>(),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_default_to_30_and_stay_within_a_year() {
        assert_eq!(days(None).unwrap(), 30);
        assert_eq!(days(Some("7")).unwrap(), 7);
        assert_eq!(days(Some("366")).unwrap(), 366);
        for bad in ["0", "367", "-1", "x", "1.5"] {
            assert!(days(Some(bad)).is_err(), "{bad}");
        }
    }
}
