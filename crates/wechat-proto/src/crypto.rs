//! WXBizMsgCrypt AES-256-CBC.
use crate::error::{CryptoError, KeyError};

/// A validated EncodingAESKey (32-byte AES key). Debug never shows the key.
#[derive(Clone)]
pub struct EncodingAesKey([u8; 32]);

impl EncodingAesKey {
    /// Parse the 43-character console value.
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        todo!("{s}")
    }
}

impl std::fmt::Debug for EncodingAesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncodingAesKey(<redacted>)")
    }
}

/// Encrypts and decrypts message bodies for one appid.
#[derive(Clone, Debug)]
pub struct MessageCrypt {
    key: EncodingAesKey,
    appid: String,
}

impl MessageCrypt {
    /// New for `appid`.
    pub fn new(key: EncodingAesKey, appid: impl Into<String>) -> Self {
        MessageCrypt {
            key,
            appid: appid.into(),
        }
    }
    /// The appid.
    pub fn appid(&self) -> &str {
        &self.appid
    }
    /// Decrypt an `<Encrypt>` value into the inner message (UTF-8 XML).
    pub fn decrypt(&self, encrypt: &str) -> Result<String, CryptoError> {
        let _ = &self.key;
        todo!("{encrypt}")
    }
    /// Encrypt `msg` with the caller-supplied 16 random bytes; returns base64.
    pub fn encrypt(&self, msg: &str, random: [u8; 16]) -> String {
        todo!("{msg}{random:?}")
    }
}
