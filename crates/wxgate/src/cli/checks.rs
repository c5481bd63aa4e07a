//! Start-up checks of `serve` that look beyond the config's own validity: a config file
//! others can read while it holds secrets, a short admin token, the public default token,
//! a webhook without a secret.
use std::path::Path;

use super::Failure;
use crate::config::{Config, DEV_TOKEN};
/// Admin tokens shorter than this draw a warning.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 16;

/// Refuse (exit 2) what must not run; warn about what should not. Never logs a secret.
pub fn before_serving(
    config: &Config,
    file: Option<&Path>,
    secrets_in_file: bool,
) -> Result<(), Failure> {
    for account in config
        .accounts
        .iter()
        .filter(|a| a.token.matches(DEV_TOKEN))
    {
        let key = format!("{}.token", account.table);
        if !config.server.listen.ip().is_loopback() {
            return Err(Failure::usage(format!(
                "config: {key}: the public default token {DEV_TOKEN:?} may only be used \
                 on a loopback address, not on {}; set the Token of your admin console",
                config.server.listen
            )));
        }
        tracing::warn!(
            "{key} is the public default {DEV_TOKEN:?}: anyone can sign pushes; \
             set the Token of your admin console before exposing the gateway"
        );
    }
    super::tokens::check(config)?;
    if let Some(token) = &config.admin.token {
        let chars = token.expose().chars().count();
        if chars < MIN_ADMIN_TOKEN_CHARS {
            tracing::warn!(
                chars,
                "admin.token is shorter than {MIN_ADMIN_TOKEN_CHARS} characters: easy to guess"
            );
        }
    }
    for (i, hook) in config.webhooks.iter().enumerate() {
        if hook.secret.is_none() {
            tracing::warn!(
                webhook = %hook.name,
                "webhooks[{i}] has no secret: its deliveries are unsigned (no webhook-signature \
                 or X-Wxgate-Signature header), so its receiver cannot tell them from forged \
                 ones; set webhooks[{i}].secret (e.g. whsec_ and 32 random bytes in base64)"
            );
        }
    }
    if let (Some(file), true) = (file, secrets_in_file) {
        warn_if_readable_by_others(file);
    }
    Ok(())
}

/// Warn, naming the file, when group or others may read it.
#[cfg(unix)]
fn warn_if_readable_by_others(file: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(file) else {
        return;
    };
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o044 != 0 {
        tracing::warn!(
            file = %file.display(),
            mode = format!("{mode:o}"),
            "the config file holds secrets and is readable by group or others; chmod 600 it"
        );
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_file: &Path) {}
