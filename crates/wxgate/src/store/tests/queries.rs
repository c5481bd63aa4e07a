//! Reads: paging, filters, stats, QR codes, tokens, purge.
use std::time::Duration;

use super::fixtures::{at, push, text};
use super::{plain, TestDb};
use crate::store::{EventQuery, FollowerEffect, FollowerQuery, QrCode, StoredToken};

async fn followers_page_by_openid_after_a_cursor(db: TestDb) {
    for (i, openid) in ["o3", "o1", "o5", "o2", "o4"].iter().enumerate() {
        db.store
            .record(text(openid, &format!("m{i}"), i as i64))
            .await
            .unwrap();
    }
    let page = |after: Option<&str>| FollowerQuery {
        subscribed: Some(true),
        limit: 2,
        after: after.map(|openid| {
            (
                crate::store::DEFAULT_ACCOUNT.to_string(),
                openid.to_string(),
            )
        }),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let followers = db.store.followers(&page(after.as_deref())).await.unwrap();
        if followers.is_empty() {
            break;
        }
        assert!(followers.len() <= 2);
        after = followers.last().map(|f| f.openid.clone());
        seen.extend(followers.into_iter().map(|f| f.openid));
    }
    assert_eq!(seen, ["o1", "o2", "o3", "o4", "o5"]);
    let unsubscribed = FollowerQuery {
        subscribed: Some(false),
        limit: 10,
        ..Default::default()
    };
    assert!(db.store.followers(&unsubscribed).await.unwrap().is_empty());
}
store_test!(followers_page_by_openid_after_a_cursor);

