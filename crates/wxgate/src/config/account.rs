//! `[account]` or `[[accounts]]`: each account's name, push path, keys and security.
use std::time::Duration;

use wechat_proto::{EncodingAesKey, MessageCrypt};

use super::raw::{RawAccount, RawConfig};
use super::{ConfigError, Secret};

/// plain | compatible | safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// plaintext only
    Plain,
    /// plaintext or encrypted
    Compatible,
    /// encrypted only
    Safe,
}

impl Security {
    /// The config's word for it: `plain`, `compatible` or `safe`.
    pub fn as_str(self) -> &'static str {
        match self {
            Security::Plain => "plain",
            Security::Compatible => "compatible",
            Security::Safe => "safe",
        }
    }
}

/// `[account]`, or one of `[[accounts]]`
#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// its name: `default` for `[account]`; records carry it
    pub name: String,
    /// the config table it came from, for messages: `account` or `accounts[N]`
    pub table: String,
    /// its name as the `account` label of the push metrics: Some for an entry of
    /// `[[accounts]]`, None for `[account]` (whose series keep no such label)
    pub metric_label: Option<String>,
    /// the push URL path it is served at: `server.path`, or `server.path/{name}` for
    /// `[[accounts]]`
    pub push_path: String,
    /// appid (may be empty in plain mode)
    pub appid: String,
    /// appsecret, needed for the server API
    pub appsecret: Option<Secret>,
    /// console Token
    pub token: Secret,
    /// security mode
    pub security: Security,
    /// the current EncodingAESKey with the appid
    pub crypt: Option<MessageCrypt>,
    /// the previous EncodingAESKey, accepted during a key change
    pub previous_crypt: Option<MessageCrypt>,
    /// freshness window for timestamps; None = no check
    pub max_clock_skew: Option<Duration>,
    /// refuse a signature reused with another body
    pub refuse_replays: bool,
}

impl AccountConfig {
    /// Whether it is an entry of `[[accounts]]` (not the single `[account]`): then webhook
    /// bodies, admin items and push metrics name it; with `[account]` they keep the shapes of
    /// before.
    pub fn listed(&self) -> bool {
        self.metric_label.is_some()
    }

    /// The keys of this account whose value differs in `other` (the same account re-read):
    /// `appid`, `token`, ... Secrets are compared, never shown.
    pub fn changed_keys(&self, other: &AccountConfig) -> Vec<&'static str> {
        let (r, f) = (self, other);
        let checks: [(&'static str, bool); 9] = [
            ("appid", r.appid == f.appid),
            ("appsecret", r.appsecret == f.appsecret),
            ("token", r.token == f.token),
            ("security", r.security == f.security),
            ("encoding_aes_key", r.crypt == f.crypt),
            (
                "previous_encoding_aes_key",
                r.previous_crypt == f.previous_crypt,
            ),
            ("max_clock_skew_s", r.max_clock_skew == f.max_clock_skew),
            ("refuse_replays", r.refuse_replays == f.refuse_replays),
            ("push_path", r.push_path == f.push_path),
        ];
        checks
            .into_iter()
            .filter(|(_, same)| !same)
            .map(|(key, _)| key)
            .collect()
    }
}

/// The longest account name.
const MAX_NAME: usize = 32;

/// `[account]` as the account `default` at `server.path`, or each of `[[accounts]]` at
/// `server.path/{name}`; names and appids unique.
pub(super) fn validate(raw: &RawConfig) -> Result<Vec<AccountConfig>, ConfigError> {
    let path = raw.server.path.as_str();
    if raw.accounts.is_empty() && raw.account.is_none() && raw.open_platform.is_some() {
        // A gateway that is only a platform: its accounts are those that authorise it.
        return Ok(Vec::new());
    }
    if raw.accounts.is_empty() {
        let single = raw.account.clone().unwrap_or_default();
        if single.name.is_some() {
            return Err(ConfigError::new(
                "account.name",
                "only [[accounts]] entries have a name ([account] is the account \"default\")",
            ));
        }
        let default = crate::store::DEFAULT_ACCOUNT;
        return Ok(vec![account(&single, "account", default, path)?]);
    }
    if raw.account.is_some() {
        return Err(ConfigError::new(
            "accounts",
            "[account] and [[accounts]] together: list every account in [[accounts]]",
        ));
    }
    let base = path.trim_end_matches('/');
    let mut accounts: Vec<AccountConfig> = Vec::with_capacity(raw.accounts.len());
    for (i, entry) in raw.accounts.iter().enumerate() {
        let prefix = format!("accounts[{i}]");
        let name = entry
            .name
            .as_deref()
            .ok_or_else(|| ConfigError::new(format!("{prefix}.name"), "is required"))?;
        check_name(name).map_err(|message| ConfigError::new(format!("{prefix}.name"), message))?;
        if accounts.iter().any(|a| a.name == name) {
            return Err(ConfigError::new(
                format!("{prefix}.name"),
                format!("duplicate account name {name:?}"),
            ));
        }
        if !entry.appid.is_empty() && accounts.iter().any(|a| a.appid == entry.appid) {
            return Err(ConfigError::new(
                format!("{prefix}.appid"),
                format!("{:?} is another account's appid too", entry.appid),
            ));
        }
        let push_path = format!("{base}/{name}");
        accounts.push(account(entry, &prefix, name, &push_path)?);
    }
    Ok(accounts)
}

