//! Property tests: encrypt → decrypt, render → parse, and no panics on arbitrary input.
use base64::Engine as _;
use proptest::prelude::*;
use wechat_proto::{
    open_reply_envelope, parse_message, parse_push_envelope, render_push_envelope, seal_reply,
    Article, EncodingAesKey, MessageCrypt, Reply,
};

fn crypt() -> impl Strategy<Value = MessageCrypt> {
    (any::<[u8; 32]>(), "wx[0-9a-f]{16}").prop_map(|(key, appid)| {
        let console = base64::engine::general_purpose::STANDARD_NO_PAD.encode(key);
        MessageCrypt::new(
            EncodingAesKey::parse(&console).expect("43 base64 chars"),
            appid,
        )
    })
}

/// Control-free unicode, with CDATA terminators and entity-looking text mixed in.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            4 => "\\PC{0,12}",
            1 => Just("]]>".to_owned()),
            1 => Just("]]".to_owned()),
            1 => Just("<![CDATA[".to_owned()),
            1 => Just("&amp;<b>".to_owned()),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn article() -> impl Strategy<Value = Article> {
    (text(), text(), text(), text()).prop_map(|(title, description, pic_url, url)| Article {
        title,
        description,
        pic_url,
        url,
    })
}

fn reply() -> impl Strategy<Value = Reply> {
    let opt = || prop::option::of(text());
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
            |(title, description, music_url, hq_music_url, thumb_media_id)| {
                Reply::Music {
                    title,
                    description,
                    music_url,
                    hq_music_url,
                    thumb_media_id,
                }
            }
        ),
        prop::collection::vec(article(), 1..9).prop_map(|articles| Reply::News { articles }),
        opt().prop_map(|kf_account| Reply::TransferCustomerService { kf_account }),
    ]
}

proptest! {
    #[test]
    fn encrypt_then_decrypt(c in crypt(), msg in any::<String>(), random in any::<[u8; 16]>()) {
        let encrypt = c.encrypt(&msg, random);
        prop_assert_eq!(c.decrypt(&encrypt), Ok(msg.clone()));
        let env = parse_push_envelope(render_push_envelope("gh_1", &encrypt).as_bytes()).expect("envelope");
        prop_assert_eq!(env.encrypt, encrypt);
    }

    #[test]
    fn sealed_replies_open(c in crypt(), xml in text(), ts in "[0-9]{1,10}", nonce in "\\PC{1,12}", random in any::<[u8; 16]>()) {
        let sealed = seal_reply(&c, "token", &xml, &ts, &nonce, random);
        prop_assert_eq!(open_reply_envelope(&c, "token", sealed.as_bytes()), Ok(xml));
    }

    #[test]
    fn render_then_parse(r in reply(), to in "\\PC{0,12}", from in "[^\\s\\pC]\\PC{0,11}", time in -99_999_999_999i64..100_000_000_000) {
        // Header values are read without the whitespace around them; CreateTime in seconds range.
        let xml = r.render(&to, &from, time);
        let msg = parse_message(xml.as_bytes()).map_err(|e| TestCaseError::fail(format!("{e}: {xml}")))?;
        prop_assert_eq!(msg.to_user_name.as_str(), to.trim());
        prop_assert_eq!(msg.from_user_name.as_str(), from.trim());
        prop_assert_eq!(msg.create_time, time);
        prop_assert_eq!(msg.msg_type(), r.kind());
        prop_assert_eq!(Reply::rendered_kind(&xml), Some(r.kind()));
        prop_assert_eq!(Reply::from_message(&msg), Some(r));
    }

    #[test]
    fn decrypt_never_panics(c in crypt(), bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = c.decrypt(&base64::engine::general_purpose::STANDARD.encode(&bytes));
    }

    #[test]
    fn parse_never_panics(body in prop::collection::vec(any::<u8>(), 0..300), prefix in "<xml>(<[A-Za-z]{1,3}>){0,3}") {
        let _ = parse_message(&body);
        let mut mixed = prefix.into_bytes();
        mixed.extend_from_slice(&body);
        let _ = parse_message(&mixed);
    }
}
