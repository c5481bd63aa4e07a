//! The command line: `wxgate [-c FILE] COMMAND`.
mod account;
mod checks;
mod completions;
mod followers;
mod menu;
#[cfg(feature = "mock")]
mod mock_api;
mod open;
mod qrcode;
mod reload;
mod serve;
mod simulate;
mod startup;
mod tokens;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// An error with its exit status: 2 for usage/config errors, 1 for anything else.
#[derive(Debug)]
pub struct Failure {
    /// exit status
    pub code: u8,
    /// the one-line message
    pub message: String,
}

impl Failure {
    /// A usage or config error (exit 2).
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Failure {
            code: 2,
            message: message.to_string(),
        }
    }
    /// Any other failure (exit 1).
    pub fn other(message: impl std::fmt::Display) -> Self {
        Failure {
            code: 1,
            message: message.to_string(),
        }
    }
}

impl From<crate::config::ConfigError> for Failure {
    fn from(e: crate::config::ConfigError) -> Self {
        Failure::usage(format!("config: {e}"))
    }
}

/// wxgate: a self-hosted gateway for WeChat Official Accounts.
#[derive(Debug, Parser)]
#[command(name = "wxgate", version, about)]
pub struct Cli {
    /// Config file (default: ./wxgate.toml if present, else built-in defaults).
    #[arg(short = 'c', long = "config", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway.
    Serve,
    /// Send one signed push as WeChat would and print the reply.
    Simulate(simulate::SimulateArgs),
    /// Parametric QR codes: create one through the WeChat API, list the recorded ones.
    Qrcode(qrcode::QrcodeArgs),
    /// The custom menu: push a TOML/JSON menu file, show or delete the live menu.
    Menu(menu::MenuArgs),
    /// The account's followers: sync the whole list from WeChat.
    Followers(followers::FollowersArgs),
    /// The third-party platform of `[open_platform]`: authorisation links, authorizers, sync.
    Open(open::OpenArgs),
    /// A local stand-in for the WeChat server API, for development and tests.
    #[cfg(feature = "mock")]
    MockApi(mock_api::MockApiArgs),
    /// Print a shell completion script (e.g. `wxgate completions bash > /etc/bash_completion.d/wxgate`).
    Completions(completions::CompletionsArgs),
}

/// `--account NAME`: which account of `[[accounts]]` a command is about (required when the
/// config has several).
#[derive(Debug, Clone, Default, Args)]
pub struct AccountArg {
    /// The account (a `name` of `[[accounts]]`); required when the config has several.
    #[arg(long = "account", value_name = "NAME", global = true)]
    pub account: Option<String>,
}

/// Run the parsed command.
pub async fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Serve => serve::run(cli.config.as_deref()).await,
        Command::Simulate(args) => simulate::run(cli.config.as_deref(), args).await,
        Command::Qrcode(command) => qrcode::run(cli.config.as_deref(), command).await,
        Command::Menu(command) => menu::run(cli.config.as_deref(), command).await,
        Command::Followers(command) => followers::run(cli.config.as_deref(), command).await,
        Command::Open(args) => open::run(cli.config.as_deref(), args).await,
        #[cfg(feature = "mock")]
        Command::MockApi(args) => mock_api::run(cli.config.as_deref(), args).await,
        Command::Completions(args) => completions::run(&args),
    }
}
