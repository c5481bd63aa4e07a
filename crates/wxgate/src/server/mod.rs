//! The HTTP server: the push endpoint, the admin API, health and metrics.
mod accept;
pub mod admin;
mod body;
#[cfg(test)]
mod health_tests;
pub mod metrics;
mod params;
mod push;
pub mod state;

use std::future::Future;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tokio::net::TcpListener;

use crate::webhooks::outbox::{Dispatcher, DispatcherHandle};

pub use state::AppState;

/// The whole router.
pub fn router(state: AppState) -> Router {
    let path = state.config.server.path.clone();
    Router::new()
        .route(
            &path,
            get(push::verify_url)
                .post(push::receive)
                .layer(DefaultBodyLimit::disable()),
        )
        .nest("/api", admin::router(state.clone()))
        .route("/healthz", get(health))
        .route("/metrics", get(render_metrics))
        .merge(crate::dashboard::router())
        .with_state(state)
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

/// Serve on `listener` until `shutdown` resolves; in-flight requests are answered first,
/// then the store is flushed and closed. No background workers: see [`run_with`].
pub async fn run(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    run_with(listener, state, shutdown, Workers::none()).await
}

/// [`run`], with background `workers` that are stopped once the server has drained and
/// before the store closes.
pub async fn run_with(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
    workers: Workers,
) -> std::io::Result<()> {
    let store = state.store.clone();
    seed_replays(&state).await;
    let result = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    workers.stop().await;
    store.close().await;
    result
}

/// Seeds the replay guard with the marks the store kept (the last 10 minutes), so a
/// captured query stays refused across a restart.
async fn seed_replays(state: &AppState) {
    if !state.config.account.refuse_replays {
        return;
    }
    let since = chrono::Utc::now() - crate::store::REPLAY_WINDOW;
    match state.store.replay_marks(since).await {
        Ok(marks) => state.replays.seed(&marks),
        Err(error) => tracing::warn!(%error, "loading the replay guard's marks failed"),
    }
}

/// Background tasks that use the store: the notify-webhook outbox dispatcher.
pub struct Workers {
    outbox: Option<DispatcherHandle>,
}

impl Workers {
    /// No workers (tests of the endpoint alone).
    pub fn none() -> Self {
        Workers { outbox: None }
    }

    /// Start `dispatcher` (tests tune its backoff; `serve` uses [`spawn_workers`]).
    pub fn outbox(dispatcher: Dispatcher) -> Self {
        Workers {
            outbox: Some(dispatcher.spawn()),
        }
    }

    /// Stop them; what they had not finished stays in the store.
    pub async fn stop(self) {
        if let Some(outbox) = self.outbox {
            outbox.stop().await;
        }
    }
}

/// Start the background workers of a serving gateway, with their default tuning.
pub fn spawn_workers(state: &AppState) -> Workers {
    Workers::outbox(Dispatcher::new(state.clone()))
}
