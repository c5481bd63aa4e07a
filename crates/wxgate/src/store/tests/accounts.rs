//! Several accounts on one store (migration 0007): every record belongs to one account; the
//! same openid, dedupe key or scene under two accounts is two records; a forget touches one
//! account; reads take an account filter (None = every account).
use std::time::Duration;

use super::fixtures::{at, push, text, webhook_job};
use super::TestDb;
use crate::store::{
    EventQuery, FollowerEffect, FollowerQuery, GuardMark, NewDelivery, PushWrite, QrCode, Recorded,
    ReplayMark,
};

/// `write` as a push to `account`.
fn to(account: &str, mut write: PushWrite) -> PushWrite {
    write.account = account.to_string();
    write
}

fn subscribe(scene: &str) -> FollowerEffect {
    FollowerEffect::Subscribe {
        scene: Some(scene.to_string()),
    }
}

async fn one_openid_under_two_accounts_is_two_followers(db: TestDb) {
    let store = &db.store;
    store
        .record(to("one", push("oSame", "k1", 0, subscribe("s1"))))
        .await
        .unwrap();
    store
        .record(to("two", push("oSame", "k2", 5, subscribe("s2"))))
        .await
        .unwrap();
    store
        .record(to("two", text("oOther", "k3", 6)))
        .await
        .unwrap();

    let both = store.follower(None, "oSame").await.unwrap();
    let seen: Vec<(&str, Option<&str>)> = both
        .iter()
        .map(|f| (f.account.as_str(), f.scene.as_deref()))
        .collect();
    assert_eq!(seen, [("one", Some("s1")), ("two", Some("s2"))]);
    let one = store.follower(Some("one"), "oSame").await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].subscribed_at, Some(at(0)));
    assert!(store
        .follower(Some("three"), "oSame")
        .await
        .unwrap()
        .is_empty());

    let page = |account: Option<&str>| FollowerQuery {
        account: account.map(str::to_string),
        limit: 10,
        ..Default::default()
    };
    let all: Vec<(String, String)> = store
        .followers(&page(None))
        .await
        .unwrap()
        .into_iter()
        .map(|f| (f.account, f.openid))
        .collect();
    let pair = |a: &str, o: &str| (a.to_string(), o.to_string());
    assert_eq!(
        all,
        [
            pair("one", "oSame"),
            pair("two", "oOther"),
            pair("two", "oSame")
        ]
    );
    let after_first = FollowerQuery {
        after: Some(pair("one", "oSame")),
        ..page(None)
    };
    assert_eq!(store.followers(&after_first).await.unwrap().len(), 2);
    assert_eq!(store.followers(&page(Some("two"))).await.unwrap().len(), 2);

    let events = |account: Option<&str>, openid: Option<&str>| EventQuery {
        account: account.map(str::to_string),
        openid: openid.map(str::to_string),
        limit: 10,
        ..Default::default()
    };
    let of = |rows: Vec<crate::store::EventRow>| -> Vec<(String, String)> {
        rows.into_iter().map(|e| (e.account, e.openid)).collect()
    };
    assert_eq!(
        of(store.events(&events(None, None)).await.unwrap()),
        [
            pair("two", "oOther"),
            pair("two", "oSame"),
            pair("one", "oSame")
        ]
    );
    assert_eq!(
        of(store
            .events(&events(Some("one"), Some("oSame")))
            .await
            .unwrap()),
        [pair("one", "oSame")]
    );
    assert_eq!(
        of(store.events(&events(Some("two"), None)).await.unwrap()).len(),
        2
    );

    let all = store.stats(None).await.unwrap();
    assert_eq!((all.subscribed, all.total, all.events), (3, 3, 3));
    let scenes: Vec<(&str, &str, i64)> = all
        .scenes
        .iter()
        .map(|s| (s.account.as_str(), s.scene.as_str(), s.subscribes))
        .collect();
    assert_eq!(scenes, [("one", "s1", 1), ("two", "s2", 1)]);
    let two = store.stats(Some("two")).await.unwrap();
    assert_eq!((two.subscribed, two.total, two.events), (2, 2, 2));
    assert_eq!(two.scenes.len(), 1);

    let days = |account| store.daily(account, at(0), 1, None);
    let totals = |rows: Vec<crate::store::DayStats>| {
        let day = &rows[0];
        (day.subscribes, day.events)
    };
    assert_eq!(totals(days(None).await.unwrap()), (2, 3), "summed");
    assert_eq!(totals(days(Some("one")).await.unwrap()), (1, 1));
    assert_eq!(totals(days(Some("two")).await.unwrap()), (1, 2));
    let one_scene = store
        .daily(Some("two"), at(0), 1, Some("s1"))
        .await
        .unwrap();
    assert_eq!(one_scene[0].subscribes, 0, "s1 is account one's scene");
}
store_test!(one_openid_under_two_accounts_is_two_followers);

