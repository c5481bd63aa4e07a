//! OAuth web authorisation (网页授权): the page WeChat shows, the code's exchange for the
//! visitor's openid, and their profile for `snsapi_userinfo`.
//!
//! The code is exchanged by a [`CodeExchange`]: [`SecretExchange`] with the account's AppSecret
//! (`sns/oauth2/access_token`), or [`ComponentExchange`] for an account served through a
//! third-party platform, which exchanges it at `sns/oauth2/component/access_token` with the
//! platform's component token and whose authorize URL names the `component_appid`.

use std::fmt;

use async_trait::async_trait;
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::ApiClient;
use crate::component::ComponentClient;
use crate::error::ApiError;
use crate::http::Transport;

/// What a sign-in asks of the visitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthScope {
    /// `snsapi_base`: the openid only, silently.
    Base,
    /// `snsapi_userinfo`: with consent, also nickname, avatar and region.
    UserInfo,
}

impl OAuthScope {
    /// WeChat's word: `snsapi_base` or `snsapi_userinfo`.
    pub fn as_wechat(self) -> &'static str {
        match self {
            OAuthScope::Base => "snsapi_base",
            OAuthScope::UserInfo => "snsapi_userinfo",
        }
    }
}

/// The visitor, as the code's exchange tells: their openid and the user token (valid 2 hours)
/// for [`ApiClient::sign_in_profile`]. `Debug` hides the token.
#[derive(Clone)]
pub struct OAuthUser {
    /// The visitor's openid under this account (a virtual one for a snapshot-page visitor).
    pub openid: String,
    /// Their unionid, when the account is bound to an Open Platform account.
    pub unionid: Option<String>,
    /// The scope WeChat granted (`snsapi_base` or `snsapi_userinfo`).
    pub scope: String,
    /// Whether they are a "snapshot page" visitor (`is_snapshotuser` 1), whose openid is virtual.
    pub is_snapshotuser: bool,
    /// The user-level access token (not the account's): only for `sns/userinfo`.
    pub access_token: SecretString,
}

impl fmt::Debug for OAuthUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthUser")
            .field("openid", &self.openid)
            .field("scope", &self.scope)
            .field("is_snapshotuser", &self.is_snapshotuser)
            .finish_non_exhaustive()
    }
}

/// A signed-in visitor's profile (`sns/userinfo`, scope `snsapi_userinfo`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserProfile {
    /// Nickname.
    #[serde(default)]
    pub nickname: String,
    /// Avatar URL (empty when they have none).
    #[serde(default)]
    pub headimgurl: String,
    /// 0 unknown, 1 male, 2 female (WeChat now always answers 0).
    #[serde(default)]
    pub sex: i64,
    /// Province.
    #[serde(default)]
    pub province: String,
    /// City.
    #[serde(default)]
    pub city: String,
    /// Country.
    #[serde(default)]
    pub country: String,
}

/// How an account's sign-in codes become visitors.
#[async_trait]
pub trait CodeExchange: Send + Sync + fmt::Debug {
    /// The query pairs the authorize URL carries besides `appid`, `redirect_uri`,
    /// `response_type`, `scope` and `state` (none for an account with its own AppSecret).
    fn authorize_params(&self) -> Vec<(&'static str, String)>;

    /// Exchanges `code` (valid 5 minutes, once): 40029 invalid, 40163 already used.
    async fn exchange(&self, code: &str) -> Result<OAuthUser, ApiError>;
}

/// [`CodeExchange`] with the account's AppSecret: `GET sns/oauth2/access_token`.
#[derive(Clone)]
pub struct SecretExchange {
    transport: Transport,
    appid: String,
    secret: SecretString,
}

impl fmt::Debug for SecretExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretExchange")
            .field("appid", &self.appid)
            .finish_non_exhaustive()
    }
}

impl SecretExchange {
    pub(crate) fn new(transport: Transport, appid: String, secret: SecretString) -> Self {
        Self {
            transport,
            appid,
            secret,
        }
    }
}

#[async_trait]
impl CodeExchange for SecretExchange {
    fn authorize_params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    async fn exchange(&self, code: &str) -> Result<OAuthUser, ApiError> {
        let query = [
            ("appid", self.appid.as_str()),
            ("secret", self.secret.expose_secret()),
            ("code", code),
            ("grant_type", "authorization_code"),
        ];
        let answer = self
            .transport
            .call(Method::GET, "sns/oauth2/access_token", &query, None)
            .await?;
        parse_user(&answer)
    }
}

/// [`CodeExchange`] of an account served through a third-party platform (no AppSecret):
/// `GET sns/oauth2/component/access_token` with the platform's component token; its authorize
/// URL carries `component_appid` (spec §12.1 item 6).
#[derive(Clone)]
pub struct ComponentExchange {
    component: ComponentClient,
    appid: String,
}

impl fmt::Debug for ComponentExchange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComponentExchange")
            .field("appid", &self.appid)
            .field("component_appid", &self.component.component_appid())
            .finish()
    }
}

