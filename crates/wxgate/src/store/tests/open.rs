//! `open()`: the in-memory SQLite store and refused urls.
use super::fixtures::text;
use crate::store::{Recorded, StoreError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_is_one_database_for_writer_and_readers() {
    let store = crate::store::open("sqlite::memory:").await.unwrap();
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

#[tokio::test]
async fn unsupported_urls_are_refused_without_echoing_them() {
    let Err(StoreError::Url(message)) = crate::store::open("mysql://u:secret@h/db").await else {
        panic!("mysql accepted");
    };
    assert!(message.contains("\"mysql\""), "{message}");
    assert!(!message.contains("secret"), "{message}");
}
