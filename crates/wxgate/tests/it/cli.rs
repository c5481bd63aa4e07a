//! The real binary: a bad config exits 2 naming the key; SIGTERM stops cleanly (exit 0).
use std::process::Command;
use std::time::Duration;

use wechat_proto::signature;

use crate::helpers::*;

/// `wxgate serve` on `config_text`, which must make it exit: its exit code and stderr.
pub fn serve_with(config_text: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wxgate.toml");
    std::fs::write(&path, config_text).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // a valid config would serve forever: bound the wait
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("wxgate serve did not exit on a bad config:\n{config_text}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_configs_exit_2_naming_the_key() {
    let port = free_port();
    let base = |account: &str, extra: &str| {
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\n[account]\nappid = \"{APPID}\"\n{account}\n\
             [storage]\nurl = \"sqlite::memory:\"\n{extra}"
        )
    };
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "AES key not 43 chars",
            base("encoding_aes_key = \"tooshort\"\nsecurity = \"safe\"", ""),
            &["encoding_aes_key"],
        ),
        (
            "AES key not base64",
            base(&format!("encoding_aes_key = \"{}\"", "!".repeat(43)), ""),
            &["encoding_aes_key"],
        ),
        (
            "safe without a key",
            base("security = \"safe\"", ""),
            &["encoding_aes_key", "security"],
        ),
        (
            "unknown security",
            base("security = \"paranoid\"", ""),
            &["security"],
        ),
        (
            "regex that does not compile",
            base(
                "",
                "[[rules]]\nwhen = { content_regex = \"(unclosed\" }\nreply = { text = \"x\" }\n",
            ),
            &["content_regex"],
        ),
        (
            "rule naming an unknown webhook",
            base(
                "",
                "[[rules]]\nwhen = { msg_type = \"text\" }\ncall = \"nobody\"\n",
            ),
            &["call", "nobody"],
        ),
        ("unknown key", base("tokn = \"x\"", ""), &["tokn"]),
        (
            "wrong type",
            base("max_clock_skew_s = \"soon\"", ""),
            &["max_clock_skew_s"],
        ),
        (
            "bad listen address",
            "[server]\nlisten = \"not an address\"\n[storage]\nurl = \"sqlite::memory:\"\n".into(),
            &["listen"],
        ),
    ];
    let mut failures = Vec::new();
    for (what, text, any_of) in cases {
        let (code, stderr) = serve_with(&text);
        if code != 2 {
            failures.push(format!(
                "{what}: exit {code}, expected 2 (stderr: {stderr})"
            ));
            continue;
        }
        if !any_of.iter().any(|k| stderr.contains(k)) {
            failures.push(format!("{what}: stderr does not name {any_of:?}: {stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rules_index_is_named() {
    let text = format!(
        "[server]\nlisten = \"127.0.0.1:{}\"\n[storage]\nurl = \"sqlite::memory:\"\n\
         [[rules]]\nwhen = {{ msg_type = \"text\" }}\nreply = {{ text = \"ok\" }}\n\
         [[rules]]\nwhen = {{ event_key_regex = \"[\" }}\nreply = {{ text = \"x\" }}\n",
        free_port()
    );
    let (code, stderr) = serve_with(&text);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("rules[1]"),
        "the failing rule is rules[1]: {stderr}"
    );
    assert!(stderr.contains("event_key_regex"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_cleanly_and_keeps_what_was_answered() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = Cfg::extra("[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"ok\" }\n");
    let config = write_config(dir.path(), &cfg);
    let mut proc = Proc::start(&config);
    assert!(proc.url_line.contains("/wechat"), "{}", proc.url_line);
    let http = reqwest::Client::new();
    let u = fresh_openid("term");
    let ts = now().to_string();
    let nonce = fresh_nonce();
    let r = http
        .post(format!(
            "http://{}/wechat?signature={}&timestamp={ts}&nonce={nonce}",
            proc.addr,
            signature(TOKEN, &ts, &nonce)
        ))
        .body(text_xml(&u, "before the signal", fresh_msg_id()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    proc.signal("-TERM");
    let status = proc.wait_exit(Duration::from_secs(30)).await;
    assert_eq!(status.code(), Some(0), "SIGTERM must exit 0");

    let proc = Proc::start(&config);
    let r = http
        .get(format!("http://{}/api/events?openid={u}", proc.addr))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["events"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_rules_and_refuses_a_bad_config() {
    let dir = tempfile::tempdir().unwrap();
    let rule = |text: &str| {
        Cfg::extra(&format!(
            "[[rules]]\nwhen = {{ msg_type = \"text\" }}\nreply = {{ text = \"{text}\" }}\n"
        ))
    };
    let config = write_config(dir.path(), &rule("version one"));
    let proc = tokio::task::block_in_place(|| Proc::start(&config));
    let http = reqwest::Client::new();
    let addr = proc.addr;
    let ask = |http: reqwest::Client| async move {
        let ts = now().to_string();
        let nonce = fresh_nonce();
        let r = http
            .post(format!(
                "http://{addr}/wechat?signature={}&timestamp={ts}&nonce={nonce}",
                signature(TOKEN, &ts, &nonce)
            ))
            .body(text_xml(&fresh_openid("hup"), "which", fresh_msg_id()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        reply_fields(&r.text().await.unwrap())["Content"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(ask(http.clone()).await, "version one");

    // same listen address and database, new rule
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("version one", "version two");
    std::fs::write(&config, text).unwrap();
    proc.signal("-HUP");
    let mut got = String::new();
    for _ in 0..200 {
        got = ask(http.clone()).await;
        if got == "version two" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(got, "version two", "SIGHUP did not reload the rules");

    // a config that does not validate is refused; the old rules stay
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("reply = { text = \"version two\" }", "call = \"nobody\"");
    std::fs::write(&config, text).unwrap();
    proc.signal("-HUP");
    // the signal is handled asynchronously: ask a few times, every answer must be the old rule
    for _ in 0..10 {
        assert_eq!(ask(http.clone()).await, "version two");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn simulate_against_a_closed_port_says_connection_refused() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &Cfg::extra(""));
    // The discard port: nothing listens there (a port freed by this test could be taken by
    // a server another test starts meanwhile).
    let target = "http://127.0.0.1:9/wechat".to_string();
    let out = Command::new(BIN)
        .args(["simulate", "-c"])
        .arg(&config)
        .args(["--target", &target, "text", "--content", "hi"])
        .env_remove("WXGATE_TOKEN")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot reach {target}: connection refused")),
        "{stderr}"
    );
}

/// A command line clap refuses: exit 2 and one line naming the argument (contract section 1).
#[test]
fn usage_errors_exit_2_with_one_line_naming_the_argument() {
    let cases: &[(&[&str], &str)] = &[
        (&["qrcode", "create"], "--scene"),
        (&["serve", "--lisen", "x"], "--lisen"),
        (
            &["qrcode", "create", "--scene", "1", "--expire", "abc"],
            "--expire",
        ),
        (&["simulate", "text", "--contnt", "x"], "--contnt"),
        (&["simulate", "bogus"], "bogus"),
    ];
    for (args, named) in cases {
        let out = Command::new(BIN).args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(
            stderr.lines().count(),
            1,
            "{args:?}: one line, got:\n{stderr}"
        );
        assert!(
            stderr.starts_with("wxgate: ") && stderr.contains(named),
            "{args:?} must name {named}: {stderr}"
        );
    }
    let help = Command::new(BIN)
        .args(["qrcode", "--help"])
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0), "--help is no error");
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: wxgate qrcode"));
}

/// `serve` prints one push URL line per account, with its own mode and the rules serving it.
#[test]
fn serve_prints_each_accounts_mode_and_rule_count() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let config = write_config_text(
        dir.path(),
        "[[accounts]]\nname = \"one\"\ntoken = \"tokenone\"\n\
         [[accounts]]\nname = \"two\"\ntoken = \"tokentwo\"\nappid = \"wx2222222222222222\"\n\
         encoding_aes_key = \"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\"\nsecurity = \"safe\"\n\
         [[rules]]\nwhen = { msg_type = \"text\", account = \"one\" }\nreply = { text = \"a\" }\n\
         [[rules]]\nwhen = { msg_type = \"image\", account = \"one\" }\nreply = { text = \"b\" }\n\
         [[rules]]\nwhen = { msg_type = \"voice\" }\nreply = { text = \"c\" }\n",
    );
    let mut child = Command::new(BIN)
        .args(["serve", "-c"])
        .arg(&config)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.starts_with("wxgate: push URL"))
        .take(2)
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].ends_with("/wechat/one (account one, plain mode, 3 rules)"),
        "{lines:?}"
    );
    assert!(
        lines[1].ends_with("/wechat/two (account two, safe mode, 1 rule)"),
        "{lines:?}"
    );
}
