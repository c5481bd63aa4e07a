//! [`ComponentClient`]: the platform's own token and calls.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use super::authorize::{authorize_urls, AuthTarget, AuthorizeUrls, MP_BASE_URL};
use super::types::{
    AuthorizationInfo, AuthorizerEntry, AuthorizerInfo, AuthorizerPage, AuthorizerToken,
    PreAuthCode,
};
use crate::config::ClientConfig;
use crate::error::{ApiError, BaseUrlError};
use crate::http::Transport;
use crate::token::fetch::parse_secret;
use crate::token::holder::{Fetched, Holder, Source};
use crate::token::retry::{refused_error, with_token};
use crate::token::{CachedToken, StoreError, TokenStore};

/// Most entries `api_get_authorizer_list` gives in one page.
pub const MAX_AUTHORIZER_PAGE: u32 = 500;

/// Where the newest `component_verify_ticket` is found: the gateway stores each one WeChat
/// pushes (durably, shared by its instances, one per component_appid).
#[async_trait]
pub trait TicketSource: Send + Sync {
    /// The newest ticket of `component_appid`, if one has arrived.
    async fn ticket(&self, component_appid: &str) -> Result<Option<SecretString>, StoreError>;
}

/// A client of one third-party platform. Cheap to clone; clones share the component token.
#[derive(Clone)]
pub struct ComponentClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) transport: Transport,
    /// `appid` is the component_appid, `secret` the component_appsecret
    pub(crate) config: ClientConfig,
    holder: Holder,
    tickets: Arc<dyn TicketSource>,
}

impl fmt::Debug for ComponentClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ComponentClient")
            .field("component_appid", &self.inner.config.appid)
            .finish_non_exhaustive()
    }
}

impl ComponentClient {
    /// A client of the platform whose component_appid is `config.appid` and whose
    /// component_appsecret is `config.secret` (the other settings as for an account), keeping
    /// its component token in `tokens` under the key `component:{component_appid}` and reading
    /// tickets from `tickets`.
    pub fn new(
        config: ClientConfig,
        tokens: Arc<dyn TokenStore>,
        tickets: Arc<dyn TicketSource>,
    ) -> Result<Self, ApiError> {
        let transport = Transport::new(&config)?;
        let holder = Holder::new(
            "component token",
            Self::token_key(&config.appid),
            config.holder_id.clone(),
            config.refresh_margin,
            tokens,
        );
        Ok(Self {
            inner: Arc::new(Inner {
                transport,
                config,
                holder,
                tickets,
            }),
        })
    }

    /// The [`TokenStore`] key the component token of `component_appid` is kept under.
    pub fn token_key(component_appid: &str) -> String {
        format!("component:{component_appid}")
    }

    /// The component_appid.
    pub fn component_appid(&self) -> &str {
        &self.inner.config.appid
    }

    /// The component access token and its expiry, fetched first (with the newest ticket) if it
    /// is due. [`ApiError::NoTicket`] while no ticket has arrived.
    pub async fn component_token(&self) -> Result<CachedToken, ApiError> {
        self.inner.holder.get(&TokenFetch(&self.inner)).await
    }

    /// `api_start_push_ticket`: asks WeChat to push a ticket now (and every 10 minutes).
    pub async fn start_push_ticket(&self) -> Result<(), ApiError> {
        let body = json!({
            "component_appid": self.component_appid(),
            "component_secret": self.inner.config.secret.expose_secret(),
        });
        self.inner
            .transport
            .call(
                Method::POST,
                "cgi-bin/component/api_start_push_ticket",
                &[],
                Some(&body),
            )
            .await?;
        Ok(())
    }

    /// `api_create_preauthcode`: a fresh single-use code for the authorisation page.
    pub async fn create_preauthcode(&self) -> Result<PreAuthCode, ApiError> {
        let path = "cgi-bin/component/api_create_preauthcode";
        let body = json!({ "component_appid": self.component_appid() });
        let answer = self.call(Method::POST, path, &[], Some(&body)).await?;
        Ok(PreAuthCode {
            code: text(&answer, "pre_auth_code", path)?.to_owned(),
            expires_in: answer
                .get("expires_in")
                .and_then(Value::as_u64)
                .unwrap_or(600),
        })
    }

