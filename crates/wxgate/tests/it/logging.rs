//! `[log] format` (contract section 2): the real binary's stderr is one JSON object a line with
//! `format = "json"`, and carries no ANSI colour codes when stderr is not a terminal.
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::*;

/// Run `wxgate serve -c config` with stderr piped until it has logged `listening`, then kill
/// it and return what it wrote to stderr. (Killed rather than sent SIGTERM: this test is
/// about the log's form, not about shutdown, which `cli.rs` covers.)
fn serve_stderr(config: &Path) -> String {
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(config)
        .env("RUST_LOG", "info")
        .env_remove("WXGATE_LISTEN")
        .env_remove("WXGATE_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn wxgate");
    let stderr = child.stderr.take().expect("stderr");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !lines.iter().any(|l: &String| l.contains("listening")) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("wxgate serve logged no `listening` line: {lines:?}");
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    // the reader ends at EOF, once the process is gone
    lines.extend(rx.iter());
    lines.join("\n")
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
