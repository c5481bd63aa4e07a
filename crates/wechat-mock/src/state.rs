//! The mock's memory and the handle tests use to steer it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::distributions::Alphanumeric;
use rand::Rng;
use serde::Serialize;
use serde_json::Value;

use crate::error::WxError;
use crate::jobfinish::Target;
use crate::platform::PlatformData;
use crate::MockConfig;

/// A call that changed something, as listed by `GET /mock/sent`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentCall {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Request path without the query, e.g. `/cgi-bin/menu/create`.
    pub path: String,
    /// The JSON body sent (`null` for calls without a body).
    pub body: Value,
    /// When the call arrived.
    pub at: DateTime<Utc>,
}

/// A media upload as it arrived (`cgi-bin/media/upload`), byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    /// The raw query string (it holds the `access_token`).
    pub query: String,
    /// The request's Content-Type, boundary included.
    pub content_type: String,
    /// The request body.
    pub body: Vec<u8>,
}

/// Which endpoint issued a token: their tokens are independent, as on WeChat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Issuer {
    Token,
    Stable,
}

#[derive(Debug)]
struct Issued {
    /// the account it was issued to
    appid: String,
    expires_at: DateTime<Utc>,
    revoked: bool,
}

#[derive(Debug, Default)]
struct Data {
    tokens: HashMap<String, Issued>,
    /// the current token of `GET token`, by appid
    current_plain: HashMap<String, String>,
    /// the current token of `stable_token`, by appid
    current_stable: HashMap<String, String>,
    token_requests: u64,
    requests: u64,
    inject: VecDeque<i64>,
    stable_disabled: bool,
    /// the menu of each appid
    menus: HashMap<String, Value>,
    menu_id: u64,
    tickets: HashSet<String>,
    out_of_window: HashSet<String>,
    sent: Vec<SentCall>,
    /// media uploads, as they arrived
    uploads: Vec<Upload>,
    /// the follower list of `user/get`, sorted (as the generated openids are)
    followers: Vec<String>,
    /// msgid of the last template message taken
    last_msgid: i64,
    /// `TEMPLATESENDJOBFINISH` Status per openid, other than `success`
    outcomes: HashMap<String, String>,
    /// where job-finish pushes go
    push_to: Option<String>,
    /// API calls (token endpoints aside) left before every call answers 45009
    quota_left: Option<u64>,
    /// the web side: jsapi tickets, OAuth codes and user tokens
    web: WebData,
}

/// The mock's memory of the account's web side.
#[derive(Debug, Default)]
struct WebData {
    /// the current jsapi_ticket, by appid
    tickets: HashMap<String, String>,
    /// calls that reached `ticket/getticket` (answered or refused)
    ticket_requests: u64,
    /// lifetime of the tickets issued (None: the token lifetime)
    ticket_ttl: Option<Duration>,
    /// OAuth codes issued by the authorize page
    codes: HashMap<String, Code>,
    /// user access tokens of `sns/oauth2/access_token`, with their scope
    user_tokens: HashMap<String, String>,
}

/// An OAuth code: for which account and scope, when, and whether it was exchanged.
#[derive(Debug)]
struct Code {
    appid: String,
    scope: String,
    issued_at: DateTime<Utc>,
    used: bool,
}

/// What exchanging an OAuth code gives: a user access token and its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WebUser {
    pub(crate) access_token: String,
    pub(crate) scope: String,
}

/// Shared state of one mock server; cheap to clone. Tests keep a clone to inspect and steer
/// the server (count token requests, expire tokens, inject errors, read recorded calls).
#[derive(Debug, Clone)]
pub struct MockState {
    config: Arc<MockConfig>,
    data: Arc<Mutex<Data>>,
    /// the third-party platform's side (tickets, component tokens, authorizers)
    pub(crate) platform: Arc<Mutex<PlatformData>>,
}

/// How long a token from `GET token` keeps working after a newer one was issued.
const OVERLAP: Duration = Duration::from_secs(300);

impl MockState {
    /// A fresh mock with no tokens, menu or QR codes.
    pub fn new(config: MockConfig) -> Self {
        let data = Data {
            followers: (0..config.followers)
                .map(crate::followers::openid)
                .collect(),
            last_msgid: 200_228_331,
            push_to: config.push_to.clone(),
            ..Data::default()
        };
        Self {
            config: Arc::new(config),
            data: Arc::new(Mutex::new(data)),
            platform: Arc::new(Mutex::new(PlatformData::default())),
        }
    }

