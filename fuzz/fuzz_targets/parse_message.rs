//! Any bytes through the hardened parser: never panic, and an accepted push survives a
//! reply round trip (render → parse gives back the same content).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wechat_proto::{parse_message, Reply};

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
    if msg.to_user_name.is_empty() {
        return; // the reply's FromUserName would be empty, which the parser refuses
    }
    let content = msg.content().unwrap_or("echo").to_owned();
    let reply = Reply::Text { content };
    let xml = reply.render(&msg.from_user_name, &msg.to_user_name, msg.create_time);
    let back = parse_message(xml.as_bytes()).expect("our own reply parses");
    assert_eq!(Reply::from_message(&back), Some(reply));
});
