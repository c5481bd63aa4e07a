//! Upgrading a database from before several accounts (migration 0007): every row of every
//! table is kept and belongs to the account named `default` (the single `[account]`).
use std::time::Duration;

use super::fixtures::{at, text, webhook_job};
use crate::store::{EventQuery, Recorded, Store, DEFAULT_ACCOUNT};

/// Rows of every table as a wxgate before 0007 wrote them (both dialects).
const OLD_ROWS: &str = "
INSERT INTO followers (openid, subscribed, subscribed_at, scene, loc_latitude, loc_longitude,
                       loc_precision, loc_reported_at, last_seen_at)
    VALUES ('oOld', TRUE, 1714521600000, 'poster', 1.5, 2.5, 3.0, 1714521600000, 1714521600000);
INSERT INTO events (dedupe_key, openid, msg_type, event, event_key, create_time, received_at,
                    raw_xml, reply)
    VALUES ('kOld', 'oOld', 'event', 'subscribe', 'qrscene_poster', 1714521600, 1714521600000,
            '<xml><FromUserName><![CDATA[oOld]]></FromUserName></xml>', '<xml>old</xml>');
INSERT INTO scene_counters (scene, day, subscribes, scans, unsubscribes)
    VALUES ('poster', 19844, 1, 2, 0);
INSERT INTO day_counters (day, events, subscribes, unsubscribes, scans)
    VALUES (19844, 1, 1, 0, 2);
INSERT INTO qrcodes (scene, action_name, ticket, url, expire_seconds, expires_at, label,
                     created_at)
    VALUES ('poster', 'QR_LIMIT_STR_SCENE', 'tOld', 'http://weixin.qq.com/q/old', NULL, NULL,
            'old poster', 1714521600000);
INSERT INTO tokens (appid, access_token, expires_at) VALUES ('wxold', 'TOKEN', 4102444800000);
INSERT INTO outbox (webhook, openid, event_id, payload, created_at, next_at)
    VALUES ('crm', 'oOld', 'kOld', '{}', 1714521600000, 1714521600000);
";

/// What only SQLite has: the per-openid index, the applied mark, a replay mark.
const OLD_SQLITE_ROWS: &str = "
INSERT INTO openid_events (openid, event_id) SELECT openid, id FROM events;
UPDATE applied SET event_id = (SELECT MAX(id) FROM events);
INSERT INTO replay_guard (seen_at, query, body) VALUES (1714521600000,
    X'0707070707070707070707070707070707070707070707070707070707070707',
    X'0101010101010101010101010101010101010101010101010101010101010101');
";

/// A replay mark, in PostgreSQL's dialect.
const OLD_POSTGRES_ROWS: &str = "
INSERT INTO replay_guard (query, body, seen_at) VALUES (
    decode('0707070707070707070707070707070707070707070707070707070707070707', 'hex'),
    decode('0101010101010101010101010101010101010101010101010101010101010101', 'hex'),
    1714521600000);
";

/// Everything [`OLD_ROWS`] wrote, read through the store as the `default` account's.
async fn every_old_row_is_the_default_accounts(store: &dyn Store) {
    let followers = store.follower(None, "oOld").await.unwrap();
    assert_eq!(followers.len(), 1);
    let follower = &followers[0];
    assert_eq!(follower.account, DEFAULT_ACCOUNT);
    assert_eq!(follower.scene.as_deref(), Some("poster"));
    assert_eq!(follower.subscribed_at, Some(at(0)));
    assert!(follower.location.is_some());

    let query = EventQuery {
        account: Some(DEFAULT_ACCOUNT.into()),
        openid: Some("oOld".into()),
        limit: 10,
        ..Default::default()
    };
    let events = store.events(&query).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].reply.as_deref(), Some("<xml>old</xml>"));
    assert_eq!(
        store.stored_reply(DEFAULT_ACCOUNT, "kOld").await.unwrap(),
        Some(crate::store::StoredReply::Xml("<xml>old</xml>".into()))
    );

    let stats = store.stats(Some(DEFAULT_ACCOUNT)).await.unwrap();
    assert_eq!((stats.subscribed, stats.total, stats.events), (1, 1, 1));
    assert_eq!(stats.scenes.len(), 1);
    let scene = &stats.scenes[0];
    assert_eq!(
        (scene.scene.as_str(), scene.label.as_deref()),
        ("poster", Some("old poster"))
    );
    assert_eq!((scene.subscribes, scene.scans), (1, 2));
    let day = store
        .daily(Some(DEFAULT_ACCOUNT), at(0), 1, None)
        .await
        .unwrap();
    assert_eq!((day[0].subscribes, day[0].scans, day[0].events), (1, 2, 1));

    let code = store.qrcode(DEFAULT_ACCOUNT, "poster").await.unwrap();
    assert_eq!(code.map(|c| c.ticket), Some("tOld".to_string()));
    assert!(store.load_token("wxold").await.unwrap().is_some());
    let claimed = store
        .claim_jobs(at(10), Duration::from_secs(30), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (
            claimed[0].account.as_str(),
            webhook_job(&claimed[0]).event_id.as_str()
        ),
        (DEFAULT_ACCOUNT, "kOld")
    );
    let marks = store.replay_marks(DEFAULT_ACCOUNT, at(-1)).await.unwrap();
    assert_eq!(marks.len(), 1);

    // The old key is still a resend of the old push; the old follower still forgettable.
    let mut resend = text("oOld", "kOld", 5);
    resend.reply = None;
    assert_eq!(
        store.record(resend).await.unwrap(),
        Recorded::Duplicate {
            reply: crate::store::StoredReply::Xml("<xml>old</xml>".into())
        }
    );
    store.forget(DEFAULT_ACCOUNT, "oOld").await.unwrap();
    assert!(store.follower(None, "oOld").await.unwrap().is_empty());
    assert_eq!(store.stats(None).await.unwrap().events, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_database_from_before_accounts_keeps_every_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("wxgate.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        crate::store::sqlite::schema::migrate_before(&mut conn, 7).unwrap();
        conn.execute_batch(OLD_ROWS).unwrap();
        conn.execute_batch(OLD_SQLITE_ROWS).unwrap();
    }
    let store = crate::store::open(&crate::store::StorageUrl::Sqlite { path: path.clone() })
        .await
        .unwrap();
    every_old_row_is_the_default_accounts(store.as_ref()).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_database_from_before_accounts_keeps_every_row() {
    super::with_postgres_database(|url| async move {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        super::migrate_postgres_before(&pool, 7).await;
        sqlx::raw_sql(OLD_ROWS).execute(&pool).await.unwrap();
        sqlx::raw_sql(OLD_POSTGRES_ROWS)
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let store = crate::store::open(&url.parse().expect("a storage url"))
            .await
            .unwrap();
        every_old_row_is_the_default_accounts(store.as_ref()).await;
        store.close().await;
    })
    .await;
}
