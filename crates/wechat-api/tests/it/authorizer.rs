//! An authorised account's access token (refresh token rules) and its web sign-in through the
//! platform, against the mock over real sockets.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use serde_json::json;
use tokio::task::JoinSet;
use wechat_api::{
    authorize_url, ApiClient, ApiError, CachedToken, ComponentClient, ExposeSecret,
    MemoryTokenStore, Menu, OAuthScope, RefreshState, RefreshTokenStore, SecretString, StoreError,
    TokenStore,
};
use wechat_mock::{MockServer, WEB_OPENID};

use crate::support::{component_with, mock_url, platform_mock, user_info_call, COMPONENT_APPID};

const ACCOUNT: &str = "wx570bc396a51b8ff8";

/// What a stored refresh token looks like to the test store.
#[derive(Clone)]
enum Row {
    Present(String),
    Unreadable,
}

/// The gateway's refresh-token store, in memory: `save_refreshed` writes the refresh token
/// and the access token (into `tokens`) together, as one transaction would.
struct Refresh {
    rows: Mutex<HashMap<String, Row>>,
    tokens: Arc<MemoryTokenStore>,
    saves: Mutex<u32>,
    reauthorize: Mutex<Vec<String>>,
    fail_saves: bool,
}

impl Refresh {
    fn new(tokens: Arc<MemoryTokenStore>) -> Self {
        Self {
            rows: Mutex::new(HashMap::new()),
            tokens,
            saves: Mutex::new(0),
            reauthorize: Mutex::new(Vec::new()),
            fail_saves: false,
        }
    }

    fn set(&self, appid: &str, row: Option<Row>) {
        let mut rows = self.rows.lock().unwrap_or_else(|p| p.into_inner());
        match row {
            Some(row) => rows.insert(appid.to_owned(), row),
            None => rows.remove(appid),
        };
    }

    fn stored(&self, appid: &str) -> Option<String> {
        match self
            .rows
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(appid)
        {
            Some(Row::Present(token)) => Some(token.clone()),
            _ => None,
        }
    }

