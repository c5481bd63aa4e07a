//! `hostile.json`: rebuilt bodies; the 400s refused, the 200s accepted, the 413s never panic.
mod common;

use base64::Engine as _;
use common::{cases, s};
use serde_json::Value;
use sha2::{Digest, Sha256};
use wechat_proto::{
    parse_message, parse_push_envelope, verify_msg_signature, EncodingAesKey, MessageCrypt,
    ProtoError,
};

fn body(case: &Value) -> Vec<u8> {
    let bytes = if let Some(b64) = case["body_b64"].as_str() {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("body_b64 decodes")
    } else {
        let recipe = case["body_recipe"]
            .as_array()
            .expect("body_b64 or body_recipe");
        let mut out = String::new();
        for step in recipe {
            let count = step[1].as_u64().expect("count") as usize;
            out.push_str(&step[0].as_str().expect("piece").repeat(count));
        }
        out.into_bytes()
    };
    assert_eq!(
        bytes.len() as u64,
        case["body_len"].as_u64().expect("body_len"),
        "case {}",
        case["name"]
    );
    assert_eq!(
        hex::encode(Sha256::digest(&bytes)),
        s(case, "body_sha256"),
        "case {}",
        case["name"]
    );
    bytes
}

fn handle(case: &Value, body: &[u8]) -> Result<(), ProtoError> {
    if case["mode"] == "safe" {
        let q = &case["query"];
        let env = parse_push_envelope(body)?;
        verify_msg_signature(
            s(case, "token"),
            s(q, "timestamp"),
            s(q, "nonce"),
            &env.encrypt,
            s(q, "msg_signature"),
        )?;
        let key = EncodingAesKey::parse(s(case, "encoding_aes_key")).expect("key");
        let inner = MessageCrypt::new(key, s(case, "appid")).decrypt(&env.encrypt)?;
        parse_message(inner.as_bytes())?;
    } else {
        parse_message(body)?;
    }
    Ok(())
}

/// The refusal each kind of case must get (checked on the error's Debug text).
fn reason(name: &str) -> Option<&'static str> {
    Some(match name {
        n if n.contains("xxe") || n.contains("doctype") || n.contains("entit") => "Doctype",
        "billion_laughs" | "quadratic_blowup" => "Doctype",
        "deeply_nested_5000" => "TooDeep",
        n if n.starts_with("missing_") => "MissingElement",
        "empty_fromusername" | "createtime_not_integer" | "control_character_in_tousername" => {
            "InvalidValue"
        }
        "non_utf8_bytes" | "declared_gbk" => "NotUtf8",
        n if n.starts_with("duplicate_") => "DuplicateElement",
        "root_not_xml" => "RootNotXml",
        "empty_body" => "Empty",
        n if n.starts_with("malformed_") || n == "two_root_elements" || n == "not_xml_json" => {
            "Malformed"
        }
        "nul_character_reference" => "character",
        _ => return None,
    })
}

#[test]
fn every_hostile_case() {
    let mut seen = [0; 3];
    for case in cases("hostile") {
        let name = &case["name"];
        let body = body(&case);
        let result = handle(&case, &body);
        if let Some(why) = reason(name.as_str().unwrap_or("")) {
            assert!(
                format!("{result:?}").contains(why),
                "case {name}: {result:?}, want {why}"
            );
        }
        match case["expected_status"].as_u64() {
            Some(200) => {
                seen[0] += 1;
                assert!(result.is_ok(), "case {name} must be accepted: {result:?}");
            }
            Some(400) => {
                seen[1] += 1;
                let err = result.expect_err(&format!("case {name} must be refused"));
                assert_eq!(err.http_status(), 400, "case {name}: {err}");
            }
            Some(413) => seen[2] += 1, // the gateway's body limit; here it only must not panic
            other => panic!("case {name}: status {other:?}"),
        }
    }
    assert!(seen.iter().all(|&n| n > 0), "{seen:?}");
}

#[test]
fn inner_doctype_is_refused_after_decryption() {
    let all = cases("hostile");
    let case = all
        .iter()
        .find(|c| c["name"] == "safe_mode_xxe_inside_ciphertext")
        .expect("case");
    let env = parse_push_envelope(&body(case)).expect("the envelope itself is clean");
    let key = EncodingAesKey::parse(s(case, "encoding_aes_key")).expect("key");
    let inner = MessageCrypt::new(key, s(case, "appid"))
        .decrypt(&env.encrypt)
        .expect("decrypts");
    assert_eq!(
        parse_message(inner.as_bytes()).map(|_| ()),
        Err(wechat_proto::XmlError::Doctype)
    );
}
