//! The admin API under `/api`: bearer auth, JSON shaped as the contract says.
mod error;
mod events;
mod followers;
mod json;
mod menu;
mod qrcodes;
mod stats;
mod token;
mod wechat;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

pub use error::ApiError;

use super::state::AppState;

/// `/api/*` routes (without the `/api` prefix), behind the bearer check.
pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/followers/{openid}",
            get(followers::one).delete(followers::forget),
        )
        .route("/followers", get(followers::page))
        .route("/events", get(events::page))
        .route("/stats", get(stats::totals))
        .route("/stats/daily", get(stats::daily))
        .route("/qrcodes", post(qrcodes::create).get(qrcodes::list))
        .route("/qrcodes/{file}", get(qrcodes::image))
        .route(
            "/menu",
            get(menu::show).put(menu::replace).delete(menu::delete),
        )
        .route("/access_token", get(token::current))
        .fallback(|| async { ApiError::NotFound })
        .layer(middleware::from_fn_with_state(state, bearer))
}

/// 404 for everything when no admin token is configured; 401 without the right token.
async fn bearer(
    State(app): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(expected) = &app.config.admin.token else {
        return Err(ApiError::NotFound);
    };
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    match presented {
        Some(token) if expected.matches(token) => Ok(next.run(req).await),
        _ => Err(ApiError::Unauthorized),
    }
}
