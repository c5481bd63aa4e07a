//! The web pages of an account of the platform (issue 21 item 3): the sign-in takes the
//! component variant — WeChat's page is asked with `component_appid`, the code is exchanged at
//! `sns/oauth2/component/access_token` under the component token (the gateway holds no
//! secret of the account) — and the JS-SDK signature uses the authorizer's own jsapi_ticket.
use reqwest::redirect::Policy;
use reqwest::{Method, StatusCode};
use serde_json::json;
use url::Url;
use wechat_mock::{WEB_OPENID, WEB_UNIONID};

use crate::harness::*;
use crate::A;

/// A GET as a browser makes it (no redirect followed): status and `Location`.
async fn open(browser: &reqwest::Client, url: &str) -> (StatusCode, Option<Url>) {
    let resp = browser.get(url).send().await.expect("request");
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(|v| Url::parse(v).expect("an absolute Location"));
    (resp.status(), location)
}

fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authorizer_signs_visitors_in_through_the_component() {
    let mock = mock().await;
    let (dir, url) = sqlite();
    let extra = format!(
        "open_base_url = \"{}\"\n[web]\nallowed_redirects = [\"https://shop.example.com/\"]\n",
        mock.base_url()
    );
    let gw = Gateway::serving(
        dir.path(),
        &config_toml(&url, &mock.base_url(), &extra),
        &mock,
        A,
    )
    .await;

    let browser = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client");
    let (status, to_wechat) = open(
        &browser,
        &gw.url(&format!(
            "/oauth/{A}/authorize?redirect=https%3A%2F%2Fshop.example.com%2Fcart&scope=base"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::FOUND);
    let to_wechat = to_wechat.expect("a Location to WeChat");
    assert_eq!(param(&to_wechat, "appid").as_deref(), Some(A));
    assert_eq!(
        param(&to_wechat, "component_appid").as_deref(),
        Some(COMPONENT),
        "{to_wechat}"
    );

    let (status, to_callback) = open(&browser, to_wechat.as_str()).await;
    assert_eq!(status, StatusCode::FOUND, "the mock's OAuth page");
    let to_callback = to_callback.expect("a Location to the callback");
    assert_eq!(to_callback.path(), format!("/oauth/{A}/callback"));
    let reached = gw.url(&format!(
        "{}?{}",
        to_callback.path(),
        to_callback.query().unwrap_or("")
    ));
    let (status, page) = open(&browser, &reached).await;
    assert_eq!(status, StatusCode::FOUND, "callback");
    let page = page.expect("a Location back to the page");
    assert_eq!(page.host_str(), Some("shop.example.com"));
    let ticket = param(&page, "wx_ticket").expect("a wx_ticket");

    let (status, who) = gw
        .api(
            Method::POST,
            "/api/oauth/redeem",
            Some(json!({ "ticket": ticket })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{who}");
    assert_eq!(who["account"], A);
    assert_eq!(who["appid"], A);
    assert_eq!(who["openid"], WEB_OPENID);
    assert_eq!(who["unionid"], WEB_UNIONID);

    // The JS-SDK config of the authorizer: its own ticket, fetched with its own token.
    let (status, config) = gw
        .get(&format!(
            "/api/jssdk/config?account={A}&url=https%3A%2F%2Fshop.example.com%2Fcart"
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{config}");
    assert_eq!(config["appId"], A);
    assert!(
        config["signature"]
            .as_str()
            .is_some_and(|s| s.len() == 40 && s.chars().all(|c| c.is_ascii_hexdigit())),
        "{config}"
    );
    gw.stop().await;
}
