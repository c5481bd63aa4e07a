//! A failed write never poisons the next (SQLite): a full disk, simulated with
//! `PRAGMA max_page_count` on the writer's connection, fails the writes that need space and
//! reports it through `health()`; once space is back, writes succeed at once — no restart —
//! and nothing that was acknowledged is lost.
use std::time::{Duration, Instant};

use super::fixtures::text;
use crate::store::sqlite::SqliteStore;
use crate::store::{EventQuery, Lifecycle, PushLog, Recorded};

/// A push large enough to need new pages.
fn big(openid: &str, key: &str, secs: i64) -> crate::store::PushWrite {
    let mut write = text(openid, key, secs);
    write.raw_xml = write.raw_xml.repeat(40);
    write
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_fails_writes_until_space_is_back_and_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("wxgate.db").display());
    let store = SqliteStore::open(Some(dir.path().join("wxgate.db").as_path()))
        .await
        .unwrap();
    let mut acknowledged = Vec::new();
    for i in 0..20 {
        let key = format!("before{i}");
        store.record(big("oA", &key, i)).await.unwrap();
        acknowledged.push(key);
    }
    assert_eq!(store.health(), Ok(()));

    // The disk is full: the file may not grow past its current size.
    store.on_writer("PRAGMA max_page_count = 1").await.unwrap();
    let mut failed = 0;
    for i in 0..100 {
        let key = format!("during{i}");
        match store.record(big(&format!("o{i}"), &key, 100 + i)).await {
            Ok(Recorded::Stored { .. }) => acknowledged.push(key),
            Ok(other) => panic!("{other:?}"),
            Err(error) => {
                // A write's own failure or its batch's: either way rusqlite's error is the
                // source, not a string of it.
                let source = std::error::Error::source(&error);
                assert!(
                    source.is_some_and(|s| s.is::<rusqlite::Error>()),
                    "{error:?}"
                );
                failed += 1;
            }
        }
    }
    assert!(failed > 0, "writes needing space must fail");
    let reason = store
        .health()
        .expect_err("health reports the failing writes");
    assert!(reason.contains("full"), "{reason}");

    // Space comes back: the next write succeeds without a restart, within a second.
    store
        .on_writer("PRAGMA max_page_count = 1073741823")
        .await
        .unwrap();
    let back = Instant::now();
    loop {
        let key = format!("after{}", acknowledged.len());
        if let Ok(Recorded::Stored { .. }) = store.record(big("oB", &key, 500)).await {
            acknowledged.push(key);
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(1), "no recovery");
    }
    assert_eq!(store.health(), Ok(()));
    store.close().await;

    // Everything acknowledged is there after reopening.
    let store = crate::store::open(&url.parse().expect("a storage url"))
        .await
        .unwrap();
    let events = store
        .events(&EventQuery {
            limit: 1000,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), acknowledged.len());
    let follower = store
        .follower(Some(crate::store::DEFAULT_ACCOUNT), "oB")
        .await
        .unwrap()
        .pop();
    assert!(follower.is_some(), "effects applied after the fault");
    store.close().await;
}

#[test]
fn a_failed_batch_keeps_the_backend_error_as_its_source() {
    use std::error::Error as _;
    let shared = crate::store::SharedError::new(std::io::Error::other("disk full"));
    let (one, two) = (
        crate::store::StoreError::Commit(shared.clone()),
        crate::store::StoreError::Commit(shared),
    );
    for error in [one, two] {
        assert_eq!(error.to_string(), "batch commit failed: disk full");
        assert!(
            error.source().is_some_and(|s| s.is::<std::io::Error>()),
            "the source is the backend error itself, not a wrapper: {error:?}"
        );
    }
}
