//! Issue 17: a newcomer's first hour — the README's first command has one binary to run,
//! `serve` says what to do next, a plain push refused by a safe account says how to send it,
//! and a webhook without a secret is named at start.
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use crate::helpers::*;

/// The real binary with `args` in `cwd`, without `WXGATE_*` from the environment.
fn wxgate(cwd: &Path) -> Command {
    let mut command = Command::new(BIN);
    command.current_dir(cwd);
    for (key, _) in std::env::vars() {
        if key.starts_with("WXGATE_") {
            command.env_remove(key);
        }
    }
    command
}

async fn output(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("blocking task")
        .expect("run wxgate")
}

/// `serve -c config` until it has printed its `try` line (bounded): the child and the lines.
fn start_up(config: &Path) -> (Child, Vec<String>) {
    let mut child = wxgate(config.parent().expect("folder"))
        .args(["serve", "-c"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wxgate");
    let rx = crate::process::lines(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        let last = line.starts_with("wxgate: try");
        lines.push(line);
        if last {
            return (child, lines);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("no `try` line within 60 s: {lines:?}");
}

/// SIGTERM, then what it wrote to stderr.
fn stop(child: Child) -> String {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().expect("wait");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Item 1: `cargo run` at the top needs one binary among the default members; the example
/// receiver stays a member, so `--workspace` still builds, tests and lints it.
#[test]
fn issue_17_cargo_run_at_the_top_has_one_binary_to_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml"))
            .expect("TOML");
    let list = |key: &str| -> Vec<String> {
        manifest["workspace"]
            .get(key)
            .and_then(toml::Value::as_array)
            .unwrap_or_else(|| panic!("workspace.{key} is missing"))
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    };
    let (members, defaults) = (list("members"), list("default-members"));
    assert!(members.contains(&"examples/webhooks/rust".to_string()));
    assert!(!defaults.contains(&"examples/webhooks/rust".to_string()));
    let binaries: Vec<&String> = defaults
        .iter()
        .filter(|member| {
            let dir = root.join(member);
            let text = std::fs::read_to_string(dir.join("Cargo.toml")).expect("member manifest");
            text.contains("[[bin]]")
                || dir.join("src/main.rs").is_file()
                || dir.join("src/bin").is_dir()
        })
        .collect();
    assert_eq!(binaries, ["crates/wxgate"], "one binary for `cargo run`");
    for member in &defaults {
        assert!(members.contains(member), "{member} is a member");
    }
}

/// Item 5: the push URL, where the dashboard and the API are (or how to turn them on), and a
/// `simulate` line that works as printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_17_serve_says_where_the_dashboard_is_and_what_to_try() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &Cfg::extra(
            "[[rules]]\nwhen = { event = \"subscribe\" }\nreply = { text = \"Hi from the tip\" }\n",
        ),
    );
    let (child, lines) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || start_up(&config)
    })
    .await
    .expect("start");
    let addr = lines[0]
        .strip_prefix("wxgate: push URL http://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{lines:?}"))
        .to_string();
    assert_eq!(
        lines[1],
        format!(
            "wxgate: dashboard http://{addr}/admin, admin API http://{addr}/api \
             (bearer token: [admin] token)"
        )
    );
    let tip = lines[2]
        .split_once(": wxgate ")
        .map(|(_, command)| command)
        .unwrap_or_else(|| panic!("{lines:?}"));
    assert!(tip.contains("simulate subscribe"), "{tip}");
    let out = output({
        let mut command = wxgate(dir.path());
        command.args(tip.split_whitespace());
        command
    })
    .await;
    let stderr = stop(child);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{tip}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Hi from the tip"),
        "{tip}: {stderr}"
    );

    // Without an admin token: off, and how to turn them on.
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &Cfg {
            admin: false,
            ..Cfg::default()
        },
    );
    let (child, lines) = tokio::task::spawn_blocking(move || start_up(&config))
        .await
        .expect("start");
    stop(child);
    assert_eq!(
        lines[1],
        "wxgate: dashboard /admin and admin API /api are off: set [admin] token \
         (or WXGATE_ADMIN_TOKEN) to turn them on"
    );
}

/// Item 5: a plain push to a safe account is refused with 400; the answer and `simulate`
/// say to send it with `--encrypt`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_17_a_plain_push_refused_by_a_safe_account_suggests_encrypt() {
    let app = spawn_app_cfg(Cfg {
        security: "safe",
        ..Cfg::default()
    })
    .await;
    let answer = app
        .post(
            &app.plain_query(&now().to_string(), &fresh_nonce()),
            text_xml("oPlain", "hi", fresh_msg_id()),
        )
        .await;
    assert_eq!(answer.status, 400);
    assert!(answer.text().contains("--encrypt"), "{}", answer.text());

    let target = app.url("/wechat");
    let out = output({
        let mut command = wxgate(app.dir.path());
        command.args([
            "simulate",
            "--target",
            &target,
            "--token",
            TOKEN,
            "subscribe",
        ]);
        command
    })
    .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("HTTP 400"), "{stderr}");
    assert!(stderr.contains("(try again with --encrypt)"), "{stderr}");
}

/// Item 6: a webhook without a secret is named at start, saying its deliveries are unsigned.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_17_a_webhook_without_a_secret_warns_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(
        dir.path(),
        &Cfg::extra(
            "[[webhooks]]\nname = \"signed\"\nurl = \"http://127.0.0.1:9/a\"\nmode = \"notify\"\n\
             secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"\n\
             [[webhooks]]\nname = \"feed\"\nurl = \"http://127.0.0.1:9/b\"\nmode = \"notify\"\n",
        ),
    );
    let (child, _) = tokio::task::spawn_blocking(move || start_up(&config))
        .await
        .expect("start");
    let stderr = stop(child);
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("has no secret"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(warnings[0].contains("WARN"), "{stderr}");
    assert!(warnings[0].contains("webhooks[1]"), "{stderr}");
    assert!(warnings[0].contains("unsigned"), "{stderr}");
}

/// Item 6: the README's tours create the config private (it holds tokens and secrets), so
/// `serve` has no reason to warn that others can read it.
#[test]
fn issue_17_the_tours_create_the_config_private() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("README.md");
    let writes: Vec<&str> = readme
        .lines()
        .filter(|l| l.contains("> wxgate.toml"))
        .collect();
    assert!(writes.len() >= 2, "the tours write a config: {writes:?}");
    for line in writes {
        assert!(
            line.trim_start()
                .starts_with("(umask 077; cat > wxgate.toml)"),
            "{line}"
        );
    }
}
