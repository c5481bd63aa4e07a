//! The `WXGATE_*` environment overrides: each sets one key of the raw config, after the file
//! and before validation.
use super::raw::{RawAccount, RawConfig};
use super::ConfigError;

/// The environment variables that override the file, with the key each one sets.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("WXGATE_LISTEN", "server.listen"),
    ("WXGATE_TOKEN", "account.token"),
    ("WXGATE_APPID", "account.appid"),
    ("WXGATE_APPSECRET", "account.appsecret"),
    ("WXGATE_AES_KEY", "account.encoding_aes_key"),
    ("WXGATE_SECURITY", "account.security"),
    ("WXGATE_DATABASE_URL", "storage.url"),
    ("WXGATE_ADMIN_TOKEN", "admin.token"),
    ("WXGATE_API_BASE_URL", "wechat_api.base_url"),
    ("WXGATE_PUBLIC_URL", "server.public_url"),
    (
        "WXGATE_COMPONENT_APPSECRET",
        "open_platform.component_appsecret",
    ),
];

/// What the overrides did that validation must know beyond the values themselves.
pub(super) struct Applied {
    /// `WXGATE_DATABASE_URL` set `storage.url`: a relative SQLite path in it is relative to
    /// the working directory, not to the config file
    pub storage_url: bool,
    /// `WXGATE_COMPONENT_APPSECRET`: `[open_platform] component_appsecret` (applied by
    /// `open.rs`, which knows whether the section is there)
    pub component_secret: Option<String>,
}

/// Apply every override `env` (which looks a variable up) has a value for.
pub(super) fn apply(
    raw: &mut RawConfig,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Applied, ConfigError> {
    let mut applied = Applied {
        storage_url: false,
        component_secret: None,
    };
    for (var, _key) in ENV_OVERRIDES {
        let Some(value) = env(var) else { continue };
        if let Some(set) = account_override(var) {
            set(overridden_account(raw, var)?, value);
            continue;
        }
        match *var {
            "WXGATE_LISTEN" => raw.server.listen = value,
            "WXGATE_DATABASE_URL" => {
                raw.storage.url = value;
                applied.storage_url = true;
            }
            "WXGATE_ADMIN_TOKEN" => raw.admin.token = Some(value),
            "WXGATE_API_BASE_URL" => raw.wechat_api.base_url = value,
            "WXGATE_PUBLIC_URL" => raw.server.public_url = Some(value),
            "WXGATE_COMPONENT_APPSECRET" => applied.component_secret = Some(value),
            _ => {}
        }
    }
    Ok(applied)
}

/// How an environment variable sets a key of the account, if it is one of those.
fn account_override(var: &str) -> Option<fn(&mut RawAccount, String)> {
    Some(match var {
        "WXGATE_TOKEN" => |a, v| a.token = v,
        "WXGATE_APPID" => |a, v| a.appid = v,
        "WXGATE_APPSECRET" => |a, v| a.appsecret = Some(v),
        "WXGATE_AES_KEY" => |a, v| a.encoding_aes_key = Some(v),
        "WXGATE_SECURITY" => |a, v| a.security = v,
        _ => return None,
    })
}

/// The account an environment override applies to: `[account]` (created with its defaults
/// when the file has none), or the one `[[accounts]]` entry. With several accounts it would
/// be ambiguous: an error naming the variable.
fn overridden_account<'a>(
    raw: &'a mut RawConfig,
    var: &str,
) -> Result<&'a mut RawAccount, ConfigError> {
    match raw.accounts.len() {
        0 => Ok(raw.account.get_or_insert_with(RawAccount::default)),
        1 => Ok(&mut raw.accounts[0]),
        _ => Err(ConfigError::new(
            var,
            "applies to a single account; with several [[accounts]] set the key in each entry",
        )),
    }
}
