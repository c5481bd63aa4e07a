//! Issue 17 item 4 and issue 18 item 8: the sign-in throttle counts failures per client over
//! a sliding window — behind `[server] trusted_proxies` the client the proxy names — and no
//! success clears them.
use std::process::{Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::*;

/// An admin call from this test (peer 127.0.0.1) with `bearer`, claiming to forward for
/// `forwarded_for` when given.
async fn sign_in(app: &TestApp, bearer: &str, forwarded_for: Option<&str>) -> StatusCode {
    let mut request = app.http.get(app.url("/api/stats")).bearer_auth(bearer);
    if let Some(client) = forwarded_for {
        request = request.header("X-Forwarded-For", client);
    }
    request.send().await.expect("an answer").status()
}

fn cfg(server_extra: &str, admin: &str) -> Cfg {
    Cfg {
        server_extra: server_extra.into(),
        admin: false,
        extra: format!("[admin]\n{admin}\n"),
        ..Cfg::default()
    }
}

const ADMIN: &str = "token = \"test-admin-token\"";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_17_one_guesser_behind_a_trusted_proxy_does_not_lock_out_the_others() {
    let _serial = crate::SERIAL.lock().await;
    let app = spawn_app_cfg(cfg(
        "trusted_proxies = [\"10.0.0.0/8\", \"127.0.0.1\"]\n",
        ADMIN,
    ))
    .await;
    // The guesser, behind two proxies (the outer one 10.1.2.3); a forged hop on the left.
    let guesser = "6.6.6.6, 198.51.100.1, 10.1.2.3";
    for i in 0..10 {
        let status = sign_in(&app, "wrong-token", Some(guesser)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    assert_eq!(
        sign_in(&app, ADMIN_TOKEN, Some(guesser)).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser is locked out, also with the right token"
    );
    // The same guesser with another forged left part is still the same client.
    assert_eq!(
        sign_in(&app, ADMIN_TOKEN, Some("7.7.7.7, 198.51.100.1")).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client through the same proxies, and the proxy itself, are not.
    assert_eq!(
        sign_in(&app, ADMIN_TOKEN, Some("198.51.100.2, 10.1.2.3")).await,
        StatusCode::OK
    );
    assert_eq!(sign_in(&app, ADMIN_TOKEN, None).await, StatusCode::OK);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_17_an_untrusted_peers_forwarded_headers_are_ignored() {
    let _serial = crate::SERIAL.lock().await;
    // 127.0.0.1 (this test) is not among the trusted proxies; and none are by default.
    for server_extra in ["trusted_proxies = [\"10.0.0.0/8\"]\n", ""] {
        let app = spawn_app_cfg(cfg(server_extra, ADMIN)).await;
        for i in 0..10 {
            // a new address claimed each time, in both headers
            let claimed = format!("198.51.100.{i}");
            let status = app
                .http
                .get(app.url("/api/stats"))
                .bearer_auth("wrong-token")
                .header("X-Forwarded-For", &claimed)
                .header("Forwarded", format!("for={claimed}"))
                .send()
                .await
                .expect("an answer")
                .status();
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{server_extra:?} attempt {i}"
            );
        }
        assert_eq!(
            sign_in(&app, ADMIN_TOKEN, Some("198.51.100.99")).await,
            StatusCode::TOO_MANY_REQUESTS,
            "{server_extra:?}: counted as the peer, whatever it claims"
        );
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_18_a_valid_token_does_not_reset_anothers_failures() {
    let _serial = crate::SERIAL.lock().await;
    let app = spawn_app_cfg(cfg(
        "",
        "token = \"test-admin-token\"\nservice_tokens = [\"a-service-token-of-16+\"]",
    ))
    .await;
    // Nine guesses, then a valid service call, over and over: 45 guesses did it before.
    let mut locked_after = None;
    'rounds: for round in 0..5 {
        for i in 0..9 {
            match sign_in(&app, "guess", None).await {
                StatusCode::UNAUTHORIZED => {}
                StatusCode::TOO_MANY_REQUESTS => {
                    locked_after = Some(round * 9 + i);
                    break 'rounds;
                }
                other => panic!("guess {i} of round {round}: {other}"),
            }
        }
        let service = app
            .http
            .get(app.url("/api/access_token"))
            .bearer_auth("a-service-token-of-16+")
            .send()
            .await
            .expect("an answer")
            .status();
        assert_ne!(service, StatusCode::UNAUTHORIZED, "round {round}");
    }
    assert_eq!(
        locked_after,
        Some(10),
        "the 11th guess within a minute is refused, whatever succeeded between"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_17_the_log_names_the_forwarded_client() {
    let _serial = crate::SERIAL.lock().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("wxgate.toml");
    let text = cfg("trusted_proxies = [\"127.0.0.1\"]\n", ADMIN).toml(
        &dir.path().join("wx.db"),
        &format!("127.0.0.1:{}", free_port()),
    );
    std::fs::write(&config, text).expect("config");
    let log_path = dir.path().join("stderr.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&config)
        .env_remove("WXGATE_LISTEN")
        .env_remove("WXGATE_ADMIN_TOKEN")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn wxgate");
    // Read stdout to its end (so no print of the gateway's fails), handing on the push URL.
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("wxgate: push URL ") {
                let _ = tx.send(url.to_owned());
            }
        }
    });
    let url = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
        .await
        .expect("stdout")
        .expect("the push URL line");
    let base = url
        .split_whitespace()
        .next()
        .and_then(|url| url.strip_suffix("/wechat"))
        .unwrap_or_else(|| panic!("not the push URL: {url}"))
        .to_owned();
    let http = reqwest::Client::new();
    for _ in 0..10 {
        let status = http
            .get(format!("{base}/api/stats"))
            .bearer_auth("wrong-token-xyz")
            .header("X-Forwarded-For", "198.51.100.77")
            .send()
            .await
            .expect("an answer")
            .status();
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = tokio::task::spawn_blocking(move || child.wait()).await;
    let log = std::fs::read_to_string(&log_path).expect("log");
    let line = log
        .lines()
        .find(|l| l.contains("failed sign-ins"))
        .unwrap_or_else(|| panic!("no line about the failed sign-ins: {log}"));
    assert!(line.contains("client=198.51.100.77"), "{line}");
    assert!(
        !log.contains("wrong-token-xyz"),
        "a presented token was logged: {log}"
    );
}