async fn dedupe_keys_are_per_account(db: TestDb) {
    let store = &db.store;
    let first = to("one", text("oA", "m1", 0));
    let mut other = to("two", text("oA", "m1", 0));
    other.reply = Some("<xml>two</xml>".into());
    assert!(matches!(
        store.record(first.clone()).await.unwrap(),
        Recorded::Stored { .. }
    ));
    assert!(
        matches!(
            store.record(other.clone()).await.unwrap(),
            Recorded::Stored { .. }
        ),
        "the same MsgId at another account is another push"
    );
    assert_eq!(
        store.record(other).await.unwrap(),
        Recorded::Duplicate {
            reply: crate::store::StoredReply::Xml("<xml>two</xml>".into())
        }
    );
    assert_eq!(
        store.stored_reply("one", "m1").await.unwrap(),
        Some(first.reply.into())
    );
    assert_eq!(store.stored_reply("three", "m1").await.unwrap(), None);
    assert_eq!(store.stats(None).await.unwrap().events, 2);
}
store_test!(dedupe_keys_are_per_account);

async fn a_forget_in_one_account_leaves_the_other(db: TestDb) {
    let store = &db.store;
    store
        .record(to("one", push("oSame", "k1", 0, subscribe("s"))))
        .await
        .unwrap();
    store
        .record(to("two", push("oSame", "k2", 1, subscribe("s"))))
        .await
        .unwrap();
    store.forget("one", "oSame").await.unwrap();
    let left = store.follower(None, "oSame").await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].account, "two");
    assert_eq!(store.stored_reply("one", "k1").await.unwrap(), None);
    assert!(store.stored_reply("two", "k2").await.unwrap().is_some());

    // an unsubscribe forgets too, in its own account only; it counts against its scene
    let unsubscribe = to("two", push("oSame", "k3", 2, FollowerEffect::Forget));
    assert_eq!(
        store.record(unsubscribe).await.unwrap(),
        Recorded::Forgotten
    );
    store
        .record(to("one", text("oSame", "k4", 3)))
        .await
        .unwrap();
    let left = store.follower(None, "oSame").await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].account, "one");
    let query = EventQuery {
        openid: Some("oSame".into()),
        limit: 10,
        ..Default::default()
    };
    let events = store.events(&query).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].account, "one");
    let two = store.stats(Some("two")).await.unwrap();
    assert_eq!(
        (two.scenes[0].subscribes, two.scenes[0].unsubscribes),
        (1, 1)
    );
    let one = store.stats(Some("one")).await.unwrap();
    assert_eq!(one.scenes[0].unsubscribes, 0);
}
store_test!(a_forget_in_one_account_leaves_the_other);

fn code(account: &str, scene: &str, created: i64) -> QrCode {
    QrCode {
        account: account.into(),
        scene: scene.into(),
        action_name: "QR_STR_SCENE".into(),
        ticket: format!("ticket-{account}-{scene}"),
        url: format!("http://weixin.qq.com/q/{account}/{scene}"),
        expire_seconds: None,
        expires_at: None,
        label: Some(format!("{account} poster")),
        created_at: at(created),
    }
}

