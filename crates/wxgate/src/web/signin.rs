//! The sign-in flow, without HTTP: [`begin`] makes a state and the WeChat page to send the
//! visitor to; [`finish`] takes the state once, exchanges the code, keeps the result under a
//! one-time ticket and gives the page to send the visitor back to; [`redeem`] hands the
//! result to the page's server once.
//!
//! The visitor's browser only ever carries random one-time values (the state, the ticket),
//! never the openid: a page that read an openid from its URL could be handed anyone's.
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::distributions::Alphanumeric;
use rand::Rng;
use url::Url;
use wechat_api::{authorize_url, ApiClient, ApiError, OAuthScope};

use super::redirect::{check, RedirectError, RedirectPrefix};
use crate::store::web::{digest, PendingSignIn, SignInResult};
use crate::store::{StoreError, WebStore};

/// How long a state waits for its callback.
pub const STATE_LIFETIME: Duration = Duration::from_secs(600);
/// How long a ticket waits to be redeemed.
pub const TICKET_LIFETIME: Duration = Duration::from_secs(60);
/// The query parameter the ticket is added to the redirect as.
pub const TICKET_PARAM: &str = "wx_ticket";

/// What a sign-in asks: `base` (the openid) or `userinfo` (with the profile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// `snsapi_base`
    Base,
    /// `snsapi_userinfo`
    UserInfo,
}

impl Scope {
    /// `base` or `userinfo` (anything else: None).
    pub fn parse(word: &str) -> Option<Scope> {
        match word {
            "base" => Some(Scope::Base),
            "userinfo" => Some(Scope::UserInfo),
            _ => None,
        }
    }

    /// The gateway's word: `base` or `userinfo`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Base => "base",
            Scope::UserInfo => "userinfo",
        }
    }

    fn wechat(self) -> OAuthScope {
        match self {
            Scope::Base => OAuthScope::Base,
            Scope::UserInfo => OAuthScope::UserInfo,
        }
    }
}

/// Why a sign-in stopped.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// the `redirect` is not an allowed one
    #[error("redirect {0}")]
    Redirect(#[from] RedirectError),
    /// the state is unknown, used, expired or of another account
    #[error("this sign-in link is unknown, used or expired")]
    State,
    /// WeChat refused the code (40029 invalid, 40163 used)
    #[error("WeChat refused the sign-in code: {0}")]
    Code(#[source] ApiError),
    /// WeChat failed otherwise (or could not be reached)
    #[error("WeChat: {0}")]
    Upstream(#[source] ApiError),
    /// the store failed
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

impl SignInError {
    /// The bounded `reason` label of `wxgate_sign_ins_refused_total`.
    pub fn reason(&self) -> &'static str {
        match self {
            SignInError::Redirect(_) => "redirect",
            SignInError::State => "state",
            SignInError::Code(_) => "code",
            SignInError::Upstream(_) => "upstream",
            SignInError::Store(_) => "store",
        }
    }
}

/// The account a sign-in is for: its name (as in the gateway's paths), appid and API client.
#[derive(Debug, Clone, Copy)]
pub struct SignInAccount<'a> {
    /// its name (`default` for a lone `[account]`)
    pub name: &'a str,
    /// its appid
    pub appid: &'a str,
    /// its API client (the code's exchange, the profile)
    pub api: &'a ApiClient,
}

/// What [`begin`] needs of the config.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// `[wechat_api] open_base_url`
    pub open_base: &'a Url,
    /// the callback WeChat sends the visitor to (`{public_url}/oauth/{account}/callback`)
    pub callback: &'a str,
    /// `[web] allowed_redirects`
    pub allowed: &'a [RedirectPrefix],
}

/// A random one-time value: 43 characters of `[A-Za-z0-9]` (256 bits) from the OS's
/// generator — WeChat allows only those characters in a state.
pub fn one_time_value() -> String {
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(43)
        .map(char::from)
        .collect()
}

/// Starts a sign-in to `account` returning to `redirect`: keeps a new state (for
/// [`STATE_LIFETIME`]) and answers the WeChat page to send the visitor to.
pub async fn begin(
    store: &dyn WebStore,
    settings: Settings<'_>,
    account: SignInAccount<'_>,
    redirect: &str,
    scope: Scope,
    now: DateTime<Utc>,
) -> Result<Url, SignInError> {
    let redirect = check(settings.allowed, redirect)?;
    let state = one_time_value();
    let pending = PendingSignIn {
        account: account.name.to_owned(),
        redirect: redirect.to_string(),
        scope: scope.as_str().to_owned(),
        expires_at: now + chrono_duration(STATE_LIFETIME),
    };
    store.save_sign_in(&digest(&state), &pending).await?;
    Ok(authorize_url(
        settings.open_base,
        account.appid,
        settings.callback,
        scope.wechat(),
        &state,
        &account.api.code_exchange().authorize_params(),
    ))
}

