//! Issue 13 item 5: CLI papercuts through the real binary — simulate's options anywhere and
//! its AES key from the config, config errors in plain words on one line, an unknown reply
//! placeholder refused, and a SIGHUP naming what it could not apply.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::*;

/// The real binary with `args`, no `WXGATE_*` from the environment, run off the runtime.
async fn wxgate(cwd: &Path, args: Vec<String>) -> Output {
    let mut command = Command::new(BIN);
    command.current_dir(cwd).args(args);
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

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn stderr_of(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_simulate_options_work_after_the_kind() {
    let app = spawn_app(
        "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"got {content}\" }\n",
    )
    .await;
    let target = app.url("/wechat");
    for list in [
        vec!["simulate", "--target", &target, "text", "--content", "hi"],
        vec!["simulate", "text", "--content", "hi", "--target", &target],
        vec![
            "simulate",
            "text",
            "--target",
            &target,
            "--from",
            "oAfter",
            "--content",
            "hi",
        ],
    ] {
        let out = wxgate(app.dir.path(), args(&list)).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{list:?}: {}", stderr_of(&out));
        assert_eq!(reply_fields(stdout.trim())["Content"], "got hi", "{list:?}");
    }
    let after = app.events_of("oAfter").await;
    assert_eq!(after.len(), 1, "--from after the kind was used");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_simulate_encrypt_with_appid_takes_the_key_from_the_config() {
    let app = spawn_app_cfg(Cfg {
        security: "safe",
        extra:
            "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"sealed {content}\" }\n"
                .into(),
        ..Cfg::default()
    })
    .await;
    // The simulator's own config has the key but another appid (or none): --appid picks it.
    let sim = tempfile::tempdir().expect("tempdir");
    let config = sim.path().join("sim.toml");
    std::fs::write(
        &config,
        format!("[account]\nappid = \"wxsomethingelse0000\"\nencoding_aes_key = \"{AES_KEY}\"\n"),
    )
    .expect("write config");
    let target = app.url("/wechat");
    let list = [
        "-c",
        config.to_str().expect("path"),
        "simulate",
        "text",
        "--content",
        "hi",
        "--encrypt",
        "--appid",
        APPID,
        "--target",
        &target,
    ];
    let out = wxgate(sim.path(), args(&list)).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(reply_fields(stdout.trim())["Content"], "sealed hi");

    // Without any key, the message names the argument and exits 2.
    std::fs::write(&config, "[account]\nappid = \"wx1\"\n").expect("write config");
    let out = wxgate(sim.path(), args(&list)).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--aes-key"), "{}", stderr_of(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_config_errors_are_one_plain_line_naming_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&str, &str, &str); 7] = [
        (
            "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"a\", image = \"b\" }\n",
            "rules[0].reply",
            "exactly one of text, image",
        ),
        (
            "[server]\nreply_deadline_ms = \"4000\"\n",
            "server.reply_deadline_ms",
            "whole number",
        ),
        (
            "[account]\nmax_clock_skew_s = -1\n",
            "account.max_clock_skew_s",
            "whole number",
        ),
        // Issue 17: a syntax error names the file too.
        (
            "[server\nlisten = 1\n",
            "{file}: line 1",
            "invalid table header",
        ),
        (
            "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"Hi {nickname}\" }\n",
            "rules[0].reply.text",
            "unknown placeholder {nickname}",
        ),
        (
            "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"ok\" }\n\
             [[rules]]\nwhen = { event = \"subscribe\" }\nreply = { text = \"Welcome {secne}\" }\n",
            "rules[1].reply.text",
            "{secne}",
        ),
        (
            "[[webhooks]]\nname = \"h\"\nurl = \"http://127.0.0.1:9/\"\nsecret = \"whsec_!!\"\n",
            "webhooks[0].secret",
            "base64",
        ),
    ];
    for (text, key, words) in cases {
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, text).expect("write config");
        let list = [
            "-c",
            config.to_str().expect("path"),
            "simulate",
            "text",
            "--content",
            "x",
            "--target",
            "http://127.0.0.1:9/wechat",
        ];
        let out = wxgate(dir.path(), args(&list)).await;
        let stderr = stderr_of(&out);
        let key = key.replace("{file}", &config.display().to_string());
        assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.starts_with(&format!("wxgate: config: {key}: ")),
            "{text}: {stderr}"
        );
        assert!(stderr.contains(words), "{text}: {stderr}");
        for serde_words in ["wanted exactly", "expected u64", "invalid type", "element"] {
            assert!(!stderr.contains(serde_words), "{text}: {stderr}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_sighup_warns_what_it_did_not_apply() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path(), &Cfg::default());
    let log = dir.path().join("stderr.log");
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&config)
        .env("RUST_LOG", "info")
        .env_remove("WXGATE_LISTEN")
        .env_remove("WXGATE_DATABASE_URL")
        .env_remove("WXGATE_TOKEN")
        .env_remove("WXGATE_ADMIN_TOKEN")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("spawn wxgate");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let started = rx
        .recv_timeout(Duration::from_secs(60))
        .is_ok_and(|l| l.contains("push URL"));
    let pid = child.id().to_string();
    let finish = |mut child: std::process::Child| {
        let _ = child.kill();
        let _ = child.wait();
    };
    if !started {
        finish(child);
        panic!("serve did not start");
    }
    let text = std::fs::read_to_string(&config).expect("config");
    let moved = text
        .replace("listen = \"127.0.0.1:", "listen = \"127.0.0.2:")
        .replace(&format!("token = \"{TOKEN}\""), "token = \"anothertoken\"");
    assert_ne!(moved, text);
    std::fs::write(&config, moved).expect("rewrite config");
    let sent = Command::new("kill").args(["-HUP", &pid]).status();
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut seen = String::new();
    while Instant::now() < deadline {
        seen = std::fs::read_to_string(&log).unwrap_or_default();
        if seen.contains("not applied") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    finish(child);
    assert!(sent.is_ok_and(|s| s.success()), "kill -HUP");
    let line = seen
        .lines()
        .find(|l| l.contains("not applied"))
        .unwrap_or_else(|| panic!("no warning after SIGHUP: {seen}"));
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("server.listen"), "{line}");
    // The account's token is applied by the reload (the next push uses it): not named here,
    // and never shown anywhere.
    assert!(!line.contains("account.token"), "{line}");
    assert!(
        !seen.contains("anothertoken"),
        "secrets stay out of logs: {seen}"
    );
}
