//! The admin dashboard in a real browser: a headless Chromium, driven through ChromeDriver,
//! signs in to `/admin` of an in-process gateway, reads what a few signed pushes recorded,
//! checks the charts' bars against the API, pages, and forgets a follower; screenshots of the
//! page wide and 420 px narrow go to `target/screenshots/`.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`.ci/setup` installs them):
//! without them the tests fail, saying so.
mod accounts;
mod charts;
#[path = "../common/spawn.rs"]
mod spawn;
#[path = "../common/tools.rs"]
mod tools;
mod webdriver;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use reqwest::StatusCode;
use tempfile::TempDir;
use webdriver::Browser;

const ADMIN_TOKEN: &str = "secret-admin";
/// The default `[account] token`, which signs the pushes.
const PUSH_TOKEN: &str = "wxgatedevtoken";
const FAN: &str = "oDashboardFan0001";
/// Came through scene 42 too, then unfollowed (forgotten: only the counters remember).
const GONE: &str = "oDashboardGone0001";

/// A gateway serving on 127.0.0.1:0 until the test ends.
struct Gateway {
    addr: SocketAddr,
    http: reqwest::Client,
    _gateway: crate::spawn::App,
    _dir: TempDir,
}

impl Gateway {
    async fn start() -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let toml = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[admin]\ntoken = \"{ADMIN_TOKEN}\"\n\
             [storage]\nurl = \"sqlite://{}\"\n\
             [[rules]]\nwhen = {{ content_regex = \"^hello\" }}\nreply = {{ text = \"Hello from wxgate\" }}\n",
            dir.path().join("wx.db").display()
        );
        let gateway = crate::spawn::spawn_app(crate::spawn::config(&toml, dir.path())).await;
        Gateway {
            addr: gateway.addr,
            http: reqwest::Client::new(),
            _gateway: gateway,
            _dir: dir,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A plain-mode push signed as WeChat signs it; asserts it was accepted.
    async fn push(&self, from: &str, body: &str) {
        static NONCE: AtomicU64 = AtomicU64::new(1);
        let ts = chrono::Utc::now().timestamp().to_string();
        let nonce = format!("n{}", NONCE.fetch_add(1, Ordering::Relaxed));
        let signature = wechat_proto::signature(PUSH_TOKEN, &ts, &nonce);
        let xml = format!(
            "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>\
             <FromUserName><![CDATA[{from}]]></FromUserName>\
             <CreateTime>{ts}</CreateTime>{body}</xml>"
        );
        let resp = self
            .http
            .post(self.url(&format!(
                "/wechat?signature={signature}&timestamp={ts}&nonce={nonce}"
            )))
            .header("content-type", "text/xml")
            .body(xml)
            .send()
            .await
            .expect("push sent");
        assert_eq!(resp.status(), StatusCode::OK, "push accepted");
    }

    async fn event(&self, from: &str, event: &str, key: Option<&str>) {
        let key = key.map_or(String::new(), |k| {
            format!("<EventKey><![CDATA[{k}]]></EventKey>")
        });
        let body =
            format!("<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{key}");
        self.push(from, &body).await;
    }

    async fn text(&self, from: &str, content: &str, msg_id: u64) {
        let body = format!(
            "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>\
             <MsgId>{msg_id}</MsgId>"
        );
        self.push(from, &body).await;
    }

    /// An admin API call answering JSON.
    async fn api_json(&self, path: &str) -> serde_json::Value {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("API call");
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        resp.json().await.expect("JSON")
    }

    async fn api_status(&self, path: &str) -> StatusCode {
        self.http
            .get(self.url(path))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("API call")
            .status()
    }
}

/// `target/screenshots/` of the workspace (or under `CARGO_TARGET_DIR`), created.
fn screenshots_dir() -> PathBuf {
    let dir = tools::target_dirs()
        .into_iter()
        .next()
        .unwrap_or_else(|| tools::workspace().join("target"))
        .join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshots dir");
    dir
}

