//! The real binary as a child process (`#[path]`-included by the test binaries that start
//! it): `wxgate serve -c FILE`, its address read from the push URL line it prints once it
//! listens, signalled by the test, killed on drop if still running.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The `wxgate` binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_wxgate");

/// How a push URL line starts; the address it listens on follows.
const PUSH_URL: &str = "wxgate: push URL http://";

/// `wxgate serve -c config`, without this environment's `WXGATE_*` overrides of the listen
/// address, the database and the tokens (the config file alone decides them).
pub fn serve_command(config: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["serve", "-c"])
        .arg(config)
        .env_remove("WXGATE_LISTEN")
        .env_remove("WXGATE_DATABASE_URL")
        .env_remove("WXGATE_TOKEN")
        .env_remove("WXGATE_ADMIN_TOKEN");
    command
}

/// The lines a child prints on `stdout`, as they come (a thread of its own reads them; it
/// stops when the pipe closes or the receiver is dropped).
pub fn lines(stdout: ChildStdout) -> Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// `wxgate serve -c FILE`, listening.
pub struct Proc {
    pub child: Child,
    /// where it listens, as its first push URL line names it (so a config may listen on port 0)
    pub addr: SocketAddr,
    /// that line
    pub url_line: String,
    http: reqwest::Client,
}

impl Proc {
    /// Starts `wxgate serve -c config` (without the `WXGATE_*` overrides of this environment)
    /// and waits, 60 s at most, for its first push URL line on stdout. Its stderr is dropped.
    pub fn start(config: &Path) -> Proc {
        let mut child = serve_command(config)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn wxgate");
        let rx = lines(child.stdout.take().expect("stdout"));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.starts_with(PUSH_URL) => {
                    let addr = line[PUSH_URL.len()..]
                        .split('/')
                        .next()
                        .and_then(|a| a.parse().ok())
                        .unwrap_or_else(|| panic!("no listen address in {line:?}"));
                    return Proc {
                        child,
                        addr,
                        url_line: line,
                        http: reqwest::Client::new(),
                    };
                }
                Ok(_) => continue,
                Err(_) => {
                    let _ = child.kill();
                    let status = child.wait();
                    panic!(
                        "wxgate serve did not print its push URL within 60 s (exit: {status:?})"
                    );
                }
            }
        }
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// An admin API call with `token`: see [`crate::spawn::api_call`].
    pub async fn api(
        &self,
        token: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        crate::spawn::api_call(&self.http, token, method, &self.url(path), body).await
    }

    /// Sends `sig` (`-TERM`, `-HUP`, `-KILL`) with `kill`.
    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill {sig} failed");
    }

    /// Waits for the process to exit, `within` at most (then kills it and fails the test).
    pub async fn wait_exit(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("wxgate did not exit within {within:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
