//! Issue 13 items 3 and 7: the example receivers in `examples/webhooks/` run against real
//! deliveries — a call answered with a reply, a notify recorded once, a forged, stale or
//! duplicate delivery refused or skipped — and each case asserts which verifier the receiver
//! ran (it says so on its first line). Python runs `-S` (no site-packages: the standard-library
//! verifier) and on the venv `.ci/webhook-examples` makes (the `standardwebhooks` package from
//! PyPI); Node runs in place (the `standardwebhooks` package from npm, `npm ci` there) and as a
//! copy outside the project (no package: `node:crypto`). A missing interpreter or package fails
//! its case, naming `.ci/setup` (which installs them).
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::harness::*;
use crate::tools;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/webhooks")
}

/// A receiver process, killed on drop.
struct Example {
    child: Child,
    port: u16,
    how: String,
}

impl Drop for Example {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `program args` with a free port; a program that is not installed fails the test.
fn start_example(program: &str, args: &[&str], log: &Path) -> Example {
    let spawned = Command::new(program)
        .args(args)
        .current_dir(std::env::temp_dir())
        .env_remove("PYTHONPATH")
        .env_remove("NODE_PATH")
        .env("WXGATE_WEBHOOK_SECRET", SECRET)
        .env("PORT", "0")
        .env("EVENTS_LOG", log)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => tools::missing(&format!("{program} ({e})")),
    };
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_default();
    let port = line
        .strip_prefix("listening on http://127.0.0.1:")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|p| p.parse().ok());
    let Some(port) = port else {
        let _ = child.kill();
        panic!("{program} {args:?} did not start: {line:?}");
    };
    let how = line
        .split("verifying with ")
        .nth(1)
        .unwrap_or("")
        .trim_end_matches([')', '\n']);
    Example {
        port,
        how: how.to_string(),
        child,
    }
}

/// Standard Webhooks headers for `body` as wxgate signs it, at `ts`.
fn signed(id: &str, ts: i64, body: &[u8], secret: &str) -> Vec<(&'static str, String)> {
    let key = STANDARD.decode(&secret["whsec_".len()..]).expect("base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(body);
    vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", ts.to_string()),
        (
            "webhook-signature",
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())),
        ),
        ("x-wxgate-event-id", id.to_string()),
        ("content-type", "application/json".to_string()),
    ]
}

/// A signed push straight to the gateway; its answer body.
async fn push_answer(gate: &Gate, xml: &str) -> String {
    let ts = now().to_string();
    let nonce = fresh("n");
    let sig = wechat_proto::signature(TOKEN, &ts, &nonce);
    let resp = reqwest::Client::new()
        .post(format!(
            "http://{}/wechat?signature={sig}&timestamp={ts}&nonce={nonce}",
            gate.addr
        ))
        .body(xml.to_string())
        .send()
        .await
        .expect("push");
    assert_eq!(resp.status(), 200);
    resp.text().await.expect("body")
}

