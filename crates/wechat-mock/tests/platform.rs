//! The platform's side of WeChat, over real sockets: ticket pushes, authorisation and its
//! revocation sent as the real pushes to a stand-in gateway, the component calls and their
//! error codes, an authorizer's token accepted by ordinary calls.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use wechat_mock::{MockConfig, MockServer, Platform};
use wechat_proto::{
    parse_message, parse_platform_event, parse_push_envelope, verify_msg_signature,
    verify_signature, EncodingAesKey, MessageCrypt, PlatformEvent,
};

const COMPONENT: &str = "wx3d5e9b6c1a2f4e80";
const SECRET: &str = "c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0";
const TOKEN: &str = "platformtoken";
const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const ACCOUNT: &str = "wx570bc396a51b8ff8";

fn crypt() -> MessageCrypt {
    MessageCrypt::new(EncodingAesKey::parse(KEY).expect("key"), COMPONENT)
}

/// A push as the stand-in gateway took it, verified and decrypted.
#[derive(Debug, Clone)]
struct Taken {
    /// `None` for `/open`, the appid for `/open/{appid}`
    appid: Option<String>,
    /// the envelope's AppId / ToUserName
    app_id: Option<String>,
    to_user_name: Option<String>,
    plain: String,
}

type Log = Arc<Mutex<Vec<Taken>>>;

/// Verifies both signatures and decrypts with the platform's keys, as the gateway will.
fn take(log: &Log, appid: Option<String>, query: &HashMap<String, String>, body: &str) {
    let q = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    assert_eq!(q("encrypt_type"), "aes");
    verify_signature(TOKEN, q("timestamp"), q("nonce"), q("signature")).expect("signature");
    let envelope = parse_push_envelope(body.as_bytes()).expect("envelope");
    verify_msg_signature(
        TOKEN,
        q("timestamp"),
        q("nonce"),
        &envelope.encrypt,
        q("msg_signature"),
    )
    .expect("msg_signature");
    let plain = crypt()
        .decrypt(&envelope.encrypt)
        .expect("decrypts under the component appid");
    log.lock().unwrap_or_else(|p| p.into_inner()).push(Taken {
        appid,
        app_id: envelope.app_id,
        to_user_name: envelope.to_user_name,
        plain,
    });
}

/// A stand-in gateway on 127.0.0.1:0 answering `success`: its base URL and what it took.
async fn gateway() -> (String, Log) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    gateway_on(listener)
}

/// The stand-in gateway on `listener`.
fn gateway_on(listener: tokio::net::TcpListener) -> (String, Log) {
    let log: Log = Arc::default();
    let app =
        Router::new()
            .route(
                "/wechat/open",
                post(
                    |State(log): State<Log>,
                     Query(q): Query<HashMap<String, String>>,
                     body: String| async move {
                        take(&log, None, &q, &body);
                        "success"
                    },
                ),
            )
            .route(
                "/wechat/open/{appid}",
                post(
                    |State(log): State<Log>,
                     Path(appid): Path<String>,
                     Query(q): Query<HashMap<String, String>>,
                     body: String| async move {
                        take(&log, Some(appid), &q, &body);
                        "success"
                    },
                ),
            )
            .with_state(log.clone());
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/wechat"), log)
}

async fn start(push_to: Option<String>, interval: Duration) -> MockServer {
    let mut platform = Platform::new(
        COMPONENT,
        SECRET,
        TOKEN,
        EncodingAesKey::parse(KEY).expect("key"),
    );
    platform.push_to = push_to;
    platform.ticket_interval = interval;
    MockServer::spawn(MockConfig {
        platform: Some(platform),
        ..MockConfig::default()
    })
    .await
    .expect("mock starts")
}

async fn post_json(server: &MockServer, path: &str, body: &Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}{path}", server.base_url()))
        .json(body)
        .send()
        .await
        .expect("mock answers")
        .json()
        .await
        .unwrap_or_default()
}

