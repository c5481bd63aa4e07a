//! The safe-mode chain on any bytes: envelope parse → decrypt → parse inner; the same bytes as
//! ciphertext; and, for UTF-8 input, encrypt → decrypt → parse as a round trip.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use wechat_proto::{parse_message, parse_push_envelope, EncodingAesKey, MessageCrypt};

// Key and appid of most `crypto.json` cases, so seeds from the vectors decrypt.
fuzz_target!(|data: &[u8]| {
    let key =
        EncodingAesKey::parse("ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM").expect("valid key");
    let crypt = MessageCrypt::new(key, "wx0123456789abcdef");

    if let Ok(env) = parse_push_envelope(data) {
        if let Ok(inner) = crypt.decrypt(&env.encrypt) {
            let _ = parse_message(inner.as_bytes());
        }
    }
    if let Ok(inner) = crypt.decrypt(&base64::engine::general_purpose::STANDARD.encode(data)) {
        let _ = parse_message(inner.as_bytes());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let random: [u8; 16] = std::array::from_fn(|i| data.get(i).copied().unwrap_or(0));
        let sealed = crypt.encrypt(text, random);
        assert_eq!(crypt.decrypt(&sealed).as_deref(), Ok(text));
        let _ = parse_message(text.as_bytes());
    }
});
