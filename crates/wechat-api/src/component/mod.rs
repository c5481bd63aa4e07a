//! A third-party platform (第三方平台, "component") of the WeChat Open Platform: the calls it
//! makes for itself (spec §11.3) and the access tokens of the accounts that authorised it.
//!
//! - [`ComponentClient`]: the component access token, fetched with the newest
//!   `component_verify_ticket` (from a [`TicketSource`]: the gateway stores the tickets WeChat
//!   pushes), held like an account's access token — single-flight in the process, one fetch at
//!   a time across instances through the [`TokenStore`](crate::TokenStore) lease (row
//!   `component:{component_appid}`), refreshed ahead of expiry, replaced once after
//!   40001/42001 — and the calls `api_start_push_ticket`, `api_create_preauthcode`,
//!   `api_query_auth`, `api_authorizer_token`, `api_get_authorizer_info` and
//!   `api_get_authorizer_list`.
//! - [`ComponentClient::authorizer_client`]: an ordinary [`ApiClient`](crate::ApiClient) for an
//!   account that authorised the platform (no AppSecret). Its access token is refreshed with
//!   `api_authorizer_token` from the refresh token in a [`RefreshTokenStore`]; the new refresh
//!   token and access token are saved in one call before the access token is used; a refresh
//!   token that is missing or unreadable is recovered from `api_get_authorizer_list`; `61023`
//!   marks the account for re-authorisation. Every account-scoped call works with it unchanged.
//! - [`authorize_urls`]: the authorisation page (PC and mobile, spec §11.4).
//! - [`ComponentExchange`](crate::oauth::ComponentExchange): web sign-in for an authorizer.
//!
//! No error, log line or `Debug` output holds the component secret, a ticket, a token or a
//! refresh token.
//!
//! # Example: an authorised account's calls
//!
//! ```no_run
//! use std::sync::Arc;
//!
//! use wechat_api::{
//!     CachedToken, ClientConfig, ComponentClient, MemoryTokenStore, RefreshState,
//!     RefreshTokenStore, SecretString, StoreError, TicketSource,
//! };
//!
//! /// Where the gateway keeps the newest `component_verify_ticket` WeChat pushed.
//! struct Tickets;
//!
//! #[async_trait::async_trait]
//! impl TicketSource for Tickets {
//!     async fn ticket(&self, _component_appid: &str) -> Result<Option<SecretString>, StoreError> {
//!         Ok(Some(SecretString::from("ticket@@@...")))
//!     }
//! }
//!
//! /// Where the gateway keeps refresh tokens (encrypted at rest, in a database).
//! struct Refresh;
//!
//! #[async_trait::async_trait]
//! impl RefreshTokenStore for Refresh {
//!     async fn load(&self, _appid: &str) -> Result<RefreshState, StoreError> {
//!         Ok(RefreshState::Missing) // recovered from api_get_authorizer_list
//!     }
//!     async fn save_refreshed(
//!         &self,
//!         _appid: &str,
//!         _refresh: &SecretString,
//!         _access: &CachedToken,
//!     ) -> Result<(), StoreError> {
//!         Ok(()) // one transaction: the refresh token and the access token
//!     }
//!     async fn mark_reauthorize(&self, _appid: &str) -> Result<(), StoreError> {
//!         Ok(())
//!     }
//! }
//!
//! # async fn run() -> Result<(), wechat_api::ApiError> {
//! let tokens = Arc::new(MemoryTokenStore::new());
//! let config = ClientConfig::new("wx3d5e9b6c1a2f4e80", SecretString::from("component secret"));
//! let platform = ComponentClient::new(config, tokens.clone(), Arc::new(Tickets))?;
//! let account = platform.authorizer_client("wx570bc396a51b8ff8", tokens, Arc::new(Refresh));
//! let user = account.user_info("oUser").await?; // with the authorizer's access token
//! # let _ = user; Ok(()) }
//! ```

mod authorize;
mod authorizer;
mod client;
mod types;

pub use authorize::{authorize_urls, AuthTarget, AuthType, AuthorizeUrls, MP_BASE_URL};
pub use authorizer::{RefreshState, RefreshTokenStore};
pub use client::{ComponentClient, TicketSource, MAX_AUTHORIZER_PAGE};
pub use types::{
    AuthorizationInfo, AuthorizerEntry, AuthorizerInfo, AuthorizerPage, AuthorizerToken,
    PreAuthCode,
};
