//! `crypto.json` and `crypto_bad.json`.
mod common;

use common::{cases, hex_bytes, random16, s};
use wechat_proto::{
    open_reply_envelope, parse_message, parse_push_envelope, render_push_envelope, seal_reply,
    verify_msg_signature, CryptoError, EncodingAesKey, KeyError, MessageCrypt, ProtoError,
    SignatureError,
};

fn crypt(case: &serde_json::Value) -> MessageCrypt {
    let key = EncodingAesKey::parse(s(case, "encoding_aes_key")).expect("vector keys are valid");
    MessageCrypt::new(key, s(case, "appid"))
}

#[test]
fn encrypt_reproduces_every_case_byte_for_byte() {
    for case in cases("crypto") {
        let got = crypt(&case).encrypt(s(&case, "plaintext"), random16(&case));
        assert_eq!(got, s(&case, "encrypt"), "case {}", case["name"]);
    }
}

#[test]
fn push_envelope_verifies_and_decrypts() {
    for case in cases("crypto") {
        let name = &case["name"];
        let env =
            parse_push_envelope(s(&case, "push_envelope_xml").as_bytes()).expect("envelope parses");
        assert_eq!(env.encrypt, s(&case, "encrypt"), "case {name}");
        assert_eq!(
            render_push_envelope(env.to_user_name.as_deref().unwrap_or(""), &env.encrypt),
            s(&case, "push_envelope_xml"),
            "case {name}"
        );
        verify_msg_signature(
            s(&case, "token"),
            s(&case, "timestamp"),
            s(&case, "nonce"),
            &env.encrypt,
            s(&case, "msg_signature"),
        )
        .unwrap_or_else(|e| panic!("case {name}: {e}"));
        assert_eq!(
            crypt(&case).decrypt(&env.encrypt).as_deref(),
            Ok(s(&case, "plaintext")),
            "case {name}"
        );
    }
}

#[test]
fn reply_envelope_is_reproduced_and_opens() {
    for case in cases("crypto") {
        let name = &case["name"];
        let c = crypt(&case);
        let (token, ts, nonce) = (s(&case, "token"), s(&case, "timestamp"), s(&case, "nonce"));
        let sealed = seal_reply(&c, token, s(&case, "plaintext"), ts, nonce, random16(&case));
        assert_eq!(sealed, s(&case, "reply_envelope_xml"), "case {name}");
        let opened = open_reply_envelope(&c, token, s(&case, "reply_envelope_xml").as_bytes());
        assert_eq!(opened.as_deref(), Ok(s(&case, "plaintext")), "case {name}");
        let wrong_token = open_reply_envelope(&c, "other-token", sealed.as_bytes());
        assert_eq!(
            wrong_token,
            Err(ProtoError::Signature(SignatureError::MsgSignature))
        );
    }
}

#[test]
fn intermediates_match() {
    for case in cases("crypto") {
        let plaintext = s(&case, "plaintext");
        let prefix = hex_bytes(&case, "length_prefix_hex");
        assert_eq!(
            prefix,
            (plaintext.len() as u32).to_be_bytes(),
            "case {}",
            case["name"]
        );
        assert_eq!(case["msg_len_bytes"].as_u64(), Some(plaintext.len() as u64));
        let decrypted = hex_bytes(&case, "decrypted_hex");
        let pad = case["pad_len"].as_u64().expect("pad_len") as usize;
        assert_eq!(decrypted.len() % 32, 0);
        assert!(decrypted[decrypted.len() - pad..]
            .iter()
            .all(|&b| b as usize == pad));
    }
}

#[test]
fn bad_envelopes_are_refused_with_the_right_status() {
    for case in cases("crypto_bad") {
        let name = &case["name"];
        let status = case["http_status"].as_u64().expect("http_status");
        let result = (|| -> Result<(), ProtoError> {
            let env = parse_push_envelope(s(&case, "push_envelope_xml").as_bytes())?;
            verify_msg_signature(
                s(&case, "token"),
                s(&case, "timestamp"),
                s(&case, "nonce"),
                &env.encrypt,
                s(&case, "msg_signature"),
            )?;
            let inner = crypt(&case).decrypt(&env.encrypt)?;
            parse_message(inner.as_bytes())?;
            Ok(())
        })();
        let err = result.expect_err(&format!("case {name} must be refused"));
        assert_eq!(u64::from(err.http_status()), status, "case {name}: {err}");
    }
}

#[test]
fn bad_envelopes_fail_for_the_stated_reason() {
    let expected = [
        ("wrong_appid", CryptoError::AppId),
        ("appid_with_trailing_garbage", CryptoError::AppId),
        ("padding_byte_zero", CryptoError::Padding),
        ("padding_byte_33", CryptoError::Padding),
        ("padding_bytes_inconsistent", CryptoError::Padding),
        ("length_field_too_large", CryptoError::Length),
        ("length_field_too_small", CryptoError::AppId),
        (
            "truncated_not_block_multiple",
            CryptoError::CiphertextLength(315),
        ),
        ("single_block", CryptoError::CiphertextLength(16)),
        ("encrypt_not_base64", CryptoError::Base64),
    ];
    let all = cases("crypto_bad");
    for (name, err) in expected {
        let case = all
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no case {name}"));
        let env =
            parse_push_envelope(s(case, "push_envelope_xml").as_bytes()).expect("envelope parses");
        assert_eq!(crypt(case).decrypt(&env.encrypt), Err(err), "case {name}");
    }
}

#[test]
fn key_validation() {
    assert!(EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").is_ok());
    assert_eq!(
        EncodingAesKey::parse("short").map(|_| ()),
        Err(KeyError::Length(5))
    );
    assert_eq!(
        EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEF=").map(|_| ()),
        Err(KeyError::Base64)
    );
    assert_eq!(
        EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDE*G").map(|_| ()),
        Err(KeyError::Base64)
    );
    let key = EncodingAesKey::parse("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG").expect("valid");
    let debug = format!("{:?}", MessageCrypt::new(key, "wx1"));
    assert!(
        !debug.contains("abcdefghij") && debug.contains("redacted"),
        "{debug}"
    );
}
