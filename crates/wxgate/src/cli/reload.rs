//! What a SIGHUP cannot apply: everything but `[[rules]]` and `[[webhooks]]` is read once at
//! start, so a changed `listen` or `[account]` is named in a warning rather than ignored quietly.
use crate::config::Config;

/// The keys whose value differs between the running config and the re-read one, though only
/// a restart applies them. Secrets are compared, never shown.
pub fn not_applied(running: &Config, fresh: &Config) -> Vec<&'static str> {
    let (r, f) = (running, fresh);
    let checks: [(&'static str, bool); 16] = [
        ("server.listen", r.server.listen == f.server.listen),
        ("server.path", r.server.path == f.server.path),
        (
            "server.reply_deadline_ms",
            r.server.reply_deadline == f.server.reply_deadline,
        ),
        (
            "server.max_body_bytes",
            r.server.max_body_bytes == f.server.max_body_bytes,
        ),
        ("account.appid", r.account.appid == f.account.appid),
        (
            "account.appsecret",
            r.account.appsecret == f.account.appsecret,
        ),
        ("account.token", r.account.token == f.account.token),
        ("account.security", r.account.security == f.account.security),
        (
            "account.encoding_aes_key",
            r.account.crypt == f.account.crypt,
        ),
        (
            "account.previous_encoding_aes_key",
            r.account.previous_crypt == f.account.previous_crypt,
        ),
        (
            "account.max_clock_skew_s",
            r.account.max_clock_skew == f.account.max_clock_skew,
        ),
        (
            "account.refuse_replays",
            r.account.refuse_replays == f.account.refuse_replays,
        ),
        ("storage.url", r.storage.url == f.storage.url),
        (
            "storage.retain_events",
            r.storage.retain_events == f.storage.retain_events,
        ),
        ("admin.token", r.admin.token == f.admin.token),
        ("wechat_api.base_url", r.api_base_url == f.api_base_url),
    ];
    checks
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(key, _)| key)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::not_applied;
    use crate::config::{parse_toml, Config};

    fn config(text: &str) -> Config {
        let raw = parse_toml(text).expect("parses");
        Config::from_raw(raw, Path::new("/srv"), |_| None).expect("valid")
    }

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    #[test]
    fn names_what_a_reload_does_not_apply() {
        let old = config("[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"a\" }\n");
        let same_but_rules =
            config("[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"b\" }\n");
        assert!(not_applied(&old, &same_but_rules).is_empty());
        let moved = config(&format!(
            "[server]\nlisten = \"127.0.0.1:9999\"\n[account]\ntoken = \"other\"\n\
             appid = \"wx1\"\nencoding_aes_key = \"{KEY}\"\n"
        ));
        assert_eq!(
            not_applied(&old, &moved),
            [
                "server.listen",
                "account.appid",
                "account.token",
                "account.encoding_aes_key"
            ]
        );
    }
}
