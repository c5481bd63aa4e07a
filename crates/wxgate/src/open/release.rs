//! WeChat's release test (全网发布, spec §11.5): the test accounts and the answers they
//! expect, decided from the message alone.
use wechat_proto::{Message, MessageKind};

/// The release test's Official Accounts (appid, gh_ id).
const TEST_ACCOUNTS: [(&str, &str); 5] = [
    ("wx570bc396a51b8ff8", "gh_3c884a361561"),
    ("wx9252c5e0bb1836fc", "gh_c0f28a78b318"),
    ("wx8e1097c5bc82cde9", "gh_3f222ed8d140"),
    ("wx14550af28c71a144", "gh_26128078e9ab"),
    ("wxa35b9c23cfe664eb", "gh_2b3713f184a6"),
];

/// The release test's mini-programs.
const TEST_MINI_PROGRAMS: [&str; 5] = [
    "wxd101a85aa106f53e",
    "wxc39235c15087f6f3",
    "wx7720d01d4b2a4500",
    "wx05d483572dcd5d8b",
    "wx5910277cae6fd970",
];

/// The text the release test sends for a passive reply.
const TEST_TEXT: &str = "TESTCOMPONENT_MSG_TYPE_TEXT";
/// The prefix of the text that asks for a customer-service message.
const QUERY_AUTH_CODE: &str = "QUERY_AUTH_CODE:";

/// Whether `appid` is one of the release test's accounts, and its gh_ id when known (the
/// mini-programs' are not published).
pub fn is_release_test_account(appid: &str) -> Option<Option<&'static str>> {
    if let Some((_, gh)) = TEST_ACCOUNTS.iter().find(|(wx, _)| *wx == appid) {
        return Some(Some(gh));
    }
    TEST_MINI_PROGRAMS.contains(&appid).then_some(None)
}

/// What the release test expects for a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseAnswer {
    /// a passive text reply
    Text(String),
    /// `success` now; then exchange the code and send `{code}_from_api` as a
    /// customer-service text to the sender
    QueryAuthCode(String),
    /// nothing the test checks: `success`
    Success,
}

/// The release test's answer to `msg`.
pub fn release_answer(msg: &Message) -> ReleaseAnswer {
    match &msg.kind {
        MessageKind::Text { content, .. } if content == TEST_TEXT => {
            ReleaseAnswer::Text(format!("{TEST_TEXT}_callback"))
        }
        MessageKind::Text { content, .. } => match content.strip_prefix(QUERY_AUTH_CODE) {
            Some(code) if !code.is_empty() => ReleaseAnswer::QueryAuthCode(code.to_string()),
            _ => ReleaseAnswer::Success,
        },
        MessageKind::Event(_) => match msg.event() {
            Some(event) => ReleaseAnswer::Text(format!("{event}from_callback")),
            None => ReleaseAnswer::Success,
        },
        _ => ReleaseAnswer::Success,
    }
}

#[cfg(test)]
mod tests {
    use wechat_proto::parse_message;

    use super::*;

    fn msg(body: &str) -> Message {
        let xml = format!(
            "<xml><ToUserName>gh_3c884a361561</ToUserName><FromUserName>ozy</FromUserName>\
             <CreateTime>1</CreateTime>{body}</xml>"
        );
        parse_message(xml.as_bytes()).unwrap()
    }

    #[test]
    fn each_case_of_the_release_test_gets_its_answer() {
        let text = msg(
            "<MsgType>text</MsgType><Content>TESTCOMPONENT_MSG_TYPE_TEXT</Content><MsgId>1</MsgId>",
        );
        assert_eq!(
            release_answer(&text),
            ReleaseAnswer::Text("TESTCOMPONENT_MSG_TYPE_TEXT_callback".into())
        );
        let code = msg(
            "<MsgType>text</MsgType><Content>QUERY_AUTH_CODE:qac@@@1</Content><MsgId>2</MsgId>",
        );
        assert_eq!(
            release_answer(&code),
            ReleaseAnswer::QueryAuthCode("qac@@@1".into())
        );
        let event = msg("<MsgType>event</MsgType><Event>LOCATION</Event><Latitude>1</Latitude><Longitude>2</Longitude><Precision>3</Precision>");
        assert_eq!(
            release_answer(&event),
            ReleaseAnswer::Text("LOCATIONfrom_callback".into())
        );
        let other = msg("<MsgType>text</MsgType><Content>hello</Content><MsgId>3</MsgId>");
        assert_eq!(release_answer(&other), ReleaseAnswer::Success);
    }

    #[test]
    fn the_test_accounts_are_known() {
        assert_eq!(
            is_release_test_account("wx570bc396a51b8ff8"),
            Some(Some("gh_3c884a361561"))
        );
        assert_eq!(is_release_test_account("wxd101a85aa106f53e"), Some(None));
        assert_eq!(is_release_test_account("wx0123456789abcdef"), None);
    }
}
