//! `messages.json`: fields JSON, msg_type, event, scene and dedupe key of every push type.
mod common;

use common::{cases, s};
use serde_json::Value;
use wechat_proto::message::SendPicsInfo;
use wechat_proto::{parse_message, Event, MessageKind};

/// The key the crate promises for the dedupe parts of a vector.
fn expected_key(parts: &Value) -> String {
    match parts["kind"].as_str() {
        Some("message") => s(parts, "MsgId").to_owned(),
        Some("event") => {
            let part = |k: &str| parts[k].as_str().unwrap_or("").to_owned();
            ["FromUserName", "CreateTime", "Event", "EventKey"]
                .iter()
                .fold("ev:".to_owned(), |acc, k| {
                    let p = part(k);
                    format!("{acc}{}:{p}", p.len())
                })
        }
        other => panic!("unknown dedupe kind {other:?}"),
    }
}

#[test]
fn every_message_case() {
    for case in cases("messages") {
        let name = &case["name"];
        let msg = parse_message(s(&case, "xml").as_bytes())
            .unwrap_or_else(|e| panic!("case {name}: {e}"));
        let fields = serde_json::to_value(&msg.fields).expect("fields serialize");
        assert_eq!(fields, case["fields"], "case {name}");
        assert_eq!(msg.msg_type(), s(&case, "msg_type"), "case {name}");
        assert_eq!(msg.event(), case["event"].as_str(), "case {name}");
        assert_eq!(msg.scene(), case["scene"].as_str(), "case {name}");
        assert_eq!(
            msg.dedupe_key().as_str(),
            expected_key(&case["dedupe_key"]),
            "case {name}"
        );
        assert_eq!(msg.from_user_name, fields["FromUserName"], "case {name}");
        assert_eq!(msg.create_time, 1_700_000_000, "case {name}");
        let typed_known = !matches!(
            msg.kind,
            MessageKind::Unknown | MessageKind::Event(Event::Unknown)
        );
        assert_eq!(
            typed_known,
            *name != "unknown_msgtype_must_be_accepted",
            "case {name}: {:?}",
            msg.kind
        );
        let user = [
            "text",
            "image",
            "voice",
            "video",
            "shortvideo",
            "location",
            "link",
        ]
        .contains(&msg.msg_type());
        assert_eq!(msg.is_user_message(), user, "case {name}");
        assert_eq!(msg.msg_id().is_some(), user, "case {name}");
    }
}

fn case_msg(name: &str) -> wechat_proto::Message {
    let all = cases("messages");
    let case = all
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"));
    parse_message(s(case, "xml").as_bytes()).expect("vector parses")
}

