//! [`Sealer`]: refresh tokens encrypted at rest — AES-256-GCM under a key derived from
//! `component_appsecret` with HKDF-SHA256 (a fixed `info` label), a random 96-bit nonce per
//! value, the appid as associated data (a value moved to another account's row does not
//! open). Stored as `nonce || ciphertext+tag`.
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use rand::RngCore;
use secrecy::SecretString;
use sha2::Sha256;

/// The HKDF `info` of the refresh-token key: changing it makes every stored value unreadable.
const INFO: &[u8] = b"wxgate open_platform refresh_token v1";
/// Bytes of the nonce in front of each sealed value.
const NONCE: usize = 12;

/// Seals and opens refresh tokens with the key of one `component_appsecret`.
pub struct Sealer {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(<key redacted>)")
    }
}

impl Sealer {
    /// The sealer of the key derived from `component_appsecret`.
    pub fn new(component_appsecret: &str) -> Self {
        let hk = Hkdf::<Sha256>::new(None, component_appsecret.as_bytes());
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's limit (255 × 32): it cannot fail.
        if hk.expand(INFO, &mut key).is_err() {
            unreachable!("HKDF-SHA256 gives 32 bytes");
        }
        let cipher = Aes256Gcm::new(&key.into());
        key.fill(0);
        Sealer { cipher }
    }

    /// `token` sealed for `appid`: a fresh random nonce, then the ciphertext and tag.
    pub fn seal(&self, appid: &str, token: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE];
        rand::thread_rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: token.as_bytes(),
            aad: appid.as_bytes(),
        };
        // Encryption fails only for inputs past GCM's limit (64 GiB): a token never is.
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// The token `sealed` holds for `appid`, or None when it does not open (another key,
    /// another appid, damaged bytes).
    pub fn open(&self, appid: &str, sealed: &[u8]) -> Option<SecretString> {
        if sealed.len() <= NONCE {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE);
        let payload = Payload {
            msg: body,
            aad: appid.as_bytes(),
        };
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .ok()?;
        String::from_utf8(plain).ok().map(SecretString::from)
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn a_sealed_token_opens_for_its_appid_under_its_key_only() {
        let sealer = Sealer::new("component-secret");
        let sealed = sealer.seal("wxa", "refresh@@@1");
        assert!(!sealed.windows(b"refresh".len()).any(|w| w == b"refresh"));
        let opened = sealer.open("wxa", &sealed);
        assert!(opened.is_some_and(|t| t.expose_secret() == "refresh@@@1"));
        assert!(
            sealer.open("wxb", &sealed).is_none(),
            "moved to another row"
        );
        assert!(Sealer::new("other").open("wxa", &sealed).is_none());
        let mut damaged = sealed.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert!(sealer.open("wxa", &damaged).is_none());
        assert!(sealer.open("wxa", b"short").is_none());
        assert_ne!(
            sealer.seal("wxa", "refresh@@@1"),
            sealed,
            "a fresh nonce each time"
        );
    }
}
