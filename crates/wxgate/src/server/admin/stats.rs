//! `/api/stats`.
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use super::ApiError;
use crate::server::state::AppState;

/// `GET /api/stats`
pub async fn totals(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let s = app.store.stats().await?;
    Ok(Json(json!({
        "followers": { "subscribed": s.subscribed, "total": s.total },
        "events": s.events,
        "scenes": s.scenes.iter().map(|sc| json!({
            "scene": sc.scene,
            "label": sc.label,
            "subscribes": sc.subscribes,
            "scans": sc.scans,
        })).collect::<Vec<_>>(),
    })))
}
