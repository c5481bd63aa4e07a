//! The `[[rules]]` engine: every `when` key, every reply kind, templates, first match wins.
use serde_json::{json, Value};

use crate::helpers::*;

const RULES: &str = r#"
[[rules]]
when = { event = "subscribe", scene = "123" }
reply = { text = "Welcome {openid} from {scene}" }

[[rules]]
when = { scene = "777" }
reply = { text = "scene {scene} key {event_key}" }

[[rules]]
when = { event = "subscribe" }
reply = { text = "Welcome!" }

[[rules]]
when = { event = "click", event_key = "MUSIC" }
reply = { news = [{ title = "t1", description = "d1", pic_url = "https://p/1.jpg", url = "https://u/1" }, { title = "t2", description = "d2", pic_url = "https://p/2.jpg", url = "https://u/2" }] }

[[rules]]
when = { event = "CLICK", event_key_regex = "^VIDEO_[0-9]+$" }
reply = { video = { media_id = "vid-media", title = "vt", description = "vd" } }

[[rules]]
when = { msg_type = "text", content = "music" }
reply = { music = { title = "mt", description = "md", music_url = "http://m/1.mp3", hq_music_url = "http://m/hq.mp3", thumb_media_id = "thumb-media" } }

[[rules]]
when = { msg_type = "text", content_regex = "(?i)^help" }
reply = { text = "you said {content}" }

[[rules]]
when = { from = "oVIPUSER" }
reply = { voice = "voice-media" }

[[rules]]
when = { msg_type = "text", content = "human" }
reply = { transfer_customer_service = true }

[[rules]]
when = { msg_type = "image" }
reply = { image = "img-media" }

[[rules]]
when = { msg_type = "text", content = "first" }
reply = { text = "the first rule" }

[[rules]]
when = { msg_type = "text", content = "first" }
reply = { text = "the second rule" }

[[rules]]
when = { msg_type = "text", content = "one article" }
reply = { news = [{ title = "only", description = "d", pic_url = "https://p/x.jpg", url = "https://u/x" }] }
"#;

async fn reply_to(app: &TestApp, xml: &str) -> Value {
    let a = app.push(xml).await;
    assert_eq!(a.status, 200, "{}", a.text());
    let text = a.text();
    assert_ne!(text, "success", "expected a reply to {xml}");
    reply_fields(&text)
}

