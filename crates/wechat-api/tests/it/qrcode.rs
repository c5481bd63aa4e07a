//! QR codes: every limit on both sides, creation, /mock/sent and showqrcode.

use std::sync::Arc;

use wechat_api::{
    ApiClient, ClientConfig, MemoryTokenStore, QrAction, QrLimitError, QrRequest, SecretString,
};

use crate::support::{sent_over_http, setup};

/// (scene, permanent, expire_seconds, expected error or None when WeChat must accept it)
fn boundaries() -> Vec<(String, bool, Option<u64>, Option<QrLimitError>)> {
    let s64 = "a".repeat(64);
    let s65 = "a".repeat(65);
    vec![
        (
            "0".into(),
            false,
            None,
            Some(QrLimitError::TemporarySceneId),
        ),
        ("1".into(), false, None, None),
        ("4294967295".into(), false, None, None),
        (
            "4294967296".into(),
            false,
            None,
            Some(QrLimitError::TemporarySceneId),
        ),
        (
            "99999999999999999999999".into(),
            false,
            None,
            Some(QrLimitError::TemporarySceneId),
        ),
        ("0".into(), true, None, Some(QrLimitError::PermanentSceneId)),
        ("1".into(), true, None, None),
        ("100000".into(), true, None, None),
        (
            "100001".into(),
            true,
            None,
            Some(QrLimitError::PermanentSceneId),
        ),
        (String::new(), false, None, Some(QrLimitError::EmptyScene)),
        (s64.clone(), false, None, None),
        (s64, true, None, None),
        (
            s65.clone(),
            false,
            None,
            Some(QrLimitError::SceneStrLength(65)),
        ),
        (s65, true, None, Some(QrLimitError::SceneStrLength(65))),
        (
            "海报".into(),
            false,
            None,
            Some(QrLimitError::SceneStrCharacters),
        ),
        (
            "two words".into(),
            true,
            None,
            Some(QrLimitError::SceneStrCharacters),
        ),
        ("x".into(), true, None, None),
        ("x".into(), false, Some(0), Some(QrLimitError::Expire)),
        ("x".into(), false, Some(1), None),
        ("x".into(), false, Some(2_592_000), None),
        (
            "x".into(),
            false,
            Some(2_592_001),
            Some(QrLimitError::Expire),
        ),
        (
            "7".into(),
            true,
            Some(60),
            Some(QrLimitError::PermanentExpire),
        ),
    ]
}

#[tokio::test]
async fn every_limit_is_checked_before_any_call_and_the_mock_agrees() {
    let (server, client) = setup().await;
    for (scene, permanent, expire, expected) in boundaries() {
        let before = server.state.requests();
        let request = QrRequest::new(&scene, permanent, expire);
        match expected {
            Some(limit) => {
                assert_eq!(
                    request.err(),
                    Some(limit),
                    "scene {scene:?} permanent {permanent} expire {expire:?}"
                );
                assert_eq!(
                    server.state.requests(),
                    before,
                    "a refused request reached the API"
                );
            }
            None => {
                let request = match request {
                    Ok(request) => request,
                    Err(err) => panic!("scene {scene:?} refused: {err}"),
                };
                let code = client.create_qrcode(&request).await;
                assert!(
                    code.is_ok(),
                    "scene {scene:?} permanent {permanent}: {code:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn creating_records_the_call_and_the_picture_is_served() {
    let (server, client) = setup().await;
    let request = QrRequest::new("poster-7", false, Some(604800));
    let code = match request {
        Ok(request) => client.create_qrcode(&request).await,
        Err(err) => panic!("{err}"),
    };
    let code = match code {
        Ok(code) => code,
        Err(err) => panic!("{err}"),
    };
    assert_eq!(code.action_name, QrAction::StrScene);
    assert_eq!(code.expire_seconds, Some(604800));
    assert!(
        code.url.starts_with("http://weixin.qq.com/q/"),
        "{}",
        code.url
    );

    let sent = sent_over_http(&server).await;
    let expected = serde_json::json!({"expire_seconds": 604800, "action_name": "QR_STR_SCENE",
        "action_info": {"scene": {"scene_str": "poster-7"}}});
    assert_eq!(sent["calls"][0]["method"], "POST");
    assert_eq!(sent["calls"][0]["path"], "/cgi-bin/qrcode/create");
    assert_eq!(sent["calls"][0]["body"], expected);
    let at = sent["calls"][0]["at"].as_str().unwrap_or("");
    assert!(chrono::DateTime::parse_from_rfc3339(at).is_ok(), "{at}");

    let show = client.showqrcode_url(&code.ticket);
    assert!(
        show.starts_with(&format!("{}/cgi-bin/showqrcode?ticket=", server.base_url())),
        "{show}"
    );
    let picture = reqwest::get(&show).await.map_err(|e| e.to_string());
    let picture = match picture {
        Ok(response) => (
            response.status().as_u16(),
            response.bytes().await.unwrap_or_default(),
        ),
        Err(err) => panic!("{err}"),
    };
    assert_eq!(picture.0, 200);
    assert!(picture.1.starts_with(b"\x89PNG"));
    let unknown = reqwest::get(format!(
        "{}/cgi-bin/showqrcode?ticket=nope",
        server.base_url()
    ))
    .await;
    assert_eq!(unknown.map(|r| r.status().as_u16()).ok(), Some(404));
}

#[tokio::test]
async fn permanent_codes_have_no_expiry() {
    let (_server, client) = setup().await;
    let code = match QrRequest::new("42", true, None) {
        Ok(request) => client.create_qrcode(&request).await,
        Err(err) => panic!("{err}"),
    };
    assert!(code.is_ok_and(|c| c.expire_seconds.is_none() && c.action_name == QrAction::LimitScene));
}

#[test]
fn the_official_showqrcode_address_is_on_mp_with_an_encoded_ticket() {
    let config = ClientConfig::new("wx1", SecretString::from("s"));
    let client = ApiClient::new(config, Arc::new(MemoryTokenStore::new()));
    let url = client.map(|c| c.showqrcode_url("gQH+a/b=="));
    assert_eq!(
        url.ok().as_deref(),
        Some("https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH%2Ba%2Fb%3D%3D")
    );
}