    fn saves(&self) -> u32 {
        *self.saves.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn reauthorize(&self) -> Vec<String> {
        self.reauthorize
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[async_trait::async_trait]
impl RefreshTokenStore for Refresh {
    async fn load(&self, appid: &str) -> Result<RefreshState, StoreError> {
        Ok(
            match self
                .rows
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .get(appid)
            {
                Some(Row::Present(token)) => {
                    RefreshState::Present(SecretString::from(token.as_str()))
                }
                Some(Row::Unreadable) => RefreshState::Unreadable,
                None => RefreshState::Missing,
            },
        )
    }

    async fn save_refreshed(
        &self,
        appid: &str,
        refresh: &SecretString,
        access: &CachedToken,
    ) -> Result<(), StoreError> {
        if self.fail_saves {
            return Err(StoreError::new("disk full"));
        }
        self.set(
            appid,
            Some(Row::Present(refresh.expose_secret().to_owned())),
        );
        self.tokens.save(appid, access).await?;
        *self.saves.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        Ok(())
    }

    async fn mark_reauthorize(&self, appid: &str) -> Result<(), StoreError> {
        self.reauthorize
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(appid.to_owned());
        Ok(())
    }
}

/// A platform mock with a ticket and `ACCOUNT` authorised; the gateway's stores, holding the
/// account's refresh token (as after `api_query_auth`).
async fn setup() -> (
    MockServer,
    ComponentClient,
    Arc<MemoryTokenStore>,
    Arc<Refresh>,
) {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    server.state.grant(ACCOUNT, None);
    let tokens = Arc::new(MemoryTokenStore::new());
    let refresh = Arc::new(Refresh::new(tokens.clone()));
    let current = server.state.refresh_token(ACCOUNT).unwrap_or_default();
    refresh.set(ACCOUNT, Some(Row::Present(current)));
    let component = component_with(&server, Arc::new(MemoryTokenStore::new()));
    (server, component, tokens, refresh)
}

fn authorizer(
    component: &ComponentClient,
    tokens: &Arc<MemoryTokenStore>,
    refresh: &Arc<Refresh>,
) -> ApiClient {
    component.authorizer_client(ACCOUNT, tokens.clone(), refresh.clone())
}

fn menu() -> Menu {
    serde_json::from_value(json!({"button": [{"type": "click", "name": "Hi", "key": "K"}]}))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[tokio::test]
async fn an_authorizer_client_calls_with_its_token_after_saving_the_new_refresh_token() {
    let (server, component, tokens, refresh) = setup().await;
    let client = authorizer(&component, &tokens, &refresh);
    let before = refresh.stored(ACCOUNT);
    assert!(client.create_menu(&menu()).await.is_ok());
    let sent = server.state.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].path, "/cgi-bin/menu/create");
    // The refresh token WeChat handed back replaced the old one, and the access token in use
    // is the one saved with it.
    assert_eq!(refresh.saves(), 1);
    assert_ne!(refresh.stored(ACCOUNT), before);
    assert_eq!(refresh.stored(ACCOUNT), server.state.refresh_token(ACCOUNT));
    let held = client
        .access_token()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    let saved = tokens.load(ACCOUNT).await.ok().flatten();
    assert_eq!(held.ok(), saved.map(|t| t.token.expose_secret().to_owned()));
    assert!(client.user_info("oUser_123").await.is_ok());
    assert_eq!(server.state.authorizer_token_requests(), 1);
}

#[tokio::test]
async fn a_refresh_that_cannot_be_saved_is_not_used() {
    let server = platform_mock(Duration::from_secs(7200)).await;
    server.state.issue_ticket();
    server.state.grant(ACCOUNT, None);
    let tokens = Arc::new(MemoryTokenStore::new());
    let mut failing = Refresh::new(tokens.clone());
    failing.fail_saves = true;
    failing.set(
        ACCOUNT,
        Some(Row::Present(
            server.state.refresh_token(ACCOUNT).unwrap_or_default(),
        )),
    );
    let component = component_with(&server, Arc::new(MemoryTokenStore::new()));
    let client = component.authorizer_client(ACCOUNT, tokens, Arc::new(failing));
    let err = client.create_menu(&menu()).await.err();
    assert!(matches!(err, Some(ApiError::Store(_))), "{err:?}");
    assert!(server.state.sent().is_empty());
}

#[tokio::test]
async fn twenty_concurrent_callers_make_one_refresh() {
    let (server, component, tokens, refresh) = setup().await;
    let client = authorizer(&component, &tokens, &refresh);
    let mut callers = JoinSet::new();
    for _ in 0..20 {
        let client = client.clone();
        callers.spawn(async move { client.user_info("oUser_123").await.map(|u| u.subscribe) });
    }
    let answers = callers.join_all().await;
    assert!(answers.iter().all(|a| matches!(a, Ok(1))), "{answers:?}");
    assert_eq!(server.state.authorizer_token_requests(), 1);
    assert_eq!(refresh.saves(), 1);
}

#[tokio::test]
async fn two_instances_refresh_an_authorizer_once() {
    let (server, one, tokens, refresh) = setup().await;
    // A second gateway instance: its own component client, the same database.
    let two = component_with(&server, Arc::new(MemoryTokenStore::new()));
    let a = authorizer(&one, &tokens, &refresh);
    let b = authorizer(&two, &tokens, &refresh);
    let (x, y) = tokio::join!(a.access_token(), b.access_token());
    let (x, y) = (
        x.map(|t| t.token.expose_secret().to_owned()),
        y.map(|t| t.token.expose_secret().to_owned()),
    );
    assert!(x.is_ok() && x.ok() == y.ok());
    assert_eq!(server.state.authorizer_token_requests(), 1);
}

#[tokio::test]
async fn an_expired_authorizer_token_is_refreshed_once_and_the_call_succeeds() {
    let (server, component, tokens, refresh) = setup().await;
    let client = authorizer(&component, &tokens, &refresh);
    assert!(client.user_info("oUser_123").await.is_ok());
    server.state.expire_tokens();
    let mut callers = JoinSet::new();
    for _ in 0..10 {
        let client = client.clone();
        callers.spawn(async move { client.user_info("oUser_123").await.map(|u| u.subscribe) });
    }
    let answers = callers.join_all().await;
    assert!(answers.iter().all(|a| matches!(a, Ok(1))), "{answers:?}");
    assert_eq!(server.state.authorizer_token_requests(), 2);
    assert_eq!(refresh.stored(ACCOUNT), server.state.refresh_token(ACCOUNT));
}

#[tokio::test]
async fn a_refused_refresh_token_marks_the_account_for_reauthorisation() {
    let (server, component, tokens, refresh) = setup().await;
    server.state.rotate_refresh_token(ACCOUNT); // ours is no longer WeChat's
    let client = authorizer(&component, &tokens, &refresh);
    let err = client.user_info("oUser_123").await.err();
    assert_eq!(err.as_ref().and_then(ApiError::code), Some(61023));
    assert!(err.is_some_and(|e| e.needs_reauthorization()));
    assert_eq!(refresh.reauthorize(), [ACCOUNT]);
    assert_eq!(refresh.saves(), 0);
}

#[tokio::test]
async fn a_revoked_account_ends_in_61023_after_its_token_is_refused() {
    let (server, component, tokens, refresh) = setup().await;
    let client = authorizer(&component, &tokens, &refresh);
    assert!(client.user_info("oUser_123").await.is_ok());
    assert!(server.state.revoke(ACCOUNT));
    let err = client.user_info("oUser_123").await.err();
    assert_eq!(err.and_then(|e| e.code()), Some(61023));
    assert_eq!(refresh.reauthorize(), [ACCOUNT]);
}

#[tokio::test]
async fn a_missing_or_unreadable_refresh_token_is_recovered_from_the_authorizer_list() {
    for row in [None, Some(Row::Unreadable)] {
        let (server, component, tokens, refresh) = setup().await;
        refresh.set(ACCOUNT, row);
        let client = authorizer(&component, &tokens, &refresh);
        assert!(client.user_info("oUser_123").await.is_ok());
        assert_eq!(server.state.authorizer_token_requests(), 1);
        assert_eq!(refresh.stored(ACCOUNT), server.state.refresh_token(ACCOUNT));
        assert_eq!(refresh.saves(), 1);
        assert!(refresh.reauthorize().is_empty());
    }
}

#[tokio::test]
async fn an_account_missing_from_the_list_must_authorise_again() {
    let (server, component, tokens, refresh) = setup().await;
    refresh.set(ACCOUNT, None);
    server.state.revoke(ACCOUNT);
    let client = authorizer(&component, &tokens, &refresh);
    let err = client.access_token().await.err();
    assert!(
        matches!(&err, Some(ApiError::NotAuthorized { appid }) if appid == ACCOUNT),
        "{err:?}"
    );
    assert!(err.is_some_and(|e| e.needs_reauthorization()));
    assert_eq!(refresh.reauthorize(), [ACCOUNT]);
    assert_eq!(server.state.authorizer_token_requests(), 0);
}

#[tokio::test]
async fn the_token_saved_by_query_auth_is_used_without_a_refresh() {
    let (server, component, tokens, refresh) = setup().await;
    let grant = server.state.grant(ACCOUNT, None);
    let info = component
        .query_auth(&grant.auth_code)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    refresh
        .save_refreshed(ACCOUNT, &info.refresh_token, &info.access_token)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let client = authorizer(&component, &tokens, &refresh);
    assert!(client.create_menu(&menu()).await.is_ok());
    assert_eq!(server.state.authorizer_token_requests(), 0);
}

#[tokio::test]
async fn web_sign_in_goes_through_the_platform() {
    let (server, component, tokens, refresh) = setup().await;
    let client = authorizer(&component, &tokens, &refresh);
    let params = client.code_exchange().authorize_params();
    assert_eq!(params, [("component_appid", COMPONENT_APPID.to_owned())]);
    let base = mock_url(&server);
    let page = authorize_url(
        &base,
        ACCOUNT,
        "https://wx.example.com/cb",
        OAuthScope::Base,
        "S1",
        &params,
    );
    assert!(page
        .as_str()
        .contains(&format!("&component_appid={COMPONENT_APPID}")));
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let answer = browser
        .get(page)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let code = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Url::parse(v).ok())
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "code")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_else(|| panic!("no code in the redirect"));
    let user = client
        .code_exchange()
        .exchange(&code)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (user.openid.as_str(), user.scope.as_str()),
        (WEB_OPENID, "snsapi_base")
    );
    let again = client.code_exchange().exchange(&code).await.err();
    assert_eq!(again.and_then(|e| e.code()), Some(40163));
    // The exchange needs no authorizer token and no AppSecret: only the component token.
    assert_eq!(server.state.authorizer_token_requests(), 0);
}

