//! The HTTP server: the push endpoint, the admin API, health and metrics.
mod accept;
pub mod admin;
mod body;
pub mod client;
mod fdlimit;
#[cfg(test)]
mod health_tests;
mod listen;
#[cfg(test)]
mod log_tests;
mod oauth;
mod open;
mod params;
mod push;
mod refusal;
#[cfg(test)]
mod replay_tests;
mod slots;
pub mod state;
mod watch;

use std::future::Future;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::webhooks::outbox::{Dispatcher, DispatcherHandle};

pub use state::AppState;

/// The whole router: the push paths (`{server.path}` for a lone `[account]`,
/// `{server.path}/{name}` for each of `[[accounts]]`, the account looked up in the registry
/// at each push), the web sign-in (`/oauth/...`, 404 without `[web]`), the admin API,
/// health, metrics, the dashboard; every request first gets its [`client::ClientAddr`] (and a
/// `request{client}` span).
pub fn router(state: AppState) -> Router {
    let lone = state.config.server.path.clone();
    let named = format!("{}/{{name}}", lone.trim_end_matches('/'));
    let trusted = state.config.server.trusted_proxies.clone();
    Router::new()
        .route(
            &lone,
            get(push::verify_lone)
                .post(push::receive_lone)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            &named,
            get(push::verify_named)
                .post(push::receive_named)
                .layer(DefaultBodyLimit::disable()),
        )
        .route(
            &format!("{}/open", lone.trim_end_matches('/')),
            axum::routing::post(open::events).layer(DefaultBodyLimit::disable()),
        )
        .route(
            &format!("{}/open/authorized", lone.trim_end_matches('/')),
            get(open::authorized),
        )
        .route(
            &format!("{}/open/{{appid}}", lone.trim_end_matches('/')),
            axum::routing::post(open::account_push).layer(DefaultBodyLimit::disable()),
        )
        .merge(oauth::router())
        .nest("/api", admin::router(state.clone()))
        .route("/healthz", get(health))
        .route("/metrics", get(render_metrics))
        .merge(crate::dashboard::router())
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            trusted,
            client::identify,
        ))
}

/// `ok`, or 503 with the reason while the store cannot write.
async fn health(State(app): State<AppState>) -> axum::response::Response {
    match app.store.health() {
        Ok(()) => "ok".into_response(),
        Err(reason) => (axum::http::StatusCode::SERVICE_UNAVAILABLE, reason).into_response(),
    }
}

async fn render_metrics(State(app): State<AppState>) -> impl IntoResponse {
    app.metrics.run_upkeep();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
}

/// Serve on `listener` with background `workers` until `shutdown` resolves; in-flight
/// requests are answered first, then the store is flushed and closed.
///
/// This is the one owner of shutdown. When `shutdown` resolves, within
/// `[server] shutdown_timeout_s` whatever clients do:
/// 1. stop accepting, ask every connection to finish its request (until 60 % of the grace
///    period, then the connections still open are dropped);
/// 2. let the pushes being recorded finish, stop the outbox dispatcher, and cancel and await
///    every background task (late replies, call webhooks, reload and purge loops) — until
///    85 %;
/// 3. close the store last (flushing its writer) in what is left.
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    workers: Workers,
) -> std::io::Result<()> {
    let server = &state.config.server;
    let (header_timeout, grace) = (server.header_timeout, server.shutdown_timeout);
    let max_connections = fdlimit::fit(server.max_connections);
    let store = state.store.clone();
    let tasks = state.pipeline.tasks.clone();
    tasks.spawn_background(crate::telemetry::metrics::upkeep(state.metrics.clone()));
    let stop = CancellationToken::new();
    let serving = tokio::spawn(listen::serve(
        listener,
        router(state),
        header_timeout,
        max_connections,
        stop.clone(),
    ));
    shutdown.await;
    let started = Instant::now();
    let by = |share: u32| started + grace * share / 100;
    stop.cancel();
    let connections = serving.await.map_err(std::io::Error::other)?;
    connections.drain(grace * 60 / 100).await;
    let left = |until: Instant| until.saturating_duration_since(Instant::now());
    if tokio::time::timeout(left(by(85)), workers.stop())
        .await
        .is_err()
    {
        tracing::warn!("shutdown: the outbox dispatcher did not stop in time");
    }
    if !tasks.stop(left(by(85))).await {
        tracing::warn!(
            running = tasks.len(),
            "shutdown: tasks still running at the end of their grace period"
        );
    }
    let close_by = left(by(100)).max(Duration::from_millis(100));
    if tokio::time::timeout(close_by, store.close()).await.is_err() {
        tracing::warn!("shutdown: the store did not close in time");
    }
    Ok(())
}

/// Background tasks that use the store: the notify-webhook outbox dispatcher.
pub struct Workers {
    outbox: DispatcherHandle,
}

impl Workers {
    /// Start `dispatcher`.
    pub fn start(dispatcher: Dispatcher) -> Self {
        Workers {
            outbox: dispatcher.spawn(),
        }
    }

    /// Stop them; what they had not finished stays in the store.
    pub async fn stop(self) {
        self.outbox.stop().await;
    }
}
