//! Rendering a simulated push as WeChat writes it.
use super::kinds::{Kind, Node};

/// The push XML: header, kind-specific elements, MsgId for messages.
pub fn render_push(
    to: &str,
    from: &str,
    create_time: i64,
    msg_id: Option<u64>,
    kind: &Kind,
) -> String {
    let (msg_type, nodes) = kind.body();
    let mut out = String::from("<xml>");
    let mut all = vec![
        Node::Text("ToUserName", to.to_string()),
        Node::Text("FromUserName", from.to_string()),
        Node::Number("CreateTime", create_time.to_string()),
        Node::Text("MsgType", msg_type.to_string()),
    ];
    all.extend(nodes);
    if let Some(id) = msg_id {
        all.push(Node::Number("MsgId", id.to_string()));
    }
    for node in &all {
        write(&mut out, node);
    }
    out.push_str("</xml>");
    out
}

fn write(out: &mut String, node: &Node) {
    let (tag, inner) = match node {
        Node::Text(tag, value) => (tag, cdata(value)),
        Node::Number(tag, value) => (tag, value.clone()),
        Node::Nested(tag, children) => {
            let mut inner = String::new();
            for c in children {
                write(&mut inner, c);
            }
            (tag, inner)
        }
    };
    out.push('<');
    out.push_str(tag);
    out.push('>');
    out.push_str(&inner);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// A CDATA section that `]]>` inside `value` cannot close early.
fn cdata(value: &str) -> String {
    format!("<![CDATA[{}]]>", value.replace("]]>", "]]]]><![CDATA[>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_renders_a_push_the_parser_accepts() {
        use clap::Parser;
        #[derive(Parser)]
        struct K {
            #[command(subcommand)]
            kind: Kind,
        }
        let cases: &[&[&str]] = &[
            &["subscribe"],
            &["subscribe", "--scene", "42"],
            &["unsubscribe"],
            &["scan", "--scene", "poster-7"],
            &[
                "location",
                "--lat",
                "23.1",
                "--lng",
                "-113.3",
                "--precision",
                "50",
            ],
            &["click", "--key", "V1001"],
            &["view", "--url", "https://example.com/"],
            &["text", "--content", "a]]>b"],
            &["image"],
            &["voice", "--recognition", "你好"],
            &["video"],
            &["shortvideo"],
            &["location_message", "--lat", "1", "--lng", "2"],
            &["link", "--url", "https://x/"],
            &["scancode_push", "--key", "k"],
            &["scancode_waitmsg", "--key", "k"],
            &["pic_sysphoto", "--key", "k"],
            &["pic_photo_or_album", "--key", "k"],
            &["pic_weixin", "--key", "k"],
            &["location_select", "--key", "k"],
            &["view_miniprogram", "--path", "pages/index"],
            &["template_send_job_finish"],
            &["mass_send_job_finish"],
        ];
        for case in cases {
            let k = K::try_parse_from(std::iter::once("k").chain(case.iter().copied()))
                .unwrap_or_else(|e| panic!("{case:?}: {e}"));
            let xml = render_push("gh_1", "oUser", 1700000000, Some(7), &k.kind);
            let msg = wechat_proto::parse_message(xml.as_bytes())
                .unwrap_or_else(|e| panic!("{case:?}: {e}\n{xml}"));
            assert_eq!(msg.from_user_name, "oUser");
            if case[0] == "subscribe" && case.len() > 1 {
                assert_eq!(msg.scene(), Some("42"));
            }
            if case[0] == "text" {
                assert_eq!(msg.content(), Some("a]]>b"));
            }
            if case[0] == "location" {
                let (lat, lng, p) = msg.location().unwrap_or_else(|| panic!("{xml}"));
                assert_eq!((lat, lng, p), (23.1, -113.3, 50.0));
            }
        }
    }
}
