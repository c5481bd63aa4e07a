//! Menus: every limit on both sides, and create / get / delete against the mock.

use serde_json::{json, Value};
use wechat_api::{ApiError, Menu, MenuView};

use crate::support::{sent_over_http, setup};

fn menu(value: Value) -> Menu {
    match serde_json::from_value(value) {
        Ok(menu) => menu,
        Err(err) => panic!("test menu does not parse: {err}"),
    }
}

fn click(name: &str) -> Value {
    json!({"type": "click", "name": name, "key": "K"})
}

fn parent(subs: Vec<Value>) -> Value {
    json!({"name": "more", "sub_button": subs})
}

/// (menu, expected error message or None when WeChat must accept it)
fn cases() -> Vec<(Value, Option<&'static str>)> {
    let cjk5 = "菜".repeat(5);
    let cjk6 = "菜".repeat(6);
    let cjk20 = "单".repeat(20);
    let cjk21 = "单".repeat(21);
    let key128 = "k".repeat(128);
    let key129 = "k".repeat(129);
    let url1024 = format!("https://e.x/{}", "u".repeat(1024 - 12));
    let url1025 = format!("{url1024}u");
    vec![
        (
            json!({"button": []}),
            Some("button: 0 buttons, must be 1 to 3"),
        ),
        (
            json!({"button": [click("a"), click("b"), click("c")]}),
            None,
        ),
        (
            json!({"button": [click("a"), click("b"), click("c"), click("d")]}),
            Some("button: 4 buttons, must be 1 to 3"),
        ),
        (json!({"button": [parent(vec![click("a"); 5])]}), None),
        (
            json!({"button": [parent(vec![click("a"); 6])]}),
            Some("button[0].sub_button: 6 buttons, must be 1 to 5"),
        ),
        (json!({"button": [click(&"n".repeat(16))]}), None),
        (
            json!({"button": [click(&"n".repeat(17))]}),
            Some("button[0].name: 17 bytes, at most 16"),
        ),
        (json!({"button": [click(&cjk5)]}), None),
        (
            json!({"button": [click(&cjk6)]}),
            Some("button[0].name: 18 bytes, at most 16"),
        ),
        (
            json!({"button": [click("")]}),
            Some("button[0].name: must not be empty"),
        ),
        (json!({"button": [parent(vec![click(&cjk20)])]}), None),
        (
            json!({"button": [parent(vec![click(&cjk21)])]}),
            Some("button[0].sub_button[0].name: 63 bytes, at most 60"),
        ),
        (
            json!({"button": [parent(vec![click(&"n".repeat(60))])]}),
            None,
        ),
        (
            json!({"button": [parent(vec![click(&"n".repeat(61))])]}),
            Some("button[0].sub_button[0].name: 61 bytes, at most 60"),
        ),
        (
            json!({"button": [click("a"), parent(vec![click("s"), click("s"), click("s"), json!({"type": "click", "name": "s", "key": key128})])]}),
            None,
        ),
        (
            json!({"button": [click("a"), parent(vec![click("s"), click("s"), click("s"), json!({"type": "click", "name": "s", "key": key129})])]}),
            Some("button[1].sub_button[3].key: 129 bytes, at most 128"),
        ),
        (
            json!({"button": [{"type": "view", "name": "v", "url": url1024}]}),
            None,
        ),
        (
            json!({"button": [{"type": "view", "name": "v", "url": url1025}]}),
            Some("button[0].url: 1025 bytes, at most 1024"),
        ),
        (
            json!({"button": [parent(vec![json!({"type": "view", "name": "v", "url": url1025})])]}),
            Some("button[0].sub_button[0].url: 1025 bytes, at most 1024"),
        ),
        (
            json!({"button": [{"type": "click", "name": "c"}]}),
            Some("button[0].key: required for type click"),
        ),
        (
            json!({"button": [{"type": "scancode_push", "name": "c", "key": ""}]}),
            Some("button[0].key: required for type scancode_push"),
        ),
        (
            json!({"button": [{"type": "location_select", "name": "c", "key": "L"}]}),
            None,
        ),
        (
            json!({"button": [{"type": "view", "name": "v"}]}),
            Some("button[0].url: required for type view"),
        ),
        (
            json!({"button": [{"type": "miniprogram", "name": "m", "url": "https://e.x", "pagepath": "p"}]}),
            Some("button[0].appid: required for type miniprogram"),
        ),
        (
            json!({"button": [{"type": "miniprogram", "name": "m", "url": "https://e.x", "appid": "wxa"}]}),
            Some("button[0].pagepath: required for type miniprogram"),
        ),
        (
            json!({"button": [{"type": "miniprogram", "name": "m", "url": "https://e.x", "appid": "wxa", "pagepath": "p"}]}),
            None,
        ),
        (
            json!({"button": [{"type": "media_id", "name": "m"}]}),
            Some("button[0].media_id: required for type media_id"),
        ),
        (
            json!({"button": [{"type": "media_id", "name": "m", "media_id": "M"}]}),
            None,
        ),
        (
            json!({"button": [{"type": "article_id", "name": "a"}]}),
            Some("button[0].article_id: required for type article_id"),
        ),
        (
            json!({"button": [{"type": "article_view_limited", "name": "a", "article_id": "A"}]}),
            None,
        ),
        (
            json!({"button": [{"name": "bare"}]}),
            Some("button[0].type: required on a button without sub_button"),
        ),
        (
            json!({"button": [{"type": "click", "name": "p", "key": "K", "sub_button": [click("s")]}]}),
            Some("button[0].type: not allowed on a button with sub_button"),
        ),
        (
            json!({"button": [parent(vec![json!({"name": "s", "sub_button": [click("x")]})])]}),
            Some("button[0].sub_button[0].sub_button: a sub-button cannot have sub-buttons"),
        ),
    ]
}

