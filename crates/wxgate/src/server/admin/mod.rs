//! The admin API under `/api`: bearer auth (throttled per address), JSON shaped as the
//! contract says, on every answer.
mod accounts;
mod answers;
mod error;
mod events;
mod followers;
mod json;
mod menu;
mod openapi;
mod qrcodes;
mod stats;
mod throttle;
mod token;
mod wechat;

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::ApiError;
pub use openapi::document as openapi_document;
pub use throttle::AuthThrottle;

use super::state::AppState;

/// The authenticated `/api/*` routes (without the `/api` prefix), each registered with axum
/// and with the OpenAPI document at once: a handler annotated with `#[utoipa::path(...)]` is
/// added by one line here (handlers of one path share a line). See `openapi.rs`.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(followers::one_follower, followers::forget))
        .routes(routes!(followers::page))
        .routes(routes!(events::page))
        .routes(routes!(stats::totals))
        .routes(routes!(stats::daily))
        .routes(routes!(qrcodes::create, qrcodes::list))
        .routes(routes!(qrcodes::image))
        .routes(routes!(menu::show, menu::replace, menu::delete))
        .routes(routes!(token::current))
        .routes(routes!(accounts::list))
}

/// `/api/*` (without the `/api` prefix): [`routes`] behind the bearer check, and the
/// OpenAPI document without it.
pub fn router(state: AppState) -> Router<AppState> {
    let (authenticated, _) = routes().split_for_parts();
    let authenticated = authenticated
        .fallback(|| async { ApiError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), bearer));
    Router::new()
        .route("/openapi.json", get(openapi::serve))
        .merge(authenticated)
        .layer(middleware::from_fn_with_state(state, answers::json_answers))
}

/// 404 for everything when no admin token is configured; 401 without the right token; 429
/// (with `Retry-After`) for an address past [`throttle::MAX_FAILURES`] failed attempts in a
/// minute. The scheme `Bearer` is matched in any case.
async fn bearer(
    State(app): State<AppState>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let Some(expected) = &app.config.admin.token else {
        return Err(ApiError::NotFound);
    };
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(throttle::UNKNOWN, |c| c.0.ip());
    let now = Instant::now();
    if let Some(retry_after) = app.auth_failures.locked(addr, now) {
        return Err(ApiError::TooManyAttempts { retry_after });
    }
    let Some(authorization) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::Unauthorized);
    };
    match bearer_token(authorization.to_str().unwrap_or("")) {
        Some(token) if expected.matches(token) => {
            app.auth_failures.succeeded(addr);
            Ok(next.run(req).await)
        }
        _ => {
            app.auth_failures.failed(addr, now);
            Err(ApiError::Unauthorized)
        }
    }
}

/// The token of `Bearer TOKEN`, the scheme in any case.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(char::is_whitespace)?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn the_scheme_is_matched_in_any_case() {
        for v in [
            "Bearer t",
            "bearer t",
            "BEARER t",
            "bEaReR  t ",
            "Bearer\tt",
        ] {
            assert_eq!(bearer_token(v), Some("t"), "{v:?}");
        }
        for v in ["Basic t", "Bearert", "t", ""] {
            assert_eq!(bearer_token(v), None, "{v:?}");
        }
    }
}
