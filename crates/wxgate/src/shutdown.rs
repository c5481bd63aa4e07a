//! The stop signal: SIGINT or SIGTERM (Ctrl-C elsewhere).
use std::future::Future;

/// Installs the SIGINT and SIGTERM handlers **now** and resolves on the first of them.
///
/// The handlers are registered when this is called, not when the future is first polled: the
/// server starts answering in a task of its own before the future that waits for the signal
/// is polled, and a SIGTERM landing in between (a loaded machine, a supervisor stopping a
/// fresh gateway) would otherwise meet the default disposition and kill the process without
/// its clean stop.
pub fn signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, Signal, SignalKind};
        async fn first(signal: std::io::Result<Signal>) {
            match signal {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        }
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            tokio::select! {
                () = first(interrupt) => tracing::info!("SIGINT: stopping"),
                () = first(terminate) => tracing::info!("SIGTERM: stopping"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
        tracing::info!("Ctrl-C: stopping");
    }
}
