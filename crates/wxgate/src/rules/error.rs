//! Why a rule (or a webhook's reply) does not compile.

/// A rule or reply that does not compile, naming the key at fault (`rules[2].when.content_regex`,
/// `reply.image`). `config` turns it into its own error with the same key and message.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{key}: {message}")]
pub struct CompileError {
    /// the key, e.g. `rules[3].reply.text`
    pub key: String,
    /// what is wrong
    pub message: String,
}

impl CompileError {
    /// New error for `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        CompileError {
            key: key.into(),
            message: message.into(),
        }
    }
}
