//! The AppSecret, kept out of logs and Debug output.

use std::fmt;

/// An account's AppSecret. Its `Debug` is redacted and it has no `Display`, so it cannot end
/// up in a log line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct AppSecret(String);

impl AppSecret {
    /// Wraps a secret read from configuration.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, for the token request only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AppSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppSecret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let secret = AppSecret::new("s3cr3t-value");
        assert_eq!(format!("{secret:?}"), "AppSecret(<redacted>)");
        assert_eq!(secret.expose(), "s3cr3t-value");
    }
}