/// An account name: 1–32 of `a-z 0-9 _ -` (it is a path segment and a metric label).
fn check_name(name: &str) -> Result<(), String> {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-';
    if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(allowed) {
        return Err(format!(
            "{name:?} is not 1 to {MAX_NAME} of a-z, 0-9, _ and -"
        ));
    }
    Ok(())
}

/// The push Token as WeChat's admin console takes it: 3 to 32 ASCII letters and digits (the
/// console refuses anything else, so another Token could never match a real account's).
pub(super) fn check_token(token: &str) -> Result<(), String> {
    if token.is_empty() {
        return Err("must not be empty".into());
    }
    let len = token.chars().count();
    if !(3..=32).contains(&len) {
        return Err(format!(
            "{len} characters; the admin console's Token is 3 to 32 letters and digits"
        ));
    }
    if !token.chars().all(|c| c.is_ascii_alphanumeric()) {
        // The value is a secret: say what is wrong, never echo it.
        return Err(
            "holds a character other than an ASCII letter or digit; the admin console's \
             Token is 3 to 32 letters and digits"
                .into(),
        );
    }
    Ok(())
}

/// One account's keys (`prefix` is `account` or `accounts[N]`, for the errors).
fn account(
    a: &RawAccount,
    prefix: &str,
    name: &str,
    push_path: &str,
) -> Result<AccountConfig, ConfigError> {
    let key = |field: &str| format!("{prefix}.{field}");
    check_token(&a.token).map_err(|message| ConfigError::new(key("token"), message))?;
    let security = match a.security.to_ascii_lowercase().as_str() {
        "plain" => Security::Plain,
        "compatible" => Security::Compatible,
        "safe" => Security::Safe,
        _ => {
            return Err(ConfigError::new(
                key("security"),
                format!("{:?} is not one of plain, compatible, safe", a.security),
            ))
        }
    };
    let crypt = |key: &str, name: &str| -> Result<MessageCrypt, ConfigError> {
        let key = EncodingAesKey::parse(key).map_err(|e| {
            ConfigError::new(
                name,
                format!("not a valid EncodingAESKey (43 characters of base64): {e}"),
            )
        })?;
        Ok(MessageCrypt::new(key, a.appid.clone()))
    };
    let current = a
        .encoding_aes_key
        .as_deref()
        .map(|k| crypt(k, &key("encoding_aes_key")))
        .transpose()?;
    let previous = a
        .previous_encoding_aes_key
        .as_deref()
        .map(|k| crypt(k, &key("previous_encoding_aes_key")))
        .transpose()?;
    if security != Security::Plain {
        if current.is_none() {
            return Err(ConfigError::new(
                key("encoding_aes_key"),
                format!("required when security = {:?}", a.security),
            ));
        }
        if a.appid.is_empty() {
            return Err(ConfigError::new(
                key("appid"),
                format!("required when security = {:?}", a.security),
            ));
        }
    }
    let appsecret = match a.appsecret.as_deref() {
        None | Some("") => None,
        Some(s) => Some(Secret::new(s)),
    };
    if appsecret.is_some() && a.appid.is_empty() {
        return Err(ConfigError::new(
            key("appid"),
            format!("required with {}", key("appsecret")),
        ));
    }
    Ok(AccountConfig {
        name: name.to_string(),
        table: prefix.to_string(),
        metric_label: (prefix != "account").then(|| name.to_string()),
        push_path: push_path.to_string(),
        appid: a.appid.clone(),
        appsecret,
        token: Secret::new(a.token.clone()),
        security,
        crypt: current,
        previous_crypt: previous,
        max_clock_skew: (a.max_clock_skew_s > 0).then(|| Duration::from_secs(a.max_clock_skew_s)),
        refuse_replays: a.refuse_replays,
    })
}
