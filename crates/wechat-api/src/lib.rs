//! A client of the WeChat Official Account server API, as wxgate uses it.
//!
//! - [`ApiClient`]: reqwest with rustls and timeouts; WeChat's `errcode` becomes
//!   [`ApiError::WeChat`] with code and message kept; `-1` and `45011` are retried with
//!   bounded backoff; a refused token (40001/40014/42001) is replaced once and the call retried.
//! - [`AccessTokens`]: the account's one central token (single-flight refresh, kept in a
//!   [`TokenStore`], shared across instances through a lease).
//! - [`QrRequest`] / [`ApiClient::create_qrcode`]: the four kinds of parametric QR code, every
//!   limit checked before any call.
//! - [`Menu`] / [`ApiClient::create_menu`]: the button model, validated with errors naming the
//!   button.
//! - [`CustomMessage`] / [`ApiClient::send_custom`], [`TemplateMessage`] /
//!   [`ApiClient::send_template`], [`ApiClient::user_info`], [`ApiClient::followers_page`] and
//!   [`ApiClient::users_info`].
//! - [`Forward`] / [`ApiClient::forward`]: any call passed through with the central token.
//! - [`ApiClient::jsapi_ticket`]: the JS-SDK's central jsapi_ticket, held like the token.
//! - [`oauth`]: web sign-in — [`authorize_url`], a [`CodeExchange`] for the code
//!   ([`SecretExchange`] with the AppSecret, [`ComponentExchange`] through a platform),
//!   [`ApiClient::sign_in_profile`].
//! - [`component`]: a third-party platform — [`ComponentClient`] (the component token from
//!   the newest ticket, the `api_*` calls, the authorisation page) and
//!   [`ComponentClient::authorizer_client`], an [`ApiClient`] for an account that authorised
//!   the platform, its token refreshed from a refresh token in a [`RefreshTokenStore`].
//! - [`metrics`](mod@metrics): the names of the counters it keeps (through the `metrics` facade).
//!
//! Neither the AppSecret nor a token ever appears in an error message or `Debug` output.

mod client;
pub mod component;
mod config;
mod custom;
mod error;
mod http;
mod mask;
pub mod menu;
pub mod metrics;
mod net;
pub mod oauth;
mod qrcode;
mod raw;
mod template;
mod ticket;
mod token;
mod user;

pub use client::ApiClient;
pub use component::{
    authorize_urls, AuthTarget, AuthType, AuthorizationInfo, AuthorizeUrls, AuthorizerEntry,
    AuthorizerInfo, AuthorizerPage, AuthorizerToken, ComponentClient, PreAuthCode, RefreshState,
    RefreshTokenStore, TicketSource,
};
pub use config::{ClientConfig, RetryPolicy, OFFICIAL_BASE_URL};
pub use custom::{Article, CustomMessage};
pub use error::{ApiError, BaseUrlError};
pub use menu::{Button, ButtonType, Menu, MenuError, MenuView};
pub use net::{NetCause, NetError};
pub use oauth::{
    authorize_url, CodeExchange, ComponentExchange, OAuthScope, OAuthUser, SecretExchange,
    UserProfile,
};
pub use qrcode::{
    QrAction, QrCode, QrLimitError, QrRequest, QrScene, MAX_EXPIRE_SECONDS, MAX_PERMANENT_SCENE_ID,
    MAX_SCENE_STR_CHARS, MAX_TEMPORARY_SCENE_ID,
};
pub use raw::{Forward, Forwarded, ForwardedBody, MaskedBody, MAX_INSPECTED};
/// The AppSecret is a [`SecretString`] (the `secrecy` crate): zeroized on drop, `Debug`
/// redacted, read only through [`ExposeSecret::expose_secret`].
pub use secrecy::{ExposeSecret, SecretString};
pub use template::TemplateMessage;
pub use ticket::JsapiTickets;
pub use token::{AccessTokens, CachedToken, MemoryTokenStore, StoreError, TokenStore};
pub use user::{FollowerPage, OpenIds, UserInfo, BATCH_GET_MAX};
