//! [`ApiClient`]: authenticated calls, with one token refresh and retry when WeChat refuses
//! the token.

use std::sync::Arc;

use reqwest::Method;
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::config::ClientConfig;
use crate::error::ApiError;
use crate::http::Transport;
use crate::oauth::{CodeExchange, SecretExchange};
use crate::ticket::JsapiTickets;
use crate::token::retry::refused_error;
use crate::token::{AccessTokens, CachedToken, MemoryTokenStore, TokenStore};

/// A client for one account. Cheap to clone; clones share the token and ticket holders.
#[derive(Debug, Clone)]
pub struct ApiClient {
    pub(crate) transport: Transport,
    tokens: Arc<AccessTokens>,
    /// the JS-SDK's jsapi_ticket (in process memory until [`ApiClient::with_ticket_store`])
    pub(crate) tickets: Arc<JsapiTickets>,
    /// how the account's web sign-in codes are exchanged
    pub(crate) code_exchange: Arc<dyn CodeExchange>,
}

impl ApiClient {
    /// A client for the account of `config`, keeping its token in `store`.
    pub fn new(config: ClientConfig, store: Arc<dyn TokenStore>) -> Result<Self, ApiError> {
        let transport = Transport::new(&config)?;
        let tokens = Arc::new(AccessTokens::new(transport.clone(), &config, store));
        let tickets = Arc::new(JsapiTickets::new(
            &config,
            Arc::new(MemoryTokenStore::new()),
        ));
        let code_exchange = Arc::new(SecretExchange::new(
            transport.clone(),
            config.appid.clone(),
            config.secret.clone(),
        ));
        Ok(Self {
            transport,
            tokens,
            tickets,
            code_exchange,
        })
    }

    /// A client from its parts (an authorizer's, built by
    /// [`ComponentClient::authorizer_client`](crate::ComponentClient::authorizer_client)).
    pub(crate) fn from_parts(
        transport: Transport,
        tokens: Arc<AccessTokens>,
        tickets: Arc<JsapiTickets>,
        code_exchange: Arc<dyn CodeExchange>,
    ) -> Self {
        Self {
            transport,
            tokens,
            tickets,
            code_exchange,
        }
    }

    /// The account's central token and its expiry (refreshed first if due), for
    /// `GET /api/access_token`.
    pub async fn access_token(&self) -> Result<CachedToken, ApiError> {
        self.tokens.get().await
    }

    /// The token holder itself.
    pub fn tokens(&self) -> &AccessTokens {
        &self.tokens
    }

    /// Calls `path` with the access token; if WeChat refuses the token, gets a new one and
    /// tries once more ([`with_token`](crate::token::retry::with_token)).
    pub(crate) async fn authed(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        self.tokens
            .with_token(path, refused_error, |token, _| {
                let method = method.clone();
                async move { self.call_with(&token, method, path, query, body).await }
            })
            .await
    }

    /// [`authed`](Self::authed), decoding the answer into `T`.
    pub(crate) async fn authed_json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<T, ApiError> {
        let answer = self.authed(method, path, query, body).await?;
        decode(path, answer)
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
        full.push(("access_token", token.token.expose_secret()));
        full.extend_from_slice(query);
        self.transport.call(method, path, &full, body).await
    }
}

/// `answer` as a `T`; serde_json's error is the source of the [`ApiError::Decode`].
fn decode<T: DeserializeOwned>(path: &str, answer: Value) -> Result<T, ApiError> {
    serde_json::from_value(answer).map_err(|err| ApiError::Decode {
        path: format!("/{path}"),
        reason: err.to_string(),
        source: Some(err),
    })
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[test]
    fn a_wrong_answer_keeps_serde_json_as_the_source() {
        let err = decode::<u32>("cgi-bin/x", Value::from("seven")).err();
        assert!(
            matches!(&err, Some(ApiError::Decode { path, source: Some(_), .. }) if path == "/cgi-bin/x"),
            "{err:?}"
        );
        let source = err.as_ref().and_then(|e| e.source()).map(|s| s.to_string());
        assert_eq!(
            source.as_deref(),
            Some("invalid type: string \"seven\", expected u32")
        );
    }
}