    /// `api_query_auth`: exchanges an authorisation code (from the `authorized` push or the
    /// browser's redirect) for the account's tokens. A code works once: 61009 invalid,
    /// 61010 expired.
    pub async fn query_auth(
        &self,
        authorization_code: &str,
    ) -> Result<AuthorizationInfo, ApiError> {
        let path = "cgi-bin/component/api_query_auth";
        let body = json!({
            "component_appid": self.component_appid(),
            "authorization_code": authorization_code,
        });
        let answer = self.call(Method::POST, path, &[], Some(&body)).await?;
        let info = answer
            .get("authorization_info")
            .ok_or_else(|| decode(path, "no authorization_info"))?;
        let fetched = parse_secret(info, "authorizer_access_token", &format!("/{path}"))?;
        Ok(AuthorizationInfo {
            authorizer_appid: text(info, "authorizer_appid", path)?.to_owned(),
            access_token: fetched.token,
            refresh_token: SecretString::from(text(info, "authorizer_refresh_token", path)?),
            func_info: func_info(info),
        })
    }

    /// `api_authorizer_token`: a new access token of `authorizer_appid` from its refresh
    /// token, and the refresh token to keep (61023: the refresh token is no longer valid).
    pub async fn authorizer_token(
        &self,
        authorizer_appid: &str,
        refresh_token: &SecretString,
    ) -> Result<AuthorizerToken, ApiError> {
        Ok(self
            .authorizer_token_fetched(authorizer_appid, refresh_token)
            .await?
            .0)
    }

    /// [`authorizer_token`](Self::authorizer_token) with the lifetime WeChat gave.
    pub(crate) async fn authorizer_token_fetched(
        &self,
        authorizer_appid: &str,
        refresh_token: &SecretString,
    ) -> Result<(AuthorizerToken, std::time::Duration), ApiError> {
        let path = "cgi-bin/component/api_authorizer_token";
        let body = json!({
            "component_appid": self.component_appid(),
            "authorizer_appid": authorizer_appid,
            "authorizer_refresh_token": refresh_token.expose_secret(),
        });
        let answer = self.call(Method::POST, path, &[], Some(&body)).await?;
        let fetched = parse_secret(&answer, "authorizer_access_token", &format!("/{path}"))?;
        // WeChat may leave the refresh token out when it did not change.
        let refresh = answer
            .get("authorizer_refresh_token")
            .and_then(Value::as_str)
            .filter(|r| !r.is_empty())
            .map(SecretString::from)
            .unwrap_or_else(|| refresh_token.clone());
        Ok((
            AuthorizerToken {
                access_token: fetched.token,
                refresh_token: refresh,
            },
            fetched.lifetime,
        ))
    }

