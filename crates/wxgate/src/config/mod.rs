//! Configuration: defaults, then the TOML file, then `WXGATE_*` environment overrides, then
//! validation into [`Config`], which nothing downstream re-checks or re-parses: URLs are
//! [`url::Url`]s, the database a [`crate::store::StorageUrl`], durations [`std::time::Duration`]s.
//!
//! This file finds and reads the file; `raw.rs` is its shape as written, `env.rs` the
//! overrides, `validate.rs` the assembly of [`Config`], and each section is checked in its
//! own file: `server.rs`, `log.rs`, `account.rs`, `storage.rs`, `admin.rs`, `wechat_api.rs`,
//! `webhook.rs`, `web.rs`, `open.rs` (helpers: `duration.rs`, `proxies.rs`, `secret.rs`, `words.rs`).
//!
//! Every failure is a [`ConfigError`] naming the key at fault (`rules[2].when.content_regex`),
//! so `main` can print one line and exit 2.
mod account;
mod admin;
mod duration;
mod env;
mod log;
mod open;
mod proxies;
mod raw;
mod secret;
mod server;
mod storage;
mod validate;
mod web;
mod webhook;
mod wechat_api;
mod words;

use std::path::{Path, PathBuf};

pub use account::{AccountConfig, Security};
pub use admin::AdminConfig;
pub use env::ENV_OVERRIDES;
pub use log::{LogConfig, LogFormat};
pub use open::{is_appid, OpenPlatformConfig, RawOpenPlatform, AUTHORIZER_TABLE, RESERVED_NAME};
pub use proxies::{canonical, TrustedProxies};
pub use raw::{RawConfig, RawWeb, RawWebhook};
pub use secret::Secret;
pub use server::ServerConfig;
pub use storage::StorageConfig;
pub use validate::Config;
pub use web::WebConfig;
pub use webhook::{WebhookConfig, WebhookMode};

/// A config problem, naming the key (or file, or environment variable) at fault.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{key}: {message}")]
pub struct ConfigError {
    /// the key, e.g. `account.encoding_aes_key`
    pub key: String,
    /// what is wrong
    pub message: String,
}

impl ConfigError {
    /// New error for `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            key: key.into(),
            message: message.into(),
        }
    }
}

impl From<crate::rules::CompileError> for ConfigError {
    fn from(e: crate::rules::CompileError) -> Self {
        ConfigError::new(e.key, e.message)
    }
}

/// The built-in push Token (`[account] token` when none is set): public, so `serve` accepts
/// it on a loopback address only. Letters only, as WeChat's admin console requires.
pub const DEV_TOKEN: &str = "wxgatedevtoken";

/// Where the config came from: the file (if any) and its folder, which relative SQLite
/// paths are resolved against.
#[derive(Debug, Clone)]
pub struct Source {
    /// the file read, if any
    pub file: Option<PathBuf>,
    /// folder for relative paths
    pub base_dir: PathBuf,
}

/// Find and read the config as `serve` does: `explicit` (`-c FILE`), else `./wxgate.toml` if
/// present, else defaults; then the process environment; then validate.
pub fn load(explicit: Option<&Path>) -> Result<(Config, Source), ConfigError> {
    let (raw, source) = read_raw(explicit)?;
    let config = Config::from_raw(raw, &source.base_dir, |k| std::env::var(k).ok())?;
    Ok((config, source))
}

/// The `[log] format` of the config `load` would read, for setting up logging before the
/// command runs. A config that cannot be read, or names no valid format, gives
/// [`LogFormat::Text`]: the command then reports the error itself (exit 2).
pub fn log_format(explicit: Option<&Path>) -> LogFormat {
    read_raw(explicit)
        .ok()
        .and_then(|(raw, _)| LogFormat::parse(&raw.log.format).ok())
        .unwrap_or_default()
}

/// Read (but do not validate) the raw config and where it came from.
pub fn read_raw(explicit: Option<&Path>) -> Result<(RawConfig, Source), ConfigError> {
    let cwd = std::env::current_dir().map_err(|e| ConfigError::new("-c", e.to_string()))?;
    let file = match explicit {
        Some(path) => Some(path.to_path_buf()),
        None => {
            let default = cwd.join("wxgate.toml");
            default.is_file().then_some(default)
        }
    };
    let Some(file) = file else {
        let source = Source {
            file: None,
            base_dir: cwd,
        };
        return Ok((RawConfig::default(), source));
    };
    let text = std::fs::read_to_string(&file)
        .map_err(|e| ConfigError::new(format!("-c {}", file.display()), e.to_string()))?;
    let raw = parse_toml_in(&text, Some(&file))?;
    let base_dir = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => cwd.join(p),
        _ => cwd,
    };
    Ok((
        raw,
        Source {
            file: Some(file),
            base_dir,
        },
    ))
}

/// Parse config text, naming the key of a type error or an unknown key.
pub fn parse_toml(text: &str) -> Result<RawConfig, ConfigError> {
    parse_toml_in(text, None)
}

/// [`parse_toml`] of the text of `file`: a syntax error (where no key is known yet) names the
/// file with the line, `wxgate.toml: line 3`.
fn parse_toml_in(text: &str, file: Option<&Path>) -> Result<RawConfig, ConfigError> {
    let de = toml::Deserializer::new(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.message().to_string();
        let field = unknown_field(&message).map(str::to_string);
        let top = path.is_empty() || path == ".";
        let key = match (top, field) {
            (true, Some(field)) => field,
            // serde_path_to_error may or may not include the unknown key in the path.
            (false, Some(field)) if !path.ends_with(&format!(".{field}")) && path != field => {
                format!("{path}.{field}")
            }
            (false, _) => path,
            (true, None) => {
                let place = match inner.span() {
                    Some(span) => {
                        let line = line_of(text, span.start);
                        match key_on_line(text, line) {
                            Some(key) => format!("{key} (line {line})"),
                            None => format!("line {line}"),
                        }
                    }
                    None => "config".to_string(),
                };
                match file {
                    Some(file) => format!("{}: {place}", file.display()),
                    None => place,
                }
            }
        };
        let message = words::plain(&key, &message);
        ConfigError::new(key, message)
    })
}

fn unknown_field(message: &str) -> Option<&str> {
    message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
}

/// The dotted key set on line `line` (1-based) of `text`, when it is a `key = value` line:
/// `server.max_clock_skew_s`, `accounts[1].token` (the table from the headers above it).
fn key_on_line(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    let (name, _) = lines.get(line.checked_sub(1)?)?.split_once('=')?;
    let name = name.trim();
    let bare = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    };
    if !bare(name) {
        return None;
    }
    let mut table: Option<String> = None;
    let mut arrays: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for header in lines[..line - 1].iter().map(|l| l.trim()) {
        if let Some(array) = header.strip_prefix("[[").and_then(|h| h.strip_suffix("]]")) {
            let array = array.trim();
            let index = arrays.entry(array).or_insert(0);
            table = Some(format!("{array}[{index}]"));
            *index += 1;
        } else if let Some(plain) = header.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            table = Some(plain.trim().to_string());
        }
    }
    Some(match table {
        Some(table) => format!("{table}.{name}"),
        None => name.to_string(),
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |head| head.bytes().filter(|b| *b == b'\n').count())
        + 1
}

#[cfg(test)]
mod tests;
