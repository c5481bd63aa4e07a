//! OAuth sign-in end to end over real sockets against the mock: both scopes, `[account]` and
//! `[[accounts]]` (by name and by appid), and every way a sign-in must be refused.
use chrono::Utc;
use reqwest::{Method, StatusCode};
use serde_json::json;
use wechat_mock::{WEB_OPENID, WEB_UNIONID};
use wxgate::store::web::{digest, PendingSignIn, SignInResult};

use crate::harness::{
    mock, ticket_of, Accounts, Gateway, ADMIN, APPID, APPID_TWO, PUBLIC_URL, SERVICE,
};

#[tokio::test]
async fn a_base_sign_in_on_account_ends_with_the_openid_for_the_page_server() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Single).await;
    let page = gw
        .sign_in(
            "default",
            "https://shop.example.com/cart?item=3",
            "base",
            &gw.base,
        )
        .await;
    assert_eq!(page.host_str(), Some("shop.example.com"));
    assert_eq!(page.path(), "/cart");
    assert!(
        page.query().unwrap_or("").starts_with("item=3&wx_ticket="),
        "{page}"
    );
    let ticket = ticket_of(&page);
    assert!(
        !page.as_str().contains(WEB_OPENID),
        "the openid never rides in the URL"
    );
    let (status, who) = gw.redeem(&ticket).await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(
        who,
        json!({
            "account": "default", "appid": APPID, "openid": WEB_OPENID, "unionid": WEB_UNIONID,
            "scope": "base", "is_snapshotuser": false, "userinfo": null
        })
    );
    // once only: nothing of the sign-in is kept after it
    assert_eq!(gw.redeem(&ticket).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        gw.store
            .sweep_sign_ins(Utc::now() + chrono::Duration::days(1))
            .await
            .ok(),
        Some(0)
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_userinfo_sign_in_on_account_brings_the_profile() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Single).await;
    let page = gw
        .sign_in("default", "https://shop.example.com/", "userinfo", &gw.base)
        .await;
    let (status, who) = gw.redeem(&ticket_of(&page)).await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["scope"], "userinfo");
    assert_eq!(who["openid"], WEB_OPENID);
    assert!(who["userinfo"]["nickname"].is_string(), "{who}");
    gw.stop().await;
}

#[tokio::test]
async fn a_base_sign_in_on_accounts_has_no_profile() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Listed).await;
    let page = gw
        .sign_in("one", "https://h5.example.com/app/", "base", &gw.base)
        .await;
    let (status, who) = gw.redeem(&ticket_of(&page)).await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["account"], "one");
    assert_eq!(who["scope"], "base");
    assert_eq!(who["userinfo"], serde_json::Value::Null);
    gw.stop().await;
}

#[tokio::test]
async fn a_userinfo_sign_in_on_accounts_by_name_and_by_appid_brings_the_profile() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Listed).await;
    let (_, to_wechat, _) = gw
        .authorize(APPID, "redirect=https%3A%2F%2Fshop.example.com%2F")
        .await;
    let callback = to_wechat.and_then(|url| {
        url.query_pairs()
            .find(|(k, _)| k == "redirect_uri")
            .map(|(_, v)| v.into_owned())
    });
    assert_eq!(
        callback,
        Some(format!("{PUBLIC_URL}/oauth/one/callback")),
        "an appid signs in under the account's name"
    );
    for (path_name, account, appid) in [("two", "two", APPID_TWO), (APPID, "one", APPID)] {
        let page = gw
            .sign_in(
                path_name,
                "https://h5.example.com/app/me",
                "userinfo",
                &gw.base,
            )
            .await;
        let (status, who) = gw.redeem(&ticket_of(&page)).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert_eq!(who["account"], account);
        assert_eq!(who["appid"], appid);
        assert_eq!(who["openid"], WEB_OPENID);
        assert_eq!(who["scope"], "userinfo");
        let profile = &who["userinfo"];
        for field in ["nickname", "headimgurl", "province", "city", "country"] {
            assert!(profile[field].is_string(), "{field}: {profile}");
        }
        assert!(profile["sex"].is_number(), "{profile}");
    }
    gw.stop().await;
}

