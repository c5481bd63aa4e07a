//! The durations written as text in the config: `"30d"`, `"72h"`, `"15m"` (humantime).
use std::time::Duration;

use super::ConfigError;

/// A duration, or `"0"` for forever (None); anything else, or a zero duration written
/// otherwise, is an error naming `key`.
pub(super) fn or_forever(text: &str, key: &str) -> Result<Option<Duration>, ConfigError> {
    if text.trim() == "0" {
        return Ok(None);
    }
    humantime::parse_duration(text.trim())
        .ok()
        .filter(|d| !d.is_zero())
        .map(Some)
        .ok_or_else(|| bad(key))
}

/// A duration that must end: [`or_forever`] refusing `"0"`.
pub(super) fn finite(text: &str, key: &str) -> Result<Duration, ConfigError> {
    or_forever(text, key)?.ok_or_else(|| bad(key))
}

fn bad(key: &str) -> ConfigError {
    ConfigError::new(key, "not a duration like \"30d\", \"72h\" or \"0\"")
}
