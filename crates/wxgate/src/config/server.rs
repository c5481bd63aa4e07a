//! `[server]`: where and how the gateway listens.
use std::net::SocketAddr;
use std::time::Duration;

use super::raw::RawConfig;
use super::{ConfigError, TrustedProxies};

/// `[server]`
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// listen address
    pub listen: SocketAddr,
    /// push path, starts with `/`
    pub path: String,
    /// answer deadline
    pub reply_deadline: Duration,
    /// body limit
    pub max_body_bytes: usize,
    /// a request's headers must arrive within this (`header_timeout_ms`)
    pub header_timeout: Duration,
    /// concurrent connections at most (`max_connections`)
    pub max_connections: usize,
    /// on SIGTERM, in-flight work gets this long (`shutdown_timeout_s`)
    pub shutdown_timeout: Duration,
    /// whose forwarded headers name the client (`trusted_proxies`)
    pub trusted_proxies: TrustedProxies,
}

/// `[server]`, checked (`public_url` is `[web]`'s: `web.rs`).
pub(super) fn validate(raw: &RawConfig) -> Result<ServerConfig, ConfigError> {
    let s = &raw.server;
    let listen = s.listen.parse().map_err(|_| {
        ConfigError::new(
            "server.listen",
            format!("{:?} is not an address like 127.0.0.1:8080", s.listen),
        )
    })?;
    if !s.path.starts_with('/') || s.path.contains(['?', '#', ' ']) {
        return Err(ConfigError::new(
            "server.path",
            "must be a URL path starting with /",
        ));
    }
    if s.path.starts_with("/api/")
        || ["/api", "/admin", "/metrics", "/healthz"].contains(&s.path.as_str())
    {
        return Err(ConfigError::new(
            "server.path",
            "collides with a built-in endpoint (/api, /admin, /metrics, /healthz)",
        ));
    }
    if !(1..=5000).contains(&s.reply_deadline_ms) {
        return Err(ConfigError::new(
            "server.reply_deadline_ms",
            "must be 1..=5000 (WeChat gives up after 5 s)",
        ));
    }
    if s.max_body_bytes == 0 || s.max_body_bytes > 64 * 1024 * 1024 {
        return Err(ConfigError::new(
            "server.max_body_bytes",
            "must be 1..=67108864",
        ));
    }
    if !(1..=600_000).contains(&s.header_timeout_ms) {
        return Err(ConfigError::new(
            "server.header_timeout_ms",
            "must be 1..=600000",
        ));
    }
    if !(1..=1_000_000).contains(&s.max_connections) {
        return Err(ConfigError::new(
            "server.max_connections",
            "must be 1..=1000000",
        ));
    }
    if !(1..=3600).contains(&s.shutdown_timeout_s) {
        return Err(ConfigError::new(
            "server.shutdown_timeout_s",
            "must be 1..=3600",
        ));
    }
    Ok(ServerConfig {
        listen,
        path: s.path.clone(),
        reply_deadline: Duration::from_millis(s.reply_deadline_ms),
        max_body_bytes: s.max_body_bytes as usize,
        header_timeout: Duration::from_millis(s.header_timeout_ms),
        max_connections: s.max_connections as usize,
        shutdown_timeout: Duration::from_secs(s.shutdown_timeout_s),
        trusted_proxies: TrustedProxies::parse(&s.trusted_proxies)?,
    })
}
