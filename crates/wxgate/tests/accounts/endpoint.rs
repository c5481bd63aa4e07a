//! Each account's push path: its own URL verification, token, mode and rules.
use reqwest::StatusCode;

use crate::harness::{one, two, Gateway};
use crate::pushes::{event_xml, image_xml, now, text_xml};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_account_verifies_its_own_url_and_refuses_the_others_signatures() {
    let gw = Gateway::start("").await;
    let (a, b) = (one(), two());
    assert_eq!(gw.verify("/wechat/one", a.token).await, StatusCode::OK);
    assert_eq!(gw.verify("/wechat/two", b.token).await, StatusCode::OK);
    assert_eq!(
        gw.verify("/wechat/one", b.token).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        gw.verify("/wechat/two", a.token).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        gw.verify("/wechat", a.token).await,
        StatusCode::NOT_FOUND,
        "with [[accounts]] the bare path serves no account"
    );

    let (status, answer) = gw.push(&a, &text_xml("oA", "hi", 1)).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "success"));
    let (status, _) = gw
        .push_as(&b, "/wechat/one", &text_xml("oA", "hi", 2))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "two's signature at one's path"
    );
    let mut plain_two = b.clone();
    plain_two.crypt = None;
    let (status, _) = gw.push(&plain_two, &text_xml("oA", "hi", 3)).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "two is safe: plain pushes refused"
    );
    let (status, answer) = gw.push(&b, &text_xml("oA", "hi", 4)).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "success"));
    let (status, answer) = gw.push(&b, &image_xml("oA", 6)).await;
    assert_eq!((status, answer.as_str()), (StatusCode::OK, "success"));
    let (status, _) = gw
        .push_as(&b, "/wechat/one", &text_xml("oA", "hi", 5))
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "one is plain and has another token"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_narrowed_to_an_account_answer_only_its_pushes() {
    let gw = Gateway::start(
        "[[rules]]\nwhen = { account = \"two\", msg_type = \"text\" }\nreply = { text = \"two says {content}\" }\n\
         [[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"anyone\" }\n",
    )
    .await;
    let (status, reply) = gw.push(&two(), &text_xml("oX", "hi", 11)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(reply.contains("two says hi"), "{reply}");
    let (_, reply) = gw.push(&one(), &text_xml("oX", "hi", 11)).await;
    assert!(reply.contains("anyone"), "{reply}");
    // The same MsgId at both accounts is two pushes: each got its own reply and is stored.
    let (_, events) = gw.get("/api/events?openid=oX").await;
    let accounts: Vec<&str> = events["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["account"].as_str())
        .collect();
    assert_eq!(accounts, ["one", "two"]);
    let created = now();
    let subscribe = event_xml("oS", "subscribe", Some("qrscene_p1"), created);
    assert_eq!(gw.push(&one(), &subscribe).await.0, StatusCode::OK);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_metrics_carry_the_account_label() {
    let gw = Gateway::start("").await;
    assert_eq!(
        gw.push(&two(), &text_xml("oM", "hi", 21)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        gw.push(&two(), &text_xml("oM", "hi", 21)).await.0,
        StatusCode::OK
    );
    let text = gw
        .http
        .get(gw.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let has = |name: &str| {
        text.lines()
            .any(|l| l.starts_with(name) && l.contains("account=\"two\""))
    };
    for name in [
        "wxgate_pushes_total{",
        "wxgate_replies_total{",
        "wxgate_retries_total{",
        "wxgate_push_duration_seconds_bucket{",
    ] {
        assert!(has(name), "{name} with account=\"two\" in:\n{text}");
    }
    assert!(
        !text.contains("account=\"three\""),
        "labels come from the config only"
    );
    gw.stop().await;
}
