//! The token methods the API client's holder needs: compare-and-expire and lease release.
use std::time::Duration;

use chrono::Utc;

use secrecy::ExposeSecret;

use super::{plain, TestDb};
use crate::store::StoredToken;

fn token_valid_for_an_hour(token: &str) -> StoredToken {
    StoredToken {
        access_token: token.into(),
        // stored times have millisecond precision (docs/storage.md)
        expires_at: chrono::DateTime::from_timestamp_millis(
            (Utc::now() + chrono::Duration::hours(1)).timestamp_millis(),
        )
        .expect("in range"),
    }
}

async fn expire_only_touches_the_token_that_failed(db: TestDb) {
    let current = token_valid_for_an_hour("T2");
    db.store.save_token("wx1", &current).await.unwrap();
    db.store.expire_token("wx1", "T1").await.unwrap();
    assert_eq!(
        db.token("wx1").await,
        Some(plain(&current)),
        "an older token failing keeps the newer one"
    );
    db.store.expire_token("wx2", "T2").await.unwrap();
    assert_eq!(
        db.token("wx1").await,
        Some(plain(&current)),
        "another appid's expire leaves this one alone"
    );
    db.store.expire_token("wx1", "T2").await.unwrap();
    let expired = db.store.load_token("wx1").await.unwrap().unwrap();
    assert_eq!(expired.access_token.expose_secret(), "T2");
    assert!(
        expired.expires_at <= Utc::now(),
        "the failed token is expired"
    );
    db.store.expire_token("wx3", "T9").await.unwrap();
    assert_eq!(db.token("wx3").await, None);
}
store_test!(expire_only_touches_the_token_that_failed);

async fn release_frees_the_lease_of_its_holder_only(db: TestDb) {
    let ttl = Duration::from_secs(60);
    assert!(db.store.try_token_lease("wx1", "a", ttl).await.unwrap());
    db.store.release_token_lease("wx1", "b").await.unwrap();
    assert!(
        !db.store.try_token_lease("wx1", "b", ttl).await.unwrap(),
        "b cannot release a's lease"
    );
    db.store.release_token_lease("wx1", "a").await.unwrap();
    assert!(
        db.store.try_token_lease("wx1", "b", ttl).await.unwrap(),
        "released by a, taken by b"
    );
    let token = token_valid_for_an_hour("T1");
    db.store.save_token("wx1", &token).await.unwrap();
    db.store.release_token_lease("wx1", "b").await.unwrap();
    assert_eq!(
        db.token("wx1").await,
        Some(plain(&token)),
        "releasing keeps the token"
    );
    db.store.release_token_lease("wx9", "a").await.unwrap();
}
store_test!(release_frees_the_lease_of_its_holder_only);