    /// The configuration this mock checks calls against.
    pub fn config(&self) -> &MockConfig {
        &self.config
    }

    fn data(&self) -> MutexGuard<'_, Data> {
        // A panic while holding the lock only happens in a failing test; keep serving.
        self.data
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many calls reached `GET token` or `POST stable_token` (answered or refused).
    pub fn token_requests(&self) -> u64 {
        self.data().token_requests
    }

    /// How many calls reached any `/cgi-bin/` endpoint except `showqrcode`.
    pub fn requests(&self) -> u64 {
        self.data().requests
    }

    /// Every call that changed something, oldest first.
    pub fn sent(&self) -> Vec<SentCall> {
        self.data().sent.clone()
    }

    /// Makes every token issued so far expired: calls with them answer 42001.
    pub fn expire_tokens(&self) {
        let now = Utc::now();
        for issued in self.data().tokens.values_mut() {
            issued.expires_at = issued.expires_at.min(now);
        }
    }

    /// Makes every token issued so far invalid, as if revoked on the platform: calls with
    /// them answer 40001 and `stable_token` issues a new one.
    pub fn invalidate_tokens(&self) {
        let mut data = self.data();
        for issued in data.tokens.values_mut() {
            issued.revoked = true;
        }
        data.current_plain.clear();
        data.current_stable.clear();
    }

    /// Makes every token issued so far refused (40001) while `stable_token` in normal mode
    /// keeps handing out the current one: the case `force_refresh=true` exists for.
    pub fn refuse_current_tokens(&self) {
        for issued in self.data().tokens.values_mut() {
            issued.revoked = true;
        }
    }

    /// The next `n` calls to `/cgi-bin/` (any endpoint but `showqrcode`) answer `errcode`
    /// instead of being served, e.g. `-1` (busy) or `45011` (too often).
    pub fn fail_next(&self, n: usize, errcode: i64) {
        let mut data = self.data();
        for _ in 0..n {
            data.inject.push_back(errcode);
        }
    }

    /// Whether `POST stable_token` exists; when disabled it answers HTTP 404, like a
    /// platform without the endpoint.
    pub fn set_stable_token_enabled(&self, enabled: bool) {
        self.data().stable_disabled = !enabled;
    }

    /// Marks a user as outside the 48 h window: customer-service messages to them answer 45015.
    pub fn set_out_of_window(&self, openid: &str) {
        self.data().out_of_window.insert(openid.to_owned());
    }

    /// The followers `user/get` lists, in its order.
    pub fn followers(&self) -> Vec<String> {
        self.data().followers.clone()
    }

    /// Takes `openid` off the follower list (they unfollowed while the gateway was away).
    pub fn remove_follower(&self, openid: &str) {
        self.data().followers.retain(|f| f != openid);
    }

    /// Makes the `TEMPLATESENDJOBFINISH` push of template messages to `openid` carry `status`
    /// (e.g. `failed:user block`) instead of `success`.
    pub fn set_template_outcome(&self, openid: &str, status: &str) {
        self.data()
            .outcomes
            .insert(openid.to_owned(), status.to_owned());
    }

    /// Sends the `TEMPLATESENDJOBFINISH` push of every template message taken from now on
    /// to `url` (the gateway's push URL), or none.
    pub fn set_push_to(&self, url: Option<&str>) {
        self.data().push_to = url.map(str::to_owned);
    }

    /// Where the job-finish pushes of `appid`'s template messages go, the Token that signs
    /// them and how they are wrapped: `push_to` (+ `/{name}` for an account of
    /// [`MockConfig::push_accounts`]).
    pub(crate) fn push_target(&self, appid: &str) -> Option<Target> {
        if let Some(target) = self.authorizer_push_target(appid) {
            return Some(target);
        }
        let url = self.data().push_to.clone()?;
        Some(match self.config.push_accounts.get(appid) {
            Some(account) => Target {
                url: format!("{}/{}", url.trim_end_matches('/'), account.name),
                token: account.token.clone(),
                security: account.security.clone(),
                to_user_name: crate::jobfinish::MOCK_USER_NAME.to_owned(),
            },
            None => Target {
                url,
                token: self.config.push_token.clone(),
                security: self.config.push_security.clone(),
                to_user_name: crate::jobfinish::MOCK_USER_NAME.to_owned(),
            },
        })
    }

