//! Shared state of the HTTP server.
use std::sync::{Arc, RwLock};

use metrics_exporter_prometheus::PrometheusHandle;
use wechat_api::ApiClient;

use crate::config::{Config, WebhookConfig};
use crate::push::inflight::Inflight;
use crate::push::late::LateSender;
use crate::push::replay::ReplayGuard;
use crate::rules::RuleSet;
use crate::store::Store;
use crate::tasks::Tasks;

/// Rules and webhooks: what SIGHUP swaps.
#[derive(Debug, Clone)]
pub struct Routing {
    /// compiled rules
    pub rules: Arc<RuleSet>,
    /// webhooks the rules refer to by index
    pub webhooks: Arc<Vec<WebhookConfig>>,
}

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// the validated config (its rules/webhooks are those of the start; see `routing`)
    pub config: Arc<Config>,
    /// current rules and webhooks
    pub routing: Arc<RwLock<Arc<Routing>>>,
    /// storage
    pub store: Arc<dyn Store>,
    /// pushes in flight
    pub inflight: Arc<Inflight>,
    /// recent signature triples
    pub replays: Arc<ReplayGuard>,
    /// HTTP client for webhooks
    pub http: reqwest::Client,
    /// customer-service sender for late replies, when the account has an appsecret
    pub late: Option<Arc<dyn LateSender>>,
    /// the account's WeChat API client, when the account has an appsecret
    pub api: Option<Arc<ApiClient>>,
    /// Prometheus exposition
    pub metrics: PrometheusHandle,
    /// poked after a commit that wrote notify-webhook deliveries (wakes the dispatcher)
    pub outbox: Arc<tokio::sync::Notify>,
    /// every task spawned for a push or in the background, stopped by shutdown
    pub tasks: Tasks,
    /// failed admin sign-ins per address (429 past the limit)
    pub auth_failures: Arc<super::admin::AuthThrottle>,
}

impl AppState {
    /// New state from a config and an open store.
    pub fn new(config: Config, store: Arc<dyn Store>, late: Option<Arc<dyn LateSender>>) -> Self {
        let routing = Routing {
            rules: Arc::clone(&config.rules),
            webhooks: Arc::clone(&config.webhooks),
        };
        AppState {
            config: Arc::new(config),
            routing: Arc::new(RwLock::new(Arc::new(routing))),
            store,
            inflight: Arc::default(),
            replays: Arc::default(),
            http: reqwest::Client::new(),
            late,
            api: None,
            metrics: crate::telemetry::metrics::handle(),
            outbox: Arc::default(),
            tasks: Tasks::default(),
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
        // The lock only guards an Arc swap and is never held across an await.
        match self.routing.read() {
            Ok(r) => Arc::clone(&r),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Swap in new rules and webhooks (SIGHUP).
    pub fn set_routing(&self, config: &Config) {
        let routing = Arc::new(Routing {
            rules: Arc::clone(&config.rules),
            webhooks: Arc::clone(&config.webhooks),
        });
        match self.routing.write() {
            Ok(mut r) => *r = routing,
            Err(poisoned) => *poisoned.into_inner() = routing,
        }
    }
}
