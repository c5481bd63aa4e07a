//! Issue 18 item 9: bearer tokens others know, or that give more than they should, stop
//! `serve` with exit 2 naming the key — never showing the value.
use crate::cli::serve_with;
use crate::helpers::*;

/// A config with two accounts (push Tokens `first…` and `second…`) and `admin`.
fn config(admin: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:{port}\"\n\n\
         [[accounts]]\nname = \"one\"\nappid = \"wx01\"\ntoken = \"firstPushToken0001\"\n\n\
         [[accounts]]\nname = \"two\"\nappid = \"wx02\"\ntoken = \"secondPushToken002\"\n\n\
         [storage]\nurl = \"sqlite::memory:\"\n\n[admin]\n{admin}\n",
        port = free_port(),
    )
}

/// The built-in default push Token: the one account of an empty config.
fn default_push_token() -> String {
    let raw = wxgate::config::parse_toml("").expect("an empty config parses");
    let config = wxgate::config::Config::from_raw(raw, std::path::Path::new("/"), |_| None)
        .expect("the defaults are valid");
    config.accounts[0].token.expose().to_owned()
}

#[test]
fn issue_18_weak_tokens_are_refused_naming_the_key() {
    let admin = "a-long-random-admin-token-1";
    let default_token = default_push_token();
    let cases = [
        (
            "an admin token that is the second account's push Token",
            "token = \"secondPushToken002\"".to_string(),
            "admin.token",
            "accounts[1].token",
            "secondPushToken002",
        ),
        (
            "an admin token that is the public default push Token",
            format!("token = \"{default_token}\""),
            "admin.token",
            "public default",
            default_token.as_str(),
        ),
        (
            "a service token that is the admin token",
            format!(
                "token = \"{admin}\"\nservice_tokens = [\"svc-token-long-enough\", \"{admin}\"]"
            ),
            "admin.service_tokens[1]",
            "admin rights",
            admin,
        ),
        (
            "a service token that is a push Token",
            format!("token = \"{admin}\"\nservice_tokens = [\"firstPushToken0001\"]"),
            "admin.service_tokens[0]",
            "accounts[0].token",
            "firstPushToken0001",
        ),
    ];
    let mut failures = Vec::new();
    for (what, admin_table, key, why, secret) in cases {
        let (code, stderr) = serve_with(&config(&admin_table));
        let line = stderr.lines().last().unwrap_or_default();
        if code != 2 || !line.contains(key) || !line.contains(why) {
            failures.push(format!("{what}: exit {code}, last line {line:?}"));
        }
        if stderr.contains(secret) {
            failures.push(format!("{what}: the value reached stderr: {stderr}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
