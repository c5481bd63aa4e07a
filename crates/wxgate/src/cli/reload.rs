//! What a SIGHUP cannot apply: everything but `[[rules]]` and `[[webhooks]]` is read once at
//! start, so a changed `listen` or `[account]`, or an account added to or removed from
//! `[[accounts]]`, is named in a warning rather than ignored quietly.
use crate::config::{AccountConfig, Config};

/// The keys whose value differs between the running config and the re-read one, though only
/// a restart applies them; an account added or removed is named as `accounts (NAME added)` /
/// `(NAME removed)`. Secrets are compared, never shown.
pub fn not_applied(running: &Config, fresh: &Config) -> Vec<String> {
    let (r, f) = (running, fresh);
    let checks: [(&str, bool); 9] = [
        ("server.listen", r.server.listen == f.server.listen),
        (
            "server.trusted_proxies",
            r.server.trusted_proxies == f.server.trusted_proxies,
        ),
        ("server.path", r.server.path == f.server.path),
        (
            "server.reply_deadline_ms",
            r.server.reply_deadline == f.server.reply_deadline,
        ),
        (
            "server.max_body_bytes",
            r.server.max_body_bytes == f.server.max_body_bytes,
        ),
        ("storage.url", r.storage.url == f.storage.url),
        (
            "storage.retain_events",
            r.storage.retain_events == f.storage.retain_events,
        ),
        ("admin.token", r.admin.token == f.admin.token),
        ("wechat_api.base_url", r.api_base_url == f.api_base_url),
    ];
    let mut keys: Vec<String> = checks
        .into_iter()
        .filter(|(_, same)| !same)
        .map(|(key, _)| key.to_string())
        .collect();
    for old in &r.accounts {
        match f.account(&old.name) {
            Some(new) => keys.extend(
                account_changes(old, new)
                    .into_iter()
                    .map(|field| format!("{}.{field}", new.table)),
            ),
            None => keys.push(format!("accounts ({} removed)", old.name)),
        }
    }
    for new in &f.accounts {
        if r.account(&new.name).is_none() {
            keys.push(format!("accounts ({} added)", new.name));
        }
    }
    keys
}

/// The keys of one account that differ.
fn account_changes(r: &AccountConfig, f: &AccountConfig) -> Vec<&'static str> {
    let checks: [(&'static str, bool); 8] = [
        ("appid", r.appid == f.appid),
        ("appsecret", r.appsecret == f.appsecret),
        ("token", r.token == f.token),
        ("security", r.security == f.security),
        ("encoding_aes_key", r.crypt == f.crypt),
        (
            "previous_encoding_aes_key",
            r.previous_crypt == f.previous_crypt,
        ),
        ("max_clock_skew_s", r.max_clock_skew == f.max_clock_skew),
        ("refuse_replays", r.refuse_replays == f.refuse_replays),
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

    #[test]
    fn an_account_added_or_removed_needs_a_restart() {
        let accounts = |names: &[&str]| {
            let entries: String = names
                .iter()
                .map(|name| format!("[[accounts]]\nname = \"{name}\"\n"))
                .collect();
            config(&entries)
        };
        let old = accounts(&["one", "two"]);
        assert!(not_applied(&old, &accounts(&["one", "two"])).is_empty());
        assert_eq!(
            not_applied(&old, &accounts(&["two", "three"])),
            ["accounts (one removed)", "accounts (three added)"]
        );
        let mut changed = accounts(&["one", "two"]);
        changed.accounts[1].refuse_replays = false;
        assert_eq!(not_applied(&old, &changed), ["accounts[1].refuse_replays"]);
    }
}
