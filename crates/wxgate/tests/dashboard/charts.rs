//! The dashboard's charts: every bar carries its day (or scene), series and figure, and its
//! length is the figure times one scale; the figures are the API's.
use serde_json::{json, Value};

use crate::webdriver::Browser;
use crate::{screenshot, Gateway, ADMIN_TOKEN};

/// The bars and points of the daily chart as drawn, and its scale (px per person).
const READ_DAILY: &str = r#"
    const svg = document.querySelector('#daily-chart svg');
    if (!svg) return null;
    const marks = [...svg.querySelectorAll('[data-series]')].map(m => ({
        day: m.dataset.day, series: m.dataset.series, value: Number(m.dataset.value),
        height: m.tagName === 'rect' ? Number(m.getAttribute('height')) : null,
    }));
    return {scale: Number(svg.dataset.scale), scene: document.getElementById('daily-chart').dataset.scene, marks};
"#;

/// The funnel bars as drawn.
const READ_FUNNEL: &str = r#"
    return [...document.querySelectorAll('#funnel-chart rect[data-series]')].map(r => ({
        scene: r.dataset.scene, series: r.dataset.series, value: Number(r.dataset.value),
        width: Number(r.getAttribute('width')),
    }));
"#;

/// Waits until the daily chart shows `scene` ("" = all) with `days` days.
async fn daily_drawn(browser: &Browser, scene: &str, days: usize) -> Value {
    let deadline = std::time::Instant::now() + crate::webdriver::PATIENCE;
    loop {
        let drawn = browser.eval(READ_DAILY).await;
        let bars = drawn["marks"]
            .as_array()
            .map_or(0, |m| m.iter().filter(|m| m["series"] == "follows").count());
        if drawn["scene"] == scene && bars == days {
            return drawn;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "daily chart of {scene:?} not drawn: {drawn}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The drawn daily chart is `days` (the API's `days` array): one follows and one unfollows bar
/// and one net point per day, with the day's figures, every bar `value × scale` high.
fn assert_daily(drawn: &Value, days: &Value) {
    let days = days.as_array().expect("days");
    let scale = drawn["scale"].as_f64().expect("scale");
    assert!(scale > 0.0, "{drawn}");
    let marks = drawn["marks"].as_array().expect("marks");
    assert_eq!(marks.len(), days.len() * 3, "{drawn}");
    for day in days {
        let date = day["day"].as_str().expect("day");
        let mark = |series: &str| {
            marks
                .iter()
                .find(|m| m["day"] == date && m["series"] == series)
                .unwrap_or_else(|| panic!("{series} of {date} drawn"))
        };
        let (follows, unfollows) = (mark("follows"), mark("unfollows"));
        assert_eq!(follows["value"], day["subscribes"], "{date}");
        assert_eq!(unfollows["value"], day["unsubscribes"], "{date}");
        let net =
            day["subscribes"].as_i64().unwrap_or(0) - day["unsubscribes"].as_i64().unwrap_or(0);
        assert_eq!(mark("net")["value"], json!(net), "{date}");
        for bar in [follows, unfollows] {
            let want = bar["value"].as_f64().unwrap_or(-1.0) * scale;
            let height = bar["height"].as_f64().unwrap_or(-1.0);
            assert!(
                (height - want).abs() < 0.01,
                "{date} {}: height {height}, want {want}",
                bar["series"]
            );
        }
    }
}

/// The funnel bars are `scenes` (the API's `/api/stats` scenes): scans (follows + scans of
/// followers) → follows → still following, widths on one scale (the largest scans = 100).
fn assert_funnel(drawn: &Value, scenes: &[Value]) {
    let drawn = drawn.as_array().expect("funnel bars");
    assert_eq!(drawn.len(), scenes.len() * 3, "{drawn:?}");
    let figure = |s: &Value, key: &str| s[key].as_i64().unwrap_or(0);
    let top = scenes
        .iter()
        .map(|s| figure(s, "subscribes") + figure(s, "scans"))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    for s in scenes {
        let scene = s["scene"].as_str().expect("scene");
        let stages = [
            ("scans", figure(s, "subscribes") + figure(s, "scans")),
            ("follows", figure(s, "subscribes")),
            (
                "following",
                (figure(s, "subscribes") - figure(s, "unsubscribes")).max(0),
            ),
        ];
        for (series, value) in stages {
            let bar = drawn
                .iter()
                .find(|b| b["scene"] == scene && b["series"] == series)
                .unwrap_or_else(|| panic!("{scene} {series} drawn: {drawn:?}"));
            assert_eq!(bar["value"], json!(value), "{scene} {series}");
            let width = bar["width"].as_f64().unwrap_or(-1.0);
            let want = value as f64 / top * 100.0;
            assert!(
                (width - want).abs() < 0.01,
                "{scene} {series}: {width} vs {want}"
            );
        }
    }
}

/// Selects `scene` in the picker ("" = all scenes).
async fn pick(browser: &Browser, scene: &str) {
    browser
        .eval(&format!(
            "const s = document.getElementById('chart-scene'); s.value = {}; \
             s.dispatchEvent(new Event('change')); return s.value",
            json!(scene)
        ))
        .await;
}

/// The signed-in dashboard's charts agree with `GET /api/stats/daily` and `GET /api/stats`,
/// for all scenes and for scene 42 picked.
pub async fn match_the_api(browser: &Browser, gw: &Gateway) {
    let drawn = daily_drawn(browser, "", 30).await;
    let all = gw.api_json("/api/stats/daily?days=30").await;
    assert_daily(&drawn, &all["days"]);
    // Today: FAN and GONE followed through 42, GONE left.
    let today = all["days"][29].clone();
    assert_eq!(
        (today["subscribes"].clone(), today["unsubscribes"].clone()),
        (json!(2), json!(1))
    );
    assert!(
        browser
            .text_of("#daily-summary")
            .await
            .unwrap_or_default()
            .contains("2 follows, 1 unfollow, net +1"),
        "the summary line"
    );

    let stats = gw.api_json("/api/stats").await;
    let scenes = stats["scenes"].as_array().expect("scenes").clone();
    assert_funnel(&browser.eval(READ_FUNNEL).await, &scenes);

    pick(browser, "42").await;
    let drawn = daily_drawn(browser, "42", 30).await;
    let of_42 = gw.api_json("/api/stats/daily?days=30&scene=42").await;
    assert_daily(&drawn, &of_42["days"]);
    pick(browser, "").await;
    daily_drawn(browser, "", 30).await;
}

/// A stand-in for `/api/stats` and `/api/stats/daily` (wrapping `fetch`): three scenes and a
/// month with a campaign, so that the screenshots show what a marketer would see; the charts
/// match the stand-in's figures, for every scene picked.
pub async fn draw_a_month_that_reads_well(browser: &Browser) {
    browser
        .eval(
            r#"
            const scenes = [
              {scene: "42", label: "Poster A (metro)", subscribes: 264, scans: 57, unsubscribes: 31},
              {scene: "shop-window", label: "Shop window", subscribes: 118, scans: 12, unsubscribes: 22},
              {scene: "7", label: null, subscribes: 9, scans: 30, unsubscribes: 4},
            ];
            const factor = {"": 1, "42": 0.6, "shop-window": 0.3, "7": 0.1};
            const month = (scene) => {
              const today = new Date();
              return Array.from({length: 30}, (_, i) => {
                const d = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 29 + i));
                const base = 9 + 6 * Math.sin(i / 3) + (i === 21 ? 38 : i === 22 ? 17 : 0);
                return {
                  day: d.toISOString().slice(0, 10),
                  subscribes: Math.round(base * factor[scene]),
                  unsubscribes: Math.round((2.5 + 2 * Math.cos(i / 4) + (i === 24 ? 6 : 0)) * factor[scene]),
                  scans: Math.round(4 * factor[scene]),
                  events: 40 + i,
                };
              });
            };
            window.__month = month;
            window.__scenes = scenes;
            const inner = window.fetch;
            const answer = (body) => Promise.resolve(new Response(JSON.stringify(body),
              {headers: {"content-type": "application/json"}}));
            window.fetch = (url, init) => {
              const u = new URL(String(url), location.href);
              if (u.pathname === "/api/stats") {
                return answer({followers: {subscribed: 334, total: 391}, events: 5120, scenes});
              }
              if (u.pathname === "/api/stats/daily") {
                return answer({days: month(u.searchParams.get("scene") || "")});
              }
              return inner(url, init);
            };
            return true;
            "#,
        )
        .await;
    // Sign in afresh so that every section reads the stand-in.
    let sign_out = browser.wait_count("#sign-out", 1).await.remove(0);
    browser.click(&sign_out).await;
    browser.type_into("#token-input", ADMIN_TOKEN).await;
    let submit = browser.wait_count("#token-submit", 1).await.remove(0);
    browser.click(&submit).await;
    browser.wait_text("#total-events", |t| t == "5120").await;
    for scene in ["", "42", "shop-window", "7"] {
        pick(browser, scene).await;
        let drawn = daily_drawn(browser, scene, 30).await;
        let days = browser
            .eval(&format!("return window.__month({})", json!(scene)))
            .await;
        assert_daily(&drawn, &days);
        let scenes = browser.eval("return window.__scenes").await;
        let shown: Vec<Value> = scenes
            .as_array()
            .expect("scenes")
            .iter()
            .filter(|s| scene.is_empty() || s["scene"] == scene)
            .cloned()
            .collect();
        assert_funnel(&browser.eval(READ_FUNNEL).await, &shown);
    }
    pick(browser, "").await;
    daily_drawn(browser, "", 30).await;
    // The top of the page: the totals and the charts.
    screenshot(browser, 1280, Some(1000), "charts-wide").await;
    screenshot(browser, 420, Some(1500), "charts-narrow").await;
}
