//! WXBizMsgCrypt: AES-256-CBC with IV = key[..16], PKCS#7 padding to 32-byte blocks, and the
//! plaintext layout `random(16) ‖ msg_len (u32, big-endian) ‖ msg ‖ appid`.
use aes::cipher::block_padding::NoPadding;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use secrecy::zeroize::Zeroize as _;
use secrecy::{ExposeSecret, SecretBox};

use crate::error::{CryptoError, KeyError};

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

/// PKCS#7 block size of WXBizMsgCrypt (not AES's 16).
const PAD_BLOCK: usize = 32;
/// random(16) + msg_len(4).
const HEADER_LEN: usize = 20;
/// Length of the console value.
const KEY_CHARS: usize = 43;

/// The console key has 43 characters, so its last one carries 2 unused bits: official keys
/// (e.g. `...ABCDEFG`) leave them non-zero, which the strict standard engine refuses.
const KEY_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone),
);

/// A validated EncodingAESKey (32-byte AES key). Debug never shows the key.
///
/// The key lives on the heap in a [`SecretBox`] (the `secrecy` crate, `no_std`, no I/O): it is
/// zeroized when dropped (a clone is a box of its own), and moving an `EncodingAesKey` or a
/// [`MessageCrypt`] moves a pointer, not the key bytes.
pub struct EncodingAesKey(SecretBox<[u8; 32]>);

impl EncodingAesKey {
    /// Parse the 43-character console value (`[A-Za-z0-9+/]{43}`, decoding to 32 bytes).
    pub fn parse(s: &str) -> Result<Self, KeyError> {
        if s.len() != KEY_CHARS {
            return Err(KeyError::Length(s.chars().count()));
        }
        let mut bytes = KEY_ENGINE.decode(s).map_err(|_| KeyError::Base64)?;
        let key = (bytes.len() == 32).then(|| Self::from_bytes(&bytes));
        bytes.zeroize();
        key.ok_or(KeyError::Base64)
    }

    /// A boxed copy of `bytes` (exactly 32), written in place so no copy is left on the stack.
    fn from_bytes(bytes: &[u8]) -> Self {
        EncodingAesKey(SecretBox::init_with_mut(|key: &mut [u8; 32]| {
            key.copy_from_slice(bytes)
        }))
    }

    fn key(&self) -> &[u8] {
        &self.0.expose_secret()[..]
    }

    fn iv(&self) -> &[u8] {
        &self.0.expose_secret()[..16]
    }
}

impl Clone for EncodingAesKey {
    fn clone(&self) -> Self {
        Self::from_bytes(self.key())
    }
}

/// Constant-time, like every comparison of secrets here.
impl PartialEq for EncodingAesKey {
    fn eq(&self, other: &Self) -> bool {
        subtle::ConstantTimeEq::ct_eq(self.key(), other.key()).into()
    }
}

impl Eq for EncodingAesKey {}

impl std::fmt::Debug for EncodingAesKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncodingAesKey(<redacted>)")
    }
}

/// Encrypts and decrypts message bodies for one appid.
#[derive(Clone, Debug, PartialEq, Eq)]
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

    /// The same key for another appid.
    pub fn with_appid(&self, appid: impl Into<String>) -> Self {
        MessageCrypt::new(self.key.clone(), appid)
    }

    /// The appid.
    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// Decrypt an `<Encrypt>` value into the inner message (UTF-8 XML).
    ///
    /// Strict: canonical base64; ciphertext a multiple of 16 bytes and at least 32; PKCS#7 pad
    /// value 1..=32 with every pad byte equal to it; a length prefix that fits; the trailing
    /// appid equal to this one exactly; a UTF-8 message.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, CryptoError> {
        if encrypt.is_empty() {
            return Err(CryptoError::Base64);
        }
        let mut buf = STANDARD.decode(encrypt).map_err(|_| CryptoError::Base64)?;
        let len = buf.len();
        if len < PAD_BLOCK || len % 16 != 0 {
            return Err(CryptoError::CiphertextLength(len));
        }
        Aes256CbcDec::new(self.key.key().into(), self.key.iv().into())
            .decrypt_padded_mut::<NoPadding>(&mut buf)
            .map_err(|_| CryptoError::CiphertextLength(len))?;

        let pad = usize::from(buf[len - 1]);
        if !(1..=PAD_BLOCK).contains(&pad)
            || buf[len - pad..].iter().any(|&b| usize::from(b) != pad)
        {
            return Err(CryptoError::Padding);
        }
        let content_len = len - pad;
        if content_len < HEADER_LEN {
            return Err(CryptoError::Length);
        }
        let msg_len = u32::from_be_bytes([buf[16], buf[17], buf[18], buf[19]]) as usize;
        if msg_len > content_len - HEADER_LEN {
            return Err(CryptoError::Length);
        }
        let msg_end = HEADER_LEN + msg_len;
        if &buf[msg_end..content_len] != self.appid.as_bytes() {
            return Err(CryptoError::AppId);
        }
        buf.truncate(msg_end);
        buf.drain(..HEADER_LEN);
        String::from_utf8(buf).map_err(|_| CryptoError::Utf8)
    }

    /// Encrypt `msg` with the caller-supplied 16 random bytes; returns base64.
    ///
    /// # Panics
    ///
    /// If `msg` is longer than `u32::MAX` bytes (the length prefix is 4 bytes).
    pub fn encrypt(&self, msg: &str, random: [u8; 16]) -> String {
        let msg_len =
            u32::try_from(msg.len()).expect("WXBizMsgCrypt messages are shorter than 4 GiB");
        let unpadded = HEADER_LEN + msg.len() + self.appid.len();
        let pad = PAD_BLOCK - unpadded % PAD_BLOCK;
        let mut buf = Vec::with_capacity(unpadded + pad);
        buf.extend_from_slice(&random);
        buf.extend_from_slice(&msg_len.to_be_bytes());
        buf.extend_from_slice(msg.as_bytes());
        buf.extend_from_slice(self.appid.as_bytes());
        // pad is in 1..=32, so it fits in a byte.
        buf.resize(unpadded + pad, pad as u8);
        let total = buf.len();
        // NoPadding on a buffer that is already a multiple of the block size cannot fail.
        let _ = Aes256CbcEnc::new(self.key.key().into(), self.key.iv().into())
            .encrypt_padded_mut::<NoPadding>(&mut buf, total);
        STANDARD.encode(&buf)
    }
}
