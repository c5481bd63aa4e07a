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
        ("<![CDATA[oA]]>", "<![CDATA[x\u{1}y]]>"),
        ("<![CDATA[oB]]>", "<![CDATA[x\u{b}y]]>"),
        ("<![CDATA[oC]]>", "<![CDATA[x\u{1b}[31my]]>"),
        ("<![CDATA[oD]]>", "x&#1;y"),
        ("<![CDATA[oE&#1;]]>", "<![CDATA[x&#1;y]]>"),
        ("<![CDATA[oF]]>", "<![CDATA[x\u{FFFE}y\u{FFFF}]]>"),
        ("oG", "x\u{1b}y"),
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

/// Issue 18 item 11: a push whose ToUserName, FromUserName, MsgType or Event holds a character
/// XML 1.0 forbids is not WeChat's: 400, nothing stored (a ToUserName of one 0x18 made the
/// gateway's own reply unparseable: its FromUserName came out empty).
#[tokio::test]
async fn issue_18_a_header_holding_a_forbidden_character_is_400() {
    let app = spawn_app(ECHO).await;
    let click = |to: &str, from: &str, event: &str| {
        format!(
            "<xml><ToUserName><![CDATA[{to}]]></ToUserName><FromUserName><![CDATA[{from}]]>\
             </FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType>\
             <Event><![CDATA[{event}]]></Event><EventKey><![CDATA[k]]></EventKey></xml>",
            now()
        )
    };
    let from = fresh_openid("hdr");
    let cases = [
        (
            "ToUserName",
            push_xml("oH", "hi", fresh_msg_id()).replacen(GH, "\u{18}", 1),
        ),
        (
            "FromUserName",
            push_xml("<![CDATA[oI\u{1}]]>", "hi", fresh_msg_id()),
        ),
        ("FromUserName", push_xml("oJ\u{FFFE}", "hi", fresh_msg_id())),
        (
            "MsgType",
            push_xml("oK", "hi", fresh_msg_id()).replace("[text]", "[te\u{1}xt]"),
        ),
        ("Event", click(GH, &from, "CLICK\u{1b}")),
        (
            "ToUserName",
            click(GH, &from, "CLICK").replacen(&format!("<![CDATA[{GH}]]>"), "&#24;", 1),
        ),
    ];
    for (name, xml) in cases {
        let answer = app.push(&xml).await;
        assert_eq!(answer.status, 400, "{name}: {xml:?}: {}", answer.text());
        assert!(answer.text().contains(name), "{name}: {}", answer.text());
    }
    assert!(app.events_of(&from).await.is_empty(), "nothing stored");
    // The same pushes with clean headers are accepted.
    assert_eq!(app.push(&click(GH, &from, "CLICK")).await.status, 200);
}
