//! Third-party platform events: the vectors of tests/data/component.json.
mod common;

use common::{cases, random16, s};
use serde_json::Value;
use wechat_proto::{
    msg_signature, parse_platform_event, parse_push_envelope, render_platform_envelope, signature,
    verify_msg_signature, CryptoError, EncodingAesKey, MessageCrypt, PlatformEvent,
};

fn of_type(kind: &str) -> Vec<Value> {
    cases("component")
        .into_iter()
        .filter(|case| case["type"] == kind)
        .collect()
}

fn crypt(case: &Value) -> MessageCrypt {
    let key = EncodingAesKey::parse(s(case, "encoding_aes_key")).expect("vector key is valid");
    MessageCrypt::new(key, s(case, "component_appid"))
}

/// The event as the JSON shape of the vectors' `expected`.
fn as_expected(event: &PlatformEvent) -> Value {
    let mut value = match event {
        PlatformEvent::VerifyTicket {
            create_time,
            ticket,
            ..
        } => {
            serde_json::json!({"kind": "VerifyTicket", "create_time": create_time, "ticket": ticket})
        }
        PlatformEvent::Authorized {
            authorizer_appid,
            code,
            code_expires_at,
            pre_auth_code,
            updated,
            ..
        } => serde_json::json!({
            "kind": "Authorized", "authorizer_appid": authorizer_appid, "code": code,
            "code_expires_at": code_expires_at, "pre_auth_code": pre_auth_code, "updated": updated,
        }),
        PlatformEvent::Unauthorized {
            authorizer_appid, ..
        } => serde_json::json!({"kind": "Unauthorized", "authorizer_appid": authorizer_appid}),
        PlatformEvent::Other { .. } => serde_json::json!({"kind": "Other"}),
        _ => serde_json::json!({"kind": "unknown to this test"}),
    };
    value["appid"] = event.appid().into();
    value["info_type"] = event.info_type().into();
    value
}

#[test]
fn every_event_parses_as_expected() {
    let events = of_type("event");
    assert!(events.len() >= 6);
    for case in events {
        let event = parse_platform_event(s(&case, "xml").as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        assert_eq!(as_expected(&event), case["expected"], "{}", case["name"]);
    }
}

#[test]
fn events_without_their_header_are_refused_with_the_rule_broken() {
    for case in of_type("refused") {
        let err = parse_platform_event(s(&case, "xml").as_bytes()).err();
        assert_eq!(
            err.map(|e| e.to_string()).as_deref(),
            Some(s(&case, "error")),
            "{}",
            case["name"]
        );
    }
}

#[test]
fn sealed_events_verify_decrypt_and_name_the_component_in_the_envelope() {
    let sealed = of_type("sealed");
    assert_eq!(sealed.len(), 5);
    for case in sealed {
        let name = &case["name"];
        let crypt = crypt(&case);
        assert_eq!(
            crypt.encrypt(s(&case, "plaintext"), random16(&case)),
            s(&case, "encrypt"),
            "{name}: encrypt"
        );
        let (token, timestamp, nonce) =
            (s(&case, "token"), s(&case, "timestamp"), s(&case, "nonce"));
        assert_eq!(signature(token, timestamp, nonce), s(&case, "signature"));
        let envelope = parse_push_envelope(s(&case, "envelope_xml").as_bytes())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        verify_msg_signature(
            token,
            timestamp,
            nonce,
            &envelope.encrypt,
            s(&case, "msg_signature"),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let plain = crypt
            .decrypt(&envelope.encrypt)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(plain, s(&case, "plaintext"), "{name}");
        if name == "sealed_account_push" {
            assert_eq!(envelope.app_id, None);
            assert_eq!(envelope.to_user_name.as_deref(), Some("gh_3c884a361561"));
        } else {
            assert_eq!(
                envelope.app_id.as_deref(),
                Some(s(&case, "component_appid"))
            );
            assert_eq!(envelope.to_user_name, None);
            let event = parse_platform_event(plain.as_bytes()).expect("event parses");
            assert_eq!(event.appid(), s(&case, "component_appid"));
            assert_eq!(
                render_platform_envelope(s(&case, "component_appid"), s(&case, "encrypt")),
                s(&case, "envelope_xml")
            );
        }
        // An account's key and appid (not the component's) does not open a platform's push.
        let account = crypt.with_appid("wx570bc396a51b8ff8");
        assert_eq!(account.decrypt(&envelope.encrypt), Err(CryptoError::AppId));
        // A changed Encrypt fails the signature.
        let other = msg_signature(token, timestamp, nonce, &format!("{}A", envelope.encrypt));
        assert_ne!(other, s(&case, "msg_signature"));
    }
}

#[test]
fn rendered_events_parse_back_to_themselves() {
    for case in of_type("event") {
        let event = parse_platform_event(s(&case, "xml").as_bytes()).expect("parses");
        let again = parse_platform_event(event.render(1_700_000_000).as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]));
        match (&event, &again) {
            (PlatformEvent::Other { .. }, PlatformEvent::Other { .. }) => {
                assert_eq!(event.info_type(), again.info_type())
            }
            _ => assert_eq!(event, again, "{}", case["name"]),
        }
    }
}

#[test]
fn debug_leaves_out_the_ticket_and_the_code() {
    for case in of_type("event") {
        let event = parse_platform_event(s(&case, "xml").as_bytes()).expect("parses");
        let shown = format!("{event:?}");
        assert!(
            !shown.contains("ticket@@@") && !shown.contains("queryauthcode@@@"),
            "{shown}"
        );
        assert!(shown.contains(event.appid()), "{shown}");
    }
}
