//! [`RawConfig`] → [`Config`]: every value parsed and checked once.
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use wechat_proto::{EncodingAesKey, MessageCrypt};

use super::raw::{RawAccount, RawConfig, RawWebhook};
use super::{ConfigError, Secret, TrustedProxies, ENV_OVERRIDES};
use crate::rules::{RuleSet, WebhookRef};
use crate::webhooks::WebhookKey;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// `[server]`
    pub server: ServerConfig,
    /// `[log]`
    pub log: LogConfig,
    /// `[account]` (one account, named `default`) or `[[accounts]]`: names and non-empty
    /// appids unique; empty only for a gateway that is only an `[open_platform]`
    pub accounts: Vec<AccountConfig>,
    /// `[storage]`
    pub storage: StorageConfig,
    /// `[admin]`
    pub admin: AdminConfig,
    /// `[wechat_api] base_url`
    pub api_base_url: String,
    /// `[wechat_api] template_rate`: template messages sent per second at most (≥ 1)
    pub template_rate: u32,
    /// `[[rules]]`, compiled
    pub rules: Arc<RuleSet>,
    /// `[[webhooks]]`
    pub webhooks: Arc<Vec<WebhookConfig>>,
    /// `[wechat_api] open_base_url`: where browsers are sent for OAuth sign-in
    pub open_base_url: url::Url,
    /// `[web]`, with `[server] public_url`
    pub web: Option<super::WebConfig>,
    /// `[open_platform]`, with `[server] public_url`
    pub open_platform: Option<super::OpenPlatformConfig>,
}

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

/// `[storage]`
#[derive(Debug, Clone)]
pub struct StorageConfig {
    /// resolved URL (relative SQLite paths made absolute)
    pub url: String,
    /// keep events this long; None = forever
    pub retain_events: Option<Duration>,
}

/// `[admin]`
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// bearer token; None disables /api/*
    pub token: Option<Secret>,
    /// `service_tokens`: bearer tokens allowed only `/api/access_token`, `/api/wechat/*` and
    /// `/api/messages/*`
    pub service_tokens: Vec<Secret>,
}

/// call | notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookMode {
    /// synchronous: may answer with a reply
    Call,
    /// durable, at-least-once
    Notify,
}

/// One `[[webhooks]]` entry.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// name
    pub name: String,
    /// endpoint
    pub url: reqwest::Url,
    /// the HMAC-SHA256 key of `secret` (`whsec_` base64 decoded, else its bytes)
    pub secret: Option<WebhookKey>,
    /// mode
    pub mode: WebhookMode,
    /// selected msg_type / event names, lower case; `*` = all
    pub events: Vec<String>,
    /// give up on deliveries older than this
    pub max_age: Duration,
    /// per request
    pub timeout: Duration,
    /// `accounts`: the accounts whose pushes it serves; None = every account
    pub accounts: Option<Vec<String>>,
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

impl WebhookConfig {
    /// Whether it serves pushes to `account`.
    pub fn serves(&self, account: &str) -> bool {
        self.accounts
            .as_ref()
            .is_none_or(|names| names.iter().any(|name| name == account))
    }
}

impl Config {
    /// The account named `name`.
    pub fn account(&self, name: &str) -> Option<&AccountConfig> {
        self.accounts.iter().find(|account| account.name == name)
    }

    /// The account when the config has exactly one (`[account]`, or one `[[accounts]]`).
    pub fn only_account(&self) -> Option<&AccountConfig> {
        match self.accounts.as_slice() {
            [only] => Some(only),
            _ => None,
        }
    }

    /// The account a command or call means: `name`, or the only account when `name` is
    /// None. An unknown name, or none with several accounts, is an error naming `key` (the
    /// argument or parameter: `--account`, `account`) and the accounts there are.
    pub fn select(&self, name: Option<&str>, key: &str) -> Result<&AccountConfig, ConfigError> {
        let names = || self.account_names().join(", ");
        match name {
            Some(name) => self.account(name).ok_or_else(|| {
                ConfigError::new(
                    key,
                    format!("no account named {name:?} (there are {})", names()),
                )
            }),
            None => self.only_account().ok_or_else(|| {
                ConfigError::new(
                    key,
                    format!("required: the config has several accounts ({})", names()),
                )
            }),
        }
    }

    /// Whether the config lists `[[accounts]]` (the form for several accounts, each at
    /// `server.path/{name}`) rather than the single `[account]`: then the admin API's items
    /// carry their `"account"`.
    pub fn lists_accounts(&self) -> bool {
        self.accounts
            .iter()
            .any(|account| account.table != "account")
    }

