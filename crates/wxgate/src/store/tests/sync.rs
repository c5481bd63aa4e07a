//! `followers sync` in the store: synced followers (new ones counted under their scene), push
//! followers enriched but keeping what pushes told, the cursor, who was not seen.
use super::fixtures::{at, push, text};
use super::TestDb;
use crate::store::{FollowerEffect, SyncCursor, SyncedFollower};

fn synced(openid: &str, scene: Option<&str>, secs: i64) -> SyncedFollower {
    SyncedFollower {
        openid: openid.into(),
        subscribed_at: Some(at(secs)),
        scene: scene.map(str::to_string),
        subscribe_scene: Some(
            if scene.is_some() {
                "ADD_SCENE_QR_CODE"
            } else {
                "ADD_SCENE_SEARCH"
            }
            .into(),
        ),
        unionid: Some(format!("u_{openid}")),
        language: Some("zh_CN".into()),
        remark: Some("vip".into()),
        tags: vec![2, 128],
    }
}

fn cursor(secs: i64, next: Option<&str>, synced: i64) -> SyncCursor {
    SyncCursor {
        started_at: at(secs),
        next_openid: next.map(str::to_string),
        synced,
    }
}

async fn synced_followers_are_stored_and_counted_once(db: TestDb) {
    db.store
        .record(push(
            "oPush",
            "s1",
            10,
            FollowerEffect::Subscribe {
                scene: Some("7".into()),
            },
        ))
        .await
        .unwrap();
    assert_eq!(db.store.sync_cursor("default").await.unwrap(), None);
    let page = vec![
        synced("oA", Some("7"), 0),
        synced("oB", None, 0),
        synced("oPush", Some("99"), 0),
    ];
    let new = db
        .store
        .save_synced("default", &page, &cursor(100, Some("oPush"), 3))
        .await
        .unwrap();
    assert_eq!(new, 2, "oPush was known");
    assert_eq!(
        db.store.sync_cursor("default").await.unwrap(),
        Some(cursor(100, Some("oPush"), 3))
    );

    let a = db.store.follower(None, "oA").await.unwrap().remove(0);
    assert!(a.subscribed);
    assert_eq!(a.subscribed_at, Some(at(0)));
    assert_eq!(a.scene.as_deref(), Some("7"));
    assert_eq!(a.source, "sync");
    assert_eq!(a.unionid.as_deref(), Some("u_oA"));
    assert_eq!(a.subscribe_scene.as_deref(), Some("ADD_SCENE_QR_CODE"));
    assert_eq!(
        (a.language.as_deref(), a.remark.as_deref()),
        (Some("zh_CN"), Some("vip"))
    );
    assert_eq!(a.tags, vec![2, 128]);
    let known = db.store.follower(None, "oPush").await.unwrap().remove(0);
    assert_eq!(known.source, "push", "a push follower stays one");
    assert_eq!(
        known.scene.as_deref(),
        Some("7"),
        "the push's scene is kept"
    );
    assert_eq!(known.subscribed_at, Some(at(10)));
    assert_eq!(known.unionid.as_deref(), Some("u_oPush"), "but enriched");

    // Saving the same page again (a resumed sync) counts nothing twice.
    assert_eq!(
        db.store
            .save_synced("default", &page, &cursor(100, None, 3))
            .await
            .unwrap(),
        0
    );
    let stats = db.store.stats(None).await.unwrap();
    let seven = stats.scenes.iter().find(|s| s.scene == "7").unwrap();
    assert_eq!(seven.subscribes, 2, "the push and the synced follower");
    assert!(
        stats.scenes.iter().all(|s| s.scene != "99"),
        "oPush not counted again"
    );
    assert_eq!((stats.subscribed, stats.total), (3, 3));
    db.store.finish_sync("default").await.unwrap();
    assert_eq!(db.store.sync_cursor("default").await.unwrap(), None);
}
store_test!(synced_followers_are_stored_and_counted_once);

