//! `open()`: the in-memory SQLite store (refused urls: `store/url.rs`).
use super::fixtures::text;
use crate::store::Recorded;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_is_one_database_for_writer_and_readers() {
    let store = crate::store::open(&crate::store::StorageUrl::SqliteMemory)
        .await
        .unwrap();
    let writes = (0..50).map(|i| store.record(text("oA", &format!("k{i}"), i)));
    for recorded in futures::future::join_all(writes).await {
        assert!(matches!(recorded, Ok(Recorded::Stored { .. })));
    }
    store
        .forget(crate::store::DEFAULT_ACCOUNT, "oB")
        .await
        .unwrap();
    assert_eq!(store.stats(None).await.unwrap().events, 50);
    assert!(store
        .follower(Some(crate::store::DEFAULT_ACCOUNT), "oA")
        .await
        .unwrap()
        .pop()
        .is_some());
    store.close().await;
}
