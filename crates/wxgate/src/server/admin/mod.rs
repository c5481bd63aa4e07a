//! The admin API under `/api`: bearer auth (throttled per address), JSON shaped as the
//! contract says, on every answer.
mod answers;
mod error;
mod events;
mod followers;
mod json;
mod menu;
mod messages;
mod qrcodes;
mod stats;
mod throttle;
mod token;
mod wechat;
mod wechat_proxy;

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

pub use error::ApiError;
pub use throttle::AuthThrottle;

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
        .route("/messages/template", post(messages::queue))
        .route("/messages/{id}", get(messages::one))
        .route(
            "/wechat/{*path}",
            get(wechat_proxy::forward).post(wechat_proxy::forward),
        )
        .fallback(|| async { ApiError::NotFound })
        .layer(middleware::from_fn_with_state(state.clone(), bearer))
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
    let presented = bearer_token(authorization.to_str().unwrap_or(""));
    let Some(caller) = presented.and_then(|token| caller(&app, expected, token)) else {
        app.auth_failures.failed(addr, now);
        return Err(ApiError::Unauthorized);
    };
    app.auth_failures.succeeded(addr);
    if caller == Caller::Service && !service_may_use(req.uri().path()) {
        return Err(ApiError::Forbidden(
            "a service token may use only /api/access_token, /api/wechat/* and /api/messages/*"
                .into(),
        ));
    }
    Ok(next.run(req).await)
}

/// Who presented a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// `[admin] token`: everything
    Admin,
    /// one of `[admin] service_tokens`: the account's other services
    Service,
}

/// Whose token `token` is, every configured token compared (in constant time each).
fn caller(app: &AppState, admin: &crate::config::Secret, token: &str) -> Option<Caller> {
    let service = app
        .config
        .admin
        .service_tokens
        .iter()
        .fold(false, |found, t| t.matches(token) | found);
    if admin.matches(token) {
        Some(Caller::Admin)
    } else if service {
        Some(Caller::Service)
    } else {
        None
    }
}

/// The paths (under `/api`) a service token may use.
fn service_may_use(path: &str) -> bool {
    path == "/access_token" || path.starts_with("/wechat/") || path.starts_with("/messages/")
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
