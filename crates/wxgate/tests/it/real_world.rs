//! Issue 13 item 4: pushes as other projects write them (contract section 3), through the server.
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_padded_header_is_stored_without_the_padding() {
    let app = spawn_app("").await;
    let openid = fresh_openid("Pad");
    let xml = format!(
        "<xml> <ToUserName> <![CDATA[{GH}]]> </ToUserName>\n <FromUserName> <![CDATA[{openid}]]> </FromUserName>\n \
         <CreateTime> 1700000000 </CreateTime>\n <MsgType> <![CDATA[event]]> </MsgType>\n \
         <Event> <![CDATA[subscribe]]> </Event>\n <EventKey> <![CDATA[qrscene_77]]> </EventKey>\n</xml>"
    );
    let answer = app.push(&xml).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    let events = app.events_of(&openid).await;
    assert_eq!(
        events.len(),
        1,
        "stored under the trimmed openid: {events:?}"
    );
    let e = &events[0];
    assert_eq!(e["openid"], openid.as_str());
    assert_eq!(e["msg_type"], "event");
    assert_eq!(e["event"], "subscribe");
    assert_eq!(e["create_time"], "2023-11-14T22:13:20Z");
    let (status, follower) = app.follower(&openid).await;
    assert_eq!(status, 200, "{follower}");
    assert_eq!(follower["scene"], "77");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_13_create_time_in_milliseconds_is_read_as_such() {
    let app = spawn_app("").await;
    let openid = fresh_openid("Ms");
    let xml = format!(
        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>1764547200999</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[K]]></EventKey></xml>"
    );
    assert_eq!(app.push(&xml).await.status, 200);
    let events = app.events_of(&openid).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["create_time"], "2025-12-01T00:00:00Z");
    assert_rfc3339_utc(&events[0]["create_time"], "create_time");
    assert_eq!(events[0]["fields"]["CreateTime"], "1764547200999");
}
