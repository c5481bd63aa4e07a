//! Issue 13 item 7: deliveries are signed as Standard Webhooks 1.0 (contract section 6),
//! verified here with the reference algorithm written out independently of the gateway.
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::harness::*;

/// A Standard Webhooks secret: `whsec_` + base64 of the key bytes.
const WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The reference verification: `v1,` signatures over `{id}.{timestamp}.{body}` under the
/// base64-decoded key, a timestamp within five minutes. Returns why it fails.
fn verify(secret: &str, hit: &Hit, now: i64) -> Result<(), String> {
    let id = hit.header("webhook-id").ok_or("no webhook-id")?;
    let ts = hit
        .header("webhook-timestamp")
        .ok_or("no webhook-timestamp")?;
    let sigs = hit
        .header("webhook-signature")
        .ok_or("no webhook-signature")?;
    let ts_n: i64 = ts.parse().map_err(|_| format!("timestamp {ts:?}"))?;
    if (now - ts_n).abs() > 300 {
        return Err(format!("timestamp {ts_n} too far from {now}"));
    }
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").ok_or("not whsec_")?)
        .map_err(|e| e.to_string())?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|e| e.to_string())?;
    mac.update(format!("{id}.{ts}.").as_bytes());
    mac.update(&hit.body);
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    if sigs.split(' ').any(|s| s == expected) {
        Ok(())
    } else {
        Err(format!("{sigs} is not {expected}"))
    }
}

#[tokio::test]
async fn issue_13_notify_delivery_verifies_as_standard_webhooks() {
    let (recv, _r) = Receiver::start().await;
    let extra = notify_hook(
        "std",
        &recv.url("/std"),
        "[\"*\"]",
        &format!("secret = \"{WHSEC}\""),
    );
    let gate = start(&extra).await;
    recv.fail(1);
    let openid = fresh("oStd");
    let msg_id = fresh_msg_id();
    gate.push(&text_xml(&openid, "hello", msg_id)).await;
    recv.wait_delivered("/std", 1).await;

    let hits = recv.hits();
    assert_eq!(hits.len(), 2, "one refused attempt, one delivered");
    let now = chrono::Utc::now().timestamp();
    for hit in &hits {
        verify(WHSEC, hit, now).unwrap_or_else(|e| panic!("does not verify: {e}"));
        let id = id_of(msg_id);
        assert_eq!(hit.header("webhook-id"), Some(id.as_str()));
        assert_eq!(hit.header("x-wxgate-event-id"), Some(id.as_str()));
        assert_eq!(hit.json["id"], id.as_str());
        let key = STANDARD.decode(&WHSEC[6..]).expect("base64");
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
        mac.update(&hit.body);
        let body_sig = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(
            hit.signature.as_deref(),
            Some(body_sig.as_str()),
            "X-Wxgate-Signature uses the same decoded key"
        );
    }

    // A tampered body, another id or a stale timestamp does not verify.
    let mut tampered = hits[1].clone();
    tampered.body.push(b' ');
    assert!(verify(WHSEC, &tampered, now).is_err());
    assert!(
        verify(WHSEC, &hits[1], now + 3600).is_err(),
        "replayed an hour later"
    );
    assert!(verify("whsec_AAAA", &hits[1], now).is_err(), "another key");
}

#[tokio::test]
async fn issue_13_call_delivery_verifies_as_standard_webhooks() {
    let (recv, _r) = Receiver::start().await;
    let extra = format!(
        "[[rules]]\nwhen = {{ msg_type = \"text\" }}\ncall = \"bot\"\n\n\
         [[webhooks]]\nname = \"bot\"\nurl = \"{}\"\nmode = \"call\"\nsecret = \"{WHSEC}\"\ntimeout_ms = 2000\n",
        recv.url("/call")
    );
    let gate = start(&extra).await;
    let openid = fresh("oCall");
    let msg_id = fresh_msg_id();
    gate.push(&text_xml(&openid, "hi bot", msg_id)).await;
    let hits = recv.hits();
    assert_eq!(
        hits.len(),
        1,
        "the call was made before the push was answered"
    );
    verify(WHSEC, &hits[0], chrono::Utc::now().timestamp())
        .unwrap_or_else(|e| panic!("does not verify: {e}"));
    assert_eq!(hits[0].header("webhook-id"), Some(id_of(msg_id).as_str()));
}

#[tokio::test]
async fn issue_13_a_whsec_secret_that_is_not_base64_is_a_config_error() {
    let text = "[[webhooks]]\nname = \"h\"\nurl = \"http://127.0.0.1:9/\"\nmode = \"notify\"\nsecret = \"whsec_*\"\n";
    let raw = wxgate::config::parse_toml(text).expect("parses");
    let err = wxgate::config::Config::from_raw(raw, std::path::Path::new("."), |_| None)
        .expect_err("refused");
    let shown = err.to_string();
    assert!(shown.contains("webhooks[0].secret"), "{shown}");
    assert!(
        !shown.contains("whsec_*"),
        "the secret is not shown: {shown}"
    );
}

