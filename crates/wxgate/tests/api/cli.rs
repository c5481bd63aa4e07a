//! The commands through the real binary: `qrcode create` / `list`, `menu push` / `show` /
//! `delete`, and `mock-api`.
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{
    decode_png, decode_svg, dir, mock, sent_paths, text, write_config, wxgate, APPSECRET,
};

/// `qrcode create` arguments with the limit each breaks, naming the option at fault.
const CLI_LIMITS: &[(&[&str], &str)] = &[
    (
        &["--scene", "0", "--permanent"],
        "--scene: a permanent integer scene must be 1..=100000",
    ),
    (
        &["--scene", "100001", "--permanent"],
        "--scene: a permanent integer scene must be 1..=100000",
    ),
    (
        &["--scene", "4294967296"],
        "--scene: a temporary integer scene must be 1..=4294967295",
    ),
    (
        &["--scene", "a b"],
        "--scene: a string scene must be visible ASCII (! to ~), no spaces",
    ),
    (
        &["--scene", "x", "--expire", "2592001"],
        "--expire: must be 1..=2592000",
    ),
    (
        &["--scene", "x", "--expire", "0"],
        "--expire: must be 1..=2592000",
    ),
    (
        &["--scene", "7", "--permanent", "--expire", "60"],
        "--expire: a permanent code does not expire",
    ),
];

#[tokio::test]
async fn qrcode_limits_exit_2_naming_the_limit_before_any_call() {
    let mock = mock().await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), true);
    let long = "s".repeat(65);
    let mut cases: Vec<(Vec<&str>, String)> = CLI_LIMITS
        .iter()
        .map(|(args, limit)| (args.to_vec(), (*limit).to_owned()))
        .collect();
    cases.push((
        vec!["--scene", &long],
        "--scene: a string scene must be 1..=64 characters, got 65".into(),
    ));
    for (args, limit) in cases {
        let output = wxgate(&config, &[&["qrcode", "create"], args.as_slice()].concat()).await;
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(&limit), "{args:?}: {stderr}");
    }
    assert_eq!(mock.state.requests(), 0, "no call reached the API");
}

#[tokio::test]
async fn qrcode_create_records_prints_and_draws_and_list_shows_it() {
    let mock = mock().await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), true);
    let (svg, png) = (dir.path().join("p.svg"), dir.path().join("p.png"));
    let args = ["qrcode", "create", "--scene", "42", "--label", "poster"];
    let files = [
        "--svg",
        svg.to_str().expect("path"),
        "--png",
        png.to_str().expect("path"),
    ];
    let output = wxgate(&config, &[&args[..], &files[..]].concat()).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let created = &mock.state.sent()[0].body;
    assert_eq!(created["action_name"], "QR_SCENE");
    assert_eq!(created["expire_seconds"], 2592000);
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| {
                l.strip_prefix(&format!("{name}:"))
                    .map(|v| v.trim().to_owned())
            })
            .unwrap_or_else(|| panic!("{name} printed: {stdout}"))
    };
    let url = field("url");
    assert!(!field("ticket").is_empty());
    assert!(field("expires_at").contains("2592000 s"), "{stdout}");
    assert!(
        field("show_url").starts_with(&format!("{}/cgi-bin/showqrcode?ticket=", mock.base_url()))
    );
    let svg_text = std::fs::read_to_string(&svg).expect("SVG written");
    assert_eq!(decode_svg(&svg_text), url);
    assert_eq!(decode_png(&std::fs::read(&png).expect("PNG written")), url);

    let output = wxgate(&config, &["qrcode", "list"]).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let row = stdout
        .lines()
        .find(|l| l.starts_with("42 "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        &cells[..5],
        ["42", "poster", "QR_SCENE", "0", "0"],
        "{stdout}"
    );
}

#[tokio::test]
async fn commands_needing_the_api_exit_2_without_an_appsecret() {
    let mock = mock().await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), false);
    let menu = dir.path().join("menu.json");
    std::fs::write(&menu, crate::menu::MENU_JSON).expect("write menu");
    for (args, command) in [
        (vec!["qrcode", "create", "--scene", "1"], "qrcode create"),
        (vec!["menu", "show"], "menu show"),
        (
            vec!["menu", "push", menu.to_str().expect("path")],
            "menu push",
        ),
    ] {
        let output = wxgate(&config, &args).await;
        let (_, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr.contains(&format!("account.appsecret: required for {command}")),
            "{stderr}"
        );
    }
    assert_eq!(mock.state.requests(), 0);
}

const MENU_TOML: &str = r#"
[[button]]
type = "click"
name = "Today"
key = "V1001_TODAY_MUSIC"

[[button]]
name = "More"
[[button.sub_button]]
type = "view"
name = "Search"
url = "https://www.example.com/"
"#;