fn logged(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

async fn exercise(example: &Example, log: &Path) {
    let base = format!("http://127.0.0.1:{}", example.port);
    let extra = format!(
        "[[rules]]\nwhen = {{ msg_type = \"text\" }}\ncall = \"bot\"\n\n\
         [[webhooks]]\nname = \"bot\"\nurl = \"{base}/call\"\nmode = \"call\"\nsecret = \"{SECRET}\"\ntimeout_ms = 3000\n\n{}",
        notify_hook("feed", &format!("{base}/notify"), "[\"*\"]", &format!("secret = \"{SECRET}\""))
    );
    let gate = start(&extra).await;
    let openid = fresh("oEx");
    let msg_id = fresh_msg_id();
    let answer = push_answer(&gate, &text_xml(&openid, "hello there", msg_id)).await;
    let reply = wechat_proto::parse_message(answer.as_bytes())
        .unwrap_or_else(|e| panic!("{}: not a reply ({e}): {answer}", example.how));
    assert_eq!(
        reply.fields.text("Content"),
        Some("You said: hello there"),
        "{}",
        example.how
    );

    let id = id_of(msg_id);
    wait_until("the notify delivery in the receiver's log", || {
        let n = logged(log)
            .iter()
            .filter(|l| l["path"] == "/notify")
            .count();
        async move { n == 1 }
    })
    .await;
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;
    let lines = logged(log);
    assert_eq!(lines.len(), 2, "one call, one notify: {lines:?}");
    assert!(lines.iter().all(|l| l["event_id"] == id.as_str()));
    let notified = lines
        .iter()
        .find(|l| l["path"] == "/notify")
        .expect("notify");
    assert_eq!(notified["body"]["openid"], openid.as_str());

    // Direct requests: a duplicate is skipped, a forged or stale one refused.
    let http = reqwest::Client::new();
    let body = serde_json::to_vec(&notified["body"]).expect("JSON");
    let post = |headers: Vec<(&'static str, String)>, body: Vec<u8>| {
        let mut req = http.post(format!("{base}/notify")).body(body);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        async move { req.send().await.expect("POST").status().as_u16() }
    };
    let status = post(signed(&id, now(), &body, SECRET), body.clone()).await;
    assert_eq!(status, 200, "{}: a duplicate is acknowledged", example.how);
    assert_eq!(
        logged(log).len(),
        2,
        "{}: ...and not recorded again",
        example.how
    );
    let forged = "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let status = post(signed("other-1", now(), &body, forged), body.clone()).await;
    assert_eq!(status, 401, "{}: forged", example.how);
    let status = post(signed("other-2", now() - 3600, &body, SECRET), body.clone()).await;
    assert_eq!(status, 401, "{}: replayed an hour later", example.how);
    let mut tampered = body.clone();
    tampered.push(b' ');
    let status = post(signed("other-3", now(), &body, SECRET), tampered).await;
    assert_eq!(status, 401, "{}: tampered body", example.how);
    assert_eq!(
        logged(log).len(),
        2,
        "{}: nothing refused was recorded",
        example.how
    );

    // Issue 18 item 4: a CLICK whose EventKey is `菜单` verifies too (its id is ASCII), and
    // the user's next delivery is not stuck behind it.
    let click = event_xml(&openid, "CLICK", Some("菜单"), now());
    let key = wechat_proto::parse_message(click.as_bytes())
        .expect("parses")
        .dedupe_key();
    push_answer(&gate, &click).await;
    let next = fresh_msg_id();
    push_answer(&gate, &text_xml(&openid, "after the menu", next)).await;
    wait_until("the click and the next push in the receiver's log", || {
        let n = logged(log)
            .iter()
            .filter(|l| l["path"] == "/notify")
            .count();
        async move { n == 3 }
    })
    .await;
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;
    let notified: Vec<Value> = logged(log)
        .into_iter()
        .filter(|l| l["path"] == "/notify")
        .collect();
    assert_eq!(
        notified[1]["event_id"],
        id_of(key.as_str()).as_str(),
        "{}",
        example.how
    );
    assert_eq!(notified[1]["body"]["event_key"], "菜单", "{}", example.how);
    assert_eq!(
        notified[2]["event_id"],
        id_of(next).as_str(),
        "{}",
        example.how
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_python_example_with_the_standard_library() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("events.jsonl");
    let script = examples().join("python/receiver.py");
    let script = script.to_str().expect("path");
    let example = start_example("python3", &["-S", script], &log);
    assert_eq!(example.how, "the standard library");
    exercise(&example, &log).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_python_example_with_the_standardwebhooks_package() {
    // `WXGATE_EXAMPLES_PYTHON`: an interpreter with `standardwebhooks`, else the venv's.
    let python = std::env::var_os("WXGATE_EXAMPLES_PYTHON")
        .map(PathBuf::from)
        .or_else(|| tools::in_target("webhook-examples-venv/bin/python"))
        .unwrap_or_else(|| {
            tools::missing("the Python venv with standardwebhooks (target/webhook-examples-venv)")
        });
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("events.jsonl");
    let script = examples().join("python/receiver.py");
    let python = python.to_str().expect("path");
    let example = start_example(python, &[script.to_str().expect("path")], &log);
    assert_eq!(example.how, "standardwebhooks", "{python}");
    exercise(&example, &log).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_node_example_with_the_standardwebhooks_package() {
    let installed = examples().join("node/node_modules/standardwebhooks/package.json");
    if !installed.is_file() {
        tools::missing("the npm package standardwebhooks (npm ci in examples/webhooks/node)");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("events.jsonl");
    let script = examples().join("node/receiver.mjs");
    let example = start_example("node", &[script.to_str().expect("path")], &log);
    assert_eq!(example.how, "standardwebhooks");
    exercise(&example, &log).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_node_example_with_node_crypto() {
    // A copy outside the project: no node_modules on its way up, so the fallback runs.
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("events.jsonl");
    let script = dir.path().join("receiver.mjs");
    std::fs::copy(examples().join("node/receiver.mjs"), &script).expect("copy the receiver");
    let example = start_example("node", &[script.to_str().expect("path")], &log);
    assert_eq!(example.how, "node:crypto");
    exercise(&example, &log).await;
}