#[tokio::test]
async fn the_raw_proxy_carries_the_authorizers_token_and_replaces_it_once_refused() {
    let (server, component, tokens, refresh) = setup().await;
    let client = authorizer(&component, &tokens, &refresh);
    assert!(client.user_info("oUser_123").await.is_ok());
    server.state.expire_tokens();
    let call = user_info_call();
    let answer = client
        .forward(&call)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((answer.errcode, answer.retried), (Some(0), true));
    assert_eq!(server.state.authorizer_token_requests(), 2);
}

/// On tokio's paused clock: another instance holds the lease of the account's row and saves
/// its refresh 200 ms later (virtual); this one takes that token instead of refreshing.
#[tokio::test(start_paused = true)]
async fn another_instance_refreshing_the_authorizer_is_waited_for() {
    let (server, component, tokens, refresh) = setup().await;
    assert!(tokens
        .try_lease(ACCOUNT, "other-instance", Duration::from_secs(30))
        .await
        .unwrap_or(false));
    let other = refresh.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let access = CachedToken {
            token: "from_other".into(),
            expires_at: chrono::Utc::now() + chrono::Duration::hours(2),
        };
        let saved = other
            .save_refreshed(
                ACCOUNT,
                &SecretString::from("refreshtoken@@@other"),
                &access,
            )
            .await;
        assert!(saved.is_ok());
    });
    let client = authorizer(&component, &tokens, &refresh);
    let token = client
        .access_token()
        .await
        .map(|t| t.token.expose_secret().to_owned());
    assert_eq!(token.ok().as_deref(), Some("from_other"));
    assert_eq!(server.state.authorizer_token_requests(), 0);
}