/// Finishes a sign-in to `account` with WeChat's `code` and the `state` it came back with:
/// the state taken once, the code exchanged (and the profile fetched for `userinfo`), the
/// result kept under a new ticket (for [`TICKET_LIFETIME`]); answers the saved redirect with
/// `wx_ticket` added. Nothing is kept when it fails.
pub async fn finish(
    store: &dyn WebStore,
    account: SignInAccount<'_>,
    code: &str,
    state: &str,
    now: DateTime<Utc>,
) -> Result<Url, SignInError> {
    let pending = store
        .take_sign_in(&digest(state), now)
        .await?
        .filter(|pending| pending.account == account.name)
        .ok_or(SignInError::State)?;
    let scope = Scope::parse(&pending.scope).ok_or(SignInError::State)?;
    let redirect = Url::parse(&pending.redirect).map_err(|_| SignInError::State)?;
    let user = account
        .api
        .code_exchange()
        .exchange(code)
        .await
        .map_err(|err| match err.code() {
            Some(40029 | 40163) => SignInError::Code(err),
            _ => SignInError::Upstream(err),
        })?;
    let userinfo = match scope {
        Scope::Base => None,
        Scope::UserInfo => {
            let profile = account
                .api
                .sign_in_profile(&user)
                .await
                .map_err(SignInError::Upstream)?;
            serde_json::to_string(&profile).ok()
        }
    };
    let ticket = one_time_value();
    let result = SignInResult {
        account: account.name.to_owned(),
        appid: account.appid.to_owned(),
        openid: user.openid,
        unionid: user.unionid,
        scope: scope.as_str().to_owned(),
        is_snapshotuser: user.is_snapshotuser,
        userinfo,
        expires_at: now + chrono_duration(TICKET_LIFETIME),
    };
    store.save_sign_in_result(&digest(&ticket), &result).await?;
    Ok(with_ticket(redirect, &ticket))
}

/// The finished sign-in of `ticket`, once, if it has not expired at `now`.
pub async fn redeem(
    store: &dyn WebStore,
    ticket: &str,
    now: DateTime<Utc>,
) -> Result<Option<SignInResult>, StoreError> {
    store.take_sign_in_result(&digest(ticket), now).await
}

/// Deletes expired states and tickets every `every`, forever (shutdown cancels it).
pub async fn sweep(store: std::sync::Arc<dyn WebStore>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match store.sweep_sign_ins(Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(swept = n, "expired sign-in states and tickets deleted"),
            Err(error) => tracing::warn!(%error, "sweeping expired sign-ins failed"),
        }
    }
}

/// `redirect` with `wx_ticket=ticket` added to its query, any `wx_ticket` it had removed, the
/// rest of its query kept byte for byte.
fn with_ticket(mut redirect: Url, ticket: &str) -> Url {
    let kept: Vec<&str> = redirect
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            form_urlencoded::parse(pair.as_bytes())
                .next()
                .is_none_or(|(name, _)| name != TICKET_PARAM)
        })
        .collect();
    let mut query = kept.join("&");
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(TICKET_PARAM);
    query.push('=');
    query.push_str(ticket);
    redirect.set_query(Some(&query));
    redirect
}

fn chrono_duration(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ticket_is_added_and_the_page_query_kept() {
        let url = |s: &str| Url::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(
            with_ticket(url("https://shop.example.com/a"), "T").as_str(),
            "https://shop.example.com/a?wx_ticket=T"
        );
        assert_eq!(
            with_ticket(url("https://shop.example.com/a?q=a%20b&x=1#frag"), "T").as_str(),
            "https://shop.example.com/a?q=a%20b&x=1&wx_ticket=T#frag"
        );
        assert_eq!(
            with_ticket(
                url("https://shop.example.com/a?wx_ticket=forged&wx%5Fticket=f2&y=2"),
                "T"
            )
            .as_str(),
            "https://shop.example.com/a?y=2&wx_ticket=T"
        );
    }

    #[test]
    fn one_time_values_are_long_random_and_alphanumeric() {
        let (a, b) = (one_time_value(), one_time_value());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()), "{a}");
    }
}
