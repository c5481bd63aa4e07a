//! `[open_platform]`: a WeChat Open Platform third-party platform (contract §7). The accounts
//! that authorise it are served at `{server.path}/open/{appid}` without their AppSecrets.
use std::time::Duration;

use serde::Deserialize;
use wechat_proto::{EncodingAesKey, MessageCrypt};

use super::raw::RawConfig;
use super::{AccountConfig, ConfigError, Secret, Security};

/// The name no account may have beside `[open_platform]`: its push paths live under
/// `{server.path}/open`.
pub const RESERVED_NAME: &str = "open";

/// The `table` of an account that authorised the platform (`AccountConfig::table`): messages
/// about its keys name `open_platform`, whose keys it has.
pub const AUTHORIZER_TABLE: &str = "open_platform";

/// `[open_platform]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOpenPlatform {
    /// the platform's AppID
    pub component_appid: String,
    /// the platform's AppSecret (or `WXGATE_COMPONENT_APPSECRET`)
    #[serde(default)]
    pub component_appsecret: Option<String>,
    /// the platform's message-check Token
    pub token: String,
    /// the platform's EncodingAESKey
    pub encoding_aes_key: String,
    /// the EncodingAESKey before a key change
    #[serde(default)]
    pub previous_encoding_aes_key: Option<String>,
    /// answer WeChat's release-test accounts
    #[serde(default = "yes")]
    pub release_test: bool,
    /// how long a revoked account's data is kept ("0": erased at once)
    #[serde(default = "default_forget")]
    pub forget_revoked_after: String,
}

fn yes() -> bool {
    true
}

fn default_forget() -> String {
    "30d".into()
}

/// `[open_platform]`, validated.
#[derive(Debug, Clone)]
pub struct OpenPlatformConfig {
    /// `component_appid`
    pub component_appid: String,
    /// `component_appsecret`
    pub component_appsecret: Secret,
    /// `token`: the message-check Token of every push to the platform
    pub token: Secret,
    /// `encoding_aes_key`, bound to `component_appid` (the appid every envelope must carry)
    pub crypt: MessageCrypt,
    /// `encoding_aes_key` itself (`wxgate mock-api` encrypts the platform's pushes with it)
    pub encoding_aes_key: EncodingAesKey,
    /// `previous_encoding_aes_key`, accepted during a key change
    pub previous_crypt: Option<MessageCrypt>,
    /// `release_test`
    pub release_test: bool,
    /// `forget_revoked_after`: zero erases a revoked account's data at once
    pub forget_revoked_after: Duration,
    /// `[server] public_url`, without a trailing `/`
    pub public_url: String,
    /// `{server.path}/open`: the authorisation-event URL's path; account pushes arrive at
    /// `{push_base}/{appid}`
    pub push_base: String,
}

impl OpenPlatformConfig {
    /// The push path of the authorizer `appid`: `{server.path}/open/{appid}`.
    pub fn push_path(&self, appid: &str) -> String {
        format!("{}/{appid}", self.push_base)
    }

    /// The config of `appid`, an account that authorised the platform: served at
    /// [`push_path`](Self::push_path), named by its appid, under the platform's Token and
    /// keys (safe mode), without an appsecret.
    pub fn authorizer(&self, appid: &str) -> AccountConfig {
        AccountConfig {
            name: appid.to_string(),
            table: AUTHORIZER_TABLE.to_string(),
            metric_label: None,
            push_path: self.push_path(appid),
            appid: appid.to_string(),
            appsecret: None,
            token: self.token.clone(),
            security: Security::Safe,
            crypt: Some(self.crypt.clone()),
            previous_crypt: self.previous_crypt.clone(),
            max_clock_skew: Some(Duration::from_secs(300)),
            refuse_replays: true,
        }
    }

    /// Where the authorisation page sends the browser back to by default:
    /// `{public_url}{server.path}/open/authorized`.
    pub fn default_redirect(&self) -> String {
        format!("{}{}/authorized", self.public_url, self.push_base)
    }
}

