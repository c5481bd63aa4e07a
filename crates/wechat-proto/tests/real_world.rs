//! `real_world.json`: padded header elements and CreateTime in milliseconds (contract section 3).
mod common;

use common::{cases, s};
use serde_json::Value;
use wechat_proto::parse_message;

#[test]
fn every_real_world_case() {
    let all = cases("real_world");
    for case in &all {
        let name = &case["name"];
        let msg =
            parse_message(s(case, "xml").as_bytes()).unwrap_or_else(|e| panic!("case {name}: {e}"));
        let fields = serde_json::to_value(&msg.fields).expect("fields serialize");
        assert_eq!(fields, case["fields"], "case {name}");
        assert_eq!(msg.msg_type(), s(case, "msg_type"), "case {name}");
        assert_eq!(msg.event(), case["event"].as_str(), "case {name}");
        assert_eq!(msg.from_user_name, s(case, "openid"), "case {name}");
        assert_eq!(msg.to_user_name, "gh_0123456789ab", "case {name}");
        assert_eq!(
            Some(msg.create_time),
            case["create_time"].as_i64(),
            "case {name}"
        );
        assert_eq!(msg.scene(), case["scene"].as_str(), "case {name}");
        assert_eq!(msg.content(), case["content"].as_str(), "case {name}");
        let location = msg
            .location()
            .map(|(lat, lng, p)| serde_json::json!([lat, lng, p]));
        assert_eq!(
            location.unwrap_or(Value::Null),
            case["location"],
            "case {name}"
        );
        assert_eq!(
            msg.dedupe_key().as_str(),
            s(case, "dedupe_key"),
            "case {name}"
        );
    }
    assert!(all.len() >= 6, "the file lost cases");
}

#[test]
fn padded_and_tidy_pushes_are_the_same_push() {
    let tidy = "<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime><MsgType>event</MsgType><Event>subscribe</Event></xml>";
    let padded = "<xml><ToUserName> <![CDATA[gh_1]]> </ToUserName><FromUserName> <![CDATA[o1]]> </FromUserName><CreateTime> 1700000000 </CreateTime><MsgType> <![CDATA[event]]> </MsgType><Event> <![CDATA[subscribe]]> </Event></xml>";
    let a = parse_message(tidy.as_bytes()).expect("tidy parses");
    let b = parse_message(padded.as_bytes()).expect("padded parses");
    assert_eq!(a, b);
    assert_eq!(
        a.dedupe_key(),
        b.dedupe_key(),
        "a padded resend is a resend"
    );
}

#[test]
fn milliseconds_keep_pushes_apart_and_stay_in_range() {
    let at = |ct: &str| {
        parse_message(format!("<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>{ct}</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>k</EventKey></xml>").as_bytes())
            .expect("parses")
    };
    let (a, b) = (at("1700000000001"), at("1700000000002"));
    assert_eq!(
        (a.create_time, b.create_time),
        (1_700_000_000, 1_700_000_000)
    );
    assert_ne!(a.dedupe_key(), b.dedupe_key());
    assert_eq!(at("100000000000").create_time, 100_000_000);
    assert_eq!(
        at("-5").create_time,
        -5,
        "small negative values stay seconds"
    );
    assert_eq!(at(&i64::MAX.to_string()).create_time, i64::MAX / 1000);
    assert_eq!(
        at(&i64::MIN.to_string()).create_time,
        i64::MIN.div_euclid(1000)
    );
}
