//! The HMAC key of a webhook (decoded from its configured `secret`) and the two signatures it
//! makes: Standard Webhooks 1.0 and the older `X-Wxgate-Signature`. A leaf: it imports
//! nothing of the crate, so `config` (which decodes the secret) and `webhooks` (which signs
//! deliveries) both import it without importing each other.
//!
//! The key is the base64-decoded remainder of a secret that starts with `whsec_`, else the
//! secret's UTF-8 bytes (contract section 6).
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use secrecy::zeroize::Zeroize as _;
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

/// The prefix of a Standard Webhooks secret whose remainder is the base64 key.
const WHSEC: &str = "whsec_";

/// The HMAC key of a webhook: a [`SecretSlice`], zeroized on drop. `Debug` prints
/// `<redacted>`. Keys are not comparable (no `PartialEq`): nothing needs to compare them, and
/// a comparison of secrets would have to be constant-time.
#[derive(Clone)]
pub struct WebhookKey(SecretSlice<u8>);

/// Why a configured secret gives no key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// the secret is empty (or `whsec_` and nothing)
    #[error("must not be empty")]
    Empty,
    /// `whsec_` followed by something that is not base64
    #[error("starts with whsec_ but the rest is not base64")]
    NotBase64,
}

impl WebhookKey {
    /// The key of a configured secret: `whsec_BASE64` decoded, else its UTF-8 bytes.
    pub fn from_secret(secret: &str) -> Result<Self, KeyError> {
        let key: Box<[u8]> = match secret.strip_prefix(WHSEC) {
            Some(b64) => {
                let mut decoded = STANDARD
                    .decode(b64)
                    .or_else(|_| STANDARD_NO_PAD.decode(b64))
                    .map_err(|_| KeyError::NotBase64)?;
                // Copied into a box of the exact size, then wiped: `into_boxed_slice` could
                // reallocate and leave the key behind in the freed buffer.
                let key = Box::from(decoded.as_slice());
                decoded.zeroize();
                key
            }
            None => Box::from(secret.as_bytes()),
        };
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        Ok(WebhookKey(SecretSlice::from(key)))
    }

    fn mac(&self) -> Hmac<Sha256> {
        match Hmac::<Sha256>::new_from_slice(self.0.expose_secret()) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        }
    }

    /// `sha256=` + lowercase hex HMAC-SHA256 of `body` (the `X-Wxgate-Signature` value).
    pub fn sign_body(&self, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(body);
        format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
    }

    /// `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` (the `webhook-signature` value).
    pub fn sign_standard(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }
}

impl std::fmt::Debug for WebhookKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(secret: &str) -> WebhookKey {
        WebhookKey::from_secret(secret).expect("valid secret")
    }

    #[test]
    fn body_signature_matches_rfc4231_case_2() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?"
        assert_eq!(
            key("Jefe").sign_body(b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn standard_signature_matches_the_reference_example() {
        // The example of the Standard Webhooks reference libraries' tests.
        let k = key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            k.sign_standard("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }

    #[test]
    fn secrets_become_keys() {
        assert_eq!(key("whsec_aGk=").0.expose_secret(), b"hi");
        assert_eq!(
            key("whsec_aGk").0.expose_secret(),
            b"hi",
            "padding is optional"
        );
        assert_eq!(key("plain-secret").0.expose_secret(), b"plain-secret");
        let error = |secret: &str| WebhookKey::from_secret(secret).err();
        assert_eq!(error("whsec_*not*"), Some(KeyError::NotBase64));
        assert_eq!(error("whsec_"), Some(KeyError::Empty));
        assert_eq!(error(""), Some(KeyError::Empty));
        assert_eq!(format!("{:?}", key("plain-secret")), "<redacted>");
    }
}
