//! `X-Wxgate-Signature: sha256=HEX(HMAC-SHA256(secret, body))`.
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Header carrying the body signature.
pub const SIGNATURE_HEADER: &str = "X-Wxgate-Signature";
/// Header carrying the event id.
pub const EVENT_ID_HEADER: &str = "X-Wxgate-Event-Id";

/// `sha256=` + lowercase hex HMAC-SHA256 of `body` under `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so new_from_slice cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            super::sign("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
