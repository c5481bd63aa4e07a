//! `wxgate menu push FILE [--dry-run]`, `menu show`, `menu delete`.
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use wechat_api::{Menu, MenuView};

use super::account::Account;
use super::{AccountArg, Failure};
use crate::menu;

/// `wxgate menu [--account NAME] ...`
#[derive(Debug, Args)]
pub struct MenuArgs {
    /// `--account NAME`
    #[command(flatten)]
    pub account: AccountArg,
    /// push, show or delete
    #[command(subcommand)]
    pub command: MenuCommand,
}

/// `wxgate menu ...`
#[derive(Debug, Subcommand)]
pub enum MenuCommand {
    /// Validate a menu file (TOML or JSON) and make it the live menu.
    Push {
        /// The menu file: `.toml`, `.json`, or either by content.
        file: PathBuf,
        /// Validate and print the difference from the live menu; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Print the live menu.
    Show,
    /// Delete the live menu (conditional menus included).
    Delete,
}

/// Run `wxgate menu ...`.
pub async fn run(config_path: Option<&Path>, args: MenuArgs) -> Result<(), Failure> {
    let account = args.account.account.as_deref();
    match args.command {
        MenuCommand::Push { file, dry_run } => push(config_path, account, &file, dry_run).await,
        MenuCommand::Show => show(config_path, account).await,
        MenuCommand::Delete => delete(config_path, account).await,
    }
}

async fn push(
    config_path: Option<&Path>,
    name: Option<&str>,
    file: &Path,
    dry_run: bool,
) -> Result<(), Failure> {
    // The file is read and every limit checked before the config, the store or WeChat.
    let new = menu::read(file).map_err(Failure::usage)?;
    let command = if dry_run {
        "menu push --dry-run"
    } else {
        "menu push"
    };
    let account = Account::open(config_path, name, command).await?;
    let outcome = if dry_run {
        account
            .client
            .menu()
            .await
            .map(|live| print_diff(&live, &new))
    } else {
        account.client.create_menu(&new).await.map(|()| {
            println!("menu pushed: {}", top_level(new.button.len()));
        })
    };
    account.close().await;
    outcome.map_err(Failure::other)
}

/// "1 top-level button", "3 top-level buttons".
fn top_level(n: usize) -> String {
    let s = if n == 1 { "" } else { "s" };
    format!("{n} top-level button{s}")
}

fn print_diff(live: &MenuView, new: &Menu) {
    let live_text = match live {
        MenuView::Api(menu) => pretty(menu),
        MenuView::Console(menu) => pretty(menu),
        MenuView::None => String::new(),
    };
    let new_text = pretty(new);
    if live_text == new_text {
        println!("dry run: the menu is already live; nothing would change");
        return;
    }
    println!("dry run: nothing changed; pushing would make these changes (- live, + new):");
    for line in menu::diff_lines(&live_text, &new_text) {
        println!("{line}");
    }
}

fn pretty(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

async fn show(config_path: Option<&Path>, name: Option<&str>) -> Result<(), Failure> {
    let account = Account::open(config_path, name, "menu show").await?;
    let live = account.client.menu().await;
    account.close().await;
    let live = live.map_err(Failure::other)?;
    println!("{}", pretty(&menu::view_json(&live)));
    Ok(())
}

async fn delete(config_path: Option<&Path>, name: Option<&str>) -> Result<(), Failure> {
    let account = Account::open(config_path, name, "menu delete").await?;
    let deleted = account.client.delete_menu().await;
    account.close().await;
    deleted.map_err(Failure::other)?;
    println!("menu deleted");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_button_is_singular() {
        assert_eq!(super::top_level(1), "1 top-level button");
        assert_eq!(super::top_level(3), "3 top-level buttons");
    }
}
