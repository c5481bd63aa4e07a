//! Forgetting a user: API-level effects (the file-level check is in `scrub.rs`).
use super::fixtures::{push, text};
use super::TestDb;
use crate::store::{EventQuery, FollowerEffect, Recorded};

/// Subscribes oA via scene "s" with a few events, and oB with one.
async fn two_followers(db: &TestDb) {
    let subscribe = FollowerEffect::Subscribe {
        scene: Some("s".into()),
    };
    db.store
        .record(push("oA", "a1", 0, subscribe.clone()))
        .await
        .unwrap();
    db.store
        .record(push(
            "oA",
            "a2",
            1,
            FollowerEffect::Scan { scene: "s".into() },
        ))
        .await
        .unwrap();
    db.store.record(text("oA", "a3", 2)).await.unwrap();
    db.store
        .record(push("oB", "b1", 3, subscribe))
        .await
        .unwrap();
}

async fn unsubscribe_forgets_everything_but_the_counters(db: TestDb) {
    two_followers(&db).await;
    let unsubscribe = push("oA", "a4", 4, FollowerEffect::Forget);
    assert_eq!(
        db.store.record(unsubscribe).await.unwrap(),
        Recorded::Forgotten
    );
    assert_eq!(
        db.store
            .follower(Some(crate::store::DEFAULT_ACCOUNT), "oA")
            .await
            .unwrap()
            .pop(),
        None
    );
    let query = EventQuery {
        openid: Some("oA".into()),
        limit: 50,
        ..Default::default()
    };
    assert!(db.store.events(&query).await.unwrap().is_empty());
    for key in ["a1", "a2", "a3", "a4"] {
        assert_eq!(
            db.store
                .stored_reply(crate::store::DEFAULT_ACCOUNT, key)
                .await
                .unwrap(),
            None,
            "{key}"
        );
    }
    let stats = db.store.stats(None).await.unwrap();
    assert_eq!((stats.subscribed, stats.total, stats.events), (1, 1, 1));
    let scene = &stats.scenes[0];
    assert_eq!((scene.subscribes, scene.scans), (2, 1), "counters stay");
    assert!(db
        .store
        .follower(Some(crate::store::DEFAULT_ACCOUNT), "oB")
        .await
        .unwrap()
        .pop()
        .is_some());
}
store_test!(unsubscribe_forgets_everything_but_the_counters);

async fn admin_forget_is_idempotent_and_a_later_push_starts_afresh(db: TestDb) {
    two_followers(&db).await;
    db.store
        .forget(crate::store::DEFAULT_ACCOUNT, "oA")
        .await
        .unwrap();
    db.store
        .forget(crate::store::DEFAULT_ACCOUNT, "oA")
        .await
        .unwrap();
    db.store
        .forget(crate::store::DEFAULT_ACCOUNT, "never-seen")
        .await
        .unwrap();
    assert_eq!(
        db.store
            .follower(Some(crate::store::DEFAULT_ACCOUNT), "oA")
            .await
            .unwrap()
            .pop(),
        None
    );
    // the same dedupe key is free again: nothing of the first push is left
    assert!(matches!(
        db.store.record(text("oA", "a3", 9)).await.unwrap(),
        Recorded::Stored { .. }
    ));
    let follower = db
        .store
        .follower(Some(crate::store::DEFAULT_ACCOUNT), "oA")
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert_eq!((follower.subscribed_at, follower.scene), (None, None));
}
store_test!(admin_forget_is_idempotent_and_a_later_push_starts_afresh);
