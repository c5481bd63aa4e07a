//! Resends of an unsubscribe (contract §3): the unsubscribe itself is forgotten, so its
//! resends are recognised by a tombstone holding only SHA-256 of its dedupe key, kept for
//! `REPLAY_WINDOW` — across restarts and, on PostgreSQL, across instances.
use chrono::{DateTime, Duration, Utc};

use super::fixtures::push;
use super::TestDb;
use crate::store::{
    FollowerEffect, NewDelivery, PushWrite, Recorded, StoredReply, DEFAULT_ACCOUNT,
};

const OPENID: &str = "oTOMBSTONE_openid_4d2e";

/// A push of `openid` with key `key` received at `when`, notifying webhook "crm".
fn at_time(openid: &str, key: &str, when: DateTime<Utc>, effect: FollowerEffect) -> PushWrite {
    let mut write = push(openid, key, 0, effect);
    write.received_at = when;
    write.create_time = when.timestamp();
    write.deliveries = vec![NewDelivery {
        webhook: "crm".into(),
        payload: format!("{{\"openid\":\"{openid}\",\"key\":\"{key}\"}}"),
        event_id: key.into(),
    }];
    write
}

fn subscribe(when: DateTime<Utc>) -> PushWrite {
    let scene = Some("poster".to_string());
    at_time(OPENID, "sub", when, FollowerEffect::Subscribe { scene })
}

fn unsubscribe(openid: &str, key: &str, when: DateTime<Utc>) -> PushWrite {
    at_time(openid, key, when, FollowerEffect::Forget)
}

/// The tombstones as stored: (account, digest, forgotten_at) of every row, in digest order.
async fn tombstones(url: &str) -> Vec<(String, Vec<u8>, i64)> {
    const SELECT: &str = "SELECT account, digest, forgotten_at FROM forgotten_keys ORDER BY digest";
    if let Some(path) = url.strip_prefix("sqlite://") {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut stmt = conn.prepare(SELECT).unwrap();
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap();
        rows.map(Result::unwrap).collect()
    } else {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_as(SELECT).fetch_all(&mut conn).await.unwrap()
    }
}

/// Today's (unsubscribes, events) and the scene's unsubscribes, and pending deliveries.
async fn counted(store: &dyn crate::store::Store, today: DateTime<Utc>) -> (i64, i64, i64, i64) {
    let day = store
        .daily(Some(DEFAULT_ACCOUNT), today, 1, None)
        .await
        .unwrap()
        .pop()
        .unwrap();
    let stats = store.stats(None).await.unwrap();
    let scene = stats.scenes.iter().find(|s| s.scene == "poster").unwrap();
    let pending = store.pending_jobs().await.unwrap();
    (day.unsubscribes, day.events, scene.unsubscribes, pending)
}

const RESEND: Recorded = Recorded::Duplicate {
    reply: StoredReply::Success,
};

async fn an_unsubscribe_resent_is_processed_once_also_after_a_restart(db: TestDb) {
    let now = Utc::now();
    db.store.record(subscribe(now)).await.unwrap();
    let first = db.store.record(unsubscribe(OPENID, "u1", now)).await;
    assert_eq!(first.unwrap(), Recorded::Forgotten);
    let resent = unsubscribe(OPENID, "u1", now + Duration::seconds(5));
    assert_eq!(db.store.record(resent).await.unwrap(), RESEND);
    assert_eq!(
        db.store.stored_reply(DEFAULT_ACCOUNT, "u1").await.unwrap(),
        Some(StoredReply::Success)
    );
    // one unsubscribe, two events (subscribe + unsubscribe), the scene's unsubscribe once;
    // deliveries of the subscribe and of the first unsubscribe only
    assert_eq!(counted(db.store.as_ref(), now).await, (1, 2, 1, 2));

    // The tombstone: the account and SHA-256 of the key, nothing else of the user.
    let stored = tombstones(&db.url).await;
    assert_eq!(stored.len(), 1);
    let (account, digest, forgotten_at) = &stored[0];
    assert_eq!(account, DEFAULT_ACCOUNT);
    assert_eq!(digest[..], crate::store::forgotten_digest("u1"));
    assert_eq!(*forgotten_at, now.timestamp_millis());
    assert!(!digest
        .windows(OPENID.len())
        .any(|window| window == OPENID.as_bytes()));

    // After a restart the resend is still recognised.
    db.store.close().await;
    let reopened = crate::store::open(&db.url.parse().expect("a storage url"))
        .await
        .unwrap();
    let resent = unsubscribe(OPENID, "u1", now + Duration::seconds(10));
    assert_eq!(reopened.record(resent).await.unwrap(), RESEND);
    assert_eq!(
        reopened.stored_reply(DEFAULT_ACCOUNT, "u1").await.unwrap(),
        Some(StoredReply::Success)
    );
    assert_eq!(counted(reopened.as_ref(), now).await, (1, 2, 1, 2));
    // another account's push with the same key is not a resend of it
    let mut other = unsubscribe(OPENID, "u1", now);
    other.account = "other".into();
    assert_eq!(reopened.record(other).await.unwrap(), Recorded::Forgotten);
    reopened.close().await;
}
store_test!(an_unsubscribe_resent_is_processed_once_also_after_a_restart);

