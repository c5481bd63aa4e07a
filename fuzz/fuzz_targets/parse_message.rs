//! Any bytes through the hardened parser: never panic, and an accepted push survives a
//! reply round trip (render → parse gives back the same content, less the characters XML 1.0
//! forbids: a push may carry them in its Content, and nothing the gateway writes does).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechat_proto::{parse_message, Reply};

/// Whether XML 1.0 allows `c` (its `Char` production; a Rust `char` is never a surrogate).
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fuzz_target!(|data: &[u8]| {
    let Ok(msg) = parse_message(data) else { return };
    assert!(!msg.dedupe_key().as_str().is_empty());
    let _ = (
        msg.scene(),
        msg.location(),
        msg.event(),
        msg.msg_id(),
        msg.is_user_message(),
    );
    // The parties and the kind never hold a forbidden character (such a push is refused).
    for header in [&msg.to_user_name, &msg.from_user_name, &msg.msg_type] {
        assert!(header.chars().all(xml_char), "{header:?} was accepted");
    }
    if msg.to_user_name.is_empty() {
        return; // the reply's FromUserName would be empty, which the parser refuses
    }
    let content = msg.content().unwrap_or("echo").to_owned();
    let reply = Reply::Text {
        content: content.clone(),
    };
    let xml = reply.render(&msg.from_user_name, &msg.to_user_name, msg.create_time);
    let back = parse_message(xml.as_bytes()).expect("our own reply parses");
    assert_eq!(back.to_user_name, msg.from_user_name);
    assert_eq!(back.from_user_name, msg.to_user_name);
    let written = Reply::Text {
        content: content.chars().filter(|c| xml_char(*c)).collect(),
    };
    assert_eq!(Reply::from_message(&back), Some(written));
});
