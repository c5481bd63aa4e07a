//! Starting a mock and a client pointed at it.

use std::sync::Arc;
use std::time::Duration;

use wechat_api::{
    ApiClient, ClientConfig, MemoryTokenStore, RetryPolicy, SecretString, TokenStore,
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

/// Client settings for `server`, with quick retries.
pub fn config(server: &MockServer) -> ClientConfig {
    let mut config = ClientConfig::new(
        server.state.config().appid.clone(),
        SecretString::from(SECRET),
    )
    .with_base_url(server.base_url());
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
