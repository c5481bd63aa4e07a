//! Notify webhooks: shape, selection, order, retries, restarts, forgetting, expiry.
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::harness::*;

const SECRET: &str = "notify-s3cret";

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[tokio::test]
async fn payload_and_headers_verify() {
    let (recv, _r) = Receiver::start().await;
    let extra = notify_hook(
        "signed",
        &recv.url("/signed"),
        "[\"*\"]",
        &format!("secret = \"{SECRET}\""),
    ) + &notify_hook("open", &recv.url("/open"), "[\"*\"]", "");
    let gate = start(&extra).await;
    let openid = fresh("o");
    let msg_id = fresh_msg_id();
    gate.push(&text_xml(&openid, "hello", msg_id)).await;

    recv.wait_delivered("/signed", 1).await;
    recv.wait_delivered("/open", 1).await;
    let hits = recv.hits();
    let signed = hits
        .iter()
        .find(|h| h.path == "/signed")
        .expect("signed hit");
    let v = &signed.json;
    let mut keys: Vec<_> = v.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "create_time",
            "event",
            "event_key",
            "fields",
            "id",
            "msg_type",
            "openid"
        ]
    );
    assert_eq!(v["id"], id_of(msg_id));
    assert_eq!(v["openid"], openid.as_str());
    assert_eq!(v["msg_type"], "text");
    assert!(v["event"].is_null() && v["event_key"].is_null(), "{v}");
    assert_eq!(v["fields"]["Content"], "hello");
    // create_time is RFC 3339 UTC, as in the admin API; the value as sent stays in fields.
    let sent: i64 = v["fields"]["CreateTime"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("fields.CreateTime");
    let expected = chrono::DateTime::from_timestamp(sent, 0)
        .expect("a time")
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert_eq!(v["create_time"], expected.as_str(), "{v}");
    assert_eq!(signed.event_id.as_deref(), Some(id_of(msg_id).as_str()));
    assert_eq!(signed.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        signed.signature.as_deref(),
        Some(hmac_hex(SECRET, &signed.body).as_str()),
        "X-Wxgate-Signature is the HMAC of the exact body"
    );
    let open = hits.iter().find(|h| h.path == "/open").expect("open hit");
    assert_eq!(open.signature, None, "no secret, no signature");
    assert_eq!(open.body, signed.body, "every webhook gets the same body");
    // The receiver records before its 200 reaches the dispatcher, which then deletes.
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;

    let metrics = gate.http_text("/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("wxgate_webhook_deliveries_total")
                && l.contains("outcome=\"delivered\"")
                && l.contains("webhook=\"signed\"")),
        "delivery metric missing:\n{metrics}"
    );
    gate.stop().await;
}

#[tokio::test]
async fn events_select_what_each_webhook_receives() {
    let (recv, _r) = Receiver::start().await;
    let extra = notify_hook("texts", &recv.url("/texts"), "[\"text\"]", "")
        + &notify_hook("subs", &recv.url("/subs"), "[\"SUBSCRIBE\", \"click\"]", "")
        + &notify_hook("all", &recv.url("/all"), "[\"*\"]", "")
        + &format!(
            "[[webhooks]]\nname = \"caller\"\nurl = \"{}\"\nmode = \"call\"\n",
            recv.url("/caller")
        );
    let gate = start(&extra).await;
    let openid = fresh("o");
    let t = now();
    gate.push(&text_xml(&openid, "hi", fresh_msg_id())).await;
    gate.push(&event_xml(&openid, "subscribe", None, t)).await;
    gate.push(&image_xml(&openid, fresh_msg_id())).await;
    gate.push(&event_xml(&openid, "CLICK", Some("K1"), t + 1))
        .await;

    let all = recv.wait_delivered("/all", 4).await;
    let kinds: Vec<_> = all
        .iter()
        .map(|v| {
            v["event"]
                .as_str()
                .unwrap_or(v["msg_type"].as_str().expect("msg_type"))
        })
        .collect();
    assert_eq!(kinds, ["text", "subscribe", "image", "CLICK"]);
    let texts = recv.wait_delivered("/texts", 1).await;
    let subs = recv.wait_delivered("/subs", 2).await;
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;
    // Nothing else is pending, so these are all they will ever get.
    assert_eq!(recv.delivered("/texts"), texts);
    assert_eq!(texts[0]["msg_type"], "text");
    assert_eq!(subs[0]["event"], "subscribe");
    assert_eq!(subs[1]["event"], "CLICK");
    assert_eq!(recv.delivered("/subs").len(), 2);
    assert!(
        recv.hits().iter().all(|h| h.path != "/caller"),
        "a call webhook gets no notify deliveries"
    );
    gate.stop().await;
}

