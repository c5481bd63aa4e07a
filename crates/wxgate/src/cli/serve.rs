//! `wxgate serve`.
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::Failure;
use crate::config;
use crate::push::late::LateSender;
use crate::server::{self, AppState};
use crate::{shutdown, store};

/// Load the config, bind the port, open the store, serve until SIGINT/SIGTERM.
///
/// The port is bound before the store is opened: a port already taken stops `serve` before
/// it creates or migrates a database.
pub async fn run(config_path: Option<&Path>) -> Result<(), Failure> {
    let (raw, source) = config::read_raw(config_path)?;
    let secrets_in_file = source.file.is_some() && raw.holds_secrets();
    let config = config::Config::from_raw(raw, &source.base_dir, |k| std::env::var(k).ok())?;
    super::checks::before_serving(&config, source.file.as_deref(), secrets_in_file)?;
    let listener = TcpListener::bind(config.server.listen)
        .await
        .map_err(|e| Failure::other(format!("cannot listen on {}: {e}", config.server.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::other(format!("listener: {e}")))?;
    let store = store::open(&config.storage.url)
        .await
        .map_err(|e| Failure::other(format!("storage: {e}")))?;
    let api = match crate::api::client(&config, &config.accounts[0], store.clone()) {
        Ok(api) => api,
        Err(e) => {
            store.close().await;
            return Err(e.into());
        }
    };
    let retain = config.storage.retain_events;
    let late = api.clone().map(|client| {
        Arc::new(crate::api::CustomServiceSender::new(client)) as Arc<dyn LateSender>
    });
    let state = AppState::new(config, store, late).with_api(api);
    // SIGHUP is caught from here on: one sent as soon as the URL line shows must not kill us.
    let reload = reload_on_hangup(state.clone(), source.file);
    println!(
        "wxgate: push URL http://{local}{} ({:?} mode, {} rules)",
        state.config.server.path,
        state.config.accounts[0].security,
        state.routing().rules.len()
    );
    tracing::info!(%local, "listening");
    state.tasks.spawn_background(reload);
    if let Some(retain) = retain {
        state
            .tasks
            .spawn_background(purge_old_events(state.clone(), retain));
    }
    let workers = server::spawn_workers(&state);
    server::run_with(listener, state, shutdown::signal(), workers)
        .await
        .map_err(|e| Failure::other(format!("server: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGHUP: re-read the config and swap `[[rules]]` and `[[webhooks]]`; a config that does
/// not validate is refused (logged) and the old one kept. The handler is installed when this is
/// called, not when the returned future first runs.
fn reload_on_hangup(
    state: AppState,
    file: Option<std::path::PathBuf>,
) -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    async move {
        #[cfg(unix)]
        {
            let Ok(mut hup) = hup else {
                return;
            };
            while hup.recv().await.is_some() {
                match config::load(file.as_deref()) {
                    Ok((fresh, _)) => {
                        state.set_routing(&fresh);
                        tracing::info!(
                            rules = fresh.rules.len(),
                            webhooks = fresh.webhooks.len(),
                            "SIGHUP: rules and webhooks reloaded"
                        );
                        let skipped = super::reload::not_applied(&state.config, &fresh);
                        if !skipped.is_empty() {
                            tracing::warn!(
                                keys = %skipped.join(", "),
                                "SIGHUP: changed but not applied until a restart"
                            );
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "SIGHUP: new config refused, keeping the old one")
                    }
                }
            }
        }
        #[cfg(not(unix))]
        {
            let _ = (state, file);
        }
    }
}

/// Delete events older than `retain`, at start and then hourly.
async fn purge_old_events(state: AppState, retain: Duration) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let cutoff = chrono::Utc::now()
            - chrono::Duration::from_std(retain).unwrap_or(chrono::Duration::MAX);
        match state.store.purge_events(cutoff).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "purged events past retain_events"),
            Err(e) => tracing::warn!(error = %e, "purging old events failed"),
        }
    }
}
