//! `[wechat_api] base_url` and `template_rate`: where the server API is called and how fast
//! template messages go out (`open_base_url` belongs to the web pages: `web.rs`).
use url::Url;

use super::raw::RawConfig;
use super::ConfigError;

/// `[wechat_api] base_url`, parsed: an http(s) URL that can be a base.
pub(super) fn base_url(raw: &RawConfig) -> Result<Url, ConfigError> {
    let key = "wechat_api.base_url";
    match Url::parse(raw.wechat_api.base_url.trim_end_matches('/')) {
        Err(_) => Err(ConfigError::new(key, "not a URL")),
        Ok(url) if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() => {
            Err(ConfigError::new(key, "must be an http(s) URL"))
        }
        Ok(url) => Ok(url),
    }
}

/// `[wechat_api] template_rate`: template messages sent per second at most (≥ 1).
pub(super) fn template_rate(raw: &RawConfig) -> Result<u32, ConfigError> {
    match raw.wechat_api.template_rate {
        0 => Err(ConfigError::new(
            "wechat_api.template_rate",
            "must be at least 1 (messages per second)",
        )),
        rate => Ok(rate),
    }
}
