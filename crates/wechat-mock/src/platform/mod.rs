//! The third-party platform's side of WeChat (spec §11): `component_verify_ticket` pushes, the
//! component calls of `cgi-bin/component/…`, accounts that authorise or revoke the platform
//! (`POST /mock/open/authorize` / `unauthorize`, which send the real pushes), an authorised
//! account's pushes (`POST /mock/open/push`, [`MockState::send_account_push`]), and the web
//! sign-in's `sns/oauth2/component/access_token`.
//!
//! An authorised account's access token (from `api_query_auth` or `api_authorizer_token`) is
//! an ordinary token of the mock: every `cgi-bin` call takes it, records what it changes in
//! `/mock/sent`, and a template message's job-finish push goes to `{push_to}/open/{appid}`,
//! encrypted with the platform's key.

mod calls;
mod control;
mod push;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use wechat_proto::{EncodingAesKey, MessageCrypt};

use crate::error::WxError;
use crate::jobfinish::{PushSecurity, Target};
use crate::state::{chrono_duration, random_from, MockState, ALPHANUMERIC};

pub(crate) use calls::{
    api_authorizer_token, api_component_token, api_create_preauthcode, api_get_authorizer_info,
    api_get_authorizer_list, api_query_auth, api_start_push_ticket, sns_component_access_token,
};
pub(crate) use control::{authorize, push, unauthorize};
pub(crate) use push::ticket_pushes;

/// How long a ticket is accepted (WeChat: 12 hours).
const TICKET_TTL: Duration = Duration::from_secs(12 * 3600);
/// How long an authorisation code is accepted (WeChat: one hour).
const CODE_TTL: Duration = Duration::from_secs(3600);
/// How long a pre_auth_code is accepted.
const PRE_AUTH_TTL: Duration = Duration::from_secs(600);
/// How long a replaced refresh token keeps working (WeChat: about 5 minutes).
const REFRESH_OVERLAP: Duration = Duration::from_secs(300);

/// The release test's Official Accounts (spec §11.5) and their gh_ ids.
const RELEASE_TEST_ACCOUNTS: [(&str, &str); 5] = [
    ("wx570bc396a51b8ff8", "gh_3c884a361561"),
    ("wx9252c5e0bb1836fc", "gh_c0f28a78b318"),
    ("wx8e1097c5bc82cde9", "gh_3f222ed8d140"),
    ("wx14550af28c71a144", "gh_26128078e9ab"),
    ("wxa35b9c23cfe664eb", "gh_2b3713f184a6"),
];

/// A third-party platform the mock is WeChat for ([`MockConfig::platform`](crate::MockConfig::platform)).
#[derive(Clone)]
pub struct Platform {
    /// The platform's AppID (`component_appid`).
    pub component_appid: String,
    /// Its AppSecret (`component_appsecret`).
    pub component_secret: String,
    /// The Token that signs its pushes.
    pub token: String,
    /// The EncodingAESKey that encrypts them.
    pub encoding_aes_key: EncodingAesKey,
    /// The gateway's push URL (`--push-to`): platform events go to `{push_to}/open`, an
    /// account's pushes to `{push_to}/open/{appid}`. None: nothing is pushed.
    pub push_to: Option<String>,
    /// How often a new ticket is pushed (WeChat: 10 minutes); one is pushed at start too.
    pub ticket_interval: Duration,
}

impl Platform {
    /// A platform with these credentials, pushing nowhere, a ticket every 600 s.
    pub fn new(
        component_appid: impl Into<String>,
        component_secret: impl Into<String>,
        token: impl Into<String>,
        encoding_aes_key: EncodingAesKey,
    ) -> Self {
        Self {
            component_appid: component_appid.into(),
            component_secret: component_secret.into(),
            token: token.into(),
            encoding_aes_key,
            push_to: None,
            ticket_interval: Duration::from_secs(600),
        }
    }

    /// The platform's message crypt (the envelope's appid is the component_appid).
    pub(crate) fn crypt(&self) -> MessageCrypt {
        MessageCrypt::new(self.encoding_aes_key.clone(), self.component_appid.clone())
    }
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Platform")
            .field("component_appid", &self.component_appid)
            .field("component_secret", &"<redacted>")
            .field("token", &"<redacted>")
            .field("push_to", &self.push_to)
            .field("ticket_interval", &self.ticket_interval)
            .finish_non_exhaustive()
    }
}

/// The gh_ id the mock gives an authorised account: the release test's own for its accounts,
/// else `gh_` and 12 characters of the appid.
pub fn authorizer_user_name(appid: &str) -> String {
    if let Some((_, gh)) = RELEASE_TEST_ACCOUNTS.iter().find(|(wx, _)| *wx == appid) {
        return (*gh).to_owned();
    }
    let tail: String = appid
        .trim_start_matches("wx")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .chain(std::iter::repeat('0'))
        .take(12)
        .collect();
    format!("gh_{tail}")
}

