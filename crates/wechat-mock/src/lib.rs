//! A faithful local stand-in for the WeChat Official Account server API.
//!
//! It serves the endpoints wxgate uses under their real paths (`/cgi-bin/token`,
//! `/cgi-bin/stable_token`, `/cgi-bin/qrcode/create`, `/cgi-bin/showqrcode`,
//! `/cgi-bin/menu/{create,get,delete}`, `/cgi-bin/get_current_selfmenu_info`,
//! `/cgi-bin/message/custom/send`, `/cgi-bin/message/template/send`, `/cgi-bin/user/info`,
//! `/cgi-bin/user/get`, `/cgi-bin/user/info/batchget`, `/cgi-bin/tags/get`, `/cgi-bin/media/upload`,
//! `/cgi-bin/ticket/getticket`), the web sign-in (`/connect/oauth2/authorize`, which redirects at
//! once with a code for the test user [`WEB_OPENID`], `/sns/oauth2/access_token`,
//! `/sns/userinfo`), checks appid, secret and
//! `access_token`, expires tokens by wall clock and answers WeChat's own error codes as
//! `{"errcode":N,"errmsg":"..."}` (HTTP 200). `GET /mock/sent` lists the calls that changed
//! something. With [`MockConfig::followers`] it has that many followers (with scenes); with
//! [`MockConfig::push_to`] it sends each template message's `TEMPLATESENDJOBFINISH` push,
//! signed (and encrypted for a compatible or safe account), to the gateway. With
//! [`MockConfig::platform`] it is also a third-party platform's WeChat (spec §11): the
//! component calls of `/cgi-bin/component/…` and `/sns/oauth2/component/access_token`, a
//! `component_verify_ticket` push to `{push_to}/open` at start and every interval,
//! `POST /mock/open/authorize {"appid","nick_name"?}` and `POST /mock/open/unauthorize
//! {"appid"}` sending the `authorized` / `unauthorized` pushes, and an authorised account's
//! token accepted by every `cgi-bin` call (`POST /mock/open/push {"appid","xml"}` and
//! [`MockState::send_account_push`] send that account's pushes as WeChat would). [`MockState`] lets tests steer it (expire tokens, inject `-1` busy
//! answers, ...).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! let server = wechat_mock::MockServer::spawn(wechat_mock::MockConfig::default()).await?;
//! println!("point [wechat_api] base_url at {}", server.base_url());
//! # Ok(()) }
//! ```

mod custom;
mod error;
mod followers;
mod jobfinish;
mod media;
mod menu;
mod platform;
mod qrcode;
mod sent;
mod server;
mod state;
mod tags;
mod template;
mod token;
mod web;

pub use error::WxError;
pub use jobfinish::PushSecurity;
pub use platform::{authorizer_user_name, Grant, Platform};
pub use server::{router, serve, MockConfig, MockServer, PushAccount};
pub use state::{MockState, SentCall, Upload};
pub use web::{WEB_OPENID, WEB_UNIONID};
