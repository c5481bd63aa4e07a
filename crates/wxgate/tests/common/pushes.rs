//! Push XML as WeChat writes it, shared by the test binaries (`#[path]`-included).

/// The account id pushes are addressed to.
pub const GH: &str = "gh_0123456789ab";

/// Now, in unix seconds.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A text message.
pub fn text_xml(openid: &str, content: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
         <MsgId>{msg_id}</MsgId></xml>",
        now()
    )
}

pub fn image_xml(openid: &str, msg_id: u64) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://p/1.jpg]]></PicUrl>\
         <MediaId><![CDATA[m1]]></MediaId><MsgId>{msg_id}</MsgId></xml>",
        now()
    )
}

/// An event; `key` None leaves EventKey out.
pub fn event_xml(openid: &str, event: &str, key: Option<&str>, create_time: i64) -> String {
    let key = key.map_or(String::new(), |k| {
        format!("<EventKey><![CDATA[{k}]]></EventKey>")
    });
    format!(
        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{key}</xml>"
    )
}
