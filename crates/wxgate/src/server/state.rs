//! Shared state of the HTTP server, built from the push [`Pipeline`] and the server's own
//! parts; handlers that need only the pipeline take it through [`FromRef`].
use std::sync::Arc;

use axum::extract::FromRef;
use metrics_exporter_prometheus::PrometheusHandle;
use wechat_api::ApiClient;

use crate::config::Config;
use crate::push::replay::ReplayGuard;
use crate::push::Pipeline;
use crate::routing::Routing;
use crate::store::Store;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// the validated config (its rules/webhooks are those of the start; see `routing`)
    pub config: Arc<Config>,
    /// what a verified push goes through
    pub pipeline: Pipeline,
    /// storage (the pipeline's), read by the admin API
    pub store: Arc<dyn Store>,
    /// recent signature triples
    pub replays: Arc<ReplayGuard>,
    /// the account's WeChat API client, when the account has an appsecret
    pub api: Option<Arc<ApiClient>>,
    /// Prometheus exposition
    pub metrics: PrometheusHandle,
    /// failed admin sign-ins per address (429 past the limit)
    pub auth_failures: Arc<super::admin::AuthThrottle>,
}

impl AppState {
    /// New state serving `config` through `pipeline`.
    pub fn new(config: Config, pipeline: Pipeline) -> Self {
        AppState {
            config: Arc::new(config),
            store: Arc::clone(&pipeline.store),
            pipeline,
            replays: Arc::default(),
            api: None,
            metrics: crate::telemetry::metrics::handle(),
            auth_failures: Arc::default(),
        }
    }

    /// The same state with the account's API client (`/api/qrcodes`, `/api/menu`,
    /// `/api/access_token` answer 503 without one).
    pub fn with_api(mut self, api: Option<Arc<ApiClient>>) -> Self {
        self.api = api;
        self
    }

    /// The current rules and webhooks.
    pub fn routing(&self) -> Arc<Routing> {
        self.pipeline.routing.current()
    }

    /// Swap in `config`'s rules and webhooks (SIGHUP).
    pub fn set_routing(&self, config: &Config) {
        self.pipeline.routing.set(Routing::of(config));
    }
}

impl FromRef<AppState> for Pipeline {
    fn from_ref(state: &AppState) -> Pipeline {
        state.pipeline.clone()
    }
}
