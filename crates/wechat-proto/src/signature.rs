//! `signature` and `msg_signature`: SHA1 over the byte-sorted, concatenated values, in lowercase hex.
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use crate::error::SignatureError;

/// Lowercase hex of a SHA1 digest, on the stack.
type HexDigest = [u8; 40];

fn sorted_sha1_hex<const N: usize>(mut parts: [&str; N]) -> HexDigest {
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    let digest = hasher.finalize();
    let mut out = [0u8; 40];
    // Both lengths are fixed (20 bytes in, 40 out), so encoding cannot fail.
    let _ = hex::encode_to_slice(digest, &mut out);
    out
}

fn to_string(hex: HexDigest) -> String {
    hex.iter().map(|&b| char::from(b)).collect()
}

/// lowercase hex SHA1 of the byte-sorted, concatenated token, timestamp, nonce.
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    to_string(sorted_sha1_hex([token, timestamp, nonce]))
}

/// lowercase hex SHA1 of the byte-sorted, concatenated token, timestamp, nonce, encrypt.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    to_string(sorted_sha1_hex([token, timestamp, nonce, encrypt]))
}

/// Constant-time check of `given` against [`signature`].
pub fn verify_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    given: &str,
) -> Result<(), SignatureError> {
    let expected = sorted_sha1_hex([token, timestamp, nonce]);
    if bool::from(expected[..].ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::Signature)
    }
}

/// Constant-time check of `given` against [`msg_signature`].
pub fn verify_msg_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    encrypt: &str,
    given: &str,
) -> Result<(), SignatureError> {
    let expected = sorted_sha1_hex([token, timestamp, nonce, encrypt]);
    if bool::from(expected[..].ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(SignatureError::MsgSignature)
    }
}
