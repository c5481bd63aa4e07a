//! Replay marks kept with their pushes, and on their own for resends: listed for the guard at
//! start, and (PostgreSQL) consulted by the instances sharing the database.
use super::fixtures::{at, push, text};
use super::TestDb;
use crate::store::{FollowerEffect, GuardMark, ReplayMark, DEFAULT_ACCOUNT};

fn mark(query: u8, body: u8, secs: i64) -> ReplayMark {
    ReplayMark {
        seen_at: at(secs),
        query: [query; 32],
        body: [body; 32],
    }
}

/// `mark` under the default account's guard.
fn guarded(mark: ReplayMark) -> Option<GuardMark> {
    Some(GuardMark {
        guard: DEFAULT_ACCOUNT.into(),
        mark,
    })
}

async fn marks_are_kept_with_pushes_and_forgets(db: TestDb) {
    let mut first = text("oA", "k1", 0);
    first.replay = guarded(mark(1, 10, 0));
    db.store.record(first).await.unwrap();
    let mut unsubscribe = push("oB", "u1", 1, FollowerEffect::Forget);
    unsubscribe.replay = guarded(mark(2, 20, 1));
    db.store.record(unsubscribe).await.unwrap();

    let marks = db.store.replay_marks(DEFAULT_ACCOUNT, at(0)).await.unwrap();
    assert_eq!(marks, [mark(1, 10, 0), mark(2, 20, 1)]);
    assert_eq!(
        db.store.replay_marks(DEFAULT_ACCOUNT, at(1)).await.unwrap(),
        [mark(2, 20, 1)]
    );
}
store_test!(marks_are_kept_with_pushes_and_forgets);

/// A mark seen `secs` after `start` (marks older than the window are pruned: these are recent).
fn recent(start: chrono::DateTime<chrono::Utc>, query: u8, body: u8, secs: i64) -> ReplayMark {
    ReplayMark {
        seen_at: start + chrono::Duration::seconds(secs),
        query: [query; 32],
        body: [body; 32],
    }
}

/// Issue 18 item 2: a resend that comes with a new signature triple keeps its own mark — as a
/// duplicate of a stored push, as a resend of a forgotten unsubscribe, and on its own
/// (`keep_mark`, a resend answered with its first's reply) — and the marks outlive a reopen.
async fn a_resends_mark_is_kept_too(db: TestDb) {
    // stored times have millisecond precision
    let start = chrono::DateTime::from_timestamp_millis(chrono::Utc::now().timestamp_millis())
        .expect("in range");
    let mark = |query, body, secs| recent(start, query, body, secs);
    let mut first = text("oA", "k1", 0);
    first.replay = guarded(mark(1, 10, 0));
    db.store.record(first).await.unwrap();
    let mut resend = text("oA", "k1", 0);
    resend.replay = guarded(mark(2, 10, 1));
    assert!(matches!(
        db.store.record(resend).await.unwrap(),
        crate::store::Recorded::Duplicate { .. }
    ));
    // (a tombstone is kept for the window after the push is received: now)
    let mut unsubscribe = push("oB", "u1", 2, FollowerEffect::Forget);
    unsubscribe.received_at = start;
    unsubscribe.replay = guarded(mark(3, 30, 2));
    db.store.record(unsubscribe).await.unwrap();
    let mut again = push("oB", "u1", 2, FollowerEffect::Forget);
    again.received_at = start;
    again.replay = guarded(mark(4, 30, 3));
    assert!(matches!(
        db.store.record(again).await.unwrap(),
        crate::store::Recorded::Duplicate { .. }
    ));
    let in_flight = guarded(mark(5, 10, 4)).unwrap();
    db.store.keep_mark(&in_flight).await.unwrap();
    db.store.keep_mark(&in_flight).await.unwrap();
    db.store.close().await;

    let store = crate::store::open(&db.url.parse().expect("a storage url"))
        .await
        .expect("reopen");
    let marks = store.replay_marks(DEFAULT_ACCOUNT, start).await.unwrap();
    assert_eq!(
        marks,
        [
            mark(1, 10, 0),
            mark(2, 10, 1),
            mark(3, 30, 2),
            mark(4, 30, 3),
            mark(5, 10, 4)
        ]
    );
    assert!(store.replay_marks("other", start).await.unwrap().is_empty());
    store.close().await;
}
store_test!(a_resends_mark_is_kept_too);

async fn another_instance_sees_a_replay_on_postgres_only(db: TestDb) {
    let mut write = text("oA", "k1", 0);
    let mut now = mark(3, 30, 0);
    now.seen_at = chrono::Utc::now();
    write.replay = guarded(now);
    db.store.record(write).await.unwrap();
    let other_body = ReplayMark {
        body: [31; 32],
        ..now
    };
    let shared = db.url.starts_with("postgres");
    assert_eq!(
        db.store
            .replayed_elsewhere(DEFAULT_ACCOUNT, &other_body)
            .await
            .unwrap(),
        shared
    );
    assert!(
        !db.store
            .replayed_elsewhere(DEFAULT_ACCOUNT, &now)
            .await
            .unwrap(),
        "same body: a retry"
    );
}
store_test!(another_instance_sees_a_replay_on_postgres_only);
