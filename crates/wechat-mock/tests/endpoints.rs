//! The mock's own answers, over a real socket: WeChat's error codes for bad calls.

use std::time::Duration;

use serde_json::{json, Value};
use wechat_mock::{MockConfig, MockServer};

async fn start(ttl: Duration) -> MockServer {
    match MockServer::spawn(MockConfig {
        token_ttl: ttl,
        ..MockConfig::default()
    })
    .await
    {
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

async fn post(server: &MockServer, path_and_query: &str, body: &Value) -> Value {
    let answer = reqwest::Client::new()
        .post(format!("{}{path_and_query}", server.base_url()))
        .json(body)
        .send()
        .await;
    match answer {
        Ok(response) => response.json().await.unwrap_or_default(),
        Err(err) => panic!("{err}"),
    }
}

fn token_query(grant: &str, appid: &str, secret: &str) -> String {
    format!("/cgi-bin/token?grant_type={grant}&appid={appid}&secret={secret}")
}

#[tokio::test]
async fn token_endpoint_checks_grant_appid_and_secret() {
    let server = start(Duration::from_secs(7200)).await;
    let c = MockConfig::default();
    let code = |v: Value| v["errcode"].as_i64();
    assert_eq!(
        code(get(&server, &token_query("nope", &c.appid, &c.appsecret)).await),
        Some(40002)
    );
    assert_eq!(
        code(
            get(
                &server,
                &token_query("client_credential", "wxother", &c.appsecret)
            )
            .await
        ),
        Some(40013)
    );
    assert_eq!(
        code(
            get(
                &server,
                &token_query("client_credential", &c.appid, "short")
            )
            .await
        ),
        Some(40125)
    );
    let wrong = "ffffffffffffffffffffffffffffffff";
    assert_eq!(
        code(get(&server, &token_query("client_credential", &c.appid, wrong)).await),
        Some(40001)
    );
    let ok = get(
        &server,
        &token_query("client_credential", &c.appid, &c.appsecret),
    )
    .await;
    assert!(
        ok["access_token"].as_str().is_some_and(|t| t.len() >= 100),
        "{ok}"
    );
    assert_eq!(ok["expires_in"], 7200);
    assert_eq!(server.state.token_requests(), 5);
}

#[tokio::test]
async fn stable_token_returns_the_current_token_until_forced() {
    let server = start(Duration::from_secs(7200)).await;
    let c = MockConfig::default();
    let body = |force| json!({"grant_type": "client_credential", "appid": c.appid, "secret": c.appsecret, "force_refresh": force});
    let first = post(&server, "/cgi-bin/stable_token", &body(false)).await;
    let again = post(&server, "/cgi-bin/stable_token", &body(false)).await;
    let forced = post(&server, "/cgi-bin/stable_token", &body(true)).await;
    assert!(first["access_token"].is_string());
    assert_eq!(first["access_token"], again["access_token"]);
    assert_ne!(first["access_token"], forced["access_token"]);
    let old = first["access_token"].as_str().unwrap_or("");
    let refused = get(&server, &format!("/cgi-bin/menu/get?access_token={old}")).await;
    assert_eq!(refused["errcode"], 40001);
}

#[tokio::test]
async fn calls_check_the_access_token() {
    let server = start(Duration::from_secs(7200)).await;
    assert_eq!(get(&server, "/cgi-bin/menu/get").await["errcode"], 41001);
    assert_eq!(
        get(&server, "/cgi-bin/menu/get?access_token=bad%20token").await["errcode"],
        40014
    );
    assert_eq!(
        get(&server, "/cgi-bin/menu/get?access_token=unknown").await["errcode"],
        40001
    );
    let c = MockConfig::default();
    let ok = get(
        &server,
        &token_query("client_credential", &c.appid, &c.appsecret),
    )
    .await;
    let token = ok["access_token"].as_str().unwrap_or("").to_owned();
    let none = get(&server, &format!("/cgi-bin/menu/get?access_token={token}")).await;
    assert_eq!(none["errcode"], 46003);
    assert!(none["errmsg"]
        .as_str()
        .is_some_and(|m| m.starts_with("menu no exist")));
    server.state.expire_tokens();
    assert_eq!(
        get(&server, &format!("/cgi-bin/menu/get?access_token={token}")).await["errcode"],
        42001
    );
}

#[tokio::test]
async fn bad_calls_get_wechat_codes_and_are_not_recorded() {
    let server = start(Duration::from_secs(7200)).await;
    let c = MockConfig::default();
    let ok = get(
        &server,
        &token_query("client_credential", &c.appid, &c.appsecret),
    )
    .await;
    let token = ok["access_token"].as_str().unwrap_or("").to_owned();
    let qr = format!("/cgi-bin/qrcode/create?access_token={token}");
    let bad_scene =
        json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100001}}});
    assert_eq!(post(&server, &qr, &bad_scene).await["errcode"], 40053);
    let send = format!("/cgi-bin/message/custom/send?access_token={token}");
    let empty = json!({"touser": "", "msgtype": "text", "text": {"content": "x"}});
    assert_eq!(post(&server, &send, &empty).await["errcode"], 40003);
    let odd = json!({"touser": "oUser", "msgtype": "hologram"});
    assert_eq!(post(&server, &send, &odd).await["errcode"], 40008);
    let menu = format!("/cgi-bin/menu/create?access_token={token}");
    assert_eq!(
        post(&server, &menu, &json!({"button": []})).await["errcode"],
        40016
    );
    assert_eq!(
        get(
            &server,
            &format!("/cgi-bin/user/info?access_token={token}&openid=")
        )
        .await["errcode"],
        40003
    );
    server.state.fail_next(1, -1);
    assert_eq!(
        get(&server, &format!("/cgi-bin/menu/get?access_token={token}")).await["errcode"],
        -1
    );
    assert_eq!(get(&server, "/mock/sent").await, json!({"calls": []}));
}