fn header_ok(f: &Value, openid: &str, msg_type: &str) {
    assert_eq!(f["ToUserName"], openid, "{f}");
    assert_eq!(f["FromUserName"], GH, "{f}");
    assert_eq!(f["MsgType"], msg_type, "{f}");
    let ct: i64 = f["CreateTime"]
        .as_str()
        .expect("CreateTime")
        .parse()
        .expect("integer CreateTime");
    assert!((ct - now()).abs() < 600, "CreateTime {ct} is not now");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scene_rules_and_templates() {
    let app = spawn_app(RULES).await;
    let u = fresh_openid("rule");
    let f = reply_to(
        &app,
        &event_xml(&u, "subscribe", Some("qrscene_123"), now()),
    )
    .await;
    header_ok(&f, &u, "text");
    assert_eq!(
        f["Content"].as_str().unwrap(),
        format!("Welcome {u} from 123")
    );

    // scene matches subscribe with qrscene_S and SCAN with S
    let u2 = fresh_openid("rule");
    let f = reply_to(
        &app,
        &event_xml(&u2, "subscribe", Some("qrscene_777"), now()),
    )
    .await;
    assert_eq!(f["Content"], "scene 777 key qrscene_777");
    let f = reply_to(&app, &event_xml(&u2, "SCAN", Some("777"), now() + 1)).await;
    assert_eq!(f["Content"], "scene 777 key 777");
    // SCAN of scene 123 is not a subscribe: rule 1 does not apply, nothing else does
    let a = app
        .push(&event_xml(&u2, "SCAN", Some("123"), now() + 2))
        .await;
    assert_eq!(a.text(), "success");

    // a plain subscribe falls through to the generic welcome
    let f = reply_to(
        &app,
        &event_xml(&fresh_openid("rule"), "subscribe", None, now()),
    )
    .await;
    assert_eq!(f["Content"], "Welcome!");
    // qrscene_ of another scene too
    let f = reply_to(
        &app,
        &event_xml(
            &fresh_openid("rule"),
            "subscribe",
            Some("qrscene_999"),
            now(),
        ),
    )
    .await;
    assert_eq!(f["Content"], "Welcome!");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_key_rules_news_and_video() {
    let app = spawn_app(RULES).await;
    let u = fresh_openid("click");
    // `event` matches case-insensitively ("click" in the rule, CLICK sent)
    let f = reply_to(&app, &event_xml(&u, "CLICK", Some("MUSIC"), now())).await;
    header_ok(&f, &u, "news");
    assert_eq!(f["ArticleCount"], "2");
    let items = f["Articles"]["item"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(
        items[0],
        json!({"Title": "t1", "Description": "d1", "PicUrl": "https://p/1.jpg", "Url": "https://u/1"})
    );
    assert_eq!(items[1]["Title"], "t2");

    let f = reply_to(&app, &event_xml(&u, "CLICK", Some("VIDEO_42"), now() + 1)).await;
    header_ok(&f, &u, "video");
    assert_eq!(f["Video"]["MediaId"], "vid-media");
    assert_eq!(f["Video"]["Title"], "vt");
    assert_eq!(f["Video"]["Description"], "vd");

    // event_key is exact and the regex anchored
    let a = app
        .push(&event_xml(&u, "CLICK", Some("MUSIC2"), now() + 2))
        .await;
    assert_eq!(a.text(), "success");
    let a = app
        .push(&event_xml(&u, "CLICK", Some("VIDEO_42x"), now() + 3))
        .await;
    assert_eq!(a.text(), "success");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_rules_and_reply_kinds() {
    let app = spawn_app(RULES).await;
    let u = fresh_openid("content");

    let f = reply_to(&app, &text_xml(&u, "music", fresh_msg_id())).await;
    header_ok(&f, &u, "music");
    assert_eq!(f["Music"]["Title"], "mt");
    assert_eq!(f["Music"]["Description"], "md");
    assert_eq!(f["Music"]["MusicUrl"], "http://m/1.mp3");
    assert_eq!(f["Music"]["HQMusicUrl"], "http://m/hq.mp3");
    assert_eq!(f["Music"]["ThumbMediaId"], "thumb-media");

    let f = reply_to(&app, &text_xml(&u, "HELP me please", fresh_msg_id())).await;
    assert_eq!(f["Content"], "you said HELP me please");

    let f = reply_to(&app, &text_xml(&u, "human", fresh_msg_id())).await;
    header_ok(&f, &u, "transfer_customer_service");

    let f = reply_to(&app, &image_xml(&u, fresh_msg_id())).await;
    header_ok(&f, &u, "image");
    assert_eq!(f["Image"]["MediaId"], "img-media");

    // content is exact: "music!" does not match content = "music"
    let a = app.push(&text_xml(&u, "music!", fresh_msg_id())).await;
    assert_eq!(a.text(), "success");

    // one article to a user message is allowed
    let f = reply_to(&app, &text_xml(&u, "one article", fresh_msg_id())).await;
    header_ok(&f, &u, "news");
    assert_eq!(f["ArticleCount"], "1");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_rule_and_first_match_wins() {
    let app = spawn_app(RULES).await;
    // `from`: any push of that user not matched earlier
    let f = reply_to(&app, &image_xml("oVIPUSER", fresh_msg_id())).await;
    header_ok(&f, "oVIPUSER", "voice");
    assert_eq!(f["Voice"]["MediaId"], "voice-media");
    // an earlier rule still wins for that user
    let f = reply_to(&app, &text_xml("oVIPUSER", "help", fresh_msg_id())).await;
    assert_eq!(f["Content"], "you said help");

    let u = fresh_openid("first");
    let f = reply_to(&app, &text_xml(&u, "first", fresh_msg_id())).await;
    assert_eq!(f["Content"], "the first rule");

    // no rule → success, and the event says reply null
    let a = app
        .push(&text_xml(&u, "nothing at all", fresh_msg_id()))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(a.text(), "success");
    let events = app.events_of(&u).await;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["fields"]["Content"], "nothing at all");
    assert!(events[0]["reply"].is_null(), "{}", events[0]);
    let reply = events[1]["reply"].as_str().expect("the reply as sent");
    assert_eq!(reply_fields(reply)["Content"], "the first rule");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_placeholders_in_text() {
    let app = spawn_app(
        "[[rules]]\nwhen = { event = \"SCAN\" }\nreply = { text = \"o={openid} s={scene} k={event_key}\" }\n\n\
         [[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"o={openid} c={content}\" }\n",
    )
    .await;
    let u = fresh_openid("tpl");
    let f = reply_to(&app, &event_xml(&u, "SCAN", Some("poster-9"), now())).await;
    assert_eq!(
        f["Content"].as_str().unwrap(),
        format!("o={u} s=poster-9 k=poster-9")
    );
    let f = reply_to(&app, &text_xml(&u, "你好 <b>&amp;</b>", fresh_msg_id())).await;
    assert_eq!(
        f["Content"].as_str().unwrap(),
        format!("o={u} c=你好 <b>&amp;</b>")
    );
}
