//! `[log]`: how the log on stderr is written.
use super::raw::RawConfig;
use super::ConfigError;

/// `[log]`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogConfig {
    /// how each log line is written
    pub format: LogFormat,
}

/// `[log] format`: how the log on stderr is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// human-readable lines (coloured only when stderr is a terminal)
    #[default]
    Text,
    /// one JSON object a line
    Json,
}

impl LogFormat {
    /// Parse `text` or `json` (case-insensitive), naming `log.format` otherwise.
    pub fn parse(value: &str) -> Result<LogFormat, ConfigError> {
        match value.to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(ConfigError::new(
                "log.format",
                format!("{value:?} is not one of text, json"),
            )),
        }
    }
}

/// `[log]`, checked.
pub(super) fn validate(raw: &RawConfig) -> Result<LogConfig, ConfigError> {
    Ok(LogConfig {
        format: LogFormat::parse(&raw.log.format)?,
    })
}
