//! The web pages' port: one-time states and tickets taken once, expired ones refused and
//! swept, two stores on one database racing for one state, the jsapi_ticket and its lease.
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{plain, TestDb};
use crate::store::web::{digest, PendingSignIn, SignInResult};
use crate::store::StoredToken;

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap()
}

fn pending(expires_at: DateTime<Utc>) -> PendingSignIn {
    PendingSignIn {
        account: "default".into(),
        redirect: "https://shop.example.com/after?x=1".into(),
        scope: "userinfo".into(),
        expires_at,
    }
}

fn result(expires_at: DateTime<Utc>) -> SignInResult {
    SignInResult {
        account: "default".into(),
        appid: "wx1".into(),
        openid: "oWeb".into(),
        unionid: Some("uWeb".into()),
        scope: "userinfo".into(),
        is_snapshotuser: true,
        userinfo: Some(r#"{"nickname":"n"}"#.into()),
        expires_at,
    }
}

async fn a_state_is_taken_once(db: TestDb) {
    let now = at(1_800_000_000_000);
    let key = digest("state-1");
    let later = now + chrono::Duration::minutes(10);
    db.store.save_sign_in(&key, &pending(later)).await.unwrap();
    assert_eq!(
        db.store.take_sign_in(&key, now).await.unwrap(),
        Some(pending(later))
    );
    assert_eq!(db.store.take_sign_in(&key, now).await.unwrap(), None);
    assert_eq!(
        db.store.take_sign_in(&digest("forged"), now).await.unwrap(),
        None
    );
}
store_test!(a_state_is_taken_once);

async fn an_expired_state_is_refused_and_gone(db: TestDb) {
    let now = at(1_800_000_000_000);
    let key = digest("state-2");
    db.store.save_sign_in(&key, &pending(now)).await.unwrap();
    assert_eq!(db.store.take_sign_in(&key, now).await.unwrap(), None);
    // deleted by the refused take too: not there even for an earlier clock
    assert_eq!(
        db.store
            .take_sign_in(&key, now - chrono::Duration::minutes(1))
            .await
            .unwrap(),
        None
    );
}
store_test!(an_expired_state_is_refused_and_gone);

async fn a_ticket_is_redeemed_once_and_not_late(db: TestDb) {
    let now = at(1_800_000_000_000);
    let later = now + chrono::Duration::seconds(60);
    let key = digest("ticket-1");
    db.store
        .save_sign_in_result(&key, &result(later))
        .await
        .unwrap();
    assert_eq!(
        db.store.take_sign_in_result(&key, now).await.unwrap(),
        Some(result(later))
    );
    assert_eq!(db.store.take_sign_in_result(&key, now).await.unwrap(), None);
    let late = digest("ticket-2");
    db.store
        .save_sign_in_result(&late, &result(later))
        .await
        .unwrap();
    assert_eq!(
        db.store.take_sign_in_result(&late, later).await.unwrap(),
        None
    );
}
store_test!(a_ticket_is_redeemed_once_and_not_late);

async fn expired_states_and_tickets_are_swept(db: TestDb) {
    let now = at(1_800_000_000_000);
    let soon = now + chrono::Duration::seconds(60);
    db.store
        .save_sign_in(&digest("old"), &pending(now))
        .await
        .unwrap();
    db.store
        .save_sign_in(&digest("new"), &pending(soon))
        .await
        .unwrap();
    db.store
        .save_sign_in_result(&digest("old-t"), &result(now))
        .await
        .unwrap();
    db.store
        .save_sign_in_result(&digest("new-t"), &result(soon))
        .await
        .unwrap();
    assert_eq!(db.store.sweep_sign_ins(now).await.unwrap(), 2);
    assert_eq!(db.store.sweep_sign_ins(now).await.unwrap(), 0);
    let before = now - chrono::Duration::seconds(1);
    assert_eq!(
        db.store.take_sign_in(&digest("old"), before).await.unwrap(),
        None
    );
    assert!(db
        .store
        .take_sign_in(&digest("new"), now)
        .await
        .unwrap()
        .is_some());
    assert!(db
        .store
        .take_sign_in_result(&digest("new-t"), now)
        .await
        .unwrap()
        .is_some());
}
store_test!(expired_states_and_tickets_are_swept);

async fn two_stores_racing_for_one_state_get_it_once(db: TestDb) {
    let other = crate::store::open(&db.url.parse().expect("a storage url"))
        .await
        .unwrap();
    let now = Utc::now();
    for round in 0..20 {
        let key = digest(&format!("race-{round}"));
        db.store
            .save_sign_in(&key, &pending(now + chrono::Duration::minutes(10)))
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            db.store.take_sign_in(&key, now),
            other.take_sign_in(&key, now)
        );
        let taken = [a.unwrap(), b.unwrap()].into_iter().flatten().count();
        assert_eq!(taken, 1, "round {round}");
    }
    other.close().await;
}
store_test!(two_stores_racing_for_one_state_get_it_once);

async fn the_jsapi_ticket_is_kept_leased_and_compare_expired(db: TestDb) {
    let ticket = |value: &str| StoredToken {
        access_token: value.into(),
        expires_at: at(1_900_000_000_000),
    };
    assert!(db.store.load_jsapi_ticket("wx1").await.unwrap().is_none());
    let ttl = Duration::from_secs(30);
    assert!(db.store.try_jsapi_lease("wx1", "a", ttl).await.unwrap());
    assert!(!db.store.try_jsapi_lease("wx1", "b", ttl).await.unwrap());
    db.store
        .save_jsapi_ticket("wx1", &ticket("T1"))
        .await
        .unwrap();
    db.store.release_jsapi_lease("wx1", "a").await.unwrap();
    assert!(db.store.try_jsapi_lease("wx1", "b", ttl).await.unwrap());
    let loaded = db.store.load_jsapi_ticket("wx1").await.unwrap();
    assert_eq!(loaded.as_ref().map(plain), Some(plain(&ticket("T1"))));
    // the access token of the same appid is another row of another table
    assert!(db.store.load_token("wx1").await.unwrap().is_none());
    db.store.expire_jsapi_ticket("wx1", "T0").await.unwrap();
    let kept = db.store.load_jsapi_ticket("wx1").await.unwrap();
    assert_eq!(kept.map(|t| t.expires_at), Some(at(1_900_000_000_000)));
    db.store.expire_jsapi_ticket("wx1", "T1").await.unwrap();
    let expired = db.store.load_jsapi_ticket("wx1").await.unwrap();
    assert!(expired.is_some_and(|t| t.expires_at <= Utc::now()));
}
store_test!(the_jsapi_ticket_is_kept_leased_and_compare_expired);