/// An account that authorised the platform.
#[derive(Debug, Clone)]
struct Authorizer {
    nick_name: String,
    refresh_token: String,
    auth_time: i64,
}

/// An authorisation code of `api_query_auth`.
#[derive(Debug)]
struct AuthCode {
    appid: String,
    expires_at: DateTime<Utc>,
    used: bool,
}

/// The mock's memory of the platform.
#[derive(Debug, Default)]
pub(crate) struct PlatformData {
    /// tickets pushed (or issued), with when they stop being accepted
    tickets: Vec<(String, DateTime<Utc>)>,
    /// component tokens issued, with their expiry
    component_tokens: HashMap<String, DateTime<Utc>>,
    component_token_requests: u64,
    pre_auth_codes: HashMap<String, DateTime<Utc>>,
    codes: HashMap<String, AuthCode>,
    query_auth_requests: u64,
    authorizer_token_requests: u64,
    /// current authorizers, by appid (sorted: the list's order)
    authorizers: BTreeMap<String, Authorizer>,
    /// replaced refresh tokens still accepted: token -> (appid, until)
    old_refresh: HashMap<String, (String, DateTime<Utc>)>,
    /// overrides `Platform::push_to`
    push_to: Option<Option<String>>,
}

/// What `POST /mock/open/authorize` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// The account.
    pub appid: String,
    /// The authorisation code (also in the `authorized` push and the browser's redirect).
    pub auth_code: String,
    /// Its gh_ id.
    pub user_name: String,
    /// Whether it had authorised before (the push is then `updateauthorized`).
    pub updated: bool,
}

impl MockState {
    fn platform_data(&self) -> std::sync::MutexGuard<'_, PlatformData> {
        self.platform
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The platform configured, or 40013 for every component call.
    pub(crate) fn platform_config(&self) -> Result<&Platform, WxError> {
        self.config().platform.as_ref().ok_or(WxError(40013))
    }

    /// Where platform pushes go now (None: nowhere).
    pub(crate) fn platform_push_to(&self) -> Option<String> {
        let configured = self.config().platform.as_ref()?.push_to.clone();
        self.platform_data().push_to.clone().unwrap_or(configured)
    }

    /// Sends platform events to `{url}/open` and accounts' pushes to `{url}/open/{appid}`
    /// from now on (None: nowhere).
    pub fn set_platform_push_to(&self, url: Option<&str>) {
        self.platform_data().push_to = Some(url.map(str::to_owned));
    }

    /// Issues a new `component_verify_ticket` (as the one a push carries) and returns it.
    pub fn issue_ticket(&self) -> String {
        let ticket = format!("ticket@@@{}", random_from(ALPHANUMERIC, 86));
        let until = Utc::now() + chrono_duration(TICKET_TTL);
        self.platform_data().tickets.push((ticket.clone(), until));
        ticket
    }

    /// The newest ticket issued, if any.
    pub fn current_ticket(&self) -> Option<String> {
        self.platform_data()
            .tickets
            .last()
            .map(|(ticket, _)| ticket.clone())
    }

    /// Makes every ticket issued so far expired: `api_component_token` answers 61005.
    pub fn expire_tickets(&self) {
        let now = Utc::now();
        for (_, until) in &mut self.platform_data().tickets {
            *until = (*until).min(now);
        }
    }

    /// How many calls reached `api_component_token` (answered or refused).
    pub fn component_token_requests(&self) -> u64 {
        self.platform_data().component_token_requests
    }

    /// How many calls reached `api_query_auth` (answered or refused).
    pub fn query_auth_requests(&self) -> u64 {
        self.platform_data().query_auth_requests
    }

    /// How many calls reached `api_authorizer_token` (answered or refused).
    pub fn authorizer_token_requests(&self) -> u64 {
        self.platform_data().authorizer_token_requests
    }

    /// Makes every component token issued so far expired: calls with them answer 42001.
    pub fn expire_component_tokens(&self) {
        let now = Utc::now();
        for until in self.platform_data().component_tokens.values_mut() {
            *until = (*until).min(now);
        }
    }

    /// Makes every component token issued so far unknown: calls with them answer 40001.
    pub fn invalidate_component_tokens(&self) {
        self.platform_data().component_tokens.clear();
    }