async fn events_newest_first_with_cursor_and_filters(db: TestDb) {
    db.store.record(text("oA", "e1", 1)).await.unwrap();
    db.store
        .record(push(
            "oB",
            "e2",
            2,
            FollowerEffect::Subscribe { scene: None },
        ))
        .await
        .unwrap();
    db.store.record(text("oA", "e3", 3)).await.unwrap();
    db.store
        .record(push(
            "oA",
            "e4",
            4,
            FollowerEffect::Scan { scene: "q".into() },
        ))
        .await
        .unwrap();
    let keys = |events: Vec<crate::store::EventRow>| -> Vec<i64> {
        events
            .into_iter()
            .map(|e| e.create_time - at(0).timestamp())
            .collect()
    };
    let all = db
        .store
        .events(&EventQuery {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(keys(all.clone()), [4, 3, 2, 1]);
    let fields: serde_json::Value = serde_json::from_str(&all[1].fields_json).unwrap();
    assert_eq!(
        fields["FromUserName"], "oA",
        "parsed from the raw XML: {fields}"
    );
    assert_eq!(fields["Content"], "hello", "{fields}");
    assert_eq!(all[1].received_at, at(3));
    let first_page = db
        .store
        .events(&EventQuery {
            limit: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    let before = Some(first_page[1].id);
    let second = EventQuery {
        limit: 2,
        before,
        ..Default::default()
    };
    assert_eq!(keys(db.store.events(&second).await.unwrap()), [2, 1]);
    let texts = EventQuery {
        msg_type: Some("TEXT".into()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(keys(db.store.events(&texts).await.unwrap()), [3, 1]);
    let scans = EventQuery {
        event: Some("scan".into()),
        limit: 50,
        ..Default::default()
    };
    assert_eq!(keys(db.store.events(&scans).await.unwrap()), [4]);
    let of_a = EventQuery {
        openid: Some("oA".into()),
        limit: 2,
        ..Default::default()
    };
    assert_eq!(keys(db.store.events(&of_a).await.unwrap()), [4, 3]);
}
store_test!(events_newest_first_with_cursor_and_filters);

fn code(scene: &str, label: Option<&str>, created: i64) -> QrCode {
    QrCode {
        account: crate::store::DEFAULT_ACCOUNT.into(),
        scene: scene.into(),
        action_name: "QR_STR_SCENE".into(),
        ticket: format!("ticket-{scene}"),
        url: format!("http://weixin.qq.com/q/{scene}"),
        expire_seconds: Some(600),
        expires_at: Some(at(created + 600)),
        label: label.map(str::to_string),
        created_at: at(created),
    }
}

async fn qrcodes_newest_first_with_their_counts_and_stats_labels(db: TestDb) {
    db.store
        .save_qrcode(&code("p1", Some("poster one"), 10))
        .await
        .unwrap();
    db.store.save_qrcode(&code("p2", None, 20)).await.unwrap();
    let mut permanent = code("p1", Some("poster 1"), 30);
    (permanent.expire_seconds, permanent.expires_at) = (None, None);
    db.store.save_qrcode(&permanent).await.unwrap(); // replaces p1
    let subscribe = FollowerEffect::Subscribe {
        scene: Some("p1".into()),
    };
    db.store
        .record(push("oA", "s1", 40, subscribe))
        .await
        .unwrap();
    db.store
        .record(push(
            "oA",
            "s2",
            50,
            FollowerEffect::Scan { scene: "p1".into() },
        ))
        .await
        .unwrap();
    db.store
        .record(push(
            "oB",
            "s3",
            60,
            FollowerEffect::Scan { scene: "zz".into() },
        ))
        .await
        .unwrap();
    let codes = db.store.qrcodes(None).await.unwrap();
    let counts: Vec<_> = codes
        .iter()
        .map(|t| (t.code.clone(), t.subscribes, t.scans, t.unsubscribes))
        .collect();
    assert_eq!(
        counts,
        vec![
            (permanent.clone(), 1, 1, 0),
            (code("p2", None, 20), 0, 0, 0)
        ]
    );
    assert_eq!(
        db.store
            .qrcode(crate::store::DEFAULT_ACCOUNT, "p1")
            .await
            .unwrap(),
        Some(permanent)
    );
    assert_eq!(
        db.store
            .qrcode(crate::store::DEFAULT_ACCOUNT, "nope")
            .await
            .unwrap(),
        None
    );
    let stats = db.store.stats(None).await.unwrap();
    let scenes: Vec<_> = stats
        .scenes
        .iter()
        .map(|s| (s.scene.as_str(), s.label.as_deref(), s.subscribes, s.scans))
        .collect();
    assert_eq!(
        scenes,
        [
            ("p1", Some("poster 1"), 1, 1),
            ("p2", None, 0, 0),
            ("zz", None, 0, 1)
        ]
    );
    assert_eq!((stats.subscribed, stats.total, stats.events), (2, 2, 3));

    // oA, who came through p1, unfollows: p1's code counts it, the follows stay.
    db.store
        .record(push("oA", "u1", 70, FollowerEffect::Forget))
        .await
        .unwrap();
    let codes = db.store.qrcodes(None).await.unwrap();
    assert_eq!(
        (
            codes[0].code.scene.as_str(),
            codes[0].subscribes,
            codes[0].unsubscribes
        ),
        ("p1", 1, 1)
    );
    assert_eq!(codes[1].unsubscribes, 0);
}
store_test!(qrcodes_newest_first_with_their_counts_and_stats_labels);

async fn tokens_per_appid_and_the_refresh_lease(db: TestDb) {
    assert_eq!(db.token("wx1").await, None);
    let ttl = Duration::from_secs(60);
    assert!(db.store.try_token_lease("wx1", "a", ttl).await.unwrap());
    assert_eq!(db.token("wx1").await, None, "a lease is not a token");
    assert!(
        !db.store.try_token_lease("wx1", "b", ttl).await.unwrap(),
        "held by a"
    );
    assert!(
        db.store.try_token_lease("wx1", "a", ttl).await.unwrap(),
        "renewed by a"
    );
    assert!(
        db.store.try_token_lease("wx2", "b", ttl).await.unwrap(),
        "other appid"
    );
    assert!(db
        .store
        .try_token_lease("wx2", "c", Duration::ZERO)
        .await
        .is_ok());
    let token = StoredToken {
        access_token: "T1".into(),
        expires_at: at(7200),
    };
    db.store.save_token("wx1", &token).await.unwrap();
    let newer = StoredToken {
        access_token: "T2".into(),
        expires_at: at(9000),
    };
    db.store.save_token("wx1", &newer).await.unwrap();
    assert_eq!(db.token("wx1").await, Some(plain(&newer)));
    assert_eq!(db.token("wx3").await, None);
    assert!(
        !db.store.try_token_lease("wx1", "b", ttl).await.unwrap(),
        "saving keeps the lease"
    );
}
store_test!(tokens_per_appid_and_the_refresh_lease);

async fn an_expired_lease_can_be_taken(db: TestDb) {
    assert!(db
        .store
        .try_token_lease("wx1", "a", Duration::ZERO)
        .await
        .unwrap());
    assert!(db
        .store
        .try_token_lease("wx1", "b", Duration::from_secs(60))
        .await
        .unwrap());
    assert!(!db
        .store
        .try_token_lease("wx1", "a", Duration::from_secs(60))
        .await
        .unwrap());
}
store_test!(an_expired_lease_can_be_taken);

async fn purge_deletes_events_before_the_cutoff_only(db: TestDb) {
    for i in 0..2500 {
        db.store
            .record(text("oA", &format!("old{i}"), i % 100))
            .await
            .unwrap();
    }
    db.store.record(text("oA", "new", 100)).await.unwrap();
    assert_eq!(db.store.purge_events(at(100)).await.unwrap(), 2500);
    assert_eq!(db.store.purge_events(at(100)).await.unwrap(), 0);
    let left = db
        .store
        .events(&EventQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].received_at, at(100));
    assert!(
        db.store
            .follower(Some(crate::store::DEFAULT_ACCOUNT), "oA")
            .await
            .unwrap()
            .pop()
            .is_some(),
        "followers stay"
    );
}
store_test!(purge_deletes_events_before_the_cutoff_only);
