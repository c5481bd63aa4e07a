//! The typed job queue: webhook deliveries and template sends side by side, and the template
//! sends of a database from before job kinds (migration 0011 on SQLite, 0012 on PostgreSQL),
//! queued then under the webhook name `@template`, handed out as template jobs.
use std::time::Duration;

use super::fixtures::{at, template_job, text, webhook_job};
use super::TestDb;
use crate::store::{NewDelivery, NewMessage, Store, TemplateJob, DEFAULT_ACCOUNT};

const LEASE: Duration = Duration::from_secs(30);

async fn a_template_job_and_a_webhook_job_of_one_openid_are_both_handed_out(db: TestDb) {
    let store = &db.store;
    let mut push = text("o1", "m1", 0);
    push.deliveries = vec![NewDelivery {
        webhook: "crm".into(),
        payload: "{}".into(),
        event_id: "m1".into(),
    }];
    store.record(push).await.unwrap();
    let queued = store
        .queue_message(&NewMessage {
            account: DEFAULT_ACCOUNT.into(),
            openid: "o1".into(),
            template_id: "TPL".into(),
            idempotency_key: None,
            payload: r#"{"touser":"o1"}"#.into(),
            created_at: at(1),
        })
        .await
        .unwrap();
    assert_eq!(store.pending_jobs().await.unwrap(), 2);
    // A webhook's max_age never reaches a template send.
    assert_eq!(store.drop_webhook_jobs("", at(1000)).await.unwrap(), 0);
    let claimed = store.claim_jobs(at(10), LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 2, "neither waits for the other: {claimed:?}");
    for job in &claimed {
        assert_eq!(
            (job.account.as_str(), job.openid.as_str()),
            ("default", "o1")
        );
    }
    assert_eq!(webhook_job(&claimed[0]).webhook, "crm");
    assert_eq!(template_job(&claimed[1]).message_id, queued.id);

    store.job_done(claimed[0].id).await.unwrap();
    store
        .message_sent(queued.id, claimed[1].id, 1001, at(11))
        .await
        .unwrap();
    assert_eq!(store.pending_jobs().await.unwrap(), 0);
    let message = store.message(queued.id).await.unwrap().unwrap();
    assert_eq!(
        (message.status.as_str(), message.msgid),
        ("sent", Some(1001))
    );
}
store_test!(a_template_job_and_a_webhook_job_of_one_openid_are_both_handed_out);

/// A pending template message (the first of a fresh database: id 1) and a webhook delivery
/// of one openid as a wxgate before job kinds queued them (both dialects), and a template row
/// without a message id (never sendable).
const OLD_ROWS: &str = r#"
INSERT INTO messages (account, openid, template_id, idempotency_key, status, created_at,
                      updated_at)
    VALUES ('default', 'oOld', 'TPL', NULL, 'queued', 1714521600000, 1714521600000);
INSERT INTO outbox (webhook, account, openid, event_id, payload, created_at, next_at)
    VALUES ('@template', 'default', 'oOld', '1', '{"touser":"oOld"}', 1714521600000,
            1714521600000),
           ('crm', 'default', 'oOld', 'kOld', '{}', 1714521601000, 1714521601000),
           ('@template', 'default', 'oOld', 'junk', '{}', 1714521602000, 1714521602000);
"#;

/// The old rows, read through the upgraded store: the template row is a template job (sent as
/// one), the webhook row a webhook job, the row without a message id gone.
async fn the_old_template_row_is_a_template_job(store: &dyn Store) {
    assert_eq!(store.pending_jobs().await.unwrap(), 2);
    let claimed = store.claim_jobs(at(10), LEASE, 10).await.unwrap();
    assert_eq!(claimed.len(), 2, "{claimed:?}");
    assert_eq!(
        template_job(&claimed[0]),
        &TemplateJob {
            message_id: 1,
            payload: r#"{"touser":"oOld"}"#.into()
        }
    );
    assert_eq!(webhook_job(&claimed[1]).webhook, "crm");
    store
        .message_sent(1, claimed[0].id, 1001, at(11))
        .await
        .unwrap();
    let message = store.message(1).await.unwrap().unwrap();
    assert_eq!(
        (message.status.as_str(), message.msgid),
        ("sent", Some(1001))
    );
    assert_eq!(store.pending_jobs().await.unwrap(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_template_row_from_before_job_kinds_is_sent_as_a_template_job() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("wxgate.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        crate::store::sqlite::schema::migrate_before(&mut conn, 11).unwrap();
        conn.execute_batch(OLD_ROWS).unwrap();
    }
    let store = crate::store::open(&crate::store::StorageUrl::Sqlite { path })
        .await
        .unwrap();
    the_old_template_row_is_a_template_job(store.as_ref()).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_template_row_from_before_job_kinds_is_sent_as_a_template_job() {
    super::with_postgres_database(|url| async move {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        super::migrate_postgres_before(&pool, 12).await;
        sqlx::raw_sql(OLD_ROWS).execute(&pool).await.unwrap();
        pool.close().await;
        let store = crate::store::open(&url.parse().expect("a storage url"))
            .await
            .unwrap();
        the_old_template_row_is_a_template_job(store.as_ref()).await;
        store.close().await;
    })
    .await;
}