    /// `api_get_authorizer_info`: the account's details, among them its `user_name` (gh_…).
    pub async fn authorizer_info(
        &self,
        authorizer_appid: &str,
    ) -> Result<AuthorizerInfo, ApiError> {
        let path = "cgi-bin/component/api_get_authorizer_info";
        let body = json!({
            "component_appid": self.component_appid(),
            "authorizer_appid": authorizer_appid,
        });
        let answer = self.call(Method::POST, path, &[], Some(&body)).await?;
        let info = answer
            .get("authorizer_info")
            .ok_or_else(|| decode(path, "no authorizer_info"))?;
        let string = |name: &str| {
            info.get(name)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let id_of = |name: &str| {
            info.get(name)
                .and_then(|v| v.get("id"))
                .and_then(Value::as_i64)
                .unwrap_or(0)
        };
        Ok(AuthorizerInfo {
            nick_name: string("nick_name"),
            head_img: string("head_img"),
            user_name: text(info, "user_name", path)?.to_owned(),
            principal_name: string("principal_name"),
            alias: string("alias"),
            service_type: id_of("service_type_info"),
            verify_type: id_of("verify_type_info"),
            qrcode_url: string("qrcode_url"),
            func_info: answer
                .get("authorization_info")
                .map(func_info)
                .unwrap_or_default(),
        })
    }

    /// `api_get_authorizer_list`: one page of the accounts that authorised the platform, with
    /// their current refresh tokens; `count` is capped at [`MAX_AUTHORIZER_PAGE`].
    pub async fn authorizer_list(
        &self,
        offset: u32,
        count: u32,
    ) -> Result<AuthorizerPage, ApiError> {
        let path = "cgi-bin/component/api_get_authorizer_list";
        let body = json!({
            "component_appid": self.component_appid(),
            "offset": offset,
            "count": count.clamp(1, MAX_AUTHORIZER_PAGE),
        });
        let answer = self.call(Method::POST, path, &[], Some(&body)).await?;
        let list = answer
            .get("list")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let list = list
            .iter()
            .map(|entry| {
                Ok(AuthorizerEntry {
                    authorizer_appid: text(entry, "authorizer_appid", path)?.to_owned(),
                    refresh_token: SecretString::from(text(entry, "refresh_token", path)?),
                    auth_time: entry.get("auth_time").and_then(Value::as_i64).unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(AuthorizerPage {
            total_count: answer
                .get("total_count")
                .and_then(Value::as_u64)
                .unwrap_or(list.len() as u64),
            list,
        })
    }

    /// Every account that authorised the platform: `api_get_authorizer_list` paged through,
    /// [`MAX_AUTHORIZER_PAGE`] at a time.
    pub async fn all_authorizers(&self) -> Result<Vec<AuthorizerEntry>, ApiError> {
        let mut all = Vec::new();
        loop {
            let offset = u32::try_from(all.len()).unwrap_or(u32::MAX);
            let page = self.authorizer_list(offset, MAX_AUTHORIZER_PAGE).await?;
            let done =
                page.list.is_empty() || all.len() + page.list.len() >= page.total_count as usize;
            all.extend(page.list);
            if done {
                return Ok(all);
            }
        }
    }

    /// The authorisation pages (on [`MP_BASE_URL`]) with a fresh `pre_auth_code`.
    pub async fn authorize_urls(
        &self,
        redirect_uri: &str,
        target: &AuthTarget,
    ) -> Result<AuthorizeUrls, ApiError> {
        let code = self.create_preauthcode().await?;
        let base = Url::parse(MP_BASE_URL).map_err(BaseUrlError::from)?;
        Ok(authorize_urls(
            &base,
            self.component_appid(),
            &code.code,
            redirect_uri,
            target,
        ))
    }

    /// Calls `path` with the component token (`component_access_token=` in the query); if
    /// WeChat refuses the token (40001/40014/42001), gets a new one and tries once more
    /// ([`with_token`]).
    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let source = TokenFetch(&self.inner);
        with_token(
            &self.inner.holder,
            &source,
            path,
            refused_error,
            |token, _| {
                let method = method.clone();
                async move { self.call_with(&token, method, path, query, body).await }
            },
        )
        .await
    }

    async fn call_with(
        &self,
        token: &CachedToken,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let mut full: Vec<(&str, &str)> = Vec::with_capacity(query.len() + 1);
        full.extend_from_slice(query);
        full.push(("component_access_token", token.token.expose_secret()));
        self.inner.transport.call(method, path, &full, body).await
    }
}

/// The [`Source`] of the component token: `api_component_token` with the newest ticket.
struct TokenFetch<'a>(&'a Inner);

#[async_trait]
impl Source for TokenFetch<'_> {
    async fn fetch(&self, _failed: Option<&str>) -> Result<Fetched, ApiError> {
        let inner = self.0;
        let ticket = inner
            .tickets
            .ticket(&inner.config.appid)
            .await?
            .ok_or(ApiError::NoTicket)?;
        let path = "cgi-bin/component/api_component_token";
        let body = json!({
            "component_appid": inner.config.appid,
            "component_appsecret": inner.config.secret.expose_secret(),
            "component_verify_ticket": ticket.expose_secret(),
        });
        let answer = inner
            .transport
            .call(Method::POST, path, &[], Some(&body))
            .await?;
        parse_secret(&answer, "component_access_token", &format!("/{path}"))
    }
}

/// A non-empty string field of an answer; errors name the field only, never a value.
fn text<'a>(answer: &'a Value, name: &str, path: &str) -> Result<&'a str, ApiError> {
    answer
        .get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| decode(path, &format!("no {name}")))
}

fn decode(path: &str, reason: &str) -> ApiError {
    ApiError::Decode {
        path: format!("/{path}"),
        reason: reason.to_owned(),
        source: None,
    }
}

/// `func_info[].funcscope_category.id` of an `authorization_info`.
fn func_info(info: &Value) -> Vec<i64> {
    info.get("func_info")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|f| f.get("funcscope_category")?.get("id")?.as_i64())
                .collect()
        })
        .unwrap_or_default()
}
