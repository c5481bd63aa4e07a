//! `/api/stats` and `/api/stats/daily`.
use axum::extract::{Query, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::json::ErrorBody;
use super::ApiError;
use crate::server::state::AppState;

/// `GET /api/stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Totals {
    /// follower counts
    followers: FollowerTotals,
    /// events stored
    events: i64,
    /// every scene with counters or a QR code, ordered by scene
    scenes: Vec<SceneTotals>,
}

/// Follower counts of `GET /api/stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowerTotals {
    /// followers who follow now
    subscribed: i64,
    /// followers known
    total: i64,
}

/// One scene's anonymous counters, kept after its users are forgotten.
#[derive(Debug, Serialize, ToSchema)]
pub struct SceneTotals {
    /// the scene
    scene: String,
    /// the label of the QR code recorded for it
    label: Option<String>,
    /// follows through the scene (subscribe with `qrscene_S`)
    subscribes: i64,
    /// scans by users who already followed (SCAN)
    scans: i64,
    /// unfollows of users who came through the scene
    unsubscribes: i64,
}

/// `GET /api/stats`
#[utoipa::path(get, path = "/stats", tag = "stats",
    responses((status = 200, description = "follower, event and per-scene totals", body = Totals)))]
pub async fn totals(State(app): State<AppState>) -> Result<Json<Totals>, ApiError> {
    let s = app.store.stats().await?;
    Ok(Json(Totals {
        followers: FollowerTotals {
            subscribed: s.subscribed,
            total: s.total,
        },
        events: s.events,
        scenes: s
            .scenes
            .into_iter()
            .map(|sc| SceneTotals {
                scene: sc.scene,
                label: sc.label,
                subscribes: sc.subscribes,
                scans: sc.scans,
                unsubscribes: sc.unsubscribes,
            })
            .collect(),
    }))
}

/// Days of `GET /api/stats/daily` without `days`.
const DEFAULT_DAYS: u32 = 30;
/// Most days one call covers.
const MAX_DAYS: u32 = 366;

/// Query of `GET /api/stats/daily`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// how many UTC days, today's the last: default 30
    #[param(value_type = Option<u32>, minimum = 1, maximum = 366)]
    days: Option<String>,
    /// only this scene's subscribes, unsubscribes and scans
    scene: Option<String>,
}

/// `GET /api/stats/daily`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Daily {
    /// every day, oldest first, the last being today (UTC)
    days: Vec<Day>,
}

/// One UTC day's anonymous counters.
#[derive(Debug, Serialize, ToSchema)]
pub struct Day {
    /// the UTC day, `YYYY-MM-DD`
    #[schema(format = Date)]
    day: String,
    /// follows (of the scene, when narrowed to one)
    subscribes: i64,
    /// unfollows (of users who came through the scene, when narrowed to one)
    unsubscribes: i64,
    /// scans by users who already followed
    scans: i64,
    /// pushes received (all scenes)
    events: i64,
}

/// `days`: default 30, 1 to 366.
fn days(raw: Option<&str>) -> Result<u32, ApiError> {
    match raw {
        None => Ok(DEFAULT_DAYS),
        Some(text) => match text.parse::<u32>() {
            Ok(n) if (1..=MAX_DAYS).contains(&n) => Ok(n),
            _ => Err(ApiError::BadRequest(format!(
                "days: must be a whole number from 1 to {MAX_DAYS}"
            ))),
        },
    }
}

/// `GET /api/stats/daily?days=N&scene=S`: the anonymous counters of the last N UTC days,
/// oldest first, the last being today, every day present.
#[utoipa::path(get, path = "/stats/daily", tag = "stats", params(DailyQuery),
    responses(
        (status = 200, description = "the counters of every day", body = Daily),
        (status = 400, description = "`days` out of range", body = ErrorBody),
    ))]
pub async fn daily(
    State(app): State<AppState>,
    Query(query): Query<DailyQuery>,
) -> Result<Json<Daily>, ApiError> {
    let days = days(query.days.as_deref())?;
    let scene = query.scene.as_deref().filter(|scene| !scene.is_empty());
    let rows = app.store.daily(chrono::Utc::now(), days, scene).await?;
    Ok(Json(Daily {
        days: rows
            .into_iter()
            .map(|d| Day {
                day: d.day.format("%Y-%m-%d").to_string(),
                subscribes: d.subscribes,
                unsubscribes: d.unsubscribes,
                scans: d.scans,
                events: d.events,
            })
            .collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_default_to_30_and_stay_within_a_year() {
        assert_eq!(days(None).unwrap(), 30);
        assert_eq!(days(Some("7")).unwrap(), 7);
        assert_eq!(days(Some("366")).unwrap(), 366);
        for bad in ["", "0", "367", "-1", "x", "1.5"] {
            assert!(days(Some(bad)).is_err(), "{bad}");
        }
    }
}
