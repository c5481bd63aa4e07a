//! Every rendered reply is XML 1.0 that a strict parser (roxmltree, which refuses characters
//! XML does not allow) accepts, whatever the user sent or the config says; characters XML
//! forbids are dropped and everything else is kept.
use proptest::prelude::*;
use wechat_proto::{Article, Reply};

/// Any string, with the characters XML forbids and the CDATA terminator made likely.
fn text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        (0u32..0x20).prop_map(|c| char::from_u32(c).map(String::from).unwrap_or_default()),
        Just("\u{FFFE}".to_string()),
        Just("\u{FFFF}".to_string()),
        Just("]]>".to_string()),
        Just("&#1;".to_string()),
        Just("<![CDATA[".to_string()),
        "[a-z<>&]{0,4}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

fn reply() -> impl Strategy<Value = Reply> {
    let opt = || prop::option::of(text());
    let article =
        (text(), text(), text(), text()).prop_map(|(title, description, pic_url, url)| Article {
            title,
            description,
            pic_url,
            url,
        });
    prop_oneof![
        text().prop_map(|content| Reply::Text { content }),
        text().prop_map(|media_id| Reply::Image { media_id }),
        text().prop_map(|media_id| Reply::Voice { media_id }),
        (text(), opt(), opt()).prop_map(|(media_id, title, description)| Reply::Video {
            media_id,
            title,
            description
        }),
        (opt(), opt(), opt(), opt(), text()).prop_map(
            |(title, description, music_url, hq_music_url, thumb_media_id)| Reply::Music {
                title,
                description,
                music_url,
                hq_music_url,
                thumb_media_id
            }
        ),
        prop::collection::vec(article, 1..4).prop_map(|articles| Reply::News { articles }),
        opt().prop_map(|kf_account| Reply::TransferCustomerService { kf_account }),
    ]
}

fn allowed(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// The text of the first element named `tag`, CDATA sections joined.
fn element_text(doc: &roxmltree::Document<'_>, tag: &str) -> Option<String> {
    let node = doc.descendants().find(|n| n.has_tag_name(tag))?;
    Some(
        node.children()
            .filter_map(|c| c.text())
            .collect::<Vec<_>>()
            .concat(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_rendered_reply_is_strict_xml(
        reply in reply(),
        to in text(),
        from in text(),
        time in any::<i64>(),
    ) {
        let xml = reply.render(&to, &from, time);
        let doc = roxmltree::Document::parse(&xml);
        prop_assert!(doc.is_ok(), "{:?} for {:?}", doc.err(), xml);
    }

    #[test]
    fn text_keeps_every_allowed_character(content in text(), to in text()) {
        let xml = Reply::Text { content: content.clone() }.render(&to, "gh_x", 1);
        let doc = roxmltree::Document::parse(&xml).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let expected: String = content.chars().filter(|c| allowed(*c)).collect();
        // roxmltree normalises \r\n and lone \r to \n, as every XML parser must.
        let norm = |s: &str| s.replace("\r\n", "\n").replace('\r', "\n");
        prop_assert_eq!(element_text(&doc, "Content").map(|s| norm(&s)), Some(norm(&expected)));
        let to_expected: String = to.chars().filter(|c| allowed(*c)).collect();
        prop_assert_eq!(element_text(&doc, "ToUserName").map(|s| norm(&s)), Some(norm(&to_expected)));
    }
}

#[test]
fn the_reported_characters_never_reach_a_reply() {
    let hostile = "a\u{1}b\u{b}c\u{1b}d&#1;e\u{FFFE}f\u{FFFF}g";
    let xml = Reply::Text {
        content: hostile.into(),
    }
    .render(hostile, "gh_x", 1);
    assert!(roxmltree::Document::parse(&xml).is_ok(), "{xml:?}");
    assert!(
        xml.contains("<Content><![CDATA[abcd&#1;efg]]></Content>"),
        "{xml:?}"
    );
    assert!(
        xml.contains("<ToUserName><![CDATA[abcd&#1;efg]]></ToUserName>"),
        "{xml:?}"
    );
    for bad in ['\u{1}', '\u{b}', '\u{1b}', '\u{FFFE}', '\u{FFFF}'] {
        assert!(!xml.contains(bad));
    }
}

/// A text push whose header elements and Content are as given (CDATA, as WeChat sends them).
fn push(to: &str, from: &str, msg_type: &str, content: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{from}]]>\
         </FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[{msg_type}]]>\
         </MsgType><Content><![CDATA[{content}]]></Content><MsgId>1</MsgId></xml>"
    )
}