async fn copies_of_an_unsubscribe_queued_together_are_processed_once(db: TestDb) {
    let now = Utc::now();
    db.store.record(subscribe(now)).await.unwrap();
    // join_all polls in order: the copies are queued together (mostly in one batch).
    let copies = (0..4).map(|i| {
        let write = unsubscribe(OPENID, "u1", now + Duration::milliseconds(i));
        db.store.record(write)
    });
    let outcomes: Vec<Recorded> = futures::future::join_all(copies)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(outcomes, [Recorded::Forgotten, RESEND, RESEND, RESEND]);
    assert_eq!(counted(db.store.as_ref(), now).await, (1, 2, 1, 2));
}
store_test!(copies_of_an_unsubscribe_queued_together_are_processed_once);

async fn another_instance_recognises_the_resend_on_postgres(db: TestDb) {
    if !db.url.starts_with("postgres") {
        return; // one SQLite file has one writing process
    }
    let now = Utc::now();
    db.store.record(subscribe(now)).await.unwrap();
    let other = crate::store::open(&db.url.parse().expect("a storage url"))
        .await
        .unwrap();
    let first = db.store.record(unsubscribe(OPENID, "u1", now)).await;
    assert_eq!(first.unwrap(), Recorded::Forgotten);
    let resent = unsubscribe(OPENID, "u1", now + Duration::seconds(5));
    assert_eq!(other.record(resent).await.unwrap(), RESEND);
    assert_eq!(counted(other.as_ref(), now).await, (1, 2, 1, 2));
    other.close().await;
}
store_test!(another_instance_recognises_the_resend_on_postgres);

async fn tombstones_are_pruned_after_the_window(db: TestDb) {
    let now = Utc::now();
    let window = Duration::from_std(crate::store::REPLAY_WINDOW).unwrap();
    let long_ago = now - window - Duration::seconds(60);
    let old = unsubscribe("oOLD", "old", long_ago);
    assert_eq!(db.store.record(old).await.unwrap(), Recorded::Forgotten);
    assert_eq!(
        db.store.stored_reply(DEFAULT_ACCOUNT, "old").await.unwrap(),
        None,
        "beyond the window"
    );
    // The next unsubscribe prunes it on SQLite (the writer's transaction); on PostgreSQL an
    // expired tombstone stays until the minutely expiry (pruning in a batch would lock other
    // users' rows) and counts for nothing meanwhile.
    let new = unsubscribe("oNEW", "new", now);
    assert_eq!(db.store.record(new).await.unwrap(), Recorded::Forgotten);
    let live = |rows: Vec<(String, Vec<u8>, i64)>| -> Vec<Vec<u8>> {
        let cutoff = crate::store::forgotten_cutoff();
        rows.into_iter()
            .filter(|(_, _, at)| *at >= cutoff)
            .map(|(_, digest, _)| digest)
            .collect()
    };
    let rows = tombstones(&db.url).await;
    if db.url.starts_with("sqlite://") {
        assert_eq!(rows.len(), 1, "pruned by the next unsubscribe");
    }
    assert_eq!(live(rows), [crate::store::forgotten_digest("new").to_vec()]);
    // a push that late is no resend WeChat makes: it runs again, and is a resend from now on
    let late = unsubscribe("oOLD", "old", now);
    assert_eq!(db.store.record(late).await.unwrap(), Recorded::Forgotten);
    let mut expected = vec![
        crate::store::forgotten_digest("new").to_vec(),
        crate::store::forgotten_digest("old").to_vec(),
    ];
    expected.sort();
    assert_eq!(live(tombstones(&db.url).await), expected);
    let again = unsubscribe("oOLD", "old", now);
    assert!(matches!(
        db.store.record(again).await.unwrap(),
        Recorded::Duplicate { .. }
    ));
}
store_test!(tombstones_are_pruned_after_the_window);
