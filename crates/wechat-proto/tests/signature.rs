//! `signature.json`: every case, and every single-character change fails.
mod common;

use common::{cases, s};
use wechat_proto::{signature, verify_signature, SignatureError};

#[test]
fn every_signature_case_matches() {
    for case in cases("signature") {
        let (token, ts, nonce) = (s(&case, "token"), s(&case, "timestamp"), s(&case, "nonce"));
        let expected = s(&case, "signature");
        assert_eq!(
            signature(token, ts, nonce),
            expected,
            "case {}",
            case["name"]
        );
        if let Some(doc) = case["doc_signature"].as_str() {
            assert_eq!(expected, doc, "case {}", case["name"]);
        }
        assert_eq!(
            verify_signature(token, ts, nonce, expected),
            Ok(()),
            "case {}",
            case["name"]
        );
    }
}

#[test]
fn any_changed_character_is_refused() {
    for case in cases("signature") {
        let (token, ts, nonce) = (s(&case, "token"), s(&case, "timestamp"), s(&case, "nonce"));
        let good = s(&case, "signature");
        for i in 0..good.len() {
            let mut bad = good.as_bytes().to_vec();
            bad[i] = if bad[i] == b'0' { b'1' } else { b'0' };
            let bad = String::from_utf8(bad).expect("hex stays ASCII");
            assert_eq!(
                verify_signature(token, ts, nonce, &bad),
                Err(SignatureError::Signature),
                "case {} position {i}",
                case["name"]
            );
        }
        assert!(verify_signature(token, ts, nonce, &good[..39]).is_err());
        assert!(
            verify_signature(token, ts, nonce, &good.to_uppercase()).is_err()
                || good.chars().all(|c| c.is_ascii_digit())
        );
        assert!(verify_signature(token, ts, nonce, "").is_err());
        // the inputs matter too
        assert!(verify_signature(&format!("{token}x"), ts, nonce, good).is_err());
    }
}
