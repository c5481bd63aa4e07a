//! Shared state of the HTTP server, built from the push [`Pipeline`], the account
//! [`Registry`] and the server's own parts; handlers that need only the pipeline take it
//! through [`FromRef`].
use std::sync::Arc;

use axum::extract::FromRef;
use metrics_exporter_prometheus::PrometheusHandle;

use crate::account::{Account, Accounts, Change, Registry};
use crate::config::Config;
use crate::push::Pipeline;
use crate::routing::Routing;
use crate::store::Store;

/// Everything a handler may need; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// the validated config of the start (its accounts, rules and webhooks are those of the
    /// start: the ones in force are the registry's and the routing's)
    pub config: Arc<Config>,
    /// what a verified push goes through
    pub pipeline: Pipeline,
    /// storage, every port: the admin API's handlers use the port each needs, `/healthz` and
    /// shutdown its [`Lifecycle`](crate::store::Lifecycle)
    pub store: Arc<dyn Store>,
    /// the accounts served, swapped whole when they change
    pub registry: Arc<Registry>,
    /// Prometheus exposition
    pub metrics: PrometheusHandle,
    /// failed admin sign-ins per address (429 past the limit)
    pub auth_failures: Arc<super::admin::AuthThrottle>,
    /// the third-party platform of `[open_platform]`, if any
    pub platform: Option<Arc<crate::open::Platform>>,
}

impl AppState {
    /// New state serving `config` through `pipeline` over `store`, its accounts those of
    /// `registry`.
    pub fn new(
        config: Config,
        store: Arc<dyn Store>,
        pipeline: Pipeline,
        registry: Arc<Registry>,
    ) -> Self {
        AppState {
            config: Arc::new(config),
            store,
            pipeline,
            registry,
            metrics: crate::telemetry::metrics::handle(),
            auth_failures: Arc::default(),
            platform: None,
        }
    }

    /// The same state serving `platform` too.
    pub fn with_platform(mut self, platform: Option<Arc<crate::open::Platform>>) -> Self {
        self.platform = platform;
        self
    }

    /// The accounts served now (one snapshot).
    pub fn accounts(&self) -> Arc<Accounts> {
        self.registry.load()
    }

    /// The account served under `name`.
    pub fn account(&self, name: &str) -> Option<Arc<Account>> {
        self.registry.load().get(name).cloned()
    }

    /// The current rules and webhooks.
    pub fn routing(&self) -> Arc<Routing> {
        self.pipeline.routing.current()
    }

    /// Apply a re-read `config` (SIGHUP): its `[[rules]]` and `[[webhooks]]`, and its
    /// accounts — added ones served at once, removed ones no longer (their records kept),
    /// changed keys used from the next push.
    ///
    /// The rules go first: a push to an account just added finds the rules naming it.
    pub async fn reload(&self, config: &Config) -> Change {
        self.pipeline.routing.set(Routing::of(config));
        self.registry.apply(config).await
    }
}

impl FromRef<AppState> for Pipeline {
    fn from_ref(state: &AppState) -> Pipeline {
        state.pipeline.clone()
    }
}
