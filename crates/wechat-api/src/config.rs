//! [`ClientConfig`]: where and how to call the API.

use std::time::Duration;

use secrecy::SecretString;
use url::Url;

/// The official API host.
pub const OFFICIAL_BASE_URL: &str = "https://api.weixin.qq.com";

/// Settings of an [`ApiClient`](crate::ApiClient).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base URL of the API, `https://api.weixin.qq.com` unless pointed at `wxgate mock-api`;
    /// an http(s) URL ([`ApiClient::new`](crate::ApiClient::new) refuses any other), calls go
    /// under its path.
    pub base_url: Url,
    /// The account's AppID.
    pub appid: String,
    /// The account's AppSecret.
    pub secret: SecretString,
    /// Limit on establishing a connection.
    pub connect_timeout: Duration,
    /// Limit on a whole request, answer included.
    pub request_timeout: Duration,
    /// Refresh the token when less than this remains of its life (at most half its life).
    pub refresh_margin: Duration,
    /// Backoff for `-1` (busy) and `45011` (too often) answers.
    pub retry: RetryPolicy,
    /// Least time between two `force_refresh=true` token requests (WeChat: 30 s).
    pub force_refresh_interval: Duration,
    /// This process's name in the token store's refresh lease.
    pub holder_id: String,
}

impl ClientConfig {
    /// Defaults for an account: official host, 5 s connect, 15 s request, 5 min refresh margin.
    pub fn new(appid: impl Into<String>, secret: SecretString) -> Self {
        Self {
            base_url: official_base_url(),
            appid: appid.into(),
            secret,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(15),
            refresh_margin: Duration::from_secs(300),
            retry: RetryPolicy::default(),
            force_refresh_interval: Duration::from_secs(30),
            holder_id: format!(
                "wxgate-{}-{:08x}",
                std::process::id(),
                rand::random::<u32>()
            ),
        }
    }

    /// The same, calling `base_url` instead of the official host.
    pub fn with_base_url(mut self, base_url: Url) -> Self {
        self.base_url = base_url;
        self
    }
}

/// [`OFFICIAL_BASE_URL`], parsed.
fn official_base_url() -> Url {
    // A constant that parses: `the_official_base_url_parses` below checks it.
    Url::parse(OFFICIAL_BASE_URL).expect("OFFICIAL_BASE_URL is a URL")
}

/// Bounded exponential backoff for busy answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Wait before the first retry; doubled for each further one, plus up to 50 % jitter.
    pub base_delay: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, waiting about 0.2 s, 0.4 s and 0.8 s between them.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based).
    pub(crate) fn delay(&self, retry: u32) -> Duration {
        let base = self
            .base_delay
            .saturating_mul(1 << retry.saturating_sub(1).min(16));
        let jitter = rand::random::<f64>() * 0.5;
        base.mul_f64(1.0 + jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_official_base_url_parses() {
        let config = ClientConfig::new("wx1", SecretString::from("s"));
        assert_eq!(config.base_url.as_str(), "https://api.weixin.qq.com/");
    }

    #[test]
    fn backoff_doubles_within_jitter() {
        let policy = RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(100),
        };
        let third = policy.delay(3);
        assert!(
            third >= Duration::from_millis(400) && third <= Duration::from_millis(600),
            "{third:?}"
        );
    }
}

#[cfg(test)]
mod secret_tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn the_appsecret_is_not_in_debug_output() {
        let config = ClientConfig::new("wx1", SecretString::from("s3cr3t-value"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("s3cr3t-value"), "{shown}");
        assert_eq!(config.secret.expose_secret(), "s3cr3t-value");
    }
}
