//! The push endpoint: URL verification, the three security modes, status codes, replays,
//! clock skew, key change, body limit.
use wechat_proto::{signature, EncodingAesKey, MessageCrypt};

use crate::helpers::*;

const TEXT_RULE: &str =
    "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"got {content}\" }\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_verification_echoes_echostr_only_with_a_good_signature() {
    let app = spawn_app("").await;
    let (ts, nonce) = ("1714036504", "1514711492");
    let sig = signature(TOKEN, ts, nonce);
    let ok = app
        .http
        .get(app.url(&format!(
            "/wechat?signature={sig}&timestamp={ts}&nonce={nonce}&echostr=4375120948345356249"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let ct = ok.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/plain"), "content-type {ct}");
    assert_eq!(ok.text().await.unwrap(), "4375120948345356249");

    let mut bad = sig.clone().into_bytes();
    bad[0] = if bad[0] == b'0' { b'1' } else { b'0' };
    let bad = String::from_utf8(bad).unwrap();
    let r = app
        .http
        .get(app.url(&format!(
            "/wechat?signature={bad}&timestamp={ts}&nonce={nonce}&echostr=e"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    for q in [
        format!("timestamp={ts}&nonce={nonce}&echostr=e"),
        format!("signature={sig}&nonce={nonce}&echostr=e"),
        format!("signature={sig}&timestamp={ts}&echostr=e"),
        format!("signature={sig}&timestamp={ts}&nonce={nonce}"),
    ] {
        let r = app
            .http
            .get(app.url(&format!("/wechat?{q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "GET ?{q}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_push_status_codes() {
    let app = spawn_app(TEXT_RULE).await;
    let openid = fresh_openid("plain");
    let xml = text_xml(&openid, "hi", fresh_msg_id());
    let ts = now().to_string();
    let nonce = fresh_nonce();
    let sig = signature(TOKEN, &ts, &nonce);

    // missing parameters → 400
    for q in [
        format!("timestamp={ts}&nonce={nonce}"),
        format!("signature={sig}&nonce={nonce}"),
        format!("signature={sig}&timestamp={ts}"),
    ] {
        assert_eq!(app.post(&q, xml.clone()).await.status, 400, "POST ?{q}");
    }
    // wrong signature → 403
    let wrong = signature("another-token", &ts, &nonce);
    assert_eq!(
        app.post(
            &format!("signature={wrong}&timestamp={ts}&nonce={nonce}"),
            xml.clone()
        )
        .await
        .status,
        403
    );
    // good → 200 with a plain reply addressed to the sender
    let a = app
        .post(
            &format!("signature={sig}&timestamp={ts}&nonce={nonce}&openid={openid}"),
            xml.clone(),
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.text());
    let f = reply_fields(&a.text());
    assert_eq!(f["MsgType"], "text");
    assert_eq!(f["Content"], "got hi");
    assert_eq!(f["ToUserName"], openid.as_str());
    assert_eq!(f["FromUserName"], GH);
    // malformed XML after a good signature → 400
    assert_eq!(app.push("<xml><ToUserName>").await.status, 400);
    // an encrypted push to a plain gateway → 400
    let a = app
        .push_encrypted(&text_xml(&openid, "enc", fresh_msg_id()))
        .await;
    assert_eq!(
        a.status,
        400,
        "plain gateway must refuse encrypted pushes: {}",
        a.text()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_matching_rule_answers_success_in_every_mode() {
    for security in ["plain", "compatible", "safe"] {
        let app = spawn_app_cfg(Cfg {
            security,
            ..Cfg::default()
        })
        .await;
        let xml = text_xml(&fresh_openid("succ"), "nothing matches", fresh_msg_id());
        let a = if security == "safe" {
            app.push_encrypted(&xml).await
        } else {
            app.push(&xml).await
        };
        assert_eq!(a.status, 200, "{security}");
        assert_eq!(a.text(), "success", "{security}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safe_mode_replies_encrypted_and_refuses_plain() {
    let app = spawn_app_cfg(Cfg {
        security: "safe",
        extra: TEXT_RULE.into(),
        ..Cfg::default()
    })
    .await;
    let openid = fresh_openid("safe");
    let xml = text_xml(&openid, "secret", fresh_msg_id());

    // plain push to a safe gateway → 400
    assert_eq!(app.push(&xml).await.status, 400);

    let (q, body) = app.encrypted_request(&app.crypt, &xml);
    // without msg_signature → 400
    let no_ms: String = q
        .split('&')
        .filter(|p| !p.starts_with("msg_signature="))
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(app.post(&no_ms, body.clone()).await.status, 400);
    // wrong msg_signature → 403
    let wrong_ms: String = q
        .split('&')
        .map(|p| {
            if p.starts_with("msg_signature=") {
                "msg_signature=0000000000000000000000000000000000000000".to_string()
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    assert_eq!(app.post(&wrong_ms, body.clone()).await.status, 403);

    let a = app.post(&q, body).await;
    assert_eq!(a.status, 200);
    let text = a.text();
    assert!(!text.contains("secret"), "reply must be encrypted: {text}");
    let inner = app.open_reply(&a.body);
    let f = reply_fields(&inner);
    assert_eq!(f["Content"], "got secret");
    assert_eq!(f["ToUserName"], openid.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compatible_mode_answers_in_the_mode_of_the_push() {
    let app = spawn_app_cfg(Cfg {
        security: "compatible",
        extra: TEXT_RULE.into(),
        ..Cfg::default()
    })
    .await;
    let openid = fresh_openid("compat");
    let a = app
        .push(&text_xml(&openid, "plainly", fresh_msg_id()))
        .await;
    assert_eq!(a.status, 200);
    assert_eq!(reply_fields(&a.text())["Content"], "got plainly");

    let a = app
        .push_encrypted(&text_xml(&openid, "covertly", fresh_msg_id()))
        .await;
    assert_eq!(a.status, 200);
    assert!(
        a.text().contains("<Encrypt>"),
        "encrypted push needs an encrypted reply: {}",
        a.text()
    );
    assert_eq!(
        reply_fields(&app.open_reply(&a.body))["Content"],
        "got covertly"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_change_accepts_the_previous_key_and_replies_with_it() {
    let app = spawn_app_cfg(Cfg {
        security: "safe",
        account_extra: format!("previous_encoding_aes_key = \"{OLD_AES_KEY}\"\n"),
        extra: TEXT_RULE.into(),
        ..Cfg::default()
    })
    .await;
    let old = MessageCrypt::new(EncodingAesKey::parse(OLD_AES_KEY).unwrap(), APPID);
    let (q, body) = app.encrypted_request(
        &old,
        &text_xml(&fresh_openid("key"), "old key", fresh_msg_id()),
    );
    let a = app.post(&q, body).await;
    assert_eq!(a.status, 200, "{}", a.text());
    let inner = wechat_proto::open_reply_envelope(&old, TOKEN, &a.body)
        .expect("reply encrypted with the old key");
    assert_eq!(reply_fields(&inner)["Content"], "got old key");

    // a key that is neither → 400
    let other = MessageCrypt::new(
        EncodingAesKey::parse("Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE").unwrap(),
        APPID,
    );
    let (q, body) =
        app.encrypted_request(&other, &text_xml(&fresh_openid("key"), "x", fresh_msg_id()));
    assert_eq!(app.post(&q, body).await.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_push_for_another_appid_is_400() {
    let app = spawn_app_cfg(Cfg {
        security: "safe",
        ..Cfg::default()
    })
    .await;
    let foreign = MessageCrypt::new(
        EncodingAesKey::parse(AES_KEY).unwrap(),
        "wx9999999999999999",
    );
    let (q, body) = app.encrypted_request(
        &foreign,
        &text_xml(&fresh_openid("appid"), "x", fresh_msg_id()),
    );
    assert_eq!(app.post(&q, body).await.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_over_max_body_bytes_is_413() {
    let app = spawn_app_cfg(Cfg {
        server_extra: "max_body_bytes = 1024\n".into(),
        ..Cfg::default()
    })
    .await;
    let small = text_xml(&fresh_openid("big"), "small", fresh_msg_id());
    assert_eq!(app.push(&small).await.status, 200);
    let big = text_xml(&fresh_openid("big"), &"A".repeat(2000), fresh_msg_id());
    assert_eq!(app.push(&big).await.status, 413);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_signature_with_another_body_is_403_same_body_is_a_retry() {
    let app = spawn_app(TEXT_RULE).await;
    let openid = fresh_openid("replay");
    let q = app.plain_query(&now().to_string(), &fresh_nonce());
    let first = text_xml(&openid, "one", fresh_msg_id());
    let a = app.post(&q, first.clone()).await;
    assert_eq!(a.status, 200);
    let again = app.post(&q, first).await;
    assert_eq!(again.status, 200, "the same body again is a retry");
    assert_eq!(again.body, a.body);
    let other = app.post(&q, text_xml(&openid, "two", fresh_msg_id())).await;
    assert_eq!(
        other.status, 403,
        "same signature triple, other body: replay"
    );
    assert_eq!(app.events_of(&openid).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_captured_query_stays_refused_after_a_restart() {
    let app = spawn_app(TEXT_RULE).await;
    let victim = fresh_openid("victim");
    assert_eq!(
        app.push(&text_xml(&victim, "hi", fresh_msg_id()))
            .await
            .status,
        200
    );
    let attacker = fresh_openid("attacker");
    let q = app.plain_query(&now().to_string(), &fresh_nonce());
    let first = text_xml(&attacker, "one", fresh_msg_id());
    assert_eq!(app.post(&q, first.clone()).await.status, 200);

    let app = app.restart().await;
    // The captured query with another body: an unsubscribe that would wipe the victim.
    let wipe = format!(
        "<xml><ToUserName><![CDATA[gh_test]]></ToUserName><FromUserName><![CDATA[{victim}]]>\
         </FromUserName><CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType>\
         <Event><![CDATA[unsubscribe]]></Event></xml>",
        now()
    );
    assert_eq!(app.post(&q, wipe).await.status, 403, "replay after restart");
    assert_eq!(
        app.events_of(&victim).await.len(),
        1,
        "the victim is not forgotten"
    );
    assert_eq!(
        app.post(&q, first).await.status,
        200,
        "the same body is still a retry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_are_allowed_when_refuse_replays_is_off() {
    let app = spawn_app_cfg(Cfg {
        account_extra: "refuse_replays = false\n".into(),
        ..Cfg::default()
    })
    .await;
    let openid = fresh_openid("noreplay");
    let q = app.plain_query(&now().to_string(), &fresh_nonce());
    assert_eq!(
        app.post(&q, text_xml(&openid, "one", fresh_msg_id()))
            .await
            .status,
        200
    );
    assert_eq!(
        app.post(&q, text_xml(&openid, "two", fresh_msg_id()))
            .await
            .status,
        200
    );
    assert_eq!(app.events_of(&openid).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clock_skew_check() {
    let app = spawn_app_cfg(Cfg {
        account_extra: "max_clock_skew_s = 300\n".into(),
        ..Cfg::default()
    })
    .await;
    let openid = fresh_openid("skew");
    for off in [-3600i64, 3600] {
        let q = app.plain_query(&(now() + off).to_string(), &fresh_nonce());
        assert_eq!(
            app.post(&q, text_xml(&openid, "stale", fresh_msg_id()))
                .await
                .status,
            403,
            "offset {off}s"
        );
    }
    let q = app.plain_query(&(now() - 10).to_string(), &fresh_nonce());
    assert_eq!(
        app.post(&q, text_xml(&openid, "fresh", fresh_msg_id()))
            .await
            .status,
        200
    );

    // by default (300 s, contract section 2) an old captured query is refused outright...
    let app = spawn_app("").await;
    let q = app.plain_query("1700000000", &fresh_nonce());
    assert_eq!(
        app.post(&q, text_xml(&openid, "old", fresh_msg_id()))
            .await
            .status,
        403
    );
    // ...and with 0 the check is off
    let app = spawn_app_cfg(Cfg {
        account_extra: "max_clock_skew_s = 0\n".into(),
        ..Cfg::default()
    })
    .await;
    let q = app.plain_query("1700000000", &fresh_nonce());
    assert_eq!(
        app.post(&q, text_xml(&openid, "old", fresh_msg_id()))
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_content_cannot_break_the_reply_xml() {
    let app = spawn_app(
        "[[rules]]\nwhen = { msg_type = \"text\" }\nreply = { text = \"echo: {content}\" }\n",
    )
    .await;
    let openid = fresh_openid("inj");
    // in the push, `]]>` has to be written outside CDATA: use an escaped text node
    let evil = "a]]><MsgType>image</MsgType><![CDATA[b &amp; c";
    let xml = format!(
        "<xml><ToUserName><![CDATA[{GH}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType>\
         <Content>a]]&gt;&lt;MsgType&gt;image&lt;/MsgType&gt;&lt;![CDATA[b &amp;amp; c</Content><MsgId>{}</MsgId></xml>",
        now(),
        fresh_msg_id()
    );
    let a = app.push(&xml).await;
    assert_eq!(a.status, 200);
    let f = reply_fields(&a.text());
    assert_eq!(f["MsgType"], "text");
    assert_eq!(f["Content"].as_str().unwrap(), format!("echo: {evil}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_verification_in_safe_mode_uses_the_plain_signature() {
    let app = spawn_app_cfg(Cfg {
        security: "safe",
        ..Cfg::default()
    })
    .await;
    let (ts, nonce) = (now().to_string(), fresh_nonce());
    let r = app
        .http
        .get(app.url(&format!(
            "/wechat?{}&echostr=hello123",
            app.plain_query(&ts, &nonce)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "hello123");
}
