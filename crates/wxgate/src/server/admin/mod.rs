//! The admin API under `/api`: bearer auth (throttled per address), JSON shaped as the
//! contract says, on every answer.
mod accounts;
mod answers;
mod error;
mod events;
mod followers;
mod json;
mod jssdk;
mod menu;
mod messages;
mod open;
mod openapi;
mod qrcodes;
mod redeem;
mod stats;
mod throttle;
mod token;
mod wechat;
mod wechat_proxy;

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::ApiError;
pub use open::target as open_target;
pub use openapi::document as openapi_document;
pub use throttle::AuthThrottle;

use super::client::ClientAddr;
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
        .routes(routes!(accounts::erase))
        .routes(routes!(messages::queue))
        .routes(routes!(messages::one))
        .routes(routes!(jssdk::config))
        .routes(routes!(jssdk::ticket))
        .routes(routes!(redeem::redeem))
        .routes(routes!(open::authorize_url))
        .routes(routes!(open::authorizers))
        .routes(routes!(open::sync))
        .routes(routes!(open::component_token))
        // A wildcard path, which `routes!` cannot register: documented through
        // `openapi::Fixed`'s `paths(...)` instead.
        .route(
            "/wechat/{*path}",
            get(wechat_proxy::forward).post(wechat_proxy::forward),
        )
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

/// 404 for everything when no admin token is configured; 401 without a token (always: no
/// credential is no guess) or with a wrong one; 429 (with `Retry-After`) for a token presented
/// by a client past [`throttle::MAX_FAILURES`] failed attempts in the last minute (the client
/// as `[server] trusted_proxies` makes it out). A success clears nothing: another credential's
/// failures keep counting. The scheme `Bearer` is matched in any case.
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
        .get::<ClientAddr>()
        .map_or(throttle::UNKNOWN, |c| c.0);
    // No credential is no guess: 401, whether or not the client is locked out, and it does
    // not count as a failure.
    let Some(authorization) = req.headers().get(header::AUTHORIZATION) else {
        return Err(ApiError::Unauthorized);
    };
    let now = Instant::now();
    if let Some(retry_after) = app.auth_failures.locked(addr, now) {
        tracing::debug!("sign-in refused: too many failed attempts from this client");
        return Err(ApiError::TooManyAttempts { retry_after });
    }
    let presented = bearer_token(authorization.to_str().unwrap_or(""));
    let Some(caller) = presented.and_then(|token| caller(&app, expected, token)) else {
        if app.auth_failures.failed(addr, now) {
            tracing::warn!(
                "{} failed sign-ins within {} s from this client: it gets 429 until they age out",
                throttle::MAX_FAILURES,
                throttle::WINDOW.as_secs()
            );
        }
        return Err(ApiError::Unauthorized);
    };
    if caller == Caller::Service && !service_may_use(req.uri().path()) {
        return Err(ApiError::Forbidden(
            "a service token may use only /api/access_token, /api/wechat/*, /api/messages/*, \
             /api/jssdk/*, /api/oauth/redeem and /api/open/component_access_token"
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

/// The paths (under `/api`) a service token may use (the OpenAPI document says the same).
pub(super) fn service_may_use(path: &str) -> bool {
    path == "/access_token"
        || path == "/oauth/redeem"
        || path.starts_with("/wechat/")
        || path.starts_with("/messages/")
        || path.starts_with("/jssdk/")
        || path == "/open/component_access_token"
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
