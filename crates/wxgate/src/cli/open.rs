//! `wxgate open authorize-url [--auth-type 1|2|3] [--biz-appid APPID]` · `open authorizers` ·
//! `open sync`: the third-party platform of `[open_platform]` (contract §7).
use std::path::Path;
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::Failure;
use crate::account::{Parts, Registry};
use crate::config::{self, Config, ConfigError};
use crate::open::{Platform, PlatformError, PlatformStartError};
use crate::store::{self, Store};

/// Options of `wxgate open`.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: OpenCommand,
}

/// The `open` commands.
#[derive(Debug, Subcommand)]
pub enum OpenCommand {
    /// Print the authorisation page's PC and mobile links (a fresh pre_auth_code each time).
    AuthorizeUrl {
        /// 1 Official Accounts (default), 2 mini-programs, 3 both.
        #[arg(long, value_name = "1|2|3")]
        auth_type: Option<String>,
        /// Only this account may authorise (instead of --auth-type).
        #[arg(long, value_name = "APPID")]
        biz_appid: Option<String>,
    },
    /// List the accounts that authorised the platform, with their status.
    Authorizers,
    /// Recover the authorizers and their refresh tokens from WeChat's authorizer list.
    Sync,
}

/// Run `wxgate open …`.
pub async fn run(config_path: Option<&Path>, args: OpenArgs) -> Result<(), Failure> {
    let (config, _) = config::load(config_path)?;
    if config.open_platform.is_none() {
        return Err(ConfigError::new("open_platform", "required for wxgate open").into());
    }
    let target = match &args.command {
        OpenCommand::AuthorizeUrl {
            auth_type,
            biz_appid,
        } => Some(
            crate::server::admin::open_target(auth_type.as_deref(), biz_appid.as_deref())
                .map_err(Failure::usage)?,
        ),
        _ => None,
    };
    let store = store::open(&config.storage.url)
        .await
        .map_err(|e| Failure::other(format!("storage: {e}")))?;
    let outcome = command(&config, Arc::clone(&store), args.command, target).await;
    store.close().await;
    outcome
}

async fn command(
    config: &Config,
    store: Arc<dyn Store>,
    command: OpenCommand,
    target: Option<wechat_api::component::AuthTarget>,
) -> Result<(), Failure> {
    if let OpenCommand::Authorizers = command {
        for a in store.authorizers().await.map_err(Failure::other)? {
            println!(
                "{}\t{}\t{}\t{}",
                a.appid,
                a.user_name,
                a.status.as_str(),
                a.nick_name.unwrap_or_default()
            );
        }
        return Ok(());
    }
    let Some(open) = config.open_platform.clone() else {
        return Ok(());
    };
    let registry = Arc::new(Registry::start(config, Parts::of(config, Arc::clone(&store))).await);
    let platform = Platform::start(open, &config.api_base_url, store, registry)
        .await
        .map_err(|e| match e {
            PlatformStartError::Config(e) => Failure::from(e),
            PlatformStartError::Store(e) => Failure::other(e),
        })?;
    match (command, target) {
        (OpenCommand::AuthorizeUrl { .. }, Some(target)) => {
            let urls = platform
                .authorize_urls(None, &target)
                .await
                .map_err(|e| Failure::other(format!("WeChat: {e}")))?;
            println!("PC (scan in a desktop browser): {}", urls.pc);
            println!("mobile (open inside WeChat):    {}", urls.mobile);
        }
        (OpenCommand::Sync, _) => {
            let synced = platform.sync().await.map_err(|e| match e {
                PlatformError::Store(e) => Failure::other(format!("storage: {e}")),
                PlatformError::Api(e) => Failure::other(format!("WeChat: {e}")),
            })?;
            println!(
                "{} authorizers listed by WeChat: {} added, {} updated",
                synced.total, synced.added, synced.updated
            );
        }
        _ => {}
    }
    Ok(())
}
