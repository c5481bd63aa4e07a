//! The `Dockerfile` (item 7). No container daemon runs where these tests run (`docker info`
//! cannot connect), so the image is not built here; instead its instructions are read and
//! checked — two stages, the release build `--locked`, a small Debian runtime, a user that is
//! not root, port 8080, the volume `/data` — and the binary is started with the image's own
//! environment (its `/data` a temp folder) to show those defaults serve.
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::gateway::free_port;
use crate::tools;

/// The Dockerfile's instructions: (keyword in upper case, arguments), continuation lines
/// joined and comments left out.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                let (keyword, args) = current.split_once(' ').unwrap_or((&current, ""));
                out.push((keyword.to_ascii_uppercase(), args.trim().to_string()));
                current.clear();
            }
        }
    }
    out
}

/// `KEY=VALUE` pairs of the ENV instructions of `stage`.
fn env_of(stage: &[(String, String)]) -> Vec<(String, String)> {
    stage
        .iter()
        .filter(|(k, _)| k == "ENV")
        .flat_map(|(_, args)| {
            args.split_whitespace()
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
                .collect::<Vec<_>>()
        })
        .collect()
}

fn dockerfile() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(tools::workspace().join("Dockerfile")).expect("Dockerfile");
    instructions(&text)
}

/// The instructions of the last stage (from its FROM on).
fn runtime_stage(all: &[(String, String)]) -> Vec<(String, String)> {
    let last = all.iter().rposition(|(k, _)| k == "FROM").expect("a FROM");
    all[last..].to_vec()
}

#[test]
fn issue_17_the_dockerfile_builds_in_one_stage_and_runs_small_unprivileged_on_a_volume() {
    let all = dockerfile();
    let froms: Vec<&str> = all
        .iter()
        .filter(|(k, _)| k == "FROM")
        .map(|(_, a)| a.as_str())
        .collect();
    assert_eq!(
        froms.len(),
        2,
        "a build stage and a runtime stage: {froms:?}"
    );
    assert!(
        froms[0].starts_with("rust:") && froms[0].ends_with(" AS build"),
        "{froms:?}"
    );
    assert!(
        froms[1].starts_with("debian:") && froms[1].ends_with("-slim")
            || froms[1].starts_with("gcr.io/distroless/cc"),
        "a small runtime image: {froms:?}"
    );
    let build = all
        .iter()
        .find(|(k, a)| k == "RUN" && a.contains("cargo build"))
        .map(|(_, a)| a.as_str())
        .expect("a cargo build");
    assert!(
        build.contains("--release") && build.contains("--locked"),
        "{build}"
    );

    let runtime = runtime_stage(&all);
    let has = |keyword: &str, args: &str| runtime.iter().any(|(k, a)| k == keyword && a == args);
    assert!(
        runtime
            .iter()
            .any(|(k, a)| k == "COPY" && a.starts_with("--from=build ")),
        "the binary comes from the build stage: {runtime:?}"
    );
    let user = runtime
        .iter()
        .rev()
        .find(|(k, _)| k == "USER")
        .map(|(_, a)| a.as_str())
        .expect("a USER");
    assert!(!matches!(user, "root" | "0" | "0:0"), "not root: {user}");
    assert!(has("EXPOSE", "8080"), "{runtime:?}");
    assert!(
        has("VOLUME", "[\"/data\"]") || has("VOLUME", "/data"),
        "{runtime:?}"
    );
    assert!(has("WORKDIR", "/data"), "a wxgate.toml in /data is read");
    let env = env_of(&runtime);
    let value = |key: &str| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    assert_eq!(value("WXGATE_LISTEN"), Some("0.0.0.0:8080"));
    assert_eq!(
        value("WXGATE_DATABASE_URL"),
        Some("sqlite:///data/wxgate.db")
    );
    assert!(
        has("ENTRYPOINT", "[\"/usr/local/bin/wxgate\"]"),
        "{runtime:?}"
    );
    assert!(has("CMD", "[\"serve\"]"), "{runtime:?}");

    let ignored =
        std::fs::read_to_string(tools::workspace().join(".dockerignore")).expect(".dockerignore");
    let ignored: Vec<&str> = ignored.lines().map(str::trim).collect();
    for entry in ["target/", ".git/", "*.db", "wxgate.toml"] {
        assert!(ignored.contains(&entry), ".dockerignore leaves out {entry}");
    }
}

/// `wxgate serve` with the image's environment, `/data` being `data`, its port `port`.
fn serve_as_in_the_image(data: &Path, port: u16, token: Option<&str>) -> Command {
    let runtime = runtime_stage(&dockerfile());
    let mut command = Command::new(env!("CARGO_BIN_EXE_wxgate"));
    command.current_dir(data).arg("serve");
    for (key, value) in env_of(&runtime) {
        let value = value
            .replace("/data", &data.display().to_string())
            .replace(":8080", &format!(":{port}"));
        command.env(key, value);
    }
    command
        .env_remove("WXGATE_TOKEN")
        .env_remove("WXGATE_ADMIN_TOKEN");
    if let Some(token) = token {
        command.env("WXGATE_TOKEN", token);
    }
    command.stdin(Stdio::null());
    command
}

#[test]
fn issue_17_the_images_defaults_serve_from_the_volume_once_a_token_is_given() {
    let data = tempfile::tempdir().expect("tempdir");

    // The public default Token on 0.0.0.0 is refused, naming the key.
    let refused = serve_as_in_the_image(data.path(), free_port(), None)
        .output()
        .expect("run wxgate");
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("account.token"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let port = free_port();
    let mut child = serve_as_in_the_image(data.path(), port, Some("YourConsoleToken"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run wxgate");
    let deadline = Instant::now() + Duration::from_secs(30);
    let healthy = loop {
        let answer = std::net::TcpStream::connect(("127.0.0.1", port))
            .ok()
            .and_then(|mut s| {
                use std::io::{Read, Write};
                s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .ok()?;
                let mut text = String::new();
                s.read_to_string(&mut text).ok()?;
                Some(text)
            });
        if let Some(text) = answer {
            break text;
        }
        if Instant::now() > deadline || child.try_wait().ok().flatten().is_some() {
            break String::new();
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().expect("wait");
    assert!(healthy.starts_with("HTTP/1.1 200"), "{healthy:?}");
    assert!(status.success(), "{status}");
    assert!(
        data.path().join("wxgate.db").is_file(),
        "the database is in the volume"
    );
}