/// The backoff counts from the end of the failed attempt: a receiver that took long to fail
/// is not tried again at once.
#[tokio::test]
async fn a_slow_failure_waits_its_backoff_after_it_ended() {
    let (recv, _r) = Receiver::start().await;
    recv.fail(1);
    let stall = Duration::from_millis(1500);
    recv.stall_failures(stall);
    let base = Duration::from_secs(1);
    let gate = start_with_backoff(&notify_hook("h", &recv.url("/h"), "[\"*\"]", ""), base).await;
    let openid = fresh("oslow");
    gate.push(&text_xml(&openid, "slow", fresh_msg_id())).await;
    recv.wait_delivered("/h", 1).await;
    let hits = recv.hits();
    assert_eq!(
        hits.iter().map(|h| h.status).collect::<Vec<_>>(),
        [503, 200],
        "one slow failure, then the delivery"
    );
    let gap = hits[1].at - hits[0].at;
    // The retry is due half the base at the least (jitter) after the 503 was answered.
    let min = stall + base / 2 - Duration::from_millis(5);
    assert!(
        gap >= min,
        "retried {gap:?} after the first try, expected ≥ {min:?}"
    );
    gate.stop().await;
}

#[tokio::test]
async fn order_per_openid_holds_through_failures_with_backoff() {
    let (recv, _r) = Receiver::start().await;
    recv.fail(5);
    let gate = start(&notify_hook("h", &recv.url("/h"), "[\"*\"]", "")).await;
    let (a, b) = (fresh("oa"), fresh("ob"));
    let mut want_a = Vec::new();
    let mut want_b = Vec::new();
    for i in 0..4 {
        let (ia, ib) = (fresh_msg_id(), fresh_msg_id());
        gate.push(&text_xml(&a, &format!("a{i}"), ia)).await;
        gate.push(&text_xml(&b, &format!("b{i}"), ib)).await;
        want_a.push(id_of(ia));
        want_b.push(id_of(ib));
    }
    let got = recv.wait_delivered("/h", 8).await;
    assert_eq!(ids_of(&got, &a), want_a, "order of {a}");
    assert_eq!(ids_of(&got, &b), want_b, "order of {b}");
    let hits = recv.hits();
    assert_eq!(hits.iter().filter(|h| h.status == 503).count(), 5);
    // Each failed delivery was retried after a backoff (jittered down to half at most),
    // growing with its attempts.
    for id in want_a.iter().chain(&want_b) {
        let tries: Vec<_> = hits
            .iter()
            .filter(|h| h.event_id.as_deref() == Some(id.as_str()))
            .collect();
        assert_eq!(
            tries.last().expect("tried").status,
            200,
            "{id} ends delivered"
        );
        for (n, pair) in tries.windows(2).enumerate() {
            let gap = pair[1].at - pair[0].at;
            // (less 2 ms: the store keeps times to the millisecond)
            let min = BACKOFF_BASE * (1 << n) / 2 - Duration::from_millis(2);
            assert!(
                gap >= min,
                "{id}: retry {n} after {gap:?}, expected ≥ {min:?}"
            );
        }
    }
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;
    gate.stop().await;
}

#[tokio::test]
async fn a_receiver_that_was_down_gets_everything_once_up() {
    let addr = Receiver::down_address();
    let url = format!("http://{addr}/h");
    let gate = start(&notify_hook("h", &url, "[\"*\"]", "")).await;
    let openid = fresh("o");
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for i in 0..3 {
            let id = fresh_msg_id();
            gate.push(&text_xml(&openid, &format!("m{i}"), id)).await;
            ids.push(id_of(id));
        }
        ids
    };
    // Attempts fail on a refused connection meanwhile: the oldest delivery of the openid
    // (the others wait behind it, in order) is tried, and retried after its backoff.
    wait_until("two failed attempts at the first delivery", || {
        let attempts = gate.attempts();
        async move { attempts.first().is_some_and(|&n| n >= 2) }
    })
    .await;
    assert_eq!(
        gate.pending().await,
        3,
        "nothing delivered, nothing dropped"
    );
    let (recv, _r) = Receiver::start_at(addr).await;
    let got = recv.wait_delivered("/h", 3).await;
    assert_eq!(ids_of(&got, &openid), ids);
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;
    gate.stop().await;
}

