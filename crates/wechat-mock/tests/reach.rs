//! The mock's follower list and template messages, over a real socket.
use serde_json::{json, Value};
use wechat_mock::{MockConfig, MockServer};

async fn start(followers: u32) -> (MockServer, String) {
    let server = MockServer::spawn(MockConfig {
        followers,
        ..MockConfig::default()
    })
    .await
    .unwrap_or_else(|err| panic!("mock did not start: {err}"));
    let c = MockConfig::default();
    let url = format!(
        "{}/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        server.base_url(),
        c.appid,
        c.appsecret
    );
    let answer: Value = reqwest::get(url)
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|err| panic!("{err}"))
        .json()
        .await
        .unwrap_or_default();
    let token = answer["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (server, token)
}

async fn call(server: &MockServer, path: &str, body: Option<Value>) -> Value {
    let client = reqwest::Client::new();
    let url = format!("{}{path}", server.base_url());
    let request = match body {
        Some(body) => client.post(url).json(&body),
        None => client.get(url),
    };
    match request.send().await {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(err) => panic!("{err}"),
    }
}

#[tokio::test]
async fn user_get_pages_and_batchget_describes_followers() {
    let (server, token) = start(10_005).await;
    let first = call(
        &server,
        &format!("/cgi-bin/user/get?access_token={token}"),
        None,
    )
    .await;
    assert_eq!(first["total"], 10_005);
    assert_eq!(first["count"], 10_000);
    let next = first["next_openid"].as_str().unwrap_or_default().to_owned();
    assert_eq!(first["data"]["openid"][9_999], next.as_str());
    let second = call(
        &server,
        &format!("/cgi-bin/user/get?access_token={token}&next_openid={next}"),
        None,
    )
    .await;
    assert_eq!(second["count"], 5);
    let last = second["next_openid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let done = call(
        &server,
        &format!("/cgi-bin/user/get?access_token={token}&next_openid={last}"),
        None,
    )
    .await;
    assert_eq!(done["count"], 0, "{done}");

    let batch = format!("/cgi-bin/user/info/batchget?access_token={token}");
    let openid = first["data"]["openid"][4].clone();
    let infos = call(
        &server,
        &batch,
        Some(json!({"user_list": [{"openid": openid}, {"openid": "oStranger"}]})),
    )
    .await;
    let list = &infos["user_info_list"];
    assert_eq!(list[0]["subscribe"], 1);
    assert_eq!(list[0]["qr_scene_str"], "poster-a");
    assert_eq!(list[1], json!({"subscribe": 0, "openid": "oStranger"}));
    let too_many: Vec<Value> = (0..101).map(|_| json!({"openid": openid})).collect();
    let refused = call(&server, &batch, Some(json!({ "user_list": too_many }))).await;
    assert_eq!(refused["errcode"], 47001);
}

#[tokio::test]
async fn template_sends_answer_a_msgid_and_are_recorded() {
    let (server, token) = start(0).await;
    let send = format!("/cgi-bin/message/template/send?access_token={token}");
    let message = json!({"touser": "oUser1", "template_id": "TPL", "data": {"a": {"value": "x"}}});
    let sent = call(&server, &send, Some(message.clone())).await;
    assert_eq!(sent["errcode"], 0);
    assert!(sent["msgid"].as_i64().is_some(), "{sent}");
    let again = call(&server, &send, Some(message.clone())).await;
    assert_ne!(again["msgid"], sent["msgid"]);
    let mut bad = message.clone();
    bad["template_id"] = json!("invalid_tpl");
    assert_eq!(call(&server, &send, Some(bad)).await["errcode"], 40037);
    let calls = server.state.sent();
    assert_eq!(calls.len(), 2, "refused sends are not recorded");
    assert_eq!(calls[0].path, "/cgi-bin/message/template/send");
    assert_eq!(calls[0].body, message);
    server.state.set_quota(Some(0));
    assert_eq!(
        call(&server, &send, Some(json!({}))).await["errcode"],
        45009
    );
}
