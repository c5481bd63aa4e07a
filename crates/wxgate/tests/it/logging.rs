//! `[log] format` (contract section 2): the real binary's stderr is one JSON object a line with
//! `format = "json"`, and carries no ANSI colour codes when stderr is not a terminal.
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::*;

/// Run `wxgate serve -c config` with stderr piped until it listens, stop it with SIGTERM and
/// return what it wrote to stderr.
fn serve_stderr(config: &Path) -> String {
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(config)
        .env("RUST_LOG", "info")
        .env_remove("WXGATE_LISTEN")
        .env_remove("WXGATE_DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wxgate");
    let mut stderr = child.stderr.take().expect("stderr");
    let collector = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let stdout = child.stdout.take().expect("stdout");
    let mut listening = false;
    for line in BufReader::new(stdout).lines().map_while(Result::ok) {
        if line.starts_with("wxgate: push URL http://") {
            listening = true;
            break;
        }
    }
    assert!(listening, "wxgate serve did not print its push URL");
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill -TERM failed");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while child.try_wait().expect("try_wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("wxgate did not exit after SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    collector.join().expect("stderr reader")
}

#[test]
fn json_format_writes_one_json_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Cfg::extra("[log]\nformat = \"json\"\n"));
    let stderr = serve_stderr(&config);
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.iter().any(|l| l.contains("listening")),
        "no `listening` line: {stderr}"
    );
    for line in lines {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(value["level"].is_string(), "no level: {line}");
        assert!(value["fields"].is_object(), "no fields: {line}");
    }
}

#[test]
fn text_format_has_no_colours_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Cfg::extra("[log]\nformat = \"text\"\n"));
    let stderr = serve_stderr(&config);
    assert!(
        stderr.contains("listening"),
        "no `listening` line: {stderr}"
    );
    assert!(
        !stderr.contains("\x1b["),
        "ANSI escapes in piped stderr: {stderr:?}"
    );
}

#[test]
fn an_unknown_log_format_exits_2_naming_log_format() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Cfg::extra("[log]\nformat = \"xml\"\n"));
    let out = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&config)
        .env_remove("WXGATE_LISTEN")
        .env_remove("WXGATE_DATABASE_URL")
        .output()
        .expect("run wxgate");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("log.format"), "{stderr}");
}
