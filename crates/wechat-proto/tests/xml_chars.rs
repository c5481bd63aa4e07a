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
