//! Customer-service messages and user info.

use wechat_api::{ApiError, Article, CustomMessage};

use crate::support::{sent_over_http, setup};

#[tokio::test]
async fn messages_are_sent_and_recorded() {
    let (server, client) = setup().await;
    let text = CustomMessage::Text {
        content: "late reply".into(),
    };
    assert!(client.send_custom("oUser_123", &text).await.is_ok());
    let article = Article {
        title: "t".into(),
        description: "d".into(),
        url: "https://e.x".into(),
        picurl: "p".into(),
    };
    assert!(client
        .send_custom("oUser_123", &CustomMessage::News(article))
        .await
        .is_ok());
    let sent = sent_over_http(&server).await;
    assert_eq!(sent["calls"][0]["path"], "/cgi-bin/message/custom/send");
    assert_eq!(sent["calls"][0]["body"]["text"]["content"], "late reply");
    assert_eq!(sent["calls"][1]["body"]["msgtype"], "news");
}

#[tokio::test]
async fn outside_the_window_is_a_final_typed_error() {
    let (server, client) = setup().await;
    server.state.set_out_of_window("oGone");
    let err = client
        .send_custom(
            "oGone",
            &CustomMessage::Text {
                content: "hi".into(),
            },
        )
        .await
        .err();
    assert!(
        err.as_ref()
            .is_some_and(|e| e.code() == Some(45015) && e.is_outside_window()),
        "{err:?}"
    );
    assert!(server.state.sent().is_empty());
}

#[tokio::test]
async fn an_empty_openid_is_refused_before_any_call() {
    let (server, client) = setup().await;
    let err = client
        .send_custom(
            "",
            &CustomMessage::Text {
                content: "hi".into(),
            },
        )
        .await
        .err();
    assert!(matches!(err, Some(ApiError::InvalidMessage(_))), "{err:?}");
    assert_eq!(server.state.requests(), 0);
}

#[tokio::test]
async fn user_info_reads_a_subscribed_user_and_refuses_bad_openids() {
    let (_server, client) = setup().await;
    let user = client.user_info("oUser_123").await;
    assert!(user
        .is_ok_and(|u| u.subscribe == 1 && u.openid == "oUser_123" && u.qr_scene == Some(98765)));
    let err = client.user_info("not an openid!").await.err();
    assert_eq!(err.and_then(|e| e.code()), Some(40003));
}