#[test]
fn typed_payloads() {
    assert_eq!(case_msg("text").content(), Some("this is a test 你好"));
    assert_eq!(case_msg("text").msg_id(), Some(1234567890123456));
    assert_eq!(
        case_msg("location_event").location(),
        Some((23.137466, 113.352425, 119.385040))
    );
    assert_eq!(
        case_msg("location").location(),
        None,
        "a location message is not the LOCATION event"
    );
    assert!(matches!(
        case_msg("voice_with_recognition").kind,
        MessageKind::Voice { recognition: Some(ref r), .. } if r == "腾讯微信团队"
    ));
    assert!(matches!(
        case_msg("voice").kind,
        MessageKind::Voice {
            recognition: None,
            ..
        }
    ));
    assert!(matches!(
        case_msg("subscribe_qrscene_str").kind,
        MessageKind::Event(Event::Subscribe { scene: Some(ref s), ticket: Some(_) }) if s == "poster-2024_a"
    ));
    assert_eq!(case_msg("subscribe").event_key(), None);
    assert_eq!(case_msg("subscribe_empty_eventkey").event_key(), Some(""));
    match case_msg("pic_photo_or_album_two_pictures").kind {
        MessageKind::Event(Event::PicPhotoOrAlbum {
            pics: SendPicsInfo {
                count,
                pic_md5_sums,
            },
            ..
        }) => {
            assert_eq!(count, 2);
            assert_eq!(
                pic_md5_sums,
                [
                    "5a75aaca956d97be686719218f275c6b",
                    "1b5f7c23b5bf75682a53e7b6d163e185"
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    match case_msg("location_select").kind {
        MessageKind::Event(Event::LocationSelect { info, .. }) => {
            assert_eq!(
                info.label, " 广州市海珠区客村艺苑路 106号",
                "whitespace is kept"
            );
            assert_eq!((info.latitude, info.longitude), (23.0, 113.0));
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        case_msg("masssendjobfinish").kind,
        MessageKind::Event(Event::MassSendJobFinish { msg_id: 1000001625, ref status, .. }) if status == "err(30003)"
    ));
    assert!(matches!(
        case_msg("view").kind,
        MessageKind::Event(Event::View { .. })
    ));
    assert!(matches!(
        case_msg("view_miniprogram").kind,
        MessageKind::Event(Event::ViewMiniprogram { .. })
    ));
}

const HEADER: &str = "<ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1700000000</CreateTime>";

fn push(rest: &str) -> wechat_proto::Message {
    parse_message(format!("<xml>{HEADER}{rest}</xml>").as_bytes()).expect("push accepted")
}

#[test]
fn malformed_optional_fields_do_not_reject_the_push() {
    let msg = push("<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>north</Latitude><Longitude>1</Longitude><Precision>1</Precision>");
    assert_eq!(msg.kind, MessageKind::Event(Event::Unknown));
    assert_eq!(msg.location(), None);
    assert_eq!(msg.event(), Some("LOCATION"));
    let msg = push("<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>NaN</Latitude><Longitude>1</Longitude><Precision>1</Precision>");
    assert_eq!(msg.location(), None);
    let msg = push("<MsgType>text</MsgType><Content>hi</Content><MsgId>not-a-number</MsgId>");
    assert_eq!(msg.kind, MessageKind::Unknown);
    assert_eq!(msg.content(), None);
    assert!(msg.dedupe_key().as_str().starts_with("ev:"));
}

#[test]
fn event_names_match_case_insensitively() {
    let msg = push("<MsgType>event</MsgType><Event>scan</Event><EventKey>7</EventKey>");
    assert_eq!(msg.scene(), Some("7"));
    assert_eq!(msg.event(), Some("scan"), "event() is as sent");
}

#[test]
fn dedupe_keys_are_unambiguous() {
    let a = push("<MsgType>event</MsgType><Event>CLICK</Event><EventKey>a1:b</EventKey>");
    let b = push("<MsgType>event</MsgType><Event>CLICKa</Event><EventKey>1:b</EventKey>");
    assert_ne!(a.dedupe_key(), b.dedupe_key());
    assert_eq!(a.dedupe_key().as_str(), "ev:2:o110:17000000005:CLICK4:a1:b");
    let unknown = push("<MsgType>future</MsgType>");
    assert_eq!(unknown.dedupe_key().as_str(), "ev:2:o110:17000000000:0:");
    let with_id = push("<MsgType>miniprogrampage</MsgType><MsgId>77</MsgId>");
    assert_eq!(with_id.dedupe_key().as_str(), "77");
}

#[test]
fn nested_duplicates_become_lists_and_items_are_lists() {
    let msg = push("<MsgType>x</MsgType><A><B>1</B><B>2</B><item>i</item></A>");
    let json = serde_json::to_value(&msg.fields).expect("serializes");
    assert_eq!(
        json["A"],
        serde_json::json!({"B": ["1", "2"], "item": ["i"]})
    );
}

/// Every push type of the vectors gets its own bounded label, the lowercase name as sent; a
/// typed event is never labelled `other`.
#[test]
fn every_message_case_has_a_bounded_label() {
    for case in cases("messages") {
        let name = &case["name"];
        let msg = parse_message(s(&case, "xml").as_bytes())
            .unwrap_or_else(|e| panic!("case {name}: {e}"));
        let msg_type = s(&case, "msg_type").to_ascii_lowercase();
        if msg.kind != MessageKind::Unknown {
            assert_eq!(msg.type_label(), msg_type, "case {name}");
        }
        match (&msg.kind, case["event"].as_str()) {
            (MessageKind::Event(Event::Unknown), Some(_)) => {}
            (MessageKind::Event(_), Some(event)) => {
                assert_eq!(
                    msg.event_label(),
                    Some(event.to_ascii_lowercase().as_str()),
                    "case {name}"
                );
            }
            (_, None) => assert_eq!(msg.event_label(), None, "case {name}"),
            _ => {}
        }
    }
    let odd = parse_message(
        b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>\
          <CreateTime>1</CreateTime><MsgType>event</MsgType><Event>user_get_card</Event></xml>",
    )
    .expect("an unknown event parses");
    assert_eq!(
        (odd.type_label(), odd.event_label()),
        ("event", Some("other"))
    );
    let new_type = parse_message(
        b"<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName>\
          <CreateTime>1</CreateTime><MsgType>miniprogrampage</MsgType></xml>",
    )
    .expect("an unknown MsgType parses");
    assert_eq!(
        (new_type.type_label(), new_type.event_label()),
        ("other", None)
    );
}
