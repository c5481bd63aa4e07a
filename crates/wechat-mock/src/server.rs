//! Configuration, routes and the ways to run the mock.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::jobfinish::PushSecurity;
use crate::platform::{self, Platform};
use crate::state::MockState;
use crate::{custom, followers, media, menu, qrcode, sent, tags, template, token, web};

/// What the mock accepts: one account's credentials (and those of more accounts, each with
/// its own tokens and menu) and the lifetime of the tokens it issues.
#[derive(Clone)]
pub struct MockConfig {
    /// The account's AppID; appids not configured get 40013.
    pub appid: String,
    /// The account's AppSecret; other secrets get 40001 (well-formed) or 40125.
    pub appsecret: String,
    /// More accounts, as (AppID, AppSecret): a gateway serving several accounts.
    pub more_apps: Vec<(String, String)>,
    /// Lifetime of issued tokens (WeChat: 7200 s); short values let tests see expiry.
    pub token_ttl: Duration,
    /// How many followers `user/get` lists (`--followers N`), with scenes.
    pub followers: u32,
    /// Where to send the `TEMPLATESENDJOBFINISH` push of each template message taken
    /// (`--push-to URL`): the gateway's push URL.
    pub push_to: Option<String>,
    /// The account's Token (of the admin console), to sign those pushes.
    pub push_token: String,
    /// The account's security mode (with its EncodingAESKey): how those pushes are wrapped.
    pub push_security: PushSecurity,
    /// Per AppID of a gateway serving several accounts, how its pushes are addressed:
    /// `push_to` + `/{name}`, signed with that account's Token and wrapped for its security
    /// mode. An AppID not listed uses `push_to` as it is, `push_token` and `push_security`.
    pub push_accounts: HashMap<String, PushAccount>,
    /// A third-party platform the mock is also WeChat for (contract §1, mock-api row): the
    /// component calls, ticket pushes, `POST /mock/open/authorize` / `unauthorize`.
    pub platform: Option<Platform>,
}

/// Where the job-finish pushes of one AppID go on a gateway serving several accounts.
#[derive(Clone)]
pub struct PushAccount {
    /// the account's name: its push URL is `push_to/{name}`
    pub name: String,
    /// the account's Token, to sign its pushes
    pub token: String,
    /// its security mode (with its EncodingAESKey): plain, or encrypted as WeChat does
    pub security: PushSecurity,
}

impl fmt::Debug for PushAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushAccount")
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .field("security", &self.security)
            .finish()
    }
}

impl Default for MockConfig {
    /// AppID `wx0123456789abcdef`, AppSecret `0123456789abcdef0123456789abcdef`, 7200 s tokens,
    /// no followers, no pushes back (plain, Token `wxgatedevtoken` if set to push).
    fn default() -> Self {
        Self {
            appid: "wx0123456789abcdef".to_owned(),
            appsecret: "0123456789abcdef0123456789abcdef".to_owned(),
            more_apps: Vec::new(),
            token_ttl: Duration::from_secs(7200),
            followers: 0,
            push_to: None,
            push_token: "wxgatedevtoken".to_owned(),
            push_security: PushSecurity::Plain,
            push_accounts: HashMap::new(),
            platform: None,
        }
    }
}

impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockConfig")
            .field("appid", &self.appid)
            .field("appsecret", &"<redacted>")
            .field(
                "more_apps",
                &self
                    .more_apps
                    .iter()
                    .map(|(appid, _)| appid)
                    .collect::<Vec<_>>(),
            )
            .field("token_ttl", &self.token_ttl)
            .field("followers", &self.followers)
            .field("push_to", &self.push_to)
            .field("push_token", &"<redacted>")
            .field("push_security", &self.push_security)
            .field("push_accounts", &self.push_accounts)
            .field("platform", &self.platform)
            .finish()
    }
}