async fn qr_codes_and_their_counts_are_per_account(db: TestDb) {
    let store = &db.store;
    store.save_qrcode(&code("one", "p", 0)).await.unwrap();
    store.save_qrcode(&code("two", "p", 1)).await.unwrap();
    store
        .record(to("two", push("oA", "k1", 2, subscribe("p"))))
        .await
        .unwrap();
    assert_eq!(
        store.qrcode("one", "p").await.unwrap(),
        Some(code("one", "p", 0))
    );
    assert_eq!(
        store.qrcode("two", "p").await.unwrap(),
        Some(code("two", "p", 1))
    );
    assert_eq!(store.qrcode("three", "p").await.unwrap(), None);
    let all: Vec<(String, i64)> = store
        .qrcodes(None)
        .await
        .unwrap()
        .into_iter()
        .map(|totals| (totals.code.account, totals.subscribes))
        .collect();
    assert_eq!(all, [("two".to_string(), 1), ("one".to_string(), 0)]);
    let one = store.qrcodes(Some("one")).await.unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(
        (one[0].code.account.as_str(), one[0].subscribes),
        ("one", 0)
    );
    let labels: Vec<(String, Option<String>)> = store
        .stats(None)
        .await
        .unwrap()
        .scenes
        .into_iter()
        .map(|s| (s.account, s.label))
        .collect();
    assert_eq!(
        labels,
        [
            ("one".to_string(), Some("one poster".to_string())),
            ("two".to_string(), Some("two poster".to_string()))
        ]
    );
}
store_test!(qr_codes_and_their_counts_are_per_account);

async fn replay_marks_are_per_account(db: TestDb) {
    let store = &db.store;
    let mut now = ReplayMark {
        seen_at: at(0),
        query: [7; 32],
        body: [1; 32],
    };
    // stored times have millisecond precision (docs/storage.md)
    now.seen_at = chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis())
        .expect("in range");
    let mut write = to("one", text("oA", "k1", 0));
    write.replay = Some(GuardMark {
        guard: "one".into(),
        mark: now,
    });
    store.record(write).await.unwrap();
    let mut same_triple = to("two", text("oA", "k2", 0));
    same_triple.replay = Some(GuardMark {
        guard: "two".into(),
        mark: ReplayMark {
            body: [2; 32],
            ..now
        },
    });
    store.record(same_triple).await.unwrap();
    let since = now.seen_at - chrono::Duration::seconds(1);
    assert_eq!(store.replay_marks("one", since).await.unwrap(), [now]);
    assert_eq!(store.replay_marks("two", since).await.unwrap().len(), 1);
    assert!(store.replay_marks("three", since).await.unwrap().is_empty());
    let other_body = ReplayMark {
        body: [3; 32],
        ..now
    };
    let shared = db.url.starts_with("postgres");
    assert_eq!(
        store.replayed_elsewhere("one", &other_body).await.unwrap(),
        shared
    );
    assert!(!store
        .replayed_elsewhere("three", &other_body)
        .await
        .unwrap());
}
store_test!(replay_marks_are_per_account);

async fn deliveries_carry_their_account_and_queue_per_account(db: TestDb) {
    let store = &db.store;
    for (account, key, secs) in [("one", "a1", 0), ("one", "a2", 1), ("two", "b1", 2)] {
        let mut write = to(account, text("oSame", key, secs));
        write.deliveries = vec![NewDelivery {
            webhook: "crm".into(),
            payload: "{}".into(),
            event_id: key.into(),
        }];
        store.record(write).await.unwrap();
    }
    let claimed = store
        .claim_jobs(at(10), Duration::from_secs(30), 10)
        .await
        .unwrap();
    let heads: Vec<(&str, &str)> = claimed
        .iter()
        .map(|d| (d.account.as_str(), webhook_job(d).event_id.as_str()))
        .collect();
    assert_eq!(
        heads,
        [("one", "a1"), ("two", "b1")],
        "one queue per (webhook, account, openid)"
    );
}
store_test!(deliveries_carry_their_account_and_queue_per_account);
