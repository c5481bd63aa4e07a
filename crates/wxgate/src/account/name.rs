//! [`AccountName`]: an account's name, shared rather than copied.
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// An account's name: `default` for a lone `[account]`, the `name` of an `[[accounts]]`
/// entry. Cloning shares it (the registry's map, the account and its metric labels hold one
/// string).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountName(Arc<str>);

impl AccountName {
    /// The name `name`.
    pub fn new(name: &str) -> Self {
        AccountName(Arc::from(name))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shared string (a metric label takes it without copying).
    pub fn shared(&self) -> Arc<str> {
        Arc::clone(&self.0)
    }
}

impl Deref for AccountName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for AccountName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
