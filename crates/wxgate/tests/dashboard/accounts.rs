//! The account picker: with several accounts the dashboard shows every account's totals, or
//! one account's when picked.
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::StatusCode;

use super::webdriver::{self, Browser};
use super::ADMIN_TOKEN;

/// Subscribes `openid` at `account` (plain mode, token `token{account}`).
async fn subscribe(http: &reqwest::Client, base: &str, account: &str, openid: &str) {
    static NONCE: AtomicU64 = AtomicU64::new(1);
    let ts = chrono::Utc::now().timestamp().to_string();
    let nonce = format!("a{}", NONCE.fetch_add(1, Ordering::Relaxed));
    let signature = wechat_proto::signature(&format!("token{account}"), &ts, &nonce);
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[{openid}]]>\
         </FromUserName><CreateTime>{ts}</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[subscribe]]></Event></xml>"
    );
    let resp = http
        .post(format!(
            "{base}/wechat/{account}?signature={signature}&timestamp={ts}&nonce={nonce}"
        ))
        .body(xml)
        .send()
        .await
        .expect("push sent");
    assert_eq!(resp.status(), StatusCode::OK, "push accepted");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_account_picker_shows_every_account_or_one() {
    let Some((chromium, chromedriver)) = webdriver::locate() else {
        crate::tools::missing("chromium and chromedriver (Debian: chromium chromium-driver)");
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let toml = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[admin]\ntoken = \"{ADMIN_TOKEN}\"\n\
         [storage]\nurl = \"sqlite://{}\"\n\
         [[accounts]]\nname = \"one\"\ntoken = \"tokenone\"\n\
         [[accounts]]\nname = \"two\"\ntoken = \"tokentwo\"\n",
        dir.path().join("wx.db").display()
    );
    let gateway = crate::spawn::spawn_app(crate::spawn::config(&toml, dir.path())).await;
    let base = gateway.base();
    let http = reqwest::Client::new();
    subscribe(&http, &base, "one", "oPickOne").await;
    subscribe(&http, &base, "two", "oPickTwo").await;
    subscribe(&http, &base, "two", "oPickThree").await;

    let browser = Browser::start(&chromium, &chromedriver).await;
    browser.goto(&format!("{base}/admin")).await;
    browser.wait_text("#login h2", |t| t == "Sign in").await;
    browser.type_into("#token-input", ADMIN_TOKEN).await;
    let submit = browser.wait_count("#token-submit", 1).await.remove(0);
    browser.click(&submit).await;
    browser.wait_text("#total-followers", |t| t == "3").await;
    assert_eq!(
        browser
            .eval("return document.getElementById('account-picker').hidden")
            .await,
        false,
        "two accounts: the picker shows"
    );
    let pick = |name: &str| {
        format!(
            "const s = document.getElementById('account'); s.value = '{name}'; \
             s.dispatchEvent(new Event('change')); return s.options.length"
        )
    };
    assert_eq!(
        browser.eval(&pick("two")).await,
        3,
        "All accounts, one, two"
    );
    browser.wait_text("#total-followers", |t| t == "2").await;
    browser
        .wait_text("#followers tbody", |t| {
            t.contains("oPickThree") && !t.contains("oPickOne")
        })
        .await;
    browser.eval(&pick("one")).await;
    browser.wait_text("#total-followers", |t| t == "1").await;
    browser.eval(&pick("")).await;
    browser.wait_text("#total-followers", |t| t == "3").await;
    browser
        .wait_text("#followers tbody", |t| t.contains("one · oPickOne"))
        .await;
    browser.quit().await;
}
