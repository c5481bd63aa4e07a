//! Builders for test writes.
use chrono::{DateTime, Utc};

use crate::store::{FollowerEffect, PushWrite};

/// 2024-05-01T00:00:00Z plus `secs` seconds.
pub(super) fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_714_521_600 + secs, 0).expect("in range")
}

/// A push from `openid` with dedupe key `key`, received at `at(secs)`, with `effect`;
/// raw XML, fields and reply all hold the openid (as real ones do).
pub(super) fn push(openid: &str, key: &str, secs: i64, effect: FollowerEffect) -> PushWrite {
    let (msg_type, event) = match &effect {
        FollowerEffect::Subscribe { .. } => ("event", Some("subscribe")),
        FollowerEffect::Scan { .. } => ("event", Some("SCAN")),
        FollowerEffect::Location { .. } => ("event", Some("LOCATION")),
        FollowerEffect::Forget => ("event", Some("unsubscribe")),
        FollowerEffect::Touch => ("text", None),
    };
    PushWrite {
        dedupe_key: key.to_string(),
        openid: openid.to_string(),
        msg_type: msg_type.to_string(),
        event: event.map(str::to_string),
        event_key: None,
        create_time: at(secs).timestamp(),
        received_at: at(secs),
        fields_json: format!(r#"{{"FromUserName":"{openid}","Content":"hello"}}"#),
        raw_xml: format!(
            "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[{openid}]]>\
             </FromUserName><CreateTime>{secs}</CreateTime><MsgType><![CDATA[{msg_type}]]>\
             </MsgType></xml>"
        ),
        reply: Some(format!(
            "<xml><ToUserName><![CDATA[{openid}]]></ToUserName></xml>"
        )),
        effect,
        deliveries: Vec::new(),
    }
}

/// A text push (Touch).
pub(super) fn text(openid: &str, key: &str, secs: i64) -> PushWrite {
    push(openid, key, secs, FollowerEffect::Touch)
}