fn events(log: &Log) -> Vec<PlatformEvent> {
    log.lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|t| t.appid.is_none())
        .map(|t| {
            assert_eq!(
                t.app_id.as_deref(),
                Some(COMPONENT),
                "the envelope names the component"
            );
            parse_platform_event(t.plain.as_bytes()).expect("event parses")
        })
        .collect()
}

async fn wait_for(log: &Log, what: impl Fn(&[PlatformEvent]) -> bool) -> Vec<PlatformEvent> {
    for _ in 0..300 {
        let seen = events(log);
        if what(&seen) {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not pushed in time: {:?}", events(log));
}

/// The component token of the newest ticket, over HTTP.
async fn component_token(server: &MockServer) -> String {
    let ticket = server
        .state
        .current_ticket()
        .unwrap_or_else(|| server.state.issue_ticket());
    let answer = post_json(
        server,
        "/cgi-bin/component/api_component_token",
        &json!({"component_appid": COMPONENT, "component_appsecret": SECRET, "component_verify_ticket": ticket}),
    )
    .await;
    assert_eq!(answer["expires_in"], 7200, "{answer}");
    answer["component_access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn a_ticket_is_pushed_at_start_and_every_interval() {
    let (url, log) = gateway().await;
    let server = start(Some(url), Duration::from_millis(150)).await;
    let seen = wait_for(&log, |seen| seen.len() >= 2).await;
    for event in &seen {
        assert!(
            matches!(event, PlatformEvent::VerifyTicket { .. }),
            "{event:?}"
        );
    }
    let newest = match seen.last() {
        Some(PlatformEvent::VerifyTicket { ticket, .. }) => ticket.clone(),
        _ => String::new(),
    };
    // The newest ticket pushed gets a component token.
    let issued = server.state.current_ticket();
    assert!(issued.is_some());
    assert!(newest.starts_with("ticket@@@"));
    assert!(!component_token(&server).await.is_empty());
}

#[tokio::test]
async fn a_gateway_started_after_the_mock_still_gets_the_first_ticket() {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let server = start(
        Some(format!("http://{addr}/wechat")),
        Duration::from_secs(600),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1200)).await; // a push or two refused meanwhile
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("bind again");
    let (_, log) = gateway_on(listener);
    let seen = wait_for(&log, |seen| !seen.is_empty()).await;
    let pushed = match seen.first() {
        Some(PlatformEvent::VerifyTicket { ticket, .. }) => Some(ticket.clone()),
        _ => None,
    };
    assert_eq!(
        pushed,
        server.state.current_ticket(),
        "the one ticket of the round, retried"
    );
}

#[tokio::test]
async fn authorize_pushes_the_code_which_works_once_and_its_token_works_everywhere() {
    let (url, log) = gateway().await;
    let server = start(Some(url), Duration::from_secs(600)).await;
    let grant = post_json(
        &server,
        "/mock/open/authorize",
        &json!({"appid": ACCOUNT, "nick_name": "Shop"}),
    )
    .await;
    assert_eq!(grant["pushed"], 200, "{grant}");
    assert_eq!(grant["user_name"], "gh_3c884a361561");
    let code = grant["auth_code"].as_str().unwrap_or_default().to_owned();
    let seen = wait_for(&log, |seen| {
        seen.iter().any(|e| e.info_type() == "authorized")
    })
    .await;
    let pushed = seen.iter().find_map(|e| match e {
        PlatformEvent::Authorized {
            authorizer_appid,
            code,
            code_expires_at,
            updated,
            ..
        } => Some((
            authorizer_appid.clone(),
            code.clone(),
            *code_expires_at,
            *updated,
        )),
        _ => None,
    });
    let (appid, pushed_code, expires_at, updated) = pushed.unwrap_or_default();
    assert_eq!(
        (appid.as_str(), pushed_code.as_str(), updated),
        (ACCOUNT, code.as_str(), false)
    );
    assert!(expires_at > chrono::Utc::now().timestamp());

    let token = component_token(&server).await;
    let query_auth = format!("/cgi-bin/component/api_query_auth?component_access_token={token}");
    let body = json!({"component_appid": COMPONENT, "authorization_code": code});
    let answer = post_json(&server, &query_auth, &body).await;
    let info = &answer["authorization_info"];
    assert_eq!(info["authorizer_appid"], ACCOUNT, "{answer}");
    let access = info["authorizer_access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        info["authorizer_refresh_token"].as_str(),
        server.state.refresh_token(ACCOUNT).as_deref()
    );
    assert_eq!(
        post_json(&server, &query_auth, &body).await["errcode"],
        61009
    );

    // The authorizer's token works for the ordinary calls, recorded in /mock/sent.
    let menu = json!({"button": [{"type": "click", "name": "Hi", "key": "K"}]});
    let created = post_json(
        &server,
        &format!("/cgi-bin/menu/create?access_token={access}"),
        &menu,
    )
    .await;
    assert_eq!(created["errcode"], 0, "{created}");
    let sent = reqwest::get(format!("{}/mock/sent", server.base_url()))
        .await
        .expect("sent")
        .json::<Value>()
        .await
        .unwrap_or_default();
    assert_eq!(sent["calls"][0]["path"], "/cgi-bin/menu/create");

    // A template message's job-finish push goes to the account's platform URL.
    let template = json!({"touser": "oUser_1", "template_id": "tpl_1", "data": {}});
    let taken = post_json(
        &server,
        &format!("/cgi-bin/message/template/send?access_token={access}"),
        &template,
    )
    .await;
    assert_eq!(taken["errcode"], 0, "{taken}");
    for _ in 0..200 {
        let account_pushes: Vec<Taken> = log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|t| t.appid.as_deref() == Some(ACCOUNT))
            .cloned()
            .collect();
        if let Some(push) = account_pushes.first() {
            assert_eq!(push.to_user_name.as_deref(), Some("gh_3c884a361561"));
            let message = parse_message(push.plain.as_bytes()).expect("push parses");
            assert_eq!(message.to_user_name, "gh_3c884a361561");
            assert_eq!(message.event(), Some("TEMPLATESENDJOBFINISH"));
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no job-finish push at /open/{ACCOUNT}");
}

#[tokio::test]
async fn unauthorize_pushes_and_kills_the_accounts_tokens() {
    let (url, log) = gateway().await;
    let server = start(Some(url), Duration::from_secs(600)).await;
    let grant = server.state.grant(ACCOUNT, None);
    let token = component_token(&server).await;
    let answer = post_json(
        &server,
        &format!("/cgi-bin/component/api_query_auth?component_access_token={token}"),
        &json!({"component_appid": COMPONENT, "authorization_code": grant.auth_code}),
    )
    .await;
    let access = answer["authorization_info"]["authorizer_access_token"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let revoked = post_json(
        &server,
        "/mock/open/unauthorize",
        &json!({"appid": ACCOUNT}),
    )
    .await;
    assert_eq!(
        (revoked["was_authorized"].clone(), revoked["pushed"].clone()),
        (json!(true), json!(200))
    );
    let seen = wait_for(&log, |seen| {
        seen.iter().any(|e| e.info_type() == "unauthorized")
    })
    .await;
    assert!(seen.iter().any(|e| matches!(e, PlatformEvent::Unauthorized { authorizer_appid, .. } if authorizer_appid == ACCOUNT)));
    let menu = json!({"button": [{"type": "click", "name": "Hi", "key": "K"}]});
    let refused = post_json(
        &server,
        &format!("/cgi-bin/menu/create?access_token={access}"),
        &menu,
    )
    .await;
    assert_eq!(refused["errcode"], 40001);
    let list = post_json(
        &server,
        &format!("/cgi-bin/component/api_get_authorizer_list?component_access_token={token}"),
        &json!({"component_appid": COMPONENT, "offset": 0, "count": 500}),
    )
    .await;
    assert_eq!(list["total_count"], 0, "{list}");
    let refresh = post_json(
        &server,
        &format!("/cgi-bin/component/api_authorizer_token?component_access_token={token}"),
        &json!({"component_appid": COMPONENT, "authorizer_appid": ACCOUNT, "authorizer_refresh_token": "refreshtoken@@@x"}),
    )
    .await;
    assert_eq!(refresh["errcode"], 61023);
}

#[tokio::test]
async fn an_account_push_is_sealed_with_the_platform_keys_for_the_accounts_url() {
    let (url, log) = gateway().await;
    let server = start(Some(url), Duration::from_secs(600)).await;
    server.state.grant(ACCOUNT, None);
    let plain = "<xml><ToUserName><![CDATA[gh_3c884a361561]]></ToUserName><FromUserName><![CDATA[oUser]]></FromUserName>\
        <CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[TESTCOMPONENT_MSG_TYPE_TEXT]]></Content><MsgId>1</MsgId></xml>";
    let answer = server.state.send_account_push(ACCOUNT, plain).await;
    assert_eq!(answer, Ok((200, "success".to_owned())));
    let taken = log.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let push = taken.iter().find(|t| t.appid.as_deref() == Some(ACCOUNT));
    assert!(push
        .is_some_and(|p| p.plain == plain && p.to_user_name.as_deref() == Some("gh_3c884a361561")));
}

#[tokio::test]
async fn component_calls_answer_wechats_error_codes() {
    let server = start(None, Duration::from_secs(600)).await;
    let ticket = server.state.issue_ticket();
    let token_call = |appid: &str, secret: &str, ticket: &str| json!({"component_appid": appid, "component_appsecret": secret, "component_verify_ticket": ticket});
    let path = "/cgi-bin/component/api_component_token";
    assert_eq!(
        post_json(
            &server,
            path,
            &token_call("wx1111111111111111", SECRET, &ticket)
        )
        .await["errcode"],
        40013
    );
    assert_eq!(
        post_json(&server, path, &token_call(COMPONENT, "wrong", &ticket)).await["errcode"],
        40125
    );
    assert_eq!(
        post_json(
            &server,
            path,
            &token_call(COMPONENT, SECRET, "ticket@@@nope")
        )
        .await["errcode"],
        61006
    );
    assert_eq!(server.state.component_token_requests(), 3);
    let body = json!({"component_appid": COMPONENT});
    let preauth = "/cgi-bin/component/api_create_preauthcode";
    assert_eq!(post_json(&server, preauth, &body).await["errcode"], 41001);
    assert_eq!(
        post_json(
            &server,
            &format!("{preauth}?component_access_token=nope"),
            &body
        )
        .await["errcode"],
        40001
    );
    let token = component_token(&server).await;
    let made = post_json(
        &server,
        &format!("{preauth}?component_access_token={token}"),
        &body,
    )
    .await;
    assert_eq!(made["expires_in"], 600, "{made}");
    server.state.expire_component_tokens();
    assert_eq!(
        post_json(
            &server,
            &format!("{preauth}?component_access_token={token}"),
            &body
        )
        .await["errcode"],
        42001
    );
    let token = component_token(&server).await;
    let list = "/cgi-bin/component/api_get_authorizer_list";
    let too_many = json!({"component_appid": COMPONENT, "offset": 0, "count": 501});
    assert_eq!(
        post_json(
            &server,
            &format!("{list}?component_access_token={token}"),
            &too_many
        )
        .await["errcode"],
        40097
    );
    let bad = post_json(
        &server,
        "/mock/open/authorize",
        &json!({"appid": "not-an-appid"}),
    )
    .await;
    assert!(bad["error"].is_string(), "{bad}");
}

#[tokio::test]
async fn without_a_platform_the_component_calls_are_refused() {
    let server = MockServer::spawn(MockConfig::default())
        .await
        .expect("mock starts");
    let answer = post_json(
        &server,
        "/cgi-bin/component/api_component_token",
        &json!({"component_appid": COMPONENT}),
    )
    .await;
    assert_eq!(answer["errcode"], 40013);
    let status = reqwest::Client::new()
        .post(format!("{}/mock/open/authorize", server.base_url()))
        .json(&json!({"appid": ACCOUNT}))
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(status.ok(), Some(404));
}