#[tokio::test]
async fn the_authorize_redirect_has_the_spec_shape() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Single).await;
    let (status, location, _) = gw
        .authorize(
            "default",
            "redirect=https%3A%2F%2Fshop.example.com%2F&scope=userinfo",
        )
        .await;
    assert_eq!(status, StatusCode::FOUND);
    let location = location.expect("Location");
    assert_eq!(location.path(), "/connect/oauth2/authorize");
    assert_eq!(location.fragment(), Some("wechat_redirect"));
    let pairs: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["appid", "redirect_uri", "response_type", "scope", "state"]
    );
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(value("appid"), Some(APPID));
    assert_eq!(
        value("redirect_uri"),
        Some(format!("{PUBLIC_URL}/oauth/default/callback").as_str())
    );
    assert_eq!(value("response_type"), Some("code"));
    assert_eq!(value("scope"), Some("snsapi_userinfo"));
    let state = value("state").unwrap_or("");
    assert!(state.len() >= 22 && state.len() <= 128, "{state}");
    assert!(state.bytes().all(|b| b.is_ascii_alphanumeric()), "{state}");
    gw.stop().await;
}

/// The refused redirects of the unit table, over HTTP: 400, and nothing stored.
#[tokio::test]
async fn redirects_outside_the_allowed_prefixes_are_refused() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Single).await;
    let tricks = [
        "https://evil.io/",
        "https://shop.example.com.evil.io/",
        "https://evilshop.example.com/",
        "https://shop.example.com@evil.io/",
        "https://user:pw@shop.example.com/",
        "https://evil.io#@shop.example.com/",
        "//evil.io/",
        "/\\evil.io/",
        "javascript:alert(document.domain)//https://shop.example.com/",
        "data:text/html,<script>alert(1)</script>",
        "https:\\\\evil.io\\shop.example.com/",
        "https://shop.example.com\\@evil.io/",
        "https://h5.example.com/app/..%2fadmin",
        "https://h5.example.com/app/%2e%2e/admin",
        "https://h5.example.com/app/../admin",
        "https://h5.example.com/application",
        "http://shop.example.com/",
        "https://shop.example.com:8443/",
        "https://shоp.example.com/",
        "https://shop.example.com%2eevil.io/",
        "",
    ];
    for trick in tricks {
        let query = format!(
            "redirect={}&scope=base",
            form_urlencoded::byte_serialize(trick.as_bytes()).collect::<String>()
        );
        let (status, location, body) = gw.authorize("default", &query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{trick:?}: {body}");
        assert!(location.is_none(), "{trick:?}");
        assert!(body.contains("return to"), "{trick:?}: {body}");
    }
    let (status, _, _) = gw.authorize("default", "scope=base").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no redirect");
    let (status, _, _) = gw
        .authorize(
            "default",
            "redirect=https%3A%2F%2Fshop.example.com%2F&scope=openid",
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "unknown scope");
    let (status, _, _) = gw
        .authorize("nobody", "redirect=https%3A%2F%2Fshop.example.com%2F")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "unknown account");
    assert_eq!(
        gw.store
            .sweep_sign_ins(Utc::now() + chrono::Duration::days(1))
            .await
            .ok(),
        Some(0)
    );
    gw.stop().await;
}

/// Takes the authorize page's way to the callback, but stops before the callback: its URL
/// (at the gateway) and the state.
async fn to_callback(gw: &Gateway) -> (String, String) {
    let (_, to_wechat, _) = gw
        .authorize(
            "default",
            "redirect=https%3A%2F%2Fshop.example.com%2F&scope=base",
        )
        .await;
    let (_, to_callback, _) = gw.open(to_wechat.expect("to WeChat").as_str()).await;
    let to_callback = to_callback.expect("to the callback");
    let state = to_callback
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let url = format!(
        "{}{}?{}",
        gw.base,
        to_callback.path(),
        to_callback.query().unwrap_or("")
    );
    (url, state)
}

fn start_again(status: StatusCode, body: &str) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("sign in again"), "{body}");
}

#[tokio::test]
async fn a_state_used_twice_forged_or_expired_gets_the_start_again_page() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Single).await;
    let (callback, _) = to_callback(&gw).await;
    let (status, page, _) = gw.open(&callback).await;
    assert_eq!(status, StatusCode::FOUND);
    let (status, location, body) = gw.open(&callback).await;
    start_again(status, &body);
    assert!(location.is_none());
    let page = page.expect("back to the page");
    assert_eq!(gw.redeem(&ticket_of(&page)).await.0, StatusCode::OK);

    let forged = format!(
        "{}/oauth/default/callback?code=mockcodeX&state=forged",
        gw.base
    );
    let (status, _, body) = gw.open(&forged).await;
    start_again(status, &body);
    let missing = format!("{}/oauth/default/callback?state=forged", gw.base);
    let (status, _, body) = gw.open(&missing).await;
    start_again(status, &body);

    // A state whose ten minutes are over (kept with an expiry already past).
    let expired = PendingSignIn {
        account: "default".into(),
        redirect: "https://shop.example.com/".into(),
        scope: "base".into(),
        expires_at: Utc::now() - chrono::Duration::seconds(1),
    };
    gw.store
        .save_sign_in(&digest("Expired0State"), &expired)
        .await
        .expect("saved");
    let (status, _, body) = gw
        .open(&format!(
            "{}/oauth/default/callback?code=c&state=Expired0State",
            gw.base
        ))
        .await;
    start_again(status, &body);
    assert_eq!(
        gw.store
            .sweep_sign_ins(Utc::now() + chrono::Duration::days(1))
            .await
            .ok(),
        Some(0)
    );
    gw.stop().await;
}

