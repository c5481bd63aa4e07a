use std::path::Path;

use super::*;
use crate::store::StorageUrl;

/// The SQLite file at `path`, as a storage url.
fn sqlite(path: &str) -> StorageUrl {
    StorageUrl::Sqlite { path: path.into() }
}

/// `text` as a config in `/srv/wx`, with `env` as the environment (the config tests of every
/// section file use it).
pub(super) fn build(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let raw = parse_toml(text)?;
    Config::from_raw(raw, Path::new("/srv/wx"), |k| {
        env.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
}

fn key_of(text: &str) -> String {
    match build(text, &[]) {
        Ok(_) => panic!("config was accepted:\n{text}"),
        Err(e) => e.key,
    }
}

const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

#[test]
fn defaults_match_the_contract() {
    let c = build("", &[]).unwrap();
    assert_eq!(c.server.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.server.path, "/wechat");
    assert_eq!(c.server.reply_deadline.as_millis(), 4000);
    assert_eq!(c.server.max_body_bytes, 65536);
    assert!(c.accounts[0].token.matches("wxgatedevtoken"));
    assert_eq!(c.accounts[0].security, Security::Plain);
    assert!(c.accounts[0].refuse_replays);
    assert_eq!(c.accounts[0].max_clock_skew.map(|d| d.as_secs()), Some(300));
    assert_eq!(c.server.header_timeout.as_millis(), 5000);
    assert_eq!(c.server.max_connections, 10_000);
    assert_eq!(c.server.shutdown_timeout.as_secs(), 10);
    assert_eq!(c.storage.url, sqlite("/srv/wx/wxgate.db"));
    assert_eq!(
        c.storage.retain_events.map(|d| d.as_secs()),
        Some(30 * 86400)
    );
    assert!(c.admin.token.is_none());
    assert_eq!(c.api_base_url.as_str(), "https://api.weixin.qq.com/");
}

#[test]
fn every_bad_value_names_its_key() {
    assert_eq!(key_of("[server]\nlisten = 5"), "server.listen");
    assert_eq!(key_of("[server]\nlisten = \"nope\""), "server.listen");
    assert_eq!(key_of("[server]\nlistne = \"x\""), "server.listne");
    assert_eq!(key_of("[server]\npath = \"wechat\""), "server.path");
    assert_eq!(
        key_of("[server]\nreply_deadline_ms = 0"),
        "server.reply_deadline_ms"
    );
    assert_eq!(
        key_of("[server]\nreply_deadline_ms = 9000"),
        "server.reply_deadline_ms"
    );
    assert_eq!(key_of("[account]\nsecurity = \"tls\""), "account.security");
    assert_eq!(
        key_of("[account]\nappid = \"wx1\"\nsecurity = \"safe\""),
        "account.encoding_aes_key"
    );
    assert_eq!(
        key_of("[account]\nappid = \"wx1\"\nencoding_aes_key = \"short\""),
        "account.encoding_aes_key"
    );
    assert_eq!(
        key_of(&format!(
            "[account]\nencoding_aes_key = \"{KEY}\"\nsecurity = \"safe\""
        )),
        "account.appid"
    );
    assert_eq!(
        key_of("[account]\nprevious_encoding_aes_key = \"!!!\""),
        "account.previous_encoding_aes_key"
    );
    assert_eq!(key_of("[storage]\nurl = \"mysql://x\""), "storage.url");
    assert_eq!(
        key_of("[storage]\nretain_events = \"forever\""),
        "storage.retain_events"
    );
    assert_eq!(key_of("[admin]\ntoken = \"\""), "admin.token");
    assert_eq!(
        key_of("[admin]\nservice_tokens = [\"svc\"]"),
        "admin.service_tokens",
        "service tokens without an admin token would be dead"
    );
    assert_eq!(
        key_of("[wechat_api]\nbase_url = \"ftp://example.com\""),
        "wechat_api.base_url"
    );
    assert_eq!(
        key_of("[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"a\" }\n[[rules]]\nwhen = { content_regex = \"(\" }\nreply = { text = \"b\" }"),
        "rules[1].when.content_regex"
    );
    assert_eq!(
        key_of("[[rules]]\nwhen = { event_key_regex = \"[\" }\nreply = { text = \"b\" }"),
        "rules[0].when.event_key_regex"
    );
    assert_eq!(key_of("[[rules]]\ncall = \"bot\""), "rules[0].call");
    assert_eq!(key_of("[[rules]]\nwhen = { event = \"x\" }"), "rules[0]");
    assert_eq!(
        key_of("[[rules]]\nwhen = { colour = \"x\" }\nreply = { text = \"b\" }"),
        "rules[0].when.colour"
    );
    assert_eq!(
        key_of("[[rules]]\nreply = { news = [] }"),
        "rules[0].reply.news"
    );
    assert_eq!(
        key_of("[[webhooks]]\nname = \"a\"\nurl = \"ftp://x\""),
        "webhooks[0].url"
    );
    assert_eq!(
        key_of("[[webhooks]]\nname = \"a\"\nurl = \"http://x\"\nmode = \"push\""),
        "webhooks[0].mode"
    );
    assert_eq!(
        key_of("[[webhooks]]\nname = \"a\"\nurl = \"http://x\"\n[[webhooks]]\nname = \"a\"\nurl = \"http://y\""),
        "webhooks[1].name"
    );
    assert_eq!(
        key_of("[[webhooks]]\nname = \"n\"\nurl = \"http://x\"\nmode = \"notify\"\n[[rules]]\ncall = \"n\""),
        "rules[0].call"
    );
}

#[test]
fn a_toml_syntax_error_names_its_line() {
    assert_eq!(key_of("[server]\nlisten = \n"), "server.listen (line 2)");
    assert_eq!(
        key_of("[server]\n[[rules]]\nwhen = {\n"),
        "rules[0].when (line 3)"
    );
    assert_eq!(key_of("[server]\n= 5\n"), "line 2");
    let huge = build(
        "[[accounts]]\nname = \"a\"\n[[accounts]]\nname = \"b\"\n\
         max_clock_skew_s = 99999999999999999999\n",
        &[],
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        huge,
        "accounts[1].max_clock_skew_s (line 5): is too large a number"
    );
}

#[test]
fn environment_overrides_the_file() {
    let c = build(
        "[account]\ntoken = \"file\"",
        &[
            ("WXGATE_LISTEN", "0.0.0.0:9999"),
            ("WXGATE_TOKEN", "envtoken"),
            ("WXGATE_APPID", "wxenv"),
            ("WXGATE_APPSECRET", "sec"),
            ("WXGATE_AES_KEY", KEY),
            ("WXGATE_SECURITY", "safe"),
            ("WXGATE_DATABASE_URL", "postgres://u@h/db"),
            ("WXGATE_ADMIN_TOKEN", "adm"),
            ("WXGATE_API_BASE_URL", "http://127.0.0.1:1/"),
        ],
    )
    .unwrap();
    assert_eq!(c.server.listen.to_string(), "0.0.0.0:9999");
    assert!(c.accounts[0].token.matches("envtoken"));
    assert_eq!(c.accounts[0].appid, "wxenv");
    assert_eq!(c.accounts[0].security, Security::Safe);
    assert!(c.accounts[0].crypt.is_some());
    assert_eq!(
        c.storage.url,
        StorageUrl::Postgres("postgres://u@h/db".into())
    );
    assert!(c.admin.token.as_ref().is_some_and(|t| t.matches("adm")));
    assert_eq!(c.api_base_url.as_str(), "http://127.0.0.1:1/");
    assert_eq!(
        build("", &[("WXGATE_SECURITY", "bogus")]).unwrap_err().key,
        "account.security"
    );
}

#[test]
fn secrets_do_not_show_in_debug() {
    let c = build(
        &format!("[account]\nappid = \"wx1\"\nappsecret = \"S3CR3T-app\"\nencoding_aes_key = \"{KEY}\"\n[admin]\ntoken = \"adm1n-tok\""),
        &[],
    )
    .unwrap();
    let shown = format!("{c:?}");
    for secret in ["S3CR3T-app", KEY, "adm1n-tok", "wxgatedevtoken"] {
        assert!(!shown.contains(secret), "{secret} leaked in {shown}");
    }
}

#[test]
fn contract_example_config_is_valid() {
    let text = r#"
[server]
listen = "127.0.0.1:8080"
path = "/wechat"
reply_deadline_ms = 4000
max_body_bytes = 65536

[account]
appid = "wx0123456789abcdef"
appsecret = "..."
token = "tok"
encoding_aes_key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
security = "compatible"
max_clock_skew_s = 300
refuse_replays = true

[storage]
url = "sqlite://data/wxgate.db"
retain_events = "30d"

[admin]
token = "admintoken"

[wechat_api]
base_url = "https://api.weixin.qq.com"

[[rules]]
when = { event = "subscribe", scene = "123" }
reply = { text = "Welcome, you came from poster 123" }

[[rules]]
when = { event = "CLICK", event_key = "V1001_TODAY_MUSIC" }
reply = { news = [{ title = "t", description = "d", pic_url = "https://x/p.jpg", url = "https://x/" }] }

[[rules]]
when = { msg_type = "text", content_regex = "(?i)^help" }
call = "bot"

[[rules]]
when = { msg_type = "text" }
reply = { transfer_customer_service = true }

[[webhooks]]
name = "bot"
url = "http://127.0.0.1:9100/wechat-events"
secret = "s"
mode = "call"
events = ["*"]
max_age = "72h"
timeout_ms = 3000
"#;
    let c = build(text, &[]).unwrap();
    assert_eq!(c.rules.len(), 4);
    assert_eq!(c.storage.url, sqlite("/srv/wx/data/wxgate.db"));
    assert_eq!(c.accounts[0].max_clock_skew.map(|d| d.as_secs()), Some(300));
    assert_eq!(c.webhooks[0].mode, WebhookMode::Call);
}

#[test]
fn clock_skew_zero_turns_the_check_off() {
    let c = build("[account]\nmax_clock_skew_s = 0\n", &[]).unwrap();
    assert!(c.accounts[0].max_clock_skew.is_none());
}

#[test]
fn admin_token_with_surrounding_whitespace_is_refused() {
    for token in [" let-me-in-please-now", "let-me-in-please-now\n", "\tx"] {
        let text = format!("[admin]\ntoken = {token:?}\n");
        let e = build(&text, &[]).unwrap_err();
        assert_eq!(e.key, "admin.token", "{token:?}");
    }
    let e = build("", &[("WXGATE_ADMIN_TOKEN", "abc ")]).unwrap_err();
    assert_eq!(e.key, "admin.token");
    assert!(build("[admin]\ntoken = \"in side\"\n", &[]).is_ok());
}

#[test]
fn server_limits_are_checked() {
    for (text, key) in [
        (
            "[server]\nheader_timeout_ms = 0\n",
            "server.header_timeout_ms",
        ),
        ("[server]\nmax_connections = 0\n", "server.max_connections"),
        (
            "[server]\nshutdown_timeout_s = 0\n",
            "server.shutdown_timeout_s",
        ),
    ] {
        assert_eq!(build(text, &[]).unwrap_err().key, key);
    }
}

#[test]
fn log_format_is_text_or_json() {
    assert_eq!(build("", &[]).unwrap().log.format, LogFormat::Text);
    let c = build("[log]\nformat = \"json\"", &[]).unwrap();
    assert_eq!(c.log.format, LogFormat::Json);
    let err = build("[log]\nformat = \"xml\"", &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "log.format: \"xml\" is not one of text, json"
    );
    assert_eq!(key_of("[log]\nformat = 1"), "log.format");
    assert_eq!(key_of("[log]\ncolour = true"), "log.colour");
}

#[test]
fn an_appsecret_needs_an_appid_checked_once_in_the_config() {
    let err = build("[account]\nappsecret = \"s\"", &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "account.appid: required with account.appsecret"
    );
    assert!(build("[account]\nappid = \"wx1\"\nappsecret = \"s\"", &[]).is_ok());
    assert!(
        build("[account]\nappsecret = \"\"", &[]).is_ok(),
        "empty = not set"
    );
}

#[test]
fn rule_compile_errors_keep_their_key_and_message() {
    let err = build(
        "[[rules]]\nwhen = { content_regex = \"(\" }\nreply = { text = \"x\" }",
        &[],
    )
    .unwrap_err();
    assert_eq!(err.key, "rules[0].when.content_regex");
    let err = build("[[rules]]\ncall = \"nope\"", &[]).unwrap_err();
    assert_eq!(err.to_string(), "rules[0].call: unknown webhook \"nope\"");
}

/// Two accounts: `one` plain, `two` safe.
fn two_accounts() -> String {
    format!(
        "[server]\npath = \"/wx/\"\n\
         [[accounts]]\nname = \"one\"\nappid = \"wx1\"\ntoken = \"tokenone\"\n\
         [[accounts]]\nname = \"two\"\nappid = \"wx2\"\ntoken = \"tokentwo\"\nsecurity = \"safe\"\n\
         encoding_aes_key = \"{KEY}\"\nmax_clock_skew_s = 0\nrefuse_replays = false\n"
    )
}

#[test]
fn the_single_account_is_default_at_the_server_path() {
    let c = build("[account]\ntoken = \"tok\"", &[]).unwrap();
    assert_eq!(c.account_names(), ["default"]);
    let only = c.only_account().unwrap();
    assert_eq!(
        (only.push_path.as_str(), only.table.as_str()),
        ("/wechat", "account")
    );
    assert_eq!(build("", &[]).unwrap().accounts[0].name, "default");
    assert_eq!(key_of("[account]\nname = \"x\""), "account.name");
}

#[test]
fn several_accounts_each_at_their_own_path_with_their_own_keys() {
    let c = build(&two_accounts(), &[]).unwrap();
    assert_eq!(c.account_names(), ["one", "two"]);
    assert!(c.only_account().is_none());
    let (one, two) = (c.account("one").unwrap(), c.account("two").unwrap());
    assert_eq!(one.push_path, "/wx/one");
    assert_eq!(two.push_path, "/wx/two");
    assert_eq!(two.table, "accounts[1]");
    assert!(one.token.matches("tokenone") && two.token.matches("tokentwo"));
    assert_eq!(
        (one.security, two.security),
        (Security::Plain, Security::Safe)
    );
    assert!(one.crypt.is_none() && two.crypt.is_some());
    assert!(one.max_clock_skew.is_some() && two.max_clock_skew.is_none());
    assert!(one.refuse_replays && !two.refuse_replays);
    assert_eq!(c.select(Some("two"), "account").unwrap().name, "two");
    let missing = c.select(None, "--account").unwrap_err();
    assert_eq!(missing.key, "--account");
    assert!(missing.message.contains("one, two"), "{}", missing.message);
    assert_eq!(c.select(Some("six"), "account").unwrap_err().key, "account");
}

#[test]
fn bad_accounts_name_their_key() {
    let entry =
        |name: &str, appid: &str| format!("[[accounts]]\nname = \"{name}\"\nappid = \"{appid}\"\n");
    assert_eq!(
        key_of(&format!(
            "[account]\ntoken = \"tok\"\n{}",
            entry("a", "wx1")
        )),
        "accounts"
    );
    assert_eq!(
        key_of(&format!("{}{}", entry("a", "wx1"), entry("a", "wx2"))),
        "accounts[1].name"
    );
    assert_eq!(
        key_of(&format!("{}{}", entry("a", "wx1"), entry("b", "wx1"))),
        "accounts[1].appid"
    );
    for bad in ["", "Upper", "has space", "a/b", &"x".repeat(33)] {
        assert_eq!(
            key_of(&format!("{}{}", entry("ok", "wx1"), entry(bad, "wx2"))),
            "accounts[1].name",
            "{bad:?}"
        );
    }
    assert!(build(&entry(&"x".repeat(32), "wx1"), &[]).is_ok());
    assert!(build(&entry("a-b_9", "wx1"), &[]).is_ok());
    assert_eq!(key_of("[[accounts]]\nappid = \"wx1\""), "accounts[0].name");
    assert_eq!(
        key_of("[[accounts]]\nname = \"a\"\nsecurity = \"safe\""),
        "accounts[0].encoding_aes_key"
    );
    assert_eq!(
        key_of("[[accounts]]\nname = \"a\"\nappsecret = \"s\""),
        "accounts[0].appid"
    );
    assert_eq!(
        key_of("[[accounts]]\nname = \"a\"\ntypo = 1"),
        "accounts[0].typo"
    );
}

#[test]
fn environment_overrides_apply_to_the_single_account_only() {
    let env = [("WXGATE_TOKEN", "envtoken")];
    let one = build("[[accounts]]\nname = \"solo\"\ntoken = \"file\"", &env).unwrap();
    assert!(one.accounts[0].token.matches("envtoken"));
    assert_eq!(one.accounts[0].push_path, "/wechat/solo");
    let err = build(&two_accounts(), &env).unwrap_err();
    assert_eq!(err.key, "WXGATE_TOKEN");
    assert!(build(&two_accounts(), &[("WXGATE_LISTEN", "127.0.0.1:1")]).is_ok());
}

#[test]
fn rules_and_webhooks_may_only_name_configured_accounts() {
    let accounts = "[[accounts]]\nname = \"one\"\n[[accounts]]\nname = \"two\"\n";
    let rule = |account: &str| {
        format!("{accounts}[[rules]]\nwhen = {{ account = \"{account}\" }}\nreply = {{ text = \"x\" }}\n")
    };
    assert!(build(&rule("two"), &[]).is_ok());
    assert_eq!(key_of(&rule("three")), "rules[0].when.account");
    let hook = |names: &str| {
        format!("{accounts}[[webhooks]]\nname = \"h\"\nurl = \"http://127.0.0.1:1/\"\naccounts = {names}\n")
    };
    let c = build(&hook("[\"one\"]"), &[]).unwrap();
    assert!(c.webhooks[0].serves("one") && !c.webhooks[0].serves("two"));
    assert_eq!(key_of(&hook("[\"one\", \"six\"]")), "webhooks[0].accounts");
    assert_eq!(key_of(&hook("[]")), "webhooks[0].accounts");
    let every = build(
        &format!("{accounts}[[webhooks]]\nname = \"h\"\nurl = \"http://127.0.0.1:1/\"\n"),
        &[],
    )
    .unwrap();
    assert!(every.webhooks[0].serves("one") && every.webhooks[0].serves("two"));
}

/// Issue 17: the push Token is what WeChat's admin console accepts, 3 to 32 ASCII letters and
/// digits; anything else is a config error naming the key (never echoing the value), and the
/// built-in default is such a Token.
#[test]
fn issue_17_the_token_is_3_to_32_letters_and_digits() {
    for good in ["abc", "Token2024", &"a".repeat(32)] {
        assert!(
            build(&format!("[account]\ntoken = \"{good}\""), &[]).is_ok(),
            "{good}"
        );
    }
    for bad in ["ab", "has space", "with-dash", "令牌测试", &"a".repeat(33)] {
        let err = build(&format!("[account]\ntoken = \"{bad}\""), &[]).unwrap_err();
        assert_eq!(err.key, "account.token", "{bad}");
        assert!(!err.message.contains(bad), "the value is not echoed: {err}");
        assert!(err.message.contains("3 to 32 letters and digits"), "{err}");
    }
    let err = build("[[accounts]]\nname = \"one\"\ntoken = \"a b c\"", &[]).unwrap_err();
    assert_eq!(err.key, "accounts[0].token");
    let err = build("", &[("WXGATE_TOKEN", "my-token")]).unwrap_err();
    assert_eq!(err.key, "account.token");
    let default = build("", &[]).expect("the defaults are valid");
    assert!(default.accounts[0].token.matches(super::DEV_TOKEN));
}
