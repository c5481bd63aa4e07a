//! `[storage]`: the database, parsed once into a [`StorageUrl`], and how long events are kept.
use std::path::Path;
use std::time::Duration;

use super::raw::RawConfig;
use super::{duration, ConfigError};
use crate::store::{StorageUrl, StoreError};

/// `[storage]`
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// the database (a relative SQLite path made absolute)
    pub url: StorageUrl,
    /// keep events this long; None = forever
    pub retain_events: Option<Duration>,
}

/// `[storage]`, a relative SQLite path resolved against `base` (the config file's folder, or
/// the working directory when `WXGATE_DATABASE_URL` set it).
pub(super) fn validate(raw: &RawConfig, base: &Path) -> Result<StorageConfig, ConfigError> {
    let url = StorageUrl::parse(&raw.storage.url).map_err(|error| {
        let message = match error {
            StoreError::Url(message) => message,
            other => other.to_string(),
        };
        ConfigError::new("storage.url", message)
    })?;
    Ok(StorageConfig {
        url: url.resolve(base),
        retain_events: duration::or_forever(&raw.storage.retain_events, "storage.retain_events")?,
    })
}