#[tokio::test]
async fn a_state_of_another_account_is_refused() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Listed).await;
    let (_, to_wechat, _) = gw
        .authorize("one", "redirect=https%3A%2F%2Fshop.example.com%2F")
        .await;
    let (_, to_callback, _) = gw.open(to_wechat.expect("to WeChat").as_str()).await;
    let query = to_callback
        .expect("to the callback")
        .query()
        .unwrap_or("")
        .to_owned();
    let (status, _, body) = gw
        .open(&format!("{}/oauth/two/callback?{query}", gw.base))
        .await;
    start_again(status, &body);
    gw.stop().await;
}

#[tokio::test]
async fn a_code_wechat_refuses_gets_the_start_again_page_and_nothing_is_kept() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Single).await;
    for code in [40029, 40163] {
        let (callback, _) = to_callback(&gw).await;
        mock.state.fail_next(1, code);
        let (status, _, body) = gw.open(&callback).await;
        start_again(status, &body);
    }
    assert_eq!(
        gw.store
            .sweep_sign_ins(Utc::now() + chrono::Duration::days(1))
            .await
            .ok(),
        Some(0)
    );
    let metrics = gw
        .browser
        .get(format!("{}/metrics", gw.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("wxgate_sign_ins_refused_total{reason=\"code\"}"),
        "{metrics}"
    );
    assert!(
        metrics.contains("wxgate_sign_ins_started_total"),
        "{metrics}"
    );
    gw.stop().await;
}

#[tokio::test]
async fn refused_sign_ins_never_count_toward_the_admin_throttle() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Single).await;
    for i in 0..25 {
        let url = format!("{}/oauth/default/callback?code=c&state=forged{i}", gw.base);
        let (status, _, _) = gw.open(&url).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(
            gw.redeem(&format!("forged{i}")).await.0,
            StatusCode::NOT_FOUND
        );
    }
    let (status, _) = gw.api(ADMIN, Method::GET, "/stats", None).await;
    assert_eq!(status, StatusCode::OK);
    gw.stop().await;
}

#[tokio::test]
async fn a_ticket_redeemed_late_is_gone_and_the_service_token_may_redeem() {
    let mock = mock().await;
    let gw = Gateway::sqlite(&mock, Accounts::Single).await;
    let late = SignInResult {
        account: "default".into(),
        appid: APPID.into(),
        openid: "oLate".into(),
        unionid: None,
        scope: "base".into(),
        is_snapshotuser: false,
        userinfo: None,
        expires_at: Utc::now() - chrono::Duration::milliseconds(1),
    };
    gw.store
        .save_sign_in_result(&digest("LateTicket"), &late)
        .await
        .expect("saved");
    assert_eq!(gw.redeem("LateTicket").await.0, StatusCode::NOT_FOUND);
    let page = gw
        .sign_in("default", "https://shop.example.com/", "base", &gw.base)
        .await;
    let (status, who) = gw
        .api(
            SERVICE,
            Method::POST,
            "/oauth/redeem",
            Some(json!({"ticket": ticket_of(&page)})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["openid"], WEB_OPENID);
    let (status, _) = gw.api(SERVICE, Method::GET, "/stats", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = gw
        .api(
            ADMIN,
            Method::POST,
            "/oauth/redeem",
            Some(json!({"nope": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    gw.stop().await;
}

#[tokio::test]
async fn the_callback_is_taken_by_the_other_of_two_postgresql_instances() {
    crate::postgres::with_postgres("wxgate_web", |url| async move {
        let mock = mock().await;
        let text = crate::harness::config_text(&mock, Accounts::Single, &url);
        let a = Gateway::start(&text).await;
        let b = Gateway::start(&text).await;
        let page = a
            .sign_in("default", "https://shop.example.com/", "userinfo", &b.base)
            .await;
        let ticket = ticket_of(&page);
        let (status, who) = a.redeem(&ticket).await;
        assert_eq!(status, StatusCode::OK, "{who}");
        assert_eq!(who["openid"], WEB_OPENID);
        assert_eq!(b.redeem(&ticket).await.0, StatusCode::NOT_FOUND);
        a.stop().await;
        b.stop().await;
    })
    .await;
}