#[tokio::test]
async fn pending_deliveries_survive_a_restart() {
    let (recv, _r) = Receiver::start().await;
    recv.fail(usize::MAX);
    let gate = start(&notify_hook("h", &recv.url("/h"), "[\"*\"]", "")).await;
    let openid = fresh("o");
    let mut ids = Vec::new();
    for i in 0..3 {
        let id = fresh_msg_id();
        gate.push(&text_xml(&openid, &format!("m{i}"), id)).await;
        ids.push(id_of(id));
    }
    wait_until("a failed attempt", || {
        let tried = !recv.hits().is_empty();
        async move { tried }
    })
    .await;
    assert_eq!(gate.pending().await, 3);
    let gate = gate.restart().await;
    assert_eq!(gate.pending().await, 3, "the outbox is durable");
    recv.fail(0);
    let got = recv.wait_delivered("/h", 3).await;
    assert_eq!(ids_of(&got, &openid), ids);
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;
    gate.stop().await;
}

#[tokio::test]
async fn a_resend_is_not_delivered_twice() {
    let (recv, _r) = Receiver::start().await;
    let gate = start(&notify_hook("h", &recv.url("/h"), "[\"*\"]", "")).await;
    let openid = fresh("o");
    let first = fresh_msg_id();
    let xml = text_xml(&openid, "once", first);
    gate.push(&xml).await;
    gate.push(&xml).await;
    let ev = event_xml(&openid, "CLICK", Some("K"), now());
    gate.push(&ev).await;
    gate.push(&ev).await;
    let marker = fresh_msg_id();
    gate.push(&text_xml(&openid, "marker", marker)).await;
    // In order per openid: once the marker is in, any duplicate would have come before it.
    let marker_id = id_of(marker);
    wait_until("the marker", || {
        let done = ids_of(&recv.delivered("/h"), &openid).contains(&marker_id);
        async move { done }
    })
    .await;
    let ids = ids_of(&recv.delivered("/h"), &openid);
    assert_eq!(ids.len(), 3, "{ids:?}");
    assert_eq!(ids[0], id_of(first));
    assert!(ids[1].starts_with("msg_") && ids[1] != ids[0], "{ids:?}");
    assert_eq!(ids[2], marker_id);
    // The receiver records before its 200 reaches the dispatcher, which then deletes.
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;
    gate.stop().await;
}

