//! What a SIGHUP cannot apply: a SIGHUP applies `[[rules]]`, `[[webhooks]]` and the accounts
//! (added, removed, changed keys); the rest is read once at start, so a changed `listen` is
//! named in a warning rather than ignored quietly, and a swap of `[account]` for
//! `[[accounts]]` (which moves every push path) is refused.
use crate::config::Config;

/// The key [`not_applied`] names when `[account]` and `[[accounts]]` were swapped.
pub const FORM: &str = "account / accounts";

/// The keys whose value differs between the running config and the re-read one, though only
/// a restart applies them; [`FORM`] when one has `[account]` and the other `[[accounts]]`.
/// Secrets are compared, never shown.
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
    if r.lists_accounts() != f.lists_accounts() {
        keys.push(FORM.to_string());
    }
    keys
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{not_applied, FORM};
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
        // The account's keys are applied; the listen address is not.
        assert_eq!(not_applied(&old, &moved), ["server.listen"]);
    }

    #[test]
    fn accounts_added_or_removed_are_applied_but_not_a_change_of_form() {
        let accounts = |names: &[&str]| {
            let entries: String = names
                .iter()
                .map(|name| format!("[[accounts]]\nname = \"{name}\"\n"))
                .collect();
            config(&entries)
        };
        let old = accounts(&["one", "two"]);
        assert!(not_applied(&old, &accounts(&["two", "three"])).is_empty());
        let mut changed = accounts(&["one", "two"]);
        changed.accounts[1].refuse_replays = false;
        assert!(not_applied(&old, &changed).is_empty());
        let single = config("[account]\ntoken = \"tok\"\n");
        assert_eq!(not_applied(&old, &single), [FORM]);
    }
}