    /// The Status the job-finish push of a message to `openid` carries.
    pub(crate) fn template_outcome(&self, openid: &str) -> String {
        self.data()
            .outcomes
            .get(openid)
            .cloned()
            .unwrap_or_else(|| "success".to_owned())
    }

    /// A new media id for an upload.
    pub(crate) fn next_media_id(&self) -> String {
        let n = self.next_msgid();
        format!("MEDIA_{n}")
    }

    /// Keeps an upload for [`MockState::uploads`].
    pub(crate) fn keep_upload(&self, upload: Upload) {
        self.data().uploads.push(upload);
    }

    /// Every media upload taken, oldest first, as it arrived.
    pub fn uploads(&self) -> Vec<Upload> {
        self.data().uploads.clone()
    }

    /// A new template message id.
    pub(crate) fn next_msgid(&self) -> i64 {
        let mut data = self.data();
        data.last_msgid += 1;
        data.last_msgid
    }

    /// Whether `openid` is on the follower list (always true without `--followers`).
    pub(crate) fn is_follower(&self, openid: &str) -> bool {
        let data = self.data();
        self.config.followers == 0 || data.followers.binary_search(&openid.to_owned()).is_ok()
    }

    /// Up to `max` followers after `next_openid` (from the start for `None`), and the total.
    pub(crate) fn follower_page(
        &self,
        next_openid: Option<&str>,
        max: usize,
    ) -> (Vec<String>, usize) {
        let data = self.data();
        let start = next_openid.map_or(0, |next| {
            data.followers.partition_point(|f| f.as_str() <= next)
        });
        let page = data
            .followers
            .iter()
            .skip(start)
            .take(max)
            .cloned()
            .collect();
        (page, data.followers.len())
    }

    /// After `calls` more API calls (the token endpoints aside), every call answers 45009
    /// (the daily quota) until this is called with `None`.
    pub fn set_quota(&self, calls: Option<u64>) {
        self.data().quota_left = calls;
    }

    /// Counts a `/cgi-bin/` call and answers an injected error if one is queued.
    pub(crate) fn begin_call(&self, token_endpoint: bool) -> Result<(), WxError> {
        let mut data = self.data();
        data.requests += 1;
        if token_endpoint {
            data.token_requests += 1;
        } else if let Some(left) = data.quota_left {
            if left == 0 {
                return Err(WxError(45009));
            }
            data.quota_left = Some(left - 1);
        }
        match data.inject.pop_front() {
            Some(code) => Err(WxError(code)),
            None => Ok(()),
        }
    }

    pub(crate) fn stable_token_enabled(&self) -> bool {
        !self.data().stable_disabled
    }

