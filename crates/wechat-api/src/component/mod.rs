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
