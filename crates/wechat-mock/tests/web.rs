//! The mock's web side over a real socket: jsapi tickets, the OAuth page and the code's
//! exchange, with WeChat's error codes.

use std::collections::HashMap;

use serde_json::Value;
use wechat_mock::{MockConfig, MockServer, WEB_OPENID, WEB_UNIONID};

async fn start() -> MockServer {
    match MockServer::spawn(MockConfig::default()).await {
        Ok(server) => server,
        Err(err) => panic!("mock did not start: {err}"),
    }
}

async fn get(server: &MockServer, path_and_query: &str) -> Value {
    let answer = reqwest::get(format!("{}{path_and_query}", server.base_url())).await;
    match answer {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(err) => panic!("{err}"),
    }
}

async fn access_token(server: &MockServer) -> String {
    let c = MockConfig::default();
    let answer = get(
        server,
        &format!(
            "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            c.appid, c.appsecret
        ),
    )
    .await;
    answer["access_token"].as_str().unwrap_or("").to_owned()
}

/// The authorize page's redirect (not followed): its status and the query of `Location`.
async fn authorize(server: &MockServer, query: &str) -> (u16, HashMap<String, String>, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let answer = client
        .get(format!(
            "{}/connect/oauth2/authorize?{query}",
            server.base_url()
        ))
        .send()
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    let status = answer.status().as_u16();
    let location = answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let pairs = reqwest::Url::parse(&location)
        .map(|url| url.query_pairs().into_owned().collect())
        .unwrap_or_default();
    (status, pairs, location)
}

#[tokio::test]
async fn getticket_issues_a_jsapi_ticket_for_a_valid_token() {
    let server = start().await;
    assert_eq!(
        get(
            &server,
            "/cgi-bin/ticket/getticket?access_token=unknown&type=jsapi"
        )
        .await["errcode"],
        40001
    );
    let token = access_token(&server).await;
    let wrong_type = get(
        &server,
        &format!("/cgi-bin/ticket/getticket?access_token={token}&type=wx_card_x"),
    )
    .await;
    assert_eq!(wrong_type["errcode"], 40097);
    let ok = get(
        &server,
        &format!("/cgi-bin/ticket/getticket?access_token={token}&type=jsapi"),
    )
    .await;
    assert_eq!(ok["errcode"], 0);
    assert_eq!(ok["expires_in"], 7200);
    let appid = MockConfig::default().appid;
    assert_eq!(
        ok["ticket"].as_str(),
        server.state.jsapi_ticket(&appid).as_deref()
    );
    assert_eq!(server.state.ticket_requests(), 3);
}

#[tokio::test]
async fn sign_in_redirects_with_a_code_that_works_once() {
    let server = start().await;
    let c = MockConfig::default();
    let (status, pairs, location) = authorize(
        &server,
        &format!(
            "appid={}&redirect_uri=https%3A%2F%2Fwx.example.com%2Foauth%2Fdefault%2Fcallback%3Fa%3D1&response_type=code&scope=snsapi_userinfo&state=S123",
            c.appid
        ),
    )
    .await;
    assert_eq!(status, 302);
    assert!(
        location.starts_with("https://wx.example.com/oauth/default/callback?a=1&code="),
        "{location}"
    );
    assert_eq!(pairs.get("state").map(String::as_str), Some("S123"));
    let code = pairs.get("code").cloned().unwrap_or_default();
    let exchange = |code: &str, secret: &str| {
        format!(
            "/sns/oauth2/access_token?appid={}&secret={secret}&code={code}&grant_type=authorization_code",
            c.appid
        )
    };
    assert_eq!(
        get(&server, &exchange(&code, "short")).await["errcode"],
        40125
    );
    let user = get(&server, &exchange(&code, &c.appsecret)).await;
    assert_eq!(user["openid"], WEB_OPENID);
    assert_eq!(user["unionid"], WEB_UNIONID);
    assert_eq!(user["scope"], "snsapi_userinfo");
    assert_eq!(user["is_snapshotuser"], 0);
    assert_eq!(
        get(&server, &exchange(&code, &c.appsecret)).await["errcode"],
        40163
    );
    assert_eq!(
        get(&server, &exchange("forged", &c.appsecret)).await["errcode"],
        40029
    );

    let token = user["access_token"].as_str().unwrap_or("");
    let info = get(
        &server,
        &format!("/sns/userinfo?access_token={token}&openid={WEB_OPENID}&lang=zh_CN"),
    )
    .await;
    assert_eq!(info["openid"], WEB_OPENID);
    assert!(
        info["nickname"].is_string() && info["headimgurl"].is_string(),
        "{info}"
    );
    let other = get(
        &server,
        &format!("/sns/userinfo?access_token={token}&openid=oOther"),
    )
    .await;
    assert_eq!(other["errcode"], 40003);
}

#[tokio::test]
async fn a_base_sign_in_may_not_read_the_profile() {
    let server = start().await;
    let c = MockConfig::default();
    let (_, pairs, _) = authorize(
        &server,
        &format!(
            "appid={}&redirect_uri=https%3A%2F%2Fwx.example.com%2Fcb&response_type=code&scope=snsapi_base&state=S",
            c.appid
        ),
    )
    .await;
    let code = pairs.get("code").cloned().unwrap_or_default();
    let user = get(
        &server,
        &format!(
            "/sns/oauth2/access_token?appid={}&secret={}&code={code}&grant_type=authorization_code",
            c.appid, c.appsecret
        ),
    )
    .await;
    assert_eq!(user["scope"], "snsapi_base");
    let token = user["access_token"].as_str().unwrap_or("");
    let info = get(
        &server,
        &format!("/sns/userinfo?access_token={token}&openid={WEB_OPENID}"),
    )
    .await;
    assert_eq!(info["errcode"], 48001);
}

#[tokio::test]
async fn the_authorize_page_refuses_unknown_accounts_and_scopes() {
    let server = start().await;
    let c = MockConfig::default();
    let redirect = "redirect_uri=https%3A%2F%2Fwx.example.com%2Fcb&response_type=code";
    for query in [
        format!("appid=wxunknown&{redirect}&scope=snsapi_base&state=S"),
        format!("appid={}&{redirect}&scope=snsapi_login&state=S", c.appid),
        format!(
            "appid={}&redirect_uri=relative&response_type=code&scope=snsapi_base",
            c.appid
        ),
    ] {
        let (status, _, _) = authorize(&server, &query).await;
        assert_eq!(status, 400, "{query}");
    }
}
