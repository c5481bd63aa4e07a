//! Anonymous day counters and per-scene unsubscribes (`GET /api/stats/daily`, contract §4).
use chrono::Duration;

use super::fixtures::{at, push, text};
use super::TestDb;
use crate::store::FollowerEffect;

fn subscribe(scene: &str) -> FollowerEffect {
    FollowerEffect::Subscribe {
        scene: Some(scene.into()),
    }
}

async fn unsubscribes_count_against_the_users_scene_and_days_are_complete(db: TestDb) {
    // day 0: oA and oB subscribe through "poster", oC without a scene; oA scans "poster"
    db.store
        .record(push("oA", "a1", 0, subscribe("poster")))
        .await
        .unwrap();
    db.store
        .record(push("oB", "b1", 1, subscribe("poster")))
        .await
        .unwrap();
    db.store
        .record(push(
            "oC",
            "c1",
            2,
            FollowerEffect::Subscribe { scene: None },
        ))
        .await
        .unwrap();
    db.store
        .record(push(
            "oA",
            "a2",
            3,
            FollowerEffect::Scan {
                scene: "poster".into(),
            },
        ))
        .await
        .unwrap();
    // oB's follower row is applied by this read; oA's subscribe may still be pending
    assert!(db
        .store
        .follower(Some(crate::store::DEFAULT_ACCOUNT), "oB")
        .await
        .unwrap()
        .pop()
        .is_some());
    // day 1: oA and oB unsubscribe, one text from oC; an admin forget of oC is no unsubscribe
    let day1 = 86_400;
    db.store
        .record(push("oA", "a3", day1, FollowerEffect::Forget))
        .await
        .unwrap();
    db.store
        .record(push("oB", "b2", day1 + 1, FollowerEffect::Forget))
        .await
        .unwrap();
    db.store.record(text("oC", "c2", day1 + 2)).await.unwrap();
    db.store
        .forget(crate::store::DEFAULT_ACCOUNT, "oC")
        .await
        .unwrap();

    let today = at(day1) + Duration::hours(1);
    let days = db.store.daily(None, today, 3, None).await.unwrap();
    let rows: Vec<(String, i64, i64, i64, i64)> = days
        .iter()
        .map(|d| {
            (
                d.day.to_string(),
                d.subscribes,
                d.unsubscribes,
                d.scans,
                d.events,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("2024-04-30".to_string(), 0, 0, 0, 0),
            ("2024-05-01".to_string(), 3, 0, 1, 4),
            ("2024-05-02".to_string(), 0, 2, 0, 3),
        ]
    );
    let poster = db
        .store
        .daily(None, today, 2, Some("poster"))
        .await
        .unwrap();
    let rows: Vec<(i64, i64, i64, i64)> = poster
        .iter()
        .map(|d| (d.subscribes, d.unsubscribes, d.scans, d.events))
        .collect();
    assert_eq!(
        rows,
        [(2, 0, 1, 4), (0, 2, 0, 3)],
        "events are the day's, all scenes"
    );

    let stats = db.store.stats(None).await.unwrap();
    let scene = &stats.scenes[0];
    assert_eq!(
        (
            scene.scene.as_str(),
            scene.subscribes,
            scene.scans,
            scene.unsubscribes
        ),
        ("poster", 2, 1, 2)
    );
}
store_test!(unsubscribes_count_against_the_users_scene_and_days_are_complete);
