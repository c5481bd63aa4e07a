//! `signature` and `msg_signature`.
use crate::error::SignatureError;

/// lowercase hex SHA1 of the byte-sorted, concatenated token, timestamp, nonce.
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    todo!("{token}{timestamp}{nonce}")
}
/// lowercase hex SHA1 of the byte-sorted, concatenated token, timestamp, nonce, encrypt.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    todo!("{token}{timestamp}{nonce}{encrypt}")
}
/// Constant-time check of `given` against [`signature`].
pub fn verify_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    given: &str,
) -> Result<(), SignatureError> {
    todo!("{token}{timestamp}{nonce}{given}")
}
/// Constant-time check of `given` against [`msg_signature`].
pub fn verify_msg_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    encrypt: &str,
    given: &str,
) -> Result<(), SignatureError> {
    todo!("{token}{timestamp}{nonce}{encrypt}{given}")
}
