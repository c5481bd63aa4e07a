//! Issue 13 item 5, the commands that talk to the (mock) WeChat API: `qrcode create` keeps a
//! scene's label, `menu push` says "1 top-level button" and refuses a key it would drop.
use crate::helpers::{dir, mock, text, write_config, wxgate};

#[tokio::test]
async fn issue_13_qrcode_create_without_label_keeps_the_old_label() {
    let mock = mock().await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), true);
    let label_of = |stdout: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("label:").map(|v| v.trim().to_owned()))
    };
    let output = wxgate(
        &config,
        &["qrcode", "create", "--scene", "77", "--label", "poster"],
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output).1);
    let output = wxgate(&config, &["qrcode", "create", "--scene", "77"]).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(label_of(&stdout).as_deref(), Some("poster"), "{stdout}");
    let output = wxgate(&config, &["qrcode", "list"]).await;
    let (stdout, _) = text(&output);
    let row = stdout
        .lines()
        .find(|l| l.starts_with("77 "))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert_eq!(row.split_whitespace().nth(1), Some("poster"), "{stdout}");

    // A new label replaces it; another scene starts without one.
    let output = wxgate(
        &config,
        &["qrcode", "create", "--scene", "77", "--label", "flyer"],
    )
    .await;
    assert_eq!(label_of(&text(&output).0).as_deref(), Some("flyer"));
    let output = wxgate(&config, &["qrcode", "create", "--scene", "78"]).await;
    let (stdout, _) = text(&output);
    assert!(
        label_of(&stdout).is_none_or(|l| l.is_empty() || l == "-"),
        "{stdout}"
    );
}

#[tokio::test]
async fn issue_13_menu_push_counts_in_good_english_and_refuses_unknown_keys() {
    let mock = mock().await;
    let dir = dir();
    let config = write_config(dir.path(), &mock.base_url(), true);
    let file = dir.path().join("one.toml");
    std::fs::write(
        &file,
        "[[button]]\ntype = \"click\"\nname = \"a\"\nkey = \"k\"\n",
    )
    .expect("write menu");
    let output = wxgate(&config, &["menu", "push", file.to_str().expect("path")]).await;
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stdout.trim(), "menu pushed: 1 top-level button");

    let file = dir.path().join("typo.toml");
    std::fs::write(
        &file,
        "[[button]]\ntype = \"click\"\nname = \"a\"\nkey = \"k\"\n\
         [[button]]\ntype = \"view\"\nname = \"b\"\nurl = \"https://e.com/\"\npage_path = \"x\"\n",
    )
    .expect("write menu");
    let requests = mock.state.requests();
    let output = wxgate(&config, &["menu", "push", file.to_str().expect("path")]).await;
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("button[1]: unknown key \"page_path\""),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert_eq!(mock.state.requests(), requests, "nothing was sent");
}