async fn followers_seen_neither_by_the_sync_nor_since_are_listed(db: TestDb) {
    db.store
        .save_synced("default", &[synced("oOld", None, 0)], &cursor(50, None, 1))
        .await
        .unwrap();
    db.store.record(text("oQuiet", "t1", 60)).await.unwrap();
    db.store.record(text("oLate", "t2", 150)).await.unwrap();
    db.store
        .save_synced(
            "default",
            &[synced("oStays", None, 0)],
            &cursor(100, None, 1),
        )
        .await
        .unwrap();
    let gone = db
        .store
        .unsynced_followers("default", at(100))
        .await
        .unwrap();
    assert_eq!(gone, vec!["oOld".to_string(), "oQuiet".to_string()]);
}
store_test!(followers_seen_neither_by_the_sync_nor_since_are_listed);

/// (subscribes, unsubscribes) of `scene` in `stats`.
fn scene_counts(stats: &crate::store::Stats, scene: &str) -> (i64, i64) {
    stats
        .scenes
        .iter()
        .find(|s| s.scene == scene)
        .map_or((0, 0), |s| (s.subscribes, s.unsubscribes))
}

async fn a_departed_follower_counts_one_unsubscribe_an_admin_forget_none(db: TestDb) {
    // oA and oC synced through scene "7"; oB followed through "poster" by push (on SQLite
    // possibly still in the backlog); the same openid oA follows account "shop" too.
    db.store
        .save_synced(
            "default",
            &[synced("oA", Some("7"), 0), synced("oC", Some("7"), 0)],
            &cursor(100, None, 2),
        )
        .await
        .unwrap();
    db.store
        .save_synced("shop", &[synced("oA", Some("7"), 0)], &cursor(100, None, 1))
        .await
        .unwrap();
    db.store
        .record(push(
            "oB",
            "b1",
            10,
            FollowerEffect::Subscribe {
                scene: Some("poster".into()),
            },
        ))
        .await
        .unwrap();

    // a sync on day 3 finds oA and oB gone
    let found = at(3 * 86_400 + 3_600);
    db.store
        .forget_departed("default", "oA", found)
        .await
        .unwrap();
    db.store
        .forget_departed("default", "oB", found)
        .await
        .unwrap();
    // again (a rerun sync), one never known, and an admin forget: none of them counts
    db.store
        .forget_departed("default", "oA", found)
        .await
        .unwrap();
    db.store
        .forget_departed("default", "never-seen", found)
        .await
        .unwrap();
    db.store.forget("default", "oC").await.unwrap();

    let stats = db.store.stats(Some("default")).await.unwrap();
    assert_eq!(scene_counts(&stats, "7"), (2, 1), "oA's unsubscribe, once");
    assert_eq!(scene_counts(&stats, "poster"), (1, 1), "oB's");
    assert_eq!((stats.subscribed, stats.total), (0, 0), "all forgotten");
    let shop = db.store.stats(Some("shop")).await.unwrap();
    assert_eq!(
        scene_counts(&shop, "7"),
        (1, 0),
        "the other account's oA stays"
    );
    assert_eq!(shop.total, 1);

    let day = |rows: Vec<crate::store::DayStats>| {
        let d = &rows[0];
        (d.day.to_string(), d.subscribes, d.unsubscribes, d.events)
    };
    assert_eq!(
        day(db
            .store
            .daily(Some("default"), found, 1, None)
            .await
            .unwrap()),
        ("2024-05-04".into(), 0, 2, 0),
        "two unsubscribes on the day the sync found them, no event received"
    );
    assert_eq!(
        day(db
            .store
            .daily(Some("default"), found, 1, Some("7"))
            .await
            .unwrap()),
        ("2024-05-04".into(), 0, 1, 0)
    );
    assert_eq!(
        day(db.store.daily(Some("shop"), found, 1, None).await.unwrap()),
        ("2024-05-04".into(), 0, 0, 0)
    );
}
store_test!(a_departed_follower_counts_one_unsubscribe_an_admin_forget_none);
