//! What the gateway tells its operator: logs to stderr, filtered by `RUST_LOG` (default
//! `info`), as `[log] format` says — text lines (ANSI colours only when stderr is a terminal)
//! or one JSON object a line; the spans those lines carry ([`spans`]); and every Prometheus
//! metric ([`metrics`]).
pub mod metrics;
pub mod spans;

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Install the subscriber (once).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
