//! Replay marks kept with their pushes: listed for the guard at start, and (PostgreSQL)
//! consulted by the instances sharing the database.
use super::fixtures::{at, push, text};
use super::TestDb;
use crate::store::{FollowerEffect, ReplayMark};

fn mark(query: u8, body: u8, secs: i64) -> ReplayMark {
    ReplayMark {
        seen_at: at(secs),
        query: [query; 32],
        body: [body; 32],
    }
}

async fn marks_are_kept_with_pushes_and_forgets(db: TestDb) {
    let mut first = text("oA", "k1", 0);
    first.replay = Some(mark(1, 10, 0));
    db.store.record(first).await.unwrap();
    let mut unsubscribe = push("oB", "u1", 1, FollowerEffect::Forget);
    unsubscribe.replay = Some(mark(2, 20, 1));
    db.store.record(unsubscribe).await.unwrap();

    let marks = db
        .store
        .replay_marks(crate::store::DEFAULT_ACCOUNT, at(0))
        .await
        .unwrap();
    assert_eq!(marks, [mark(1, 10, 0), mark(2, 20, 1)]);
    assert_eq!(
        db.store
            .replay_marks(crate::store::DEFAULT_ACCOUNT, at(1))
            .await
            .unwrap(),
        [mark(2, 20, 1)]
    );
}
store_test!(marks_are_kept_with_pushes_and_forgets);

async fn another_instance_sees_a_replay_on_postgres_only(db: TestDb) {
    let mut write = text("oA", "k1", 0);
    let mut now = mark(3, 30, 0);
    now.seen_at = chrono::Utc::now();
    write.replay = Some(now);
    db.store.record(write).await.unwrap();
    let other_body = ReplayMark {
        body: [31; 32],
        ..now
    };
    let shared = db.url.starts_with("postgres");
    assert_eq!(
        db.store
            .replayed_elsewhere(crate::store::DEFAULT_ACCOUNT, &other_body)
            .await
            .unwrap(),
        shared
    );
    assert!(
        !db.store
            .replayed_elsewhere(crate::store::DEFAULT_ACCOUNT, &now)
            .await
            .unwrap(),
        "same body: a retry"
    );
}
store_test!(another_instance_sees_a_replay_on_postgres_only);