#[test]
fn a_header_holding_a_forbidden_character_is_refused() {
    use wechat_proto::{parse_message, ProtoError, XmlError};
    for bad in ["\u{18}", "\u{1}", "gh\u{b}x", "\u{FFFE}", "o\u{FFFF}"] {
        let cases = [
            ("ToUserName", push(bad, "oUser", "text", "hi")),
            ("FromUserName", push("gh_1", bad, "text", "hi")),
            (
                "MsgType",
                push("gh_1", "oUser", &format!("text{bad}"), "hi"),
            ),
        ];
        for (name, xml) in cases {
            let refused = parse_message(xml.as_bytes()).map(|_| ());
            assert_eq!(refused, Err(XmlError::InvalidValue(name)), "{xml:?}");
            assert_eq!(
                ProtoError::from(XmlError::InvalidValue(name)).http_status(),
                400
            );
        }
        let event = format!(
            "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName>\
             <CreateTime>1</CreateTime><MsgType>event</MsgType><Event>CLICK{bad}</Event>\
             <EventKey>k{bad}</EventKey></xml>"
        );
        assert_eq!(
            parse_message(event.as_bytes()).map(|_| ()),
            Err(XmlError::InvalidValue("Event"))
        );
    }
    // Entity references count too: `&#24;` is the same character as a raw 0x18.
    let referenced = "<xml><ToUserName>&#24;</ToUserName><FromUserName>oUser</FromUserName>\
        <CreateTime>1</CreateTime><MsgType>text</MsgType></xml>";
    assert_eq!(
        parse_message(referenced.as_bytes()).map(|_| ()),
        Err(wechat_proto::XmlError::InvalidValue("ToUserName"))
    );
}

#[test]
fn a_forbidden_character_elsewhere_is_accepted_and_dropped_from_the_reply() {
    // The fuzz target's first finding: U+000F in Content, accepted; the reply drops it.
    let xml = push("gh_1", "oUser", "text", "a\u{f}b");
    let msg = wechat_proto::parse_message(xml.as_bytes()).expect("accepted");
    assert_eq!(msg.content(), Some("a\u{f}b"));
    let reply = Reply::Text {
        content: msg.content().unwrap_or_default().to_owned(),
    };
    let rendered = reply.render(&msg.from_user_name, &msg.to_user_name, msg.create_time);
    let back = wechat_proto::parse_message(rendered.as_bytes()).expect("the reply parses");
    assert_eq!(back.fields.text("Content"), Some("ab"));
    assert_eq!(
        (back.to_user_name.as_str(), back.from_user_name.as_str()),
        ("oUser", "gh_1")
    );
    // An EventKey with one is kept as sent, too (it is no header).
    let click = "<xml><ToUserName>gh_1</ToUserName><FromUserName>oUser</FromUserName>\
        <CreateTime>1</CreateTime><MsgType>event</MsgType><Event>CLICK</Event>\
        <EventKey>k\u{1}</EventKey></xml>";
    let msg = wechat_proto::parse_message(click.as_bytes()).expect("accepted");
    assert_eq!(msg.event_key(), Some("k\u{1}"));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The fuzz target `parse_message`'s invariant over headers and Content of any characters
    /// (fuzz/ runs it on raw bytes): a push is refused, or its reply parses back to it with the
    /// forbidden characters of the Content dropped.
    #[test]
    fn an_accepted_push_round_trips_through_its_reply(
        to in text(),
        from in text(),
        content in text(),
    ) {
        let xml = push(&to.replace("]]>", ""), &from.replace("]]>", ""), "text", &content.replace("]]>", ""));
        let Ok(msg) = wechat_proto::parse_message(xml.as_bytes()) else { return Ok(()) };
        for header in [&msg.to_user_name, &msg.from_user_name] {
            prop_assert!(header.chars().all(allowed), "{:?} accepted", header);
        }
        if msg.to_user_name.is_empty() {
            return Ok(());
        }
        let content = msg.content().unwrap_or_default().to_owned();
        let rendered = Reply::Text { content: content.clone() }
            .render(&msg.from_user_name, &msg.to_user_name, msg.create_time);
        let back = wechat_proto::parse_message(rendered.as_bytes());
        prop_assert!(back.is_ok(), "{:?}: {:?}", rendered, back.err());
        let back = back.map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back.to_user_name, &msg.from_user_name);
        prop_assert_eq!(&back.from_user_name, &msg.to_user_name);
        let written: String = content.chars().filter(|c| allowed(*c)).collect();
        prop_assert_eq!(Reply::from_message(&back), Some(Reply::Text { content: written }));
    }
}
