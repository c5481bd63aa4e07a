//! The third-party platform over real sockets, the mock as the platform's WeChat: the whole
//! flow (ticket → authorize → pushes answered encrypted → calls with the authorizer's token →
//! unauthorize → 403/409 → erased), codes exchanged once by either path, a restart keeping
//! ticket, tokens and accounts, refusals that change nothing, the release test, 61023 and
//! recovery by sync.
mod cli;
mod harness;
mod instances;
#[path = "../common/postgres.rs"]
mod postgres;
mod scale;
#[path = "../common/spawn.rs"]
mod spawn;
mod web;

use reqwest::{Method, StatusCode};
use serde_json::json;
use wechat_mock::authorizer_user_name;

use harness::*;

const A: &str = "wxa1a1a1a1a1a1a1a1";
const B: &str = "wxb2b2b2b2b2b2b2b2";
const RULE: &str =
    "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"hello from the platform\" }\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_flow_from_ticket_to_erasure() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let gw = Gateway::start(
        dir.path(),
        &config_toml(&url, &mock.base_url(), RULE),
        &mock,
    )
    .await;
    push_ticket(&gw, &mock.state).await;
    assert_eq!(gw.status_of(A).await, None);
    let (status, _) = gw
        .push(A, &text_to(&authorizer_user_name(A), "o1", "hi", 1))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not authorised yet");

    let grant = authorize(&mock, A).await;
    assert_eq!(grant["pushed"], 200);
    gw.wait_status(A, Some("authorized")).await;
    let (_, accounts) = gw.get("/api/accounts").await;
    let listed = &accounts["accounts"][0];
    assert_eq!(listed["source"], "open_platform");
    assert_eq!(listed["push_path"], format!("/wechat/open/{A}"));
    let (_, authorizers) = gw.get("/api/open/authorizers").await;
    assert_eq!(
        authorizers["authorizers"][0]["user_name"],
        authorizer_user_name(A)
    );

    let gh = authorizer_user_name(A);
    let (status, reply) = gw.push(A, &text_to(&gh, "o1", "hi", 2)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(reply.contains("hello from the platform"), "{reply}");
    assert!(
        reply.contains("<ToUserName><![CDATA[o1]]></ToUserName>"),
        "{reply}"
    );

    let (status, code) = gw
        .api(
            Method::POST,
            "/api/qrcodes",
            Some(json!({"account": A, "scene": "7"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{code}");
    let (status, token) = gw.get(&format!("/api/access_token?account={A}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(token["access_token"]
        .as_str()
        .is_some_and(|t| !t.is_empty()));

    unauthorize(&mock, A).await;
    gw.wait_status(A, Some("revoked")).await;
    let (status, _) = gw.push(A, &text_to(&gh, "o1", "again", 3)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = gw.get(&format!("/api/access_token?account={A}")).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = gw
        .api(
            Method::POST,
            "/api/qrcodes",
            Some(json!({"account": A, "scene": "8"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    let (status, _) = gw
        .api(Method::DELETE, &format!("/api/accounts/{A}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(gw.status_of(A).await, None);
    let (_, authorizers) = gw.get("/api/open/authorizers").await;
    assert_eq!(authorizers["authorizers"], json!([]));
    let (status, _) = gw.get(&format!("/api/events?account={A}")).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "no account of that name any more"
    );
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_that_comes_twice_and_by_both_paths_is_exchanged_once() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let gw = Gateway::start(dir.path(), &config_toml(&url, &mock.base_url(), ""), &mock).await;
    push_ticket(&gw, &mock.state).await;
    let grant = authorize(&mock, A).await;
    let code = grant["auth_code"].as_str().expect("code").to_string();
    for _ in 0..2 {
        let resp = gw
            .http
            .get(gw.url("/wechat/open/authorized"))
            .query(&[("auth_code", code.as_str()), ("expires_in", "600")])
            .send()
            .await
            .expect("redirect");
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let xml = format!(
        "<xml><AppId>{COMPONENT}</AppId><CreateTime>{}</CreateTime><InfoType>authorized</InfoType>\
         <AuthorizerAppid>{A}</AuthorizerAppid><AuthorizationCode>{code}</AuthorizationCode>\
         <AuthorizationCodeExpiredTime>{}</AuthorizationCodeExpiredTime></xml>",
        now(),
        now() + 3600
    );
    let (status, body) = gw.event(&xml, COMPONENT, TOKEN).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "success"));
    gw.wait_status(A, Some("authorized")).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(mock.state.query_auth_requests(), 1);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_keeps_the_ticket_the_tokens_and_the_accounts() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let text = config_toml(&url, &mock.base_url(), RULE);
    let gw = Gateway::serving(dir.path(), &text, &mock, A).await;
    let (_, before) = gw.get(&format!("/api/access_token?account={A}")).await;
    gw.stop().await;
    let fetches = mock.state.component_token_requests();
    let refreshes = mock.state.authorizer_token_requests();

    let gw = Gateway::start(dir.path(), &text, &mock).await;
    assert_eq!(gw.status_of(A).await.as_deref(), Some("authorized"));
    let (status, reply) = gw
        .push(A, &text_to(&authorizer_user_name(A), "o1", "hi", 9))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(reply.contains("hello from the platform"));
    let (_, after) = gw.get(&format!("/api/access_token?account={A}")).await;
    assert_eq!(before["access_token"], after["access_token"]);
    let (status, _) = gw.get("/api/open/component_access_token").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(mock.state.component_token_requests(), fetches);
    assert_eq!(mock.state.authorizer_token_requests(), refreshes);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_wrong_appids_and_strangers_change_nothing() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let gw = Gateway::start(dir.path(), &config_toml(&url, &mock.base_url(), ""), &mock).await;
    let ticket = format!(
        "<xml><AppId>{COMPONENT}</AppId><CreateTime>{}</CreateTime>\
         <InfoType>component_verify_ticket</InfoType><ComponentVerifyTicket>t@@@1</ComponentVerifyTicket></xml>",
        now()
    );
    let (status, _) = gw.event(&ticket, COMPONENT, "wrongtoken").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = gw.event(&ticket, "wx9999999999999999", TOKEN).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let other = ticket.replace(COMPONENT, "wx9999999999999999");
    let (status, _) = gw.event(&other, COMPONENT, TOKEN).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "the event's AppId is another platform's"
    );
    let (status, _) = gw.get("/api/open/component_access_token").await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "no ticket was kept");
    let (status, _) = gw
        .push(B, &text_to(&authorizer_user_name(B), "o1", "hi", 1))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, accounts) = gw.get("/api/accounts").await;
    assert_eq!(accounts["accounts"], json!([]));
    // Every InfoType gets `success`.
    let unknown = format!(
        "<xml><AppId>{COMPONENT}</AppId><CreateTime>{}</CreateTime><InfoType>notify_third_fasteregister</InfoType></xml>",
        now()
    );
    let (status, body) = gw.event(&unknown, COMPONENT, TOKEN).await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "success"));
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_captured_for_one_account_is_refused_at_another() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let gw = Gateway::start(
        dir.path(),
        &config_toml(&url, &mock.base_url(), RULE),
        &mock,
    )
    .await;
    push_ticket(&gw, &mock.state).await;
    authorize(&mock, A).await;
    authorize(&mock, B).await;
    gw.wait_status(A, Some("authorized")).await;
    gw.wait_status(B, Some("authorized")).await;
    let (status, _) = gw
        .push(A, &text_to(&authorizer_user_name(B), "o1", "hi", 1))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, events) = gw.get("/api/events").await;
    assert_eq!(events["events"], json!([]));
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_release_test_gets_its_answers() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let gw = Gateway::start(
        dir.path(),
        &config_toml(&url, &mock.base_url(), RULE),
        &mock,
    )
    .await;
    push_ticket(&gw, &mock.state).await;
    for (appid, gh) in [
        ("wx570bc396a51b8ff8", "gh_3c884a361561"),
        ("wx9252c5e0bb1836fc", "gh_c0f28a78b318"),
        ("wx8e1097c5bc82cde9", "gh_3f222ed8d140"),
        ("wx14550af28c71a144", "gh_26128078e9ab"),
        ("wxa35b9c23cfe664eb", "gh_2b3713f184a6"),
    ] {
        let (status, reply) = gw
            .push(
                appid,
                &text_to(gh, "otest", "TESTCOMPONENT_MSG_TYPE_TEXT", 1),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{appid}");
        assert!(
            reply.contains("<Content><![CDATA[TESTCOMPONENT_MSG_TYPE_TEXT_callback]]></Content>"),
            "{reply}"
        );
        assert!(reply.contains("<ToUserName><![CDATA[otest]]></ToUserName>"));
        let (status, reply) = gw.push(appid, &event_to(gh, "otest", "LOCATION")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(reply.contains("LOCATIONfrom_callback"), "{reply}");
    }
    let appid = "wx570bc396a51b8ff8";
    let code = mock.state.grant(appid, None).auth_code;
    let (status, body) = gw
        .push(
            appid,
            &text_to(
                "gh_3c884a361561",
                "otest",
                &format!("QUERY_AUTH_CODE:{code}"),
                2,
            ),
        )
        .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "success"));
    let want = format!("{code}_from_api");
    for _ in 0..100 {
        if mock
            .state
            .sent()
            .iter()
            .any(|c| c.body.to_string().contains(&want))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let sent = mock.state.sent();
    let custom = sent
        .iter()
        .find(|c| c.path.contains("message/custom/send"))
        .expect("a customer-service message");
    assert!(custom.body.to_string().contains(&want), "{:?}", custom.body);
    assert!(custom.body.to_string().contains("otest"));
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_token_marks_reauthorize_and_sync_recovers() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let gw = Gateway::serving(
        dir.path(),
        &config_toml(&url, &mock.base_url(), ""),
        &mock,
        A,
    )
    .await;
    // WeChat forgets the refresh token the gateway holds and the access token dies.
    mock.state.rotate_refresh_token(A);
    mock.state.invalidate_tokens();
    let (status, _) = gw
        .api(
            Method::POST,
            "/api/qrcodes",
            Some(json!({"account": A, "scene": "1"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    gw.wait_status(A, Some("reauthorize")).await;
    // An account that authorised while the gateway missed it, and the refresh token WeChat
    // holds now: recovered from the authorizer list.
    mock.state.grant(B, Some("Missed"));
    let (status, synced) = gw
        .api(Method::POST, "/api/open/authorizers/sync", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(synced, json!({"total": 2, "added": 1, "updated": 1}));
    gw.wait_status(A, Some("authorized")).await;
    gw.wait_status(B, Some("authorized")).await;
    let (status, _) = gw
        .api(
            Method::POST,
            "/api/qrcodes",
            Some(json!({"account": A, "scene": "2"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the recovered refresh token works"
    );
    let (status, _) = gw
        .api(
            Method::POST,
            "/api/qrcodes",
            Some(json!({"account": B, "scene": "3"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_lost_from_the_store_is_recovered_from_the_authorizer_list() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let text = config_toml(&url, &mock.base_url(), "");
    let gw = Gateway::serving(dir.path(), &text, &mock, A).await;
    gw.stop().await;
    // The refresh token and the access token are gone from the store (a wiped row).
    let store = wxgate::store::open(&url.parse().expect("a storage url"))
        .await
        .expect("store");
    store
        .revoke_authorizer(A, chrono::Utc::now())
        .await
        .expect("wipe");
    store
        .set_authorizer_status(
            A,
            wxgate::store::platform::AuthorizerStatus::Authorized,
            chrono::Utc::now(),
        )
        .await
        .expect("status");
    assert!(store.sealed_refresh_token(A).await.expect("read").is_none());
    store.close().await;

    let gw = Gateway::start(dir.path(), &text, &mock).await;
    let (status, token) = gw.get(&format!("/api/access_token?account={A}")).await;
    assert_eq!(status, StatusCode::OK, "{token}");
    assert_eq!(
        mock.state.authorizer_token_requests(),
        1,
        "refreshed with the recovered token"
    );
    let (status, _) = gw
        .api(
            Method::POST,
            "/api/qrcodes",
            Some(json!({"account": A, "scene": "1"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    gw.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_keeps_the_authorizers_served() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let text = config_toml(&url, &mock.base_url(), RULE);
    let gw = Gateway::serving(dir.path(), &text, &mock, A).await;
    let shop = format!(
        "{text}[[accounts]]\nname = \"shop\"\nappid = \"wx5555555555555555\"\ntoken = \"shoptoken\"\n"
    );
    let raw = wxgate::config::parse_toml(&shop).expect("parses");
    let fresh = wxgate::config::Config::from_raw(raw, dir.path(), |_| None).expect("valid");
    let change = gw.state.reload(&fresh).await;
    assert_eq!(change.added, ["shop"]);
    assert!(change.removed.is_empty(), "{change:?}");
    assert_eq!(gw.status_of(A).await.as_deref(), Some("authorized"));
    assert_eq!(gw.status_of("shop").await.as_deref(), Some("active"));
    let (status, reply) = gw
        .push(A, &text_to(&authorizer_user_name(A), "o1", "hi", 4))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(reply.contains("hello from the platform"));
    gw.stop().await;
}
