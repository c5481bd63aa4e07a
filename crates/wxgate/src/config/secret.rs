//! A secret of the config that must never reach a log: a [`SecretString`] (the `secrecy`
//! crate), with the constant-time comparison the bearer tokens need.
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// A secret value (appsecret, tokens). The value lives in a [`SecretString`]: zeroized on
/// drop, never in `Debug` (which prints `<redacted>`), read through
/// [`ExposeSecret::expose_secret`].
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Wrap a value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }

    /// The value: the same as [`ExposeSecret::expose_secret`], for callers that do not import
    /// the trait.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Constant-time comparison with a presented value.
    pub fn matches(&self, presented: &str) -> bool {
        self.0
            .expose_secret()
            .as_bytes()
            .ct_eq(presented.as_bytes())
            .into()
    }

    /// The secret as the [`SecretString`] it is kept in (for the WeChat API client).
    pub fn to_secret_string(&self) -> SecretString {
        self.0.clone()
    }
}

impl ExposeSecret<str> for Secret {
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

/// Equal values, compared in constant time (a reload compares the old and new secrets).
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.matches(other.0.expose_secret())
    }
}

impl Eq for Secret {}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted_and_the_value_is_read_on_purpose() {
        let s = Secret::new("s3cr3t");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose_secret(), "s3cr3t");
        assert_eq!(s.to_secret_string().expose_secret(), "s3cr3t");
        assert!(s.matches("s3cr3t") && !s.matches("s3cr3"));
        assert_eq!(s, Secret::new("s3cr3t"));
        assert_ne!(s, Secret::new("other"));
    }
}
