//! `replies.json`: our renderings compared semantically with wechatpy's.
mod common;

use common::{cases, random16, s};
use serde_json::Value;
use wechat_proto::{
    open_reply_envelope, parse_message, seal_reply, Article, EncodingAesKey, MessageCrypt, Reply,
    ReplyError,
};

/// The element tree of a reply, order-insensitive (serde_json maps are sorted).
fn tree(xml: &str) -> Value {
    let msg = parse_message(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}: {xml}"));
    serde_json::to_value(&msg.fields).expect("fields serialize")
}

/// The vectors' `parsed` follows xmltodict, where a single `item` is an object, not a list.
fn items_as_list(mut v: Value) -> Value {
    if let Some(item) = v.pointer_mut("/Articles/item") {
        if item.is_object() {
            *item = Value::Array(vec![item.take()]);
        }
    }
    v
}

fn reply_for(case: &Value) -> Option<Reply> {
    let i = &case["inputs"];
    let opt = |k: &str| i[k].as_str().map(str::to_owned);
    let req = |k: &str| s(i, k).to_owned();
    Some(match case["name"].as_str()? {
        "text" | "text_multiline" | "text_containing_cdata_terminator" => Reply::Text {
            content: req("content"),
        },
        "image" => Reply::Image {
            media_id: req("media_id"),
        },
        "voice" => Reply::Voice {
            media_id: req("media_id"),
        },
        "video" | "video_no_title" => Reply::Video {
            media_id: req("media_id"),
            title: opt("title"),
            description: opt("description"),
        },
        "music" => Reply::Music {
            title: opt("title"),
            description: opt("description"),
            music_url: opt("music_url"),
            hq_music_url: opt("hq_music_url"),
            thumb_media_id: req("thumb_media_id"),
        },
        "news_one_article" | "news_two_articles" => Reply::News {
            articles: i["articles"]
                .as_array()?
                .iter()
                .map(|a| Article {
                    title: s(a, "title").into(),
                    description: s(a, "description").into(),
                    pic_url: s(a, "image").into(),
                    url: s(a, "url").into(),
                })
                .collect(),
        },
        "transfer_customer_service" => Reply::TransferCustomerService { kf_account: None },
        _ => return None,
    })
}

#[test]
fn every_reply_matches_wechatpy_semantically() {
    let mut compared = 0;
    for case in cases("replies") {
        let name = &case["name"];
        let Some(reply) = reply_for(&case) else {
            continue;
        };
        let i = &case["inputs"];
        let ours = reply.render(
            s(i, "ToUserName"),
            s(i, "FromUserName"),
            i["CreateTime"].as_i64().expect("time"),
        );
        assert_eq!(Some(reply.kind()), case["msg_type"].as_str(), "case {name}");
        let reference = case["wechatpy_xml"]
            .as_str()
            .or(case["reference_xml"].as_str())
            .expect("a reference");
        assert_eq!(tree(&ours), tree(reference), "case {name}");
        assert_eq!(
            tree(&ours),
            items_as_list(case["parsed"].clone()),
            "case {name}"
        );
        let back = parse_message(ours.as_bytes()).expect("parses");
        assert_eq!(Reply::from_message(&back), Some(reply), "case {name}");
        if let Some(exact) = case["reference_xml"].as_str() {
            assert_eq!(ours, exact, "case {name}");
        }
        compared += 1;
    }
    assert_eq!(compared, 11);
}

#[test]
fn safe_mode_text_reply_is_reproduced() {
    let all = cases("replies");
    let case = all
        .iter()
        .find(|c| c["name"] == "text_encrypted_safe_mode")
        .expect("case");
    let i = &case["inputs"];
    let crypt = MessageCrypt::new(
        EncodingAesKey::parse(s(i, "encoding_aes_key")).expect("key"),
        s(i, "appid"),
    );
    let sealed = seal_reply(
        &crypt,
        s(i, "token"),
        s(i, "plaintext"),
        s(i, "timestamp"),
        s(i, "nonce"),
        random16(i),
    );
    assert_eq!(sealed, s(case, "wechatpy_xml"));
    let opened = open_reply_envelope(&crypt, s(i, "token"), sealed.as_bytes()).expect("opens");
    assert_eq!(opened, s(i, "plaintext"));
}

#[test]
fn news_limits() {
    let user = parse_message(b"<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><Content>x</Content><MsgId>1</MsgId></xml>").expect("ok");
    let event = parse_message(b"<xml><ToUserName>g</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>k</EventKey></xml>").expect("ok");
    let news = |n: usize| Reply::News {
        articles: vec![Article::default(); n],
    };
    assert_eq!(news(1).check_for(&user), Ok(()));
    assert_eq!(
        news(2).check_for(&user),
        Err(ReplyError::TooManyArticles { count: 2, max: 1 })
    );
    assert_eq!(news(8).check_for(&event), Ok(()));
    assert_eq!(
        news(9).check_for(&event),
        Err(ReplyError::TooManyArticles { count: 9, max: 8 })
    );
    assert_eq!(news(0).check_for(&event), Err(ReplyError::NoArticles));
    assert_eq!(
        Reply::Text {
            content: String::new()
        }
        .check_for(&user),
        Ok(())
    );
}

#[test]
fn kf_account_round_trips() {
    let reply = Reply::TransferCustomerService {
        kf_account: Some("a@b".into()),
    };
    let xml = reply.render("o", "g", 1);
    assert!(
        xml.contains("<TransInfo><KfAccount><![CDATA[a@b]]></KfAccount></TransInfo>"),
        "{xml}"
    );
    assert_eq!(
        Reply::from_message(&parse_message(xml.as_bytes()).expect("parses")),
        Some(reply)
    );
}
