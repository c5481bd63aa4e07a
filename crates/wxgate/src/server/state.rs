//! Shared state of the HTTP server, built from the push [`Pipeline`] and the server's own
//! parts; handlers that need only the pipeline take it through [`FromRef`].
use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::FromRef;
use metrics_exporter_prometheus::PrometheusHandle;
use wechat_api::ApiClient;

use crate::config::{AccountConfig, Config};
use crate::push::replay::ReplayGuard;
use crate::push::Pipeline;
use crate::routing::Routing;
use crate::store::Store;

/// One account's runtime parts beside its config: the replay guard of its push path and its
/// WeChat API client.
pub struct AccountState {
    /// its config (name, push path, token, keys, mode, skew, replays)
    pub config: Arc<AccountConfig>,
    /// recent signature triples of pushes to it
    pub replays: ReplayGuard,
    /// its WeChat API client, when it has an appsecret
    pub api: Option<Arc<ApiClient>>,
}

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// the validated config (its rules/webhooks are those of the start; see `routing`)
    pub config: Arc<Config>,
    /// what a verified push goes through
    pub pipeline: Pipeline,
    /// storage (the pipeline's), read by the admin API
    pub store: Arc<dyn Store>,
    /// the accounts, in config order, with their runtime parts
    pub accounts: Arc<Vec<Arc<AccountState>>>,
    /// Prometheus exposition
    pub metrics: PrometheusHandle,
    /// failed admin sign-ins per address (429 past the limit)
    pub auth_failures: Arc<super::admin::AuthThrottle>,
}

impl AppState {
    /// New state serving `config` through `pipeline`; `apis` are the API clients of the
    /// accounts that have an appsecret, by name (`/api/qrcodes`, `/api/menu`,
    /// `/api/access_token` answer 503 for an account without one).
    pub fn new(
        config: Config,
        pipeline: Pipeline,
        mut apis: HashMap<String, Arc<ApiClient>>,
    ) -> Self {
        let accounts = config
            .accounts
            .iter()
            .map(|account| {
                Arc::new(AccountState {
                    config: Arc::new(account.clone()),
                    replays: ReplayGuard::default(),
                    api: apis.remove(&account.name),
                })
            })
            .collect();
        crate::telemetry::metrics::register_accounts(
            config
                .accounts
                .iter()
                .map(|account| account.metric_label.as_deref()),
        );
        AppState {
            config: Arc::new(config),
            store: Arc::clone(&pipeline.store),
            pipeline,
            accounts: Arc::new(accounts),
            metrics: crate::telemetry::metrics::handle(),
            auth_failures: Arc::default(),
        }
    }

    /// The account named `name`.
    pub fn account(&self, name: &str) -> Option<&Arc<AccountState>> {
        self.accounts.iter().find(|a| a.config.name == name)
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