/// `[open_platform]` (with `public_url` and `server.path`), or None without it.
/// `account_names` are the config's accounts: none may be named [`RESERVED_NAME`].
pub(super) fn validate(
    raw: &RawConfig,
    account_names: &[&str],
    env_secret: Option<String>,
) -> Result<Option<OpenPlatformConfig>, ConfigError> {
    let Some(open) = &raw.open_platform else {
        return Ok(None);
    };
    let key = |field: &str| format!("open_platform.{field}");
    if let Some(i) = account_names.iter().position(|n| *n == RESERVED_NAME) {
        return Err(ConfigError::new(
            format!("accounts[{i}].name"),
            "\"open\" is taken by [open_platform] ({server.path}/open is its push URL)",
        ));
    }
    if !is_appid(&open.component_appid) {
        return Err(ConfigError::new(
            key("component_appid"),
            "must be an AppID: wx followed by 16 letters and digits",
        ));
    }
    let secret = env_secret
        .or_else(|| open.component_appsecret.clone())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            ConfigError::new(
                key("component_appsecret"),
                "required (or WXGATE_COMPONENT_APPSECRET)",
            )
        })?;
    super::account::check_token(&open.token)
        .map_err(|message| ConfigError::new(key("token"), message))?;
    let crypt = |text: &str, field: &str| -> Result<MessageCrypt, ConfigError> {
        let aes = EncodingAesKey::parse(text).map_err(|e| {
            ConfigError::new(
                key(field),
                format!("not a valid EncodingAESKey (43 characters of base64): {e}"),
            )
        })?;
        Ok(MessageCrypt::new(aes, open.component_appid.clone()))
    };
    let current = crypt(&open.encoding_aes_key, "encoding_aes_key")?;
    let encoding_aes_key = EncodingAesKey::parse(&open.encoding_aes_key)
        .map_err(|e| ConfigError::new(key("encoding_aes_key"), e.to_string()))?;
    let previous = open
        .previous_encoding_aes_key
        .as_deref()
        .map(|k| crypt(k, "previous_encoding_aes_key"))
        .transpose()?;
    let forget = forget_after(&open.forget_revoked_after).ok_or_else(|| {
        ConfigError::new(
            key("forget_revoked_after"),
            "not a duration like \"30d\", \"72h\" or \"0\"",
        )
    })?;
    let public_url = raw.server.public_url.as_deref().ok_or_else(|| {
        ConfigError::new(
            "server.public_url",
            "required with [open_platform]: the authorisation page sends browsers back to \
             {public_url}{server.path}/open/authorized",
        )
    })?;
    Ok(Some(OpenPlatformConfig {
        component_appid: open.component_appid.clone(),
        component_appsecret: Secret::new(secret),
        token: Secret::new(open.token.clone()),
        crypt: current,
        encoding_aes_key,
        previous_crypt: previous,
        release_test: open.release_test,
        forget_revoked_after: forget,
        public_url: public_url.trim_end_matches('/').to_string(),
        push_base: format!("{}/open", raw.server.path.trim_end_matches('/')),
    }))
}

/// Whether `text` looks like a WeChat AppID: `wx` and 16 ASCII letters or digits.
pub fn is_appid(text: &str) -> bool {
    text.len() == 18 && text.starts_with("wx") && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// "30d", "72h"...; "0" = at once.
fn forget_after(text: &str) -> Option<Duration> {
    if text.trim() == "0" {
        return Some(Duration::ZERO);
    }
    humantime::parse_duration(text.trim())
        .ok()
        .filter(|d| !d.is_zero())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::config::tests::build;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    fn platform(extra: &str) -> String {
        format!(
            "[server]\npublic_url = \"https://wx.example.com\"\n[open_platform]\n\
             component_appid = \"wx1234567890abcdef\"\ncomponent_appsecret = \"s\"\n\
             token = \"platformtoken\"\nencoding_aes_key = \"{KEY}\"\n{extra}"
        )
    }

    fn key(text: &str) -> String {
        build(text, &[]).err().map(|e| e.key).unwrap_or_default()
    }

    #[test]
    fn a_platform_alone_serves_no_account_of_the_file_and_takes_its_defaults() {
        let config = build(&platform(""), &[]).unwrap();
        assert!(config.accounts.is_empty());
        let open = config.open_platform.unwrap();
        assert!(open.release_test);
        assert_eq!(open.forget_revoked_after, Duration::from_secs(30 * 86_400));
        assert_eq!(open.push_path("wxa"), "/wechat/open/wxa");
        assert_eq!(
            open.default_redirect(),
            "https://wx.example.com/wechat/open/authorized"
        );
        assert_eq!(open.crypt.appid(), "wx1234567890abcdef");
    }

    #[test]
    fn each_bad_key_is_named() {
        assert_eq!(
            key(&platform("").replace("component_appsecret = \"s\"\n", "")),
            "open_platform.component_appsecret"
        );
        assert_eq!(
            key(&platform("").replace("wx1234567890abcdef", "gh_1")),
            "open_platform.component_appid"
        );
        assert_eq!(
            key(&platform("").replace("platformtoken", "a-b")),
            "open_platform.token"
        );
        assert_eq!(
            key(&platform("").replace(KEY, "short")),
            "open_platform.encoding_aes_key"
        );
        assert_eq!(
            key(&platform("previous_encoding_aes_key = \"x\"\n")),
            "open_platform.previous_encoding_aes_key"
        );
        assert_eq!(
            key(&platform("forget_revoked_after = \"soon\"\n")),
            "open_platform.forget_revoked_after"
        );
        assert_eq!(
            key(&platform("").replace("public_url = \"https://wx.example.com\"\n", "")),
            "server.public_url"
        );
        assert_eq!(key(&platform("colour = 1\n")), "open_platform.colour");
    }

    #[test]
    fn beside_accounts_none_may_be_named_open() {
        let both = format!(
            "{}[[accounts]]\nname = \"shop\"\n[[accounts]]\nname = \"open\"\n",
            platform("")
        );
        assert_eq!(key(&both), "accounts[1].name");
        let fine = format!("{}[account]\nappid = \"wxa\"\n", platform(""));
        let config = build(&fine, &[]).unwrap();
        assert_eq!(config.accounts.len(), 1);
        assert!(config.open_platform.is_some());
    }

    #[test]
    fn the_secret_comes_from_the_environment_and_zero_forgets_at_once() {
        let text = platform("forget_revoked_after = \"0\"\nrelease_test = false\n")
            .replace("component_appsecret = \"s\"\n", "");
        let config = build(&text, &[("WXGATE_COMPONENT_APPSECRET", "fromenv")]).unwrap();
        let open = config.open_platform.unwrap();
        assert_eq!(open.component_appsecret.expose(), "fromenv");
        assert_eq!(open.forget_revoked_after, Duration::ZERO);
        assert!(!open.release_test);
        assert_eq!(format!("{:?}", open.component_appsecret), "<redacted>");
    }
}