#[tokio::test]
async fn classic_tokens_overlap_for_five_minutes() {
    let server = start(Duration::from_secs(7200)).await;
    let c = MockConfig::default();
    let query = token_query("client_credential", &c.appid, &c.appsecret);
    let first = get(&server, &query).await["access_token"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let second = get(&server, &query).await["access_token"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert_ne!(first, second);
    // The previous token still works during the overlap.
    assert_eq!(
        get(&server, &format!("/cgi-bin/menu/get?access_token={first}")).await["errcode"],
        46003
    );
}

#[tokio::test]
async fn debug_hides_the_appsecret() {
    let shown = format!("{:?}", MockConfig::default());
    assert!(!shown.contains(&MockConfig::default().appsecret), "{shown}");
}

/// A mock for several accounts: each appid with its own secret gets its own tokens, and
/// each token reaches only its own account's menu.
#[tokio::test]
async fn every_account_has_its_own_secret_tokens_and_menu() {
    let second = ("wx2222222222222222", "22222222222222222222222222222222");
    let server = match MockServer::spawn(MockConfig {
        more_apps: vec![(second.0.into(), second.1.into())],
        ..MockConfig::default()
    })
    .await
    {
        Ok(server) => server,
        Err(err) => panic!("mock did not start: {err}"),
    };
    let c = MockConfig::default();
    let token = |v: Value| v["access_token"].as_str().map(str::to_string);
    let first = token(
        get(
            &server,
            &token_query("client_credential", &c.appid, &c.appsecret),
        )
        .await,
    )
    .expect("first account's token");
    let other = token(
        get(
            &server,
            &token_query("client_credential", second.0, second.1),
        )
        .await,
    )
    .expect("second account's token");
    assert_ne!(first, other);
    let crossed = get(
        &server,
        &token_query("client_credential", second.0, &c.appsecret),
    )
    .await;
    assert_eq!(
        crossed["errcode"].as_i64(),
        Some(40001),
        "another account's secret"
    );
    let menu = json!({"button": [{"type": "click", "name": "one", "key": "K1"}]});
    let created = post(
        &server,
        &format!("/cgi-bin/menu/create?access_token={first}"),
        &menu,
    )
    .await;
    assert_eq!(created["errcode"].as_i64(), Some(0));
    let mine = get(&server, &format!("/cgi-bin/menu/get?access_token={first}")).await;
    assert_eq!(mine["menu"]["button"][0]["name"], "one");
    let theirs = get(&server, &format!("/cgi-bin/menu/get?access_token={other}")).await;
    assert_eq!(
        theirs["errcode"].as_i64(),
        Some(46003),
        "no menu for the second account"
    );
}

#[tokio::test]
async fn media_upload_takes_multipart_and_refuses_the_rest() {
    let server = start(Duration::from_secs(7200)).await;
    let c = MockConfig::default();
    let token = get(
        &server,
        &token_query("client_credential", &c.appid, &c.appsecret),
    )
    .await["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let upload = |kind: &str, content_type: &str, body: &'static [u8]| {
        let url = format!(
            "{}/cgi-bin/media/upload?access_token={token}&type={kind}",
            server.base_url()
        );
        let request = reqwest::Client::new()
            .post(url)
            .header("content-type", content_type)
            .body(body);
        async move {
            match request.send().await {
                Ok(response) => response.json::<Value>().await.unwrap_or_default(),
                Err(err) => panic!("{err}"),
            }
        }
    };
    let multipart = "multipart/form-data; boundary=b1";
    let body: &[u8] =
        b"--b1\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.jpg\"\r\n\
Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\r\n--b1--\r\n";
    let ok = upload("image", multipart, body).await;
    assert_eq!(ok["type"], "image", "{ok}");
    assert!(
        ok["media_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{ok}"
    );
    assert_eq!(upload("gif", multipart, body).await["errcode"], 40004);
    assert_eq!(
        upload("image", "image/jpeg", b"\xff\xd8\xff").await["errcode"],
        41005
    );
    let unnamed: &[u8] =
        b"--b1\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--b1--\r\n";
    assert_eq!(upload("image", multipart, unnamed).await["errcode"], 41005);
    let uploads = server.state.uploads();
    assert_eq!(uploads.len(), 1, "only the good one kept");
    assert_eq!(uploads[0].body, body);
    let sent = server.state.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].body,
        json!({"type": "image", "content_type": multipart,
               "media": {"filename": "a.jpg", "content_type": "image/jpeg", "size": 3}})
    );
}
