//! Issue 18 item 2: the signed query of every accepted push stays refused with another body
//! after a restart — resends that came with a new timestamp/nonce/signature too, whether they
//! were answered while the first was in flight, from the stored reply of a call, or as a
//! duplicate found at commit. On SQLite (the same file) and on PostgreSQL.
use std::time::Duration;

use crate::helpers::*;

/// A text push from `openid` that `call_rule` sends to the call webhook.
fn text(openid: &str, content: &str) -> String {
    text_xml(openid, content, fresh_msg_id())
}

/// What a replay of a captured query carries: an unsubscribe of the victim.
fn wipe(victim: &str) -> String {
    event_xml(victim, "unsubscribe", None, now())
}

/// Runs the scenario on a gateway configured by `cfg`; `restart` stops and starts it again
/// on the same database.
async fn resends_stay_refused_after_a_restart(cfg: Cfg) {
    let hook = spawn_hook(Duration::from_millis(1500), "slow").await;
    let app = spawn_app_cfg(Cfg {
        extra: call_rule(&hook.url, 3000),
        ..cfg
    })
    .await;
    let victim = fresh_openid("victim");
    let follow = event_xml(&victim, "subscribe", None, now());
    assert_eq!(app.push(&follow).await.status, 200);

    // 1. A resend with new query parameters while the first is in the call webhook.
    let u = fresh_openid("resender");
    let called = text(&u, "slow one");
    let first = app.post_in_background(
        app.plain_query(&now().to_string(), &fresh_nonce()),
        called.clone(),
    );
    tokio::time::timeout(Duration::from_secs(10), hook.started.notified())
        .await
        .expect("the webhook was called");
    let in_flight = app.plain_query(&now().to_string(), &fresh_nonce());
    let resent = app.post(&in_flight, called.clone()).await;
    assert_eq!(resent.status, 200);
    assert_eq!(first.await.expect("first").0, 200);

    // 2. A resend of the call after it finished: answered from the stored reply.
    let after_call = app.plain_query(&now().to_string(), &fresh_nonce());
    assert_eq!(
        app.post(&after_call, called.clone()).await.body,
        resent.body
    );

    // 3. A resend of a push without a call (a CLICK): a duplicate found at commit.
    let click = event_xml(&u, "CLICK", Some("k"), now());
    assert_eq!(app.push(&click).await.status, 200);
    let duplicate = app.plain_query(&now().to_string(), &fresh_nonce());
    assert_eq!(app.post(&duplicate, click.clone()).await.status, 200);

    let app = app.restart().await;
    for (what, query) in [
        ("in-flight resend", &in_flight),
        ("resend of a call", &after_call),
        ("duplicate resend", &duplicate),
    ] {
        let replay = app.post(query, wipe(&victim)).await;
        assert_eq!(replay.status, 403, "{what}: replayed with another body");
    }
    assert_eq!(
        app.follower(&victim).await.0,
        200,
        "the victim is not forgotten"
    );
    // The same bodies are retries still.
    assert_eq!(app.post(&in_flight, called.clone()).await.status, 200);
    assert_eq!(app.post(&duplicate, click).await.status, 200);
    assert_eq!(hook.calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_18_resends_stay_refused_after_a_restart_on_sqlite() {
    resends_stay_refused_after_a_restart(Cfg::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_18_resends_stay_refused_after_a_restart_on_postgres() {
    crate::postgres::with_postgres("wxgate_it", |url| {
        resends_stay_refused_after_a_restart(Cfg {
            storage: Some(url),
            ..Cfg::default()
        })
    })
    .await;
}