/// The mock's routes, over the given state.
pub fn router(state: MockState) -> Router {
    Router::new()
        .route("/cgi-bin/token", get(token::token))
        .route("/cgi-bin/stable_token", post(token::stable_token))
        .route("/cgi-bin/qrcode/create", post(qrcode::create))
        .route("/cgi-bin/showqrcode", get(qrcode::show))
        .route("/cgi-bin/menu/create", post(menu::create))
        .route("/cgi-bin/menu/get", get(menu::get))
        .route("/cgi-bin/menu/delete", get(menu::delete))
        .route(
            "/cgi-bin/get_current_selfmenu_info",
            get(menu::selfmenu_info),
        )
        .route("/cgi-bin/message/custom/send", post(custom::send))
        .route("/cgi-bin/user/info", get(custom::user_info))
        .route("/cgi-bin/user/get", get(followers::list))
        .route("/cgi-bin/user/info/batchget", post(followers::batchget))
        .route("/cgi-bin/message/template/send", post(template::send))
        .route("/cgi-bin/tags/get", get(tags::get))
        .route(
            "/cgi-bin/media/upload",
            // WeChat's largest temporary media, video, is 10 MB.
            post(media::upload).layer(DefaultBodyLimit::max(12 * 1024 * 1024)),
        )
        .route("/cgi-bin/ticket/getticket", get(web::getticket))
        .route("/connect/oauth2/authorize", get(web::authorize))
        .route("/sns/oauth2/access_token", get(web::sns_access_token))
        .route("/sns/userinfo", get(web::sns_userinfo))
        .route("/mock/sent", get(sent::sent))
        .route(
            "/cgi-bin/component/api_component_token",
            post(platform::api_component_token),
        )
        .route(
            "/cgi-bin/component/api_start_push_ticket",
            post(platform::api_start_push_ticket),
        )
        .route(
            "/cgi-bin/component/api_create_preauthcode",
            post(platform::api_create_preauthcode),
        )
        .route(
            "/cgi-bin/component/api_query_auth",
            post(platform::api_query_auth),
        )
        .route(
            "/cgi-bin/component/api_authorizer_token",
            post(platform::api_authorizer_token),
        )
        .route(
            "/cgi-bin/component/api_get_authorizer_info",
            post(platform::api_get_authorizer_info),
        )
        .route(
            "/cgi-bin/component/api_get_authorizer_list",
            post(platform::api_get_authorizer_list),
        )
        .route(
            "/sns/oauth2/component/access_token",
            get(platform::sns_component_access_token),
        )
        .route("/mock/open/authorize", post(platform::authorize))
        .route("/mock/open/unauthorize", post(platform::unauthorize))
        .route("/mock/open/push", post(platform::push))
        .with_state(state)
}

/// Serves the mock on `listener` until `shutdown` completes (with a platform, pushing a
/// ticket at once and every `ticket_interval` meanwhile).
pub async fn serve(
    listener: TcpListener,
    config: MockConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let state = MockState::new(config);
    let tickets = tokio::spawn(platform::ticket_pushes(state.clone()));
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await;
    tickets.abort();
    served
}

/// A mock running in the background on `127.0.0.1:0`, for tests; stopped when dropped.
#[derive(Debug)]
pub struct MockServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    /// The handle to inspect and steer it.
    pub state: MockState,
    task: JoinHandle<()>,
    /// the platform's ticket pushes (a task that ends at once without a platform)
    tickets: JoinHandle<()>,
}

impl MockServer {
    /// Binds `127.0.0.1:0` and serves the mock on a background task (with a platform, ticket
    /// pushes on another).
    pub async fn spawn(config: MockConfig) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let state = MockState::new(config);
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::error!(error = %err, "mock API server stopped");
            }
        });
        let tickets = tokio::spawn(platform::ticket_pushes(state.clone()));
        Ok(Self {
            addr,
            state,
            task,
            tickets,
        })
    }

    /// `http://127.0.0.1:PORT`, to use as the API base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.task.abort();
        self.tickets.abort();
    }
}
