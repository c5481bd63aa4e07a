//! `wxgate simulate`: send one push exactly as WeChat would (signed, optionally encrypted)
//! and print the reply (decrypted) or `success`.
mod kinds;
mod xml;

use std::path::Path;
use std::time::Duration;

use clap::Args;
use rand::{Rng, RngCore};
use secrecy::ExposeSecret;
use wechat_api::NetError;
use wechat_proto::{
    msg_signature, open_reply_envelope, render_push_envelope, signature, EncodingAesKey,
    MessageCrypt,
};

use super::Failure;
use crate::config;
pub use kinds::Kind;

/// The account id pushes are addressed to (the simulator has no real one).
const TO_USER: &str = "gh_0123456789ab";
/// How long a simulated push may take, answer included.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The openid used without --from.
const DEFAULT_OPENID: &str = "oTestOpenId0000000000000000";

/// Options of `wxgate simulate`; each may stand before or after KIND.
#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// The account of `[[accounts]]` to send to (its push path and keys); required when the
    /// config has several and the push URL, token or key comes from it.
    #[arg(long = "account", value_name = "NAME", global = true)]
    pub account: Option<String>,
    /// Push URL (default: the listen address and the account's push path of the config).
    #[arg(long, global = true)]
    pub target: Option<String>,
    /// Token (default: account.token of the config).
    #[arg(long, global = true)]
    pub token: Option<String>,
    /// AppID, for --encrypt (default: account.appid).
    #[arg(long, global = true)]
    pub appid: Option<String>,
    /// EncodingAESKey, for --encrypt (default: account.encoding_aes_key).
    #[arg(long = "aes-key", global = true)]
    pub aes_key: Option<String>,
    /// Sender openid.
    #[arg(long, global = true)]
    pub from: Option<String>,
    /// Send in safe mode (AES envelope).
    #[arg(long, global = true)]
    pub encrypt: bool,
    /// What to send.
    #[command(subcommand)]
    pub kind: Kind,
}

/// Run `simulate`.
pub async fn run(config_path: Option<&Path>, args: SimulateArgs) -> Result<(), Failure> {
    let (raw, source) = config::read_raw(config_path)?;
    let config = config::Config::from_raw(raw, &source.base_dir, |k| std::env::var(k).ok())?;
    let account = || {
        config
            .select(args.account.as_deref(), "--account")
            .map_err(|e| Failure::usage(e.to_string()))
    };
    let target = match &args.target {
        Some(t) => t.clone(),
        None => {
            let mut addr = config.server.listen;
            if addr.ip().is_unspecified() {
                addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("http://{addr}{}", account()?.push_path)
        }
    };
    let token = match &args.token {
        Some(token) => token.clone(),
        None => account()?.token.expose_secret().to_string(),
    };
    let crypt = if args.encrypt {
        Some(crypt(&args, account)?)
    } else {
        None
    };

    let from = args.from.as_deref().unwrap_or(DEFAULT_OPENID);
    let now = chrono::Utc::now().timestamp();
    let mut rng = rand::thread_rng();
    let msg_id = args
        .kind
        .is_message()
        .then(|| rng.gen_range(1..i64::MAX as u64));
    let push = xml::render_push(TO_USER, from, now, msg_id, &args.kind);
    let timestamp = now.to_string();
    let nonce = rng.gen_range(100_000_000u64..10_000_000_000).to_string();
    let mut url = reqwest::Url::parse(&target)
        .map_err(|_| Failure::usage(format!("--target: {target:?} is not a URL")))?;
    let body = {
        let mut q = url.query_pairs_mut();
        q.append_pair("signature", &signature(&token, &timestamp, &nonce))
            .append_pair("timestamp", &timestamp)
            .append_pair("nonce", &nonce)
            .append_pair("openid", from);
        match &crypt {
            None => push,
            Some(crypt) => {
                let mut random = [0u8; 16];
                rng.fill_bytes(&mut random);
                let encrypt = crypt.encrypt(&push, random);
                q.append_pair("encrypt_type", "aes").append_pair(
                    "msg_signature",
                    &msg_signature(&token, &timestamp, &nonce, &encrypt),
                );
                render_push_envelope(TO_USER, &encrypt)
            }
        }
    };

    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| Failure::other(e.to_string()))?;
    // "connection refused", "timed out after 10000 ms": not reqwest's "error sending request"
    let net = |e| NetError::new(e, TIMEOUT, TIMEOUT);
    let resp = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "text/xml")
        .body(body)
        .send()
        .await
        .map_err(|e| Failure::other(format!("cannot reach {target}: {}", net(e))))?;
    let status = resp.status();
    let text = resp
        .text()
        .await
        .map_err(|e| Failure::other(format!("reading the answer: {}", net(e))))?;
    if !status.is_success() {
        return Err(Failure::other(format!(
            "gateway answered HTTP {status}: {text}{}",
            mode_hint(args.encrypt, status, &text)
        )));
    }
    let shown = match &crypt {
        _ if text.trim().is_empty() || text.trim() == "success" => "success".to_string(),
        None => text,
        Some(crypt) => open_reply_envelope(crypt, &token, text.as_bytes())
            .map_err(|e| Failure::other(format!("the encrypted reply does not open: {e}")))?,
    };
    println!("{shown}");
    Ok(())
}

/// What to try when the gateway refused the push for its mode: `--encrypt` for a gateway in
/// safe mode, leaving it out for one in plain mode.
fn mode_hint(encrypted: bool, status: reqwest::StatusCode, answer: &str) -> &'static str {
    if status != reqwest::StatusCode::BAD_REQUEST {
        ""
    } else if !encrypted && answer.contains("refuses plain pushes") {
        " (try again with --encrypt)"
    } else if encrypted && answer.contains("refuses encrypted pushes") {
        " (try again without --encrypt)"
    } else {
        ""
    }
}

/// The envelope of `--encrypt`: `--appid` and `--aes-key`, else the account's (`account`
/// selects it from the config, only when one of them is missing).
fn crypt<'c>(
    args: &SimulateArgs,
    account: impl Fn() -> Result<&'c config::AccountConfig, Failure>,
) -> Result<MessageCrypt, Failure> {
    let appid = match &args.appid {
        Some(appid) => appid.clone(),
        None => account()?.appid.clone(),
    };
    if appid.is_empty() {
        return Err(Failure::usage(
            "--appid: required with --encrypt (or account.appid in the config)",
        ));
    }
    if let Some(key) = &args.aes_key {
        return EncodingAesKey::parse(key)
            .map(|k| MessageCrypt::new(k, appid))
            .map_err(|e| Failure::usage(format!("--aes-key: {e}")));
    }
    match &account()?.crypt {
        Some(c) => Ok(c.with_appid(appid)),
        None => Err(Failure::usage(
            "--aes-key: required with --encrypt (or account.encoding_aes_key in the config)",
        )),
    }
}