#[tokio::test]
async fn unsubscribe_forgets_the_user_but_delivers_what_was_pending() {
    let (recv, _r) = Receiver::start().await;
    recv.fail(usize::MAX);
    let gate = start(&notify_hook("h", &recv.url("/h"), "[\"*\"]", "")).await;
    let openid = fresh("o");
    let t = now();
    gate.push(&event_xml(&openid, "subscribe", Some("qrscene_s1"), t))
        .await;
    let text = fresh_msg_id();
    gate.push(&text_xml(&openid, "bye soon", text)).await;
    gate.push(&event_xml(&openid, "unsubscribe", None, t + 1))
        .await;

    let (status, _) = gate.get(&format!("/api/followers/{openid}")).await;
    assert_eq!(status, 404, "the follower is forgotten");
    let (status, events) = gate.get(&format!("/api/events?openid={openid}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        events["events"].as_array().map(Vec::len),
        Some(0),
        "{events}"
    );
    assert_eq!(gate.pending().await, 3, "the outbox keeps what is pending");

    recv.fail(0);
    let got = recv.wait_delivered("/h", 3).await;
    let kinds: Vec<_> = got
        .iter()
        .filter(|v| v["openid"] == openid.as_str())
        .map(|v| v["event"].as_str().unwrap_or("text").to_string())
        .collect();
    assert_eq!(kinds, ["subscribe", "text", "unsubscribe"]);
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;
    gate.stop().await;
}

#[tokio::test]
async fn a_resent_unsubscribe_is_delivered_once() {
    let (recv, _r) = Receiver::start().await;
    recv.fail(usize::MAX);
    let gate = start(&notify_hook("h", &recv.url("/h"), "[\"*\"]", "")).await;
    let openid = fresh("o");
    let t = now();
    gate.push(&event_xml(&openid, "subscribe", None, t)).await;
    let unsubscribe = event_xml(&openid, "unsubscribe", None, t + 1);
    gate.push(&unsubscribe).await;
    gate.push(&unsubscribe).await;
    assert_eq!(gate.pending().await, 2, "the resend queues nothing");
    let gate = gate.restart().await;
    gate.push(&unsubscribe).await;
    assert_eq!(gate.pending().await, 2, "nor after a restart");

    recv.fail(0);
    recv.wait_delivered("/h", 2).await;
    wait_until("an empty outbox", || async { gate.pending().await == 0 }).await;
    let kinds: Vec<_> = recv
        .delivered("/h")
        .iter()
        .filter(|v| v["openid"] == openid.as_str())
        .map(|v| v["event"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(kinds, ["subscribe", "unsubscribe"]);
    gate.stop().await;
}

#[tokio::test]
async fn deliveries_past_max_age_are_dropped() {
    let (recv, _r) = Receiver::start().await;
    recv.fail(usize::MAX);
    let gate = start(&notify_hook(
        "h",
        &recv.url("/h"),
        "[\"*\"]",
        "max_age = \"1s\"",
    ))
    .await;
    let openid = fresh("o");
    gate.push(&text_xml(&openid, "a", fresh_msg_id())).await;
    gate.push(&text_xml(&openid, "b", fresh_msg_id())).await;
    assert_eq!(gate.pending().await, 2);
    wait_until("the expired deliveries to go", || async {
        gate.pending().await == 0
    })
    .await;
    let tried = recv.hits().len();
    assert!(tried >= 1, "tried before expiring");
    // Nothing is left to try: the receiver, up again, gets nothing.
    recv.fail(0);
    gate.push(&text_xml(&openid, "fresh", fresh_msg_id())).await;
    let got = recv.wait_delivered("/h", 1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["fields"]["Content"], "fresh");
    gate.stop().await;
}

#[tokio::test]
async fn serve_delivers_and_stops_cleanly_with_deliveries_pending() {
    let (recv, _r) = Receiver::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = notify_hook("h", &recv.url("/h"), "[\"*\"]", "");
    let mut gate = serve(dir.path(), &extra);
    let http = reqwest::Client::new();
    let openid = fresh("o");
    let first = fresh_msg_id();
    push_to(&http, gate.addr, &text_xml(&openid, "one", first)).await;
    let got = recv.wait_delivered("/h", 1).await;
    assert_eq!(ids_of(&got, &openid), [id_of(first)]);

    // Down receiver: the next one stays pending across a SIGTERM and a new process.
    recv.fail(usize::MAX);
    let second = fresh_msg_id();
    push_to(&http, gate.addr, &text_xml(&openid, "two", second)).await;
    wait_until("a failed attempt", || {
        let tried = recv.hits().len() >= 2;
        async move { tried }
    })
    .await;
    gate.signal("-TERM");
    let exit = gate.wait_exit(Duration::from_secs(30)).await;
    assert!(exit.success(), "clean exit on SIGTERM");
    recv.fail(0);
    let _gate = serve(dir.path(), &extra);
    let got = recv.wait_delivered("/h", 2).await;
    assert_eq!(ids_of(&got, &openid), [id_of(first), id_of(second)]);
}

#[tokio::test]
async fn deliveries_of_a_webhook_removed_on_reload_are_dropped() {
    let (recv, _r) = Receiver::start().await;
    recv.fail(usize::MAX);
    let gate = start(&notify_hook("h", &recv.url("/h"), "[\"*\"]", "")).await;
    gate.push(&text_xml(&fresh("o"), "a", fresh_msg_id())).await;
    assert_eq!(gate.pending().await, 1);
    // What SIGHUP does with a config that no longer has the webhook.
    let text = format!("[account]\ntoken = \"{TOKEN}\"\n[storage]\nurl = \"sqlite::memory:\"\n");
    let raw = wxgate::config::parse_toml(&text).expect("parses");
    let fresh_config =
        wxgate::config::Config::from_raw(raw, gate.dir.path(), |_| None).expect("valid");
    gate.state.reload(&fresh_config).await;
    wait_until("the orphaned delivery to go", || async {
        gate.pending().await == 0
    })
    .await;
    assert!(recv.delivered("/h").is_empty());
    gate.stop().await;
}