    /// The names of the accounts, in config order.
    pub fn account_names(&self) -> Vec<&str> {
        self.accounts.iter().map(|a| a.name.as_str()).collect()
    }

    /// Apply environment overrides (`env` looks a variable up) and validate.
    pub fn from_raw(
        mut raw: RawConfig,
        base_dir: &Path,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut from_env_db = false;
        let mut component_secret = None;
        for (var, _key) in ENV_OVERRIDES {
            let Some(value) = env(var) else { continue };
            if let Some(set) = account_override(var) {
                set(overridden_account(&mut raw, var)?, value);
                continue;
            }
            match *var {
                "WXGATE_LISTEN" => raw.server.listen = value,
                "WXGATE_DATABASE_URL" => {
                    raw.storage.url = value;
                    from_env_db = true;
                }
                "WXGATE_ADMIN_TOKEN" => raw.admin.token = Some(value),
                "WXGATE_API_BASE_URL" => raw.wechat_api.base_url = value,
                "WXGATE_PUBLIC_URL" => raw.server.public_url = Some(value),
                "WXGATE_COMPONENT_APPSECRET" => component_secret = Some(value),
                _ => {}
            }
        }
        let server = server(&raw)?;
        let log = LogConfig {
            format: LogFormat::parse(&raw.log.format)?,
        };
        let accounts = accounts(&raw)?;
        let db_base = if from_env_db {
            std::env::current_dir().unwrap_or_else(|_| base_dir.to_path_buf())
        } else {
            base_dir.to_path_buf()
        };
        let storage = StorageConfig {
            url: storage_url(&raw.storage.url, &db_base)?,
            retain_events: duration_or_forever(&raw.storage.retain_events)
                .ok_or_else(|| bad_duration("storage.retain_events"))?,
        };
        let admin = AdminConfig {
            token: match raw.admin.token.as_deref() {
                None => None,
                Some("") => return Err(ConfigError::new("admin.token", "must not be empty")),
                Some(t) if t.trim() != t => {
                    return Err(ConfigError::new(
                        "admin.token",
                        "has leading or trailing whitespace, which a presented token never has",
                    ))
                }
                Some(t) => Some(Secret::new(t)),
            },
            service_tokens: service_tokens(&raw.admin.service_tokens)?,
        };
        if admin.token.is_none() && !admin.service_tokens.is_empty() {
            // Without an admin token /api answers 404 to everyone: the service tokens would be
            // dead without a word.
            return Err(ConfigError::new(
                "admin.service_tokens",
                "need admin.token: without it the /api endpoints are off",
            ));
        }
        let template_rate = match raw.wechat_api.template_rate {
            0 => {
                return Err(ConfigError::new(
                    "wechat_api.template_rate",
                    "must be at least 1 (messages per second)",
                ))
            }
            rate => rate,
        };
        let api_base_url = raw.wechat_api.base_url.trim_end_matches('/').to_string();
        match reqwest::Url::parse(&api_base_url) {
            Err(_) => return Err(ConfigError::new("wechat_api.base_url", "not a URL")),
            Ok(url) if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() => {
                return Err(ConfigError::new(
                    "wechat_api.base_url",
                    "must be an http(s) URL",
                ))
            }
            Ok(_) => {}
        }
        let names: Vec<&str> = accounts.iter().map(|a| a.name.as_str()).collect();
        let webhooks = raw
            .webhooks
            .iter()
            .enumerate()
            .map(|(i, w)| webhook(i, w, &names))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, w) in webhooks.iter().enumerate() {
            if webhooks[..i].iter().any(|o| o.name == w.name) {
                return Err(ConfigError::new(
                    format!("webhooks[{i}].name"),
                    format!("duplicate webhook name {:?}", w.name),
                ));
            }
        }
        let refs: Vec<WebhookRef<'_>> = webhooks
            .iter()
            .map(|w| WebhookRef {
                name: &w.name,
                is_call: w.mode == WebhookMode::Call,
            })
            .collect();
        let rules = RuleSet::compile(&raw.rules, &refs, &names)?;
        let (open_base_url, web) = super::web::validate(&raw)?;
        let open_platform = super::open::validate(&raw, &names, component_secret)?;
        Ok(Config {
            server,
            log,
            accounts,
            storage,
            admin,
            api_base_url,
            template_rate,
            rules: Arc::new(rules),
            webhooks: Arc::new(webhooks),
            open_base_url,
            web,
            open_platform,
        })
    }
}

