//! Starting a mock and a client pointed at it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::Url;
use wechat_api::{
    ApiClient, CachedToken, ClientConfig, MemoryTokenStore, RetryPolicy, SecretString, StoreError,
    TokenStore,
};
use wechat_mock::{MockConfig, MockServer};

/// The mock's AppSecret, which must never show up in an error or Debug string.
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";

/// A mock with default credentials and tokens living `ttl`.
pub async fn mock(ttl: Duration) -> MockServer {
    let config = MockConfig {
        token_ttl: ttl,
        ..MockConfig::default()
    };
    match MockServer::spawn(config).await {
        Ok(server) => server,
        Err(err) => panic!("mock did not start: {err}"),
    }
}

/// `server`'s base URL, parsed: where it serves the API and the OAuth page.
pub fn mock_url(server: &MockServer) -> Url {
    Url::parse(&server.base_url()).unwrap_or_else(|e| panic!("the mock's base URL: {e}"))
}

/// Client settings for `server`, with quick retries.
pub fn config(server: &MockServer) -> ClientConfig {
    let mut config = ClientConfig::new(
        server.state.config().appid.clone(),
        SecretString::from(SECRET),
    )
    .with_base_url(mock_url(server));
    config.retry = RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
    };
    config
}

/// A client of `server` over `store`.
pub fn client_with(config: ClientConfig, store: Arc<dyn TokenStore>) -> ApiClient {
    match ApiClient::new(config, store) {
        Ok(client) => client,
        Err(err) => panic!("client not built: {err}"),
    }
}

/// A mock with 7200 s tokens and a client of it with its own memory store.
pub async fn setup() -> (MockServer, ApiClient) {
    let server = mock(Duration::from_secs(7200)).await;
    let client = client_with(config(&server), Arc::new(MemoryTokenStore::new()));
    (server, client)
}

/// `GET /mock/sent` over HTTP, as a user would read it.
pub async fn sent_over_http(server: &MockServer) -> serde_json::Value {
    let url = format!("{}/mock/sent", server.base_url());
    let response = reqwest::get(&url).await.map_err(|e| e.to_string());
    match response {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(err) => panic!("GET /mock/sent failed: {err}"),
    }
}

/// The test platform's component_appid and component_appsecret.
pub const COMPONENT_APPID: &str = "wx3d5e9b6c1a2f4e80";
/// The component secret, which must never show up in an error or Debug string.
pub const COMPONENT_SECRET: &str = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";

/// A mock that is also the platform's WeChat (pushing nowhere), tokens living `ttl`.
pub async fn platform_mock(ttl: Duration) -> MockServer {
    let key = wechat_proto::EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
    let key = key.unwrap_or_else(|e| panic!("{e}"));
    let config = MockConfig {
        token_ttl: ttl,
        platform: Some(wechat_mock::Platform::new(
            COMPONENT_APPID,
            COMPONENT_SECRET,
            "platformtoken",
            key,
        )),
        ..MockConfig::default()
    };
    match MockServer::spawn(config).await {
        Ok(server) => server,
        Err(err) => panic!("mock did not start: {err}"),
    }
}

/// The gateway's ticket store, as the mock's newest ticket.
pub struct MockTickets(pub wechat_mock::MockState);

#[async_trait::async_trait]
impl wechat_api::TicketSource for MockTickets {
    async fn ticket(
        &self,
        component_appid: &str,
    ) -> Result<Option<SecretString>, wechat_api::StoreError> {
        assert_eq!(component_appid, COMPONENT_APPID);
        Ok(self.0.current_ticket().map(SecretString::from))
    }
}

/// A component client of `server` (the gateway instance `holder`) over `store`.
pub fn component_with(
    server: &MockServer,
    store: Arc<dyn TokenStore>,
) -> wechat_api::ComponentClient {
    let mut config = ClientConfig::new(COMPONENT_APPID, SecretString::from(COMPONENT_SECRET))
        .with_base_url(mock_url(server));
    config.retry = RetryPolicy {
        max_attempts: 2,
        base_delay: Duration::from_millis(5),
    };
    let tickets = Arc::new(MockTickets(server.state.clone()));
    match wechat_api::ComponentClient::new(config, store, tickets) {
        Ok(client) => client,
        Err(err) => panic!("component client not built: {err}"),
    }
}

/// A token store (of any number of instances) that hands out a token of its own at every
/// load: each one new, fresh for two hours, and unknown to WeChat, so every call with it is
/// refused (40001). Its lease is always free. A holder over it never asks WeChat for a token:
/// what it takes from here is all it calls with.
#[derive(Default)]
pub struct UnknownTokens {
    loads: AtomicU64,
}

impl UnknownTokens {
    /// How many tokens it handed out.
    pub fn handed_out(&self) -> u64 {
        self.loads.load(Ordering::SeqCst)
    }
}

#[async_trait::async_trait]
impl TokenStore for UnknownTokens {
    async fn load(&self, _key: &str) -> Result<Option<CachedToken>, StoreError> {
        let n = self.loads.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Some(CachedToken {
            token: SecretString::from(format!("unknown_token_{n}")),
            expires_at: Utc::now() + chrono::Duration::hours(2),
        }))
    }

    async fn save(&self, _key: &str, _token: &CachedToken) -> Result<(), StoreError> {
        Ok(())
    }

    async fn expire(&self, _key: &str, _token: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn try_lease(
        &self,
        _key: &str,
        _holder: &str,
        _ttl: Duration,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }

    async fn release_lease(&self, _key: &str, _holder: &str) -> Result<(), StoreError> {
        Ok(())
    }
}

/// A proxied `GET cgi-bin/user/info?openid=oUser_123`, as `/api/wechat/...` forwards it.
pub fn user_info_call() -> wechat_api::Forward {
    wechat_api::Forward {
        method: reqwest::Method::GET,
        path: "cgi-bin/user/info".to_owned(),
        query: vec![("openid".to_owned(), "oUser_123".to_owned())],
        content_type: None,
        body: bytes::Bytes::new(),
    }
}