/// Issue 18 item 4: a CLICK whose EventKey is `菜单` has an ASCII id (`msg_` and base64url of
/// the hash of its dedupe key) in `webhook-id`, `X-Wxgate-Event-Id` and the body, the same on
/// every attempt; it verifies as Standard Webhooks, and the user's next delivery follows it.
#[tokio::test]
async fn issue_18_a_non_ascii_event_key_gives_an_ascii_id_that_verifies() {
    let (recv, _r) = Receiver::start().await;
    let extra = notify_hook(
        "std",
        &recv.url("/std"),
        "[\"*\"]",
        &format!("secret = \"{WHSEC}\""),
    );
    let gate = start(&extra).await;
    recv.fail(1);
    let openid = fresh("oMenu");
    let click = event_xml(&openid, "CLICK", Some("菜单"), now());
    let key = wechat_proto::parse_message(click.as_bytes())
        .expect("parses")
        .dedupe_key();
    gate.push(&click).await;
    let after = fresh_msg_id();
    gate.push(&text_xml(&openid, "next", after)).await;
    let delivered = recv.wait_delivered("/std", 2).await;
    assert_eq!(
        ids_of(&delivered, &openid),
        [id_of(key.as_str()), id_of(after)],
        "the next delivery to the user is not blocked behind the click"
    );

    let hits = recv.hits();
    assert_eq!(hits.len(), 3, "one refused attempt, two delivered");
    let now = chrono::Utc::now().timestamp();
    let id = id_of(key.as_str());
    assert!(
        id.starts_with("msg_") && id.is_ascii() && id.len() <= 32,
        "{id}"
    );
    for hit in &hits[..2] {
        verify(WHSEC, hit, now).unwrap_or_else(|e| panic!("does not verify: {e}"));
        assert_eq!(hit.header("webhook-id"), Some(id.as_str()), "every attempt");
        assert_eq!(hit.header("x-wxgate-event-id"), Some(id.as_str()));
        assert_eq!(hit.json["id"], id.as_str());
        assert_eq!(hit.json["event_key"], "菜单");
    }
    verify(WHSEC, &hits[2], now).unwrap_or_else(|e| panic!("does not verify: {e}"));

    // A WeChat resend of the click (same dedupe key) is not delivered again.
    gate.push(&click).await;
    let marker = fresh_msg_id();
    gate.push(&text_xml(&openid, "marker", marker)).await;
    let delivered = recv.wait_delivered("/std", 3).await;
    assert_eq!(
        ids_of(&delivered, &openid),
        [id_of(key.as_str()), id_of(after), id_of(marker)]
    );
    gate.stop().await;
}

/// Issue 18 item 4: a row queued by a gateway from before ASCII ids holds the raw dedupe key
/// (here with `菜单`) as its event id and in its body; it is sent with the id computed at
/// delivery, verifies, and does not block the user's later deliveries.
#[tokio::test]
async fn issue_18_a_row_queued_with_a_raw_key_is_sent_with_an_ascii_id() {
    let (recv, _r) = Receiver::start().await;
    let extra = notify_hook(
        "std",
        &recv.url("/std"),
        "[\"*\"]",
        &format!("secret = \"{WHSEC}\""),
    );
    let gate = start(&extra).await;
    let (dir, _) = gate.stop().await;
    let openid = fresh("oOld");
    let key = format!("ev:{}:{openid}:10:1700000000:5:CLICK:6:菜单", openid.len());
    let payload = serde_json::json!({
        "id": key, "openid": openid, "msg_type": "event", "event": "CLICK",
        "event_key": "菜单", "create_time": "2023-11-14T22:13:20Z", "fields": {},
    })
    .to_string();
    let db = rusqlite::Connection::open(dir.path().join("wx.db")).expect("open the database");
    db.execute(
        "INSERT INTO outbox (webhook, openid, event_id, payload, created_at, next_at, account) \
         VALUES ('std', ?1, ?2, ?3, ?4, ?4, 'default')",
        rusqlite::params![openid, key, payload, chrono::Utc::now().timestamp_millis()],
    )
    .expect("queue an old row");
    drop(db);

    let gate = start_again(dir, &extra).await;
    let after = fresh_msg_id();
    gate.push(&text_xml(&openid, "next", after)).await;
    let delivered = recv.wait_delivered("/std", 2).await;
    let id = id_of(&key);
    assert_eq!(ids_of(&delivered, &openid), [id.clone(), id_of(after)]);
    let hits = recv.hits();
    let now = chrono::Utc::now().timestamp();
    for hit in &hits {
        verify(WHSEC, hit, now).unwrap_or_else(|e| panic!("does not verify: {e}"));
    }
    assert_eq!(hits[0].header("webhook-id"), Some(id.as_str()));
    assert_eq!(hits[0].json["event_key"], "菜单");
    gate.stop().await;
}
