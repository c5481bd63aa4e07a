//! `wxgate serve`.
use std::path::Path;

use super::Failure;
use crate::app::{Application, BuildError};
use crate::config;
use crate::server::AppState;
use crate::shutdown;

/// Load the config, build the app (which binds the port before it opens the store), serve
/// until SIGINT/SIGTERM.
pub async fn run(config_path: Option<&Path>) -> Result<(), Failure> {
    let (raw, source) = config::read_raw(config_path)?;
    let secrets_in_file = source.file.is_some() && raw.holds_secrets();
    let config = config::Config::from_raw(raw, &source.base_dir, |k| std::env::var(k).ok())?;
    super::checks::before_serving(&config, source.file.as_deref(), secrets_in_file)?;
    let app = Application::build(config).await.map_err(|e| match e {
        BuildError::Config(e) => Failure::from(e),
        other => Failure::other(other),
    })?;
    let state = app.state().clone();
    // SIGHUP is caught from here on: one sent as soon as the URL line shows must not kill us.
    let reload = reload_on_hangup(state.clone(), source.file);
    let routing = state.routing();
    let startup = super::startup::lines(&state.config, app.local_addr(), config_path, |name| {
        routing.rules.count_for(name)
    });
    // One write: a reader that closes the pipe after the first line costs no later line
    // (and a closed stdout is no reason to stop serving).
    {
        use std::io::Write;
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(startup.as_bytes());
        let _ = stdout.flush();
    }
    tracing::info!(local = %app.local_addr(), "listening");
    state.pipeline.tasks.spawn_background(reload);
    app.run_until(shutdown::signal())
        .await
        .map_err(|e| Failure::other(format!("server: {e}")))?;
    tracing::info!("stopped");
    Ok(())
}

/// SIGHUP: re-read the config and apply `[[rules]]`, `[[webhooks]]` and the accounts (added
/// ones served, removed ones no longer, changed keys from the next push); a config that does
/// not validate, or that swaps `[account]` for `[[accounts]]`, is refused (logged) and the
/// old one kept. The handler is installed when this is
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
                        let skipped = super::reload::not_applied(&state.config, &fresh);
                        if skipped.iter().any(|key| key == super::reload::FORM) {
                            tracing::error!(
                                "SIGHUP: [account] and [[accounts]] swapped: a restart applies it; keeping the old config"
                            );
                            continue;
                        }
                        let change = state.reload(&fresh).await;
                        tracing::info!(
                            rules = fresh.rules.len(),
                            webhooks = fresh.webhooks.len(),
                            accounts = fresh.accounts.len(),
                            added = %change.added.join(", "),
                            removed = %change.removed.join(", "),
                            changed = %change.changed.join(", "),
                            "SIGHUP: rules, webhooks and accounts reloaded"
                        );
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