/// `[admin] service_tokens`: each non-empty, without surrounding whitespace.
fn service_tokens(raw: &[String]) -> Result<Vec<Secret>, ConfigError> {
    raw.iter()
        .enumerate()
        .map(|(i, t)| {
            let key = || format!("admin.service_tokens[{i}]");
            if t.is_empty() {
                Err(ConfigError::new(key(), "must not be empty"))
            } else if t.trim() != t {
                Err(ConfigError::new(
                    key(),
                    "has leading or trailing whitespace, which a presented token never has",
                ))
            } else {
                Ok(Secret::new(t))
            }
        })
        .collect()
}

fn server(raw: &RawConfig) -> Result<ServerConfig, ConfigError> {
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

/// The longest account name.
const MAX_NAME: usize = 32;

/// `[account]` as the account `default` at `server.path`, or each of `[[accounts]]` at
/// `server.path/{name}`; names and appids unique.
fn accounts(raw: &RawConfig) -> Result<Vec<AccountConfig>, ConfigError> {
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

/// `sqlite://PATH` with PATH made absolute against `base`; other URLs as they are.
fn storage_url(url: &str, base: &Path) -> Result<String, ConfigError> {
    if url == "sqlite::memory:"
        || url.starts_with("postgres://")
        || url.starts_with("postgresql://")
    {
        return Ok(url.to_string());
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| {
            ConfigError::new(
                "storage.url",
                "must be sqlite://PATH, sqlite::memory: or postgres://...",
            )
        })?;
    if path.is_empty() {
        return Err(ConfigError::new(
            "storage.url",
            "sqlite:// needs a file path",
        ));
    }
    let full = base.join(path);
    Ok(format!("sqlite://{}", full.display()))
}

/// "30d", "72h", "15m"...; "0" = forever (None).
fn duration_or_forever(text: &str) -> Option<Option<Duration>> {
    if text.trim() == "0" {
        return Some(None);
    }
    humantime::parse_duration(text.trim())
        .ok()
        .filter(|d| !d.is_zero())
        .map(Some)
}

fn bad_duration(key: &str) -> ConfigError {
    ConfigError::new(key, "not a duration like \"30d\", \"72h\" or \"0\"")
}

fn webhook(i: usize, w: &RawWebhook, accounts: &[&str]) -> Result<WebhookConfig, ConfigError> {
    let key = |field: &str| format!("webhooks[{i}].{field}");
    if w.name.is_empty() {
        return Err(ConfigError::new(key("name"), "must not be empty"));
    }
    if w.name.starts_with('@') {
        return Err(ConfigError::new(
            key("name"),
            "names starting with @ are reserved (the gateway's own queues)",
        ));
    }
    if let Some(names) = &w.accounts {
        if names.is_empty() {
            return Err(ConfigError::new(
                key("accounts"),
                "must name at least one account (leave it out for every account)",
            ));
        }
        if let Some(unknown) = names.iter().find(|n| !accounts.contains(&n.as_str())) {
            return Err(ConfigError::new(
                key("accounts"),
                format!(
                    "no account named {unknown:?} (there are {})",
                    accounts.join(", ")
                ),
            ));
        }
    }
    let url = reqwest::Url::parse(&w.url)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| ConfigError::new(key("url"), "not an http(s) URL"))?;
    let mode = match w.mode.as_str() {
        "call" => WebhookMode::Call,
        "notify" => WebhookMode::Notify,
        other => {
            return Err(ConfigError::new(
                key("mode"),
                format!("{other:?} is not call or notify"),
            ))
        }
    };
    let max_age = duration_or_forever(&w.max_age)
        .flatten()
        .ok_or_else(|| bad_duration(&key("max_age")))?;
    if w.timeout_ms == 0 || w.timeout_ms > 60_000 {
        return Err(ConfigError::new(key("timeout_ms"), "must be 1..=60000"));
    }
    let secret = w
        .secret
        .as_deref()
        .map(WebhookKey::from_secret)
        .transpose()
        .map_err(|e| ConfigError::new(key("secret"), e.to_string()))?;
    Ok(WebhookConfig {
        name: w.name.clone(),
        url,
        secret,
        mode,
        events: w.events.iter().map(|e| e.to_ascii_lowercase()).collect(),
        max_age,
        timeout: Duration::from_millis(w.timeout_ms),
        accounts: w.accounts.clone(),
    })
}
