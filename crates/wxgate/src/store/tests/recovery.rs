//! Crash recovery (SQLite): pushes appended to the log but whose follower effects and
//! per-openid index were never applied (the process died before its catch-up) are applied
//! from the log when the store opens; resends of them are still recognised.
use super::fixtures::{at, push, text};
use crate::store::{EventQuery, FollowerEffect, Recorded};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_beyond_the_last_applied_batch_is_applied_at_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wxgate.db");
    let url = format!("sqlite://{}", path.display());
    let store = crate::store::open(&url.parse().expect("a storage url"))
        .await
        .unwrap();
    let subscribe = FollowerEffect::Subscribe {
        scene: Some("poster".into()),
    };
    store.record(push("oA", "k1", 0, subscribe)).await.unwrap();
    let location = FollowerEffect::Location {
        latitude: 1.5,
        longitude: 2.5,
        precision: 3.0,
    };
    store.record(push("oA", "k2", 1, location)).await.unwrap();
    store.record(text("oB", "k3", 2)).await.unwrap();
    store.close().await;

    // As if the process had died before applying them.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "UPDATE applied SET event_id = 0; DELETE FROM followers; DELETE FROM openid_events;",
    )
    .unwrap();
    drop(conn);

    let store = crate::store::open(&url.parse().expect("a storage url"))
        .await
        .unwrap();
    let a = store
        .follower(Some(crate::store::DEFAULT_ACCOUNT), "oA")
        .await
        .unwrap()
        .pop()
        .expect("oA applied from the log");
    assert_eq!(a.scene.as_deref(), Some("poster"));
    assert_eq!(a.subscribed_at, Some(at(0)));
    assert_eq!(a.location.map(|l| l.latitude), Some(1.5));
    assert!(store
        .follower(Some(crate::store::DEFAULT_ACCOUNT), "oB")
        .await
        .unwrap()
        .pop()
        .is_some());
    let of_a = store
        .events(&EventQuery {
            openid: Some("oA".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(of_a.len(), 2);
    assert!(matches!(
        store.record(text("oB", "k3", 2)).await.unwrap(),
        Recorded::Duplicate { .. }
    ));
    let stats = store.stats(None).await.unwrap();
    assert_eq!((stats.total, stats.events), (2, 3));
    store.close().await;
}
