//! `wxgate qrcode create` and `wxgate qrcode list`.
use std::path::{Path, PathBuf};

use crate::rfc3339::time;
use clap::{Args, Subcommand};
use wechat_api::QrRequest;

use super::account::Account;
use super::{AccountArg, Failure};
use crate::qr;
use crate::store::QrCode;

/// `wxgate qrcode [--account NAME] ...`
#[derive(Debug, Args)]
pub struct QrcodeArgs {
    /// `--account NAME`
    #[command(flatten)]
    pub account: AccountArg,
    /// create or list
    #[command(subcommand)]
    pub command: QrcodeCommand,
}

/// `wxgate qrcode ...`
#[derive(Debug, Subcommand)]
pub enum QrcodeCommand {
    /// Create a parametric QR code through the WeChat API and record it.
    Create(CreateArgs),
    /// The recorded QR codes with their follow / scan / unfollow counts.
    List,
}

/// Options of `wxgate qrcode create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Scene: an integer (QR_SCENE / QR_LIMIT_SCENE) or any other string (QR_STR_SCENE /
    /// QR_LIMIT_STR_SCENE).
    #[arg(long)]
    pub scene: String,
    /// A permanent code (default: temporary).
    #[arg(long)]
    pub permanent: bool,
    /// Lifetime of a temporary code in seconds, 1..=2592000 (default 2592000).
    #[arg(long = "expire", value_name = "SECONDS")]
    pub expire: Option<u64>,
    /// A name for the code (which poster it is on).
    #[arg(long)]
    pub label: Option<String>,
    /// Write the code as SVG to FILE.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Write the code as PNG to FILE.
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
}

/// Run `wxgate qrcode ...`.
pub async fn run(config_path: Option<&Path>, args: QrcodeArgs) -> Result<(), Failure> {
    let account = args.account.account.as_deref();
    match args.command {
        QrcodeCommand::Create(create_args) => create(config_path, account, create_args).await,
        QrcodeCommand::List => list(config_path, account).await,
    }
}

async fn create(
    config_path: Option<&Path>,
    name: Option<&str>,
    args: CreateArgs,
) -> Result<(), Failure> {
    // Every limit before the config, the store or WeChat is touched.
    let request = QrRequest::new(&args.scene, args.permanent, args.expire).map_err(|e| {
        // Name the option the user typed, not the API's field.
        let option = match e.field() {
            "expire_seconds" => "--expire",
            _ => "--scene",
        };
        Failure::usage(e.to_string().replacen(e.field(), option, 1))
    })?;
    let account = Account::open(config_path, name, "qrcode create").await?;
    let created = qr::create(
        &account.client,
        account.store.as_ref(),
        &account.name,
        &request,
        args.label,
    )
    .await;
    let show_url = created
        .as_ref()
        .ok()
        .map(|code| qr::show_url(Some(&account.client), &code.ticket));
    account.close().await;
    let code = created.map_err(Failure::other)?;
    print_code(&code, show_url.as_deref().unwrap_or_default());
    if let Some(path) = &args.svg {
        let svg = qr::svg(&code.url).map_err(Failure::other)?;
        write(path, svg.as_bytes())?;
    }
    if let Some(path) = &args.png {
        let png = qr::png(&code.url).map_err(Failure::other)?;
        write(path, &png)?;
    }
    Ok(())
}

fn print_code(code: &QrCode, show_url: &str) {
    println!("scene:       {}", code.scene);
    println!("action_name: {}", code.action_name);
    println!("label:       {}", code.label.as_deref().unwrap_or("-"));
    println!("ticket:      {}", code.ticket);
    println!("url:         {}", code.url);
    match (code.expires_at, code.expire_seconds) {
        (Some(at), Some(seconds)) => println!("expires_at:  {} ({seconds} s)", time(&at)),
        _ => println!("expires_at:  never (permanent)"),
    }
    println!("show_url:    {show_url}");
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes).map_err(|e| Failure::other(format!("{}: {e}", path.display())))?;
    println!("wrote:       {}", path.display());
    Ok(())
}

async fn list(config_path: Option<&Path>, name: Option<&str>) -> Result<(), Failure> {
    let (config, _) = crate::config::load(config_path)?;
    let account = config
        .select(name, "--account")
        .map_err(|e| Failure::usage(e.to_string()))?
        .name
        .clone();
    let store = crate::store::open(&config.storage.url)
        .await
        .map_err(|e| Failure::other(format!("storage: {e}")))?;
    let codes = store.qrcodes(Some(&account)).await;
    store.close().await;
    let codes = codes.map_err(|e| Failure::other(format!("storage: {e}")))?;
    if codes.is_empty() {
        println!("no QR codes recorded; create one with `wxgate qrcode create --scene S`");
        return Ok(());
    }
    let rows: Vec<[String; 7]> = codes
        .iter()
        .map(|t| {
            [
                t.code.scene.clone(),
                t.code.label.clone().unwrap_or_else(|| "-".into()),
                t.code.action_name.clone(),
                t.subscribes.to_string(),
                t.scans.to_string(),
                t.unsubscribes.to_string(),
                t.code
                    .expires_at
                    .as_ref()
                    .map_or_else(|| "permanent".into(), time),
            ]
        })
        .collect();
    let header = [
        "SCENE",
        "LABEL",
        "KIND",
        "FOLLOWS",
        "SCANS",
        "UNFOLLOWS",
        "EXPIRES",
    ]
    .map(String::from);
    print_table(&header, &rows);
    Ok(())
}

fn print_table<const N: usize>(header: &[String; N], rows: &[[String; N]]) {
    let mut widths = header.clone().map(|h| h.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for row in std::iter::once(header).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
}