#[tokio::test]
async fn every_limit_is_checked_before_any_call_and_the_mock_agrees() {
    let (server, client) = setup().await;
    for (value, expected) in cases() {
        let menu = menu(value.clone());
        let before = server.state.requests();
        match expected {
            Some(message) => {
                let err = client.create_menu(&menu).await.err();
                let shown = match &err {
                    Some(ApiError::InvalidMenu(err)) => err.to_string(),
                    other => panic!("{value}: expected a menu error, got {other:?}"),
                };
                assert_eq!(shown, message);
                assert_eq!(
                    server.state.requests(),
                    before,
                    "{value}: a refused menu reached the API"
                );
            }
            None => {
                assert_eq!(menu.validate(), Ok(()), "{value}");
                let created = client.create_menu(&menu).await;
                assert!(created.is_ok(), "{value}: {created:?}");
            }
        }
    }
}

#[tokio::test]
async fn create_get_delete_round_trip() {
    let (server, client) = setup().await;
    assert!(matches!(client.menu().await, Ok(MenuView::None)));
    let toml_menu = r#"
        [[button]]
        type = "click"
        name = "今日歌曲"
        key = "V1001_TODAY_MUSIC"

        [[button]]
        name = "菜单"
        [[button.sub_button]]
        type = "view"
        name = "搜索"
        url = "http://www.soso.com/"
        [[button.sub_button]]
        type = "miniprogram"
        name = "wxa"
        url = "http://mp.weixin.qq.com"
        appid = "wx286b93c14bbf93aa"
        pagepath = "pages/lunar/index"
    "#;
    let pushed: Menu = match toml::from_str(toml_menu) {
        Ok(menu) => menu,
        Err(err) => panic!("{err}"),
    };
    assert!(client.create_menu(&pushed).await.is_ok());
    match client.menu().await {
        Ok(MenuView::Api(live)) => assert_eq!(live, pushed),
        other => panic!("expected the API menu, got {other:?}"),
    }
    assert!(client.delete_menu().await.is_ok());
    assert!(matches!(client.menu().await, Ok(MenuView::None)));

    let sent = sent_over_http(&server).await;
    let calls = sent["calls"].as_array().cloned().unwrap_or_default();
    let paths: Vec<_> = calls
        .iter()
        .map(|c| c["path"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(paths, ["/cgi-bin/menu/create", "/cgi-bin/menu/delete"]);
    assert_eq!(
        calls[0]["body"],
        serde_json::to_value(&pushed).unwrap_or_default()
    );
    assert_eq!(
        calls[0]["body"]["button"][1]["sub_button"][0]["type"],
        "view"
    );
    assert_eq!(calls[1]["method"], "GET");
}
