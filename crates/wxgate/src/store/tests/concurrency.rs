//! Group commit under concurrency, failures inside a batch, and close().
use std::collections::HashSet;

use futures::future::join_all;

use super::fixtures::{refuse_inserts, text};
use super::TestDb;
use crate::store::{EventQuery, Recorded, StoreError};

async fn concurrent_records_are_all_committed_and_visible(db: TestDb) {
    let writes = (0..500).map(|i| {
        db.store
            .record(text(&format!("o{}", i % 50), &format!("k{i}"), i))
    });
    let ids: HashSet<i64> = join_all(writes)
        .await
        .into_iter()
        .map(|recorded| match recorded {
            Ok(Recorded::Stored { id }) => id,
            other => panic!("not stored: {other:?}"),
        })
        .collect();
    assert_eq!(ids.len(), 500, "distinct ids");
    let stats = db.store.stats(None).await.unwrap();
    assert_eq!((stats.events, stats.total), (500, 50));
    let events = db
        .store
        .events(&EventQuery {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 500);
}
store_test!(concurrent_records_are_all_committed_and_visible);

async fn resends_in_one_batch_are_answered_with_the_first_reply(db: TestDb) {
    let writes = (0..100).map(|i| {
        let mut write = text("oA", &format!("k{}", i % 10), i);
        write.reply = Some(format!("reply {i}"));
        db.store.record(write)
    });
    let outcomes = join_all(writes).await;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        let expected = if i < 10 {
            assert!(
                matches!(outcome, Ok(Recorded::Stored { .. })),
                "{i}: {outcome:?}"
            );
            continue;
        } else {
            Recorded::Duplicate {
                reply: crate::store::StoredReply::Xml(format!("reply {}", i % 10)),
            }
        };
        assert_eq!(outcome.unwrap(), expected);
    }
    assert_eq!(db.store.stats(None).await.unwrap().events, 10);
}
store_test!(resends_in_one_batch_are_answered_with_the_first_reply);

async fn a_failing_write_fails_alone_in_its_batch(db: TestDb) {
    refuse_inserts(&db.url, "events", "openid", "bad").await;
    let writes = (0..60).map(|i| {
        let openid = if i % 20 == 7 {
            "bad".to_string()
        } else {
            format!("o{i}")
        };
        db.store.record(text(&openid, &format!("k{i}"), i))
    });
    let outcomes = join_all(writes).await;
    for (i, outcome) in outcomes.iter().enumerate() {
        if i % 20 == 7 {
            assert!(
                matches!(
                    outcome,
                    Err(StoreError::Database(_) | StoreError::Sqlite(_))
                ),
                "{i}: {outcome:?}"
            );
        } else {
            assert!(
                matches!(outcome, Ok(Recorded::Stored { .. })),
                "{i}: {outcome:?}"
            );
        }
    }
    let stats = db.store.stats(None).await.unwrap();
    assert_eq!((stats.events, stats.total), (57, 57));
    assert_eq!(
        db.store
            .follower(Some(crate::store::DEFAULT_ACCOUNT), "bad")
            .await
            .unwrap()
            .pop(),
        None,
        "no effect of the failed write"
    );
}
store_test!(a_failing_write_fails_alone_in_its_batch);

async fn close_applies_every_queued_write(db: TestDb) {
    let writes = join_all((0..300).map(|i| db.store.record(text("oA", &format!("k{i}"), i))));
    let close = async {
        // join polls the writes first: all 300 are queued before close() is.
        tokio::task::yield_now().await;
        db.store.close().await;
    };
    let (outcomes, ()) = futures::join!(writes, close);
    assert!(outcomes
        .iter()
        .all(|o| matches!(o, Ok(Recorded::Stored { .. }))));
    assert!(matches!(
        db.store.record(text("oA", "late", 0)).await,
        Err(StoreError::Closed)
    ));
    let reopened = crate::store::open(&db.url.parse().expect("a storage url"))
        .await
        .unwrap();
    assert_eq!(reopened.stats(None).await.unwrap().events, 300);
    reopened.close().await;
}
store_test!(close_applies_every_queued_write);
