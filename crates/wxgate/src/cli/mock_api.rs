//! `wxgate mock-api [--listen ADDR] [--followers N] [--push-to URL]`: the local stand-in for the WeChat server API
//! (`wechat_mock`), for development and the README tour.
use std::net::SocketAddr;
use std::path::Path;

use clap::Args;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use wechat_mock::{MockConfig, PushAccount, PushSecurity};

use super::Failure;
use crate::config::{AccountConfig, Security};
use crate::{config, shutdown};

/// Where the mock listens unless told otherwise: next to `serve`'s default 8080.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8081";

/// Options of `wxgate mock-api`.
#[derive(Debug, Args)]
pub struct MockApiArgs {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
    /// Give each account N followers for user/get and user/info/batchget, with scenes.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub followers: u32,
    /// Send each template message's TEMPLATESENDJOBFINISH push, signed with the account's
    /// Token (and encrypted in compatible or safe mode), to this push URL (the gateway's, e.g. http://127.0.0.1:8080/wechat; with
    /// several accounts, URL/{name} for account `name`). With [open_platform], the platform's
    /// events go to URL/open and its accounts' pushes to URL/open/{appid}.
    #[arg(long, value_name = "URL")]
    pub push_to: Option<reqwest::Url>,
    /// With [open_platform]: push a component_verify_ticket every S seconds (one at start too).
    #[arg(long, value_name = "S", default_value_t = 600)]
    pub ticket_interval: u64,
}

/// Serve the mock until SIGINT/SIGTERM, for every account of the config: each account's
/// `appid` with its `appsecret` (the dev default secret `0123456789abcdef0123456789abcdef`
/// where none is set); without a config, or when no account has an appid, the dev default
/// appid `wx0123456789abcdef`.
pub async fn run(config_path: Option<&Path>, args: MockApiArgs) -> Result<(), Failure> {
    let (config, _) = config::load(config_path)?;
    let mut mock = MockConfig {
        followers: args.followers,
        push_to: args.push_to.as_ref().map(reqwest::Url::to_string),
        ..MockConfig::default()
    };
    // Job-finish pushes are signed with the account's Token, encrypted with its EncodingAESKey
    // in compatible and safe mode, and, with several accounts, go to `URL/{name}`.
    if let [single] = config.accounts.as_slice() {
        mock.push_token = single.token.expose().to_owned();
        mock.push_security = push_security(single);
    }
    if config.accounts.len() > 1 {
        mock.push_accounts = config
            .accounts
            .iter()
            .filter(|account| !account.appid.is_empty())
            .map(|account| {
                let route = PushAccount {
                    name: account.name.clone(),
                    token: account.token.expose().to_owned(),
                    security: push_security(account),
                };
                (account.appid.clone(), route)
            })
            .collect();
    }
    if let Some(open) = &config.open_platform {
        let mut platform = wechat_mock::Platform::new(
            open.component_appid.clone(),
            open.component_appsecret.expose().to_owned(),
            open.token.expose().to_owned(),
            open.encoding_aes_key.clone(),
        );
        platform.push_to = args
            .push_to
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_owned());
        platform.ticket_interval = std::time::Duration::from_secs(args.ticket_interval.max(1));
        mock.platform = Some(platform);
    }
    let default_secret = mock.appsecret.clone();
    let mut apps = config
        .accounts
        .iter()
        .filter(|account| !account.appid.is_empty())
        .map(|account| {
            let secret = account
                .appsecret
                .as_ref()
                .map_or_else(|| default_secret.clone(), |s| s.expose_secret().to_owned());
            let note = match account.appsecret {
                Some(_) => format!("{}.appsecret of the config", account.table),
                None => format!("dev default {default_secret}"),
            };
            (account.appid.clone(), secret, note)
        });
    let mut notes = Vec::new();
    match apps.next() {
        Some((appid, secret, note)) => {
            (mock.appid, mock.appsecret) = (appid, secret);
            notes.push(format!("appid {}, appsecret: {note}", mock.appid));
        }
        None => notes.push(format!(
            "appid {}, appsecret: dev default {default_secret}",
            mock.appid
        )),
    }
    for (appid, secret, note) in apps {
        notes.push(format!("appid {appid}, appsecret: {note}"));
        mock.more_apps.push((appid, secret));
    }
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::other(format!("cannot listen on {}: {e}", args.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::other(format!("listener: {e}")))?;
    println!("wxgate mock-api: base URL http://{local}");
    for note in &notes {
        println!("  {note}");
    }
    println!("  point [wechat_api] base_url at it; calls that change something: GET /mock/sent");
    println!("  web sign-in: point [wechat_api] open_base_url at it too (its authorize page signs in a test user at once)");
    if let Some(open) = &config.open_platform {
        println!(
            "  third-party platform {}: a ticket every {} s; POST /mock/open/authorize {{\"appid\"}} to authorise an account",
            open.component_appid, args.ticket_interval
        );
    }
    if args.followers > 0 {
        println!("  {} followers for user/get", args.followers);
    }
    if let Some(url) = &args.push_to {
        if config.accounts.len() > 1 {
            println!("  template job-finish pushes go to {url}/{{account name}}");
        } else {
            println!("  template job-finish pushes go to {url}");
        }
    }
    wechat_mock::serve(listener, mock, shutdown::signal())
        .await
        .map_err(|e| Failure::other(format!("mock-api: {e}")))?;
    tracing::info!("mock-api stopped");
    Ok(())
}

/// How WeChat sends `account`'s pushes: plain, or encrypted with its EncodingAESKey (and
/// appid) in compatible and safe mode.
fn push_security(account: &AccountConfig) -> PushSecurity {
    match (account.security, &account.crypt) {
        (Security::Compatible, Some(crypt)) => PushSecurity::Compatible(crypt.clone()),
        (Security::Safe, Some(crypt)) => PushSecurity::Safe(crypt.clone()),
        _ => PushSecurity::Plain,
    }
}
