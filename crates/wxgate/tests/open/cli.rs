//! `wxgate open authorize-url | authorizers | sync` against the store a gateway filled and the
//! mock as the platform's WeChat.
use std::process::Command;

use crate::harness::*;

const A: &str = "wxa1a1a1a1a1a1a1a1";

/// Runs `wxgate -c FILE open ARGS`: (exit status, stdout, stderr).
fn open(config: &std::path::Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_wxgate"))
        .arg("-c")
        .arg(config)
        .arg("open")
        .args(args)
        .output()
        .expect("wxgate runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_open_commands_list_link_and_sync() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let text = config_toml(&url, &mock.base_url(), "");
    let gw = Gateway::start(dir.path(), &text, &mock).await;
    push_ticket(&gw, &mock.state).await;
    authorize(&mock, A).await;
    gw.wait_status(A, Some("authorized")).await;
    gw.stop().await;
    let config = dir.path().join("wxgate.toml");
    std::fs::write(&config, &text).expect("config written");

    let (code, out, err) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || open(&config, &["authorizers"])
    })
    .await
    .expect("ran");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(A) && out.contains("authorized"), "{out}");

    let (code, out, err) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || open(&config, &["authorize-url", "--auth-type", "1"])
    })
    .await
    .expect("ran");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("componentloginpage?"), "{out}");
    assert!(out.contains("bindcomponent"), "{out}");
    assert!(
        out.contains(&format!("component_appid={COMPONENT}")),
        "{out}"
    );
    assert!(!out.contains(SECRET) && !err.contains(SECRET));

    let (code, _, err) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || open(&config, &["authorize-url", "--auth-type", "4"])
    })
    .await
    .expect("ran");
    assert_eq!(code, 2, "a usage error: {err}");
    assert!(err.contains("auth_type"), "{err}");

    let (code, out, err) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || open(&config, &["sync"])
    })
    .await
    .expect("ran");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("1 authorizers listed by WeChat: 0 added, 1 updated"),
        "{out}"
    );
}
