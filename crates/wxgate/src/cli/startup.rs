//! What `serve` prints on stdout once it listens: the push URL of each account, where the
//! dashboard and the admin API are (or how to turn them on), and a first command to try.
use std::net::SocketAddr;
use std::path::Path;

use crate::config::Config;

/// The start-up lines, each ending in a newline, for a gateway of `config` listening on
/// `addr`; `rules_of(name)` counts the rules serving account `name`; `config_file` is the
/// `-c FILE` given, if any (repeated in the `simulate` line, so it reads the same config).
pub fn lines(
    config: &Config,
    addr: SocketAddr,
    config_file: Option<&Path>,
    rules_of: impl Fn(&str) -> usize,
) -> String {
    let several = config.accounts.len() > 1;
    let mut out = String::new();
    for account in config.accounts.iter() {
        // One line per account; with `[account]` alone the line of before.
        let name = if several {
            format!("account {}, ", account.name)
        } else {
            String::new()
        };
        let rules = rules_of(&account.name);
        out.push_str(&format!(
            "wxgate: push URL http://{addr}{} ({name}{} mode, {rules} rule{})\n",
            account.push_path,
            account.security.as_str(),
            if rules == 1 { "" } else { "s" }
        ));
    }
    if let Some(open) = &config.open_platform {
        out.push_str(&format!(
            "wxgate: third-party platform {}: authorisation-event URL http://{addr}{}, message URL http://{addr}{}/$APPID$\n",
            open.component_appid, open.push_base, open.push_base
        ));
    }
    if config.admin.token.is_some() {
        out.push_str(&format!(
            "wxgate: dashboard http://{addr}/admin, admin API http://{addr}/api \
             (bearer token: [admin] token)\n"
        ));
    } else {
        out.push_str(
            "wxgate: dashboard /admin and admin API /api are off: set [admin] token \
             (or WXGATE_ADMIN_TOKEN) to turn them on\n",
        );
    }
    if let Some(account) = config.accounts.first() {
        let mut try_it = String::from("wxgate");
        if let Some(file) = config_file {
            try_it.push_str(&format!(" -c {}", file.display()));
        }
        try_it.push_str(" simulate subscribe");
        if several {
            try_it.push_str(&format!(" --account {}", account.name));
        }
        // `simulate` aims at the configured address: say where we really are when that
        // differs (port 0, an environment override it does not see the same way).
        if addr != config.server.listen {
            try_it.push_str(&format!(" --target http://{addr}{}", account.push_path));
        }
        out.push_str(&format!(
            "wxgate: try a follow as WeChat would send it: {try_it}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        let raw = crate::config::parse_toml(text).expect("parses");
        Config::from_raw(raw, Path::new("/"), |_| None).expect("valid")
    }

    #[test]
    fn with_an_admin_token_the_dashboard_and_api_addresses_are_shown() {
        let config = config("[admin]\ntoken = \"a-long-enough-admin-token\"\n");
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let text = lines(&config, addr, None, |_| 2);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "wxgate: push URL http://127.0.0.1:8080/wechat (plain mode, 2 rules)",
                "wxgate: dashboard http://127.0.0.1:8080/admin, admin API \
                 http://127.0.0.1:8080/api (bearer token: [admin] token)",
                "wxgate: try a follow as WeChat would send it: wxgate simulate subscribe",
            ]
        );
    }

    #[test]
    fn without_an_admin_token_it_says_how_to_turn_them_on() {
        let config = config("[server]\nlisten = \"127.0.0.1:0\"\n");
        let addr: SocketAddr = "127.0.0.1:41000".parse().unwrap();
        let text = lines(&config, addr, Some(Path::new("my.toml")), |_| 1);
        assert!(
            text.contains("/admin and admin API /api are off: set [admin] token"),
            "{text}"
        );
        assert!(
            text.contains(
                "wxgate -c my.toml simulate subscribe --target http://127.0.0.1:41000/wechat"
            ),
            "{text}"
        );
    }

    #[test]
    fn with_several_accounts_the_try_line_names_one() {
        let config = config(
            "[[accounts]]\nname = \"shop\"\ntoken = \"shoptoken\"\n\
             [[accounts]]\nname = \"news\"\ntoken = \"newstoken\"\n",
        );
        let addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let text = lines(&config, addr, None, |_| 0);
        assert!(text.contains("/wechat/shop (account shop, plain mode, 0 rules)"));
        assert!(text.contains("/wechat/news (account news, plain mode, 0 rules)"));
        assert!(
            text.contains("wxgate simulate subscribe --account shop\n"),
            "{text}"
        );
    }
}
