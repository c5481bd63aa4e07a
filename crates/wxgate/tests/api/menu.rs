//! `GET` / `PUT` / `DELETE /api/menu`: round trip and validation errors naming the button.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{dir, mock, sent_paths, write_config, Gateway};

pub const MENU_JSON: &str = r#"{"button": [
    {"type": "click", "name": "今日歌曲", "key": "V1001_TODAY_MUSIC"},
    {"name": "菜单", "sub_button": [
        {"type": "view", "name": "搜索", "url": "https://www.example.com/"},
        {"type": "scancode_push", "name": "扫码", "key": "SCAN_1"}
    ]}
]}"#;

#[tokio::test]
async fn push_show_delete_round_trip() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let (status, shown) = gateway.json(Method::GET, "/menu", None).await;
    assert_eq!(
        (status, shown),
        (StatusCode::OK, json!({"source": "none", "menu": null}))
    );
    let menu: serde_json::Value = serde_json::from_str(MENU_JSON).expect("menu JSON");
    let (status, pushed) = gateway.json(Method::PUT, "/menu", Some(MENU_JSON)).await;
    assert_eq!(status, StatusCode::OK, "{pushed}");
    assert_eq!(pushed, json!({"source": "api", "menu": menu}));
    assert_eq!(
        mock.state.sent()[0].body,
        menu,
        "WeChat got the menu as written"
    );
    let (status, shown) = gateway.json(Method::GET, "/menu", None).await;
    assert_eq!(
        (status, shown),
        (StatusCode::OK, json!({"source": "api", "menu": menu}))
    );
    let (status, _) = gateway.call(Method::DELETE, "/menu", None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, shown) = gateway.json(Method::GET, "/menu", None).await;
    assert_eq!(shown, json!({"source": "none", "menu": null}));
    assert_eq!(
        sent_paths(&mock),
        ["/cgi-bin/menu/create", "/cgi-bin/menu/delete"]
    );
    gateway.stop().await;
}

#[tokio::test]
async fn invalid_menus_are_refused_naming_the_button() {
    let mock = mock().await;
    let dir = dir();
    write_config(dir.path(), &mock.base_url(), true);
    let gateway = Gateway::start(dir.path()).await;
    let long_key = "k".repeat(129);
    let cases = [
        (
            format!(
                r#"{{"button": [{{"type": "click", "name": "a", "key": "a"}}, {{"name": "m", "sub_button": [{{"type": "click", "name": "s", "key": "{long_key}"}}]}}]}}"#
            ),
            "button[1].sub_button[0].key: ",
        ),
        (
            r#"{"button": [{"type": "tap", "name": "a"}]}"#.to_owned(),
            "button[0].type: ",
        ),
        (
            r#"{"button": [{"type": "view", "name": "a"}]}"#.to_owned(),
            "button[0].url",
        ),
        (
            r#"{"button": [{"type": "click", "name": "名字太长了超过十六字节", "key": "k"}]}"#
                .to_owned(),
            "button[0].name",
        ),
        (r#"{"button": []}"#.to_owned(), "button"),
        ("not json".to_owned(), ""),
    ];
    for (body, prefix) in &cases {
        let (status, answer) = gateway.json(Method::PUT, "/menu", Some(body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let error = answer["error"].as_str().expect("error message");
        assert!(error.starts_with(prefix), "{body}: {error}");
    }
    assert!(mock.state.sent().is_empty(), "nothing reached WeChat");
    gateway.stop().await;
}