#[tokio::test]
async fn menu_push_dry_run_show_and_delete() {
    let mock = mock().await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), true);
    let file = dir.path().join("menu.toml");
    std::fs::write(&file, MENU_TOML).expect("write menu");
    let path = file.to_str().expect("path");

    let output = wxgate(&config, &["menu", "push", path, "--dry-run"]).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("+ ") && stdout.contains("V1001_TODAY_MUSIC"),
        "{stdout}"
    );
    assert!(sent_paths(&mock).is_empty(), "--dry-run changes nothing");
    let live: Value = reqwest::get(format!("{}/mock/sent", mock.base_url()))
        .await
        .expect("mock/sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(live, json!({"calls": []}));

    let output = wxgate(&config, &["menu", "push", path]).await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    assert_eq!(sent_paths(&mock), ["/cgi-bin/menu/create"]);
    assert_eq!(
        mock.state.sent()[0].body["button"][1]["sub_button"][0]["name"],
        "Search"
    );

    let output = wxgate(&config, &["menu", "push", path, "--dry-run"]).await;
    assert!(
        text(&output).0.contains("nothing would change"),
        "{}",
        text(&output).0
    );
    let output = wxgate(&config, &["menu", "show"]).await;
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0));
    let shown: Value = serde_json::from_str(&stdout).expect("menu show prints JSON");
    assert_eq!(shown["source"], "api");
    assert_eq!(shown["menu"]["button"][0]["key"], "V1001_TODAY_MUSIC");

    let output = wxgate(&config, &["menu", "delete"]).await;
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        sent_paths(&mock),
        ["/cgi-bin/menu/create", "/cgi-bin/menu/delete"]
    );
    assert_eq!(
        mock.state.token_requests(),
        1,
        "the CLI runs share the stored token"
    );
}

#[tokio::test]
async fn menu_push_of_an_invalid_file_exits_2_naming_the_button() {
    let mock = mock().await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), true);
    let cases = [
        (
            "long.toml",
            format!(
                "{MENU_TOML}[[button.sub_button]]\ntype = \"click\"\nname = \"k\"\nkey = \"{}\"\n",
                "k".repeat(129)
            ),
            "button[1].sub_button[1].key",
        ),
        (
            "type.json",
            r#"{"button": [{"type": "tap", "name": "a"}]}"#.to_owned(),
            "button[0].type",
        ),
        (
            "nokey",
            "[[button]]\ntype = \"click\"\nname = \"a\"\n".to_owned(),
            "button[0].key",
        ),
    ];
    for (name, content, at_fault) in cases {
        let file = dir.path().join(name);
        std::fs::write(&file, content).expect("write menu");
        for extra in [&[][..], &["--dry-run"][..]] {
            let args = [&["menu", "push", file.to_str().expect("path")][..], extra].concat();
            let output = wxgate(&config, &args).await;
            let (_, stderr) = text(&output);
            assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
            assert!(stderr.contains(at_fault), "{name}: {stderr}");
        }
    }
    assert_eq!(mock.state.requests(), 0);
}

#[tokio::test]
async fn mock_api_starts_answers_and_stops_on_sigterm() {
    let dir = dir();
    let config = write_config(dir.path(), "http://127.0.0.1:9", false);
    let mut child = Command::new(env!("CARGO_BIN_EXE_wxgate"))
        .arg("-c")
        .arg(&config)
        .args(["mock-api", "--listen", "127.0.0.1:0"])
        .env_remove("WXGATE_APPSECRET")
        .env_remove("WXGATE_APPID")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start mock-api");
    let stdout = child.stdout.take().expect("stdout");
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).expect("a line");
    // Keep reading, so the mock's later lines do not meet a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let base = first
        .trim()
        .rsplit(' ')
        .next()
        .filter(|b| b.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("base URL printed: {first}"))
        .to_owned();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let sent: Value = http
        .get(format!("{base}/mock/sent"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("JSON");
    assert_eq!(sent, json!({"calls": []}));
    // The config's appid with the dev-default secret (the config has none).
    let body = json!({"grant_type": "client_credential", "appid": crate::helpers::APPID, "secret": APPSECRET});
    let token: Value = http
        .post(format!("{base}/cgi-bin/stable_token"))
        .json(&body)
        .send()
        .await
        .expect("stable_token")
        .json()
        .await
        .expect("JSON");
    assert!(token["access_token"].is_string(), "{token}");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut waited = 0;
    let exit = loop {
        if let Some(exit) = child.try_wait().expect("wait") {
            break exit;
        }
        assert!(waited < 100, "mock-api did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(100)).await;
        waited += 1;
    };
    assert_eq!(exit.code(), Some(0));
}
