//! The real binary with two accounts: `--account` on `qrcode`, `menu` and `simulate` (exit 2
//! naming it when missing or unknown), each account's QR codes its own.
use std::path::Path;
use std::process::{Command, Output};

use crate::harness::{two_accounts_toml, Gateway};

/// Runs `wxgate -c config args` (no `WXGATE_*` from the environment) off the runtime.
async fn wxgate(config: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxgate"));
    command.arg("-c").arg(config).args(args);
    for (key, _) in std::env::vars() {
        if key.starts_with("WXGATE_") {
            command.env_remove(key);
        }
    }
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("blocking task")
        .expect("run wxgate")
}

fn out(output: &Output) -> (Option<i32>, String, String) {
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_take_the_account_and_name_it_when_missing() {
    let gw = Gateway::start("").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("wxgate.toml");
    std::fs::write(
        &config,
        two_accounts_toml(&dir.path().join("cli.db"), &gw.mock_url(), ""),
    )
    .expect("config written");

    for args in [
        &["qrcode", "create", "--scene", "p"][..],
        &["menu", "show"][..],
        &["qrcode", "list"][..],
        &["simulate", "text", "--content", "hi"][..],
        &["menu", "show", "--account", "six"][..],
    ] {
        let (code, _, stderr) = out(&wxgate(&config, args).await);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("--account"), "{args:?}: {stderr}");
        assert!(stderr.lines().count() == 1, "one line: {stderr}");
    }

    let (code, stdout, stderr) = out(&wxgate(
        &config,
        &["qrcode", "create", "--scene", "p", "--account", "two"],
    )
    .await);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    let (_, listed_two, _) = out(&wxgate(&config, &["qrcode", "list", "--account", "two"]).await);
    assert!(listed_two.contains('p'), "{listed_two}");
    let (_, listed_one, _) = out(&wxgate(&config, &["qrcode", "--account", "one", "list"]).await);
    assert!(listed_one.contains("no QR codes"), "{listed_one}");

    let target = gw.url("/wechat/one");
    let (code, stdout, stderr) = out(&wxgate(
        &config,
        &[
            "simulate",
            "--target",
            &target,
            "--account",
            "one",
            "text",
            "--content",
            "hi",
        ],
    )
    .await);
    assert_eq!((code, stdout.trim()), (Some(0), "success"), "{stderr}");
    let (code, _, stderr) = out(&wxgate(
        &config,
        &[
            "simulate",
            "--target",
            &target,
            "--account",
            "two",
            "text",
            "--content",
            "hi",
        ],
    )
    .await);
    assert_eq!(
        code,
        Some(1),
        "two's token at one's path is refused: {stderr}"
    );
    gw.stop().await;
}