impl ComponentExchange {
    /// The exchange of `appid`'s codes through `component`.
    pub fn new(component: ComponentClient, appid: impl Into<String>) -> Self {
        Self {
            component,
            appid: appid.into(),
        }
    }
}

#[async_trait]
impl CodeExchange for ComponentExchange {
    fn authorize_params(&self) -> Vec<(&'static str, String)> {
        vec![(
            "component_appid",
            self.component.component_appid().to_owned(),
        )]
    }

    async fn exchange(&self, code: &str) -> Result<OAuthUser, ApiError> {
        let query = [
            ("appid", self.appid.as_str()),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("component_appid", self.component.component_appid()),
        ];
        let answer = self
            .component
            .call(
                Method::GET,
                "sns/oauth2/component/access_token",
                &query,
                None,
            )
            .await?;
        parse_user(&answer)
    }
}

/// Reads the exchange's answer; errors name the field only, never a value.
fn parse_user(answer: &Value) -> Result<OAuthUser, ApiError> {
    let text = |name: &str| {
        answer
            .get(name)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
    };
    let missing = |name: &str| ApiError::Decode {
        path: "/sns/oauth2/access_token".to_owned(),
        reason: format!("no {name}"),
        source: None,
    };
    Ok(OAuthUser {
        openid: text("openid").ok_or_else(|| missing("openid"))?.to_owned(),
        unionid: text("unionid").map(str::to_owned),
        scope: text("scope").ok_or_else(|| missing("scope"))?.to_owned(),
        is_snapshotuser: answer.get("is_snapshotuser").and_then(Value::as_i64) == Some(1),
        access_token: SecretString::from(
            text("access_token").ok_or_else(|| missing("access_token"))?,
        ),
    })
}

/// The page to send a visitor to (spec: `connect/oauth2/authorize`, ending in
/// `#wechat_redirect`): under `open_base` (`https://open.weixin.qq.com` or a mock),
/// `redirect_uri` URL-encoded, and `extra` (a [`CodeExchange`]'s [`authorize_params`]).
///
/// [`authorize_params`]: CodeExchange::authorize_params
pub fn authorize_url(
    open_base: &Url,
    appid: &str,
    redirect_uri: &str,
    scope: OAuthScope,
    state: &str,
    extra: &[(&'static str, String)],
) -> Url {
    let mut url = open_base.clone();
    let path = format!(
        "{}/connect/oauth2/authorize",
        url.path().trim_end_matches('/')
    );
    url.set_path(&path);
    url.set_query(None);
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("appid", appid)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", scope.as_wechat())
            .append_pair("state", state);
        for (name, value) in extra {
            query.append_pair(name, value);
        }
    }
    url.set_fragment(Some("wechat_redirect"));
    url
}

impl ApiClient {
    /// How this account's sign-in codes are exchanged.
    pub fn code_exchange(&self) -> &dyn CodeExchange {
        self.code_exchange.as_ref()
    }

    /// The profile of a visitor signed in with `snsapi_userinfo` (`sns/userinfo`, `zh_CN`).
    pub async fn sign_in_profile(&self, user: &OAuthUser) -> Result<UserProfile, ApiError> {
        let query = [
            ("access_token", user.access_token.expose_secret()),
            ("openid", user.openid.as_str()),
            ("lang", "zh_CN"),
        ];
        let answer = self
            .transport
            .call(Method::GET, "sns/userinfo", &query, None)
            .await?;
        serde_json::from_value(answer).map_err(|err| ApiError::Decode {
            path: "/sns/userinfo".to_owned(),
            reason: err.to_string(),
            source: Some(err),
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_authorize_url_has_the_spec_shape() {
        let base = Url::parse("https://open.weixin.qq.com").ok();
        let url = base.map(|base| {
            authorize_url(
                &base,
                "wx0123456789abcdef",
                "https://wx.example.com/oauth/default/callback",
                OAuthScope::UserInfo,
                "S1",
                &[],
            )
        });
        assert_eq!(
            url.map(String::from).as_deref(),
            Some(
                "https://open.weixin.qq.com/connect/oauth2/authorize?appid=wx0123456789abcdef\
                 &redirect_uri=https%3A%2F%2Fwx.example.com%2Foauth%2Fdefault%2Fcallback\
                 &response_type=code&scope=snsapi_userinfo&state=S1#wechat_redirect"
            )
        );
    }

    #[test]
    fn the_exchange_answer_is_read_without_echoing_the_token() {
        let user = parse_user(&json!({
            "access_token": "user-token-value", "expires_in": 7200, "refresh_token": "r",
            "openid": "oX", "scope": "snsapi_base", "is_snapshotuser": 1
        }));
        let user = user.ok();
        assert!(user
            .as_ref()
            .is_some_and(|u| u.openid == "oX" && u.unionid.is_none() && u.is_snapshotuser));
        let shown = format!("{user:?}");
        assert!(!shown.contains("user-token-value"), "{shown}");
        let err = parse_user(&json!({"access_token": "t", "scope": "snsapi_base"})).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some("calling /sns/oauth2/access_token: unexpected answer: no openid")
        );
    }
}
