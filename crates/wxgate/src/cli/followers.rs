//! `wxgate followers [--account NAME] sync`: the whole follower list from WeChat, with a
//! progress bar on a terminal and plain lines otherwise (`follower_sync` does the work).
use std::io::IsTerminal;
use std::path::Path;
use std::time::Instant;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::account::Account;
use super::{AccountArg, Failure};
use crate::follower_sync::{FollowerSync, Progress, SyncError};

/// `wxgate followers [--account NAME] ...`
#[derive(Debug, Args)]
pub struct FollowersArgs {
    /// `--account NAME`
    #[command(flatten)]
    pub account: AccountArg,
    /// what to do
    #[command(subcommand)]
    pub command: FollowersCommand,
}

/// `wxgate followers ...`
#[derive(Debug, Subcommand)]
pub enum FollowersCommand {
    /// Fetch every follower from WeChat (user/get, user/info/batchget) and store them with
    /// their subscribe time, scene, unionid, language, remark and tags; forget those no
    /// longer following. Resumes an interrupted sync.
    Sync,
}

/// Run `wxgate followers ...`.
pub async fn run(config_path: Option<&Path>, args: FollowersArgs) -> Result<(), Failure> {
    let account = args.account.account.as_deref();
    match args.command {
        FollowersCommand::Sync => sync(config_path, account).await,
    }
}

async fn sync(config_path: Option<&Path>, name: Option<&str>) -> Result<(), Failure> {
    let account = Account::open(config_path, name, "followers sync").await?;
    let started = Instant::now();
    let progress = Shown::new();
    let outcome = FollowerSync::new(
        account.name.clone(),
        account.client.clone(),
        account.store.clone(),
    )
    .run(&progress)
    .await;
    progress.finish();
    account.close().await;
    let summary = outcome.map_err(|e| match e {
        SyncError::Quota { .. } => Failure::other(e),
        other => Failure::other(format!(
            "followers sync stopped (run it again to resume): {other}"
        )),
    })?;
    let resumed = if summary.resumed { " (resumed)" } else { "" };
    println!(
        "synced {} followers{resumed}: {} new, {} no longer following forgotten, in {:.1} s",
        summary.synced,
        summary.new,
        summary.forgotten,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A progress bar on a terminal (stderr), a line per page otherwise.
struct Shown {
    bar: Option<ProgressBar>,
}

impl Shown {
    fn new() -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} followers {pos}/{len} [{bar:40}] {per_sec} eta {eta}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        });
        Shown { bar }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Progress for Shown {
    fn total(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    fn done(&self, done: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(done);
        }
    }

    fn page(&self, done: u64, total: u64) {
        if self.bar.is_none() {
            eprintln!("followers sync: {done}/{total}");
        }
    }
}
