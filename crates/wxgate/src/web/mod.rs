//! The account's web pages (`[web]`): OAuth sign-in on the gateway's one domain, for every
//! page under `allowed_redirects`.
//!
//! - `redirect`: where a sign-in may return, compared as parsed URLs.
//! - `signin`: the flow — a one-time state out to WeChat, the code exchanged once, a
//!   one-time ticket back to the page, redeemed once by the page's server.
//!
//! HTTP lives in `server/oauth.rs` (the browser's side) and `server/admin/` (redeem, JS-SDK);
//! storage behind `store::web::WebStore`. This module imports `store` and `wechat-api` only.
pub mod redirect;
pub mod signin;

pub use redirect::{RedirectError, RedirectPrefix};
pub use signin::{Scope, Settings, SignInAccount, SignInError};
