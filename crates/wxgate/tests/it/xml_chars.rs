//! Issue 9 item 4: characters XML 1.0 forbids, sent in Content or FromUserName, never reach
//! a reply (WeChat could not parse it and would tell the user the account is broken).
use crate::helpers::*;

const ECHO: &str = r#"
[[rules]]
when = { msg_type = "text" }
reply = { text = "{openid} said {content}" }
"#;

fn push_xml(from: &str, content: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName>{from}</FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>{content}</Content>\
         <MsgId>{msg_id}</MsgId></xml>",
        now()
    )
}

#[tokio::test]
async fn issue_9_forbidden_characters_never_reach_a_reply() {
    let app = spawn_app(ECHO).await;
    let cases = [
        ("<![CDATA[oA\u{1}]]>", "<![CDATA[x\u{1}y]]>"),
        ("<![CDATA[oB\u{b}]]>", "<![CDATA[x\u{b}y]]>"),
        ("<![CDATA[oC\u{1b}]]>", "<![CDATA[x\u{1b}[31my]]>"),
        ("<![CDATA[oD]]>", "x&#1;y"),
        ("<![CDATA[oE&#1;]]>", "<![CDATA[x&#1;y]]>"),
        ("<![CDATA[oF\u{FFFE}]]>", "<![CDATA[x\u{FFFE}y\u{FFFF}]]>"),
        ("oG\u{1}", "x\u{1b}y"),
    ];
    for (from, content) in cases {
        let answer = app.push(&push_xml(from, content, fresh_msg_id())).await;
        let text = answer.text();
        assert_eq!(answer.status, 200, "{from:?} {content:?}: {text}");
        let doc = roxmltree::Document::parse(&text);
        assert!(
            doc.is_ok(),
            "{from:?} {content:?}: {:?} in {text:?}",
            doc.err()
        );
        for bad in ['\u{1}', '\u{b}', '\u{1b}', '\u{FFFE}', '\u{FFFF}'] {
            assert!(!text.contains(bad), "{bad:?} reached {text:?}");
        }
        assert!(text.contains(" said x"), "{text}");
    }
}
