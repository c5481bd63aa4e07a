//! The real binary: SIGTERM while clients hold partial requests, and `serve` binding its
//! port before it touches the database.
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;

use crate::helpers::*;
use crate::raw::open;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_9_sigterm_exits_within_shutdown_timeout_whatever_slow_clients_do() {
    let _serial = crate::SERIAL.lock().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = Cfg {
        // Neither timeout would end these clients before the shutdown timeout does.
        server_extra:
            "header_timeout_ms = 60000\nreply_deadline_ms = 5000\nshutdown_timeout_s = 2\n".into(),
        extra: "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"ok\" }\n".into(),
        ..Cfg::default()
    };
    let config = write_config(dir.path(), &cfg);
    let mut proc = Proc::start(&config);
    // One client stuck in its headers, one in its body, one idle.
    let mut headers = open(proc.addr, "POST /wechat HTTP/1.1\r\nHost: x\r\n").await;
    let ts = now().to_string();
    let nonce = fresh_nonce();
    let head = format!(
        "POST /wechat?signature={}&timestamp={ts}&nonce={nonce} HTTP/1.1\r\nHost: x\r\n\
         Content-Length: 5000\r\n\r\n<xml>",
        wechat_proto::signature(TOKEN, &ts, &nonce)
    );
    let mut body = open(proc.addr, &head).await;
    let _idle = open(proc.addr, "").await;
    // The server accepts in order: once a later connection is answered, these three are in.
    let fresh = reqwest::Client::new();
    let healthz = format!("http://{}/healthz", proc.addr);
    crate::spawn::poll_until(
        "/healthz answers beside the stuck clients",
        Duration::from_secs(10),
        || {
            let request = fresh.get(&healthz).timeout(Duration::from_secs(1)).send();
            async move {
                request
                    .await
                    .ok()
                    .filter(|r| r.status().is_success())
                    .map(|_| ())
            }
        },
    )
    .await;
    let _ = headers.write_all(b"X").await;
    let _ = body.write_all(b"<").await;
    let started = Instant::now();
    proc.signal("-TERM");
    let status = proc.wait_exit(Duration::from_secs(10)).await;
    let took = started.elapsed();
    assert_eq!(status.code(), Some(0), "SIGTERM must exit 0 ({status:?})");
    assert!(
        took < Duration::from_millis(3000),
        "exited {took:?} after SIGTERM with shutdown_timeout_s = 2"
    );
}

/// `wxgate serve -c config` until it exits (bounded): (exit code, stderr).
fn serve_until_exit(config: &std::path::Path) -> (Option<i32>, String) {
    let mut child = crate::process::serve_command(config)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wxgate");
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("wxgate serve did not exit");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn issue_13_a_taken_port_stops_serve_before_it_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let db = dir.path().join("wx.db");
    let config = dir.path().join("wxgate.toml");
    std::fs::write(&config, Cfg::default().toml(&db, &listen)).unwrap();
    let (code, stderr) = serve_until_exit(&config);
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("cannot listen"), "{stderr}");
    // Issue 17: the message says which setting to change.
    assert!(
        stderr.contains("[server] listen") && stderr.contains("WXGATE_LISTEN"),
        "{stderr}"
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        vec!["wxgate.toml".to_string()],
        "no database file may be created"
    );
}

#[test]
fn issue_9_the_public_dev_token_is_refused_on_a_non_loopback_address() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wxgate.toml");
    let listen = format!("0.0.0.0:{}", free_port());
    std::fs::write(
        &config,
        Cfg::default().toml(&dir.path().join("wx.db"), &listen),
    )
    .unwrap();
    let (code, stderr) = serve_until_exit(&config);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("account.token"), "{stderr}");
    assert!(!dir.path().join("wx.db").exists());
}

#[test]
fn issue_9_an_admin_token_with_surrounding_whitespace_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wxgate.toml");
    let text = Cfg {
        admin: false,
        extra: "[admin]\ntoken = \"a-long-enough-admin-token \"\n".into(),
        ..Cfg::default()
    }
    .toml(
        &dir.path().join("wx.db"),
        &format!("127.0.0.1:{}", free_port()),
    );
    std::fs::write(&config, text).unwrap();
    let (code, stderr) = serve_until_exit(&config);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("admin.token"), "{stderr}");
}

/// Start `serve` until it prints its push URL, then stop it: what it logged.
fn startup_log(config: &std::path::Path) -> String {
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(config)
        .env_remove("WXGATE_LISTEN")
        .env_remove("WXGATE_DATABASE_URL")
        .env_remove("WXGATE_TOKEN")
        .env_remove("WXGATE_ADMIN_TOKEN")
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wxgate");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stdout));
    let started = lines.next().and_then(Result::ok).unwrap_or_default();
    assert!(started.contains("push URL"), "{started}");
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("output");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[cfg(unix)]
#[test]
fn issue_9_start_up_warnings_name_the_problem_never_the_secret() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wxgate.toml");
    let text = Cfg {
        admin: false,
        extra: "[admin]\ntoken = \"short-secret\"\n".into(),
        ..Cfg::default()
    }
    .toml(
        &dir.path().join("wx.db"),
        &format!("127.0.0.1:{}", free_port()),
    );
    std::fs::write(&config, text).unwrap();
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o644)).unwrap();
    let log = startup_log(&config);
    assert!(log.contains("readable by group or others"), "{log}");
    assert!(log.contains(&config.display().to_string()), "{log}");
    assert!(log.contains("admin.token is shorter than 16"), "{log}");
    assert!(log.contains("public default"), "{log}");
    assert!(
        !log.contains("short-secret"),
        "a secret reached the log: {log}"
    );

    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    let log = startup_log(&config);
    assert!(!log.contains("readable by group or others"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_9_a_push_in_flight_at_shutdown_is_answered_and_kept() {
    let _serial = crate::SERIAL.lock().await;
    let hook = spawn_hook(Duration::from_millis(800), "slow").await;
    let app = spawn_app(&call_rule(&hook.url, 3000)).await;
    let openid = fresh_openid("inflight");
    let q = app.plain_query(&now().to_string(), &fresh_nonce());
    let pending = app.post_in_background(q, text_xml(&openid, "hi", fresh_msg_id()));
    hook.started.notified().await;
    // Shut down (and start again on the same database) while the push waits for its webhook.
    let app = app.restart().await;
    let (status, body) = pending.await.expect("push task");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert!(
        String::from_utf8_lossy(&body).contains("slow #1"),
        "{}",
        String::from_utf8_lossy(&body)
    );
    assert_eq!(
        app.events_of(&openid).await.len(),
        1,
        "the answered push is kept"
    );
}
