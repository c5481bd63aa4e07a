//! Start-up checks of the bearer tokens against each other and the push Tokens: a token that
//! others know, or that gives more than it should, stops `serve` (exit 2, naming the key);
//! a short service token draws a warning (the admin token's is in `checks.rs`). Values are
//! compared, never shown.
use super::checks::MIN_ADMIN_TOKEN_CHARS;
use super::Failure;
use crate::config::Config;
use crate::config::DEV_TOKEN;

/// Refuse an admin token that is a push Token (which WeChat's console and every sender of
/// test pushes know) or the public default one, and a service token that is the admin token
/// (it would have the admin's rights), a push Token or the default; warn for a service token
/// shorter than the admin token's minimum.
pub fn check(config: &Config) -> Result<(), Failure> {
    let refuse = |key: &str, why: &str| {
        Failure::usage(format!(
            "config: {key}: {why}; choose a long random token of its own"
        ))
    };
    let push_token = |value: &str| {
        config
            .accounts
            .iter()
            .find(|account| account.token.matches(value))
            .map(|account| format!("{}.token", account.table))
    };
    let Some(admin) = &config.admin.token else {
        return Ok(());
    };
    if let Some(key) = push_token(admin.expose()) {
        return Err(refuse(
            "admin.token",
            &format!("is the push Token ({key}), which is no secret from WeChat's console"),
        ));
    }
    if admin.matches(DEV_TOKEN) {
        return Err(refuse("admin.token", "is the public default push Token"));
    }
    for (i, service) in config.admin.service_tokens.iter().enumerate() {
        let key = format!("admin.service_tokens[{i}]");
        if service == admin {
            return Err(refuse(
                &key,
                "is the admin token, which would give it admin rights",
            ));
        }
        if let Some(push) = push_token(service.expose()) {
            return Err(refuse(&key, &format!("is the push Token ({push})")));
        }
        if service.matches(DEV_TOKEN) {
            return Err(refuse(&key, "is the public default push Token"));
        }
        let chars = service.expose().chars().count();
        if chars < MIN_ADMIN_TOKEN_CHARS {
            tracing::warn!(
                chars,
                "{key} is shorter than {MIN_ADMIN_TOKEN_CHARS} characters: easy to guess"
            );
        }
    }
    Ok(())
}