    /// Checks `access_token` as WeChat does: 41001 missing, 40014 malformed, 40001 unknown or
    /// revoked, 42001 expired. The appid it was issued to.
    pub(crate) fn check_token(&self, token: Option<&str>) -> Result<String, WxError> {
        let token = match token {
            None | Some("") => return Err(WxError(41001)),
            Some(token) => token,
        };
        if !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(WxError(40014));
        }
        match self.data().tokens.get(token) {
            None => Err(WxError(40001)),
            Some(issued) if issued.revoked => Err(WxError(40001)),
            Some(issued) if issued.expires_at <= Utc::now() => Err(WxError(42001)),
            Some(issued) => Ok(issued.appid.clone()),
        }
    }

    /// Checks appid and secret as the token endpoints do.
    pub(crate) fn check_credentials(&self, appid: &str, secret: &str) -> Result<(), WxError> {
        if appid.is_empty() {
            return Err(WxError(41002));
        }
        let config = &self.config;
        let expected = std::iter::once((&config.appid, &config.appsecret))
            .chain(
                config
                    .more_apps
                    .iter()
                    .map(|(appid, secret)| (appid, secret)),
            )
            .find(|(known, _)| known.as_str() == appid)
            .map(|(_, secret)| secret)
            .ok_or(WxError(40013))?;
        if secret.is_empty() {
            return Err(WxError(41004));
        }
        if secret == expected.as_str() {
            return Ok(());
        }
        // WeChat answers 40125 for something that is not an AppSecret at all and 40001
        // ("invalid credential") for a well-formed but wrong one.
        if secret.len() == 32 && secret.bytes().all(|b| b.is_ascii_hexdigit()) {
            Err(WxError(40001))
        } else {
            Err(WxError(40125))
        }
    }

    /// Issues a token to `appid` and returns it with its remaining lifetime in seconds.
    ///
    /// `GET token` always issues a new one and lets the previous one live 5 more minutes;
    /// `stable_token` returns the current one while it is not in its last 1/24 of life
    /// (5 minutes of 7200 s) unless `force`, which revokes it.
    pub(crate) fn issue_token(&self, issuer: Issuer, appid: &str, force: bool) -> (String, u64) {
        let now = Utc::now();
        let ttl = self.config.token_ttl;
        let rotate_before = chrono_duration(ttl / 24);
        let mut data = self.data();
        let current = match issuer {
            Issuer::Token => data.current_plain.get(appid).cloned(),
            Issuer::Stable => data.current_stable.get(appid).cloned(),
        };
        if let Some(current) = current {
            let expires_at = data.tokens.get(&current).map(|issued| issued.expires_at);
            match (issuer, force, expires_at) {
                (Issuer::Stable, false, Some(at)) if at - now > rotate_before => {
                    let remaining = (at - now).num_seconds().max(1);
                    return (current, remaining.unsigned_abs());
                }
                (Issuer::Stable, _, _) if force => {
                    if let Some(issued) = data.tokens.get_mut(&current) {
                        issued.revoked = true;
                    }
                }
                (Issuer::Token, _, _) => {
                    let overlap_end = now + chrono_duration(OVERLAP);
                    if let Some(issued) = data.tokens.get_mut(&current) {
                        issued.expires_at = issued.expires_at.min(overlap_end);
                    }
                }
                _ => {}
            }
        }
        let token = new_token();
        data.tokens.insert(
            token.clone(),
            Issued {
                appid: appid.to_owned(),
                expires_at: now + chrono_duration(ttl),
                revoked: false,
            },
        );
        match issuer {
            Issuer::Token => data.current_plain.insert(appid.to_owned(), token.clone()),
            Issuer::Stable => data.current_stable.insert(appid.to_owned(), token.clone()),
        };
        (token, ttl.as_secs().max(1))
    }

    /// Records a call that changed something.
    pub(crate) fn record(&self, method: &str, path: &str, body: Value) {
        let call = SentCall {
            method: method.to_owned(),
            path: path.to_owned(),
            body,
            at: Utc::now(),
        };
        self.data().sent.push(call);
    }

    /// Stores (or with None deletes) the menu of `appid` and returns the new menu id.
    pub(crate) fn set_menu(&self, appid: &str, buttons: Option<Value>) -> u64 {
        let mut data = self.data();
        match buttons {
            Some(buttons) => data.menus.insert(appid.to_owned(), buttons),
            None => data.menus.remove(appid),
        };
        data.menu_id += 1;
        data.menu_id
    }

    /// The menu of `appid`, with the last menu id.
    pub(crate) fn menu(&self, appid: &str) -> Option<(Value, u64)> {
        let data = self.data();
        data.menus
            .get(appid)
            .cloned()
            .map(|menu| (menu, data.menu_id))
    }

    pub(crate) fn add_ticket(&self, ticket: &str) {
        self.data().tickets.insert(ticket.to_owned());
    }

    pub(crate) fn has_ticket(&self, ticket: &str) -> bool {
        self.data().tickets.contains(ticket)
    }

    pub(crate) fn is_out_of_window(&self, openid: &str) -> bool {
        self.data().out_of_window.contains(openid)
    }

    /// How many calls reached `ticket/getticket` (answered or refused).
    pub fn ticket_requests(&self) -> u64 {
        self.data().web.ticket_requests
    }

    /// The current jsapi_ticket of `appid`, if one was issued.
    pub fn jsapi_ticket(&self, appid: &str) -> Option<String> {
        self.data().web.tickets.get(appid).cloned()
    }

    /// Issue jsapi tickets that live `ttl` from now on (the token lifetime by default).
    pub fn set_ticket_ttl(&self, ttl: Duration) {
        self.data().web.ticket_ttl = Some(ttl);
    }

    /// Issues a new jsapi_ticket to `appid` (replacing its current one): it and its lifetime
    /// in seconds.
    pub(crate) fn issue_jsapi_ticket(&self, appid: &str) -> (String, u64) {
        let mut data = self.data();
        let ttl = data.web.ticket_ttl.unwrap_or(self.config.token_ttl);
        let ticket = format!("mock_jsapi_{}", random_from(ALPHANUMERIC, 64));
        data.web.tickets.insert(appid.to_owned(), ticket.clone());
        (ticket, ttl.as_secs().max(1))
    }

    /// Counts a call to `ticket/getticket` refused before it issued anything.
    pub(crate) fn count_ticket_request(&self) {
        self.data().web.ticket_requests += 1;
    }

    /// Whether `appid` is one of the accounts the mock knows (configured, or authorised to
    /// the platform).
    pub(crate) fn knows_appid(&self, appid: &str) -> bool {
        let config = &self.config;
        !appid.is_empty()
            && (config.appid == appid
                || config.more_apps.iter().any(|(known, _)| known == appid)
                || self.is_authorizer(appid))
    }

    /// Issues an access token to `appid` (an authorizer's, from a component call) living the
    /// configured token lifetime: it and its lifetime in seconds.
    pub(crate) fn issue_account_token(&self, appid: &str) -> (String, u64) {
        let ttl = self.config.token_ttl;
        let token = new_token();
        self.data().tokens.insert(
            token.clone(),
            Issued {
                appid: appid.to_owned(),
                expires_at: Utc::now() + chrono_duration(ttl),
                revoked: false,
            },
        );
        (token, ttl.as_secs().max(1))
    }

    /// Revokes every access token issued to `appid` (calls with them answer 40001).
    pub(crate) fn revoke_tokens_of(&self, appid: &str) {
        for issued in self.data().tokens.values_mut() {
            if issued.appid == appid {
                issued.revoked = true;
            }
        }
    }

    /// A new OAuth code of `appid` for `scope`.
    pub(crate) fn issue_code(&self, appid: &str, scope: &str) -> String {
        let code = format!("mockcode{}", random_from(ALPHANUMERIC, 24));
        let issued = Code {
            appid: appid.to_owned(),
            scope: scope.to_owned(),
            issued_at: Utc::now(),
            used: false,
        };
        self.data().web.codes.insert(code.clone(), issued);
        code
    }

    /// Exchanges an OAuth code of `appid`: once (40163 after), within 5 minutes, 40029 for a
    /// code unknown, of another account or too old.
    pub(crate) fn redeem_code(&self, appid: &str, code: &str) -> Result<WebUser, WxError> {
        let mut data = self.data();
        let found = data.web.codes.get_mut(code).ok_or(WxError(40029))?;
        if found.appid != appid || Utc::now() - found.issued_at > chrono::Duration::minutes(5) {
            return Err(WxError(40029));
        }
        if found.used {
            return Err(WxError(40163));
        }
        found.used = true;
        let scope = found.scope.clone();
        let access_token = format!("mock_sns_{}", random_from(ALPHANUMERIC, 48));
        data.web
            .user_tokens
            .insert(access_token.clone(), scope.clone());
        Ok(WebUser {
            access_token,
            scope,
        })
    }

    /// Checks a user access token for `sns/userinfo`: 40001 unknown, 48001 without the
    /// `snsapi_userinfo` scope.
    pub(crate) fn check_user_token(&self, token: &str) -> Result<(), WxError> {
        match self.data().web.user_tokens.get(token).map(String::as_str) {
            None => Err(WxError(40001)),
            Some("snsapi_userinfo") => Ok(()),
            Some(_) => Err(WxError(48001)),
        }
    }
}

/// The characters of the mock's codes and tickets.
pub(crate) const ALPHANUMERIC: &[u8] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

pub(crate) fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// A random token, shaped like WeChat's (long, alphanumeric with `_` and `-`).
pub(crate) fn new_token() -> String {
    let body: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(120)
        .map(char::from)
        .collect();
    format!("mock_{body}")
}

/// A random string of `len` characters from `alphabet`.
pub(crate) fn random_from(alphabet: &[u8], len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(alphabet[rng.gen_range(0..alphabet.len())]))
        .collect()
}
