//! `wxgate mock-api [--listen ADDR]`: the local stand-in for the WeChat server API
//! (`wechat_mock`), for development and the README tour.
use std::net::SocketAddr;
use std::path::Path;

use clap::Args;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;
use wechat_mock::MockConfig;

use super::Failure;
use crate::{config, shutdown};

/// Where the mock listens unless told otherwise: next to `serve`'s default 8080.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8081";

/// Options of `wxgate mock-api`.
#[derive(Debug, Args)]
pub struct MockApiArgs {
    /// Address to listen on.
    #[arg(long, default_value = DEFAULT_LISTEN)]
    pub listen: SocketAddr,
}

/// Serve the mock until SIGINT/SIGTERM. It accepts the config's `account.appid` and
/// `account.appsecret`, or the dev defaults (`wx0123456789abcdef` /
/// `0123456789abcdef0123456789abcdef`) for whichever is not set.
pub async fn run(config_path: Option<&Path>, args: MockApiArgs) -> Result<(), Failure> {
    let (config, _) = config::load(config_path)?;
    let mut mock = MockConfig::default();
    // issue 11 step 5 (not done yet): one mock app per account; the first account for now.
    let account = &config.accounts[0];
    if !account.appid.is_empty() {
        mock.appid = account.appid.clone();
    }
    let secret_note = match &account.appsecret {
        Some(secret) => {
            mock.appsecret = secret.expose_secret().to_owned();
            "account.appsecret of the config".to_owned()
        }
        None => format!("dev default {}", mock.appsecret),
    };
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|e| Failure::other(format!("cannot listen on {}: {e}", args.listen)))?;
    let local = listener
        .local_addr()
        .map_err(|e| Failure::other(format!("listener: {e}")))?;
    println!("wxgate mock-api: base URL http://{local}");
    println!("  appid {}, appsecret: {secret_note}", mock.appid);
    println!("  point [wechat_api] base_url at it; calls that change something: GET /mock/sent");
    wechat_mock::serve(listener, mock, shutdown::signal())
        .await
        .map_err(|e| Failure::other(format!("mock-api: {e}")))?;
    tracing::info!("mock-api stopped");
    Ok(())
}
