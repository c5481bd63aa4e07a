//! [`Application`]: the gateway built from a validated config — the one way `serve` and every
//! test build it.
//!
//! ```text
//! build: bind [server] listen → open the store → the account Registry (each Account's API
//!        client and senders made on first use) → routing → Pipeline → AppState
//!        → outbox Dispatcher
//!        → the open platform ([open_platform]: its authorizers loaded into the registry)
//! run:   purge loop (retain_events), sign-in sweep ([web]), revoked-account sweep
//!        ([open_platform]) → server::run (the owner of shutdown)
//! ```
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use crate::account::{Parts, Registry};
use crate::config::{Config, ConfigError};
use crate::jobs::TemplateRunner;
use crate::push::Pipeline;
use crate::routing::{Routing, RoutingHandle};
use crate::server::{self, AppState, Workers};
use crate::store::{
    self, Erasure, JobQueue, PushLog, Store, StoreError, TemplateMessages, WebStore,
};
use crate::webhooks::outbox::Dispatcher;

/// Why the gateway could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// `[server] listen` could not be bound (taken, no permission, ...)
    #[error("cannot listen on {addr} ([server] listen, or WXGATE_LISTEN): {source}")]
    Listen {
        /// the address in the config
        addr: SocketAddr,
        /// what the OS said
        #[source]
        source: std::io::Error,
    },
    /// the store could not be opened or migrated
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// a config value the build found unusable (e.g. `wechat_api.base_url`)
    #[error("config: {0}")]
    Config(#[from] ConfigError),
}

/// A built gateway: bound, its store open, not yet serving.
pub struct Application {
    listener: TcpListener,
    local: SocketAddr,
    state: AppState,
    dispatcher: Dispatcher,
}

impl Application {
    /// Bind `[server] listen`, then open the store of `[storage] url` and build the rest.
    ///
    /// The port is bound first: a port already taken stops the build before it creates or
    /// migrates a database.
    pub async fn build(config: Config) -> Result<Application, BuildError> {
        let listener = bind(&config).await?;
        let store = store::open(&config.storage.url).await?;
        Application::assemble(config, listener, store).await
    }

    /// [`Application::build`] on a store opened by the caller (a test that injects faults
    /// into it).
    pub async fn build_on(
        config: Config,
        store: Arc<dyn Store>,
    ) -> Result<Application, BuildError> {
        let listener = bind(&config).await?;
        Application::assemble(config, listener, store).await
    }

    async fn assemble(
        config: Config,
        listener: TcpListener,
        store: Arc<dyn Store>,
    ) -> Result<Application, BuildError> {
        let local = listener.local_addr().map_err(|source| BuildError::Listen {
            addr: config.server.listen,
            source,
        })?;
        // The API's base URL is checked once here, on the first account with an appsecret:
        // each account's client is made on first use, when it could no longer stop the build.
        if let Some(account) = config.accounts.iter().find(|a| a.appsecret.is_some()) {
            let base = &config.api_base_url;
            if let Err(e) = crate::api::account_client(base, account, Arc::clone(&store)) {
                store.close().await;
                return Err(e.into());
            }
        }
        let routing = RoutingHandle::new(Routing::of(&config));
        let pipeline = Pipeline::new(
            Arc::clone(&store) as Arc<dyn PushLog>,
            Arc::clone(&store) as Arc<dyn TemplateMessages>,
            routing.clone(),
            config.server.reply_deadline,
        );
        let registry =
            Arc::new(Registry::start(&config, Parts::of(&config, Arc::clone(&store))).await);
        let state_store = Arc::clone(&store);
        let dispatcher = Dispatcher::new(
            Arc::clone(&store) as Arc<dyn JobQueue>,
            routing,
            pipeline.http.clone(),
            Arc::clone(&pipeline.outbox),
        )
        .templates(Arc::clone(&registry) as Arc<dyn TemplateRunner>);
        let platform = match config.open_platform.clone() {
            None => None,
            Some(open) => {
                let base = config.api_base_url.clone();
                let started = crate::open::Platform::start(
                    open,
                    &base,
                    Arc::clone(&state_store),
                    Arc::clone(&registry),
                )
                .await;
                match started {
                    Ok(platform) => Some(platform),
                    Err(crate::open::PlatformStartError::Config(e)) => {
                        state_store.close().await;
                        return Err(e.into());
                    }
                    Err(crate::open::PlatformStartError::Store(e)) => {
                        state_store.close().await;
                        return Err(e.into());
                    }
                }
            }
        };
        let state = AppState::new(config, store, pipeline, registry).with_platform(platform);
        Ok(Application {
            listener,
            local,
            state,
            dispatcher,
        })
    }

    /// The address it listens on (the port the OS chose for `:0`).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The server's state: config, pipeline, store, routing.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Change the outbox dispatcher's tuning (tests shorten its backoff and intervals).
    pub fn tune_outbox(mut self, tune: impl FnOnce(Dispatcher) -> Dispatcher) -> Self {
        self.dispatcher = tune(self.dispatcher);
        self
    }

    /// Serve until `shutdown` resolves, then stop as `server::run` says and close the store.
    /// Events older than `[storage] retain_events` are purged at start and hourly; with
    /// `[web]`, expired sign-in states and tickets every minute.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state;
        if let Some(retain) = state.config.storage.retain_events {
            state.pipeline.tasks.spawn_background(purge_old_events(
                Arc::clone(&state.store) as Arc<dyn Erasure>,
                retain,
            ));
        }
        if state.config.web.is_some() {
            state
                .pipeline
                .tasks
                .spawn_background(crate::web::signin::sweep(
                    Arc::clone(&state.store) as Arc<dyn WebStore>,
                    SWEEP_SIGN_INS_EVERY,
                ));
        }
        if let Some(platform) = &state.platform {
            state
                .pipeline
                .tasks
                .spawn_background(crate::open::sweep_loop(Arc::clone(platform)));
            state
                .pipeline
                .tasks
                .spawn_background(crate::open::reconcile_loop(Arc::clone(platform)));
        }
        let workers = Workers::start(self.dispatcher);
        server::run(self.listener, state, shutdown, workers).await
    }
}

/// How often expired sign-in states and tickets are deleted (with `[web]`).
const SWEEP_SIGN_INS_EVERY: Duration = Duration::from_secs(60);

async fn bind(config: &Config) -> Result<TcpListener, BuildError> {
    TcpListener::bind(config.server.listen)
        .await
        .map_err(|source| BuildError::Listen {
            addr: config.server.listen,
            source,
        })
}

/// Delete events older than `retain`, at start and then hourly.
async fn purge_old_events(store: Arc<dyn Erasure>, retain: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let cutoff = chrono::Utc::now()
            - chrono::Duration::from_std(retain).unwrap_or(chrono::Duration::MAX);
        match store.purge_events(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "purged events past retain_events"),
            Err(e) => tracing::warn!(error = %e, "purging old events failed"),
        }
    }
}