    /// Makes `appid` authorise the platform (again) without any push: its new authorisation
    /// code and gh_ id. The previous refresh token, if any, keeps working 5 minutes.
    pub fn grant(&self, appid: &str, nick_name: Option<&str>) -> Grant {
        let now = Utc::now();
        let code = format!("queryauthcode@@@{}", random_from(ALPHANUMERIC, 64));
        let refresh = new_refresh_token();
        let mut data = self.platform_data();
        let previous = data.authorizers.remove(appid);
        let updated = previous.is_some();
        if let Some(previous) = &previous {
            let until = now + chrono_duration(REFRESH_OVERLAP);
            data.old_refresh
                .insert(previous.refresh_token.clone(), (appid.to_owned(), until));
        }
        let nick_name = nick_name
            .map(str::to_owned)
            .or_else(|| previous.map(|p| p.nick_name))
            .unwrap_or_else(|| format!("Mock account {appid}"));
        data.authorizers.insert(
            appid.to_owned(),
            Authorizer {
                nick_name,
                refresh_token: refresh,
                auth_time: now.timestamp(),
            },
        );
        data.codes.insert(
            code.clone(),
            AuthCode {
                appid: appid.to_owned(),
                expires_at: now + chrono_duration(CODE_TTL),
                used: false,
            },
        );
        Grant {
            appid: appid.to_owned(),
            auth_code: code,
            user_name: authorizer_user_name(appid),
            updated,
        }
    }

    /// Makes `appid` revoke the platform without any push: its refresh tokens and access
    /// tokens stop working at once. Whether it had authorised.
    pub fn revoke(&self, appid: &str) -> bool {
        let was = {
            let mut data = self.platform_data();
            data.old_refresh.retain(|_, (owner, _)| owner != appid);
            data.authorizers.remove(appid).is_some()
        };
        self.revoke_tokens_of(appid);
        was
    }

    /// The accounts that have authorised the platform, in appid order.
    pub fn authorizers(&self) -> Vec<String> {
        self.platform_data().authorizers.keys().cloned().collect()
    }

    /// Whether `appid` has authorised the platform.
    pub fn is_authorizer(&self, appid: &str) -> bool {
        self.platform_data().authorizers.contains_key(appid)
    }

    /// The current refresh token of `appid`, if it has authorised.
    pub fn refresh_token(&self, appid: &str) -> Option<String> {
        self.platform_data()
            .authorizers
            .get(appid)
            .map(|a| a.refresh_token.clone())
    }

    /// Makes WeChat forget `appid`'s refresh tokens (as if they were revoked on its side, the
    /// account still listed with a new one): `api_authorizer_token` with an old one answers
    /// 61023.
    pub fn rotate_refresh_token(&self, appid: &str) -> Option<String> {
        let mut data = self.platform_data();
        data.old_refresh.retain(|_, (owner, _)| owner != appid);
        let authorizer = data.authorizers.get_mut(appid)?;
        authorizer.refresh_token = new_refresh_token();
        Some(authorizer.refresh_token.clone())
    }

    /// Where an authorizer's job-finish pushes go: `{push_to}/open/{appid}`, signed and
    /// encrypted with the platform's keys, addressed to its gh_ id.
    pub(crate) fn authorizer_push_target(&self, appid: &str) -> Option<Target> {
        let platform = self.config().platform.as_ref()?;
        if !self.is_authorizer(appid) {
            return None;
        }
        let url = self.platform_push_to()?;
        Some(Target {
            url: format!("{}/open/{appid}", url.trim_end_matches('/')),
            token: platform.token.clone(),
            security: PushSecurity::Safe(platform.crypt()),
            to_user_name: authorizer_user_name(appid),
        })
    }
}

/// What `api_get_authorizer_info` tells of an authorizer.
struct AuthorizerRecordView {
    nick_name: String,
    user_name: String,
}

impl MockState {
    fn authorizer_view(&self, appid: &str) -> Option<AuthorizerRecordView> {
        let data = self.platform_data();
        let authorizer = data.authorizers.get(appid)?;
        Some(AuthorizerRecordView {
            nick_name: authorizer.nick_name.clone(),
            user_name: authorizer_user_name(appid),
        })
    }
}

/// A random refresh token, shaped like WeChat's.
fn new_refresh_token() -> String {
    format!("refreshtoken@@@{}", random_from(ALPHANUMERIC, 43))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_component_secret_and_the_token() {
        let key = EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
        let platform =
            key.map(|key| Platform::new("wxc", "component-secret-value", "tokenvalue", key));
        let shown = format!("{platform:?}");
        assert!(shown.contains("wxc"), "{shown}");
        assert!(
            !shown.contains("component-secret-value") && !shown.contains("tokenvalue"),
            "{shown}"
        );
    }

    #[test]
    fn user_names_are_stable_and_the_release_accounts_keep_theirs() {
        assert_eq!(
            authorizer_user_name("wx570bc396a51b8ff8"),
            "gh_3c884a361561"
        );
        assert_eq!(
            authorizer_user_name("wx0123456789abcdef"),
            "gh_0123456789ab"
        );
        assert_eq!(authorizer_user_name("wxab"), "gh_ab0000000000");
    }
}
