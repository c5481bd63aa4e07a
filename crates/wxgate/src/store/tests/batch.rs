//! Writes and forgets queued together: one batch keeps the per-openid order of today.
use futures::future::join_all;

use super::fixtures::{push, text};
use super::TestDb;
use crate::store::{EventQuery, FollowerEffect, Recorded};

async fn a_forget_inside_a_batch_splits_it_in_order(db: TestDb) {
    let subscribe = FollowerEffect::Subscribe {
        scene: Some("s".into()),
    };
    let writes = vec![
        push("oA", "k1", 0, subscribe),
        text("oB", "k2", 1),
        text("oA", "k1", 2),
        push("oA", "u1", 3, FollowerEffect::Forget),
        // after the forget the key is free again and oA starts afresh
        text("oA", "k1", 4),
        text("oA", "k3", 5),
    ];
    // join_all polls in order: all are queued (and mostly batched) in this order.
    let outcomes = join_all(writes.into_iter().map(|write| db.store.record(write))).await;
    let kinds: Vec<&str> = outcomes
        .iter()
        .map(|outcome| match outcome {
            Ok(Recorded::Stored { .. }) => "stored",
            Ok(Recorded::Duplicate { .. }) => "duplicate",
            Ok(Recorded::Forgotten) => "forgotten",
            Err(_) => "error",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "stored",
            "stored",
            "duplicate",
            "forgotten",
            "stored",
            "stored"
        ]
    );
    let a = db
        .store
        .follower(Some(crate::store::DEFAULT_ACCOUNT), "oA")
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!((a.subscribed_at, a.scene), (None, None));
    let query = EventQuery {
        openid: Some("oA".into()),
        limit: 10,
        ..Default::default()
    };
    let times: Vec<i64> = db
        .store
        .events(&query)
        .await
        .unwrap()
        .iter()
        .map(|event| event.received_at.timestamp() % 100)
        .collect();
    assert_eq!(times, [5, 4], "newest first, the forgotten ones gone");
    let stats = db.store.stats(None).await.unwrap();
    assert_eq!((stats.events, stats.total), (3, 2));
    assert_eq!(stats.scenes[0].subscribes, 1, "counters stay");
}
store_test!(a_forget_inside_a_batch_splits_it_in_order);

async fn effects_of_one_openid_in_a_batch_apply_in_order(db: TestDb) {
    let location = FollowerEffect::Location {
        latitude: 1.5,
        longitude: 2.5,
        precision: 3.0,
    };
    let writes = vec![
        push("oA", "l1", 0, location),
        push(
            "oA",
            "s1",
            1,
            FollowerEffect::Subscribe {
                scene: Some("a".into()),
            },
        ),
        push("oA", "x1", 2, FollowerEffect::Scan { scene: "b".into() }),
        push("oA", "x2", 3, FollowerEffect::Scan { scene: "b".into() }),
        text("oA", "t1", 4),
    ];
    let outcomes = join_all(writes.into_iter().map(|write| db.store.record(write))).await;
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Ok(Recorded::Stored { .. }))));
    let a = db
        .store
        .follower(Some(crate::store::DEFAULT_ACCOUNT), "oA")
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!(a.scene.as_deref(), Some("a"));
    assert_eq!(a.subscribed_at, Some(super::fixtures::at(1)));
    assert_eq!(a.last_seen_at, Some(super::fixtures::at(4)));
    assert_eq!(
        a.location.map(|l| (l.latitude, l.reported_at)),
        Some((1.5, super::fixtures::at(0)))
    );
    let totals: Vec<_> = db
        .store
        .stats(None)
        .await
        .unwrap()
        .scenes
        .iter()
        .map(|s| (s.scene.clone(), s.subscribes, s.scans))
        .collect();
    assert_eq!(totals, [("a".to_string(), 1, 0), ("b".to_string(), 0, 2)]);
}
store_test!(effects_of_one_openid_in_a_batch_apply_in_order);
