//! record(): dedupe and every follower effect.
use super::fixtures::{at, push, text};
use super::TestDb;
use crate::store::{FollowerEffect, Location, Recorded, StoredReply};

async fn first_push_is_stored_and_a_resend_gets_its_reply(db: TestDb) {
    let store = db.store;
    let first = text("oA", "m1", 0);
    let Recorded::Stored { id } = store.record(first.clone()).await.unwrap() else {
        panic!("first push not stored");
    };
    let mut resend = text("oA", "m1", 99);
    resend.reply = Some("<xml>other</xml>".into());
    resend.effect = FollowerEffect::Subscribe {
        scene: Some("7".into()),
    };
    let again = store.record(resend).await.unwrap();
    assert_eq!(
        again,
        Recorded::Duplicate {
            reply: first.reply.clone().into()
        }
    );
    // no effect of the resend: not re-subscribed, no counter, last_seen unchanged
    let follower = store.follower("oA").await.unwrap().unwrap();
    assert_eq!(follower.subscribed_at, None);
    assert_eq!(follower.scene, None);
    assert_eq!(follower.last_seen_at, Some(at(0)));
    let stats = store.stats().await.unwrap();
    assert_eq!(stats.events, 1);
    assert!(stats.scenes.is_empty());
    assert_eq!(
        store.stored_reply("m1").await.unwrap(),
        Some(StoredReply::from(first.reply))
    );
    assert_eq!(store.stored_reply("nope").await.unwrap(), None);
    let query = crate::store::EventQuery {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.events(&query).await.unwrap()[0].id, id);
}
store_test!(first_push_is_stored_and_a_resend_gets_its_reply);

async fn a_success_reply_is_stored_as_none(db: TestDb) {
    let mut write = text("oA", "m1", 0);
    write.reply = None;
    db.store.record(write.clone()).await.unwrap();
    assert_eq!(
        db.store.stored_reply("m1").await.unwrap(),
        Some(StoredReply::Success)
    );
    assert_eq!(
        db.store.record(write).await.unwrap(),
        Recorded::Duplicate {
            reply: StoredReply::Success
        }
    );
}
store_test!(a_success_reply_is_stored_as_none);

async fn touch_creates_a_subscribed_follower_without_subscribed_at(db: TestDb) {
    db.store.record(text("oA", "m1", 5)).await.unwrap();
    db.store.record(text("oA", "m2", 9)).await.unwrap();
    let follower = db.store.follower("oA").await.unwrap().unwrap();
    assert!(follower.subscribed);
    assert_eq!(follower.subscribed_at, None);
    assert_eq!(follower.scene, None);
    assert_eq!(follower.location, None);
    assert_eq!(follower.last_seen_at, Some(at(9)));
}
store_test!(touch_creates_a_subscribed_follower_without_subscribed_at);

async fn subscribe_sets_scene_and_counts_per_scene(db: TestDb) {
    let scene = |s: &str| FollowerEffect::Subscribe {
        scene: Some(s.into()),
    };
    db.store.record(text("oA", "m0", 0)).await.unwrap();
    db.store
        .record(push("oA", "s1", 10, scene("123")))
        .await
        .unwrap();
    db.store
        .record(push("oB", "s2", 20, scene("123")))
        .await
        .unwrap();
    db.store
        .record(push("oC", "s3", 86_400 + 5, scene("123")))
        .await
        .unwrap();
    db.store
        .record(push(
            "oD",
            "s4",
            30,
            FollowerEffect::Subscribe { scene: None },
        ))
        .await
        .unwrap();
    let a = db.store.follower("oA").await.unwrap().unwrap();
    assert!(a.subscribed);
    assert_eq!(a.subscribed_at, Some(at(10)));
    assert_eq!(a.scene.as_deref(), Some("123"));
    assert_eq!(a.last_seen_at, Some(at(10)));
    let d = db.store.follower("oD").await.unwrap().unwrap();
    assert_eq!((d.subscribed_at, d.scene), (Some(at(30)), None));
    let stats = db.store.stats().await.unwrap();
    assert_eq!(stats.scenes.len(), 1);
    assert_eq!((stats.scenes[0].subscribes, stats.scenes[0].scans), (3, 0));
}
store_test!(subscribe_sets_scene_and_counts_per_scene);

async fn scan_counts_and_touches_without_changing_scene(db: TestDb) {
    let subscribe = FollowerEffect::Subscribe {
        scene: Some("a".into()),
    };
    db.store
        .record(push("oA", "s1", 0, subscribe))
        .await
        .unwrap();
    db.store
        .record(push(
            "oA",
            "x1",
            50,
            FollowerEffect::Scan { scene: "b".into() },
        ))
        .await
        .unwrap();
    db.store
        .record(push(
            "oA",
            "x2",
            60,
            FollowerEffect::Scan { scene: "b".into() },
        ))
        .await
        .unwrap();
    db.store
        .record(push(
            "oZ",
            "x3",
            70,
            FollowerEffect::Scan { scene: "a".into() },
        ))
        .await
        .unwrap();
    let a = db.store.follower("oA").await.unwrap().unwrap();
    assert_eq!(a.scene.as_deref(), Some("a"));
    assert_eq!(a.subscribed_at, Some(at(0)));
    assert_eq!(a.last_seen_at, Some(at(60)));
    let z = db.store.follower("oZ").await.unwrap().unwrap();
    assert_eq!((z.subscribed, z.subscribed_at), (true, None));
    let scenes = db.store.stats().await.unwrap().scenes;
    let totals: Vec<_> = scenes
        .iter()
        .map(|s| (s.scene.as_str(), s.subscribes, s.scans))
        .collect();
    assert_eq!(totals, vec![("a", 1, 1), ("b", 0, 2)]);
}
store_test!(scan_counts_and_touches_without_changing_scene);

async fn location_sets_the_last_location(db: TestDb) {
    let location = |lat: f64| FollowerEffect::Location {
        latitude: lat,
        longitude: 113.5,
        precision: 30.25,
    };
    db.store
        .record(push("oA", "l1", 10, location(23.125)))
        .await
        .unwrap();
    db.store
        .record(push("oA", "l2", 20, location(24.5)))
        .await
        .unwrap();
    let a = db.store.follower("oA").await.unwrap().unwrap();
    let expected = Location {
        latitude: 24.5,
        longitude: 113.5,
        precision: 30.25,
        reported_at: at(20),
    };
    assert_eq!(a.location, Some(expected));
    assert_eq!(a.last_seen_at, Some(at(20)));
    // a later plain push keeps the location
    db.store.record(text("oA", "m1", 30)).await.unwrap();
    let a = db.store.follower("oA").await.unwrap().unwrap();
    assert_eq!(a.location.map(|l| l.reported_at), Some(at(20)));
}
store_test!(location_sets_the_last_location);