/// A screenshot at `width` px, of the whole page or of its first `height` px, written to
/// `target/screenshots/NAME.png`.
async fn screenshot(browser: &Browser, width: u32, height: Option<u32>, name: &str) {
    browser.set_window_size(width, 900).await;
    let height = match height {
        Some(height) => height,
        None => {
            let page = browser
                .eval("return Math.ceil(document.documentElement.scrollHeight)")
                .await
                .as_u64()
                .unwrap_or(900)
                .clamp(600, 6000) as u32;
            page + 140
        }
    };
    browser.set_window_size(width, height).await;
    // Let the charts redraw at the new width.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let png = browser.screenshot().await;
    let shot = screenshots_dir().join(format!("{name}.png"));
    std::fs::write(&shot, &png).expect("screenshot written");
    eprintln!("screenshot: {}", shot.display());
}

/// Texts of the cells of every row of a table body.
async fn rows(browser: &Browser, table: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let count = browser.all(&format!("#{table} tbody tr")).await.len();
    for i in 1..=count {
        let mut cells = Vec::new();
        for td in browser
            .all(&format!("#{table} tbody tr:nth-child({i}) td"))
            .await
        {
            cells.push(browser.text(&td).await);
        }
        out.push(cells);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_signs_in_shows_the_records_pages_and_forgets() {
    let Some((chromium, chromedriver)) = webdriver::locate() else {
        crate::tools::missing("chromium and chromedriver (Debian: chromium chromium-driver)");
    };
    let gw = Gateway::start().await;
    gw.event(FAN, "subscribe", Some("qrscene_42")).await;
    gw.event(GONE, "subscribe", Some("qrscene_42")).await;
    gw.event(GONE, "unsubscribe", None).await;
    gw.text(FAN, "hello there", 1001).await;
    gw.event(FAN, "CLICK", Some("<b>menu</b> & more")).await;

    let browser = Browser::start(&chromium, &chromedriver).await;
    browser.goto(&gw.url("/admin")).await;

    // The token form, and nothing else yet.
    browser.wait_text("#login h2", |t| t == "Sign in").await;
    assert_eq!(
        browser.text_of("#total-subscribed").await.as_deref(),
        Some(""),
        "dashboard hidden"
    );

    // A wrong token: the API's 401 error, and the form again.
    browser.type_into("#token-input", "not-the-token").await;
    let submit = browser.wait_count("#token-submit", 1).await.remove(0);
    browser.click(&submit).await;
    let error = browser.wait_text("#login-error", |t| !t.is_empty()).await;
    assert!(error.contains("Wrong admin token"), "{error}");
    assert!(
        error.contains("missing or wrong bearer token"),
        "the API's error: {error}"
    );
    assert_eq!(
        browser.text_of("#total-subscribed").await.as_deref(),
        Some("")
    );

    // The right token: totals, the scene, the events, the follower.
    browser.type_into("#token-input", ADMIN_TOKEN).await;
    browser.click(&submit).await;
    browser.wait_text("#total-subscribed", |t| t == "1").await;
    assert_eq!(
        browser.text_of("#total-followers").await.as_deref(),
        Some("1")
    );
    assert_eq!(browser.text_of("#total-events").await.as_deref(), Some("3"));
    assert_eq!(
        browser
            .eval("return sessionStorage.getItem('wxgate.adminToken')")
            .await,
        ADMIN_TOKEN
    );

    let scenes = rows(&browser, "scenes").await;
    assert_eq!(scenes.len(), 1, "{scenes:?}");
    assert_eq!(scenes[0][0], "42");
    assert_eq!(
        scenes[0][2..5],
        ["2", "0", "1"],
        "two follows from scene 42, one unfollow: {scenes:?}"
    );

    let events = rows(&browser, "events").await;
    assert_eq!(events.len(), 3, "{events:?}");
    // Newest first: the click, the text (answered by the rule), the subscribe; times in the
    // browser's zone, named.
    assert!(events[0][0].contains(" UTC"), "{events:?}");
    assert!(
        browser
            .text_of("#zone")
            .await
            .unwrap_or_default()
            .starts_with("times in UTC"),
        "the zone is named"
    );
    assert_eq!(events[0][1], FAN);
    assert_eq!(events[0][2], "event / CLICK");
    assert_eq!(
        events[0][3], "CLICK <b>menu</b> & more",
        "markup shown as text"
    );
    assert_eq!(events[0][4], "–", "answered success");
    assert_eq!(events[1][2], "text");
    assert_eq!(events[1][3], "hello there", "what the user sent");
    assert_eq!(events[1][4], "Hello from wxgate", "the rule's reply");
    assert_eq!(events[2][2], "event / subscribe");
    assert_eq!(events[2][3], "subscribe qrscene_42");
    assert!(
        browser.all("#events tbody b").await.is_empty(),
        "no HTML from data"
    );
    // The reply's raw XML on click.
    let reply = browser
        .wait_count("#events tbody tr:nth-child(2) td.reply summary", 1)
        .await
        .remove(0);
    browser.click(&reply).await;
    let xml = browser
        .wait_text("#events tbody tr:nth-child(2) td.reply pre.xml", |t| {
            !t.is_empty()
        })
        .await;
    assert!(xml.starts_with("<xml>"), "{xml}");
    assert!(xml.contains("<![CDATA[Hello from wxgate]]>"), "{xml}");

    charts::match_the_api(&browser, &gw).await;

    let followers = rows(&browser, "followers").await;
    assert_eq!(followers.len(), 1, "{followers:?}");
    assert_eq!(followers[0][0], FAN);
    assert_eq!(followers[0][1], "yes");
    assert_eq!(followers[0][3], "42");

    // The QR-code section shows only when `/api/qrcodes` answers; no error either way.
    let qr_section = browser
        .text_of("#qrcodes-section")
        .await
        .unwrap_or_default();
    if gw.api_status("/api/qrcodes").await == StatusCode::OK {
        assert!(qr_section.starts_with("QR codes"), "{qr_section}");
    } else {
        assert_eq!(qr_section, "", "hidden without the QR-code API");
    }
    assert_eq!(browser.text_of("#error").await.as_deref(), Some(""));

    screenshot(&browser, 1280, None, "dashboard-wide").await;
    screenshot(&browser, 420, None, "dashboard-narrow").await;
    browser.set_window_size(1280, 1400).await;

    // Forget: confirm, DELETE, refresh.
    let forget = browser
        .wait_count("#followers button.forget", 1)
        .await
        .remove(0);
    browser.click(&forget).await;
    let question = browser.accept_dialog().await;
    assert!(question.contains(FAN), "{question}");
    browser.wait_count("#followers tbody tr", 0).await;
    browser
        .wait_text("#followers-empty", |t| t == "No followers.")
        .await;
    browser.wait_text("#total-followers", |t| t == "0").await;
    assert_eq!(
        gw.api_status(&format!("/api/followers/{FAN}")).await,
        StatusCode::NOT_FOUND
    );

    // Paging: 21 new followers, one push each; the auto-refresh picks the events up.
    for i in 0..21 {
        gw.event(&format!("oDashboardPage{i:04}"), "subscribe", None)
            .await;
    }
    browser.wait_text("#total-events", |t| t == "21").await;
    browser.wait_count("#events tbody tr", 20).await;
    let older = browser.wait_count("#events-older", 1).await.remove(0);
    browser.click(&older).await;
    browser.wait_count("#events tbody tr", 1).await;
    browser
        .wait_text("#events tbody tr td:nth-child(2)", |t| {
            t == "oDashboardPage0000"
        })
        .await;

    // Followers do not auto-refresh; "First" reloads the first page, "Next" follows `next`.
    assert_eq!(browser.all("#followers tbody tr").await.len(), 0);
    let first = browser.wait_count("#followers-first", 1).await.remove(0);
    let next = browser.wait_count("#followers-next", 1).await.remove(0);
    browser.click(&first).await;
    browser.wait_count("#followers tbody tr", 20).await;
    browser.click(&next).await;
    browser.wait_count("#followers tbody tr", 1).await;
    browser
        .wait_text("#followers tbody tr td:first-child", |t| {
            t == "oDashboardPage0020"
        })
        .await;

    // Sign out forgets the token.
    let sign_out = browser.wait_count("#sign-out", 1).await.remove(0);
    browser.click(&sign_out).await;
    browser.wait_text("#login h2", |t| t == "Sign in").await;
    assert_eq!(
        browser
            .eval("return sessionStorage.getItem('wxgate.adminToken')")
            .await,
        serde_json::Value::Null
    );

    qr_codes_render_as_images_with_safe_links(&browser).await;
    charts::draw_a_month_that_reads_well(&browser).await;
    browser.quit().await;
}

/// The QR-code table, fed by a stand-in for `GET /api/qrcodes` and `/api/qrcodes/{scene}.svg`
/// (wrapping `fetch` in the page): images through blob URLs the CSP allows, labels as text,
/// and only http(s) links.
async fn qr_codes_render_as_images_with_safe_links(browser: &Browser) {
    browser
        .eval(
            r#"
            const realFetch = window.fetch;
            const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2">'
              + '<rect width="1" height="1"/><rect x="1" y="1" width="1" height="1"/></svg>';
            const codes = {qrcodes: [
              {scene: "42", label: "<img src=x>Poster A", ticket: "t42", url: "http://weixin.qq.com/q/42",
               show_url: "javascript:alert(1)", expires_at: null, subscribes: 1, scans: 3},
              {scene: "7", label: null, ticket: "t7", url: "http://weixin.qq.com/q/7",
               show_url: "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=t7",
               expires_at: "2030-01-01T00:00:00Z", subscribes: 0, scans: 0},
            ]};
            window.fetch = (url, init) => {
              const path = String(url);
              if (path === "/api/qrcodes") {
                return Promise.resolve(new Response(JSON.stringify(codes),
                  {headers: {"content-type": "application/json"}}));
              }
              if (/^\/api\/qrcodes\/.+\.svg$/.test(path)) {
                return Promise.resolve(new Response(svg, {headers: {"content-type": "image/svg+xml"}}));
              }
              return realFetch(url, init);
            };
            "#,
        )
        .await;
    browser.type_into("#token-input", ADMIN_TOKEN).await;
    let submit = browser.wait_count("#token-submit", 1).await.remove(0);
    browser.click(&submit).await;
    browser.wait_count("#qrcodes tbody tr", 2).await;
    let codes = rows(browser, "qrcodes").await;
    assert_eq!(
        codes[0][1..6],
        ["42", "<img src=x>Poster A", "permanent", "1", "3"],
        "{codes:?}"
    );
    assert_eq!(
        codes[0][6], "–",
        "a javascript: link is not made: {codes:?}"
    );
    assert_eq!(codes[1][2], "–");
    assert_eq!(codes[1][6], "open");
    assert_eq!(
        browser
            .eval("return [...document.querySelectorAll('#qrcodes a')].map(a => a.href)")
            .await,
        serde_json::json!(["https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=t7"])
    );
    // Both images decoded (the CSP let the blob: URLs through); the label made no element.
    let deadline = std::time::Instant::now() + webdriver::PATIENCE;
    loop {
        let drawn = browser
            .eval(
                "return [...document.querySelectorAll('#qrcodes img.qr')]\
                   .filter(i => i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:')).length",
            )
            .await;
        if drawn == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "QR images not drawn: {drawn}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        browser.all("#qrcodes img").await.len(),
        2,
        "only the two QR images"
    );
}
